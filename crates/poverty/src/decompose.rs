//! Inequality between and within groups: the additive decomposition of Theil's T (GE(1)) and
//! the mean log deviation (GE(0), Theil's L) over a breakdown column, on the positive incomes the
//! engine's Theil and MLD use (Shorrocks 1980; the form the World Bank's Handbook on Poverty and
//! Inequality, ch. 6, gives).
//!
//! With groups g of weight W_g, total income Y_g and mean μ_g = Y_g / W_g, and μ overall:
//!
//! - T = Σ_g (Y_g / Y) T_g + Σ_g (Y_g / Y) ln(μ_g / μ)   (within, weighted by income shares; between)
//! - L = Σ_g (W_g / W) L_g + Σ_g (W_g / W) ln(μ / μ_g)   (within, weighted by population shares; between)
//!
//! Both identities hold exactly, so "between" is the part of inequality a policy closing the gap
//! between the groups' means (rural and urban, provinces, ethnic groups) could remove.

use crate::data::Dataset;
use serde::Serialize;

/// One group's part.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupPart {
    pub group: String,
    /// Share of the population with positive income (weighted).
    pub population_share: f64,
    /// Share of the total income.
    pub income_share: f64,
    pub mean: f64,
    /// The group's own index.
    pub index: f64,
    /// Its contribution to the within-group term (its share × its index).
    pub within: f64,
}

/// An index decomposed over one breakdown column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decomposition {
    /// `theil` or `mld`.
    pub index: &'static str,
    /// The breakdown column.
    pub by: String,
    pub total: f64,
    pub within: f64,
    pub between: f64,
    pub groups: Vec<GroupPart>,
}

impl Decomposition {
    /// The share of inequality between the groups (0–1).
    pub fn between_share(&self) -> f64 {
        if self.total > 0.0 { self.between / self.total } else { f64::NAN }
    }
}

#[derive(Default, Clone, Copy)]
struct Sums {
    w: f64,
    y: f64,
    y_ln_y: f64,
    ln_y: f64,
}

