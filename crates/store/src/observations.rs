//! Querying observations: current values, values as known at a date, and the history of a
//! value across revisions.

use crate::{Result, Store, StoreError, on_pool};
use rightstat_core::area::AreaLevel;
use rightstat_core::cell::Cell;
use rightstat_core::codelist::TOTAL;
use rightstat_core::period::Period;
use serde::Serialize;

/// What to select. Empty fields do not restrict.
#[derive(Debug, Clone, Default)]
pub struct ObservationFilter {
    pub indicators: Vec<String>,
    /// An area; with `level`, the areas at that level below it (inclusive).
    pub area: Option<String>,
    pub level: Option<AreaLevel>,
    /// Only these areas (empty: no list). With `area`, both apply.
    pub areas: Vec<String>,
    pub period_from: Option<Period>,
    pub period_to: Option<Period>,
    /// (dimension, code) pairs; `_T` selects the total over that dimension.
    pub cells: Vec<(String, String)>,
    /// Values as they were known at this instant (RFC 3339), instead of the current ones.
    pub as_of: Option<String>,
    /// Include superseded vintages too (history).
    pub all_vintages: bool,
    pub limit: Option<i64>,
    /// Which unpublished figures may be shown (the server sets this from the caller's grants).
    pub visibility: Visibility,
}

/// Which vintage of each key a reader sees.
///
/// The public sees the **latest released vintage** of every key: the newest row whose release
/// instant (`observation.released_at`, else its batch's `published_at`) has passed, whatever
/// unreleased revisions were recorded after it. Signed-in users see the current (latest
/// recorded) vintage in their own areas, drafts included (`ObservationRow::published` false),
/// and the public vintage elsewhere.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Visibility {
    /// The current vintage of everything (administrators, analysts, the CLI).
    #[default]
    All,
    /// The latest released vintage (the public).
    Published,
    /// The current vintage in these areas' subtrees, the latest released one elsewhere.
    PublishedOrWithin(Vec<String>),
    /// The latest accepted vintage: approved submissions, computations from them, published
    /// imports. What the roll-up reads, so that a correction awaiting review hides nothing.
    Accepted,
}

/// SQL: the vintage `{o}` (of batch `{b}`) is public at the bound instant (`?`).
fn released(o: &str, b: &str) -> String {
    format!("COALESCE({o}.released_at, {b}.published_at) <= ?")
}

/// SQL: the vintage `{o}` (of batch `{b}`) is accepted: approved, computed from approved
/// figures, or released.
fn accepted(o: &str, b: &str) -> String {
    format!("({b}.approved_at IS NOT NULL OR {o}.released_at IS NOT NULL OR {b}.published_at IS NOT NULL)")
}

/// SQL: no later vintage of `o`'s key satisfies `condition` (written over `n` and its batch
/// `nb`). The current vintage has no later one, so the subquery runs only for superseded rows.
fn no_later(condition: &str) -> String {
    format!(
        "(o.superseded_at IS NULL OR NOT EXISTS (SELECT 1 FROM observation n JOIN batch nb ON nb.id = n.batch_id \
         WHERE n.indicator_code = o.indicator_code AND n.area_code = o.area_code AND n.period = o.period AND n.cell_key = o.cell_key \
         AND n.id > o.id AND {condition}))"
    )
}

/// SQL: `o` is the public vintage of its key at the instant bound to both `?`.
pub(crate) fn public_vintage() -> String {
    format!("{} AND {}", released("o", "b"), no_later(&released("n", "nb")))
}

/// The dimensions of each indicator definition version, by (code, version).
pub(crate) type Dimensions = std::collections::HashMap<(String, i64), std::sync::Arc<Vec<String>>>;

