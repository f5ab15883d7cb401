//! The area hierarchy: loading division codes, walking the tree, validity in time.

use crate::audit::{Actor, AuditEntry, append_audit};
use crate::{Result, Store, StoreError, on_pool};
use rightstat_core::area::{Area, AreaCode, AreaLevel};
use rightstat_core::ingest::AreaLookup;
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;

/// An area as stored, with the number of its children for tree views.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AreaRow {
    pub code: String,
    pub level: AreaLevel,
    pub parent: Option<String>,
    pub name_zh: String,
    pub name_en: Option<String>,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    /// Codes of the areas that took this one over (merges and splits).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub successors: Vec<String>,
}

/// Inserts areas in the given order (parents first) inside an open transaction `$tx`.
/// With `$replace` an existing area's names, parent and validity are updated.
macro_rules! insert_areas {
    ($tx:ident, $areas:expr, $replace:expr) => {{
        let sql = if $replace {
            "INSERT INTO area (code, level, depth, parent_code, name_zh, name_en, valid_from, valid_to) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (code) DO UPDATE SET \
             level = excluded.level, depth = excluded.depth, parent_code = excluded.parent_code, \
             name_zh = excluded.name_zh, name_en = COALESCE(excluded.name_en, area.name_en), \
             valid_from = excluded.valid_from, valid_to = excluded.valid_to"
        } else {
            "INSERT INTO area (code, level, depth, parent_code, name_zh, name_en, valid_from, valid_to) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (code) DO NOTHING"
        };
        for a in $areas {
            sqlx::query(sql)
                .bind(a.code.as_str())
                .bind(a.level.as_str())
                .bind(a.level.depth())
                .bind(a.parent.as_ref().map(|c| c.as_str()))
                .bind(&a.name_zh)
                .bind(a.name_en.as_deref())
                .bind(a.valid_from.as_deref())
                .bind(a.valid_to.as_deref())
                .execute(&mut *$tx)
                .await?;
        }
        // Every process's cached area index is stale from this commit on.
        sqlx::query("UPDATE area_generation SET generation = generation + 1").execute(&mut *$tx).await?;
    }};
}
pub(crate) use insert_areas;

const AREA_COLS: &str = "code, level, parent_code, name_zh, name_en, valid_from, valid_to";

fn area_from_row<R: Row>(r: &R) -> Result<AreaRow>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let level: String = r.try_get("level")?;
    Ok(AreaRow {
        code: r.try_get("code")?,
        level: level.parse().map_err(|_| StoreError::Corrupt(format!("area level {level}")))?,
        parent: r.try_get("parent_code")?,
        name_zh: r.try_get("name_zh")?,
        name_en: r.try_get("name_en")?,
        valid_from: r.try_get("valid_from")?,
        valid_to: r.try_get("valid_to")?,
        successors: Vec::new(),
    })
}

/// All area codes with their validity, for checking import rows without a query per row.
#[derive(Debug, Default, Clone)]
pub struct AreaIndex {
    areas: HashMap<String, (Option<String>, Option<String>)>,
    parents: HashMap<String, String>,
    /// The root of the hierarchy (the State), as [`Store::national_area`] finds it.
    root: Option<String>,
    /// Built on first use and kept with the (cached) index.
    children: std::sync::OnceLock<HashMap<String, Vec<String>>>,
}

impl AreaIndex {
    pub fn len(&self) -> usize {
        self.areas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }

    /// Every (child, parent) link.
    pub fn parent_links(&self) -> impl Iterator<Item = (&str, &str)> {
        self.parents.iter().map(|(c, p)| (c.as_str(), p.as_str()))
    }

    /// Every area's children (by parent links; all ever in force: filter by period with
    /// `in_force`).
    pub fn children_by_parent(&self) -> &HashMap<String, Vec<String>> {
        self.children.get_or_init(|| {
            let mut children: HashMap<String, Vec<String>> = HashMap::new();
            for (child, parent) in self.parent_links() {
                children.entry(parent.to_string()).or_default().push(child.to_string());
            }
            for list in children.values_mut() {
                list.sort_unstable();
            }
            children
        })
    }

    /// The areas a figure of `area` is checked against: itself, its parent, its children and
    /// its siblings (what the rules on totals, changes and outliers read).
    pub fn neighbourhood<'a>(&'a self, area: &'a str) -> impl Iterator<Item = &'a str> {
        let kids = self.children_by_parent();
        let parent = self.parent(area);
        let siblings = parent.and_then(|p| kids.get(p)).into_iter().flatten().map(String::as_str);
        let children = kids.get(area).into_iter().flatten().map(String::as_str);
        std::iter::once(area).chain(parent).chain(siblings).chain(children)
    }

