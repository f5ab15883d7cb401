//! Disclosure control for public outputs: which published figures must be withheld so that no
//! one can read (or work out) a figure resting on too few persons or households.
//!
//! Primary suppression withholds a count below the minimum cell size, and a rate or mean
//! whose base count (the ratio's denominator, the mean's weight) is below it. Secondary
//! suppression then protects those cells from subtraction: along every *line* of an additive
//! indicator (the cells of one dimension with their total, or the child areas with their
//! parent), a line that withholds exactly one member beside a published total would give it
//! away, so the smallest other member is withheld too; repeated until nothing changes.
//! Percentages and means do not add up, so they form no lines.

use crate::cell::Cell;
use crate::codelist::TOTAL;
use crate::indicator::{Aggregation, Indicator, ValueType};
use crate::observation::ObsStatus;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The rules every public output applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// A count of persons or households below this (and above zero) is withheld. Zero is
    /// shown: it discloses nothing about anyone.
    pub min_count: f64,
    /// The units of counts that are about people (a count of counties is not).
    pub people_units: Vec<String>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules { min_count: 10.0, people_units: ["PERSONS", "HOUSEHOLDS", "CASES"].map(String::from).to_vec() }
    }
}

impl Rules {
    /// Does the minimum cell size apply to this indicator's counts?
    pub fn counts_people(&self, def: &Indicator) -> bool {
        def.value_type == ValueType::Count && self.people_units.contains(&def.unit)
    }
}

/// Why a figure is not shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Withheld {
    /// Reported as confidential (OBS_STATUS `Q`) by its source.
    AtSource,
    /// A count below the minimum cell size.
    SmallCount,
    /// A rate or mean whose base count is below the minimum cell size.
    SmallBase,
    /// Withheld so that another withheld cell cannot be computed from a total.
    Secondary,
}

/// One published figure as the disclosure rules see it.
#[derive(Debug, Clone)]
pub struct Figure {
    pub indicator: String,
    pub area: String,
    /// The area's parent (for lines of child areas and their parent).
    pub parent: Option<String>,
    pub period: String,
    pub cell: Cell,
    /// In the indicator's unit and multiplier.
    pub value: Option<f64>,
    pub unit_mult: i32,
    pub status: ObsStatus,
}

impl Figure {
    /// The value in units (persons, not ten thousands of persons).
    fn absolute(&self) -> Option<f64> {
        self.value.map(|v| v * 10f64.powi(self.unit_mult))
    }
}

/// A set of cells that add up: `margin` is the sum of `members`.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub margin: usize,
    pub members: Vec<usize>,
}

/// Secondary suppression over `lines`: extends `hidden` until no line lets a hidden cell be
/// computed. `size` ranks the candidates (the smallest is withheld, losing least).
/// Returns the cells it withheld.
pub fn secondary(lines: &[Line], size: &[f64], hidden: &mut [bool]) -> Vec<usize> {
    let mut added = Vec::new();
    loop {
        let mut changed = false;
        for line in lines {
            let open: Vec<usize> = line.members.iter().copied().filter(|&i| !hidden[i]).collect();
            let closed = line.members.len() - open.len();
            // Exactly one unknown in `margin = Σ members` gives it away: with the margin
            // published, one hidden member; with the margin hidden, no hidden member.
            let exposed = !open.is_empty() && closed == usize::from(!hidden[line.margin]);
            if exposed {
                let j = *open.iter().min_by(|&&a, &&b| size[a].total_cmp(&size[b]).then(a.cmp(&b))).expect("open is not empty");
                hidden[j] = true;
                added.push(j);
                changed = true;
            }
        }
        if !changed {
            return added;
        }
    }
}

