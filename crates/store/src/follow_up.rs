//! Follow-up of recommendations: the measures register, which measures, departments and
//! indicators answer each recommendation, dated assessments (government and independent, side
//! by side), and the evidence computed from the observations.
//!
//! Evidence is never typed in: the latest value and the trend since the recommendation come
//! from the observations the caller may see, so "an action was reported" is never shown as
//! "the situation improved".

use crate::audit::{Actor, AuditEntry, append_audit};
use crate::lists::{join, split};
use crate::observations::{ObservationFilter, Visibility};
use crate::recommendations::{RecommendationFilter, RecommendationRow, union};
use crate::{Backend, Result, Store, StoreError, on_pool};
use rightstat_core::measure::{Measure, is_iso_date};
use rightstat_core::recommendation::{Assessor, Better, Cluster, ImplementationStatus, Trend, asked_breakdowns, trend_since};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};

/// A dated judgement of how far a recommendation has been implemented.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssessmentRow {
    pub id: i64,
    pub uid: String,
    /// government, nhri or civil_society.
    pub assessor: String,
    /// The ministry, institution or organisation that made it.
    pub assessor_name: String,
    pub assessed_on: String,
    pub status: String,
    pub text: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// A new assessment.
#[derive(Debug, Clone)]
pub struct NewAssessment<'a> {
    pub uid: &'a str,
    pub assessor: Assessor,
    pub assessor_name: &'a str,
    pub assessed_on: &'a str,
    pub status: ImplementationStatus,
    pub text: &'a str,
}

/// A point of an indicator's series.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Point {
    pub period: String,
    pub year: i32,
    pub value: f64,
}

/// What the data show for one indicator linked to a recommendation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Evidence {
    pub indicator: String,
    pub name_en: String,
    pub name_zh: String,
    pub unit: String,
    pub unit_mult: i32,
    /// The area the series is for (the State as a whole).
    pub area: String,
    pub better: Option<Better>,
    /// The cell the series is for: the total (`""`) when reported, else the best-covered cell
    /// (e.g. `|URBANISATION=R|` for a rural-only poverty rate).
    pub cell: String,
    /// The indicator's name with the population of the cell in words ("Per-capita disposable
    /// income (urban)"): a part is never labelled as the whole.
    pub label_en: String,
    pub label_zh: String,
    /// Yearly values of that cell, oldest first.
    pub series: Vec<Point>,
    /// The last value at or before the recommendation's year (or else the first after).
    pub baseline: Option<Point>,
    pub latest: Option<Point>,
    pub trend: Trend,
    /// Dimensions the recommendation asks the data to be broken down by.
    pub breakdowns_asked: Vec<String>,
    /// Dimensions for which broken-down values exist.
    pub breakdowns_available: Vec<String>,
    /// Asked for, and not available.
    pub breakdowns_missing: Vec<String>,
    /// Made by a rule and not yet confirmed by a person.
    pub suggested: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepartmentRole {
    pub code: String,
    pub name_en: String,
    pub name_zh: String,
    /// lead or contributing.
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeasureRef {
    pub code: String,
    pub name_en: String,
    pub name_zh: String,
    pub local_term: String,
    /// Made by a rule and not yet confirmed by a person.
    pub suggested: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkedRecommendation {
    pub uid: String,
    /// repeats or cites.
    pub kind: String,
    /// earlier (this one repeats or cites it) or later (it repeats or cites this one).
    pub direction: String,
}

/// A recommendation with everything the follow-up knows about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecommendationFollowUp {
    #[serde(flatten)]
    pub recommendation: RecommendationRow,
    /// The latest government assessment's status, if any.
    pub status: Option<String>,
    pub departments: Vec<DepartmentRole>,
    pub measures: Vec<MeasureRef>,
    pub evidence: Vec<Evidence>,
    pub links: Vec<LinkedRecommendation>,
    /// Empty for callers who are not signed in.
    pub assessments: Vec<AssessmentRow>,
}

/// A measure with the recommendations it answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeasureRow {
    #[serde(flatten)]
    pub measure: Measure,
    pub recommendations: Vec<String>,
    pub updated_at: String,
    pub updated_by: String,
}