    /// The root of the hierarchy (the State), the same as [`Store::national_area`]: "CN" when
    /// no area is loaded.
    pub fn root(&self) -> &str {
        self.root.as_deref().unwrap_or("CN")
    }

    /// The area's parent (none for the root or an unknown code).
    pub fn parent(&self, code: &str) -> Option<&str> {
        self.parents.get(code).map(String::as_str)
    }

    pub fn contains(&self, code: &str) -> bool {
        self.areas.contains_key(code)
    }

    /// The area and its ancestors, nearest first, by parent links.
    pub fn chain<'a>(&'a self, code: &'a str) -> Vec<&'a str> {
        let mut out = vec![code];
        while let Some(p) = self.parents.get(*out.last().unwrap_or(&"")) {
            if out.contains(&p.as_str()) {
                break; // a cycle would be corrupt data; do not loop
            }
            out.push(p);
        }
        out
    }

    /// Is `code` inside the subtree of any of `roots`?
    pub fn within(&self, code: &str, roots: &[String]) -> bool {
        self.chain(code).iter().any(|c| roots.iter().any(|r| r == c))
    }

    /// The nearest common ancestor of two areas.
    pub fn common_ancestor(&self, a: &str, b: &str) -> String {
        let cb = self.chain(b);
        self.chain(a).into_iter().find(|c| cb.contains(c)).unwrap_or(AreaCode::COUNTRY).to_string()
    }
}

impl AreaLookup for AreaIndex {
    fn in_force(&self, code: &AreaCode, period: Option<rightstat_core::Period>) -> Option<bool> {
        let (from, to) = self.areas.get(code.as_str())?;
        Some(period.is_none_or(|p| rightstat_core::area::valid_during(from.as_deref(), to.as_deref(), p)))
    }
}

/// A problem with one row of an area file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaFileError {
    pub row: u64,
    pub column: String,
    pub value: String,
    pub expected: String,
}

impl Store {
    pub async fn area(&self, code: &str) -> Result<Option<AreaRow>> {
        let sql = format!("SELECT {AREA_COLS} FROM area WHERE code = $1");
        let row = on_pool!(self, p => match sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(code).fetch_optional(p).await? {
            Some(r) => Some(area_from_row(&r)?),
            None => None,
        });
        let Some(mut row) = row else { return Ok(None) };
        row.successors = on_pool!(self, p => sqlx::query_scalar("SELECT successor FROM area_successor WHERE predecessor = $1 ORDER BY successor")
            .bind(code).fetch_all(p).await?);
        Ok(Some(row))
    }

    /// Direct children, optionally only those in force during `[start, end]`.
    pub async fn children(&self, code: &str, during: Option<(&str, &str)>) -> Result<Vec<AreaRow>> {
        let (start, end) = during.unwrap_or(("0000", "9999"));
        let sql = format!(
            "SELECT {AREA_COLS} FROM area WHERE parent_code = $1 \
             AND (valid_from IS NULL OR valid_from <= $3) AND (valid_to IS NULL OR valid_to >= $2) ORDER BY code"
        );
        on_pool!(self, p => sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(code).bind(start).bind(end).fetch_all(p).await?
            .iter().map(area_from_row).collect())
    }

    /// Every area below `code` (inclusive) at `level`, optionally only those in force during
    /// `[start, end]`. Follows stored parent links, not code prefixes.
    pub async fn descendants(&self, code: &str, level: AreaLevel, during: Option<(&str, &str)>) -> Result<Vec<AreaRow>> {
        let (start, end) = during.unwrap_or(("0000", "9999"));
        let sql = format!(
            "WITH RECURSIVE sub (code) AS ( \
                SELECT code FROM area WHERE code = $1 \
                UNION ALL SELECT a.code FROM area a JOIN sub ON a.parent_code = sub.code WHERE a.depth <= $2) \
             SELECT {} FROM area JOIN sub ON area.code = sub.code WHERE area.depth = $2 \
             AND (area.valid_from IS NULL OR area.valid_from <= $4) AND (area.valid_to IS NULL OR area.valid_to >= $3) \
             ORDER BY area.code",
            AREA_COLS.split(", ").map(|c| format!("area.{c}")).collect::<Vec<_>>().join(", ")
        );
        on_pool!(self, p => sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(code).bind(level.depth()).bind(start).bind(end).fetch_all(p).await?
            .iter().map(area_from_row).collect())
    }

