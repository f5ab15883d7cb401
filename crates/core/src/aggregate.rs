//! Rolling figures up the area hierarchy by each indicator's aggregation method. Percentages
//! and per-capita figures are never summed: a weighted mean uses the weight indicator's values,
//! a ratio is recomputed from the aggregated numerator and denominator.

use crate::indicator::{Aggregation, Indicator};

/// A parent's value computed from its children, with a note of how.
#[derive(Debug, Clone, PartialEq)]
pub struct Derived {
    pub value: f64,
    /// Children that contributed, and children expected.
    pub used: usize,
    pub expected: usize,
    pub method: &'static str,
}

impl Derived {
    /// The footnote a derived value carries.
    pub fn note(&self, child_level: &str) -> String {
        if self.used == self.expected {
            format!("{} of {} {child_level} areas", self.method, self.expected)
        } else {
            format!("{} of {} of {} {child_level} areas (the others have not reported)", self.method, self.used, self.expected)
        }
    }
}

/// The parent's value of `ind` from its `children`. `child` gives a child's value of any
/// indicator; `parent` gives the parent's already-aggregated value of another indicator (for
/// ratios, computed after their terms). `None` when the method does not aggregate over areas
/// or nothing was reported.
pub fn aggregate(
    ind: &Indicator,
    children: &[&str],
    child: &dyn Fn(&str, &str) -> Option<f64>,
    parent: &dyn Fn(&str) -> Option<f64>,
) -> Option<Derived> {
    let expected = children.len();
    match &ind.aggregation {
        Aggregation::Sum => {
            let vals: Vec<f64> = children.iter().filter_map(|c| child(&ind.code, c)).collect();
            (!vals.is_empty()).then(|| Derived { value: vals.iter().sum(), used: vals.len(), expected, method: "sum" })
        }
        Aggregation::WeightedMean { weight } => {
            let pairs: Vec<(f64, f64)> = children.iter().filter_map(|c| Some((child(&ind.code, c)?, child(weight, c)?))).collect();
            let w: f64 = pairs.iter().map(|p| p.1).sum();
            (!pairs.is_empty() && w > 0.0).then(|| Derived {
                value: pairs.iter().map(|(v, w)| v * w).sum::<f64>() / w,
                used: pairs.len(),
                expected,
                method: "mean weighted by population",
            })
        }
        Aggregation::Ratio { numerator, denominator, factor } => {
            let (n, d) = (parent(numerator)?, parent(denominator)?);
            let used = children.iter().filter(|c| child(numerator, c).is_some() && child(denominator, c).is_some()).count();
            (d != 0.0).then(|| Derived { value: n / d * factor, used, expected, method: "ratio of the summed terms" })
        }
        Aggregation::Formula { expression } => {
            let e = crate::validation::Expr::parse(expression).ok()?;
            let terms = e.indicators();
            let value = e.eval(parent)?;
            let used = children.iter().filter(|c| terms.iter().all(|t| child(t, c).is_some())).count();
            Some(Derived { value, used, expected, method: "formula over the aggregated terms" })
        }
        Aggregation::Last | Aggregation::None => None,
    }
}

/// What a change to `changed` indicators affects: themselves and every indicator whose value
/// is computed from one of them (a ratio from its terms, a weighted mean from its weight), so
/// that a new population figure also moves the parent's coverage rate and mean income.
pub fn affected<'a>(changed: &[String], catalogue: impl IntoIterator<Item = &'a Indicator>) -> Vec<String> {
    let all: Vec<&Indicator> = catalogue.into_iter().collect();
    let mut out: Vec<String> = changed.to_vec();
    // Until nothing is added: a formula may read a ratio that reads what changed.
    loop {
        let more: Vec<String> = all
            .iter()
            .filter(|i| !out.contains(&i.code) && i.aggregation.terms().iter().any(|t| out.contains(t)))
            .map(|i| i.code.clone())
            .collect();
        if more.is_empty() {
            return out;
        }
        out.extend(more);
    }
}

