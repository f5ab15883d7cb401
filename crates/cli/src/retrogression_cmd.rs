//! `rightstat retrogression …`: the retrogression cases of the published figures and the
//! responsible departments' answers (the same store calls as the pages and the API).

use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use rightstat_store::retrogression::AnswerSubmission;
use rightstat_store::{Actor, Store};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum RetrogressionCmd {
    /// The open cases: each retrogressive step of a published national series, its department
    /// and whether (and when) it answered.
    List {
        #[arg(long, value_enum, default_value = "text")]
        format: CaseFormat,
    },
    /// Records a department's answer from a JSON file, as `POST /api/v1/retrogression-cases/answers`
    /// takes it: {"key": {"indicator", "area", "cell_key", "to_year"}, "justification": {"cause",
    /// "cause_explanation": {"zh", "en"}, "answers": [{"question", "verdict", "explanation"}]}}.
    /// A new version each time; audited; refused whole when incomplete.
    Answer { file: PathBuf },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum CaseFormat {
    Text,
    Json,
}

pub async fn run(store: &Store, cmd: RetrogressionCmd, actor: &Actor) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match cmd {
        RetrogressionCmd::List { format } => {
            let cases = store.retrogression_cases().await?;
            match format {
                CaseFormat::Json => {
                    serde_json::to_writer_pretty(&mut out, &cases)?;
                    writeln!(out)?;
                }
                CaseFormat::Text => {
                    for c in &cases {
                        let cell = if c.key.cell_key.is_empty() { String::new() } else { format!(" {}", c.key.cell_key) };
                        let state = match &c.answer {
                            None => "awaiting the department's answer".to_string(),
                            Some(a) if c.figures_revised => format!("answered (version {}), figures revised since", a.version),
                            Some(a) => format!("answered (version {}) by {} at {}", a.version, a.answered_by, a.answered_at),
                        };
                        writeln!(
                            out,
                            "{} {}{}: {} ({}) → {} ({}); {}; {state}",
                            c.key.indicator, c.key.area, cell, c.from.1, c.from.0, c.to.1, c.to.0, c.department
                        )?;
                    }
                }
            }
        }
        RetrogressionCmd::Answer { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let a: AnswerSubmission = serde_json::from_str(&text).with_context(|| format!("{}: not an answer", file.display()))?;
            let version = store.answer_retrogression(&a.key, &a.justification, actor).await?;
            writeln!(out, "{} {} {}: answer recorded as version {version}", a.key.indicator, a.key.area, a.key.to_year)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