/// One observation with everything needed to read it correctly.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ObservationRow {
    pub indicator: String,
    pub indicator_version: i64,
    pub area: String,
    pub area_name_zh: String,
    pub area_name_en: Option<String>,
    pub period: String,
    /// Dimension codes, totals included as `_T` for every dimension of the indicator.
    pub cell: std::collections::BTreeMap<String, String>,
    pub value: Option<f64>,
    pub unit: String,
    pub unit_mult: i64,
    pub status: String,
    pub source: String,
    pub footnote: String,
    /// For signed-in users only (provenance, data cleaning); empty in every public output.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub internal_note: String,
    /// The batch (import, submission or computation) that recorded it.
    pub batch_id: i64,
    pub provenance: String,
    pub provenance_name: String,
    pub recorded_at: String,
    pub superseded_at: Option<String>,
    /// Public now: released (and any embargo passed).
    pub published: bool,
    /// When this vintage became or becomes public (an embargo time lies ahead).
    pub released_at: Option<String>,
    /// For a derived figure: children that reported, of those expected. A figure with fewer
    /// reporting than expected is partial and says so wherever it is shown.
    pub children_reporting: Option<i64>,
    pub children_expected: Option<i64>,
    #[serde(skip)]
    pub cell_key: String,
}

impl ObservationRow {
    /// A derived figure from fewer children than expected.
    pub fn is_partial(&self) -> bool {
        matches!((self.children_reporting, self.children_expected), (Some(r), Some(e)) if r < e)
    }

    /// For a figure aggregated from lower levels, how many of the units expected to report
    /// did, as SDMX's COMPLETENESS attribute writes it: `12/14`. Empty otherwise.
    pub fn completeness(&self) -> String {
        match (self.children_reporting, self.children_expected) {
            (Some(n), Some(of)) => format!("{n}/{of}"),
            _ => String::new(),
        }
    }
}

/// One import (or, later, submission or computation) and what it covers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchRow {
    pub id: i64,
    pub kind: String,
    pub source_name: String,
    pub rows: i64,
    pub created_at: String,
    pub actor: String,
    /// The nearest area containing all its observations.
    pub scope_area: Option<String>,
    pub published_at: Option<String>,
}

const BATCH_COLS: &str = "id, kind, source_name, rows, created_at, actor, scope_area, published_at";
type BatchTuple = (i64, String, String, i64, String, String, Option<String>, Option<String>);

