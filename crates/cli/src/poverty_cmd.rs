//! `rightstat poverty` and `rightstat mpi`: measures from microdata, printed or published.

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use rightstat_poverty::{Conventions, Dataset, Line, LoadSpec, MpiSpec, PoorIf, Request, ResultRow, compute, compute_mpi_report};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OutFormat {
    Table,
    Csv,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum NegativeArg {
    /// Use as they are (R laeken, World Bank): a gap above 1.
    Keep,
    /// Set to zero.
    Zero,
    /// Leave those records out.
    Drop,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PoorIfArg {
    /// y < z (World Bank, Eurostat, R laeken)
    Lt,
    /// y <= z (R convey)
    Le,
}

/// What both commands share: the file, weights, breakdown, design, output, publishing.
#[derive(Args, Debug)]
pub struct Common {
    /// Person or household records, CSV or Parquet (by extension).
    pub file: PathBuf,
    /// Sampling or expansion weight (omit for a full registry: every record counts once).
    #[arg(long)]
    pub weight: Option<String>,
    /// Household size: a household record then counts as that many persons.
    #[arg(long)]
    pub size: Option<String>,
    /// Count each household once instead of its persons (with --size).
    #[arg(long)]
    pub household_weighting: bool,
    /// Breakdown columns, comma-separated; every margin (_T) is included.
    #[arg(long, value_delimiter = ',')]
    pub by: Vec<String>,
    /// Survey design for standard errors: stratum and PSU columns (none for a registry).
    #[arg(long)]
    pub strata: Option<String>,
    #[arg(long)]
    pub psu: Option<String>,
    #[arg(long, value_enum, default_value_t = OutFormat::Table)]
    pub format: OutFormat,
    /// Store the results as observations of this catalogue indicator (one measure only),
    /// marked as computed, with small cells suppressed.
    #[arg(long)]
    pub publish_as: Option<String>,
    /// With --publish-as: the area of the results (e.g. CN), or of the margins over --area-col.
    #[arg(long)]
    pub area: Option<String>,
    /// With --publish-as: a breakdown column holding area codes.
    #[arg(long)]
    pub area_col: Option<String>,
    /// With --publish-as: the reference period (e.g. 2024).
    #[arg(long)]
    pub period: Option<String>,
    /// With --publish-as: cells resting on fewer records are suppressed (status Q).
    #[arg(long, default_value_t = 10)]
    pub min_cell: u64,
}

#[derive(Args, Debug)]
pub struct PovertyArgs {
    #[command(flatten)]
    pub common: Common,
    /// Welfare column (income or consumption per person or per equivalent adult).
    #[arg(long)]
    pub welfare: String,
    /// Poverty line: a value, relative:FRACTION:median or relative:FRACTION:mean.
    #[arg(long)]
    pub line: Option<String>,
    /// A CSV of lines (columns key,line), one per value of --line-key (a year, an area).
    #[arg(long)]
    pub line_file: Option<PathBuf>,
    #[arg(long)]
    pub line_key: Option<String>,
    /// Measures, comma-separated: fgt0 fgt1 fgt2 watts mean median pNN deciles s80s20 gini
    /// theil mld arpr arpt rmpg line.
    #[arg(long, value_delimiter = ',', default_value = "fgt0,fgt1,fgt2,watts,mean,median,gini")]
    pub measures: Vec<String>,
    #[arg(long, value_enum, default_value_t = PoorIfArg::Lt)]
    pub poor_if: PoorIfArg,
    /// Relative lines and the at-risk threshold from each group's own median/mean.
    #[arg(long)]
    pub relative_per_group: bool,
    /// Negative welfare values (e.g. business losses).
    #[arg(long, value_enum, default_value_t = NegativeArg::Keep)]
    pub negative: NegativeArg,
    /// Also decompose Theil's T and the MLD between and within the groups of each --by column
    /// (printed after the measures; JSON with --format json, else CSV).
    #[arg(long)]
    pub decompose: bool,
    /// Read a Parquet file in passes instead of loading it, holding at most --memory-gib of
    /// records at a time (for files larger than memory: a census). Same results; deciles,
    /// s80s20, rmpg, line files, per-group lines and standard errors need the file in memory.
    #[arg(long)]
    pub stream: bool,
    /// With --stream: the memory for records, in GiB.
    #[arg(long, default_value_t = 4.0)]
    pub memory_gib: f64,
}

#[derive(Args, Debug)]
pub struct MpiArgs {
    #[command(flatten)]
    pub common: Common,
    /// A specification file (TOML), or a shipped one: global-mpi, china-2a3g.
    #[arg(long)]
    pub spec: String,
}

fn progress_bar() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner();
    if let Ok(s) = indicatif::ProgressStyle::with_template("{spinner} reading {msg}") {
        bar.set_style(s);
    }
    bar
}

/// The columns to read, from the command line.
fn spec(c: &Common, welfare: Option<String>, numeric: Vec<String>, line_key: Option<String>) -> LoadSpec {
    LoadSpec {
        welfare,
        weight: c.weight.clone(),
        size: c.size.clone(),
        by: c.by.clone(),
        strata: c.strata.clone(),
        psu: c.psu.clone(),
        numeric,
        line_key,
        household_weighting: c.household_weighting,
    }
}

fn load(c: &Common, welfare: Option<String>, numeric: Vec<String>, line_key: Option<String>) -> Result<Dataset> {
    let spec = spec(c, welfare, numeric, line_key);
    let bar = progress_bar();
    let ds = Dataset::load(&c.file, &spec, &|n| bar.set_message(format!("{n}")))?;
    bar.finish_and_clear();
    Ok(ds)
}

fn fmt(v: f64) -> String {
    if v.is_nan() { String::new() } else { format!("{v}") }
}

fn print(rows: &[ResultRow], by: &[String], format: OutFormat) -> Result<()> {
    let design = rows.iter().any(|r| r.se.is_some());
    let mut out = std::io::stdout().lock();
    match format {
        OutFormat::Json => {
            serde_json::to_writer_pretty(&mut out, rows)?;
            writeln!(out)?;
        }
        OutFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            let mut h: Vec<&str> = by.iter().map(String::as_str).collect();
            h.extend(["measure", "value", "n_obs", "sum_weight"]);
            if design {
                h.push("se");
            }
            w.write_record(&h)?;
            for r in rows {
                for k in &r.keys {
                    w.write_field(k)?;
                }
                w.write_field(&r.measure)?;
                w.write_field(fmt(r.value))?;
                w.write_field(r.n_obs.to_string())?;
                w.write_field(fmt(r.sum_weight))?;
                if design {
                    w.write_field(r.se.map(fmt).unwrap_or_default())?;
                }
                w.write_record(None::<&[u8]>)?;
            }
            w.flush()?;
        }
        OutFormat::Table => {
            for b in by {
                write!(out, "{b:<14} ")?;
            }
            writeln!(
                out,
                "{:<22} {:>16} {:>10} {:>16}{}",
                "measure",
                "value",
                "n_obs",
                "sum_weight",
                if design { "               se" } else { "" }
            )?;
            for r in rows {
                for k in &r.keys {
                    write!(out, "{k:<14} ")?;
                }
                write!(out, "{:<22} {:>16.6} {:>10} {:>16.1}", r.measure, r.value, r.n_obs, r.sum_weight)?;
                if let Some(se) = r.se {
                    write!(out, " {se:>16.6}")?;
                }
                writeln!(out)?;
            }
        }
    }
    Ok(())
}

