//! Release: the act that makes a round's figures public.
//!
//! Approval locks a submission and rolls it up; nothing it writes is public. The lead
//! department releases a round's figures of one indicator and period (now, or at an embargo
//! instant before which nothing of it is visible anywhere public), or the round's release rule
//! does it once enough of the expected tasks are approved. A release stamps the accepted,
//! unreleased vintages of the round's batches (submissions and roll-ups) with its instant; the
//! public then sees, for every key, the latest vintage whose instant has passed
//! ([`crate::Visibility::Published`]). A correction approved later is public only when
//! released again.

use crate::audit::append_audit;
use crate::{Actor, AuditEntry, Backend, Result, Store, StoreError, on_pool};
use serde::Serialize;

/// One (indicator, period) of a round as the release queue shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReleaseItem {
    pub indicator: String,
    pub name_en: String,
    pub name_zh: String,
    pub period: String,
    /// Accepted values (approved submissions and their roll-ups) not yet released.
    pub pending: i64,
    /// Values released (an embargoed release counts once its time has come or not).
    pub released: i64,
    /// Tasks of the round that report this indicator, and how many of them are approved.
    pub tasks_expected: i64,
    pub tasks_approved: i64,
    /// The latest release of this item, and its public instant.
    pub last_release_at: Option<String>,
    /// Set while a release's embargo has not passed.
    pub embargoed_until: Option<String>,
}

impl ReleaseItem {
    pub fn approved_pct(&self) -> f64 {
        if self.tasks_expected == 0 { 0.0 } else { self.tasks_approved as f64 * 100.0 / self.tasks_expected as f64 }
    }
}

/// One release act.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReleaseRow {
    pub id: i64,
    pub round_id: i64,
    pub indicator_code: String,
    pub period: String,
    /// The public instant (an embargo time when later than `created_at`).
    pub release_at: String,
    pub released_by: String,
    pub created_at: String,
    /// `manual`, or the round's rule that held.
    pub trigger: String,
    pub values_released: i64,
}

impl Store {
    /// What a round has to release: every item and period, with the accepted values awaiting
    /// release and how many of the expected tasks are approved.
    pub async fn release_queue(&self, round_id: i64) -> Result<Vec<ReleaseItem>> {
        let round = self.round(&round_id.to_string()).await?.ok_or_else(|| StoreError::NotFound(format!("round {round_id}")))?;
        let mut items: Vec<String> = self.round_guidance(round_id).await?.into_keys().collect();
        items.sort();
        let tasks = self.tasks(round_id, None, None).await?;
        let counts: Vec<(String, String, i64, i64)> = on_pool!(self, p => sqlx::query_as(
            "SELECT o.indicator_code, o.period, \
             SUM(CASE WHEN o.released_at IS NULL THEN 1 ELSE 0 END), SUM(CASE WHEN o.released_at IS NULL THEN 0 ELSE 1 END) \
             FROM observation o JOIN batch b ON b.id = o.batch_id \
             WHERE b.round_id = $1 AND b.approved_at IS NOT NULL GROUP BY o.indicator_code, o.period")
            .bind(round_id).fetch_all(p).await?);
        let releases = self.releases(round_id).await?;
        let now = crate::now_rfc3339();
        let names = self.catalogue().await?;
        let mut out = Vec::new();
        for code in &items {
            let (name_en, name_zh) = names.indicators.get(code).map(|(i, _)| (i.name_en.clone(), i.name_zh.clone())).unwrap_or_default();
            // A second source's tasks report the item too, but not the official figure.
            let reporting: Vec<_> =
                tasks.iter().filter(|t| t.indicator_list().contains(code) && !t.second_source_list().contains(code)).collect();
            for period in crate::lists::split(&round.periods) {
                let (pending, released) = counts.iter().find(|c| &c.0 == code && c.1 == period).map(|c| (c.2, c.3)).unwrap_or((0, 0));
                let last = releases.iter().filter(|r| &r.indicator_code == code && r.period == period).max_by_key(|r| r.id);
                out.push(ReleaseItem {
                    indicator: code.clone(),
                    name_en: name_en.clone(),
                    name_zh: name_zh.clone(),
                    period: period.clone(),
                    pending,
                    released,
                    tasks_expected: reporting.len() as i64,
                    tasks_approved: reporting.iter().filter(|t| t.status == "approved").count() as i64,
                    last_release_at: last.map(|r| r.release_at.clone()),
                    embargoed_until: releases
                        .iter()
                        .filter(|r| &r.indicator_code == code && r.period == period && r.release_at > now)
                        .map(|r| r.release_at.clone())
                        .max(),
                });
            }
        }
        Ok(out)
    }