fn batch_row((id, kind, source_name, rows, created_at, actor, scope_area, published_at): BatchTuple) -> BatchRow {
    BatchRow { id, kind, source_name, rows, created_at, actor, scope_area, published_at }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// A result row in SELECT order (more columns than sqlx's tuple decoding takes).
struct Raw(
    String,
    i64,
    String,
    String,
    Option<String>,
    String,
    String,
    Option<f64>,
    String,
    i64,
    String,
    String,
    String,
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    String,
);

enum Param {
    Text(String),
    Int(i64),
}

impl Store {
    pub async fn observations(&self, f: &ObservationFilter) -> Result<Vec<ObservationRow>> {
        const COLS: &str = "o.indicator_code, o.indicator_version, o.area_code, a.name_zh, a.name_en, o.period, o.cell_key, o.value, \
             v.unit, v.unit_mult, o.status, o.source, o.footnote, o.batch_id, b.kind, b.source_name, o.recorded_at, o.superseded_at, COALESCE(o.released_at, b.published_at), o.children_reporting, o.children_expected, o.internal_note";
        const JOINS: &str = "JOIN area a ON a.code = o.area_code \
             JOIN indicator_version v ON v.code = o.indicator_code AND v.version = o.indicator_version \
             JOIN batch b ON b.id = o.batch_id";
        let mut sql = format!("SELECT {COLS} FROM observation o {JOINS} WHERE 1 = 1");
        let head = sql.len();
        let mut params: Vec<Param> = Vec::new();
        fn push(params: &mut Vec<Param>, sql: &mut String, frag: &str, p: Param) {
            params.push(p);
            sql.push_str(&frag.replace('?', &format!("${}", params.len())));
        }
        if !f.indicators.is_empty() {
            sql.push_str(" AND o.indicator_code IN (");
            for (i, ind) in f.indicators.iter().enumerate() {
                push(&mut params, &mut sql, if i == 0 { "?" } else { ", ?" }, Param::Text(ind.clone()));
            }
            sql.push(')');
        }
        match (&f.area, f.level) {
            (Some(area), Some(level)) => {
                push(
                    &mut params,
                    &mut sql,
                    " AND o.area_code IN (WITH RECURSIVE sub (code, depth) AS (SELECT code, depth FROM area WHERE code = ?",
                    Param::Text(area.clone()),
                );
                push(
                    &mut params,
                    &mut sql,
                    " UNION ALL SELECT c.code, c.depth FROM area c JOIN sub ON c.parent_code = sub.code WHERE c.depth <= ?)",
                    Param::Int(level.depth()),
                );
                push(&mut params, &mut sql, " SELECT code FROM sub WHERE depth = ?)", Param::Int(level.depth()));
            }
            (Some(area), None) => push(&mut params, &mut sql, " AND o.area_code = ?", Param::Text(area.clone())),
            (None, Some(level)) => push(&mut params, &mut sql, " AND a.depth = ?", Param::Int(level.depth())),
            (None, None) => {}
        }
        if !f.areas.is_empty() {
            sql.push_str(" AND o.area_code IN (");
            for (i, a) in f.areas.iter().enumerate() {
                push(&mut params, &mut sql, if i == 0 { "?" } else { ", ?" }, Param::Text(a.clone()));
            }
            sql.push(')');
        }
        if let Some(p) = f.period_from {
            push(&mut params, &mut sql, " AND o.period_start >= ?", Param::Text(p.start()));
        }
        if let Some(p) = f.period_to {
            push(&mut params, &mut sql, " AND o.period_end <= ?", Param::Text(p.end()));
        }
        for (dim, code) in &f.cells {
            if code == TOTAL {
                push(&mut params, &mut sql, " AND o.cell_key NOT LIKE ? ESCAPE '\\'", Param::Text(format!("%|{}=%", like_escape(dim))));
            } else {
                push(
                    &mut params,
                    &mut sql,
                    " AND o.cell_key LIKE ? ESCAPE '\\'",
                    Param::Text(format!("%{}%", like_escape(&Cell::key_fragment(dim, code)))),
                );
            }
        }
        let now = crate::now_rfc3339();
        let vintage_given = f.as_of.is_some() || f.all_vintages;
        if f.visibility == Visibility::Accepted && !vintage_given {
            // The latest accepted vintage of each key, without visiting every superseded
            // vintage (a province's total is revised at each approval of a deadline: thousands
            // of vintages). Where the current vintage is accepted it is the one; otherwise (a
            // correction awaiting review) the latest accepted one before it, found from the
            // current vintage. The key filters apply to both (same key).
            let filters = sql[head..].to_string();
            let on_current = filters.replace(" o.", " cur.").replace("(o.", "(cur.");
            sql = format!(
                "SELECT {COLS}, o.period_start FROM observation o {JOINS} WHERE 1 = 1{filters} AND o.superseded_at IS NULL AND {acc_o} \
                 UNION ALL \
                 SELECT {COLS}, o.period_start FROM observation cur \
                 JOIN observation o ON o.id = (SELECT n.id FROM observation n JOIN batch nb ON nb.id = n.batch_id \
                   WHERE n.indicator_code = cur.indicator_code AND n.area_code = cur.area_code AND n.period = cur.period \
                   AND n.cell_key = cur.cell_key AND n.id < cur.id AND {acc_n} ORDER BY n.id DESC LIMIT 1) \
                 {JOINS} WHERE 1 = 1{on_current} AND cur.superseded_at IS NULL AND cur.released_at IS NULL \
                 AND NOT EXISTS (SELECT 1 FROM batch cb WHERE cb.id = cur.batch_id AND (cb.approved_at IS NOT NULL OR cb.published_at IS NOT NULL)) \
                 ORDER BY 1, 3, 7, 23, 6, 17",
                acc_o = accepted("o", "b"),
                acc_n = accepted("n", "nb"),
            );
            if let Some(n) = f.limit {
                push(&mut params, &mut sql, " LIMIT ?", Param::Int(n));
            }
            return self.observation_rows(&sql, &params, &now).await;
        }
        match &f.visibility {
            Visibility::All => {}
            Visibility::Published => {
                push(&mut params, &mut sql, &format!(" AND {}", released("o", "b")), Param::Text(now.clone()));
                if !vintage_given {
                    push(&mut params, &mut sql, &format!(" AND {}", no_later(&released("n", "nb"))), Param::Text(now.clone()));
                }
            }
            Visibility::Accepted => {
                sql.push_str(&format!(" AND {}", accepted("o", "b")));
                if !vintage_given {
                    sql.push_str(&format!(" AND {}", no_later(&accepted("n", "nb"))));
                }
            }
            Visibility::PublishedOrWithin(roots) => {
                // Within the caller's areas: the current vintage, drafts included; elsewhere
                // the public vintage.
                let mut within = String::from("o.area_code IN (WITH RECURSIVE vis (code) AS (SELECT code FROM area WHERE code IN (");
                for (i, r) in roots.iter().enumerate() {
                    params.push(Param::Text(r.clone()));
                    within.push_str(&format!("{}${}", if i == 0 { "" } else { ", " }, params.len()));
                }
                if roots.is_empty() {
                    within.push_str("NULL");
                }
                within.push_str(") UNION ALL SELECT a.code FROM area a JOIN vis ON a.parent_code = vis.code) SELECT code FROM vis)");
                sql.push_str(&format!(" AND ({within} OR ("));
                push(&mut params, &mut sql, &released("o", "b"), Param::Text(now.clone()));
                if !vintage_given {
                    push(&mut params, &mut sql, &format!(" AND {}", no_later(&released("n", "nb"))), Param::Text(now.clone()));
                }
                sql.push_str("))");
                if !vintage_given {
                    // Current within, public outside: exclude superseded rows only within.
                    sql.push_str(&format!(" AND (o.superseded_at IS NULL OR NOT {within})"));
                }
            }
        }
        // The current vintage (All); the other visibilities chose their vintage above.
        let current_only = !matches!(f.visibility, Visibility::Published | Visibility::Accepted | Visibility::PublishedOrWithin(_));
        match (&f.as_of, f.all_vintages) {
            (_, true) => {}
            (Some(t), false) => {
                push(&mut params, &mut sql, " AND o.recorded_at <= ?", Param::Text(t.clone()));
                push(&mut params, &mut sql, " AND (o.superseded_at IS NULL OR o.superseded_at > ?)", Param::Text(t.clone()));
            }
            (None, false) if current_only => sql.push_str(" AND o.superseded_at IS NULL"),
            (None, false) => {}
        }
        sql.push_str(" ORDER BY o.indicator_code, o.area_code, o.cell_key, o.period_start, o.period, o.recorded_at");
        if let Some(n) = f.limit {
            push(&mut params, &mut sql, " LIMIT ?", Param::Int(n));
        }
        self.observation_rows(&sql, &params, &now).await
    }

    /// Runs an observation query built by [`Store::observations`] (its first 23 columns) and
    /// reads its rows; `now` is the instant the query's visibility was bound at. Rows are
    /// turned into [`ObservationRow`]s as they arrive (a large answer is not held twice), with
    /// each cell's dimensions from the definition version it was recorded under.
    async fn observation_rows(&self, sql: &str, params: &[Param], now: &str) -> Result<Vec<ObservationRow>> {
        // The versions read before; a version not among them (new since, or this process's
        // first read) is read and the query run again, once.
        let mut dimensions = self.dimensions.lock().expect("not poisoned").clone();
        let mut reread = false;
        loop {
            match self.stream_rows(sql, params, now, &dimensions).await? {
                Ok(rows) => return Ok(rows),
                Err((code, version)) if reread => {
                    return Err(StoreError::Corrupt(format!(
                        "observation of {code} under definition version {version}, which does not exist"
                    )));
                }
                Err(_) => {
                    dimensions = self.definition_dimensions().await?;
                    reread = true;
                }
            }
        }
    }

    /// The rows of an observation query, or the first (indicator, version) missing from
    /// `dimensions`.
    async fn stream_rows(
        &self,
        sql: &str,
        params: &[Param],
        now: &str,
        dimensions: &Dimensions,
    ) -> Result<std::result::Result<Vec<ObservationRow>, (String, i64)>> {
        use futures_util::TryStreamExt;
        let mut last: Option<(String, i64, std::sync::Arc<Vec<String>>)> = None;
        let mut row = |r: Raw| -> Result<std::result::Result<ObservationRow, (String, i64)>> {
            let dims = match &last {
                Some((code, version, dims)) if *code == r.0 && *version == r.1 => dims.clone(),
                _ => {
                    let Some(dims) = dimensions.get(&(r.0.clone(), r.1)).cloned() else { return Ok(Err((r.0, r.1))) };
                    last = Some((r.0.clone(), r.1, dims.clone()));
                    dims
                }
            };
            let parsed = Cell::from_key(&r.6).ok_or_else(|| StoreError::Corrupt(format!("cell key {}", r.6)))?;
            let mut cell: std::collections::BTreeMap<String, String> =
                dims.iter().map(|d| (d.clone(), parsed.get(d).to_string())).collect();
            // A dimension dropped from a later definition still shows in old cells.
            for (d, c) in parsed.iter() {
                cell.insert(d.to_string(), c.to_string());
            }
            Ok(Ok(ObservationRow {
                indicator: r.0,
                indicator_version: r.1,
                area: r.2,
                area_name_zh: r.3,
                area_name_en: r.4,
                period: r.5,
                cell,
                cell_key: r.6,
                value: r.7,
                unit: r.8,
                unit_mult: r.9,
                status: r.10,
                source: r.11,
                footnote: r.12,
                batch_id: r.13,
                provenance: r.14,
                provenance_name: r.15,
                recorded_at: r.16,
                superseded_at: r.17,
                published: r.18.as_deref().is_some_and(|t| t <= now),
                released_at: r.18,
                children_reporting: r.19,
                children_expected: r.20,
                internal_note: r.21,
            }))
        };
        Ok(on_pool!(self, p => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for prm in params {
                q = match prm {
                    Param::Text(s) => q.bind(s.as_str()),
                    Param::Int(i) => q.bind(*i),
                };
            }
            let mut out = Vec::new();
            let mut rows = q.fetch(p);
            while let Some(r) = rows.try_next().await? {
                use sqlx::Row;
                match row(Raw(
                    r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?, r.try_get(5)?, r.try_get(6)?,
                    r.try_get(7)?, r.try_get(8)?, r.try_get(9)?, r.try_get(10)?, r.try_get(11)?, r.try_get(12)?, r.try_get(13)?,
                    r.try_get(14)?, r.try_get(15)?, r.try_get(16)?, r.try_get(17)?, r.try_get(18)?, r.try_get(19)?, r.try_get(20)?, r.try_get(21)?,
                ))? {
                    Ok(r) => out.push(r),
                    Err(missing) => return Ok(Err(missing)),
                }
            }
            Ok(out)
        }))
    }

    /// The dimensions of every indicator definition version, reading only the versions this
    /// process has not read before.
    async fn definition_dimensions(&self) -> Result<std::sync::Arc<Dimensions>> {
        let versions: Vec<(String, i64)> =
            on_pool!(self, p => sqlx::query_as("SELECT code, version FROM indicator_version").fetch_all(p).await?);
        let known = self.dimensions.lock().expect("not poisoned").clone();
        let mut all = Dimensions::clone(&known);
        for (code, version) in versions.into_iter().filter(|k| !known.contains_key(k)) {
            let definition: String = on_pool!(self, p => sqlx::query_scalar("SELECT definition FROM indicator_version WHERE code = $1 AND version = $2")
                .bind(&code).bind(version).fetch_one(p).await?);
            let def: rightstat_core::Indicator = serde_json::from_str(&definition)
                .map_err(|e| StoreError::Corrupt(format!("indicator definition {code} version {version}: {e}")))?;
            all.insert((code, version), std::sync::Arc::new(def.dimensions));
        }
        let all = std::sync::Arc::new(all);
        *self.dimensions.lock().expect("not poisoned") = all.clone();
        Ok(all)
    }

    pub async fn batch(&self, id: i64) -> Result<Option<BatchRow>> {
        let sql = format!("SELECT {BATCH_COLS} FROM batch WHERE id = $1");
        let row: Option<BatchTuple> =
            on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(id).fetch_optional(p).await?);
        Ok(row.map(batch_row))
    }

    /// Imported batches not yet public and not part of a collection round (a round's figures
    /// are released from the round's queue instead), newest first, at most 200.
    pub async fn unpublished_batches(&self) -> Result<Vec<BatchRow>> {
        let sql = format!(
            "SELECT {BATCH_COLS} FROM batch \
             WHERE published_at IS NULL AND round_id IS NULL AND rows > 0 AND kind <> 'computation' ORDER BY id DESC LIMIT 200"
        );
        let rows: Vec<BatchTuple> = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).fetch_all(p).await?);
        Ok(rows.into_iter().map(batch_row).collect())
    }

    /// Makes a batch's figures public (idempotent; recorded in the audit trail).
    pub async fn publish_batch(&self, id: i64, actor: &crate::Actor) -> Result<BatchRow> {
        let batch = self.batch(id).await?.ok_or_else(|| StoreError::NotFound(format!("batch {id}")))?;
        if batch.published_at.is_some() {
            return Ok(batch);
        }
        let now = crate::now_rfc3339();
        let pg = self.backend() == crate::Backend::Postgres;
        let id_text = id.to_string();
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE batch SET published_at = $2, approved_at = COALESCE(approved_at, $2) WHERE id = $1")
                .bind(id).bind(&now).execute(&mut *tx).await?;
            crate::audit::append_audit!(&mut *tx, pg, &crate::AuditEntry {
                actor, action: "batch.publish", entity: "batch", entity_id: &id_text, old_value: None, new_value: Some(now.clone()), reason: "",
            });
            tx.commit().await?;
        });
        self.batch(id).await?.ok_or_else(|| StoreError::NotFound(format!("batch {id}")))
    }

    /// A token that changes whenever what the public portal shows may have changed: a batch
    /// published, a round's release whose instant has passed (an embargo
    /// ends), a definition versioned, a recommendation imported or linked to an indicator, a
    /// code added. The portal rebuilds its snapshot when it changes, and only then.
    pub async fn public_version(&self) -> Result<String> {
        // Only what changes the public figures or their definitions: a batch recorded but not
        // published (a submission, an approval's roll-up) does not, so the portal keeps its
        // snapshot through a deadline.
        let sql = "SELECT (SELECT COUNT(*) FROM batch WHERE published_at IS NOT NULL), \
                   (SELECT COALESCE(MAX(published_at), '') FROM batch), (SELECT COUNT(*) FROM indicator_version), \
                   (SELECT COUNT(*) FROM recommendation) + (SELECT COUNT(*) FROM recommendation_indicator), (SELECT COUNT(*) FROM code), \
                   (SELECT COUNT(*) FROM round_release WHERE release_at <= $1)";
        type Row = (i64, String, i64, i64, i64, i64);
        let now = crate::now_rfc3339();
        let (published, at, versions, recs, codes, releases): Row = on_pool!(self, p => sqlx::query_as(sql).bind(&now).fetch_one(p).await?);
        Ok(format!("{published}/{at}/{versions}/{recs}/{codes}/{releases}"))
    }

    /// Number of current observations (all vintages with `all`).
    pub async fn observation_count(&self, all: bool) -> Result<i64> {
        let sql = if all { "SELECT COUNT(*) FROM observation" } else { "SELECT COUNT(*) FROM observation WHERE superseded_at IS NULL" };
        Ok(on_pool!(self, p => sqlx::query_scalar(sql).fetch_one(p).await?))
    }
}