fn read_line_file(path: &Path) -> Result<HashMap<String, f64>> {
    let mut rdr = csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut out = HashMap::new();
    for (i, r) in rdr.records().enumerate() {
        let r = r?;
        let (Some(k), Some(v)) = (r.get(0), r.get(1)) else { bail!("{}, row {}: expected key,line", path.display(), i + 2) };
        let z: f64 =
            v.trim().parse().with_context(|| format!("{}, row {}, column line: found {v:?}, expected a number", path.display(), i + 2))?;
        out.insert(k.trim().to_string(), z);
    }
    Ok(out)
}

pub async fn poverty(db: &str, a: PovertyArgs) -> Result<ExitCode> {
    let line = match (&a.line, &a.line_file) {
        (Some(_), Some(_)) => bail!("give --line or --line-file, not both"),
        (Some(l), None) => Some(l.parse::<Line>()?),
        (None, Some(f)) => Some(Line::PerKey(read_line_file(f)?)),
        (None, None) => None,
    };
    if a.line_file.is_some() && a.line_key.is_none() {
        bail!("--line-file needs --line-key (the column whose value selects the line)");
    }
    if a.decompose && a.common.by.is_empty() {
        bail!("--decompose needs a breakdown (--by): the groups to decompose between and within");
    }
    let measures = a.measures.iter().map(|m| m.parse()).collect::<Result<Vec<_>, _>>()?;
    let conventions = Conventions {
        poor_if: match a.poor_if {
            PoorIfArg::Lt => PoorIf::Below,
            PoorIfArg::Le => PoorIf::AtOrBelow,
        },
        relative_per_group: a.relative_per_group,
        ..Default::default()
    };
    let negative = match a.negative {
        NegativeArg::Keep => rightstat_poverty::Negative::Keep,
        NegativeArg::Zero => rightstat_poverty::Negative::Zero,
        NegativeArg::Drop => rightstat_poverty::Negative::Drop,
    };
    if a.stream {
        return poverty_streamed(db, a, Request { measures, line, conventions }, negative).await;
    }
    let mut ds = load(&a.common, Some(a.welfare.clone()), Vec::new(), a.line_key.clone())?;
    let negatives = ds.handle_negative(negative);
    if negatives > 0 {
        eprintln!("{negatives} record(s) with negative {}: {:?} (see --negative)", a.welfare, a.negative);
    }
    let rows = compute(&ds, &Request { measures, line, conventions })?;
    let method = method(&a);
    let decompositions: Vec<rightstat_poverty::decompose::Decomposition> =
        if a.decompose { (0..ds.by.len()).flat_map(|b| rightstat_poverty::decompose::decompose(&ds, b)).collect() } else { Vec::new() };
    let code = finish(db, &a.common, &rows, &method).await?;
    if a.decompose {
        print_decompositions(&decompositions, a.common.format)?;
    }
    Ok(code)
}

