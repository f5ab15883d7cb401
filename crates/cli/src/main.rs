//! `rightstat`: the command-line entry point. Parses arguments, opens the store, calls the
//! library crates and turns their results into output and exit codes (0 ok, 1 bad data or
//! failure, 2 bad usage).

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use rightstat_core::area::AreaLevel;
use rightstat_store::formats::{Format, write_observations};
use rightstat_store::{ImportOptions, ObservationFilter, Store};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

mod account_cmd;
mod benchmark_cmd;
mod catalog_cmd;
mod dialogue_cmd;
mod evaluate_cmd;
mod glossary_cmd;
mod poverty_cmd;
mod recommendation_cmd;
mod report_cmd;
mod retrogression_cmd;
mod round_cmd;
mod validate_cmd;

/// RightStat: human-rights statistics and treaty reporting.
///
/// Keeps the list of data to collect (the indicator catalogue), the area hierarchy and the
/// observations with their units, status, sources and every revision, in an embedded SQLite
/// file or a PostgreSQL database.
#[derive(Parser, Debug)]
#[command(name = "rightstat", version)]
struct Cli {
    /// Database: a SQLite file (sqlite://FILE or a path, created if missing) or postgres://...
    #[arg(long, global = true, env = "RIGHTSTAT_DB", default_value = "sqlite://rightstat.db")]
    db: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the HTTP server (JSON API under /api/v1, OpenAPI at /api/v1/openapi.json).
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// Load the demo data (China's official poverty series 2010-2022, the statistical
        /// annex of the third ICESCR periodic report, China's UPR recommendations of cycles 1
        /// and 2 clustered and linked to measures and indicators), open a demo collection round
        /// over the counties of Hebei, and create one demo user per role (admin, coordinator,
        /// reporter, reviewer, analyst; password rightstat-demo).
        #[arg(long)]
        demo: bool,
        /// Mark cookies Secure: set this when users reach the server over HTTPS (behind a
        /// TLS-terminating proxy).
        #[arg(long)]
        secure_cookies: bool,
        /// Disclosure control on the public portal, downloads, SDMX and the public API:
        /// counts of people below this are withheld, and what would reveal them.
        #[arg(long, default_value_t = 10.0)]
        min_count: f64,
        /// Web origins whose pages may read the public open data (SDMX, portal downloads,
        /// public API reads) across origins (CORS), e.g. https://data.example.org; `*` for
        /// any (the default: the data are public and no credentials are shared), `none` for none.
        #[arg(long = "cors-origin", value_name = "ORIGIN", default_values_t = ["*".to_string()], env = "RIGHTSTAT_CORS_ORIGINS", value_delimiter = ',')]
        cors_origins: Vec<String>,
    },
    /// Create the database (or bring it up to date) and load the reference content:
    /// codelists, units, areas down to counties, departments, ICESCR, SDG and the catalogue.
    Init {
        /// Also load the demo data, recommendations, round and users (as `serve --demo`).
        #[arg(long)]
        demo: bool,
    },
    /// Import data from a file.
    #[command(subcommand)]
    Import(ImportCmd),
    /// Export data to standard output or a file.
    #[command(subcommand)]
    Export(ExportCmd),
    /// The indicator catalogue ("the list of data to collect").
    #[command(subcommand)]
    Catalog(CatalogCmd),
    /// The area hierarchy.
    #[command(subcommand)]
    Areas(AreasCmd),
    /// User accounts and their roles over areas.
    #[command(subcommand)]
    User(account_cmd::UserCmd),
    /// API tokens for machine submission.
    #[command(subcommand)]
    Token(account_cmd::TokenCmd),
    /// The tamper-evident audit trail.
    #[command(subcommand)]
    Audit(account_cmd::AuditCmd),
    /// Poverty and inequality measures from household or person microdata (CSV or Parquet),
    /// by any breakdown with all its margins; with --publish-as, stored as computed
    /// observations with small cells suppressed.
    ///
    /// Scales: fgt*, watts, decile shares: proportions; arpr, rmpg: percent; gini in [0, 1].
    Poverty(poverty_cmd::PovertyArgs),
    /// Alkire-Foster multidimensional poverty (H, A, M0, headcounts, contributions) from a
    /// specification: a TOML file or a shipped one (global-mpi, china-2a3g).
    Mpi(poverty_cmd::MpiArgs),
    /// Recommendations of the UN mechanisms (UPR, treaty bodies).
    #[command(subcommand)]
    Recommendations(recommendation_cmd::RecommendationsCmd),
    /// Check a data file as a submission would be checked (row checks, the rules of each
    /// indicator's definition and the declared rules), without writing anything. Exit status 1
    /// when there are errors.
    Validate(validate_cmd::ValidateArgs),
    /// Draft a report from the data and registers (gaps: the breakdowns the committees ask for
    /// and which are missing; loi-replies and briefing: the constructive dialogue), in English
    /// or Chinese, as HTML, Markdown, Word (DOCX) or PDF.
    Report(report_cmd::ReportArgs),
    /// The glossary of local policy terms the reports explain in footnotes.
    #[command(subcommand)]
    Glossary(glossary_cmd::GlossaryCmd),
    /// Where the State stands on an article, computed from the published national figures:
    /// each series' progress (compound annual rate from the first comparable year, or the
    /// annual difference at zero; never across a break in series), a retrogressive latest
    /// step, and the rural–urban and women–men gaps with their direction.
    Evaluate(evaluate_cmd::EvaluateArgs),
    /// National benchmarks (targets) for indicators: import a CSV (all or nothing; a changed
    /// target adds a version), list those in force or every version, export as CSV.
    #[command(subcommand)]
    Benchmarks(benchmark_cmd::BenchmarkCmd),
    /// Retrogression cases: each retrogressive step of a published national series, for the
    /// indicator's department to answer the Committee's questions (list; answer from a JSON file).
    #[command(subcommand)]
    Retrogression(retrogression_cmd::RetrogressionCmd),
    /// The constructive dialogue: the Committee's list of issues, for the replies
    /// (`report loi-replies`) and the delegation's briefing book (`report briefing`).
    #[command(subcommand)]
    Dialogue(dialogue_cmd::DialogueCmd),
    /// Collection rounds: the list of data to collect, tasks, submissions, review.
    #[command(subcommand)]
    Round(round_cmd::RoundCmd),
    /// The measures register: policies and programmes and what they answer.
    #[command(subcommand)]
    Measures(recommendation_cmd::MeasuresCmd),
    /// Make an import's figures public (`publish BATCH`), or write the public portal as a
    /// static site (`publish --out DIR`): every page, chart and download, under disclosure
    /// control, ready for any web server or CDN.
    #[command(group(clap::ArgGroup::new("what").required(true).args(["batch", "out"])))]
    Publish {
        /// The batch id an import reported.
        batch: Option<i64>,
        /// Write the public portal into this directory (created if missing).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Disclosure control: counts of people below this are withheld.
        #[arg(long, default_value_t = 10.0)]
        min_count: f64,
    },
    /// Roll published figures up the area hierarchy as an approval does (sums, weighted means,
    /// ratios and formulas; reported parent figures kept), e.g. after a bulk import of county
    /// data: rightstat rollup --indicator CN_RURAL_POOR_POP --period 2023
    Rollup {
        /// Indicators whose figures changed (what is computed from them follows).
        #[arg(long = "indicator", required = true)]
        indicators: Vec<String>,
        #[arg(long = "period", required = true)]
        periods: Vec<String>,
        /// The level whose figures are rolled up.
        #[arg(long, default_value = "county")]
        level: AreaLevel,
        /// Only the areas at that level below this one.
        #[arg(long, default_value = "CN")]
        area: String,
    },
}

