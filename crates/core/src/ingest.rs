//! Turning one input row into an observation, or into precise findings.
//!
//! Every import path (CSV, SDMX-CSV, API) maps its columns onto [`RawRow`] and calls
//! [`Catalogue::check_row`]; so the rules are the same whichever way data arrive. A finding
//! names the column, the value found and what was expected; the caller adds file and row.

use crate::area::AreaCode;
use crate::cell::Cell;
use crate::codelist::{Codelist, TOTAL};
use crate::indicator::Indicator;
use crate::observation::ObsStatus;
use crate::period::Period;
use crate::unit::{Conversion, Unit, rescale};
use serde::Serialize;
use std::collections::HashMap;

/// A row as strings, columns already mapped to their meaning.
#[derive(Debug, Default, Clone)]
pub struct RawRow<'a> {
    pub indicator: &'a str,
    pub area: &'a str,
    pub period: &'a str,
    pub value: &'a str,
    pub status: &'a str,
    /// Unit code; empty means the indicator's unit.
    pub unit: &'a str,
    /// Unit multiplier; empty means the indicator's.
    pub unit_mult: &'a str,
    pub source: &'a str,
    pub footnote: &'a str,
    /// A note for the lead department and signed-in users only (provenance, data cleaning).
    pub internal_note: &'a str,
    /// (dimension id, code) for every dimension column present.
    pub dims: Vec<(&'a str, &'a str)>,
}

/// A checked observation, in the indicator's unit and multiplier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckedObservation {
    pub indicator: String,
    pub indicator_version: i64,
    pub area: AreaCode,
    pub period: Period,
    pub cell: Cell,
    pub value: Option<f64>,
    pub status: ObsStatus,
    pub source: String,
    /// Public: shown wherever the figure is.
    pub footnote: String,
    /// Internal: never in a public output.
    pub internal_note: String,
}

/// What is wrong with one field of a row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub column: String,
    pub value: String,
    pub expected: String,
}

impl Finding {
    fn new(column: &str, value: &str, expected: impl Into<String>) -> Self {
        Finding { column: column.to_string(), value: crate::text::shown(value).into_owned(), expected: expected.into() }
    }
}

/// Answers "does this area exist during this period?" (areas change over time).
pub trait AreaLookup {
    /// `None` if the code is unknown; `Some(false)` if it exists but not during `period`
    /// (any period when `None`).
    fn in_force(&self, code: &AreaCode, period: Option<Period>) -> Option<bool>;
}

/// The reference data a row is checked against.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub indicators: HashMap<String, (Indicator, i64)>,
    pub codelists: HashMap<String, Codelist>,
    pub units: Vec<Unit>,
    pub conversions: Vec<Conversion>,
    /// The indicators by code without their versions, as the rules take them: built once
    /// with the catalogue, not at every check of a file.
    by_code: HashMap<String, Indicator>,
}

impl Catalogue {
    pub fn new(indicators: Vec<(Indicator, i64)>, codelists: Vec<Codelist>, units: Vec<Unit>, conversions: Vec<Conversion>) -> Self {
        let by_code = indicators.iter().map(|(i, _)| (i.code.clone(), i.clone())).collect();
        Catalogue {
            indicators: indicators.into_iter().map(|(i, v)| (i.code.clone(), (i, v))).collect(),
            codelists: codelists.into_iter().map(|c| (c.id.clone(), c)).collect(),
            units,
            conversions,
            by_code,
        }
    }

    /// The indicators by code (what [`crate::validation::RuleSet::check`] and the rules'
    /// context take).
    pub fn indicators_by_code(&self) -> &HashMap<String, Indicator> {
        &self.by_code
    }

