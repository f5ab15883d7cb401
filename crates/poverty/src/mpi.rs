//! Alkire-Foster multidimensional poverty from a declarative specification.
//!
//! A person is deprived in indicator j when its column meets the cutoff; the deprivation
//! score is the weighted sum; the person is poor when the score reaches k. Results per group:
//! H (headcount ratio), A (intensity among the poor), M0 = H × A, uncensored and censored
//! headcounts, and each indicator's contribution w_j × CH_j / M0.

use crate::data::Dataset;
use crate::passes::Groups;
use crate::{EngineError, Result, ResultRow, TOTAL};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub enum Op {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MpiIndicator {
    pub name: String,
    #[serde(default)]
    pub dimension: String,
    /// Column holding the indicator's value for each record.
    pub column: String,
    /// Deprived when `value <op> cutoff`.
    pub op: Op,
    pub cutoff: f64,
    pub weight: f64,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MpiSpec {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Poverty cutoff on the weighted deprivation score.
    pub k: f64,
    #[serde(rename = "indicator")]
    pub indicators: Vec<MpiIndicator>,
}

impl MpiSpec {
    pub fn parse(text: &str) -> Result<MpiSpec> {
        let spec: MpiSpec = toml::from_str(text).map_err(|e| EngineError::Spec(e.to_string()))?;
        let total: f64 = spec.indicators.iter().map(|i| i.weight).sum();
        if spec.indicators.is_empty() {
            return Err(EngineError::Spec("no indicators".into()));
        }
        if (total - 1.0).abs() > 1e-6 {
            return Err(EngineError::Spec(format!("indicator weights sum to {total}, not 1")));
        }
        if spec.indicators.iter().any(|i| i.weight <= 0.0) {
            return Err(EngineError::Spec("every weight must be positive".into()));
        }
        if !(spec.k > 0.0 && spec.k <= 1.0) {
            return Err(EngineError::Spec(format!("k = {} must be in (0, 1]", spec.k)));
        }
        Ok(spec)
    }

    pub fn columns(&self) -> Vec<String> {
        let mut c: Vec<String> = self.indicators.iter().map(|i| i.column.clone()).collect();
        c.dedup();
        c
    }
}

/// The specifications shipped with RightStat, by name.
pub const SHIPPED: &[(&str, &str)] = &[
    ("global-mpi", include_str!("../specs/global_mpi.toml")),
    ("china-2a3g", include_str!("../specs/china_two_assurances_three_guarantees.toml")),
];

fn deprived(op: Op, v: f64, cutoff: f64) -> bool {
    match op {
        Op::Lt => v < cutoff,
        Op::Le => v <= cutoff,
        Op::Gt => v > cutoff,
        Op::Ge => v >= cutoff,
        Op::Eq => v == cutoff,
        Op::Ne => v != cutoff,
    }
}

/// H, A, M0, headcounts and contributions for every group of the breakdown and its margins.
pub fn compute_mpi(ds: &Dataset, spec: &MpiSpec) -> Result<Vec<ResultRow>> {
    let cols: Vec<&Vec<f64>> = spec
        .indicators
        .iter()
        .map(|i| ds.numeric.get(&i.column).ok_or_else(|| EngineError::Request(format!("column {} not loaded", i.column))))
        .collect::<Result<_>>()?;
    let groups = Groups::new(ds);
    let m = spec.indicators.len();
    // Per record: the score, and whether poor (scores compared with a small tolerance so
    // that 1/3 + 1/3 reaches k = 2/3 despite rounding).
    let mut score = Vec::with_capacity(ds.n);
    let mut dep = vec![false; ds.n * m];
    for i in 0..ds.n {
        let mut c = 0.0;
        for (j, ind) in spec.indicators.iter().enumerate() {
            if deprived(ind.op, cols[j][i], ind.cutoff) {
                dep[i * m + j] = true;
                c += ind.weight;
            }
        }
        score.push(c);
    }
    let is_poor = |i: usize| score[i] + 1e-9 >= spec.k;
    let g_n = groups.len();
    let (mut n, mut w, mut wp, mut wc) = (vec![0u64; g_n], vec![0.0; g_n], vec![0.0; g_n], vec![0.0; g_n]);
    let mut unc = vec![0.0; g_n * m];
    let mut cen = vec![0.0; g_n * m];
    for i in 0..ds.n {
        let wi = ds.weight[i];
        let p = is_poor(i);
        for g in groups.of(ds, i) {
            n[g] += 1;
            w[g] += wi;
            if p {
                wp[g] += wi;
                wc[g] += wi * score[i];
            }
            for j in 0..m {
                if dep[i * m + j] {
                    unc[g * m + j] += wi;
                    if p {
                        cen[g * m + j] += wi;
                    }
                }
            }
        }
    }
    let design = ds.psu.is_some();
    let (se_h, se_m0) = if design {
        (
            crate::variance::ratio_se(ds, &groups, |i, _| if is_poor(i) { 1.0 } else { 0.0 })?,
            crate::variance::ratio_se(ds, &groups, |i, _| if is_poor(i) { score[i] } else { 0.0 })?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let mut rows = Vec::new();
    for (g, key) in groups.keys.iter().enumerate() {
        if n[g] == 0 {
            continue; // a combination of codes no record has
        }
        let keys: Vec<String> =
            key.iter().enumerate().map(|(j, c)| c.map_or(TOTAL.to_string(), |c| ds.by[j].labels[c as usize].clone())).collect();
        let row = |measure: String, value: f64, se: Option<f64>| ResultRow {
            keys: keys.clone(),
            measure,
            value,
            n_obs: n[g],
            sum_weight: w[g],
            se,
        };
        let h = wp[g] / w[g];
        let m0 = wc[g] / w[g];
        rows.push(row("h".into(), h, se_h.get(g).copied()));
        rows.push(row("a".into(), wc[g] / wp[g], None));
        rows.push(row("m0".into(), m0, se_m0.get(g).copied()));
        for (j, ind) in spec.indicators.iter().enumerate() {
            rows.push(row(format!("uncensored_{}", ind.name), unc[g * m + j] / w[g], None));
        }
        for (j, ind) in spec.indicators.iter().enumerate() {
            rows.push(row(format!("censored_{}", ind.name), cen[g * m + j] / w[g], None));
        }
        for (j, ind) in spec.indicators.iter().enumerate() {
            rows.push(row(format!("contribution_{}", ind.name), ind.weight * cen[g * m + j] / w[g] / m0, None));
        }
    }
    Ok(rows)
}
