//! Standard errors of ratio estimators (FGT, MPI H and M0) by Taylor linearisation under a
//! stratified cluster design, PSUs treated as sampled with replacement — what R `survey`
//! computes for `svymean` / `svyby` with `svydesign(ids = ~psu, strata = ~strata, weights = ~w)`.
//! Domains (groups) are estimated over the whole design, so PSUs without members of a group
//! still count.

use crate::data::Dataset;
use crate::passes::Groups;
use crate::{EngineError, Result};
use std::collections::HashMap;

/// For each group g: the standard error of Σ w u / Σ w over the group's records, where
/// `u(i, g)` is the record's contribution (1[poor], the gap to the power α, ...).
pub fn ratio_se(ds: &Dataset, groups: &Groups, u: impl Fn(usize, usize) -> f64) -> Result<Vec<f64>> {
    ratio_se_of(ds, groups, u, |_, _| 1.0)
}

/// For each group g: the standard error of the ratio of totals Σ w u / Σ w x over the group's
/// records (R survey's `svyratio`), e.g. the MPI's intensity A = Σ w c·1[poor] / Σ w 1[poor].
pub fn ratio_se_of(ds: &Dataset, groups: &Groups, u: impl Fn(usize, usize) -> f64, x: impl Fn(usize, usize) -> f64) -> Result<Vec<f64>> {
    let psu = ds.psu.as_ref().ok_or_else(|| EngineError::Request("standard errors need the PSU column".into()))?;
    // PSUs are identified within their stratum.
    let mut index: HashMap<(u32, u32), usize> = HashMap::new();
    let mut stratum_of: Vec<u32> = Vec::new();
    let mut record_psu = Vec::with_capacity(ds.n);
    for i in 0..ds.n {
        let h = ds.strata.as_ref().map_or(0, |s| s.codes[i]);
        let next = stratum_of.len();
        let j = *index.entry((h, psu.codes[i])).or_insert_with(|| {
            stratum_of.push(h);
            next
        });
        record_psu.push(j);
    }
    let (g_n, p_n) = (groups.len(), stratum_of.len());
    if g_n.saturating_mul(p_n) > 50_000_000 {
        return Err(EngineError::Request(format!(
            "{g_n} groups × {p_n} PSUs is too many for standard errors; use fewer breakdown columns"
        )));
    }
    let mut uu = vec![0.0f64; g_n * p_n];
    let mut xx = vec![0.0f64; g_n * p_n];
    for i in 0..ds.n {
        let (w, j) = (ds.weight[i], record_psu[i]);
        for g in groups.of(ds, i) {
            uu[g * p_n + j] += w * u(i, g);
            xx[g * p_n + j] += w * x(i, g);
        }
    }
    let strata_n = stratum_of.iter().max().map_or(0, |&h| h as usize + 1);
    let mut psus_in = vec![0usize; strata_n];
    for &h in &stratum_of {
        psus_in[h as usize] += 1;
    }
    if let Some(h) = psus_in.iter().position(|&n| n == 1) {
        let name = ds.strata.as_ref().map_or("(all)".to_string(), |s| s.labels[h].clone());
        return Err(EngineError::Request(format!("stratum {name} has only one PSU: its variance cannot be estimated")));
    }
    let mut out = Vec::with_capacity(g_n);
    for g in 0..g_n {
        let (u_row, x_row) = (&uu[g * p_n..(g + 1) * p_n], &xx[g * p_n..(g + 1) * p_n]);
        let (ut, xt): (f64, f64) = (u_row.iter().sum(), x_row.iter().sum());
        if xt <= 0.0 {
            out.push(f64::NAN);
            continue;
        }
        let r = ut / xt;
        let mut sum_z = vec![0.0f64; strata_n];
        let z: Vec<f64> = (0..p_n).map(|j| (u_row[j] - r * x_row[j]) / xt).collect();
        for j in 0..p_n {
            sum_z[stratum_of[j] as usize] += z[j];
        }
        let mut var = 0.0;
        for j in 0..p_n {
            let h = stratum_of[j] as usize;
            let nh = psus_in[h] as f64;
            let d = z[j] - sum_z[h] / nh;
            var += nh / (nh - 1.0) * d * d;
        }
        out.push(var.sqrt());
    }
    Ok(out)
}
