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
//! figures and applies disclosure control once; every output is made from that snapshot.

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
}

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
    /// text for `{lang}/search.html` (a static copy lists every indicator instead).
    pub fn file(&self, path: &str, query: Option<&str>) -> Option<File> {
        let path = path.trim_start_matches('/');
        // A search is made for its query; everything else once per snapshot.
        if query.is_some_and(|q| !q.trim().is_empty()) {
            return self.make(path, query);
        }
        if let Some(f) = self.made.lock().expect("not poisoned").get(path) {
            return Some(f.clone());
        }
        let f = self.make(path, None)?;
        self.made.lock().expect("not poisoned").insert(path.to_string(), f.clone());
        Some(f)
    }

    fn make(&self, path: &str, query: Option<&str>) -> Option<File> {
        if path.is_empty() || path == "index.html" {
            return Some(File::html(self.root_page()));
        }
        if path == rightstat_design::STYLESHEET_FILE {
            return Some(File { content_type: "text/css; charset=utf-8", body: CSS.as_bytes().to_vec() });
        }
        if path == "portal.js" {
            return Some(File { content_type: "text/javascript; charset=utf-8", body: JS.as_bytes().to_vec() });
        }
        if let Some(name) = path.strip_prefix("data/") {
            return self.download(name);
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
                self.indicator_page(lang, self.figures.get(code).and(self.indicator(code))?)
            }
        };
        Some(File::html(page))
    }

    /// `data/{code}.csv`, `.sdmx.csv`, `.sdmx.json`, `.sdmx.xml` (SDMX-ML 2.1 structure-specific), and `data/all.*` for every indicator.
    fn download(&self, name: &str) -> Option<File> {
        let (code, kind) = name.split_once('.')?;
        let rows: Vec<_> = if code == "all" { self.all_figures().collect() } else { self.figures.get(code)?.iter().collect() };
        Some(match kind {
            "csv" => File { content_type: "text/csv; charset=utf-8", body: self.csv(&rows) },
            "sdmx.csv" => File { content_type: DataFormat::Csv.content_type(), body: self.sdmx_csv(&rows) },
            "sdmx.json" => File { content_type: DataFormat::Json.content_type(), body: self.sdmx_json(&rows, code, Shape::default()) },
            "sdmx.xml" => File { content_type: DataFormat::Ml.content_type(), body: self.sdmx_ml(&rows, code, Shape::default()) },
            _ => return None,
        })
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
        for code in self.figures.keys().map(String::as_str).chain(["all"]) {
            paths.extend(["csv", "sdmx.csv", "sdmx.json", "sdmx.xml"].map(|k| format!("data/{code}.{k}")));
        }
        paths
    }

    /// Writes the whole portal to `dir` and returns how many files and bytes. The files are
    /// written beside it first and then put in its place, so a web server serving `dir` never
    /// sees half an export, and nothing of an earlier export survives (a page of an indicator
    /// no longer published, say). `dir` must be new, empty, or an earlier export.
    pub fn export(&self, dir: &Path) -> Result<(usize, u64), PortalError> {
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
        for p in &paths {
            let file = self.file(p, None).expect("every listed path has a file");
            let target = fresh.join(p);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            std::fs::write(&target, &file.body).map_err(io(&target))?;
            bytes += file.body.len() as u64;
        }
        if dir.exists() {
            std::fs::rename(dir, &old).map_err(io(dir))?;
        }
        std::fs::rename(&fresh, dir).map_err(io(dir))?;
        let _ = std::fs::remove_dir_all(&old);
        Ok((paths.len(), bytes))
    }
}
