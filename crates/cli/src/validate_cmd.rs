//! `rightstat validate FILE`: the checks a submission goes through, from the command line.
//! Exit status 1 when there is an error (warnings alone do not fail).

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use rightstat_core::validation::{RuleSet, Severity};
use rightstat_store::formats::Format;
use rightstat_store::validation::ValidationReport;
use rightstat_store::{ImportOptions, Store};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// The file to check (CSV or SDMX-CSV, as for import).
    file: PathBuf,
    /// Declared rules (TOML, `[[rule]]` tables; see reference/validation-rules.toml), in
    /// addition to those each indicator carries by its definition.
    #[arg(long)]
    rules: Option<PathBuf>,
    /// Check the file as a submission to this round (id or code): every row must be an item
    /// the round asks of its area, in one of its periods.
    #[arg(long, value_name = "ID")]
    round: Option<String>,
    /// Layout of the file (an .xlsx workbook, such as a filled-in task template, is recognised
    /// by its content and read as CSV).
    #[arg(long, value_enum, default_value = "csv")]
    input: Input,
    /// How to print the findings.
    #[arg(long, value_enum, default_value = "text")]
    format: Output,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Input {
    Csv,
    SdmxCsv,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Output {
    Text,
    Json,
}

pub async fn validate(store: &Store, a: ValidateArgs) -> Result<ExitCode> {
    let rules = match &a.rules {
        Some(p) => RuleSet::parse(&std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?)
            .with_context(|| p.display().to_string())?,
        None => RuleSet::parse(rightstat_core::reference::VALIDATION_RULES)?,
    };
    let bytes = std::fs::read(&a.file).with_context(|| format!("cannot open {}", a.file.display()))?;
    let format = match a.input {
        Input::Csv => Format::Csv,
        Input::SdmxCsv => Format::SdmxCsv,
    };
    let opts = ImportOptions::new(a.file.display().to_string(), format);
    let report = match &a.round {
        Some(r) => {
            let round = store.round(r).await?.with_context(|| format!("no round '{r}' (rightstat round list)"))?;
            store.validate_for_round(&round, bytes, opts, &rules).await?
        }
        None => {
            let file = a.file.display().to_string();
            let csv = rightstat_store::spreadsheet::as_csv(bytes, &file)?;
            store.validate_file(std::io::Cursor::new(csv), opts, &rules).await?
        }
    };
    let mut out = std::io::stdout().lock();
    match a.format {
        Output::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        Output::Text => print_text(&mut out, &report)?,
    }
    Ok(if report.has_errors() { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn print_text(out: &mut impl Write, r: &ValidationReport) -> Result<()> {
    print_findings(out, r)?;
    let errors = r.row_errors.len() + r.findings.iter().filter(|f| f.severity == Severity::Error).count();
    writeln!(out, "{}: {} rows, {} error(s), {} warning(s)", r.file, r.rows, errors, r.warnings())?;
    Ok(())
}

/// Every finding on its own line with its place: file, row and column for what the file holds,
/// indicator, area, period and cell for what the rules found; messages in English and Chinese.
pub(crate) fn print_findings(out: &mut impl Write, r: &ValidationReport) -> Result<()> {
    for e in &r.row_errors {
        writeln!(out, "error: {e}")?;
    }
    for f in &r.findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let row = f.row.map(|n| format!("row {n}, ")).unwrap_or_default();
        let column = f.column.as_ref().map(|c| format!("column {c}, ")).unwrap_or_default();
        let cell = if f.cell.is_empty() { String::new() } else { format!(" {}", f.cell) };
        let value = f.value.map(|v| format!("found {v}, ")).unwrap_or_default();
        writeln!(
            out,
            "{level}: {}: {row}{column}{} {} {}{cell}: {} / {} [{}] ({value}expected {})",
            r.file, f.indicator, f.area, f.period, f.message_en, f.message_zh, f.rule, f.expected
        )?;
    }
    Ok(())
}