    /// Checks a row; returns the observation or every finding about it.
    pub fn check_row(&self, row: &RawRow<'_>, areas: &dyn AreaLookup) -> Result<CheckedObservation, Vec<Finding>> {
        let mut f = Vec::new();
        // Control characters break the Word, XLSX and XML files made from stored text.
        for (column, text, line_breaks) in
            [("source", row.source, false), ("footnote", row.footnote, true), ("internal_note", row.internal_note, true)]
        {
            if let Some(finding) = crate::text::check_clean(column, text, line_breaks) {
                f.push(finding);
            }
        }
        let ind = match self.indicators.get(row.indicator.trim()) {
            Some(x) => Some(x),
            None => {
                let code = row.indicator.trim();
                let near = self
                    .indicators
                    .keys()
                    .map(|k| (strsim::levenshtein(&k.to_uppercase(), &code.to_uppercase()), k))
                    .filter(|(d, _)| *d <= 3)
                    .min();
                let expected = match near {
                    Some((_, k)) => format!("an indicator code from the catalogue: did you mean {k}? (rightstat catalog list)"),
                    None => "an indicator code from the catalogue (rightstat catalog list)".to_string(),
                };
                f.push(Finding::new("indicator", row.indicator, expected));
                None
            }
        };
        let period = match row.period.parse::<Period>() {
            Ok(p) => Some(p),
            Err(e) => {
                f.push(Finding::new(
                    "period",
                    row.period,
                    e.to_string().split(": expected ").nth(1).unwrap_or("YYYY, YYYY-Qn or YYYY-MM").to_string(),
                ));
                None
            }
        };
        if let (Some((ind, _)), Some(p)) = (ind, period)
            && p.periodicity() != ind.periodicity
        {
            f.push(Finding::new(
                "period",
                row.period,
                match ind.periodicity {
                    crate::period::Periodicity::Annual => format!("a year (YYYY): {} is reported yearly", ind.code),
                    crate::period::Periodicity::Quarterly => format!("a quarter (YYYY-Qn): {} is reported quarterly", ind.code),
                    crate::period::Periodicity::Monthly => format!("a month (YYYY-MM): {} is reported monthly", ind.code),
                },
            ));
        }
        let area = match row.area.parse::<AreaCode>() {
            Ok(a) => match areas.in_force(&a, period) {
                None => {
                    let expected = match a.level() {
                        crate::area::AreaLevel::Township | crate::area::AreaLevel::Village => {
                            "a known area code: townships and villages are loaded by `rightstat areas import FILE --level township|village`"
                        }
                        _ => "a known area code of the national division codes (rightstat areas show CODE)",
                    };
                    f.push(Finding::new("area", row.area, expected));
                    None
                }
                Some(false) => {
                    f.push(Finding::new("area", row.area, format!("an area in force during {}", row.period)));
                    None
                }
                Some(true) => Some(a),
            },
            Err(e) => {
                f.push(Finding::new("area", row.area, e.to_string().split(": expected ").nth(1).unwrap_or_default().to_string()));
                None
            }
        };
        let status = match row.status.parse::<ObsStatus>() {
            Ok(s) => Some(s),
            Err(()) => {
                f.push(Finding::new("status", row.status, "an OBS_STATUS code: A, E, P, O or Q (empty means A)"));
                None
            }
        };
        let mut cell = Cell::total();
        for &(dim, code) in &row.dims {
            let code = code.trim();
            if code.is_empty() || code == TOTAL {
                continue;
            }
            let Some(list) = self.codelists.get(dim) else { continue };
            match ind {
                Some((ind, _)) if !ind.has_dimension(dim) => {
                    f.push(Finding::new(dim, code, format!("{TOTAL} or empty: {} is not broken down by {dim}", ind.code)));
                }
                _ if !list.accepts(code) => f.push(Finding::new(dim, code, list.expected())),
                _ => cell.set(dim, code),
            }
        }
        let value = self.check_value(row, ind.map(|x| &x.0), status, &mut f);
        match (ind, period, area, status, value) {
            (Some((ind, version)), Some(period), Some(area), Some(status), Ok((value, note))) if f.is_empty() => {
                let footnote = match (row.footnote.trim(), note) {
                    (fnote, None) => fnote.to_string(),
                    ("", Some(n)) => n,
                    (fnote, Some(n)) => format!("{fnote}; {n}"),
                };
                Ok(CheckedObservation {
                    indicator: ind.code.clone(),
                    indicator_version: *version,
                    area,
                    period,
                    cell,
                    value,
                    status,
                    source: row.source.trim().to_string(),
                    footnote,
                    internal_note: row.internal_note.trim().to_string(),
                })
            }
            _ => Err(f),
        }
    }

