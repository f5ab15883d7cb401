//! Two departments reporting the same figure. The round names the item's preferred department;
//! the others' figures for areas the preferred one also reports are kept here (with their own
//! revisions), never written to the official series, and compared with it: the discrepancy
//! table shows both values side by side.

use crate::{Result, Store, on_pool};
use serde::Serialize;
use std::collections::HashMap;

/// A task's current second-source figures: (indicator, period, cell key) → value.
pub(crate) async fn current_source_values(store: &Store, task_id: i64) -> Result<HashMap<(String, String, String), Option<f64>>> {
    let rows: Vec<(String, String, String, Option<f64>)> = on_pool!(store, p => sqlx::query_as(
        "SELECT indicator_code, period, cell_key, value FROM source_value WHERE task_id = $1 AND superseded_at IS NULL")
        .bind(task_id).fetch_all(p).await?);
    Ok(rows.into_iter().map(|(i, p, c, v)| ((i, p, c), v)).collect())
}

/// One figure as the preferred department and a second source report it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Discrepancy {
    pub indicator: String,
    pub area: String,
    pub period: String,
    pub cell_key: String,
    /// The department whose figures are the official series.
    pub preferred_department: String,
    /// The official value now (none until the preferred department has reported it).
    pub preferred_value: Option<f64>,
    pub preferred_status: String,
    pub other_department: String,
    pub other_value: Option<f64>,
    /// Status of the second source's task (submitted, approved …).
    pub other_status: String,
    /// other − preferred.
    pub difference: Option<f64>,
    /// The difference as a percentage of the preferred value.
    pub difference_pct: Option<f64>,
    /// The two values differ (beyond rounding in the last of 9 significant digits).
    pub differs: bool,
}

impl Store {
    /// Every figure of a round reported by a second source, beside the official value, for
    /// tasks in `within` (all when `None`); differing ones first, largest relative gap first.
    pub async fn discrepancies(&self, round_id: i64, within: Option<&[String]>) -> Result<Vec<Discrepancy>> {
        type Row = (String, String, String, String, Option<f64>, String, String, Option<String>);
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as(
            "SELECT sv.indicator_code, sv.area_code, sv.period, sv.cell_key, sv.value, t.department_code, t.status, i.preferred_department \
             FROM source_value sv JOIN round_task t ON t.id = sv.task_id \
             JOIN round_item i ON i.round_id = t.round_id AND i.indicator_code = sv.indicator_code \
             WHERE t.round_id = $1 AND sv.superseded_at IS NULL ORDER BY sv.indicator_code, sv.area_code, sv.period, sv.cell_key")
            .bind(round_id).fetch_all(p).await?);
        let idx = match within {
            Some(_) => Some(self.area_index().await?),
            None => None,
        };
        let tasks = self.tasks(round_id, None, None).await?;
        // The official values of the areas concerned, one query per area.
        let mut official: HashMap<(String, String, String, String), Option<f64>> = HashMap::new();
        let mut areas: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
        areas.dedup();
        for area in areas {
            let f = crate::ObservationFilter {
                indicators: rows.iter().filter(|r| r.1 == area).map(|r| r.0.clone()).collect(),
                area: Some(area.to_string()),
                ..Default::default()
            };
            for o in self.observations(&f).await?.into_iter().filter(|o| o.area == area) {
                official.insert((o.indicator, o.area, o.period, o.cell_key), o.value);
            }
        }
        let mut out = Vec::new();
        for (indicator, area, period, cell_key, other_value, other_department, other_status, preferred) in rows {
            if let (Some(idx), Some(roots)) = (&idx, within)
                && !idx.within(&area, roots)
            {
                continue;
            }
            let preferred_department = preferred.unwrap_or_default();
            let preferred_status = tasks
                .iter()
                .find(|t| t.department_code == preferred_department && t.area_code == area)
                .map(|t| t.status.clone())
                .unwrap_or_default();
            let preferred_value = official.get(&(indicator.clone(), area.clone(), period.clone(), cell_key.clone())).copied().flatten();
            let difference = preferred_value.zip(other_value).map(|(p, o)| o - p);
            let difference_pct = preferred_value.zip(difference).filter(|(p, _)| *p != 0.0).map(|(p, d)| d / p.abs() * 100.0);
            let differs = match (preferred_value, other_value) {
                (Some(p), Some(o)) => (o - p).abs() > 1e-9 * p.abs().max(o.abs()).max(1.0),
                (None, None) => false,
                _ => true,
            };
            out.push(Discrepancy {
                indicator,
                area,
                period,
                cell_key,
                preferred_department,
                preferred_value,
                preferred_status,
                other_department,
                other_value,
                other_status,
                difference,
                difference_pct,
                differs,
            });
        }
        let gap = |d: &Discrepancy| d.difference_pct.map(f64::abs).unwrap_or(f64::INFINITY);
        out.sort_by(|a, b| b.differs.cmp(&a.differs).then(gap(b).total_cmp(&gap(a))));
        Ok(out)
    }
}
