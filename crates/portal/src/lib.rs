//! The public portal: what the public may see of the published figures, as pages (English
//! and Chinese), SVG charts and maps, and open data files.
//!
//! **The portal's address space is a file tree.** Every page and download has a path such as
//! `en/indicators/SI_POV_NAHC.html` or `data/SI_POV_NAHC.sdmx.json`, pages link to each other
//! by relative paths, and [`Site::file`] answers a path. The server serves those paths live;
//! `rightstat publish --out DIR` writes the same files ([`Site::export`]), so a static copy
//! behaves exactly like the live portal and public traffic never needs the database.
//!
//! **Nothing unpublished or disclosive leaves.** [`Site::load`] reads only published, current
//! figures and applies disclosure control once; pages are made from that snapshot, and
//! downloads and data queries read the published figures again through
//! [`Site::public_rows`], which puts them in the snapshot's public form and refuses them if
//! figures were released since.

pub mod data;
pub mod i18n;
pub mod map;
pub mod messages;
mod pages;
pub mod site;
pub mod structure;

pub use site::Site;

use data::DataFormat;
use messages::Shape;
use rightstat_reports::Lang;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    #[error(transparent)]
    Store(#[from] rightstat_store::StoreError),
    #[error("{path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("{0} is not empty and holds no earlier export of the portal: choose a new or empty directory (nothing was written)")]
    NotAnExport(String),
    /// Figures were released (or a definition changed) while the snapshot was read or used.
    #[error("public figures changed while they were read: read them again")]
    Stale,
    /// A query or download would hold more public figures than one answer may.
    #[error("the request selects more than {max} public figures: narrow it by indicator, area or period")]
    TooLarge { max: usize },
}

/// The kinds of `data/{code}.*`.
const DOWNLOADS: [&str; 4] = ["csv", "sdmx.csv", "sdmx.json", "sdmx.xml"];

/// One file of the portal.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl File {
    fn html(body: String) -> File {
        File { content_type: "text/html; charset=utf-8", body: body.into_bytes() }
    }
}

/// The one stylesheet of every RightStat page (the design system's).
pub const CSS: &str = rightstat_design::STYLESHEET;
/// The one script: the static copy's search (pages read and work without it).
pub const JS: &str = include_str!("../templates/portal.js");

impl Site {
    /// The file at `path` (relative, no leading slash), or `None`. `query` is the search
    /// text for `{lang}/search.html` (a static copy lists every indicator instead). Pages are
    /// made from the snapshot; downloads read their figures from the store.
    pub async fn file(&self, path: &str, query: Option<&str>) -> Result<Option<File>, PortalError> {
        let path = path.trim_start_matches('/');
        // A search is made for its query; everything else once per snapshot.
        if query.is_some_and(|q| !q.trim().is_empty()) {
            return Ok(self.page(path, query));
        }
        if let Some(f) = self.made.lock().expect("not poisoned").get(path) {
            return Ok(Some(f.clone()));
        }
        let f = match path.strip_prefix("data/") {
            Some(name) => self.download(name).await?,
            None => self.page(path, None),
        };
        if let Some(f) = &f
            && f.body.len() <= site::KEPT_FILE
        {
            self.made.lock().expect("not poisoned").insert(path.to_string(), f.clone());
        }
        Ok(f)
    }

    fn page(&self, path: &str, query: Option<&str>) -> Option<File> {
        if path.is_empty() || path == "index.html" {
            return Some(File::html(self.root_page()));
        }
        if path == rightstat_design::STYLESHEET_FILE {
            return Some(File { content_type: "text/css; charset=utf-8", body: CSS.as_bytes().to_vec() });
        }
        if path == "portal.js" {
            return Some(File { content_type: "text/javascript; charset=utf-8", body: JS.as_bytes().to_vec() });
        }
        let (lang, rest) = path.split_once('/')?;
        let lang = Lang::parse(lang)?;
        let page = match rest {
            "" | "index.html" => self.home_page(lang),
            "status.html" => self.status_page(lang),
            "recommendations.html" if !self.follow_up.recommendations.is_empty() => self.recommendations_page(lang),
            "measures.html" if !self.follow_up.measures.is_empty() => self.measures_page(lang),
            "search.html" => self.search_page(lang, query.unwrap_or("")),
            _ => {
                let code = rest.strip_prefix("indicators/")?.strip_suffix(".html")?;
                self.indicator_page(lang, self.summaries.get(code).and(self.indicator(code))?)
            }
        };
        Some(File::html(page))
    }

    /// Whether `data/all.*` is offered: while the whole public set fits one answer.
    pub fn offers_all(&self) -> bool {
        self.total <= site::MAX_FIGURES
    }

    /// `data/{code}.csv`, `.sdmx.csv`, `.sdmx.json`, `.sdmx.xml` (SDMX-ML 2.1 structure-specific), and `data/all.*` for every indicator.
    async fn download(&self, name: &str) -> Result<Option<File>, PortalError> {
        let Some((code, kind)) = name.split_once('.') else { return Ok(None) };
        if !DOWNLOADS.contains(&kind) {
            return Ok(None);
        }
        let Some(rows) = self.download_rows(code).await? else { return Ok(None) };
        Ok(Some(self.encode(code, kind, &rows.iter().collect::<Vec<_>>())))
    }

