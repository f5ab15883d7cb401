//! Bulk import of observations, all or nothing.
//!
//! A blocking thread parses and checks the file row by row (the rules of
//! `rightstat_core::ingest`), sending checked rows in chunks to the writer, which loads them
//! into one open transaction: COPY on PostgreSQL, multi-row INSERT on SQLite. If any row is
//! bad the transaction is rolled back, so nothing is applied, and every bad row (up to a
//! limit) is reported with file, row, column, value and what was expected.
//!
//! Revisions: a row whose key (indicator, area, period, cell) already has a current value
//! supersedes it; the old vintage stays. A row identical to the current value is dropped.

use crate::formats::{Field, Format, map_header};
use crate::{AreaIndex, Result, Store, StoreError};
use rightstat_core::ingest::{Catalogue, CheckedObservation, RawRow};
use rightstat_core::observation::ProvenanceKind;
use serde::Serialize;
use sqlx::{Postgres, QueryBuilder, Sqlite};
use std::collections::{HashMap, HashSet};
use std::io::Read;

const CHUNK: usize = 1000;
/// Files of at most this many areas look for the figures they revise in their areas only.
const FEW_AREAS: usize = 64;

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Shown in errors and recorded as the batch's source (usually the file name).
    pub source_name: String,
    pub format: Format,
    /// Check everything, write nothing.
    pub dry_run: bool,
    /// Stop listing errors after this many (all are still counted).
    pub max_errors: usize,
    /// Refuse files with more data rows than this.
    pub max_rows: Option<u64>,
    pub kind: ProvenanceKind,
    /// Who imports (recorded on the batch and in the audit trail).
    pub actor: crate::Actor,
    /// When set, every row's area must lie in the subtree of one of these areas; rows outside
    /// are errors (counted in `ImportReport::forbidden`).
    pub allowed_areas: Option<Vec<String>>,
    /// Why (recorded in the audit trail), e.g. "correction of 2023 county returns".
    pub reason: String,
    /// Publish the batch in the same transaction (derived values of approved figures).
    pub publish: bool,
    /// Rows of these indicators are checked but not written: a second source's figures,
    /// which the caller keeps apart from the official series.
    pub skip_indicators: Vec<String>,
    /// The round whose submission or roll-up this is (recorded on the batch; a round's release
    /// releases its batches' figures).
    pub round_id: Option<i64>,
    /// For derived figures: (indicator, area, period, cell key) → (children reporting, expected).
    pub coverage: Vec<(String, String, String, String, i64, i64)>,
    /// A submission's task move, committed with the figures (or with nothing, when the figures
    /// are those already current).
    pub(crate) task_move: Option<crate::task_move::TaskMove>,
    /// The catalogue and area index the caller already read for this request (else read here).
    pub(crate) reference: Option<crate::catalog::Reference>,
}

impl ImportOptions {
    pub fn new(source_name: impl Into<String>, format: Format) -> Self {
        ImportOptions {
            source_name: source_name.into(),
            format,
            dry_run: false,
            max_errors: 100,
            max_rows: None,
            kind: ProvenanceKind::Import,
            actor: crate::Actor::system(),
            allowed_areas: None,
            reason: String::new(),
            publish: false,
            skip_indicators: Vec::new(),
            round_id: None,
            coverage: Vec::new(),
            task_move: None,
            reference: None,
        }
    }
}

/// One bad row (or the header: row 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowError {
    pub file: String,
    pub row: u64,
    pub column: String,
    pub value: String,
    pub expected: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.column == "-" {
            return write!(f, "{}: row {}: expected {}", self.file, self.row, self.expected);
        }
        write!(
            f,
            "{}: row {}, column {}: found {:?}, expected {}",
            self.file,
            self.row,
            self.column,
            rightstat_core::text::shown(&self.value),
            self.expected
        )
    }
}