    /// Parses the value, converts unit and multiplier to the indicator's, checks hard bounds.
    /// Returns the value and, when a unit conversion was applied, the note to record.
    fn check_value(
        &self,
        row: &RawRow<'_>,
        ind: Option<&Indicator>,
        status: Option<ObsStatus>,
        f: &mut Vec<Finding>,
    ) -> Result<(Option<f64>, Option<String>), ()> {
        let raw = row.value.trim();
        let needs = status.map(ObsStatus::needs_value);
        if raw.is_empty() {
            return match needs {
                Some(true) => {
                    f.push(Finding::new("value", raw, "a number (leave it empty only with status O or Q)"));
                    Err(())
                }
                _ => Ok((None, None)),
            };
        }
        if needs == Some(false) {
            f.push(Finding::new("value", raw, "an empty value: status O (missing) and Q (suppressed) carry none"));
            return Err(());
        }
        // Thousands separators are tolerated ("9,899"), but only between groups of three
        // digits: "1,5" is a decimal comma, which would otherwise read as 15.
        if raw.contains(',') && !grouped_thousands(raw) {
            f.push(Finding::new(
                "value",
                raw,
                "a number with a point as decimal separator (1.5); a comma may only separate groups of three digits (9,899)",
            ));
            return Err(());
        }
        let parsed = if raw.contains(',') { raw.replace(',', "").parse::<f64>() } else { raw.parse::<f64>() };
        let Ok(mut v) = parsed else {
            f.push(Finding::new("value", raw, "a number such as 9899 or 10.2 (no units or % sign)"));
            return Err(());
        };
        if !v.is_finite() {
            f.push(Finding::new("value", raw, "a finite number"));
            return Err(());
        }
        let Some(ind) = ind else { return Err(()) };
        let mut note = None;
        let unit = row.unit.trim();
        if !unit.is_empty() && unit != ind.unit {
            if !self.units.iter().any(|u| u.code == unit) {
                f.push(Finding::new("unit", unit, format!("a unit code; {} is measured in {}", ind.code, ind.unit)));
                return Err(());
            }
            match self.conversions.iter().find(|c| c.from == unit && c.to == ind.unit) {
                Some(c) => {
                    note = Some(format!("converted from {raw} {unit} to {}", ind.unit));
                    v = c.apply(v);
                }
                None => {
                    f.push(Finding::new("unit", unit, format!("{} (no conversion from {unit} is declared)", ind.unit)));
                    return Err(());
                }
            }
        }
        let mult = row.unit_mult.trim();
        if !mult.is_empty() {
            match mult.parse::<i32>() {
                Ok(m) if (-9..=12).contains(&m) => v = rescale(v, m, ind.unit_mult),
                _ => {
                    f.push(Finding::new("unit_mult", mult, "a power of ten between -9 and 12 (4 = × 10,000)"));
                    return Err(());
                }
            }
        }
        // After conversion and rescaling: 1e300 × 10^12 is no number either.
        if !v.is_finite() || !(v * 1e9).is_finite() {
            f.push(Finding::new("value", raw, format!("a finite number (in {} it would be {v:e})", ind.unit)));
            return Err(());
        }
        let (lo, hi) = ind.value_type.hard_bounds();
        let lo = if ind.code.ends_with("_GROWTH") { f64::NEG_INFINITY } else { lo };
        if v < lo || v > hi {
            let kind = format!("{:?}", ind.value_type).to_lowercase();
            let range = match (lo.is_finite(), hi.is_finite()) {
                (true, true) => format!("a {kind} value from {lo} to {hi}"),
                (true, false) => format!("a {kind} value of {lo} or more"),
                (false, true) => format!("a {kind} value of {hi} or less"),
                (false, false) => format!("a {kind} value"),
            };
            f.push(Finding::new("value", raw, range));
            return Err(());
        }
        if ind.value_type.integral() && v.fract() != 0.0 {
            f.push(Finding::new("value", raw, "a whole number"));
            return Err(());
        }
        // Round away binary noise from conversions (264.79999999 -> 264.8).
        let v = (v * 1e9).round() / 1e9;
        Ok((Some(v), note))
    }
}

