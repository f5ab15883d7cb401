//! `rightstat round …`: collection rounds from the command line — create and open a round,
//! list tasks, download a template, submit, review, completeness.

use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use rightstat_core::round::RoundSpec;
use rightstat_store::formats::Format;
use rightstat_store::{Actor, ImportOptions, Store};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum RoundCmd {
    /// Create a round (as a draft) from a TOML file: code, titles, periods, deadline, lead
    /// department, [[item]] indicators with guidance, [[assignment]] department × area (× level).
    Create { file: PathBuf },
    /// Open a draft round: assignees see their tasks.
    Open { round: String },
    /// Close an open round: no more submissions through it (refused while a submission awaits
    /// review).
    Close { round: String },
    /// List the rounds.
    List,
    /// The tasks of a round.
    Tasks {
        round: String,
        #[arg(long)]
        department: Option<String>,
        /// Only tasks in this status (not_started, draft, submitted, returned, approved).
        #[arg(long)]
        status: Option<String>,
        /// Only tasks not received although the deadline has passed.
        #[arg(long)]
        overdue: bool,
    },
    /// Write a task's template (CSV or XLSX).
    Template {
        task: i64,
        #[arg(long, value_enum, default_value = "csv")]
        format: TemplateFormat,
        #[arg(long)]
        out: PathBuf,
    },
    /// Submit a file for a task (all or nothing; warnings need --comment).
    Submit {
        task: i64,
        file: PathBuf,
        /// Explains warnings, or the reason of a correction after approval.
        #[arg(long, default_value = "")]
        comment: String,
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Approve a submitted task (its figures roll up at once) or return it with a comment.
    Review {
        task: i64,
        #[arg(long, conflicts_with = "return_it")]
        approve: bool,
        #[arg(long = "return")]
        return_it: bool,
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// Completeness and timeliness by department, and with --by a level by area too (e.g.
    /// --by prefecture: each prefecture's counties).
    Completeness {
        round: String,
        #[arg(long)]
        by: Option<rightstat_core::area::AreaLevel>,
    },
    /// What happened to a task.
    History { task: i64 },
    /// The release queue: every item and period of the round, with the approved values
    /// awaiting release, the share of tasks approved, and past releases.
    Releases { round: String },
    /// Release a round's approved figures of one indicator and period to the public (now, or
    /// at an embargo time: nothing of it is public before that instant, all of it is after).
    Release {
        round: String,
        #[arg(long)]
        indicator: String,
        #[arg(long)]
        period: String,
        /// RFC 3339, e.g. 2026-12-01T09:00:00+08:00 (default: now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Release automatically once at least PCT % of the tasks reporting an item are approved
    /// (checked after every approval); --none removes the rule.
    ReleaseRule {
        round: String,
        #[arg(long, conflicts_with = "none")]
        when_pct: Option<f64>,
        #[arg(long)]
        none: bool,
    },
    /// Figures reported by two departments: the preferred source's (official) beside the
    /// other's, differing ones first.
    Discrepancies {
        round: String,
        /// Only those that differ.
        #[arg(long)]
        differing: bool,
        /// Write CSV instead of a table.
        #[arg(long)]
        csv: bool,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum TemplateFormat {
    Csv,
    Xlsx,
}

async fn round_id(store: &Store, r: &str) -> Result<i64> {
    Ok(store.round(r).await?.with_context(|| format!("no round {r}"))?.id)
}

pub async fn run(store: &Store, cmd: RoundCmd) -> Result<ExitCode> {
    let actor = Actor::cli();
    let mut out = std::io::stdout().lock();
    match cmd {
        RoundCmd::Create { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let spec: RoundSpec = toml::from_str(&text).with_context(|| file.display().to_string())?;
            let id = store.create_round(&spec, &actor).await?;
            let n = store.tasks(id, None, None).await?.len();
            writeln!(out, "round {id} ({}) created as a draft with {n} tasks", spec.code)?;
        }
        RoundCmd::Close { round } => {
            let id = round_id(store, &round).await?;
            store.close_round(id, &actor).await?;
            writeln!(out, "round {id} is closed")?;
        }
        RoundCmd::Open { round } => {
            let id = round_id(store, &round).await?;
            store.open_round(id, &actor).await?;
            writeln!(out, "round {id} is open")?;
        }
        RoundCmd::List => {
            for r in store.rounds().await? {
                writeln!(out, "{:>4} {:<12} {:<6} deadline {}  {} / {}", r.id, r.code, r.status, r.deadline, r.title_en, r.title_zh)?;
            }
        }
        RoundCmd::Tasks { round, department, status, overdue } => {
            let id = round_id(store, &round).await?;
            let mut tasks = store.tasks(id, department.as_deref(), None).await?;
            if overdue {
                let late: std::collections::HashSet<i64> =
                    store.overdue_tasks(id, &rightstat_store::now_rfc3339()[..10]).await?.into_iter().map(|t| t.id).collect();
                tasks.retain(|t| late.contains(&t.id));
            }
            let mut n = 0;
            for t in tasks.iter().filter(|t| status.as_ref().is_none_or(|s| &t.status == s)) {
                n += 1;
                writeln!(
                    out,
                    "{:>6} {:<8} {:<12} {:<12} {}",
                    t.id,
                    t.department_code,
                    t.area_code,
                    t.status,
                    t.indicators.replace('|', ", ")
                )?;
            }
            writeln!(out, "{n} tasks")?;
        }
        RoundCmd::Template { task, format, out: path } => {
            let bytes = match format {
                TemplateFormat::Csv => store.task_template_csv(task).await?.into_bytes(),
                TemplateFormat::Xlsx => store.task_template_xlsx(task).await?,
            };
            std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
            writeln!(out, "{}", path.display())?;
        }
        RoundCmd::Submit { task, file, comment, dry_run, json } => {
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let mut opts = ImportOptions::new(file.display().to_string(), Format::Csv);
            opts.actor = actor.clone();
            let s = store.submit(task, bytes, opts, &comment, dry_run).await?;
            if json {
                serde_json::to_writer_pretty(&mut out, &s)?;
                writeln!(out)?;
            } else {
                crate::validate_cmd::print_findings(&mut out, &s.validation)?;
                match (s.accepted, s.dry_run) {
                    (true, _) => {
                        let (inserted, revised) = s.import.as_ref().map_or((0, 0), |i| (i.inserted, i.revised));
                        write!(out, "task {task}: {} ({inserted} values recorded, {revised} revised", s.status)?;
                        if s.second_source_values > 0 {
                            write!(out, "; {} kept as a second source", s.second_source_values)?;
                        }
                        writeln!(out, ")")?;
                    }
                    (false, true) => writeln!(out, "task {task}: dry run, nothing saved")?,
                    (false, false) => writeln!(out, "task {task}: refused, nothing saved")?,
                }
            }
            if s.validation.has_errors() {
                return Ok(ExitCode::FAILURE);
            }
        }
        RoundCmd::Releases { round } => {
            let id = round_id(store, &round).await?;
            writeln!(out, "{:<22} {:<7} {:>8} {:>9} {:>15}  LAST RELEASE", "INDICATOR", "PERIOD", "PENDING", "RELEASED", "TASKS APPROVED")?;
            for i in store.release_queue(id).await? {
                let last = match (&i.embargoed_until, &i.last_release_at) {
                    (Some(e), _) => format!("embargoed until {e}"),
                    (None, Some(l)) => l.clone(),
                    (None, None) => "never".into(),
                };
                writeln!(
                    out,
                    "{:<22} {:<7} {:>8} {:>9} {:>8} of {:<4}  {last}",
                    i.indicator, i.period, i.pending, i.released, i.tasks_approved, i.tasks_expected
                )?;
            }
            if let Some(p) = store.release_rule(id).await? {
                writeln!(out, "release rule: automatically when at least {p} % of an item's tasks are approved")?;
            }
        }
        RoundCmd::Release { round, indicator, period, at } => {
            let id = round_id(store, &round).await?;
            let r = store.release(id, &indicator, &period, at.as_deref(), &actor).await?;
            let when = if r.release_at > r.created_at { format!("public at {} (embargo)", r.release_at) } else { "public now".into() };
            writeln!(out, "released {} values of {indicator} for {period} (release {}): {when}", r.values_released, r.id)?;
        }
        RoundCmd::ReleaseRule { round, when_pct, none } => {
            let id = round_id(store, &round).await?;
            if when_pct.is_none() && !none {
                anyhow::bail!("give --when-pct PCT or --none");
            }
            store.set_release_rule(id, when_pct, &actor).await?;
            match when_pct {
                Some(p) => writeln!(out, "round {id} releases an item automatically once {p} % of its tasks are approved")?,
                None => writeln!(out, "round {id} releases only by hand")?,
            }
        }
        RoundCmd::Review { task, approve, return_it, comment } => {
            if approve == return_it {
                anyhow::bail!("give --approve or --return");
            }
            let (status, rolled) = store.review(task, approve, &comment, &actor).await?;
            match rolled {
                Some(r) => writeln!(
                    out,
                    "task {task}: {} ({} areas above recomputed, {} derived values written; public only when released: \
                     `rightstat round releases`)",
                    status.as_str(),
                    r.areas,
                    r.written
                )?,
                None => writeln!(out, "task {task}: {}", status.as_str())?,
            }
        }
        RoundCmd::Completeness { round, by } => {
            let id = round_id(store, &round).await?;
            writeln!(
                out,
                "{:<10} {:<24} {:>8} {:>8} {:>8} {:>8} {:>13} {:>11}",
                "DEPT", "AREA", "EXPECTED", "RECEIVED", "ON TIME", "APPROVED", "COMPLETENESS", "TIMELINESS"
            )?;
            for c in store.completeness(id, by).await? {
                let k = c.completeness;
                let area = if c.area.is_empty() { "all".to_string() } else { format!("{} {}", c.area, c.area_name) };
                writeln!(
                    out,
                    "{:<10} {:<24} {:>8} {:>8} {:>8} {:>8} {:>12.1}% {:>10.1}%",
                    c.department, area, k.expected, k.received, k.on_time, k.approved, c.completeness_pct, c.timeliness_pct
                )?;
            }
        }
        RoundCmd::Discrepancies { round, differing, csv } => {
            let id = round_id(store, &round).await?;
            let rows: Vec<_> = store.discrepancies(id, None).await?.into_iter().filter(|d| d.differs || !differing).collect();
            let num = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
            if csv {
                let mut w = csv::Writer::from_writer(Vec::new());
                w.write_record([
                    "indicator",
                    "area",
                    "period",
                    "cell",
                    "preferred_department",
                    "preferred_value",
                    "other_department",
                    "other_value",
                    "difference",
                    "difference_pct",
                ])?;
                for d in &rows {
                    w.write_record([
                        &d.indicator,
                        &d.area,
                        &d.period,
                        &d.cell_key,
                        &d.preferred_department,
                        &num(d.preferred_value),
                        &d.other_department,
                        &num(d.other_value),
                        &num(d.difference),
                        &num(d.difference_pct),
                    ])?;
                }
                out.write_all(&w.into_inner()?)?;
            } else {
                writeln!(
                    out,
                    "{:<22} {:<8} {:<6} {:<22} {:>14} {:>14} {:>10}",
                    "INDICATOR", "AREA", "PERIOD", "CELL", "PREFERRED", "OTHER", "DIFF %"
                )?;
                for d in &rows {
                    let pct = match (d.differs, d.difference_pct) {
                        (false, _) => "agree".to_string(),
                        (true, Some(p)) => format!("{p:+.1}"),
                        (true, None) => "-".into(),
                    };
                    writeln!(
                        out,
                        "{:<22} {:<8} {:<6} {:<22} {:>14} {:>14} {:>10}",
                        d.indicator,
                        d.area,
                        d.period,
                        d.cell_key.trim_matches('|'),
                        format!("{} {}", num(d.preferred_value), d.preferred_department),
                        format!("{} {}", num(d.other_value), d.other_department),
                        pct
                    )?;
                }
                writeln!(out, "{} figures from a second source, {} differ", rows.len(), rows.iter().filter(|d| d.differs).count())?;
            }
        }
        RoundCmd::History { task } => {
            let events = store.task_events(task).await?;
            for e in &events {
                writeln!(out, "{} {:<10} {:<8} {}", e.at, e.actor, e.action, e.comment)?;
            }
            let t = store.task(task).await?.with_context(|| format!("no task {task}"))?;
            writeln!(out, "\nfigures (when, by whom, old → new, why):")?;
            let num = |v: Option<f64>| v.map_or("—".to_string(), |x| x.to_string());
            for c in store.task_value_history(&t, &events).await? {
                let figure = format!("{} {} {}", c.indicator, c.period, c.cell_key);
                let change = match c.previous {
                    Some(_) => format!("{} → {}", num(c.previous), num(c.value)),
                    None => num(c.value),
                };
                let why = if c.reason.is_empty() { String::new() } else { format!(" ({})", c.reason) };
                writeln!(out, "{} {:<10} {figure:<40} {change} [{}]{why}", c.recorded_at, c.recorded_by, c.provenance)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