/// A computed indicator (a ratio of two catalogue indicators, or a formula) evaluated for one
/// area, where the area reported its terms but not the figure itself. `value` gives the area's
/// value of an indicator. `None` for other methods, or when a term is missing or a divisor is
/// zero.
pub fn compute(ind: &Indicator, value: &dyn Fn(&str) -> Option<f64>) -> Option<(f64, String)> {
    match &ind.aggregation {
        Aggregation::Ratio { numerator, denominator, factor } => {
            let (n, d) = (value(numerator)?, value(denominator)?);
            (d != 0.0).then(|| (n / d * factor, format!("computed as {numerator} / {denominator} × {factor}")))
        }
        Aggregation::Formula { expression } => {
            let v = crate::validation::Expr::parse(expression).ok()?.eval(value)?;
            Some((v, format!("computed as {expression}")))
        }
        _ => None,
    }
}

/// Can `ind` hold a value in the cell `cell_key`? (Its terms may be broken down by a
/// dimension the indicator itself is not.)
pub fn fits(ind: &Indicator, cell_key: &str) -> bool {
    crate::cell::Cell::from_key(cell_key).is_some_and(|c| c.iter().all(|(d, _)| ind.has_dimension(d)))
}

/// Order in which to compute a level: additive indicators first, then weighted means and
/// ratios (which read the additive aggregates), then formulas (which may read any of them).
pub fn order(indicators: &mut [&Indicator]) {
    indicators.sort_by_key(|i| match i.aggregation {
        Aggregation::Sum => 0,
        Aggregation::WeightedMean { .. } => 1,
        Aggregation::Ratio { .. } => 2,
        Aggregation::Formula { .. } => 3,
        Aggregation::Last | Aggregation::None => 4,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn each_method() {
        let inds: HashMap<String, Indicator> = crate::reference::indicators().into_iter().map(|i| (i.code.clone(), i)).collect();
        let values: HashMap<(&str, &str), f64> = [
            (("CN_RURAL_POOR_POP", "a"), 10.0),
            (("CN_RURAL_POOR_POP", "b"), 30.0),
            (("CN_RURAL_POP_MONITORED", "a"), 100.0),
            (("CN_RURAL_POP_MONITORED", "b"), 300.0),
            (("CN_RURAL_POP_MONITORED", "c"), 100.0),
            (("CN_DISP_INCOME_PC", "a"), 10_000.0),
            (("CN_DISP_INCOME_PC", "b"), 20_000.0),
            (("CN_RESIDENT_POP", "a"), 3.0),
            (("CN_RESIDENT_POP", "b"), 1.0),
            (("SI_POV_NAHC", "a"), 10.0),
            (("SI_POV_NAHC", "b"), 10.0),
        ]
        .into_iter()
        .collect();
        let child = |i: &str, a: &str| values.get(&(i, a)).copied();
        let kids = ["a", "b", "c"];
        let sum = aggregate(&inds["CN_RURAL_POOR_POP"], &kids, &child, &|_| None).unwrap();
        assert_eq!((sum.value, sum.used, sum.expected), (40.0, 2, 3));
        assert_eq!(sum.note("county"), "sum of 2 of 3 county areas (the others have not reported)");
        let mean = aggregate(&inds["CN_DISP_INCOME_PC"], &kids, &child, &|_| None).unwrap();
        assert_eq!(mean.value, 12_500.0, "weighted by population, not the plain mean 15,000");
        // The incidence is recomputed from the parent's sums (40 / 500), never summed (20) nor averaged (10).
        let parent = |i: &str| match i {
            "CN_RURAL_POOR_POP" => Some(40.0),
            "CN_RURAL_POP_MONITORED" => Some(500.0),
            _ => None,
        };
        let ratio = aggregate(&inds["SI_POV_NAHC"], &kids, &child, &parent).unwrap();
        assert_eq!(ratio.value, 8.0);
        assert!(aggregate(&inds["CN_POVERTY_LINE_RURAL"], &kids, &child, &parent).is_none(), "lines are not aggregated");
        let mut v: Vec<&Indicator> = vec![&inds["SI_POV_NAHC"], &inds["CN_DISP_INCOME_PC"], &inds["CN_RURAL_POOR_POP"]];
        order(&mut v);
        assert_eq!(v.iter().map(|i| i.code.as_str()).collect::<Vec<_>>(), ["CN_RURAL_POOR_POP", "CN_DISP_INCOME_PC", "SI_POV_NAHC"]);
    }

    #[test]
    fn a_change_reaches_what_is_computed_from_it() {
        let all = crate::reference::indicators();
        let a = affected(&["CN_RURAL_POOR_POP".into()], &all);
        assert_eq!(a, ["CN_RURAL_POOR_POP", "SI_POV_NAHC"]);
        let a = affected(&["CN_RESIDENT_POP".into()], &all);
        assert!(a.contains(&"CN_MEDICAL_INS_COVERAGE".to_string()) && a.contains(&"CN_DISP_INCOME_PC".to_string()), "{a:?}");
        assert!(!a.contains(&"CN_RURAL_POOR_POP".to_string()));
        assert_eq!(affected(&["CN_POVERTY_LINE_RURAL".into()], &all), ["CN_POVERTY_LINE_RURAL"]);
    }

    /// Monitored rural residents who are not poor: a count computed by a formula.
    fn not_poor() -> Indicator {
        let mut i = crate::reference::indicators().into_iter().find(|i| i.code == "CN_RURAL_POP_MONITORED").unwrap();
        i.code = "X_NOT_POOR".into();
        i.aggregation = Aggregation::Formula { expression: "CN_RURAL_POP_MONITORED - CN_RURAL_POOR_POP".into() };
        i
    }

    #[test]
    fn a_formula_is_evaluated_at_the_area_and_over_the_parents_aggregated_terms() {
        let f = not_poor();
        let own = |i: &str| match i {
            "CN_RURAL_POOR_POP" => Some(3.0),
            "CN_RURAL_POP_MONITORED" => Some(60.0),
            _ => None,
        };
        assert_eq!(compute(&f, &own), Some((57.0, "computed as CN_RURAL_POP_MONITORED - CN_RURAL_POOR_POP".into())));
        assert_eq!(compute(&f, &|i| if i == "CN_RURAL_POOR_POP" { Some(1.0) } else { None }), None, "a term missing");
        // At a parent: from the parent's aggregated terms, counting the children that had both.
        let kids = ["a", "b"];
        let child = |i: &str, a: &str| match (i, a) {
            ("CN_RURAL_POOR_POP", _) => Some(1.0),
            ("CN_RURAL_POP_MONITORED", "a") => Some(10.0),
            _ => None,
        };
        let parent = |i: &str| if i == "CN_RURAL_POOR_POP" { Some(2.0) } else { Some(10.0) };
        let d = aggregate(&f, &kids, &child, &parent).unwrap();
        assert_eq!((d.value, d.used, d.expected), (8.0, 1, 2));
        assert_eq!(f.aggregation.terms(), ["CN_RURAL_POP_MONITORED", "CN_RURAL_POOR_POP"]);
        assert!(f.aggregation.is_computed());
        let mut all = crate::reference::indicators();
        all.push(f.clone());
        let mut g = f.clone();
        g.code = "X_SHARE_NOT_POOR".into();
        g.aggregation = Aggregation::Formula { expression: "100 - SI_POV_NAHC".into() };
        all.push(g);
        let a = affected(&["CN_RURAL_POOR_POP".into()], &all);
        assert_eq!(a, ["CN_RURAL_POOR_POP", "SI_POV_NAHC", "X_NOT_POOR", "X_SHARE_NOT_POOR"], "through the ratio to the formula on it");
        let mut v: Vec<&Indicator> = all.iter().filter(|i| a.contains(&i.code)).collect();
        order(&mut v);
        assert_eq!(v.last().unwrap().aggregation.name(), "formula", "formulas after the ratios they may read");
    }

    #[test]
    fn a_ratio_is_computed_from_an_areas_own_terms() {
        let inds: HashMap<String, Indicator> = crate::reference::indicators().into_iter().map(|i| (i.code.clone(), i)).collect();
        let own = |i: &str| match i {
            "CN_RURAL_POOR_POP" => Some(3.0),
            "CN_RURAL_POP_MONITORED" => Some(60.0),
            _ => None,
        };
        let (v, note) = compute(&inds["SI_POV_NAHC"], &own).unwrap();
        assert_eq!(v, 5.0);
        assert_eq!(note, "computed as CN_RURAL_POOR_POP / CN_RURAL_POP_MONITORED × 100");
        assert!(compute(&inds["CN_MEDICAL_INS_COVERAGE"], &own).is_none(), "a term is missing");
        assert!(compute(&inds["CN_RURAL_POOR_POP"], &own).is_none(), "not a computed indicator");
        assert!(compute(&inds["SI_POV_NAHC"], &|i| if i == "CN_RURAL_POP_MONITORED" { Some(0.0) } else { Some(1.0) }).is_none());
    }
}
