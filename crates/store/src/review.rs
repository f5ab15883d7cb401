//! What a reviewer needs beside each figure of a submission: last period's value and the change,
//! and where the figure falls among the same figures of its sibling areas (the other counties
//! of its prefecture, say) — so that a reviewer does not decide blind.

use crate::collection::TaskRow;
use crate::observations::{ObservationFilter, Visibility};
use crate::{Result, Store};
use rightstat_core::period::Period;
use serde::Serialize;
use std::collections::HashMap;

/// One figure of a task with its comparisons.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewFigure {
    pub indicator: String,
    pub period: String,
    pub cell_key: String,
    pub value: f64,
    /// The same figure for the latest earlier period with a value, and that period.
    pub previous: Option<(String, f64)>,
    /// Change from `previous`, in per cent (none when the earlier value is zero).
    pub change_pct: Option<f64>,
    /// The same figure in the sibling areas (this one excluded) that have it.
    pub siblings: usize,
    pub sibling_min: Option<f64>,
    pub sibling_median: Option<f64>,
    pub sibling_max: Option<f64>,
    /// This figure's rank among itself and its siblings, 1 = largest.
    pub rank: usize,
    /// What looks unusual, as keys the pages put in words: `large_change` (more than half up or
    /// down since last period), `above_siblings` / `below_siblings` (more than three times, or
    /// less than a third of, the siblings' median).
    pub flags: Vec<&'static str>,
}

fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// The comparisons for one figure (pure: given its value, earlier values and siblings' values).
pub fn compare(
    value: f64,
    previous: Option<(String, f64)>,
    mut siblings: Vec<f64>,
) -> (Option<f64>, [Option<f64>; 3], usize, Vec<&'static str>) {
    siblings.retain(|v| v.is_finite());
    siblings.sort_by(f64::total_cmp);
    let change_pct = previous.as_ref().and_then(|(_, p)| (*p != 0.0).then(|| (value - p) / p.abs() * 100.0));
    let med = median(&siblings);
    let rank = 1 + siblings.iter().filter(|v| **v > value).count();
    let mut flags = Vec::new();
    if change_pct.is_some_and(|c| c.abs() > 50.0) {
        flags.push("large_change");
    }
    if let Some(m) = med.filter(|m| *m > 0.0 && siblings.len() >= 3) {
        if value > 3.0 * m {
            flags.push("above_siblings");
        } else if value < m / 3.0 {
            flags.push("below_siblings");
        }
    }
    (change_pct, [siblings.first().copied(), med, siblings.last().copied()], rank, flags)
}

impl Store {
    /// Every current figure of `task` (its own items, not a second source's) with last
    /// period's value and its siblings' distribution.
    pub async fn review_context(&self, task: &TaskRow) -> Result<Vec<ReviewFigure>> {
        let second = task.second_source_list();
        let indicators: Vec<String> = task.indicator_list().into_iter().filter(|i| !second.contains(i)).collect();
        if indicators.is_empty() {
            return Ok(Vec::new());
        }
        let own = self
            .observations(&ObservationFilter {
                indicators: indicators.clone(),
                area: Some(task.area_code.clone()),
                visibility: Visibility::All,
                ..Default::default()
            })
            .await?;
        let own: Vec<_> = own.into_iter().filter(|o| o.area == task.area_code && o.value.is_some()).collect();
        // The siblings: the other areas directly under the same parent (two small queries, not
        // the whole area tree on every task page).
        let mut by_key: HashMap<(String, String, String), Vec<f64>> = HashMap::new();
        let parent = self.area(&task.area_code).await?.and_then(|a| a.parent);
        if let (Some(parent), Ok(code)) = (parent, task.area_code.parse::<rightstat_core::area::AreaCode>()) {
            let siblings: std::collections::HashSet<String> =
                self.children(parent.as_str(), None).await?.into_iter().map(|a| a.code).collect();
            let rows = self
                .observations(&ObservationFilter {
                    indicators,
                    area: Some(parent.to_string()),
                    level: Some(code.level()),
                    visibility: Visibility::All,
                    ..Default::default()
                })
                .await?;
            for r in rows.into_iter().filter(|r| r.area != task.area_code && siblings.contains(&r.area)) {
                if let Some(v) = r.value {
                    by_key.entry((r.indicator, r.period, r.cell_key)).or_default().push(v);
                }
            }
        }
        let mut out = Vec::new();
        for o in &own {
            let Ok(period) = o.period.parse::<Period>() else { continue };
            // The latest earlier period of the same periodicity with a value for this cell.
            let previous = own
                .iter()
                .filter(|x| x.indicator == o.indicator && x.cell_key == o.cell_key)
                .filter_map(|x| Some((x.period.parse::<Period>().ok()?, x)))
                .filter(|(p, _)| std::mem::discriminant(p) == std::mem::discriminant(&period) && *p <= period.previous())
                .max_by(|a, b| a.0.cmp(&b.0))
                .and_then(|(_, x)| Some((x.period.clone(), x.value?)));
            let value = o.value.unwrap_or_default();
            let siblings = by_key.remove(&(o.indicator.clone(), o.period.clone(), o.cell_key.clone())).unwrap_or_default();
            let n = siblings.len();
            let (change_pct, [min, med, max], rank, flags) = compare(value, previous.clone(), siblings);
            out.push(ReviewFigure {
                indicator: o.indicator.clone(),
                period: o.period.clone(),
                cell_key: o.cell_key.clone(),
                value,
                previous,
                change_pct,
                siblings: n,
                sibling_min: min,
                sibling_median: med,
                sibling_max: max,
                rank,
                flags,
            });
        }
        // Only the round's periods are under review; earlier ones serve as "last period".
        let round = self.round(&task.round_id.to_string()).await?;
        let periods: Vec<String> = round.map(|r| crate::lists::split(&r.periods)).unwrap_or_default();
        out.retain(|f| periods.is_empty() || periods.contains(&f.period));
        out.sort_by(|a, b| (&a.indicator, &a.period, &a.cell_key).cmp(&(&b.indicator, &b.period, &b.cell_key)));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::compare;

    #[test]
    fn a_figure_far_from_its_siblings_or_its_last_value_is_flagged() {
        // 5,000 (ten thousands) in one district where the others report about 1.
        let (change, [min, med, max], rank, flags) = compare(5000.0, Some(("2022".into(), 1.2)), vec![0.8, 1.1, 1.3, 0.9]);
        assert!(change.unwrap() > 1000.0);
        assert_eq!((min, med, max, rank), (Some(0.8), Some(1.0), Some(1.3), 1));
        assert_eq!(flags, ["large_change", "above_siblings"]);
        // An ordinary figure: nothing flagged, ranked among its siblings.
        let (change, _, rank, flags) = compare(1.05, Some(("2022".into(), 1.0)), vec![0.8, 1.1, 1.3, 0.9]);
        assert_eq!((change.map(|c| c.round()), rank, flags.len()), (Some(5.0), 3, 0));
        // No earlier value, too few siblings: nothing to compare.
        assert_eq!(compare(3.0, None, vec![1.0]).3.len(), 0);
        // An earlier zero gives no percentage.
        assert_eq!(compare(3.0, Some(("2022".into(), 0.0)), vec![]).0, None);
    }
}