/// `--stream`: the file read in passes.
async fn poverty_streamed(db: &str, a: PovertyArgs, req: Request, negative: rightstat_poverty::Negative) -> Result<ExitCode> {
    if a.decompose {
        bail!("--decompose needs the file in memory: leave out --stream");
    }
    if a.line_file.is_some() || a.common.strata.is_some() || a.common.psu.is_some() {
        bail!("line files and standard errors need the file in memory: leave out --stream");
    }
    if !matches!(a.common.file.extension().and_then(|e| e.to_str()), Some("parquet" | "pq")) {
        bail!("--stream reads Parquet files ({} is not .parquet)", a.common.file.display());
    }
    if a.memory_gib.is_nan() || a.memory_gib <= 0.0 {
        bail!("--memory-gib must be above 0");
    }
    let spec = spec(&a.common, Some(a.welfare.clone()), Vec::new(), None);
    let bar = progress_bar();
    let tick = |pass: usize, of: usize, rows: u64| {
        let of = if of == 0 { String::new() } else { format!(" of {of}") };
        bar.set_message(format!("{}, pass {pass}{of}: {rows} records", a.common.file.display()));
        bar.tick();
    };
    let memory = (a.memory_gib * (1u64 << 30) as f64) as usize;
    let (rows, report) = rightstat_poverty::compute_streamed(&a.common.file, &spec, &req, negative, memory, &tick)?;
    bar.finish_and_clear();
    if report.negatives > 0 {
        eprintln!("{} record(s) with negative {}: {:?} (see --negative)", report.negatives, a.welfare, a.negative);
    }
    eprintln!(
        "streamed: {} records in {} passes over the file ({} piece(s) of welfare order, the largest {} records)",
        report.records, report.passes, report.pieces, report.largest_piece
    );
    finish(db, &a.common, &rows, &method(&a)).await
}