#[derive(Subcommand, Debug)]
enum ImportCmd {
    /// Import observations, all or nothing: any bad row and nothing is written; every bad row
    /// is reported with file, row, column, value and what was expected.
    ///
    /// CSV columns: indicator, area, period, value, and optionally status (A/E/P/O/Q), unit,
    /// unit_mult, source, footnote and one column per dimension (SEX, URBANISATION, ...; _T or
    /// empty for the total). SDMX-CSV: STRUCTURE, STRUCTURE_ID, ACTION, INDICATOR, REF_AREA,
    /// dimensions, TIME_PERIOD, OBS_VALUE, UNIT_MEASURE, UNIT_MULT, OBS_STATUS, SOURCE_DETAIL,
    /// COMMENT_OBS. A value for a key that already has one is a revision: the earlier vintage
    /// is kept and stays queryable.
    Observations {
        /// The file to import.
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = InFormat::Csv)]
        format: InFormat,
        /// Check everything and report, but write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Why the data are loaded or revised (kept in the audit trail).
        #[arg(long, default_value = "")]
        reason: String,
    },
}

#[derive(Subcommand, Debug)]
enum ExportCmd {
    /// Export current observations (with units, multipliers, status and sources).
    Observations {
        /// Indicator code (repeat for several).
        #[arg(long)]
        indicator: Vec<String>,
        /// Area code; with --level, the areas at that level below it.
        #[arg(long)]
        area: Option<String>,
        #[arg(long)]
        level: Option<AreaLevel>,
        /// First period, e.g. 2012.
        #[arg(long)]
        from: Option<rightstat_core::Period>,
        /// Last period.
        #[arg(long)]
        to: Option<rightstat_core::Period>,
        #[arg(long, value_enum, default_value_t = OutFormat::Csv)]
        format: OutFormat,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum CatalogCmd {
    /// List every indicator.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one indicator's full definition.
    Show {
        code: String,
        /// A past version of the definition.
        #[arg(long)]
        version: Option<i64>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
enum AreasCmd {
    /// Load areas from a division-code CSV (e.g. data/admin-divisions-cn-2023/streets.csv),
    /// all or nothing. Columns: code, name, and optionally name_en, parent (or the NBS file's
    /// areaCode/cityCode column), valid_from, valid_to.
    Import {
        file: PathBuf,
        #[arg(long)]
        level: AreaLevel,
    },
    /// Show an area and its children.
    Show { code: String },
    /// Record that an area was merged into or split off to a successor from a date.
    Succession {
        predecessor: String,
        successor: String,
        /// First day the successor holds the predecessor's figures (YYYY-MM-DD).
        #[arg(long)]
        date: String,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum InFormat {
    Csv,
    SdmxCsv,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum OutFormat {
    Csv,
    SdmxCsv,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = if matches!(cli.command, Command::Serve { .. }) { "info" } else { "warn" };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default_level.into()))
        .with_writer(std::io::stderr)
        // Colour only on a terminal: a log written to a file has no escape codes.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        let outcome = run(cli).await;
        // Every database this command opened is closed before the process ends, so SQLite
        // checkpoints its log: a file left needing recovery cannot be opened read-only.
        let opened: Vec<Store> = OPENED.lock().map(|mut o| std::mem::take(&mut *o)).unwrap_or_default();
        for s in opened {
            s.close().await;
        }
        outcome
    });
    match outcome {
        Ok(code) => code,
        // `rightstat export ... | head` closes the pipe early: that is not a failure.
        Err(e) if e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)) => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Opens the database, loading the reference content into a new one.
/// The demo: official series and annex, UPR recommendations with follow-up, a collection
/// round, and one user per role.
async fn load_demo(store: &Store) -> Result<()> {
    let (series, annex) = store.load_demo().await?;
    store.load_demo_follow_up().await?;
    store.load_demo_round().await?;
    store.create_demo_users().await?;
    tracing::info!(series = series.inserted, annex = annex.inserted, "demo data and users loaded");
    Ok(())
}

/// The stores this process opened, closed at its end.
static OPENED: std::sync::Mutex<Vec<Store>> = std::sync::Mutex::new(Vec::new());

pub(crate) fn remember(store: Store) -> Store {
    if let Ok(mut o) = OPENED.lock() {
        o.push(store.clone());
    }
    store
}

/// For commands that only read (the catalogue, the audit trail): works on a read-only file
/// system and never changes the database.
/// A database that does not exist yet, or is older than this program, is opened as by any
/// other command (created and seeded, or upgraded), which needs it writable.
async fn open_read(db: &str) -> Result<Store> {
    use rightstat_store::StoreError;
    match Store::connect_read_only(db).await.map(remember) {
        Ok(s) if !s.indicators().await?.is_empty() => Ok(s),
        Ok(_) | Err(StoreError::NotFound(_) | StoreError::Invalid(_)) => open(db).await,
        Err(e) => Err(e).with_context(|| format!("cannot open database {db} to read it")),
    }
}

async fn open(db: &str) -> Result<Store> {
    let store = remember(Store::connect(db).await.with_context(|| format!("cannot open database {db}"))?);
    if store.indicators().await?.is_empty() {
        store.seed_reference().await.context("loading reference content")?;
    }
    Ok(store)
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Init { demo } => {
            let store = remember(Store::connect(&cli.db).await.with_context(|| format!("cannot open database {}", cli.db))?);
            store.seed_reference().await?;
            if demo {
                load_demo(&store).await?;
            }
            let counts = store.area_counts().await?;
            println!(
                "database ready: {} indicators, areas {}",
                store.indicators().await?.len(),
                counts.iter().map(|(l, n)| format!("{l} {n}")).collect::<Vec<_>>().join(", ")
            );
        }
        Command::Serve { addr, demo, secure_cookies, min_count, cors_origins } => {
            let store = open(&cli.db).await?;
            if demo {
                load_demo(&store).await?;
            }
            rightstat_server::serve(
                store,
                rightstat_server::Config {
                    secure_cookies,
                    disclosure: rightstat_core::disclosure::Rules { min_count, ..Default::default() },
                    cors_origins: cors_origins.into_iter().filter(|o| o != "none").collect(),
                    ..Default::default()
                },
                addr,
                |a| {
                    println!("RightStat listening on http://{a}/ (API: http://{a}/api/v1/indicators)");
                },
            )
            .await
            .with_context(|| format!("cannot serve on {addr}"))?;
        }
        Command::Import(ImportCmd::Observations { file, format, dry_run, json, reason }) => {
            let store = open(&cli.db).await?;
            let bytes = std::fs::read(&file).with_context(|| format!("cannot open {}", file.display()))?;
            let mut opts = ImportOptions::new(
                file.display().to_string(),
                match format {
                    InFormat::Csv => Format::Csv,
                    InFormat::SdmxCsv => Format::SdmxCsv,
                },
            );
            opts.dry_run = dry_run;
            opts.actor = rightstat_store::Actor::cli();
            opts.reason = reason;
            // The same checks as `rightstat validate` (the shipped rules): errors refuse the
            // file, warnings are printed; a dry run meets the same findings and counts.
            let rules = rightstat_core::validation::RuleSet::parse(rightstat_core::reference::VALIDATION_RULES)?;
            let report = store.import_checked(bytes, opts, &rules).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else if report.is_ok() {
                print_import_findings(&mut std::io::stdout().lock(), &file, &report)?;
                let verb = if dry_run { "checked (dry run, nothing written)" } else { "imported" };
                println!(
                    "{}: {} rows {verb}: {} new values, {} revisions, {} unchanged{}",
                    file.display(),
                    report.rows,
                    report.inserted,
                    report.revised,
                    report.unchanged,
                    report
                        .batch_id
                        .filter(|_| report.inserted > 0)
                        .map(|b| format!(" (batch {b}, unpublished: `rightstat publish {b}`)"))
                        .unwrap_or_default()
                );
                if !report.revised_released.is_empty() {
                    println!("{} released figure(s) revised:", report.revised_released.len());
                    for r in &report.revised_released {
                        println!("  {r}");
                    }
                }
            } else {
                for e in &report.errors {
                    eprintln!("{e}");
                }
                print_import_findings(&mut std::io::stderr().lock(), &file, &report)?;
                if report.error_count > report.errors.len() as u64 {
                    eprintln!("... and {} more", report.error_count - report.errors.len() as u64);
                }
                eprintln!("{} error(s) in {} rows; nothing was imported", report.error_count, report.rows);
            }
            if !report.is_ok() {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Export(ExportCmd::Observations { indicator, area, level, from, to, format, out }) => {
            let store = open(&cli.db).await?;
            for code in &indicator {
                if store.indicator(code, None).await?.is_none() {
                    bail!("unknown indicator {code} (see `rightstat catalog list`)");
                }
            }
            if let Some(a) = &area
                && store.area(a).await?.is_none()
            {
                bail!("unknown area {a}");
            }
            let filter = ObservationFilter { indicators: indicator, area, level, period_from: from, period_to: to, ..Default::default() };
            let rows = store.observations(&filter).await?;
            // Dimension columns: those of the exported indicators, in codelist order.
            let mut used = std::collections::BTreeSet::new();
            for r in &rows {
                used.extend(r.cell.keys().cloned());
            }
            let dims: Vec<String> = store.codelists().await?.into_iter().map(|c| c.id).filter(|d| used.contains(d)).collect();
            let format = match format {
                OutFormat::Csv => Format::Csv,
                OutFormat::SdmxCsv => Format::SdmxCsv,
                OutFormat::Json => Format::Json,
            };
            match out {
                Some(path) => {
                    let f = std::fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
                    write_observations(std::io::BufWriter::new(f), format, &rows, &dims)?;
                    eprintln!("{} observations written to {}", rows.len(), path.display());
                }
                None => {
                    let stdout = std::io::stdout();
                    write_observations(stdout.lock(), format, &rows, &dims)?;
                }
            }
        }
        Command::Catalog(CatalogCmd::List { json }) => {
            let store = open_read(&cli.db).await?;
            catalog_cmd::list(&store.indicators().await?, json)?;
        }
        Command::Catalog(CatalogCmd::Show { code, version, json }) => {
            let store = open_read(&cli.db).await?;
            let Some(row) = store.indicator(&code, version).await? else {
                bail!("unknown indicator {code} (see `rightstat catalog list`)");
            };
            let (units, _) = store.units().await?;
            catalog_cmd::show(&row, &units, json)?;
        }
        Command::Areas(AreasCmd::Import { file, level }) => {
            let store = open(&cli.db).await?;
            let f = std::fs::File::open(&file).with_context(|| format!("cannot open {}", file.display()))?;
            let bar = progress_bar(f.metadata().map(|m| m.len()).unwrap_or(0));
            match store.import_areas(bar.wrap_read(f), level, &file.display().to_string(), &rightstat_store::Actor::cli()).await? {
                Ok(n) => {
                    bar.finish_and_clear();
                    println!("{}: {n} {level} areas loaded", file.display());
                }
                Err(errors) => {
                    bar.finish_and_clear();
                    for e in errors.iter().take(100) {
                        eprintln!("{}: row {}, column {}: found {:?}, expected {}", file.display(), e.row, e.column, e.value, e.expected);
                    }
                    eprintln!("{} error(s); nothing was loaded", errors.len());
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        Command::Areas(AreasCmd::Show { code }) => {
            let store = open(&cli.db).await?;
            let Some(a) = store.area(&code).await? else { bail!("unknown area {code}") };
            let mut out = std::io::stdout().lock();
            writeln!(out, "{} {} {} ({})", a.code, a.name_zh, a.name_en.as_deref().unwrap_or(""), a.level)?;
            if let Some(p) = &a.parent {
                writeln!(out, "parent: {p}")?;
            }
            if a.valid_from.is_some() || a.valid_to.is_some() {
                writeln!(out, "valid: {} to {}", a.valid_from.as_deref().unwrap_or("…"), a.valid_to.as_deref().unwrap_or("…"))?;
            }
            if !a.successors.is_empty() {
                writeln!(out, "successors: {}", a.successors.join(", "))?;
            }
            for c in store.children(&code, None).await? {
                writeln!(out, "  {} {} {}", c.code, c.name_zh, c.name_en.as_deref().unwrap_or(""))?;
            }
        }
        Command::Areas(AreasCmd::Succession { predecessor, successor, date }) => {
            let store = open(&cli.db).await?;
            store.add_successor(&predecessor, &successor, &date, &rightstat_store::Actor::cli()).await?;
            println!("{predecessor} → {successor} from {date}");
        }
        Command::Poverty(a) => return poverty_cmd::poverty(&cli.db, a).await,
        Command::Mpi(a) => return poverty_cmd::mpi(&cli.db, a).await,
        Command::User(cmd) => return account_cmd::user(&open(&cli.db).await?, cmd).await,
        Command::Token(cmd) => return account_cmd::token(&open(&cli.db).await?, cmd).await,
        Command::Audit(cmd) => return account_cmd::audit(&open_read(&cli.db).await?, cmd).await,
        Command::Recommendations(cmd) => return recommendation_cmd::recommendations(&open(&cli.db).await?, cmd).await,
        Command::Validate(a) => return validate_cmd::validate(&open(&cli.db).await?, a).await,
        Command::Report(a) => report_cmd::report(&open(&cli.db).await?, a).await?,
        Command::Glossary(cmd) => glossary_cmd::run(&open(&cli.db).await?, cmd, &rightstat_store::Actor::cli()).await?,
        Command::Evaluate(a) => evaluate_cmd::evaluate(&open(&cli.db).await?, a).await?,
        Command::Benchmarks(cmd) => return benchmark_cmd::run(&open(&cli.db).await?, cmd, &rightstat_store::Actor::cli()).await,
        Command::Retrogression(cmd) => return retrogression_cmd::run(&open(&cli.db).await?, cmd, &rightstat_store::Actor::cli()).await,
        Command::Dialogue(cmd) => return dialogue_cmd::run(&open(&cli.db).await?, cmd, &rightstat_store::Actor::cli()).await,
        Command::Round(cmd) => return round_cmd::run(&open(&cli.db).await?, cmd).await,
        Command::Measures(cmd) => return recommendation_cmd::measures(&open(&cli.db).await?, cmd).await,
        Command::Publish { batch: Some(batch), .. } => {
            let store = open(&cli.db).await?;
            let b = store.publish_batch(batch, &rightstat_store::Actor::cli()).await?;
            println!("batch {} ({}, {} values) published at {}", b.id, b.source_name, b.rows, b.published_at.unwrap_or_default());
        }
        Command::Publish { out: Some(dir), min_count, .. } => {
            let store = open(&cli.db).await?;
            let rules = rightstat_core::disclosure::Rules { min_count, ..Default::default() };
            let started = std::time::Instant::now();
            let site = rightstat_portal::Site::load(&store, rules).await?;
            let (files, bytes) = site.export(&dir).await?;
            println!(
                "{files} files ({:.1} MB) written to {} in {:.2} s; {} figures withheld by disclosure control",
                bytes as f64 / 1e6,
                dir.display(),
                started.elapsed().as_secs_f64(),
                site.withheld()
            );
        }
        Command::Publish { .. } => unreachable!("clap requires a batch or --out"),
        Command::Rollup { indicators, periods, level, area } => {
            let store = open(&cli.db).await?;
            let areas: Vec<String> = store.descendants(&area, level, None).await?.into_iter().map(|a| a.code).collect();
            if areas.is_empty() {
                anyhow::bail!("no {level} areas below {area}");
            }
            let started = std::time::Instant::now();
            let r = store.roll_up(&indicators, &periods, &areas, &rightstat_store::Actor::cli()).await?;
            println!(
                "{} {level} areas rolled up in {:.2} s: {} areas above recomputed, {} values written, {} unchanged, {} reported figures kept{}",
                areas.len(),
                started.elapsed().as_secs_f64(),
                r.areas,
                r.written,
                r.unchanged,
                r.reported_kept,
                r.batch_id.map(|b| format!(" (batch {b}, unreleased: `rightstat publish {b}`)")).unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What the rules found in an imported file, printed as `validate` prints it.
fn print_import_findings(out: &mut impl std::io::Write, file: &std::path::Path, report: &rightstat_store::ImportReport) -> Result<()> {
    let shown = rightstat_store::validation::ValidationReport {
        file: file.display().to_string(),
        rows: report.rows,
        row_errors: Vec::new(),
        findings: report.findings.clone(),
    };
    crate::validate_cmd::print_findings(out, &shown)
}

/// A byte progress bar on a terminal; hidden otherwise (indicatif checks stderr).
fn progress_bar(len: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}") {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod tests {
    #[test]
    fn command_line_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