#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReport {
    /// The batch that holds the new observations (none when nothing was written).
    pub batch_id: Option<i64>,
    /// Data rows read.
    pub rows: u64,
    /// New observations recorded (first values and revisions).
    pub inserted: u64,
    /// Earlier values superseded by a revision.
    pub revised: u64,
    /// Rows identical to the current value, not recorded again.
    pub unchanged: u64,
    pub dry_run: bool,
    pub errors: Vec<RowError>,
    pub error_count: u64,
    /// Rows refused because their area is outside the importer's areas.
    pub forbidden: u64,
    /// The nearest area containing every row (the batch's scope).
    pub scope_area: Option<String>,
    /// Released figures this import revises (a real run needs a reason for them).
    pub revised_released: Vec<RevisedRelease>,
    /// What the rules found (`Store::import_checked`): errors refuse the file, warnings (a
    /// large change from the previous period, a data gap) are reported.
    pub findings: Vec<rightstat_core::validation::RuleFinding>,
    /// A second source's figures recorded with a submission's task move.
    #[serde(skip)]
    pub second_source_values: u64,
}

/// A released figure and the value that revises it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevisedRelease {
    pub indicator: String,
    pub area: String,
    pub period: String,
    pub cell_key: String,
    pub old_value: Option<f64>,
    pub new_value: Option<f64>,
    /// The batch that recorded the released value, and when it was released.
    pub batch_id: i64,
    pub released_at: Option<String>,
}

impl std::fmt::Display for RevisedRelease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_else(|| "(none)".into());
        write!(
            f,
            "{} {} {}{} {} → {} (batch {}, released {})",
            self.indicator,
            self.area,
            self.period,
            if self.cell_key.is_empty() { String::new() } else { format!(" {}", self.cell_key) },
            v(self.old_value),
            v(self.new_value),
            self.batch_id,
            self.released_at.as_deref().unwrap_or("")
        )
    }
}

impl ImportReport {
    pub fn is_ok(&self) -> bool {
        self.error_count == 0
    }
}

enum Msg {
    Rows(Vec<CheckedObservation>),
    Error(RowError),
    Forbidden(RowError),
}

/// What the parser learnt about the file as a whole.
struct Parsed {
    rows: u64,
    indicators: HashSet<String>,
    scope_area: Option<String>,
    /// The areas of the file while they are at most [`FEW_AREAS`] (a form, a roll-up).
    areas: Option<HashSet<String>>,
    /// Key hash of every accepted row → its line in the file.
    lines: HashMap<u128, u64>,
}