/// A figure as the roll-up reads it: the latest accepted vintage of its key, without names,
/// units or provenance details ([`Store::accepted_values`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AcceptedValue {
    pub indicator: String,
    pub area: String,
    pub period: String,
    pub cell_key: String,
    pub value: Option<f64>,
    /// The kind of batch that recorded it (`computation` for a derived figure).
    pub provenance: String,
}

/// Current rows whose vintage is not accepted, looked back from at most this many at a time.
const LOOK_BACK_CHUNK: usize = 500;
/// Areas named in one query at most (SQLite binds at most 32,766 values to a statement).
const AREAS_CHUNK: usize = 1000;

impl Store {
    /// The latest accepted vintage (approved, computed from approved figures, or released: as
    /// [`Visibility::Accepted`]) of every key of `indicators` in exactly `areas`, with only
    /// what the roll-up reads. One scan of the current vintages; only keys whose current
    /// vintage awaits review (a correction, a form not yet approved) are looked back from.
    pub(crate) async fn accepted_values(&self, indicators: &[String], areas: &[&str]) -> Result<Vec<AcceptedValue>> {
        let mut out = Vec::new();
        for chunk in areas.chunks(AREAS_CHUNK) {
            out.extend(self.accepted_values_in(indicators, chunk).await?);
        }
        Ok(out)
    }