/// "9,899", "-1,234,567.5": commas only between groups of three digits of the integer part.
fn grouped_thousands(raw: &str) -> bool {
    let digits = raw.strip_prefix(['-', '+']).unwrap_or(raw);
    let int = digits.split_once('.').map_or(digits, |(i, _)| i);
    let mut groups = int.split(',');
    let first = groups.next().unwrap_or("");
    (1..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_digit())
        && groups.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
        && !digits.split_once('.').is_some_and(|(_, frac)| frac.contains(','))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference;

    struct AllAreas;
    impl AreaLookup for AllAreas {
        fn in_force(&self, code: &AreaCode, _: Option<Period>) -> Option<bool> {
            match code.as_str() {
                "CN" | "11" => Some(true),
                "130102" => Some(false),
                _ => None,
            }
        }
    }

    fn cat() -> Catalogue {
        let (u, c) = reference::units();
        Catalogue::new(reference::indicators().into_iter().map(|i| (i, 1)).collect(), reference::codelists(), u, c)
    }

    fn row<'a>(ind: &'a str, area: &'a str, period: &'a str, value: &'a str) -> RawRow<'a> {
        RawRow { indicator: ind, area, period, value, ..Default::default() }
    }

    #[test]
    fn accepts_a_good_row() {
        let mut r = row("SI_POV_NAHC", "CN", "2012", "10.2");
        r.dims = vec![("URBANISATION", "R"), ("SEX", "_T")];
        let o = cat().check_row(&r, &AllAreas).unwrap();
        assert_eq!(o.value, Some(10.2));
        assert_eq!(o.cell.key(), "|URBANISATION=R|");
    }

    #[test]
    fn a_decimal_comma_is_refused_and_thousands_groups_are_read() {
        let value = |v: &str| cat().check_row(&row("CN_RURAL_POOR_POP", "CN", "2012", v), &AllAreas).map(|o| o.value);
        assert_eq!(value("9,899").unwrap(), Some(9899.0));
        assert_eq!(value("1,234,567").unwrap(), Some(1234567.0));
        for bad in ["1,5", "12,34", "1,2345", ",899", "9,899,", "1.5,5"] {
            let e = value(bad).unwrap_err();
            assert!(e[0].expected.contains("point as decimal separator"), "{bad}: {e:?}");
            assert_eq!(e[0].value, bad);
        }
    }

    #[test]
    fn values_that_are_not_finite_after_rescaling_are_refused() {
        for (v, mult) in [("1e300", ""), ("1e300", "12"), ("1e308", ""), ("1.7e308", "4"), ("inf", ""), ("NaN", "")] {
            let mut r = row("CN_RURAL_POOR_POP", "CN", "2012", v);
            r.unit_mult = mult;
            let e = cat().check_row(&r, &AllAreas).expect_err(v);
            assert_eq!(e[0].column, "value", "{v}");
            assert!(e[0].expected.contains("finite") || e[0].expected.contains("a number"), "{v}: {e:?}");
        }
    }

    #[test]
    fn converts_yearly_dibao_standard_and_says_so() {
        let mut r = row("CN_DIBAO_STANDARD", "CN", "2015", "3177.6");
        r.unit = "CNY_PP_YEAR";
        r.dims = vec![("URBANISATION", "R")];
        let o = cat().check_row(&r, &AllAreas).unwrap();
        assert_eq!(o.value, Some(264.8));
        assert!(o.footnote.contains("converted from 3177.6 CNY_PP_YEAR"), "{}", o.footnote);
    }

    #[test]
    fn rescales_persons_to_ten_thousands() {
        let mut r = row("CN_RURAL_POOR_POP", "CN", "2012", "98990000");
        r.unit_mult = "0";
        assert_eq!(cat().check_row(&r, &AllAreas).unwrap().value, Some(9899.0));
    }

    #[test]
    fn reports_every_bad_field() {
        let mut r = row("SI_POV_NAHC", "CN", "2012-Q1", "110");
        r.dims = vec![("URBANISATION", "X"), ("ETHNICITY", "57")];
        r.status = "Z";
        let f = cat().check_row(&r, &AllAreas).unwrap_err();
        let cols: Vec<&str> = f.iter().map(|x| x.column.as_str()).collect();
        assert_eq!(cols, ["period", "status", "URBANISATION", "ETHNICITY", "value"], "{f:#?}");
        let r = row("SI_POV_NAHC", "CN", "2012", "110");
        let f = cat().check_row(&r, &AllAreas).unwrap_err();
        assert_eq!(f[0].column, "value");
        assert!(f[0].expected.contains("from 0 to 100"), "{}", f[0].expected);
        // The period's message says "expected" once, and the frequency in words.
        let f = cat().check_row(&row("SI_POV_NAHC", "CN", "2012-13", "1"), &AllAreas).unwrap_err();
        assert!(f[0].expected.starts_with("YYYY") && !f[0].expected.contains("expected"), "{}", f[0].expected);
        let f = cat().check_row(&row("SI_POV_NAHC", "CN", "2012-Q1", "1"), &AllAreas).unwrap_err();
        assert_eq!(f[0].expected, "a year (YYYY): SI_POV_NAHC is reported yearly");
        // A count has no upper bound to state.
        let f = cat().check_row(&row("CN_RURAL_POOR_POP", "CN", "2012", "-1"), &AllAreas).unwrap_err();
        assert!(f[0].expected.ends_with("value of 0 or more"), "{}", f[0].expected);
    }

    #[test]
    fn a_misspelt_code_gets_a_suggestion_and_a_huge_value_is_not_echoed_whole() {
        let f = cat().check_row(&row("SI_POV_NAH", "CN", "2012", "1"), &AllAreas).unwrap_err();
        assert!(f[0].expected.contains("did you mean SI_POV_NAHC?"), "{}", f[0].expected);
        let f = cat().check_row(&row("NOTHING_LIKE_IT_AT_ALL", "CN", "2012", "1"), &AllAreas).unwrap_err();
        assert!(!f[0].expected.contains("did you mean"), "{}", f[0].expected);
        let huge = "9".repeat(10_000_000);
        let f = cat().check_row(&row("SI_POV_NAHC", "CN", "2012", &huge), &AllAreas).unwrap_err();
        assert!(f[0].value.len() < 200 && f[0].value.contains("(10000000 characters)"), "{}", &f[0].value[..200.min(f[0].value.len())]);
    }

    #[test]
    fn rejects_unknown_and_expired_areas_and_undeclared_dimensions() {
        let f = cat().check_row(&row("CN_RURAL_POOR_POP", "999999", "2012", "1"), &AllAreas).unwrap_err();
        assert_eq!(f[0].column, "area");
        let f = cat().check_row(&row("CN_RURAL_POOR_POP", "130102", "2022", "1"), &AllAreas).unwrap_err();
        assert!(f[0].expected.contains("in force"));
        let mut r = row("CN_POVERTY_LINE_RURAL", "CN", "2012", "2625");
        r.dims = vec![("SEX", "F")];
        let f = cat().check_row(&r, &AllAreas).unwrap_err();
        assert_eq!((f[0].column.as_str(), f[0].value.as_str()), ("SEX", "F"));
    }

    #[test]
    fn missing_values_need_status_o_or_q() {
        let f = cat().check_row(&row("CN_RURAL_POOR_POP", "CN", "2012", ""), &AllAreas).unwrap_err();
        assert_eq!(f[0].column, "value");
        let mut r = row("CN_RURAL_POOR_POP", "CN", "2012", "");
        r.status = "Q";
        assert_eq!(cat().check_row(&r, &AllAreas).unwrap().value, None);
        r.value = "3";
        assert!(cat().check_row(&r, &AllAreas).is_err());
    }
}
