//! Alkire-Foster multidimensional poverty from a declarative specification.
//!
//! A person is deprived in indicator j when its column meets the cutoff; the deprivation
//! score is the weighted sum; the person is poor when the score reaches k. Results per group:
//! H (headcount ratio), A (intensity among the poor), M0 = H × A, uncensored and censored
//! headcounts, and each indicator's contribution w_j × CH_j / M0; with a survey design, the
//! standard errors of H, A (a ratio of two totals) and M0.

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

/// What a record missing an indicator's value becomes (the global MPI's practice: kept, with the
/// other indicators of its dimension carrying the missing one's weight, else dropped).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// A missing value stops the run, naming the record and column (the default: declare a rule).
    #[default]
    Error,
    /// The record is left out of every figure.
    Drop,
    /// The record is counted as not deprived in this indicator.
    NotDeprived,
    /// The indicator's weight goes to the other indicators of its dimension the record has, in
    /// proportion to their weights; a record missing every indicator of a dimension is dropped.
    Reweight,
}

impl Missing {
    pub fn as_str(self) -> &'static str {
        match self {
            Missing::Error => "error",
            Missing::Drop => "drop",
            Missing::NotDeprived => "not_deprived",
            Missing::Reweight => "reweight",
        }
    }
}

/// How many records one indicator's rule touched.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MissingCount {
    pub indicator: String,
    pub rule: Missing,
    /// Records missing the indicator's value.
    pub records: u64,
    /// Of those, records left out of every figure (by `drop`, or by `reweight` when the whole
    /// dimension is missing).
    pub dropped: u64,
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
    /// The rule for a record whose value is missing (empty, NA, `.`, a Parquet null).
    #[serde(default)]
    pub missing: Missing,
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
        if let Some(i) = spec.indicators.iter().find(|i| i.missing == Missing::Reweight && i.dimension.is_empty()) {
            return Err(EngineError::Spec(format!(
                "indicator {}: missing = \"reweight\" needs its dimension (the indicators that carry its weight)",
                i.name
            )));
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
    Ok(compute_mpi_report(ds, spec)?.0)
}