    /// The Chinese names of every area at `level`, in one query.
    pub async fn area_names_at(&self, level: AreaLevel) -> Result<std::collections::HashMap<String, String>> {
        let rows: Vec<(String, String)> =
            on_pool!(self, p => sqlx::query_as("SELECT code, name_zh FROM area WHERE depth = $1").bind(level.depth()).fetch_all(p).await?);
        Ok(rows.into_iter().collect())
    }

    /// The Chinese names of the areas `codes`, in one query.
    pub async fn area_names_of(&self, codes: &[String]) -> Result<std::collections::HashMap<String, String>> {
        if codes.is_empty() {
            return Ok(Default::default());
        }
        let list = serde_json::to_string(codes).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let sql = match self.backend() {
            crate::Backend::Postgres => {
                "SELECT code, name_zh FROM area WHERE code IN (SELECT jsonb_array_elements_text(CAST($1 AS jsonb)))"
            }
            crate::Backend::Sqlite => "SELECT code, name_zh FROM area WHERE code IN (SELECT value FROM json_each($1))",
        };
        let rows: Vec<(String, String)> = on_pool!(self, p => sqlx::query_as(sql).bind(&list).fetch_all(p).await?);
        Ok(rows.into_iter().collect())
    }

    /// Number of areas at each level.
    pub async fn area_counts(&self) -> Result<Vec<(AreaLevel, i64)>> {
        let rows: Vec<(String, i64)> = on_pool!(self, p => sqlx::query_as("SELECT level, COUNT(*) FROM area GROUP BY level, depth ORDER BY depth")
            .fetch_all(p).await?);
        rows.into_iter().map(|(l, n)| Ok((l.parse().map_err(|_| StoreError::Corrupt(format!("area level {l}")))?, n))).collect()
    }

    /// The area index, read again only when the hierarchy changed since this process last read
    /// it (one one-row query otherwise; any process's change bumps the generation).
    pub async fn area_index(&self) -> Result<std::sync::Arc<AreaIndex>> {
        let generation: i64 =
            on_pool!(self, p => sqlx::query_scalar("SELECT generation FROM area_generation WHERE id = 1").fetch_one(p).await?);
        self.area_cache.get(generation, || self.read_area_index()).await
    }

    pub(crate) async fn read_area_index(&self) -> Result<AreaIndex> {
        // Code, valid from, valid to, parent, depth.
        type IndexRow = (String, Option<String>, Option<String>, Option<String>, i64);
        let rows: Vec<IndexRow> =
            on_pool!(self, p => sqlx::query_as("SELECT code, valid_from, valid_to, parent_code, depth FROM area").fetch_all(p).await?);
        let parents = rows.iter().filter_map(|(c, _, _, p, _)| Some((c.clone(), p.clone()?))).collect();
        let root = rows.iter().filter(|(_, _, _, p, d)| p.is_none() && *d == 0).map(|r| &r.0).min().cloned();
        Ok(AreaIndex { areas: rows.into_iter().map(|(c, f, t, _, _)| (c, (f, t))).collect(), parents, root, children: Default::default() })
    }