    async fn accepted_values_in(&self, indicators: &[String], areas: &[&str]) -> Result<Vec<AcceptedValue>> {
        if indicators.is_empty() || areas.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT o.id, o.indicator_code, o.area_code, o.period, o.cell_key, o.value, b.kind, \
             CAST(CASE WHEN {} THEN 1 ELSE 0 END AS BIGINT) FROM observation o JOIN batch b ON b.id = o.batch_id \
             WHERE o.superseded_at IS NULL AND o.indicator_code IN ({}) AND o.area_code IN ({})",
            accepted("o", "b"),
            crate::placeholders(1, indicators.len()),
            crate::placeholders(1 + indicators.len(), areas.len())
        );
        type Row = (i64, String, String, String, String, Option<f64>, String, i64);
        let rows: Vec<Row> = on_pool!(self, p => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()));
            for v in indicators.iter().map(String::as_str).chain(areas.iter().copied()) {
                q = q.bind(v);
            }
            q.fetch_all(p).await?
        });
        let mut out = Vec::with_capacity(rows.len());
        let mut pending = Vec::new();
        for (id, indicator, area, period, cell_key, value, provenance, accepted) in rows {
            if accepted == 1 {
                out.push(AcceptedValue { indicator, area, period, cell_key, value, provenance });
            } else {
                pending.push(id);
            }
        }
        // The latest accepted vintage before each pending current one, if any.
        for ids in pending.chunks(LOOK_BACK_CHUNK) {
            let sql = format!(
                "SELECT o.indicator_code, o.area_code, o.period, o.cell_key, o.value, b.kind FROM observation cur \
                 JOIN observation o ON o.id = (SELECT n.id FROM observation n JOIN batch nb ON nb.id = n.batch_id \
                   WHERE n.indicator_code = cur.indicator_code AND n.area_code = cur.area_code AND n.period = cur.period \
                   AND n.cell_key = cur.cell_key AND n.id < cur.id AND {} ORDER BY n.id DESC LIMIT 1) \
                 JOIN batch b ON b.id = o.batch_id WHERE cur.id IN ({})",
                accepted("n", "nb"),
                crate::placeholders(1, ids.len())
            );
            let found: Vec<(String, String, String, String, Option<f64>, String)> = on_pool!(self, p => {
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()));
                for id in ids {
                    q = q.bind(id);
                }
                q.fetch_all(p).await?
            });
            out.extend(found.into_iter().map(|(indicator, area, period, cell_key, value, provenance)| AcceptedValue {
                indicator,
                area,
                period,
                cell_key,
                value,
                provenance,
            }));
        }
        Ok(out)
    }
}