/// How the measures were made, for the published observations.
fn method(a: &PovertyArgs) -> String {
    format!(
        "welfare {} (negative: {:?}), line {}, poor if y {} z, {}weights {}{}",
        a.welfare,
        a.negative,
        a.line
            .clone()
            .or_else(|| a.line_file.as_ref().map(|f| format!("from {} by {}", f.display(), a.line_key.clone().unwrap_or_default())))
            .unwrap_or("none".into()),
        if matches!(a.poor_if, PoorIfArg::Lt) { "<" } else { "<=" },
        if a.relative_per_group { "relative lines per group, " } else { "" },
        a.common.weight.as_deref().unwrap_or("1"),
        a.common.size.as_ref().map(|s| format!(" × {s}")).unwrap_or_default(),
    )
}

/// Between and within: one row per group, then the within, between and total terms.
fn print_decompositions(d: &[rightstat_poverty::decompose::Decomposition], format: OutFormat) -> Result<()> {
    if matches!(format, OutFormat::Json) {
        println!("{}", serde_json::to_string_pretty(d)?);
        return Ok(());
    }
    let mut w = csv::Writer::from_writer(std::io::stdout());
    w.write_record(["index", "by", "group", "population_share", "income_share", "mean", "value", "contribution"])?;
    for x in d {
        for g in &x.groups {
            w.write_record([
                x.index,
                &x.by,
                &g.group,
                &g.population_share.to_string(),
                &g.income_share.to_string(),
                &g.mean.to_string(),
                &g.index.to_string(),
                &g.within.to_string(),
            ])?;
        }
        for (part, v) in [("_within", x.within), ("_between", x.between), ("_T", x.total)] {
            w.write_record([x.index, &x.by, part, "", "", "", &v.to_string(), &v.to_string()])?;
        }
    }
    w.flush()?;
    Ok(())
}

pub async fn mpi(db: &str, a: MpiArgs) -> Result<ExitCode> {
    let text = match rightstat_poverty::mpi::SHIPPED.iter().find(|(n, _)| *n == a.spec) {
        Some((_, t)) => t.to_string(),
        None => std::fs::read_to_string(&a.spec)
            .with_context(|| format!("cannot read specification {} (shipped: global-mpi, china-2a3g)", a.spec))?,
    };
    let spec = MpiSpec::parse(&text)?;
    let ds = load(&a.common, None, spec.columns(), None)?;
    let (rows, missing) = compute_mpi_report(&ds, &spec)?;
    // What each missing-value rule did, on standard error (the results stay on standard output).
    let mut handled = Vec::new();
    for c in missing.iter().filter(|c| c.records > 0) {
        eprintln!("{}: {} record(s) missing, rule {} ({} dropped)", c.indicator, c.records, c.rule.as_str(), c.dropped);
        handled.push(format!("{} {} {}", c.indicator, c.rule.as_str(), c.records));
    }
    let method = if handled.is_empty() {
        format!("MPI specification {} (k = {})", spec.name, spec.k)
    } else {
        format!("MPI specification {} (k = {}); missing values: {}", spec.name, spec.k, handled.join(", "))
    };
    finish(db, &a.common, &rows, &method).await
}