/// Parses and checks every row; runs on a blocking thread.
fn parse<R: Read>(
    reader: R,
    opts: &ImportOptions,
    catalogue: &Catalogue,
    areas: &AreaIndex,
    send: &tokio::sync::mpsc::Sender<Msg>,
) -> std::result::Result<Parsed, ()> {
    let err = |row: u64, column: &str, value: &str, expected: String| {
        send.blocking_send(Msg::Error(RowError {
            file: opts.source_name.clone(),
            row,
            column: column.into(),
            value: value.into(),
            expected,
        }))
        .map_err(|_| ())
    };
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(crate::csv_guard::CsvGuard::new(reader));
    let header = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            err(1, "-", "", format!("a CSV header row ({e})"))?;
            return Ok(Parsed { rows: 0, indicators: HashSet::new(), scope_area: None, areas: None, lines: HashMap::new() });
        }
    };
    if header.iter().all(|h| h.trim().is_empty()) {
        err(1, "-", "", "a header row naming the columns (indicator, area, period, value …): the file is empty".into())?;
        return Ok(Parsed { rows: 0, indicators: HashSet::new(), scope_area: None, areas: None, lines: HashMap::new() });
    }
    let mut dims: Vec<String> = catalogue.codelists.keys().cloned().collect();
    dims.sort();
    let fields = match map_header(opts.format, &header, &dims) {
        Ok(f) => f,
        Err(es) => {
            for e in es {
                err(1, &e.column, &e.column, e.expected)?;
            }
            return Ok(Parsed { rows: 0, indicators: HashSet::new(), scope_area: None, areas: None, lines: HashMap::new() });
        }
    };
    // Keys of rows seen so far, as 128-bit hashes (1M string keys would cost ~100 MB).
    let mut seen: HashMap<u128, u64> = HashMap::new();
    let mut indicators = HashSet::new();
    let mut scope: Option<String> = None;
    let mut last_area = String::new();
    let mut few = Some(HashSet::new());
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut rows = 0u64;
    let mut record = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(rows + 2, |p| p.line());
                err(line, "-", "", format!("a well-formed CSV record ({e})"))?;
                rows += 1;
                continue;
            }
        }
        // A row with every field empty (",,,," as spreadsheets save blank rows) holds nothing.
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        rows += 1;
        let line = record.position().map_or(rows + 1, |p| p.line());
        if opts.max_rows.is_some_and(|m| rows > m) {
            err(line, "-", "", format!("at most {} data rows per file", opts.max_rows.unwrap_or_default()))?;
            break;
        }
        if record.len() != fields.len() {
            err(line, "-", &record.len().to_string(), format!("{} fields, as in the header", fields.len()))?;
            continue;
        }
        let mut raw = RawRow::default();
        let mut action_bad = None;
        for (field, value) in fields.iter().zip(record.iter()) {
            match field {
                Field::Indicator => raw.indicator = value,
                Field::Area => raw.area = value,
                Field::Period => raw.period = value,
                Field::Value => raw.value = value,
                Field::Status => raw.status = value,
                Field::Unit => raw.unit = value,
                Field::UnitMult => raw.unit_mult = value,
                Field::Source => raw.source = value,
                Field::Footnote => raw.footnote = value,
                Field::InternalNote => raw.internal_note = value,
                Field::Dimension(d) => raw.dims.push((d.as_str(), value)),
                Field::Action if !matches!(value.trim(), "" | "I" | "A" | "R") => action_bad = Some(value),
                Field::Action | Field::Ignored => {}
            }
        }
        if let Some(a) = action_bad {
            err(line, "ACTION", a, "I, A or R (deletions are not accepted: report the value as missing, status O)".into())?;
            continue;
        }
        match catalogue.check_row(&raw, areas) {
            Ok(obs) => {
                if obs.area.as_str() != last_area {
                    if let Some(roots) = &opts.allowed_areas
                        && !areas.within(obs.area.as_str(), roots)
                    {
                        let e = RowError {
                            file: opts.source_name.clone(),
                            row: line,
                            column: if opts.format == Format::SdmxCsv { "REF_AREA" } else { "area" }.into(),
                            value: obs.area.to_string(),
                            expected: format!("an area within your areas of responsibility ({})", roots.join(", ")),
                        };
                        send.blocking_send(Msg::Forbidden(e)).map_err(|_| ())?;
                        continue;
                    }
                    scope = Some(match scope {
                        None => obs.area.to_string(),
                        Some(s) => areas.common_ancestor(&s, obs.area.as_str()),
                    });
                    last_area = obs.area.to_string();
                    if let Some(set) = &mut few {
                        set.insert(last_area.clone());
                        if set.len() > FEW_AREAS {
                            few = None;
                        }
                    }
                }
                if let Some(first) = seen.insert(key_hash(&obs), line) {
                    err(line, "-", "", format!("one value per indicator, area, period and cell (same as row {first})"))?;
                    continue;
                }
                if opts.skip_indicators.contains(&obs.indicator) {
                    continue;
                }
                if !indicators.contains(&obs.indicator) {
                    indicators.insert(obs.indicator.clone());
                }
                chunk.push(obs);
                if chunk.len() == CHUNK {
                    send.blocking_send(Msg::Rows(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)))).map_err(|_| ())?;
                }
            }
            Err(findings) => {
                for f in findings {
                    let column = match (f.column.as_str(), opts.format) {
                        (c, Format::SdmxCsv) => sdmx_column(c).to_string(),
                        (c, _) => c.to_string(),
                    };
                    err(line, &column, &f.value, f.expected)?;
                }
            }
        }
    }
    if let Some(line) = rdr.get_ref().unterminated_quote() {
        err(
            line,
            "-",
            "\"",
            "a closing quote (\") for the quoted field opened on this row; everything after it up to the end of the file \
             would otherwise be read as part of that field"
                .into(),
        )?;
    }
    if !chunk.is_empty() {
        send.blocking_send(Msg::Rows(chunk)).map_err(|_| ())?;
    }
    Ok(Parsed { rows, indicators, scope_area: scope, areas: few, lines: seen })
}

