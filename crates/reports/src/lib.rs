//! Reports drafted from RightStat's own data and registers, in English and Chinese.
//!
//! A report is built as a [`doc::Document`] (headings, numbered paragraphs, tables with unit
//! and source, footnotes), then [`terms::explain`] footnotes the first use of every local
//! policy term from the glossary, [`checks::check`] lists what the author must look at (length
//! against the treaty body's limit, tables without a source, local terms), and `render` writes
//! Markdown or HTML. Building a report reads the store; rendering does not.

pub mod annex;
pub mod cescr;
pub mod chart;
pub mod checks;
pub mod dialogue;
pub mod doc;
pub mod docx;
pub mod gaps;
#[cfg(feature = "pdf")]
pub mod pdf;
pub mod render;
pub mod terms;
pub mod upr;

/// The language of a report.
pub use rightstat_core::lang::Lang;

/// The reports RightStat drafts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ReportKind {
    /// Data-gap analysis: breakdowns asked for and missing.
    Gaps,
    /// Statistical annex: national series with units, sources and footnotes.
    Annex,
    /// A draft CESCR periodic report, article by article.
    Cescr,
    /// A draft UPR national report: follow-up of the last cycle's recommendations by theme.
    Upr,
    /// The UPR mid-term report's matrix.
    UprMidterm,
    /// Draft replies to the Committee's latest list of issues.
    LoiReplies,
    /// The delegation's briefing book for the constructive dialogue.
    Briefing,
}

impl ReportKind {
    pub const ALL: [ReportKind; 7] = [
        ReportKind::Cescr,
        ReportKind::Upr,
        ReportKind::UprMidterm,
        ReportKind::Annex,
        ReportKind::Gaps,
        ReportKind::LoiReplies,
        ReportKind::Briefing,
    ];

    /// The name used in the CLI and URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Gaps => "gaps",
            ReportKind::Annex => "annex",
            ReportKind::Cescr => "cescr",
            ReportKind::Upr => "upr",
            ReportKind::UprMidterm => "upr-midterm",
            ReportKind::LoiReplies => "loi-replies",
            ReportKind::Briefing => "briefing",
        }
    }

    pub fn parse(s: &str) -> Option<ReportKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// What it is, in English and Chinese.
    pub fn title(self) -> (&'static str, &'static str) {
        match self {
            ReportKind::Gaps => ("Data-gap report: the breakdowns asked for and missing", "数据缺口报告"),
            ReportKind::Annex => ("Statistical annex", "统计附件"),
            ReportKind::Cescr => ("CESCR periodic report (draft)", "经社文权利委员会定期报告(草稿)"),
            ReportKind::Upr => ("UPR national report (draft)", "普遍定期审议国家报告(草稿)"),
            ReportKind::UprMidterm => ("UPR mid-term report matrix (draft)", "普遍定期审议中期报告(草稿)"),
            ReportKind::LoiReplies => ("Replies to the list of issues (draft)", "对问题清单的答复(草稿)"),
            ReportKind::Briefing => ("Briefing book for the constructive dialogue", "建设性对话代表团简报"),
        }
    }
}

/// What to report on.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    pub lang: Lang,
    /// ICESCR articles covered.
    pub articles: Vec<u8>,
}

/// A built report: the document (local terms already footnoted) and what the author must check.
#[derive(Debug, Clone)]
pub struct Built {
    pub doc: doc::Document,
    pub words: usize,
    pub findings: Vec<checks::Finding>,
}

