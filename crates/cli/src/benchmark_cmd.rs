//! `rightstat benchmarks …`: the targets the lead department sets for indicators, against
//! which `rightstat evaluate` measures progress.

use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use rightstat_store::benchmarks::{benchmarks_csv, cell_text};
use rightstat_store::{Actor, Store};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum BenchmarkCmd {
    /// Import benchmarks from a CSV with columns
    /// indicator,area,cell,baseline_year,baseline_value,target_year,target_value,source[,note]
    /// (values in the indicator's published unit; cell as URBANISATION=R|SEX=F, empty for the
    /// total). All or nothing; a row equal to the benchmark in force writes nothing.
    Import { file: PathBuf },
    /// The benchmarks in force (or every version with --history).
    List {
        #[arg(long)]
        history: bool,
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ListFormat {
    Text,
    Csv,
}

pub async fn run(store: &Store, cmd: BenchmarkCmd, actor: &Actor) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match cmd {
        BenchmarkCmd::Import { file } => {
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let name = file.display().to_string();
            match store.import_benchmarks(&bytes, &name, actor).await? {
                Ok(r) => writeln!(out, "{name}: {} new, {} revised (a new version each), {} unchanged", r.new, r.revised, r.unchanged)?,
                Err(errors) => {
                    for e in errors.iter().take(100) {
                        eprintln!("{e}");
                    }
                    eprintln!("{} error(s); nothing was imported", errors.len());
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        BenchmarkCmd::List { history, format } => {
            let rows = store.benchmarks(history).await?;
            match format {
                ListFormat::Csv => out.write_all(benchmarks_csv(&rows).as_bytes())?,
                ListFormat::Text => {
                    for b in &rows {
                        let cell = cell_text(&b.cell_key);
                        let cell = if cell.is_empty() { String::new() } else { format!(" [{cell}]") };
                        writeln!(
                            out,
                            "{} {}{cell} v{}: {} ({}) → {} ({}) — {} — set by {} at {}",
                            b.indicator,
                            b.area,
                            b.version,
                            b.baseline_value,
                            b.baseline_year,
                            b.target_value,
                            b.target_year,
                            b.source,
                            b.set_by,
                            b.set_at
                        )?;
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