/// A 128-bit hash of an observation's key (indicator, area, period, cell): two independent
/// 64-bit SipHashes, so a false "duplicate row" is out of reach in practice.
fn key_hash(o: &CheckedObservation) -> u128 {
    use std::hash::BuildHasher;
    static SEEDS: std::sync::OnceLock<(std::collections::hash_map::RandomState, std::collections::hash_map::RandomState)> =
        std::sync::OnceLock::new();
    let (a, b) = SEEDS.get_or_init(Default::default);
    let h = |s: &std::collections::hash_map::RandomState| s.hash_one((&o.indicator, o.area.as_str(), o.period, &o.cell));
    (u128::from(h(a)) << 64) | u128::from(h(b))
}

/// The SDMX-CSV column a finding about `field` refers to.
fn sdmx_column(field: &str) -> &str {
    match field {
        "indicator" => "INDICATOR",
        "area" => "REF_AREA",
        "period" => "TIME_PERIOD",
        "value" => "OBS_VALUE",
        "status" => "OBS_STATUS",
        "unit" => "UNIT_MEASURE",
        "unit_mult" => "UNIT_MULT",
        other => other,
    }
}

/// An open transaction on either backend.
enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

macro_rules! on_tx {
    ($tx:expr, $t:ident => $body:expr) => {
        match $tx {
            Tx::Sqlite($t) => $body,
            Tx::Postgres($t) => $body,
        }
    };
}

const OBS_COLS: &str = "indicator_code, indicator_version, area_code, period, period_start, period_end, cell_key, value, status, source, footnote, batch_id, recorded_at, internal_note";

/// Multi-row INSERTs of up to CHUNK rows (13 parameters each: under both backends' limits).
macro_rules! insert_rows {
    ($db:ty, $t:expr, $rows:expr, $batch:expr, $now:expr) => {{
        for chunk in $rows.chunks(CHUNK) {
            let mut qb: QueryBuilder<$db> = QueryBuilder::new(format!("INSERT INTO observation ({OBS_COLS}) "));
            qb.push_values(chunk, |mut b, o| {
                b.push_bind(o.indicator.clone())
                    .push_bind(o.indicator_version)
                    .push_bind(o.area.to_string())
                    .push_bind(o.period.to_string())
                    .push_bind(o.period.start())
                    .push_bind(o.period.end())
                    .push_bind(o.cell.key())
                    .push_bind(o.value)
                    .push_bind(o.status.code())
                    .push_bind(o.source.clone())
                    .push_bind(o.footnote.clone())
                    .push_bind($batch)
                    .push_bind($now.to_string())
                    .push_bind(o.internal_note.clone());
            });
            qb.build().execute(&mut **$t).await?;
        }
        Ok::<(), StoreError>(())
    }};
}

/// PostgreSQL: rows as COPY CSV text.
fn copy_csv(rows: &[CheckedObservation], batch: i64, now: &str) -> Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::with_capacity(rows.len() * 128));
    let batch = batch.to_string();
    let mut value = String::new();
    for o in rows {
        value.clear();
        if let Some(v) = o.value {
            use std::fmt::Write;
            let _ = write!(value, "{v}");
        }
        w.write_record([
            o.indicator.as_str(),
            &o.indicator_version.to_string(),
            o.area.as_str(),
            &o.period.to_string(),
            &o.period.start(),
            &o.period.end(),
            &o.cell.key(),
            &value,
            o.status.code(),
            &o.source,
            &o.footnote,
            &batch,
            now,
            &o.internal_note,
        ])
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    }
    w.into_inner().map_err(|e| StoreError::Invalid(e.to_string()))
}

