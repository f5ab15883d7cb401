//! `rightstat report KIND`: drafts a report from the database, writes it in the chosen format
//! and lists what the author must check.

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use rightstat_reports::{Lang, ReportKind, ReportOptions};
use rightstat_store::Store;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// cescr: a draft periodic report, article by article; upr: a draft national report;
    /// upr-midterm: the mid-term matrix; gaps: the breakdowns the committees ask for, and which are missing; annex: national
    /// series with units, sources and footnotes.
    #[arg(value_enum)]
    kind: Kind,
    #[arg(long, value_enum, default_value = "en")]
    lang: LangArg,
    #[arg(long, value_enum, default_value = "html")]
    format: Format,
    /// Where to write the report.
    #[arg(long)]
    out: PathBuf,
    /// ICESCR articles covered, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = rightstat_reports::gaps::DEFAULT_ARTICLES)]
    articles: Vec<u8>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Kind {
    Cescr,
    Upr,
    UprMidterm,
    Gaps,
    Annex,
    /// Draft replies to the latest list of issues (`rightstat dialogue import` first).
    LoiReplies,
    /// The delegation's briefing book for the constructive dialogue.
    Briefing,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LangArg {
    En,
    Zh,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Md,
    Html,
    Docx,
    /// Needs the Noto CJK fonts (Debian's fonts-noto-cjk); a `--no-default-features` build has no PDF.
    Pdf,
}

pub async fn report(store: &Store, a: ReportArgs) -> Result<()> {
    let kind = match a.kind {
        Kind::Gaps => ReportKind::Gaps,
        Kind::Annex => ReportKind::Annex,
        Kind::Cescr => ReportKind::Cescr,
        Kind::Upr => ReportKind::Upr,
        Kind::UprMidterm => ReportKind::UprMidterm,
        Kind::LoiReplies => ReportKind::LoiReplies,
        Kind::Briefing => ReportKind::Briefing,
    };
    let lang = match a.lang {
        LangArg::En => Lang::En,
        LangArg::Zh => Lang::Zh,
    };
    let built = rightstat_reports::build(store, kind, &ReportOptions { lang, articles: a.articles }).await?;
    let body = match a.format {
        Format::Md => rightstat_reports::render::markdown(&built.doc).into_bytes(),
        Format::Html => rightstat_reports::render::html(&built.doc).into_bytes(),
        Format::Docx => rightstat_reports::docx::docx(&built.doc).map_err(anyhow::Error::msg)?,
        Format::Pdf => rightstat_reports::to_pdf(&built.doc).map_err(anyhow::Error::msg)?,
    };
    std::fs::write(&a.out, body).with_context(|| format!("cannot write {}", a.out.display()))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}: {} words, {} things to check", a.out.display(), built.words, built.findings.len())?;
    for f in &built.findings {
        let place = f.place.as_ref().map(|p| format!(" ({p})")).unwrap_or_default();
        writeln!(out, "  {}{place}: {}", f.check, lang.pick(&f.message_en, &f.message_zh))?;
    }
    Ok(())
}