/// Decides, for each figure, whether and why it is withheld. `indicator` finds a figure's
/// definition; figures of unknown indicators are withheld (nothing is shown by default).
pub fn protect<'a>(figures: &[Figure], indicator: impl Fn(&str) -> Option<&'a Indicator>, rules: &Rules) -> Vec<Option<Withheld>> {
    let index: HashMap<(&str, &str, &str, String), usize> =
        figures.iter().enumerate().map(|(i, f)| ((f.indicator.as_str(), f.area.as_str(), f.period.as_str(), f.cell.key()), i)).collect();
    let small = |f: &Figure| {
        indicator(&f.indicator).is_some_and(|d| rules.counts_people(d)) && f.absolute().is_some_and(|v| v > 0.0 && v < rules.min_count)
    };
    let mut out: Vec<Option<Withheld>> = figures
        .iter()
        .map(|f| {
            let Some(def) = indicator(&f.indicator) else { return Some(Withheld::AtSource) };
            if f.status == ObsStatus::Q {
                return Some(Withheld::AtSource);
            }
            if small(f) {
                return Some(Withheld::SmallCount);
            }
            let base = base_of(def).and_then(|b| index.get(&(b, f.area.as_str(), f.period.as_str(), f.cell.key())));
            if base.is_some_and(|&b| small(&figures[b])) {
                return Some(Withheld::SmallBase);
            }
            None
        })
        .collect();
    let lines = lines(figures, &indicator, &index);
    let size: Vec<f64> = figures.iter().map(|f| f.absolute().unwrap_or(0.0).abs()).collect();
    let mut hidden: Vec<bool> = out.iter().map(Option::is_some).collect();
    for j in secondary(&lines, &size, &mut hidden) {
        out[j] = Some(Withheld::Secondary);
    }
    out
}

/// The count a rate or mean rests on: a ratio's denominator, a weighted mean's weight.
pub fn base_of(def: &Indicator) -> Option<&str> {
    match &def.aggregation {
        Aggregation::Ratio { denominator, .. } => Some(denominator),
        Aggregation::WeightedMean { weight } => Some(weight),
        _ => None,
    }
}

