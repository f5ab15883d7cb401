//! The history of every figure of a task: which value was recorded when, by whom, replacing
//! what, and why — what a reviewer or an auditor asks of a correction after approval.
//!
//! Nothing here is stored twice: official figures are observation vintages (a revision is a new
//! row, the old one superseded), their author is the batch's actor and their reason the comment
//! of the task event that carried the batch; a second source's figures are `source_value`
//! revisions, which keep their own author and reason.

use crate::collection::{TaskEvent, TaskRow};
use crate::{ObservationFilter, Result, Store, Visibility, on_pool};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// One recorded value of a task's figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValueChange {
    pub indicator: String,
    pub period: String,
    /// '|DIM=CODE|' pairs; empty for the total.
    pub cell_key: String,
    pub value: Option<f64>,
    /// The value this one replaced; none for the first value recorded.
    pub previous: Option<f64>,
    pub recorded_at: String,
    pub recorded_by: String,
    /// The submitter's comment: the reason of a correction, or the explanation of warnings.
    pub reason: String,
    /// submission, computation (a total derived from the area's cells) or second_source.
    pub provenance: String,
}

/// One revision of a second source's figure (`source_value`).
#[derive(sqlx::FromRow)]
struct SourceRevision {
    indicator_code: String,
    period: String,
    cell_key: String,
    value: Option<f64>,
    recorded_at: String,
    recorded_by: String,
    reason: String,
}

impl Store {
    /// Every value recorded for `task`'s figures (its items, area and the round's periods),
    /// oldest first within each figure, figures in order. `events` are the task's own
    /// ([`Store::task_events`]; every caller shows them too), read for the submitters' comments.
    pub async fn task_value_history(&self, task: &TaskRow, events: &[TaskEvent]) -> Result<Vec<ValueChange>> {
        let round = self.round_of(task).await?;
        let periods = crate::lists::split(&round.periods);
        let second = task.second_source_list();
        // The submission's own comment (an approval of the same batch carries the reviewer's).
        let reasons: HashMap<i64, &str> =
            events.iter().filter(|e| e.action == "submit").filter_map(|e| Some((e.batch_id?, e.comment.as_str()))).collect();
        let mut out = Vec::new();
        let official: Vec<String> = task.indicator_list().into_iter().filter(|i| !second.contains(i)).collect();
        if !official.is_empty() {
            let f = ObservationFilter {
                indicators: official,
                area: Some(task.area_code.clone()),
                all_vintages: true,
                visibility: Visibility::All,
                ..Default::default()
            };
            let mut authors: HashMap<i64, String> = HashMap::new();
            for o in self.observations(&f).await? {
                if o.area != task.area_code || !periods.contains(&o.period) {
                    continue;
                }
                if let std::collections::hash_map::Entry::Vacant(e) = authors.entry(o.batch_id) {
                    e.insert(self.batch(o.batch_id).await?.map(|b| b.actor).unwrap_or_default());
                }
                out.push(ValueChange {
                    indicator: o.indicator,
                    period: o.period,
                    cell_key: o.cell_key,
                    value: o.value,
                    previous: None,
                    recorded_at: o.recorded_at,
                    recorded_by: authors[&o.batch_id].clone(),
                    reason: reasons.get(&o.batch_id).map(|r| r.to_string()).unwrap_or_default(),
                    provenance: o.provenance,
                });
            }
        }
        if !second.is_empty() {
            let rows: Vec<SourceRevision> = on_pool!(self, p => sqlx::query_as(
                "SELECT indicator_code, period, cell_key, value, recorded_at, recorded_by, reason FROM source_value WHERE task_id = $1")
                .bind(task.id).fetch_all(p).await?);
            out.extend(rows.into_iter().map(|r| ValueChange {
                indicator: r.indicator_code,
                period: r.period,
                cell_key: r.cell_key,
                value: r.value,
                previous: None,
                recorded_at: r.recorded_at,
                recorded_by: r.recorded_by,
                reason: r.reason,
                provenance: "second_source".into(),
            }));
        }
        // Each figure's values in the order they were recorded, each with the one it replaced.
        let mut by_figure: BTreeMap<(String, String, String), Vec<ValueChange>> = BTreeMap::new();
        for c in out {
            by_figure.entry((c.indicator.clone(), c.period.clone(), c.cell_key.clone())).or_default().push(c);
        }
        let mut history = Vec::new();
        for (_, mut changes) in by_figure {
            changes.sort_by(|a, b| a.recorded_at.cmp(&b.recorded_at));
            let mut previous = None;
            for mut c in changes {
                c.previous = previous;
                previous = c.value;
                history.push(c);
            }
        }
        Ok(history)
    }
}