/// Builds a report from the store.
pub async fn build(store: &rightstat_store::Store, kind: ReportKind, opts: &ReportOptions) -> Result<Built, ReportError> {
    let mut extra = Vec::new();
    let (mut doc, limit) = match kind {
        ReportKind::Gaps => {
            let gaps = gaps::gather(store, &opts.articles).await?;
            (gaps::document(&gaps, &gaps::dimension_names(store).await?, opts.lang), checks::Kind::Unlimited)
        }
        ReportKind::Annex => (annex::document(store, &opts.articles, opts.lang).await?, checks::Kind::Unlimited),
        ReportKind::Cescr => {
            let (doc, found) = cescr::document(store, &opts.articles, opts.lang).await?;
            extra = found;
            (doc, checks::Kind::PeriodicReport)
        }
        ReportKind::Upr => (upr::national_report(store, opts.lang).await?, checks::Kind::UprNationalReport),
        ReportKind::UprMidterm => (upr::midterm(store, opts.lang).await?, checks::Kind::Unlimited),
        ReportKind::LoiReplies => {
            let (doc, found) = dialogue::replies(store, opts.lang).await?;
            extra = found;
            (doc, checks::Kind::ListOfIssuesReplies)
        }
        ReportKind::Briefing => (dialogue::briefing(store, opts.lang).await?, checks::Kind::Unlimited),
    };
    // Agencies' names are not uses of the policy terms they contain (国家乡村振兴局).
    let departments = store.departments().await?;
    // Each name also without its parenthesis ("… Administration (formerly …)").
    let names: Vec<&str> = departments
        .iter()
        .flat_map(|d| [d.name_zh.as_str(), d.name_en.as_str()])
        .flat_map(|n| [n, n.split(['(', '（']).next().unwrap_or(n).trim_end()])
        .collect();
    let terms = terms::explain(&mut doc, &store.glossary().await?, &names);
    // Chinese documents take Chinese punctuation, whatever the sources they quote wrote.
    if opts.lang == Lang::Zh {
        doc.map_text(rightstat_core::text::zh_punctuation);
    }
    let (words, mut findings) = checks::check(&doc, limit, &terms);
    findings.extend(extra);
    Ok(Built { doc, words, findings })
}

/// The document as PDF, when this build has the `pdf` feature (Typst; needs the Noto CJK fonts).
pub fn to_pdf(doc: &doc::Document) -> Result<Vec<u8>, String> {
    #[cfg(feature = "pdf")]
    {
        pdf::pdf(doc).map_err(|e| e.to_string())
    }
    #[cfg(not(feature = "pdf"))]
    {
        let _ = doc;
        Err("this build has no PDF support: build without `--no-default-features` (and install Debian's fonts-noto-cjk)".into())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] rightstat_store::StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every report builds on the demo data in both languages and in every format this build has.
    #[tokio::test]
    async fn every_report_in_every_language_and_format() {
        let dir = tempfile::tempdir().unwrap();
        let s = rightstat_store::Store::connect(&rightstat_store::testing::fresh_sqlite_url(dir.path())).await.unwrap();
        s.seed_reference().await.unwrap();
        s.load_demo().await.unwrap();
        s.load_demo_follow_up().await.unwrap();
        for kind in ReportKind::ALL {
            for lang in [Lang::En, Lang::Zh] {
                let b = build(&s, kind, &ReportOptions { lang, articles: gaps::DEFAULT_ARTICLES.to_vec() }).await.unwrap();
                assert!(b.words > 100, "{kind:?} {lang:?}: {} words", b.words);
                assert!(render::html(&b.doc).contains("</main>"));
                let md = render::markdown(&b.doc);
                assert!(md.starts_with("# "));
                if lang == Lang::Zh {
                    // Chinese punctuation beside Chinese text, wherever the words came from.
                    let c: Vec<char> = md.chars().collect();
                    let cjk = |x: char| ('\u{4e00}'..='\u{9fff}').contains(&x);
                    let bad: Vec<String> = (1..c.len().saturating_sub(1))
                        .filter(|&i| matches!(c[i], ',' | ';' | ':' | '(' | ')') && (cjk(c[i - 1]) || cjk(c[i + 1])))
                        .map(|i| c[i.saturating_sub(10)..(i + 10).min(c.len())].iter().collect())
                        .collect();
                    assert!(bad.is_empty(), "{kind:?}: half-width punctuation beside Chinese: {bad:?}");
                    if kind == ReportKind::Cescr {
                        assert!(md.contains("法律依据：《社会救助暂行办法》"), "legal bases as Chinese texts cite them");
                    }
                }
                assert!(docx::docx(&b.doc).unwrap().starts_with(b"PK"));
                if cfg!(feature = "pdf") && std::path::Path::new(&format!("{}/NotoSerifCJK-Regular.ttc", pdf_fonts_dir())).exists() {
                    assert!(to_pdf(&b.doc).unwrap().starts_with(b"%PDF"), "{kind:?} {lang:?}");
                }
            }
        }
        assert_eq!(ReportKind::parse("upr-midterm"), Some(ReportKind::UprMidterm));
    }

    fn pdf_fonts_dir() -> String {
        std::env::var("RIGHTSTAT_FONTS").unwrap_or_else(|_| "/usr/share/fonts/opentype/noto".into())
    }
}