/// The lines of the additive indicators: along each dimension within an area, and along the
/// child areas of a parent within a cell.
fn lines<'a>(
    figures: &[Figure],
    indicator: &impl Fn(&str) -> Option<&'a Indicator>,
    index: &HashMap<(&str, &str, &str, String), usize>,
) -> Vec<Line> {
    let mut by_margin: HashMap<(usize, Option<&str>), Vec<usize>> = HashMap::new();
    for (i, f) in figures.iter().enumerate() {
        let Some(def) = indicator(&f.indicator) else { continue };
        if def.aggregation != Aggregation::Sum {
            continue;
        }
        for (dimension, code) in f.cell.iter() {
            if code == TOTAL {
                continue;
            }
            let total = f.cell.clone().with(dimension, TOTAL);
            if let Some(&m) = index.get(&(f.indicator.as_str(), f.area.as_str(), f.period.as_str(), total.key())) {
                by_margin.entry((m, Some(dimension))).or_default().push(i);
            }
        }
        if let Some(parent) = f.parent.as_deref()
            && let Some(&m) = index.get(&(f.indicator.as_str(), parent, f.period.as_str(), f.cell.key()))
        {
            by_margin.entry((m, None)).or_default().push(i);
        }
    }
    let mut lines: Vec<Line> = by_margin.into_iter().map(|((margin, _), members)| Line { margin, members }).collect();
    lines.sort_by_key(|l| (l.margin, l.members.clone()));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fig(indicator: &str, area: &str, parent: Option<&str>, cell: &[(&str, &str)], value: f64) -> Figure {
        let mut c = Cell::total();
        for (d, code) in cell {
            c.set(d, code);
        }
        Figure {
            indicator: indicator.into(),
            area: area.into(),
            parent: parent.map(Into::into),
            period: "2020".into(),
            cell: c,
            value: Some(value),
            unit_mult: 0,
            status: ObsStatus::A,
        }
    }

    fn defs() -> Vec<Indicator> {
        crate::reference::indicators()
    }

    #[test]
    fn a_small_count_takes_a_sibling_with_it_in_its_cells_and_among_areas() {
        let defs = defs();
        let find = |c: &str| defs.iter().find(|d| d.code == c);
        let rules = Rules::default();
        let count = defs.iter().find(|d| rules.counts_people(d) && d.aggregation == Aggregation::Sum).expect("an additive count of people");
        let c = count.code.as_str();
        let figures = vec![
            fig(c, "13", None, &[], 60.0),
            fig(c, "1301", Some("13"), &[], 45.0),
            fig(c, "1302", Some("13"), &[], 15.0),
            fig(c, "1302", Some("13"), &[("SEX", "F")], 4.0),
            fig(c, "1302", Some("13"), &[("SEX", "M")], 11.0),
        ];
        let out = protect(&figures, find, &rules);
        // 4 women: small. The men of 1302 would follow from the total 15, so they go too;
        // 1302's total stays: it hides nothing now that both of its parts are withheld.
        assert_eq!(out, vec![None, None, None, Some(Withheld::SmallCount), Some(Withheld::Secondary)]);

        // A small area total: the province's total minus the other county would give it away.
        let figures = vec![fig(c, "13", None, &[], 60.0), fig(c, "1301", Some("13"), &[], 52.0), fig(c, "1302", Some("13"), &[], 8.0)];
        let out = protect(&figures, find, &rules);
        assert_eq!(out, vec![None, Some(Withheld::Secondary), Some(Withheld::SmallCount)]);
        // Counties are not people: three poor counties is a public fact.
        let counties = defs.iter().find(|d| d.value_type == ValueType::Count && d.unit == "COUNTIES").expect("a count of counties");
        assert!(protect(&[fig(&counties.code, "13", None, &[], 3.0)], find, &rules)[0].is_none());
    }

    #[test]
    fn a_hidden_total_is_not_rebuilt_from_its_parts_nor_a_part_from_the_rest() {
        let mut hidden = vec![false, false, false, false];
        // margin 0 = 1 + 2 + 3; 2 is hidden, so the smallest of 1 and 3 goes too.
        hidden[2] = true;
        let added = secondary(&[Line { margin: 0, members: vec![1, 2, 3] }], &[10.0, 3.0, 5.0, 2.0], &mut hidden);
        assert_eq!(added, vec![3]);
        // A hidden margin with every member shown is the sum of its members.
        let mut hidden = vec![true, false, false];
        assert_eq!(secondary(&[Line { margin: 0, members: vec![1, 2] }], &[9.0, 4.0, 5.0], &mut hidden), vec![1]);
    }

    #[test]
    fn rates_on_a_small_base_and_figures_withheld_at_source_are_withheld() {
        let defs = defs();
        let find = |c: &str| defs.iter().find(|d| d.code == c);
        let rate = defs.iter().find(|d| base_of(d).is_some()).expect("a rate or mean with a base count");
        let denominator = base_of(rate).expect("found by its base");
        let base = find(denominator).expect("the denominator is in the catalogue");
        // 5 persons, in the denominator's multiplier.
        let mut small_base = fig(denominator, "1302", Some("13"), &[], 5.0 / 10f64.powi(base.unit_mult));
        small_base.unit_mult = base.unit_mult;
        let mut confidential = fig(&rate.code, "1301", Some("13"), &[], 0.0);
        confidential.status = ObsStatus::Q;
        confidential.value = None;
        let figures =
            vec![small_base, fig(&rate.code, "1302", Some("13"), &[], 12.5), confidential, fig("NOT_IN_CATALOGUE", "13", None, &[], 1.0)];
        let out = protect(&figures, find, &Rules::default());
        assert_eq!(out[1], Some(Withheld::SmallBase));
        assert_eq!(out[2], Some(Withheld::AtSource));
        assert_eq!(out[3], Some(Withheld::AtSource));
    }
}