/// As [`compute_mpi`], with how many records each indicator's missing-value rule touched.
pub fn compute_mpi_report(ds: &Dataset, spec: &MpiSpec) -> Result<(Vec<ResultRow>, Vec<MissingCount>)> {
    let cols: Vec<&Vec<f64>> = spec
        .indicators
        .iter()
        .map(|i| ds.numeric.get(&i.column).ok_or_else(|| EngineError::Request(format!("column {} not loaded", i.column))))
        .collect::<Result<_>>()?;
    let groups = Groups::new(ds);
    let m = spec.indicators.len();
    let mut counts: Vec<MissingCount> =
        spec.indicators.iter().map(|i| MissingCount { indicator: i.name.clone(), rule: i.missing, records: 0, dropped: 0 }).collect();
    // Per record: the score, and whether poor (scores compared with a small tolerance so
    // that 1/3 + 1/3 reaches k = 2/3 despite rounding); a dropped record counts nowhere.
    let mut score = Vec::with_capacity(ds.n);
    let mut dep = vec![false; ds.n * m];
    let mut kept = vec![true; ds.n];
    let mut weights: Vec<f64> = spec.indicators.iter().map(|i| i.weight).collect();
    for i in 0..ds.n {
        let missing: Vec<usize> = (0..m).filter(|&j| cols[j][i].is_nan()).collect();
        weights.iter_mut().zip(&spec.indicators).for_each(|(w, ind)| *w = ind.weight);
        for &j in &missing {
            let ind = &spec.indicators[j];
            counts[j].records += 1;
            match ind.missing {
                Missing::Error => {
                    return Err(EngineError::Value {
                        file: ds.source.clone(),
                        row: i as u64 + 1,
                        column: ind.column.clone(),
                        value: String::new(),
                        expected: format!(
                            "a value for indicator {} (record {}), or a rule for missing values in the specification: missing = \"drop\", \"not_deprived\" or \"reweight\"",
                            ind.name,
                            i + 1
                        ),
                    });
                }
                Missing::Drop => kept[i] = false,
                Missing::NotDeprived => {}
                Missing::Reweight => {
                    // The weight goes to the indicators of the dimension the record has.
                    let others: Vec<usize> =
                        (0..m).filter(|&o| spec.indicators[o].dimension == ind.dimension && !cols[o][i].is_nan()).collect();
                    let carried: f64 = others.iter().map(|&o| spec.indicators[o].weight).sum();
                    if others.is_empty() || carried <= 0.0 {
                        kept[i] = false;
                    } else {
                        for &o in &others {
                            weights[o] += ind.weight * spec.indicators[o].weight / carried;
                        }
                        weights[j] = 0.0;
                    }
                }
            }
        }
        if !kept[i] {
            for &j in &missing {
                counts[j].dropped += 1;
            }
            score.push(0.0);
            continue;
        }
        let mut c = 0.0;
        for (j, ind) in spec.indicators.iter().enumerate() {
            let v = cols[j][i];
            if !v.is_nan() && deprived(ind.op, v, ind.cutoff) {
                dep[i * m + j] = true;
                c += weights[j];
            }
        }
        score.push(c);
    }
    let is_poor = |i: usize| kept[i] && score[i] + 1e-9 >= spec.k;
    let g_n = groups.len();
    let (mut n, mut w, mut wp, mut wc) = (vec![0u64; g_n], vec![0.0; g_n], vec![0.0; g_n], vec![0.0; g_n]);
    let mut unc = vec![0.0; g_n * m];
    let mut cen = vec![0.0; g_n * m];
    for i in 0..ds.n {
        if !kept[i] {
            continue;
        }
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
    // Dropped records stay in the design with no weight: domain estimation, as R survey's
    // `subset()` of a design does, so that their PSUs still count.
    let reduced;
    let design_ds = if design && kept.iter().any(|k| !k) {
        let mut d = ds.clone();
        d.weight.iter_mut().zip(&kept).filter(|(_, k)| !**k).for_each(|(w, _)| *w = 0.0);
        reduced = d;
        &reduced
    } else {
        ds
    };
    let poor_1 = |i: usize, _: usize| if is_poor(i) { 1.0 } else { 0.0 };
    let poor_score = |i: usize, _: usize| if is_poor(i) { score[i] } else { 0.0 };
    let (se_h, se_a, se_m0) = if design {
        (
            crate::variance::ratio_se(design_ds, &groups, poor_1)?,
            // A is a ratio of two totals: the poor's scores over the poor.
            crate::variance::ratio_se_of(design_ds, &groups, poor_score, poor_1)?,
            crate::variance::ratio_se(design_ds, &groups, poor_score)?,
        )
    } else {
        (Vec::new(), Vec::new(), Vec::new())
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
        rows.push(row("a".into(), wc[g] / wp[g], se_a.get(g).copied()));
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
    Ok((rows, counts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::LoadSpec;

    fn spec(rule: &str) -> MpiSpec {
        MpiSpec::parse(&format!(
            r#"
name = "test"
k = 0.5
[[indicator]]
name = "x1"
dimension = "a"
column = "x1"
op = "=="
cutoff = 1
weight = 0.25
missing = "{rule}"
[[indicator]]
name = "x2"
dimension = "a"
column = "x2"
op = "=="
cutoff = 1
weight = 0.25
missing = "{rule}"
[[indicator]]
name = "y"
dimension = "b"
column = "y"
op = "=="
cutoff = 1
weight = 0.5
"#
        ))
        .unwrap()
    }

    /// Record 1 misses x2, record 2 misses both indicators of dimension a.
    fn data() -> Dataset {
        let csv = "x1,x2,y\n1,,0\n.,NA,1\n0,0,1\n0,0,0\n";
        let s = LoadSpec { numeric: vec!["x1".into(), "x2".into(), "y".into()], ..Default::default() };
        Dataset::from_csv(csv.as_bytes(), "households.csv", &s).unwrap()
    }

    fn total(rows: &[ResultRow], m: &str) -> f64 {
        rows.iter().find(|r| r.measure == m).unwrap().value
    }

    #[test]
    fn missing_values_follow_the_declared_rule() {
        let ds = data();
        // Reweight: record 1's x2 weight goes to x1 (score ½: poor); record 2 has nothing left
        // in dimension a and is dropped. Kept: 1, 3, 4; poor: 1 and 3.
        let (rows, counts) = compute_mpi_report(&ds, &spec("reweight")).unwrap();
        assert!((total(&rows, "h") - 2.0 / 3.0).abs() < 1e-12 && (total(&rows, "a") - 0.5).abs() < 1e-12);
        assert!((total(&rows, "m0") - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(rows[0].n_obs, 3);
        assert_eq!((counts[0].records, counts[0].dropped, counts[1].records, counts[1].dropped), (1, 1, 2, 1));
        // Not deprived: everyone kept; scores ¼, ½, ½, 0: records 2 and 3 poor.
        let (rows, counts) = compute_mpi_report(&ds, &spec("not_deprived")).unwrap();
        assert_eq!((total(&rows, "h"), total(&rows, "m0"), rows[0].n_obs), (0.5, 0.25, 4));
        assert_eq!((counts[1].records, counts[1].dropped), (2, 0));
        // Drop: records 1 and 2 left out; of 3 and 4, 3 is poor.
        let (rows, counts) = compute_mpi_report(&ds, &spec("drop")).unwrap();
        assert_eq!((total(&rows, "h"), total(&rows, "a"), rows[0].n_obs), (0.5, 0.5, 2));
        assert_eq!((counts[0].dropped, counts[1].dropped), (1, 2));
        // No rule declared: the run stops at the first missing value, naming it.
        let e = compute_mpi(&ds, &spec("error")).unwrap_err().to_string();
        assert!(e.contains("households.csv, row 1, column x2") && e.contains("missing = \"drop\""), "{e}");
        // A cell that is neither a number nor a missing value is still refused with its place.
        let s = LoadSpec { numeric: vec!["x1".into()], ..Default::default() };
        let bad = Dataset::from_csv("x1\n1\nyes\n".as_bytes(), "h.csv", &s).unwrap_err().to_string();
        assert!(bad.contains("row 3, column x1: found \"yes\""), "{bad}");
    }

    #[test]
    fn reweighting_needs_a_dimension() {
        let e = MpiSpec::parse(
            "name = \"t\"\nk = 0.5\n[[indicator]]\nname = \"x\"\ncolumn = \"x\"\nop = \"==\"\ncutoff = 1\nweight = 1.0\nmissing = \"reweight\"\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("needs its dimension"), "{e}");
    }
}