    /// The releases of a round, oldest first.
    pub async fn releases(&self, round_id: i64) -> Result<Vec<ReleaseRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT id, round_id, indicator_code, period, release_at, released_by, created_at, trigger, values_released \
             FROM round_release WHERE round_id = $1 ORDER BY id").bind(round_id).fetch_all(p).await?))
    }

    /// Releases a round's accepted figures of `indicator` for `period`: public at `at` (an
    /// RFC 3339 instant; now when absent or past). Refused when there is nothing to release.
    pub async fn release(&self, round_id: i64, indicator: &str, period: &str, at: Option<&str>, actor: &Actor) -> Result<ReleaseRow> {
        self.release_with(round_id, indicator, period, at, "manual", actor).await
    }

    async fn release_with(
        &self,
        round_id: i64,
        indicator: &str,
        period: &str,
        at: Option<&str>,
        trigger: &str,
        actor: &Actor,
    ) -> Result<ReleaseRow> {
        let round = self.round(&round_id.to_string()).await?.ok_or_else(|| StoreError::NotFound(format!("round {round_id}")))?;
        if !self.round_guidance(round_id).await?.contains_key(indicator) {
            return Err(StoreError::Invalid(format!("{indicator} is not an item of round {}", round.code)));
        }
        if !crate::lists::split(&round.periods).iter().any(|p| p == period) {
            return Err(StoreError::Invalid(format!("{period} is not a period of round {} ({})", round.code, round.periods)));
        }
        let now = crate::now_rfc3339();
        let at = match at.map(str::trim).filter(|s| !s.is_empty()) {
            None => now.clone(),
            Some(t) => {
                let t = crate::time::parse_instant(t).ok_or_else(|| {
                    StoreError::Invalid(format!("release time {t:?}: expected an RFC 3339 instant such as 2026-12-01T09:00:00+08:00"))
                })?;
                t.max(now.clone())
            }
        };
        let pg = self.backend() == Backend::Postgres;
        let row = on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE observation SET released_at = $1 WHERE indicator_code = $2 AND period = $3 AND released_at IS NULL \
                 AND batch_id IN (SELECT id FROM batch WHERE round_id = $4 AND approved_at IS NOT NULL)")
                .bind(&at).bind(indicator).bind(period).bind(round_id).execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(StoreError::Invalid(format!(
                    "round {} has no approved figures of {indicator} for {period} awaiting release", round.code)));
            }
            let row: ReleaseRow = sqlx::query_as(
                "INSERT INTO round_release (round_id, indicator_code, period, release_at, released_by, created_at, trigger, values_released) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 RETURNING id, round_id, indicator_code, period, release_at, released_by, created_at, trigger, values_released")
                .bind(round_id).bind(indicator).bind(period).bind(&at).bind(&actor.name).bind(&now).bind(trigger).bind(n as i64)
                .fetch_one(&mut *tx).await?;
            let summary = format!("{indicator} {period}: {n} values, public at {at}");
            append_audit!(&mut *tx, pg, &AuditEntry {
                actor, action: "round.release", entity: "round", entity_id: &round_id.to_string(),
                old_value: None, new_value: Some(summary), reason: trigger,
            });
            tx.commit().await?;
            row
        });
        Ok(row)
    }

    /// Sets (or with `None` removes) the round's release rule: release automatically once at
    /// least `pct` % of the tasks reporting an item are approved.
    pub async fn set_release_rule(&self, round_id: i64, pct: Option<f64>, actor: &Actor) -> Result<()> {
        if let Some(p) = pct
            && !(p > 0.0 && p <= 100.0)
        {
            return Err(StoreError::Invalid(format!("release rule {p}: expected a share of tasks above 0 and at most 100 %")));
        }
        let pg = self.backend() == Backend::Postgres;
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query("UPDATE collection_round SET release_when_pct = $2 WHERE id = $1")
                .bind(round_id).bind(pct).execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound(format!("round {round_id}")));
            }
            append_audit!(&mut *tx, pg, &AuditEntry {
                actor, action: "round.release_rule", entity: "round", entity_id: &round_id.to_string(),
                old_value: None, new_value: Some(pct.map(|p| format!("{p} %")).unwrap_or_else(|| "none".into())), reason: "",
            });
            tx.commit().await?;
        });
        Ok(())
    }

    /// The round's release rule (share of approved tasks, %), if any.
    pub async fn release_rule(&self, round_id: i64) -> Result<Option<f64>> {
        let r: Option<(Option<f64>,)> = on_pool!(self, p => sqlx::query_as("SELECT release_when_pct FROM collection_round WHERE id = $1")
            .bind(round_id).fetch_optional(p).await?);
        Ok(r.and_then(|r| r.0))
    }

    /// Releases every item and period for which the round's rule holds and figures await
    /// release (after each approval).
    pub(crate) async fn release_by_rule(&self, round_id: i64, actor: &Actor) -> Result<Vec<ReleaseRow>> {
        let Some(pct) = self.release_rule(round_id).await? else { return Ok(Vec::new()) };
        let mut out = Vec::new();
        for item in self.release_queue(round_id).await? {
            if item.pending > 0 && item.approved_pct() + 1e-9 >= pct {
                let trigger = format!("rule: at least {pct} % of tasks approved ({} of {})", item.tasks_approved, item.tasks_expected);
                out.push(self.release_with(round_id, &item.indicator, &item.period, None, &trigger, actor).await?);
            }
        }
        Ok(out)
    }
}