/// Files a message from the parser: errors go into the report (the first `max` listed, all
/// counted); rows come back to be written only while the file is clean, writing is wanted
/// (`write`) and nothing has failed.
fn triage(report: &mut ImportReport, msg: Msg, max: usize, write: bool) -> Option<Vec<CheckedObservation>> {
    let e = match msg {
        Msg::Rows(rows) if write && report.error_count == 0 => {
            report.inserted += rows.len() as u64;
            return Some(rows);
        }
        Msg::Rows(_) => return None,
        Msg::Error(e) => e,
        Msg::Forbidden(e) => {
            report.forbidden += 1;
            e
        }
    };
    report.error_count += 1;
    if report.errors.len() < max {
        report.errors.push(e);
    }
    None
}

impl Store {
    /// `opts` carrying the reference (catalogue and area index) the whole request is checked
    /// and written under: the one it carries already, else read now.
    pub(crate) async fn with_reference(&self, mut opts: ImportOptions) -> Result<(ImportOptions, crate::catalog::Reference)> {
        let reference = match &opts.reference {
            Some(r) => r.clone(),
            None => self.reference().await?,
        };
        opts.reference = Some(reference.clone());
        Ok((opts, reference))
    }

    async fn begin_tx(&self) -> Result<Tx> {
        Ok(match &self.pool {
            crate::Pool::Sqlite(p) => Tx::Sqlite(p.begin().await?),
            crate::Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Parses and checks a file without writing anything: the accepted rows with their line in
    /// the file, every bad row, and the number of data rows. Used by validation.
    pub async fn read_observations<R: Read + Send + 'static>(
        &self,
        reader: R,
        opts: ImportOptions,
    ) -> Result<(Vec<(u64, CheckedObservation)>, Vec<RowError>, u64)> {
        let (opts, crate::catalog::Reference { catalogue, areas }) = self.with_reference(opts).await?;
        let (send, mut recv) = tokio::sync::mpsc::channel::<Msg>(4);
        let parser = tokio::task::spawn_blocking(move || parse(reader, &opts, &catalogue, &areas, &send));
        let (mut rows, mut errors) = (Vec::new(), Vec::new());
        while let Some(msg) = recv.recv().await {
            match msg {
                Msg::Rows(r) => rows.extend(r),
                Msg::Error(e) | Msg::Forbidden(e) => errors.push(e),
            }
        }
        let parsed = parser
            .await
            .map_err(|e| StoreError::Invalid(format!("parser failed: {e}")))?
            .map_err(|_| StoreError::Invalid("parser stopped".into()))?;
        let located = rows.into_iter().map(|o| (parsed.lines.get(&key_hash(&o)).copied().unwrap_or(0), o)).collect();
        Ok((located, errors, parsed.rows))
    }

    /// Imports observations from `reader`. Row problems come back in the report (and then
    /// nothing is written); `Err` is for failures of the database itself.
    pub async fn import_observations<R: Read + Send + 'static>(&self, reader: R, opts: ImportOptions) -> Result<ImportReport> {
        if opts.format == Format::Json {
            return Err(StoreError::Invalid("import reads csv or sdmx-csv".into()));
        }
        // What the rows are checked against is read before the turn (it needs no lock), so
        // that the turn lasts only as long as the writing; then this process's turn: a waiting
        // import holds no pooled connection.
        let (opts, crate::catalog::Reference { catalogue, areas }) = self.with_reference(opts).await?;
        let turn = self.writer_turn(opts.kind == ProvenanceKind::Computation).await?;
        let (send, mut recv) = tokio::sync::mpsc::channel::<Msg>(4);
        let parser = {
            let (opts, catalogue, areas) = (opts.clone(), catalogue.clone(), areas.clone());
            tokio::task::spawn_blocking(move || parse(reader, &opts, &catalogue, &areas, &send))
        };
        let now = crate::now_rfc3339();
        let mut tx = self.begin_tx().await?;
        let pg = self.backend() == crate::Backend::Postgres;
        let batch: i64 = on_tx!(&mut tx, t => sqlx::query_scalar(
            "INSERT INTO batch (kind, source_name, rows, created_at) VALUES ($1, $2, 0, $3) RETURNING id")
            .bind(opts.kind.as_str()).bind(&opts.source_name).bind(&now).fetch_one(&mut **t).await?);
        // Ids only grow: this batch's rows all have ids above `first_id` (used instead of an
        // index on batch_id, which would slow every bulk load). It is read once this import
        // holds its keys, so that every current value it may revise has an id at or below it.
        let max_id = "SELECT COALESCE(MAX(id), 0) FROM observation";
        let first_id: i64;
        let mut report = ImportReport { dry_run: opts.dry_run, ..Default::default() };
        let max = opts.max_errors;
        // After the first bad row the rest is still checked (to report every error) but no
        // longer loaded.
        let mut failure = None;
        match &mut tx {
            Tx::Sqlite(t) => {
                // SQLite has one writer per database: the batch row above took its lock.
                first_id = sqlx::query_scalar(max_id).fetch_one(&mut **t).await?;
                while let Some(msg) = recv.recv().await {
                    if let Some(rows) = triage(&mut report, msg, max, failure.is_none()) {
                        failure = async { insert_rows!(Sqlite, t, rows, batch, &now) }.await.err();
                    }
                }
            }
            Tx::Postgres(t) => {
                // One COPY stream for the whole file, unless it fits in one chunk: then one
                // INSERT. (A COPY of a few rows stalls ~40 ms over TCP: sqlx leaves Nagle's
                // algorithm on, and the final CopyDone waits for the server's delayed ACK.)
                let mut held: Vec<Vec<CheckedObservation>> = Vec::new();
                let mut read_whole = false;
                while held.len() < 2 {
                    let Some(msg) = recv.recv().await else {
                        read_whole = true;
                        break;
                    };
                    held.extend(triage(&mut report, msg, max, true));
                }
                // The keys this import writes: its few areas when the whole file is read (a
                // form, a roll-up), else the whole database.
                let areas = read_whole.then(|| held.iter().flatten().map(|o| o.area.as_str()).collect::<Vec<_>>());
                crate::writers::lock_keys(t, areas).await?;
                first_id = sqlx::query_scalar(max_id).fetch_one(&mut **t).await?;
                if held.len() < 2 {
                    if let (Some(rows), 0) = (held.pop(), report.error_count) {
                        failure = async { insert_rows!(Postgres, t, rows, batch, &now) }.await.err();
                    }
                } else {
                    let sql = format!(
                        "COPY observation ({OBS_COLS}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (cell_key, source, footnote, internal_note))"
                    );
                    let mut c = t.copy_in_raw(&sql).await?;
                    let mut pending = held;
                    loop {
                        for rows in pending.drain(..) {
                            if failure.is_none() {
                                failure = match copy_csv(&rows, batch, &now) {
                                    Ok(buf) => c.send(buf).await.err().map(StoreError::from),
                                    Err(e) => Some(e),
                                };
                            }
                        }
                        let Some(msg) = recv.recv().await else { break };
                        pending.extend(triage(&mut report, msg, max, failure.is_none()));
                    }
                    if report.error_count == 0 && failure.is_none() {
                        failure = c.finish().await.err().map(StoreError::from);
                    } else {
                        // The transaction is rolled back below; end the stream first.
                        let _ = c.abort("import rejected").await;
                    }
                }
            }
        }
        let parsed = parser.await.map_err(|e| StoreError::Invalid(format!("parser failed: {e}")))?;
        if let Some(e) = failure {
            return Err(e);
        }
        let Parsed { rows, indicators, scope_area, areas: file_areas, .. } =
            parsed.map_err(|()| StoreError::Invalid("import aborted".into()))?;
        report.rows = rows;
        report.scope_area = scope_area;
        if !report.is_ok() {
            on_tx!(tx, t => t.rollback().await?);
            report.inserted = 0;
            return Ok(report);
        }
        // A dry run writes too, inside the transaction, and rolls back at the end: its counts
        // are the real run's.
        // Revisions: only where earlier current values exist for these indicators, in the
        // file's areas when they are few: a village's first form revises nothing, whatever its
        // neighbours reported.
        let mut in_areas: Vec<String> = file_areas.map(|few| few.into_iter().collect()).unwrap_or_default();
        in_areas.sort();
        let prior = !indicators.is_empty() && {
            // One statement for all the file's indicators, in the file's areas when they are
            // few (a form, a roll-up: a probe of the current-value index per indicator and area;
            // without them the planner walks the indicator's current values). The area list is
            // written out, not `($2 IS NULL OR area_code = $2)`: SQLite plans that once for
            // both cases and then walks every current value of the indicator.
            let mut codes: Vec<&String> = indicators.iter().collect();
            codes.sort();
            let inds = crate::placeholders(2, codes.len());
            let area = if in_areas.is_empty() {
                String::new()
            } else {
                format!(" AND area_code IN ({})", crate::placeholders(2 + codes.len(), in_areas.len()))
            };
            let sql =
                format!("SELECT id FROM observation WHERE indicator_code IN ({inds}){area} AND id <= $1 AND superseded_at IS NULL LIMIT 1");
            let found: Option<i64> = on_tx!(&mut tx, t => {
                let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str())).bind(first_id);
                for c in &codes {
                    q = q.bind(c.as_str());
                }
                for a in &in_areas {
                    q = q.bind(a.as_str());
                }
                q.fetch_optional(&mut **t).await?
            });
            found.is_some()
        };
        if prior {
            // Same key, same value, status, source and footnote: not a revision.
            let unchanged = on_tx!(&mut tx, t => sqlx::query(
                "DELETE FROM observation WHERE id IN (SELECT n.id FROM observation n JOIN observation o \
                 ON o.indicator_code = n.indicator_code AND o.area_code = n.area_code AND o.period = n.period AND o.cell_key = n.cell_key \
                 WHERE n.id > $2 AND n.batch_id = $1 AND o.batch_id <> $1 AND o.superseded_at IS NULL \
                 AND (o.value = n.value OR (o.value IS NULL AND n.value IS NULL)) AND o.status = n.status \
                 AND o.source = n.source AND o.footnote = n.footnote)")
                .bind(batch).bind(first_id).execute(&mut **t).await?.rows_affected());
            // Released figures this import revises: named in the report and the audit trail,
            // and refused without a reason.
            let released: Vec<RevisedRelease> = on_tx!(&mut tx, t => sqlx::query_as(
                "SELECT o.indicator_code AS indicator, o.area_code AS area, o.period AS period, o.cell_key AS cell_key, o.value AS old_value, \
                 n.value AS new_value, o.batch_id AS batch_id, COALESCE(o.released_at, b.published_at) AS released_at \
                 FROM observation n JOIN observation o \
                 ON o.indicator_code = n.indicator_code AND o.area_code = n.area_code AND o.period = n.period AND o.cell_key = n.cell_key \
                 JOIN batch b ON b.id = o.batch_id \
                 WHERE n.id > $2 AND n.batch_id = $1 AND o.batch_id <> $1 AND o.superseded_at IS NULL \
                 AND COALESCE(o.released_at, b.published_at) IS NOT NULL ORDER BY o.indicator_code, o.area_code, o.period, o.cell_key")
                .bind(batch).bind(first_id).fetch_all(&mut **t).await?);
            report.revised_released = released;
            let revised = on_tx!(&mut tx, t => sqlx::query(
                "UPDATE observation SET superseded_at = $2 WHERE id IN (SELECT o.id FROM observation n JOIN observation o \
                 ON o.indicator_code = n.indicator_code AND o.area_code = n.area_code AND o.period = n.period AND o.cell_key = n.cell_key \
                 WHERE n.id > $3 AND n.batch_id = $1 AND o.batch_id <> $1 AND o.superseded_at IS NULL)")
                .bind(batch).bind(&now).bind(first_id).execute(&mut **t).await?.rows_affected());
            report.unchanged = unchanged;
            report.inserted -= unchanged;
            report.revised = revised;
        }
        if !report.revised_released.is_empty() && opts.reason.trim().is_empty() {
            on_tx!(tx, t => t.rollback().await?);
            return Err(StoreError::Invalid(format!(
                "this import revises {} released figure(s), e.g. {}; give the reason for the revision",
                report.revised_released.len(),
                report.revised_released[0]
            )));
        }
        // Derived figures: their completeness, in the same transaction as the figures (one
        // UPDATE … FROM (VALUES …) per chunk, not one statement per figure).
        for chunk in opts.coverage.chunks(500) {
            let mut sql = String::from("WITH v (ind, area, period, cell, r, e) AS (VALUES ");
            for i in 0..chunk.len() {
                let b = i * 6;
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, CAST(${} AS BIGINT), CAST(${} AS BIGINT))",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6
                ));
            }
            let n = chunk.len() * 6;
            sql.push_str(&format!(
                ") UPDATE observation SET children_reporting = v.r, children_expected = v.e FROM v \
                 WHERE observation.id > ${} AND observation.batch_id = ${} \
                 AND observation.indicator_code = v.ind AND observation.area_code = v.area AND observation.period = v.period \
                 AND observation.cell_key = v.cell",
                n + 1,
                n + 2
            ));
            on_tx!(&mut tx, t => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
                for (ind, area, period, cell, reporting, expected) in chunk {
                    q = q.bind(ind).bind(area).bind(period).bind(cell).bind(reporting).bind(expected);
                }
                q.bind(first_id).bind(batch).execute(&mut **t).await?.rows_affected()
            });
        }
        if opts.dry_run {
            on_tx!(tx, t => t.rollback().await?);
            return Ok(report);
        }
        // Nothing new (a header-only file, or the same figures again): no batch and no audit
        // record of a change that did not happen.
        if report.inserted == 0 && report.revised == 0 {
            match &opts.task_move {
                None => on_tx!(tx, t => t.rollback().await?),
                // The task moves all the same (its figures were already current).
                Some(mv) => {
                    on_tx!(&mut tx, t => {
                        sqlx::query("DELETE FROM batch WHERE id = $1").bind(batch).execute(&mut **t).await?;
                        report.second_source_values = crate::task_move::apply_task_move!(&mut **t, pg, mv, None, &now);
                    });
                    on_tx!(tx, t => t.commit().await?);
                }
            }
            return Ok(report);
        }
        // Reference content (the demo's official series) is public from the start; anything
        // else waits for an administrator to publish it or the lead department to release it.
        // A computation from accepted figures is accepted (the roll-up reads it) but not public.
        let published = (opts.kind == ProvenanceKind::Reference || opts.publish).then(|| now.clone());
        let approved = (published.is_some() || opts.kind == ProvenanceKind::Computation).then(|| now.clone());
        let summary = serde_json::json!({
            "source": opts.source_name, "rows": report.rows, "inserted": report.inserted,
            "revised": report.revised, "unchanged": report.unchanged, "scope_area": report.scope_area,
            "published": published.is_some(),
            "revised_released": report.revised_released.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
        })
        .to_string();
        let batch_text = batch.to_string();
        let entry = crate::AuditEntry {
            actor: &opts.actor,
            action: "observations.import",
            entity: "batch",
            entity_id: &batch_text,
            old_value: None,
            new_value: Some(summary),
            reason: &opts.reason,
        };
        on_tx!(&mut tx, t => {
            sqlx::query("UPDATE batch SET rows = $2, actor = $3, scope_area = $4, published_at = $5, approved_at = $6, round_id = $7 WHERE id = $1")
                .bind(batch).bind(report.inserted as i64).bind(&opts.actor.name).bind(report.scope_area.as_deref()).bind(published.as_deref())
                .bind(approved.as_deref()).bind(opts.round_id)
                .execute(&mut **t).await?;
            // The task's move, then the import's record: on PostgreSQL both records are linked
            // into the audit chain at the commit (see `append_audit!`).
            if let Some(mv) = &opts.task_move {
                report.second_source_values = crate::task_move::apply_task_move!(&mut **t, pg, mv, Some(batch), &now);
            }
            crate::audit::append_audit!(&mut **t, pg, &entry);
        });
        on_tx!(tx, t => t.commit().await?);
        drop(turn);
        report.batch_id = Some(batch);
        self.analyze_after_load(crate::writers::Loaded::Observation, report.inserted + report.revised).await?;
        Ok(report)
    }
}