#[derive(sqlx::FromRow)]
struct RawMeasure {
    code: String,
    name_zh: String,
    name_en: String,
    local_term: String,
    description_en: String,
    description_zh: String,
    legal_basis: String,
    legal_basis_zh: String,
    department_code: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    budget: Option<f64>,
    budget_unit: String,
    icescr_articles: String,
    sdg_targets: String,
    updated_at: String,
    updated_by: String,
}

const MEASURE_COLUMNS: &str = "code, name_zh, name_en, local_term, description_en, description_zh, legal_basis, legal_basis_zh, department_code, \
     start_date, end_date, budget, budget_unit, icescr_articles, sdg_targets, updated_at, updated_by";

fn year_of(period: &str) -> Option<i32> {
    period.get(..4)?.parse().ok()
}

impl Store {
    // ---- measures -------------------------------------------------------------------------

    /// Creates or replaces a measure (with the indicators that show its result), audited.
    pub async fn put_measure(&self, m: &Measure, actor: &Actor) -> Result<()> {
        m.check().map_err(|e| StoreError::Invalid(e.to_string()))?;
        let cat = self.catalogue().await?;
        if let Some(i) = m.indicators.iter().find(|i| !cat.indicators.contains_key(i.as_str())) {
            return Err(StoreError::Invalid(format!("{}: indicator {i} is not in the catalogue", m.code)));
        }
        if let Some(d) = &m.department
            && !self.departments().await?.iter().any(|x| &x.code == d)
        {
            return Err(StoreError::Invalid(format!("{}: department {d} is not known", m.code)));
        }
        let old = self.measure(&m.code).await?;
        let sorted = |m: &Measure| {
            let mut m = m.clone();
            m.indicators.sort();
            m
        };
        if old.as_ref().is_some_and(|o| sorted(&o.measure) == sorted(m)) {
            return Ok(());
        }
        let now = crate::now_rfc3339();
        let pg = self.backend() == Backend::Postgres;
        let articles = m.icescr_articles.iter().map(|a| a.to_string()).collect::<Vec<_>>();
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("INSERT INTO measure (code, name_zh, name_en, local_term, description_en, description_zh, legal_basis, department_code, \
                         start_date, end_date, budget, budget_unit, icescr_articles, sdg_targets, updated_at, updated_by, legal_basis_zh) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
                         ON CONFLICT (code) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en, local_term = excluded.local_term, \
                         description_en = excluded.description_en, description_zh = excluded.description_zh, legal_basis = excluded.legal_basis, legal_basis_zh = excluded.legal_basis_zh, \
                         department_code = excluded.department_code, start_date = excluded.start_date, end_date = excluded.end_date, \
                         budget = excluded.budget, budget_unit = excluded.budget_unit, icescr_articles = excluded.icescr_articles, \
                         sdg_targets = excluded.sdg_targets, updated_at = excluded.updated_at, updated_by = excluded.updated_by")
                .bind(&m.code).bind(&m.name_zh).bind(&m.name_en).bind(&m.local_term).bind(&m.description_en).bind(&m.description_zh)
                .bind(&m.legal_basis).bind(m.department.as_deref()).bind(m.start_date.as_deref()).bind(m.end_date.as_deref())
                .bind(m.budget).bind(&m.budget_unit).bind(join(&articles)).bind(join(&m.sdg_targets)).bind(&now).bind(&actor.name)
                .bind(&m.legal_basis_zh)
                .execute(&mut *tx).await?;
            sqlx::query("DELETE FROM measure_indicator WHERE measure_code = $1").bind(&m.code).execute(&mut *tx).await?;
            for i in &m.indicators {
                sqlx::query("INSERT INTO measure_indicator (measure_code, indicator_code) VALUES ($1, $2)")
                    .bind(&m.code).bind(i).execute(&mut *tx).await?;
            }
            let old_value = old.as_ref().map(|o| serde_json::to_string(&o.measure).unwrap_or_default());
            let new_value = serde_json::to_string(m).map_err(|e| StoreError::Invalid(e.to_string()))?;
            append_audit!(&mut *tx, pg, &AuditEntry {
                actor, action: if old.is_some() { "measure.update" } else { "measure.create" }, entity: "measure", entity_id: &m.code,
                old_value, new_value: Some(new_value), reason: "",
            });
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every measure, by code.
    pub async fn measures(&self) -> Result<Vec<MeasureRow>> {
        let sql = format!("SELECT {MEASURE_COLUMNS} FROM measure ORDER BY code");
        let raw: Vec<RawMeasure> = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(p).await?);
        let inds: Vec<(String, String)> = on_pool!(self, p => sqlx::query_as("SELECT measure_code, indicator_code FROM measure_indicator ORDER BY measure_code, indicator_code").fetch_all(p).await?);
        let recs: Vec<(String, String)> = on_pool!(self, p => sqlx::query_as("SELECT measure_code, uid FROM measure_recommendation ORDER BY measure_code, uid").fetch_all(p).await?);
        Ok(raw
            .into_iter()
            .map(|r| {
                let pick = |v: &[(String, String)]| v.iter().filter(|(m, _)| *m == r.code).map(|(_, x)| x.clone()).collect::<Vec<_>>();
                MeasureRow {
                    recommendations: pick(&recs),
                    measure: Measure {
                        indicators: pick(&inds),
                        code: r.code,
                        name_zh: r.name_zh,
                        name_en: r.name_en,
                        local_term: r.local_term,
                        description_en: r.description_en,
                        description_zh: r.description_zh,
                        legal_basis: r.legal_basis,
                        legal_basis_zh: r.legal_basis_zh,
                        department: r.department_code,
                        start_date: r.start_date,
                        end_date: r.end_date,
                        budget: r.budget,
                        budget_unit: r.budget_unit,
                        icescr_articles: split(&r.icescr_articles).iter().filter_map(|a| a.parse().ok()).collect(),
                        sdg_targets: split(&r.sdg_targets),
                    },
                    updated_at: r.updated_at,
                    updated_by: r.updated_by,
                }
            })
            .collect())
    }

    pub async fn measure(&self, code: &str) -> Result<Option<MeasureRow>> {
        Ok(self.measures().await?.into_iter().find(|m| m.measure.code == code))
    }

    // ---- links ----------------------------------------------------------------------------

    /// Whether a row exists; `sql` is a constant `SELECT 1 FROM … WHERE … = $1`. The link
    /// methods check their codes this way instead of loading whole registers (the demo links
    /// hundreds of recommendations at start-up).
    async fn exists(&self, sql: &'static str, key: &str) -> Result<bool> {
        let row: Option<(i32,)> = on_pool!(self, p => sqlx::query_as(sql).bind(key).fetch_optional(p).await?);
        Ok(row.is_some())
    }

    async fn require_recommendation(&self, uid: &str) -> Result<RecommendationRow> {
        self.recommendation(uid).await?.ok_or_else(|| StoreError::NotFound(format!("recommendation {uid}")))
    }

    /// Links a measure to a recommendation it answers, confirmed by the person acting (a
    /// suggested link becomes confirmed).
    pub async fn link_measure(&self, measure: &str, uid: &str, actor: &Actor) -> Result<()> {
        self.measure_link(measure, uid, true, actor).await
    }

    /// Suggests a measure for a recommendation (a rule's link): shown as suggested until a
    /// person confirms it; a link that exists is left as it is.
    pub async fn suggest_measure(&self, measure: &str, uid: &str, actor: &Actor) -> Result<()> {
        self.measure_link(measure, uid, false, actor).await
    }

    async fn measure_link(&self, measure: &str, uid: &str, confirm: bool, actor: &Actor) -> Result<()> {
        self.require_recommendation(uid).await?;
        if !self.exists("SELECT 1 FROM measure WHERE code = $1", measure).await? {
            return Err(StoreError::NotFound(format!("measure {measure}")));
        }
        if confirm {
            self.link(
                "INSERT INTO measure_recommendation (measure_code, uid, confirmed_by, confirmed_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (measure_code, uid) DO UPDATE SET confirmed_by = excluded.confirmed_by, confirmed_at = excluded.confirmed_at \
                 WHERE measure_recommendation.confirmed_by IS NULL",
                measure,
                uid,
                vec![actor.name.clone(), crate::now_rfc3339()],
                Some("confirmed".into()),
                "measure.link",
                actor,
            )
            .await
        } else {
            self.link(
                "INSERT INTO measure_recommendation (measure_code, uid) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                measure,
                uid,
                vec![],
                Some("suggested".into()),
                "measure.suggest",
                actor,
            )
            .await
        }
    }

    /// Links an indicator to a recommendation, with the breakdowns the recommendation asks for
    /// (when `None`, they are recognised from its text by the breakdown rules), confirmed by the
    /// person acting.
    pub async fn link_indicator(&self, uid: &str, indicator: &str, breakdowns: Option<Vec<String>>, actor: &Actor) -> Result<()> {
        self.indicator_link(uid, indicator, breakdowns, true, actor).await
    }

    /// Suggests an indicator as evidence for a recommendation (a rule's link), the breakdowns
    /// recognised from its text; a link that exists is left as it is.
    pub async fn suggest_indicator(&self, uid: &str, indicator: &str, actor: &Actor) -> Result<()> {
        self.indicator_link(uid, indicator, None, false, actor).await
    }

    async fn indicator_link(
        &self,
        uid: &str,
        indicator: &str,
        breakdowns: Option<Vec<String>>,
        confirm: bool,
        actor: &Actor,
    ) -> Result<()> {
        let rec = self.require_recommendation(uid).await?;
        if !self.exists("SELECT 1 FROM indicator WHERE code = $1", indicator).await? {
            return Err(StoreError::NotFound(format!("indicator {indicator}")));
        }
        let asked = breakdowns.unwrap_or_else(|| asked_breakdowns(&rightstat_core::reference::clusters().1, &rec.text));
        for d in &asked {
            if !self.exists("SELECT 1 FROM codelist WHERE id = $1", d).await? {
                return Err(StoreError::Invalid(format!("breakdown {d} is not a known dimension")));
            }
        }
        if confirm {
            self.link(
                "INSERT INTO recommendation_indicator (uid, indicator_code, breakdowns, confirmed_by, confirmed_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (uid, indicator_code) DO UPDATE SET breakdowns = excluded.breakdowns, \
                 confirmed_by = COALESCE(recommendation_indicator.confirmed_by, excluded.confirmed_by), \
                 confirmed_at = COALESCE(recommendation_indicator.confirmed_at, excluded.confirmed_at) \
                 WHERE recommendation_indicator.breakdowns <> excluded.breakdowns OR recommendation_indicator.confirmed_by IS NULL",
                uid,
                indicator,
                vec![join(&asked), actor.name.clone(), crate::now_rfc3339()],
                Some(format!("confirmed; breakdowns {}", join(&asked))),
                "recommendation.link_indicator",
                actor,
            )
            .await
        } else {
            self.link(
                "INSERT INTO recommendation_indicator (uid, indicator_code, breakdowns) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                uid,
                indicator,
                vec![join(&asked)],
                Some(format!("suggested; breakdowns {}", join(&asked))),
                "recommendation.suggest_indicator",
                actor,
            )
            .await
        }
    }

    /// Removes a measure's or an indicator's link to a recommendation (a suggestion the expert
    /// rejects, or a link made in error); audited. `kind`: measure or indicator.
    pub async fn unlink(&self, uid: &str, kind: &str, code: &str, actor: &Actor) -> Result<()> {
        let sql = match kind {
            "measure" => "DELETE FROM measure_recommendation WHERE uid = $1 AND measure_code = $2",
            "indicator" => "DELETE FROM recommendation_indicator WHERE uid = $1 AND indicator_code = $2",
            k => return Err(StoreError::Invalid(format!("link kind '{k}': expected measure or indicator"))),
        };
        let pg = self.backend() == Backend::Postgres;
        let id = format!("{code} {uid}");
        let removed = on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query(sql).bind(uid).bind(code).execute(&mut *tx).await?.rows_affected();
            if n > 0 {
                append_audit!(&mut *tx, pg, &AuditEntry {
                    actor, action: "recommendation.unlink", entity: "recommendation", entity_id: &id,
                    old_value: Some(kind.to_string()), new_value: None, reason: "",
                });
            }
            tx.commit().await?;
            n
        });
        if removed == 0 {
            return Err(StoreError::NotFound(format!("no {kind} {code} linked to {uid}")));
        }
        Ok(())
    }

    /// Assigns a recommendation to a department as lead or contributing.
    pub async fn assign_department(&self, uid: &str, department: &str, lead: bool, actor: &Actor) -> Result<()> {
        self.require_recommendation(uid).await?;
        if !self.exists("SELECT 1 FROM department WHERE code = $1", department).await? {
            return Err(StoreError::NotFound(format!("department {department}")));
        }
        self.link(
            "INSERT INTO recommendation_department (uid, department_code, role) VALUES ($1, $2, $3) \
             ON CONFLICT (uid, department_code) DO UPDATE SET role = excluded.role \
             WHERE recommendation_department.role <> excluded.role",
            uid,
            department,
            vec![if lead { "lead" } else { "contributing" }.into()],
            Some(if lead { "lead" } else { "contributing" }.into()),
            "recommendation.assign",
            actor,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn link(
        &self,
        sql: &'static str,
        a: &str,
        b: &str,
        more: Vec<String>,
        c: Option<String>,
        action: &'static str,
        actor: &Actor,
    ) -> Result<()> {
        let pg = self.backend() == Backend::Postgres;
        let id = format!("{a} {b}");
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let mut q = sqlx::query(sql).bind(a).bind(b);
            for m in &more {
                q = q.bind(m);
            }
            if q.execute(&mut *tx).await?.rows_affected() == 0 {
                return Ok(());
            }
            append_audit!(&mut *tx, pg, &AuditEntry {
                actor, action, entity: "recommendation", entity_id: &id, old_value: None, new_value: c.clone(), reason: "",
            });
            tx.commit().await?;
        });
        Ok(())
    }

    // ---- assessments ----------------------------------------------------------------------

    pub async fn add_assessment(&self, a: &NewAssessment<'_>, actor: &Actor) -> Result<i64> {
        self.require_recommendation(a.uid).await?;
        if !is_iso_date(a.assessed_on) {
            return Err(StoreError::Invalid(format!("assessment date '{}' is not YYYY-MM-DD", a.assessed_on)));
        }
        if a.assessor_name.trim().is_empty() {
            return Err(StoreError::Invalid("the assessor's name is required".into()));
        }
        for (field, text, breaks) in [("assessor_name", a.assessor_name, false), ("text", a.text, true)] {
            if let Some(f) = rightstat_core::text::check_clean(field, text, breaks) {
                return Err(StoreError::Invalid(format!("assessment {field}: {}", f.expected)));
            }
        }
        let now = crate::now_rfc3339();
        let pg = self.backend() == Backend::Postgres;
        let id: i64 = on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO assessment (uid, assessor, assessor_name, assessed_on, status, text, recorded_by, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
                .bind(a.uid).bind(a.assessor.as_str()).bind(a.assessor_name.trim()).bind(a.assessed_on).bind(a.status.as_str())
                .bind(a.text).bind(&actor.name).bind(&now).fetch_one(&mut *tx).await?;
            let value = format!("{} {} {}: {}", a.assessor.as_str(), a.assessed_on, a.status.as_str(), a.text);
            append_audit!(&mut *tx, pg, &AuditEntry {
                actor, action: "assessment.add", entity: "recommendation", entity_id: a.uid, old_value: None, new_value: Some(value), reason: "",
            });
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    pub async fn assessments(&self, uid: &str) -> Result<Vec<AssessmentRow>> {
        let rows: Vec<AssessmentRow> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, uid, assessor, assessor_name, assessed_on, status, text, recorded_by, recorded_at FROM assessment \
             WHERE uid = $1 ORDER BY assessed_on, id").bind(uid).fetch_all(p).await?);
        Ok(rows)
    }

    /// The latest government assessment's status of every assessed recommendation.
    pub(crate) async fn latest_government_status(&self) -> Result<HashMap<String, String>> {
        let rows: Vec<(String, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT uid, status FROM assessment WHERE assessor = 'government' ORDER BY assessed_on, id").fetch_all(p).await?);
        Ok(rows.into_iter().collect())
    }

    pub(crate) async fn uids_of_department(&self, department: &str) -> Result<HashSet<String>> {
        let rows: Vec<(String,)> = on_pool!(self, p => sqlx::query_as(
            "SELECT uid FROM recommendation_department WHERE department_code = $1").bind(department).fetch_all(p).await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    pub(crate) async fn uids_of_measure(&self, measure: &str) -> Result<HashSet<String>> {
        let rows: Vec<(String,)> = on_pool!(self, p => sqlx::query_as("SELECT uid FROM measure_recommendation WHERE measure_code = $1").bind(measure).fetch_all(p).await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    // ---- clusters -------------------------------------------------------------------------

    /// Puts recommendations into clusters by the rules; clusters already set are kept.
    /// Returns how many recommendations gained a cluster.
    pub async fn apply_clusters(&self, rules: &[Cluster], actor: &Actor) -> Result<u64> {
        let all = self.find_recommendations(&RecommendationFilter::default()).await?;
        let pg = self.backend() == Backend::Postgres;
        let mut changed = 0u64;
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            for r in &all {
                let mut clusters = r.clusters.clone();
                let found: Vec<String> = rules.iter().filter(|c| c.matches(&r.text, &r.themes)).map(|c| c.code.clone()).collect();
                union(&mut clusters, &found);
                if clusters != r.clusters {
                    sqlx::query("UPDATE recommendation SET clusters = $2 WHERE uid = $1").bind(&r.uid).bind(join(&clusters)).execute(&mut *tx).await?;
                    changed += 1;
                }
            }
            let summary = format!("{changed} recommendations clustered by {} rules", rules.len());
            append_audit!(&mut *tx, pg, &AuditEntry {
                actor, action: "recommendations.cluster", entity: "recommendations", entity_id: "*", old_value: None, new_value: Some(summary), reason: "",
            });
            tx.commit().await?;
        });
        Ok(changed)
    }

    // ---- the whole picture ----------------------------------------------------------------

    /// Recommendations matching the filter with their departments, measures, links, evidence
    /// (from the observations `visibility` allows) and, when `with_assessments`, assessments.
    pub async fn follow_up(
        &self,
        f: &RecommendationFilter,
        visibility: &Visibility,
        with_assessments: bool,
    ) -> Result<Vec<RecommendationFollowUp>> {
        let recs = self.find_recommendations(f).await?;
        let wanted: HashSet<&str> = recs.iter().map(|r| r.uid.as_str()).collect();
        let status = self.latest_government_status().await?;
        let depts: Vec<(String, String, String, String, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT rd.uid, d.code, d.name_en, d.name_zh, rd.role FROM recommendation_department rd \
             JOIN department d ON d.code = rd.department_code ORDER BY rd.role DESC, d.code").fetch_all(p).await?);
        let measures: Vec<(String, String, String, String, String, bool)> = on_pool!(self, p => sqlx::query_as(
            "SELECT mr.uid, m.code, m.name_en, m.name_zh, m.local_term, mr.confirmed_by IS NULL FROM measure_recommendation mr \
             JOIN measure m ON m.code = mr.measure_code ORDER BY m.code").fetch_all(p).await?);
        let inds: Vec<(String, String, String, bool)> = on_pool!(self, p => sqlx::query_as(
            "SELECT uid, indicator_code, breakdowns, confirmed_by IS NULL FROM recommendation_indicator ORDER BY indicator_code").fetch_all(p).await?);
        let links: Vec<(String, String, String)> =
            on_pool!(self, p => sqlx::query_as("SELECT from_uid, to_uid, kind FROM recommendation_link").fetch_all(p).await?);
        let cat = self.catalogue().await?;
        let national = self.national_area().await?;
        // One query per indicator, shared by every recommendation linked to it.
        let mut series: HashMap<String, (String, Vec<Point>, BTreeSet<String>)> = HashMap::new();
        for (uid, code, _, _) in &inds {
            if wanted.contains(uid.as_str()) && !series.contains_key(code) {
                let s = self.indicator_series(code, &national, visibility).await?;
                series.insert(code.clone(), s);
            }
        }
        let mut out = Vec::with_capacity(recs.len());
        for r in recs {
            let since = r.year.unwrap_or(0) as i32;
            let evidence = inds
                .iter()
                .filter(|(u, _, _, _)| *u == r.uid)
                .filter_map(|(_, code, asked, suggested)| {
                    let ind = &cat.indicators.get(code)?.0;
                    let (cell, pts, dims) = series.get(code)?;
                    let pairs: Vec<(i32, f64)> = pts.iter().map(|p| (p.year, p.value)).collect();
                    let (trend, b, l) = trend_since(&pairs, since, ind.better);
                    let point = |x: Option<(i32, f64)>| x.and_then(|(y, _)| pts.iter().find(|p| p.year == y).cloned());
                    let asked = split(asked);
                    Some(Evidence {
                        indicator: code.clone(),
                        name_en: ind.name_en.clone(),
                        name_zh: ind.name_zh.clone(),
                        unit: ind.unit.clone(),
                        unit_mult: ind.unit_mult,
                        area: national.clone(),
                        better: ind.better,
                        label_en: cell_label(&ind.name_en, cell, &cat, false),
                        label_zh: cell_label(&ind.name_zh, cell, &cat, true),
                        cell: cell.clone(),
                        series: pts.clone(),
                        baseline: point(b),
                        latest: point(l),
                        trend,
                        breakdowns_missing: asked.iter().filter(|d| !dims.contains(*d)).cloned().collect(),
                        breakdowns_available: dims.iter().cloned().collect(),
                        breakdowns_asked: asked,
                        suggested: *suggested,
                    })
                })
                .collect();
            let assessments = if with_assessments { self.assessments(&r.uid).await? } else { Vec::new() };
            out.push(RecommendationFollowUp {
                status: status.get(&r.uid).cloned(),
                departments: depts
                    .iter()
                    .filter(|d| d.0 == r.uid)
                    .map(|d| DepartmentRole { code: d.1.clone(), name_en: d.2.clone(), name_zh: d.3.clone(), role: d.4.clone() })
                    .collect(),
                measures: measures
                    .iter()
                    .filter(|m| m.0 == r.uid)
                    .map(|m| MeasureRef {
                        code: m.1.clone(),
                        name_en: m.2.clone(),
                        name_zh: m.3.clone(),
                        local_term: m.4.clone(),
                        suggested: m.5,
                    })
                    .collect(),
                links: links
                    .iter()
                    .filter_map(|(from, to, kind)| {
                        let (uid, direction) = if *from == r.uid {
                            (to, "earlier")
                        } else if *to == r.uid {
                            (from, "later")
                        } else {
                            return None;
                        };
                        Some(LinkedRecommendation { uid: uid.clone(), kind: kind.clone(), direction: direction.into() })
                    })
                    .collect(),
                evidence,
                assessments,
                recommendation: r,
            });
        }
        Ok(out)
    }

    /// The root of the area hierarchy (the State).
    pub async fn national_area(&self) -> Result<String> {
        let row: Option<(String,)> = on_pool!(self, p => sqlx::query_as("SELECT code FROM area WHERE depth = 0 AND parent_code IS NULL ORDER BY code LIMIT 1").fetch_optional(p).await?);
        Ok(row.map_or_else(|| "CN".to_string(), |r| r.0))
    }

    /// The yearly series of an indicator for an area (the total, or else the best-covered
    /// cell), and the dimensions it has broken-down values for.
    async fn indicator_series(&self, code: &str, area: &str, visibility: &Visibility) -> Result<(String, Vec<Point>, BTreeSet<String>)> {
        let obs = self
            .observations(&ObservationFilter {
                indicators: vec![code.to_string()],
                area: Some(area.to_string()),
                visibility: visibility.clone(),
                ..Default::default()
            })
            .await?;
        let mut dims = BTreeSet::new();
        let mut by_cell: std::collections::BTreeMap<&str, Vec<Point>> = Default::default();
        for o in &obs {
            for (d, c) in &o.cell {
                if c != rightstat_core::codelist::TOTAL {
                    dims.insert(d.clone());
                }
            }
            if let (Some(v), Some(y)) = (o.value, year_of(&o.period))
                && o.period.len() == 4
            {
                by_cell.entry(o.cell_key.as_str()).or_default().push(Point { period: o.period.clone(), year: y, value: v });
            }
        }
        let cell = if by_cell.contains_key("") {
            ""
        } else {
            by_cell.iter().max_by_key(|(k, v)| (v.len(), std::cmp::Reverse(*k))).map_or("", |(k, _)| *k)
        };
        let mut points = by_cell.remove(cell).unwrap_or_default();
        points.sort_by_key(|p| p.year);
        points.dedup_by_key(|p| p.year);
        Ok((cell.to_string(), points, dims))
    }

    /// Applies follow-up rules: for each cluster, its lead and contributing departments are
    /// assigned to every recommendation in it, and the cluster's measures and indicators that a
    /// recommendation asks about (by the template's keywords) are suggested for it. Returns the
    /// number of recommendations in the clusters.
    pub async fn apply_follow_up_template(&self, template: &rightstat_core::reference::FollowUpTemplate, actor: &Actor) -> Result<u64> {
        let links = &template.cluster;
        // A department that leads for one of a recommendation's clusters leads for it.
        let mut roles: std::collections::BTreeMap<String, std::collections::BTreeMap<String, bool>> = Default::default();
        let mut n = 0;
        for l in links {
            let recs = self.find_recommendations(&RecommendationFilter { cluster: Some(l.cluster.clone()), ..Default::default() }).await?;
            for r in &recs {
                let entry = roles.entry(r.uid.clone()).or_default();
                for d in &l.contributing {
                    entry.entry(d.clone()).or_insert(false);
                }
                entry.insert(l.lead.clone(), true);
                let (measures, indicators) = template.links(l, &r.text);
                for m in &measures {
                    self.suggest_measure(m, &r.uid, actor).await?;
                }
                for i in &indicators {
                    self.suggest_indicator(&r.uid, i, actor).await?;
                }
                n += 1;
            }
        }
        for (uid, depts) in roles {
            for (d, lead) in depts {
                self.assign_department(&uid, &d, lead, actor).await?;
            }
        }
        Ok(n)
    }
}

/// An indicator's name with a cell's codes in words: "Per-capita disposable income (urban)",
/// "人均可支配收入（城镇）"; the name alone for the total.
pub fn cell_label(name: &str, cell: &str, cat: &rightstat_core::ingest::Catalogue, zh: bool) -> String {
    let Some(c) = rightstat_core::Cell::from_key(cell) else { return name.to_string() };
    let parts: Vec<String> = c
        .iter()
        .map(|(d, code)| {
            cat.codelists
                .get(d)
                .and_then(|l| l.codes.iter().find(|x| x.code == code))
                .map_or_else(|| format!("{d} {code}"), |x| if zh { x.name_zh.clone() } else { x.name_en.to_lowercase() })
        })
        .collect();
    match (parts.is_empty(), zh) {
        (true, _) => name.to_string(),
        (false, true) => format!("{name}（{}）", parts.join("，")),
        (false, false) => format!("{name} ({})", parts.join(", ")),
    }
}

/// The filtered list as CSV (one row per recommendation; lists joined with `; `), for
/// spreadsheets and the mid-term report matrix.
pub fn follow_up_csv(rows: &[RecommendationFollowUp]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| StoreError::Invalid(e.to_string());
    w.write_record([
        "uid",
        "mechanism",
        "state_under_review",
        "cycle",
        "session",
        "year",
        "document_symbol",
        "paragraph",
        "recommendation",
        "recommending_states",
        "response",
        "status",
        "themes",
        "clusters",
        "sdgs",
        "lead_departments",
        "contributing_departments",
        "measures",
        "indicator_trends",
        "breakdowns_missing",
    ])
    .map_err(io)?;
    for f in rows {
        let r = &f.recommendation;
        let depts = |role: &str| f.departments.iter().filter(|d| d.role == role).map(|d| d.code.as_str()).collect::<Vec<_>>().join("; ");
        let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
        w.write_record([
            r.uid.clone(),
            r.mechanism.clone(),
            r.state_under_review.clone(),
            opt(r.cycle),
            r.session.clone(),
            opt(r.year),
            r.document_symbol.clone().unwrap_or_default(),
            r.paragraph.clone().unwrap_or_default(),
            r.text.clone(),
            r.recommending_states.join("; "),
            r.response.clone().unwrap_or_default(),
            f.status.clone().unwrap_or_default(),
            r.themes.join("; "),
            r.clusters.join("; "),
            r.sdgs.join("; "),
            depts("lead"),
            depts("contributing"),
            f.measures.iter().map(|m| m.code.as_str()).collect::<Vec<_>>().join("; "),
            f.evidence.iter().map(|e| format!("{} [{}]: {}", e.label_en, e.indicator, e.trend.as_str())).collect::<Vec<_>>().join("; "),
            f.evidence
                .iter()
                .filter(|e| !e.breakdowns_missing.is_empty())
                .map(|e| format!("{}: {}", e.indicator, e.breakdowns_missing.join(", ")))
                .collect::<Vec<_>>()
                .join("; "),
        ])
        .map_err(io)?;
    }
    crate::formats::csv_into_string(w)
}