/// Theil's T and the MLD decomposed over the breakdown column `by` (an index into `ds.by`).
/// Records with zero or negative income are left out, as the engine's Theil and MLD leave them.
pub fn decompose(ds: &Dataset, by: usize) -> Vec<Decomposition> {
    let Some(col) = ds.by.get(by) else { return Vec::new() };
    let mut sums = vec![Sums::default(); col.labels.len()];
    for i in 0..ds.n {
        let (y, w) = (ds.welfare[i], ds.weight[i]);
        if y > 0.0 && y.is_finite() {
            let s = &mut sums[col.codes[i] as usize];
            let l = y.ln();
            s.w += w;
            s.y += w * y;
            s.y_ln_y += w * y * l;
            s.ln_y += w * l;
        }
    }
    let all =
        sums.iter().fold(Sums::default(), |a, s| Sums { w: a.w + s.w, y: a.y + s.y, y_ln_y: a.y_ln_y + s.y_ln_y, ln_y: a.ln_y + s.ln_y });
    if all.w <= 0.0 || all.y <= 0.0 {
        return Vec::new();
    }
    let mu = all.y / all.w;
    let present: Vec<(usize, &Sums)> = sums.iter().enumerate().filter(|(_, s)| s.w > 0.0 && s.y > 0.0).collect();
    // One index: its value for a group, a group's share in the within term (income for Theil,
    // population for the MLD), and the between term's log ratio of the means.
    let part = |index: &'static str, own: fn(&Sums) -> f64, share: fn(&Sums, &Sums) -> f64, log_ratio: fn(f64, f64) -> f64| {
        let groups: Vec<GroupPart> = present
            .iter()
            .map(|(g, s)| {
                let idx = own(s);
                GroupPart {
                    group: col.labels[*g].clone(),
                    population_share: s.w / all.w,
                    income_share: s.y / all.y,
                    mean: s.y / s.w,
                    index: idx,
                    within: share(s, &all) * idx,
                }
            })
            .collect();
        let within = groups.iter().map(|g| g.within).sum();
        let between = present.iter().map(|(_, s)| share(s, &all) * log_ratio(s.y / s.w, mu)).sum();
        Decomposition { index, by: col.name.clone(), total: own(&all), within, between, groups }
    };
    vec![
        part("theil", |s| s.y_ln_y / s.y - (s.y / s.w).ln(), |s, a| s.y / a.y, |m, mu| (m / mu).ln()),
        part("mld", |s| (s.y / s.w).ln() - s.ln_y / s.w, |s, a| s.w / a.w, |m, mu| (mu / m).ln()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::LoadSpec;

    fn data(csv: &str) -> Dataset {
        let spec = LoadSpec { welfare: Some("y".into()), weight: Some("w".into()), by: vec!["g".into()], ..Default::default() };
        Dataset::from_csv(csv.as_bytes(), "test.csv", &spec).unwrap()
    }

    #[test]
    fn two_groups_by_hand() {
        // Group a: incomes 1 and 3 (weights 1 each), mean 2; group b: 4 (weight 2), mean 4.
        // Overall: weight 4, income 12, mean 3.
        let ds = data("y,w,g\n1,1,a\n3,1,a\n4,2,b\n");
        let d = decompose(&ds, 0);
        let (t, l) = (&d[0], &d[1]);
        // Theil T: a's own = (1·0 + 3·ln 3)/4 − ln 2; b's own = 0.
        let t_a = 3.0 * 3f64.ln() / 4.0 - 2f64.ln();
        assert!((t.groups[0].index - t_a).abs() < 1e-15);
        assert!((t.within - (4.0 / 12.0) * t_a).abs() < 1e-15);
        let t_between = (4.0 / 12.0) * (2.0f64 / 3.0).ln() + (8.0 / 12.0) * (4.0f64 / 3.0).ln();
        assert!((t.between - t_between).abs() < 1e-15);
        // MLD: a's own = ln 2 − (0 + ln 3)/2; b's = 0; between = ½ ln(3/2) + ½ ln(3/4).
        let l_a = 2f64.ln() - 3f64.ln() / 2.0;
        assert!((l.within - 0.5 * l_a).abs() < 1e-15);
        assert!((l.between - (0.5 * 1.5f64.ln() + 0.5 * 0.75f64.ln())).abs() < 1e-15);
        for x in &d {
            assert!((x.within + x.between - x.total).abs() < 1e-15, "{x:?}");
        }
    }

    #[test]
    fn the_total_is_the_engine_s_own_index_and_the_parts_add_up() {
        // 5,000 records in 7 groups, weights and a few zero incomes (left out, as the engine does).
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut csv = String::from("y,w,g\n");
        for i in 0..5_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let g = i % 7;
            let y = if i % 97 == 0 { 0.0 } else { (1.0 + g as f64) * 1000.0 * (1.0 + (x % 1000) as f64 / 100.0) };
            csv.push_str(&format!("{y},{},{}\n", 1 + x % 5, g));
        }
        let ds = data(&csv);
        let req =
            crate::Request { measures: vec![crate::Measure::Theil, crate::Measure::Mld], line: None, conventions: Default::default() };
        let rows = crate::compute(&ds, &req).unwrap();
        let engine = |m: &str, key: &str| rows.iter().find(|r| r.measure == m && r.keys[0] == key).unwrap().value;
        for d in decompose(&ds, 0) {
            assert!((d.total - engine(d.index, "_T")).abs() < 1e-12, "{} {} {}", d.index, d.total, engine(d.index, "_T"));
            assert!((d.within + d.between - d.total).abs() < 1e-12);
            for g in &d.groups {
                assert!((g.index - engine(d.index, &g.group)).abs() < 1e-12, "{} {}", d.index, g.group);
            }
            assert!(d.between > 0.0 && d.between_share() > 0.0 && d.between_share() < 1.0);
            assert_eq!(d.groups.len(), 7);
            assert!((d.groups.iter().map(|g| g.population_share).sum::<f64>() - 1.0).abs() < 1e-12);
        }
    }
}