    /// Records that `predecessor` ceased on `change_date - 1` and `successor` took over.
    pub async fn add_successor(&self, predecessor: &str, successor: &str, change_date: &str, actor: &Actor) -> Result<()> {
        if !is_iso_date(change_date) {
            return Err(StoreError::Invalid(format!("{change_date:?} is not an ISO date YYYY-MM-DD")));
        }
        let pg = self.backend() == crate::Backend::Postgres;
        for c in [predecessor, successor] {
            if self.area(c).await?.is_none() {
                return Err(StoreError::NotFound(format!("area {c}")));
            }
        }
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("INSERT INTO area_successor (predecessor, successor, change_date) VALUES ($1, $2, $3) \
                         ON CONFLICT (predecessor, successor) DO UPDATE SET change_date = excluded.change_date")
                .bind(predecessor).bind(successor).bind(change_date).execute(&mut *tx).await?;
            append_audit!(&mut *tx, pg, &AuditEntry {
                actor, action: "area.succession", entity: "area", entity_id: predecessor,
                old_value: None, new_value: Some(format!("{successor} from {change_date}")), reason: "",
            });
            tx.commit().await?;
        });
        Ok(())
    }

    /// Loads areas from a division-code CSV, all or nothing.
    ///
    /// Columns: `code`, `name` (Chinese), and optionally `name_en`, `parent` (else the column
    /// of the level above as in the NBS files: `areaCode` for townships, `cityCode` for
    /// counties; else implied by the code), `valid_from`, `valid_to`. Every row must be at
    /// `level` and have a parent that exists in the database or earlier in the file.
    pub async fn import_areas<R: std::io::Read>(
        &self,
        reader: R,
        level: AreaLevel,
        source: &str,
        actor: &Actor,
    ) -> Result<Result<usize, Vec<AreaFileError>>> {
        let known = self.area_index().await?;
        let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(reader);
        let headers = rdr.headers().map_err(|e| StoreError::Invalid(e.to_string()))?.clone();
        let col = |names: &[&str]| names.iter().find_map(|n| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(n)));
        let mut errors = Vec::new();
        let (Some(c_code), Some(c_name)) = (col(&["code"]), col(&["name", "name_zh"])) else {
            return Ok(Err(vec![AreaFileError {
                row: 1,
                column: "header".into(),
                value: headers.iter().collect::<Vec<_>>().join(","),
                expected: "columns code and name (optionally name_en, parent, valid_from, valid_to)".into(),
            }]));
        };
        let parent_names: &[&str] = match level {
            AreaLevel::Township => &["parent", "areaCode"],
            AreaLevel::County => &["parent", "cityCode"],
            AreaLevel::Prefecture => &["parent", "provinceCode"],
            _ => &["parent"],
        };
        let (c_parent, c_en, c_from, c_to) = (col(parent_names), col(&["name_en"]), col(&["valid_from"]), col(&["valid_to"]));
        let mut areas = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, rec) in rdr.records().enumerate() {
            let row = i as u64 + 2;
            let rec = match rec {
                Ok(r) => r,
                Err(e) => {
                    errors.push(AreaFileError {
                        row,
                        column: "-".into(),
                        value: String::new(),
                        expected: format!("a well-formed CSV record ({e})"),
                    });
                    continue;
                }
            };
            let mut err = |column: &str, value: &str, expected: String| {
                errors.push(AreaFileError { row, column: column.into(), value: value.into(), expected })
            };
            let raw = rec.get(c_code).unwrap_or("").trim();
            let code = match raw.parse::<AreaCode>() {
                Ok(c) if c.level() == level => Some(c),
                _ => {
                    err("code", raw, format!("a {level} code of {} digits", level.code_len().unwrap_or(2)));
                    None
                }
            };
            let name = rec.get(c_name).unwrap_or("").trim();
            if name.is_empty() {
                err("name", name, "a non-empty name".into());
            }
            let parent = match (c_parent.and_then(|c| rec.get(c)).map(str::trim).filter(|s| !s.is_empty()), &code) {
                (Some(p), _) => Some(p.to_string()),
                (None, Some(c)) => c.implied_parent().map(|p| p.to_string()),
                (None, None) => None,
            };
            if let Some(p) = &parent
                && !known.contains(p)
                && !seen.contains(p)
            {
                err(parent_names[parent_names.len() - 1], p, "the code of an existing parent area".into());
            }
            let date = |c: Option<usize>| c.and_then(|c| rec.get(c)).map(str::trim).filter(|s| !s.is_empty()).map(String::from);
            let (from, to) = (date(c_from), date(c_to));
            for (name, d) in [("valid_from", &from), ("valid_to", &to)] {
                if let Some(d) = d
                    && !is_iso_date(d)
                {
                    err(name, d, "an ISO date YYYY-MM-DD".into());
                }
            }
            if let Some(code) = code {
                if !seen.insert(code.to_string()) {
                    err("code", code.as_str(), "a code not repeated in the file".into());
                }
                areas.push(Area {
                    level,
                    parent: parent.and_then(|p| p.parse().ok()),
                    code,
                    name_zh: name.to_string(),
                    name_en: date(c_en),
                    valid_from: from,
                    valid_to: to,
                });
            }
        }
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let pg = self.backend() == crate::Backend::Postgres;
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            insert_areas!(tx, &areas, true);
            append_audit!(&mut *tx, pg, &AuditEntry {
                actor, action: "areas.import", entity: "areas", entity_id: source,
                old_value: None, new_value: Some(format!("{} {level} areas", areas.len())), reason: "",
            });
            tx.commit().await?;
        });
        // The planner's statistics of the hierarchy (a village load multiplies the table by fifteen).
        self.analyze_after_load(crate::writers::Loaded::Area, areas.len() as u64).await?;
        Ok(Ok(areas.len()))
    }
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&s[5..7].parse::<u8>().unwrap_or(0))
        && (1..=31).contains(&s[8..10].parse::<u8>().unwrap_or(0))
}