async fn finish(db: &str, c: &Common, rows: &[ResultRow], method: &str) -> Result<ExitCode> {
    match &c.publish_as {
        None => {
            print(rows, &c.by, c.format)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(indicator) => publish(db, c, rows, indicator, method).await,
    }
}

/// Stores the results as computed observations, through the ordinary import checks.
async fn publish(db: &str, c: &Common, rows: &[ResultRow], indicator: &str, method: &str) -> Result<ExitCode> {
    let measures: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.measure.as_str()).collect();
    if measures.len() != 1 {
        bail!("--publish-as stores one measure; choose it with --measures (got {})", measures.into_iter().collect::<Vec<_>>().join(", "));
    }
    let measure = rows[0].measure.clone();
    let Some(period) = &c.period else { bail!("--publish-as needs --period") };
    let store = crate::remember(rightstat_store::Store::connect(db).await?);
    if store.indicators().await?.is_empty() {
        store.seed_reference().await?;
    }
    let Some(ind) = store.indicator(indicator, None).await? else { bail!("unknown indicator {indicator}") };
    let scale = if ind.indicator.unit == "PERCENT" && !matches!(measure.as_str(), "arpr" | "rmpg") { 100.0 } else { 1.0 };
    let digest = {
        use sha2::Digest;
        let bytes = std::fs::read(&c.file).with_context(|| format!("cannot read {}", c.file.display()))?;
        hex::encode(sha2::Sha256::digest(&bytes))
    };
    let cells: Vec<rightstat_poverty::disclosure::Cell> =
        rows.iter().map(|r| rightstat_poverty::disclosure::Cell { keys: r.keys.clone(), n_obs: r.n_obs }).collect();
    let suppressed = rightstat_poverty::disclosure::suppress(&cells, c.min_cell);
    let area_idx = c
        .area_col
        .as_ref()
        .map(|a| c.by.iter().position(|b| b == a).ok_or_else(|| anyhow::anyhow!("--area-col {a} is not among --by")))
        .transpose()?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let dims: Vec<&String> = c.by.iter().enumerate().filter(|(i, _)| Some(*i) != area_idx).map(|(_, b)| b).collect();
    let mut header = vec!["indicator", "area", "period"];
    header.extend(dims.iter().map(|d| d.as_str()));
    header.extend(["value", "status", "source", "footnote"]);
    w.write_record(&header)?;
    let footnote = format!(
        "computed: {measure} from {} (sha256 {digest}); {method}; cells under {} records suppressed",
        c.file.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
        c.min_cell
    );
    let mut n = 0;
    for (r, &hide) in rows.iter().zip(&suppressed) {
        let area = match area_idx {
            Some(i) if r.keys[i] != rightstat_poverty::TOTAL => r.keys[i].clone(),
            _ => match &c.area {
                Some(a) => a.clone(),
                None => continue,
            },
        };
        let mut rec = vec![indicator.to_string(), area, period.clone()];
        rec.extend(r.keys.iter().enumerate().filter(|(i, _)| Some(*i) != area_idx).map(|(_, k)| k.clone()));
        let (value, status) =
            if hide || r.value.is_nan() { (String::new(), if hide { "Q" } else { "O" }) } else { (format!("{}", r.value * scale), "A") };
        rec.extend([value, status.to_string(), "RightStat poverty engine".to_string(), footnote.clone()]);
        w.write_record(&rec)?;
        n += 1;
    }
    let csv = w.into_inner()?;
    let mut opts =
        rightstat_store::ImportOptions::new(format!("computed from {}", c.file.display()), rightstat_store::formats::Format::Csv);
    opts.kind = rightstat_core::observation::ProvenanceKind::Computation;
    opts.actor = rightstat_store::Actor::cli();
    opts.reason = format!("published from microdata ({measure})");
    let report = store.import_observations(std::io::Cursor::new(csv), opts).await?;
    if !report.is_ok() {
        for e in &report.errors {
            eprintln!("{e}");
        }
        eprintln!(
            "the results do not fit indicator {indicator}: nothing was stored (breakdown columns must be its dimensions, e.g. URBANISATION, with codelist codes)"
        );
        return Ok(ExitCode::FAILURE);
    }
    println!(
        "{n} values of {indicator} stored ({} suppressed) in batch {} (unpublished: `rightstat publish {}`)",
        suppressed.iter().filter(|&&s| s).count(),
        report.batch_id.unwrap_or_default(),
        report.batch_id.unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}
