//! `rightstat dialogue …`: the Committee's list of issues, imported for the replies and the
//! briefing book (`rightstat report loi-replies`, `rightstat report briefing`).

use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use rightstat_core::lang::Lang;
use rightstat_store::dialogue::LoiFormat;
use rightstat_store::{Actor, Store};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum DialogueCmd {
    /// Import a list of issues (one language of it), all or nothing: the plain text of the UN
    /// document (its symbol on a line of its own, headings, numbered paragraphs) or a CSV with
    /// columns paragraph,question[,heading][,articles]. Import the other language after: it
    /// must have the same paragraphs.
    Import {
        file: PathBuf,
        #[arg(long, value_enum, default_value = "un-text")]
        format: FormatArg,
        /// The document symbol (E/C.12/CHN/Q/3); needed for a CSV, checked against the text otherwise.
        #[arg(long)]
        symbol: Option<String>,
        /// The language of the file; detected when not given.
        #[arg(long, value_enum)]
        lang: Option<crate::report_cmd::LangArg>,
    },
    /// The lists of issues held, with their questions.
    List,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FormatArg {
    UnText,
    Csv,
}

pub async fn run(store: &Store, cmd: DialogueCmd, actor: &Actor) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match cmd {
        DialogueCmd::Import { file, format, symbol, lang } => {
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let format = match format {
                FormatArg::UnText => LoiFormat::UnText,
                FormatArg::Csv => LoiFormat::Csv,
            };
            let lang = lang.map(|l| match l {
                crate::report_cmd::LangArg::En => Lang::En,
                crate::report_cmd::LangArg::Zh => Lang::Zh,
            });
            let name = file.display().to_string();
            match store.import_list_of_issues(format, &bytes, &name, symbol.as_deref(), lang, actor).await? {
                Ok(r) => writeln!(
                    out,
                    "{name}: list of issues {} ({}), {} questions in {}: {} new, {} revised",
                    r.symbol, r.committee, r.questions, r.lang, r.new, r.revised
                )?,
                Err(errors) => {
                    for e in errors.iter().take(100) {
                        eprintln!("{e}");
                    }
                    eprintln!("{} error(s); nothing was imported", errors.len());
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        DialogueCmd::List => {
            for l in store.lists_of_issues().await? {
                writeln!(out, "{} ({}): {}", l.symbol, l.committee, l.title)?;
                for q in &l.questions {
                    let text = if q.text_en.is_empty() { &q.text_zh } else { &q.text_en };
                    let short: String = text.chars().take(100).collect();
                    let langs = match (q.text_en.is_empty(), q.text_zh.is_empty()) {
                        (false, false) => "en+zh",
                        (false, true) => "en",
                        _ => "zh",
                    };
                    writeln!(out, "  {:>3}. [{langs}] {short}", q.paragraph)?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
