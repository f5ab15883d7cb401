//! The indicator catalogue (versioned), codelists, units, departments and the ICESCR / SDG
//! reference tables.

use crate::{Result, Store, StoreError, on_pool};
use rightstat_core::codelist::{Code, Codelist};
use rightstat_core::indicator::{Indicator, check_catalogue};
use rightstat_core::ingest::Catalogue;
use rightstat_core::reference::{Article, SdgGoal, SdgIndicator, SdgTarget};
use rightstat_core::unit::{Conversion, Unit};
use serde::Serialize;

/// An indicator definition as stored: the current version unless asked otherwise.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IndicatorRow {
    #[serde(flatten)]
    pub indicator: Indicator,
    pub version: i64,
    pub version_created_at: String,
    pub version_reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepartmentRow {
    pub code: String,
    pub name_en: String,
    pub name_zh: String,
    pub area: String,
}

/// Inserts version `$version` of indicator `$ind` inside the open transaction `$tx`.
macro_rules! insert_version {
    ($tx:ident, $ind:expr, $version:expr, $reason:expr, $now:expr) => {{
        let ind: &rightstat_core::Indicator = $ind;
        let json = serde_json::to_string(ind).map_err(|e| $crate::StoreError::Invalid(e.to_string()))?;
        sqlx::query(
            "INSERT INTO indicator_version (code, version, name_zh, name_en, unit, unit_mult, definition, reason, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&ind.code)
        .bind($version)
        .bind(&ind.name_zh)
        .bind(&ind.name_en)
        .bind(&ind.unit)
        .bind(ind.unit_mult as i64)
        .bind(json)
        .bind($reason)
        .bind($now)
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use insert_version;

fn parse_definition(json: &str, version: i64, created_at: String, reason: String) -> Result<IndicatorRow> {
    let indicator: Indicator = serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("indicator definition: {e}")))?;
    Ok(IndicatorRow { indicator, version, version_created_at: created_at, version_reason: reason })
}

const VERSION_COLS: &str = "v.definition, v.version, v.created_at, v.reason";

impl Store {
    /// The current definition of every indicator, by code.
    pub async fn indicators(&self) -> Result<Vec<IndicatorRow>> {
        let sql = format!(
            "SELECT {VERSION_COLS} FROM indicator i JOIN indicator_version v ON v.code = i.code AND v.version = i.current_version ORDER BY i.code"
        );
        let rows: Vec<(String, i64, String, String)> =
            on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).fetch_all(p).await?);
        rows.into_iter().map(|(j, v, c, r)| parse_definition(&j, v, c, r)).collect()
    }

    /// One indicator at its current version, or at `version`.
    pub async fn indicator(&self, code: &str, version: Option<i64>) -> Result<Option<IndicatorRow>> {
        let sql = format!(
            "SELECT {VERSION_COLS} FROM indicator i JOIN indicator_version v ON v.code = i.code \
             AND v.version = COALESCE($2, i.current_version) WHERE i.code = $1"
        );
        let row: Option<(String, i64, String, String)> =
            on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(code).bind(version).fetch_optional(p).await?);
        row.map(|(j, v, c, r)| parse_definition(&j, v, c, r)).transpose()
    }

    /// Every version of an indicator's definition, oldest first.
    pub async fn indicator_versions(&self, code: &str) -> Result<Vec<IndicatorRow>> {
        let sql = format!("SELECT {VERSION_COLS} FROM indicator_version v WHERE v.code = $1 ORDER BY v.version");
        let rows: Vec<(String, i64, String, String)> =
            on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(code).fetch_all(p).await?);
        rows.into_iter().map(|(j, v, c, r)| parse_definition(&j, v, c, r)).collect()
    }

    /// Adds or changes an indicator. A changed definition becomes a new version; earlier
    /// observations keep the version they were recorded under. Returns the version in force.
    pub async fn put_indicator(&self, ind: &Indicator, reason: &str, actor: &crate::Actor) -> Result<i64> {
        let current = self.indicator(&ind.code, None).await?;
        if current.as_ref().is_some_and(|c| &c.indicator == ind) {
            return Ok(current.map_or(1, |c| c.version));
        }
        // Check the new definition against the rest of the catalogue before storing it.
        let mut all: Vec<Indicator> = self.indicators().await?.into_iter().map(|r| r.indicator).filter(|i| i.code != ind.code).collect();
        all.push(ind.clone());
        let (units, _) = self.units().await?;
        check_catalogue(&all, &units, &self.codelists().await?).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let version = current.as_ref().map_or(1, |c| c.version + 1);
        let now = crate::now_rfc3339();
        let pg = self.backend() == crate::Backend::Postgres;
        let json = |i: &Indicator| serde_json::to_string(i).map_err(|e| StoreError::Invalid(e.to_string()));
        let entry = crate::AuditEntry {
            actor,
            action: if version == 1 { "indicator.create" } else { "indicator.update" },
            entity: "indicator",
            entity_id: &ind.code,
            old_value: current.as_ref().map(|c| json(&c.indicator)).transpose()?,
            new_value: Some(json(ind)?),
            reason,
        };
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            if version == 1 {
                sqlx::query("INSERT INTO indicator (code, current_version) VALUES ($1, 1)").bind(&ind.code).execute(&mut *tx).await?;
                insert_version!(tx, ind, version, reason, &now);
            } else {
                insert_version!(tx, ind, version, reason, &now);
                sqlx::query("UPDATE indicator SET current_version = $2 WHERE code = $1").bind(&ind.code).bind(version).execute(&mut *tx).await?;
            }
            crate::audit::append_audit!(&mut *tx, pg, &entry);
            tx.commit().await?;
        });
        Ok(version)
    }

    pub async fn codelists(&self) -> Result<Vec<Codelist>> {
        let lists: Vec<(String, String, String, String)> =
            on_pool!(self, p => sqlx::query_as("SELECT id, name_en, name_zh, description FROM codelist ORDER BY id").fetch_all(p).await?);
        let codes: Vec<(String, String, String, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT codelist_id, code, name_en, name_zh FROM code ORDER BY codelist_id, position").fetch_all(p).await?);
        Ok(lists
            .into_iter()
            .map(|(id, name_en, name_zh, description)| Codelist {
                codes: codes
                    .iter()
                    .filter(|c| c.0 == id)
                    .map(|(_, code, en, zh)| Code { code: code.clone(), name_en: en.clone(), name_zh: zh.clone() })
                    .collect(),
                id,
                name_en,
                name_zh,
                description,
            })
            .collect())
    }

    pub async fn units(&self) -> Result<(Vec<Unit>, Vec<Conversion>)> {
        let units: Vec<(String, String, String, bool)> =
            on_pool!(self, p => sqlx::query_as("SELECT code, name_en, name_zh, people FROM unit ORDER BY code").fetch_all(p).await?);
        let conv: Vec<(String, String, f64, f64)> = on_pool!(self, p => sqlx::query_as(
            "SELECT from_unit, to_unit, multiply, divide FROM unit_conversion ORDER BY from_unit, to_unit").fetch_all(p).await?);
        Ok((
            units.into_iter().map(|(code, name_en, name_zh, people)| Unit { code, name_en, name_zh, people }).collect(),
            conv.into_iter().map(|(from, to, multiply, divide)| Conversion { from, to, multiply, divide }).collect(),
        ))
    }

    /// Everything an import row is checked against, read again only when it changed since this
    /// process last read it (one one-row query otherwise: every change to indicators, code
    /// lists or units bumps `catalogue_generation` by trigger, in the change's transaction).
    pub async fn catalogue(&self) -> Result<std::sync::Arc<Catalogue>> {
        let generation: i64 =
            on_pool!(self, p => sqlx::query_scalar("SELECT generation FROM catalogue_generation WHERE id = 1").fetch_one(p).await?);
        self.catalogue_cache.get(generation, || self.read_catalogue()).await
    }

    /// The catalogue and the area index together, with one query for both generations: what
    /// one request (a form's checks and its import) reads them as, once.
    pub(crate) async fn reference(&self) -> Result<Reference> {
        let (catalogue, areas): (i64, i64) = on_pool!(self, p => sqlx::query_as(
            "SELECT c.generation, a.generation FROM catalogue_generation c, area_generation a WHERE c.id = 1 AND a.id = 1")
            .fetch_one(p).await?);
        Ok(Reference {
            catalogue: self.catalogue_cache.get(catalogue, || self.read_catalogue()).await?,
            areas: self.area_cache.get(areas, || self.read_area_index()).await?,
        })
    }

    async fn read_catalogue(&self) -> Result<Catalogue> {
        let (units, conversions) = self.units().await?;
        let inds = self.indicators().await?.into_iter().map(|r| (r.indicator, r.version)).collect();
        Ok(Catalogue::new(inds, self.codelists().await?, units, conversions))
    }

    pub async fn departments(&self) -> Result<Vec<DepartmentRow>> {
        let rows: Vec<(String, String, String, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT code, name_en, name_zh, area_code FROM department ORDER BY code").fetch_all(p).await?);
        Ok(rows.into_iter().map(|(code, name_en, name_zh, area)| DepartmentRow { code, name_en, name_zh, area }).collect())
    }

    pub async fn icescr_articles(&self) -> Result<Vec<Article>> {
        let rows: Vec<(i64, String, String, String, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT number, title_en, title_zh, summary_en, summary_zh FROM icescr_article ORDER BY number").fetch_all(p).await?);
        Ok(rows
            .into_iter()
            .map(|(n, title_en, title_zh, summary_en, summary_zh)| Article { number: n as u8, title_en, title_zh, summary_en, summary_zh })
            .collect())
    }

    pub async fn sdg_goals(&self) -> Result<Vec<SdgGoal>> {
        let goals: Vec<(i64, String, String)> =
            on_pool!(self, p => sqlx::query_as("SELECT goal, title_en, title_zh FROM sdg_goal ORDER BY goal").fetch_all(p).await?);
        let targets: Vec<(String, i64, String, String)> =
            on_pool!(self, p => sqlx::query_as("SELECT code, goal, text_en, text_zh FROM sdg_target ORDER BY code").fetch_all(p).await?);
        let inds: Vec<(String, String, String, String)> = on_pool!(self, p => sqlx::query_as("SELECT code, target, text_en, text_zh FROM sdg_indicator ORDER BY code").fetch_all(p).await?);
        Ok(goals
            .into_iter()
            .map(|(goal, title_en, title_zh)| SdgGoal {
                goal: goal as u8,
                title_en,
                title_zh,
                targets: targets
                    .iter()
                    .filter(|t| t.1 == goal)
                    .map(|(code, _, text_en, text_zh)| SdgTarget {
                        indicators: inds
                            .iter()
                            .filter(|i| &i.1 == code)
                            .map(|(c, _, t, z)| SdgIndicator { code: c.clone(), text_en: t.clone(), text_zh: z.clone() })
                            .collect(),
                        code: code.clone(),
                        text_en: text_en.clone(),
                        text_zh: text_zh.clone(),
                    })
                    .collect(),
            })
            .collect())
    }
}

/// The catalogue and the area index as one request reads them ([`Store::reference`]).
#[derive(Clone)]
pub(crate) struct Reference {
    pub catalogue: std::sync::Arc<Catalogue>,
    pub areas: std::sync::Arc<crate::areas::AreaIndex>,
}

impl std::fmt::Debug for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reference").field("areas", &self.areas.len()).finish_non_exhaustive()
    }
}