    /// The public figures of `data/{code}.*`, in indicator, area, period and cell order.
    async fn download_rows(&self, code: &str) -> Result<Option<Vec<rightstat_store::ObservationRow>>, PortalError> {
        let (filter, max) = if code == "all" {
            if !self.offers_all() {
                return Ok(None);
            }
            (rightstat_store::ObservationFilter::default(), site::MAX_FIGURES)
        } else if self.summaries.contains_key(code) {
            // One indicator's file holds all its figures.
            (rightstat_store::ObservationFilter { indicators: vec![code.to_string()], ..Default::default() }, usize::MAX)
        } else {
            return Ok(None);
        };
        let mut rows = self.public_rows(&filter, max).await?;
        crate::site::in_key_order(&mut rows);
        Ok(Some(rows))
    }

    fn encode(&self, code: &str, kind: &str, rows: &[&rightstat_store::ObservationRow]) -> File {
        match kind {
            "csv" => File { content_type: "text/csv; charset=utf-8", body: self.csv(rows) },
            "sdmx.csv" => File { content_type: DataFormat::Csv.content_type(), body: self.sdmx_csv(rows) },
            "sdmx.json" => File { content_type: DataFormat::Json.content_type(), body: self.sdmx_json(rows, code, Shape::default()) },
            _ => File { content_type: DataFormat::Ml.content_type(), body: self.sdmx_ml(rows, code, Shape::default()) },
        }
    }

    /// Every path of the portal, in a stable order.
    pub fn paths(&self) -> Vec<String> {
        let mut paths = vec!["index.html".to_string(), rightstat_design::STYLESHEET_FILE.to_string(), "portal.js".to_string()];
        for lang in [Lang::En, Lang::Zh] {
            let l = lang.code();
            paths.extend([format!("{l}/index.html"), format!("{l}/status.html"), format!("{l}/search.html")]);
            if !self.follow_up.recommendations.is_empty() {
                paths.push(format!("{l}/recommendations.html"));
            }
            if !self.follow_up.measures.is_empty() {
                paths.push(format!("{l}/measures.html"));
            }
            paths.extend(self.published_indicators().map(|d| format!("{l}/indicators/{}.html", d.code)));
        }
        let all = self.offers_all().then_some("all");
        for code in self.summaries.keys().map(String::as_str).chain(all) {
            paths.extend(DOWNLOADS.map(|k| format!("data/{code}.{k}")));
        }
        paths
    }

    /// Writes the whole portal to `dir` and returns how many files and bytes. The files are
    /// written beside it first and then put in its place, so a web server serving `dir` never
    /// sees half an export, and nothing of an earlier export survives (a page of an indicator
    /// no longer published, say). `dir` must be new, empty, or an earlier export.
    pub async fn export(&self, dir: &Path) -> Result<(usize, u64), PortalError> {
        let shown = dir.display().to_string();
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source: std::io::Error| PortalError::Write { path, source }
        };
        let earlier = (dir.join(rightstat_design::STYLESHEET_FILE).is_file() || dir.join("portal.css").is_file())
            && dir.join("index.html").is_file()
            && dir.join("data").is_dir();
        let empty = std::fs::read_dir(dir).map(|mut d| d.next().is_none()).unwrap_or(true);
        if dir.exists() && !empty && !earlier {
            return Err(PortalError::NotAnExport(shown));
        }
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "site".into());
        let beside = |what: &str| dir.with_file_name(format!(".{name}.{what}-{}", std::process::id()));
        let (fresh, old) = (beside("new"), beside("old"));
        let _ = std::fs::remove_dir_all(&fresh);
        let mut bytes = 0;
        let paths = self.paths();
        let write = |p: &str, body: &[u8]| -> Result<u64, PortalError> {
            let target = fresh.join(p);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            std::fs::write(&target, body).map_err(io(&target))?;
            Ok(body.len() as u64)
        };
        for p in &paths {
            match p.strip_prefix("data/").and_then(|n| n.split_once('.')) {
                // Each indicator's figures are read once for its four files, then let go.
                Some((code, "csv")) => {
                    let rows = self.download_rows(code).await?.expect("every listed download has figures");
                    let rows: Vec<&rightstat_store::ObservationRow> = rows.iter().collect();
                    for kind in DOWNLOADS {
                        bytes += write(&format!("data/{code}.{kind}"), &self.encode(code, kind, &rows).body)?;
                    }
                }
                Some(_) => {}
                None => {
                    let file = self.page(p, None).expect("every listed page exists");
                    bytes += write(p, &file.body)?;
                }
            }
        }
        if dir.exists() {
            std::fs::rename(dir, &old).map_err(io(dir))?;
        }
        std::fs::rename(&fresh, dir).map_err(io(dir))?;
        let _ = std::fs::remove_dir_all(&old);
        Ok((paths.len(), bytes))
    }
}
