//! The indicator catalogue: "the list of data to collect".
//!
//! An indicator says what to collect and how it behaves: unit and multiplier, periodicity,
//! the dimensions it is broken down by (and which of them must be reported), how it
//! aggregates up the area hierarchy, its OHCHR type and its links to ICESCR articles and SDG
//! targets. Definitions are versioned by storage; this module holds the rules a definition
//! must satisfy (e.g. a percentage is never summed).

use crate::codelist::Codelist;
use crate::period::Periodicity;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// OHCHR indicator type (HR/PUB/12/5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OhchrType {
    /// Commitment: law, ratification, policy adopted.
    Structural,
    /// Effort: programme coverage, budgets.
    Process,
    /// Enjoyment: poverty, malnutrition, housing.
    Outcome,
}

/// What kind of number a value is; decides the hard bounds and which aggregations make sense.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ValueType {
    /// A count of persons, households, etc. (≥ 0, additive).
    Count,
    /// A money or physical amount (additive when it is a total, not a per-capita figure).
    Amount,
    /// Per-capita or per-unit amount (yuan per person, kg per person): never summed.
    PerCapita,
    /// 0-100.
    Percent,
    /// A ratio such as a Gini coefficient or Engel share in 0-1.
    Ratio,
    /// Rate per 1,000 or 100,000.
    Rate,
    /// 0 or 1 (structural yes/no indicators).
    Boolean,
    /// A calendar year (e.g. year a law entered into force).
    Year,
}

impl ValueType {
    /// Can values of this type be added across areas or cells?
    pub fn additive(self) -> bool {
        matches!(self, ValueType::Count | ValueType::Amount)
    }

    /// Hard bounds every value must satisfy, whatever the indicator says.
    pub fn hard_bounds(self) -> (f64, f64) {
        match self {
            ValueType::Count | ValueType::Amount | ValueType::PerCapita | ValueType::Rate => (0.0, f64::INFINITY),
            ValueType::Percent => (0.0, 100.0),
            ValueType::Ratio => (0.0, f64::INFINITY),
            ValueType::Boolean => (0.0, 1.0),
            ValueType::Year => (1900.0, 2100.0),
        }
    }

    /// Values that must be whole numbers.
    pub fn integral(self) -> bool {
        matches!(self, ValueType::Boolean | ValueType::Year)
    }
}

/// How an indicator aggregates from child areas to their parent (and over cells to totals).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Aggregation {
    /// Add the children's values.
    Sum,
    /// Mean of the children weighted by another (additive) indicator, e.g. income per
    /// capita weighted by population.
    WeightedMean { weight: String },
    /// Recompute from the aggregates of two additive indicators: numerator / denominator × factor.
    Ratio { numerator: String, denominator: String, factor: f64 },
    /// A computed indicator: `expression` (numbers, indicator codes, + - * / and parentheses)
    /// over the stored values of other indicators in the same area, period and cell, evaluated
    /// at every area where its terms are known and the figure was not reported — never
    /// aggregated itself. E.g. `CN_RURAL_POP_MONITORED - CN_RURAL_POOR_POP`.
    Formula { expression: String },
    /// The most recent value of the period (stocks reported monthly, summarised yearly).
    Last,
    /// Not aggregable: every level reports its own figure (poverty lines, Gini).
    None,
}

impl Aggregation {
    /// The other indicators a value is computed from: a weighted mean's weight, a ratio's terms,
    /// a formula's codes (one each, in order of first use).
    pub fn terms(&self) -> Vec<String> {
        let mut out: Vec<String> = match self {
            Aggregation::WeightedMean { weight } => vec![weight.clone()],
            Aggregation::Ratio { numerator, denominator, .. } => vec![numerator.clone(), denominator.clone()],
            Aggregation::Formula { expression } => crate::validation::Expr::parse(expression).map(|e| e.indicators()).unwrap_or_default(),
            _ => vec![],
        };
        let mut seen = std::collections::HashSet::new();
        out.retain(|t| seen.insert(t.clone()));
        out
    }

    /// Is the value computed from other indicators of the same area (a ratio or a formula),
    /// rather than reported or aggregated from children?
    pub fn is_computed(&self) -> bool {
        matches!(self, Aggregation::Ratio { .. } | Aggregation::Formula { .. })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Aggregation::Sum => "sum",
            Aggregation::WeightedMean { .. } => "weighted_mean",
            Aggregation::Ratio { .. } => "ratio",
            Aggregation::Formula { .. } => "formula",
            Aggregation::Last => "last",
            Aggregation::None => "none",
        }
    }
}

/// A catalogue entry. Field names are the TOML keys of `reference/indicators.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Indicator {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub definition_en: String,
    #[serde(default)]
    pub definition_zh: String,
    pub purpose_en: String,
    #[serde(default)]
    pub purpose_zh: String,
    /// Unit code from `reference/units.toml`.
    pub unit: String,
    /// Power of ten the stored value is expressed in (4 = × 10,000).
    #[serde(default)]
    pub unit_mult: i32,
    pub periodicity: Periodicity,
    pub value_type: ValueType,
    pub aggregation: Aggregation,
    /// Dimensions the indicator may be broken down by (codelist ids).
    #[serde(default)]
    pub dimensions: Vec<String>,
    /// Dimensions for which every code must be reported (subset of `dimensions`).
    #[serde(default)]
    pub required_dimensions: Vec<String>,
    pub ohchr_type: OhchrType,
    /// The right and attribute in the OHCHR framework, e.g. "adequate food: accessibility".
    #[serde(default)]
    pub attribute: String,
    #[serde(default)]
    pub icescr_articles: Vec<u8>,
    #[serde(default)]
    pub sdg_targets: Vec<String>,
    /// SDG indicator number, when this is one (e.g. "1.2.1").
    #[serde(default)]
    pub sdg_indicator: Option<String>,
    /// SDMX series code in the SDG global DSD, when there is one.
    #[serde(default)]
    pub sdmx_series: Option<String>,
    /// Responsible department (code from the departments list).
    pub department: String,
    /// "Matters needing attention" for those who report it.
    #[serde(default)]
    pub guidance_en: String,
    #[serde(default)]
    pub guidance_zh: String,
    /// Plausible range: values outside are flagged for review, not rejected.
    #[serde(default)]
    pub plausible: Option<[f64; 2]>,
    /// Where the official figure is published.
    #[serde(default)]
    pub source: String,
    /// Which way the indicator should move as the right is better realised (for trends).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub better: Option<crate::recommendation::Better>,
}

/// Why a definition is not acceptable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IndicatorError {
    #[error("{code}: code must be upper-case letters, digits and _")]
    BadCode { code: String },
    #[error("{code}: unknown unit {unit}")]
    UnknownUnit { code: String, unit: String },
    #[error("{code}: unknown dimension {dimension}")]
    UnknownDimension { code: String, dimension: String },
    #[error("{code}: required dimension {dimension} is not among the indicator's dimensions")]
    RequiredNotDeclared { code: String, dimension: String },
    #[error("{code}: a {value_type:?} value cannot be aggregated by sum (percentages and per-capita figures are never summed)")]
    NonAdditiveSum { code: String, value_type: ValueType },
    #[error("{code}: aggregation refers to {other}, which is not in the catalogue")]
    UnknownReference { code: String, other: String },
    #[error("{code}: aggregation refers to {other}, which is not additive (it must aggregate by sum)")]
    NonAdditiveReference { code: String, other: String },
    #[error("{code}: ICESCR article {article} does not exist (1-31)")]
    BadArticle { code: String, article: u8 },
    #[error("{code}: formula '{expression}': {why}")]
    BadFormula { code: String, expression: String, why: String },
    #[error("{code}: plausible range {min}..{max} is empty")]
    BadRange { code: String, min: f64, max: f64 },
    #[error("indicator {0} defined twice")]
    Duplicate(String),
}

impl Indicator {
    pub fn has_dimension(&self, d: &str) -> bool {
        self.dimensions.iter().any(|x| x == d)
    }

    /// Checks the definition on its own and against the rest of the catalogue.
    pub fn check(
        &self,
        units: &[crate::unit::Unit],
        codelists: &[Codelist],
        catalogue: &HashMap<&str, &Indicator>,
    ) -> Result<(), IndicatorError> {
        let code = || self.code.clone();
        if self.code.is_empty() || !self.code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') {
            return Err(IndicatorError::BadCode { code: code() });
        }
        if !units.iter().any(|u| u.code == self.unit) {
            return Err(IndicatorError::UnknownUnit { code: code(), unit: self.unit.clone() });
        }
        for d in &self.dimensions {
            if !codelists.iter().any(|c| &c.id == d) {
                return Err(IndicatorError::UnknownDimension { code: code(), dimension: d.clone() });
            }
        }
        for d in &self.required_dimensions {
            if !self.has_dimension(d) {
                return Err(IndicatorError::RequiredNotDeclared { code: code(), dimension: d.clone() });
            }
        }
        for &a in &self.icescr_articles {
            if !(1..=31).contains(&a) {
                return Err(IndicatorError::BadArticle { code: code(), article: a });
            }
        }
        if let Some([min, max]) = self.plausible
            && (min > max || min.is_nan() || max.is_nan())
        {
            return Err(IndicatorError::BadRange { code: code(), min, max });
        }
        let additive_ref = |other: &String| -> Result<(), IndicatorError> {
            match catalogue.get(other.as_str()) {
                None => Err(IndicatorError::UnknownReference { code: code(), other: other.clone() }),
                Some(o) if o.aggregation != Aggregation::Sum => {
                    Err(IndicatorError::NonAdditiveReference { code: code(), other: other.clone() })
                }
                Some(_) => Ok(()),
            }
        };
        match &self.aggregation {
            Aggregation::Sum if !self.value_type.additive() => {
                Err(IndicatorError::NonAdditiveSum { code: code(), value_type: self.value_type })
            }
            Aggregation::WeightedMean { weight } => additive_ref(weight),
            Aggregation::Ratio { numerator, denominator, .. } => {
                additive_ref(numerator)?;
                additive_ref(denominator)
            }
            Aggregation::Formula { expression } => {
                let bad = |why: String| IndicatorError::BadFormula { code: code(), expression: expression.clone(), why };
                let e = crate::validation::Expr::parse(expression).map_err(bad)?;
                let terms = e.indicators();
                if terms.is_empty() {
                    return Err(bad("it names no indicator".into()));
                }
                for t in &terms {
                    match catalogue.get(t.as_str()) {
                        _ if *t == self.code => return Err(bad("it refers to the indicator itself".into())),
                        None => return Err(bad(format!("{t} is not in the catalogue"))),
                        // One level only, so that formulas can never refer to each other in a cycle.
                        Some(o) if matches!(o.aggregation, Aggregation::Formula { .. }) => {
                            return Err(bad(format!("{t} is itself computed by a formula")));
                        }
                        Some(_) => {}
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// Checks a whole catalogue: every definition, and codes unique.
pub fn check_catalogue(indicators: &[Indicator], units: &[crate::unit::Unit], codelists: &[Codelist]) -> Result<(), IndicatorError> {
    let mut by_code = HashMap::new();
    for i in indicators {
        if by_code.insert(i.code.as_str(), i).is_some() {
            return Err(IndicatorError::Duplicate(i.code.clone()));
        }
    }
    indicators.iter().try_for_each(|i| i.check(units, codelists, &by_code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_formula_names_known_indicators_that_are_not_formulas_themselves() {
        let mut all = crate::reference::indicators();
        let (units, _) = crate::reference::units();
        let lists = crate::reference::codelists();
        let base = all.iter().find(|i| i.code == "CN_RURAL_POP_MONITORED").unwrap().clone();
        let with = |code: &str, e: &str| {
            let mut i = base.clone();
            i.code = code.into();
            i.aggregation = Aggregation::Formula { expression: e.into() };
            i
        };
        all.push(with("X_NOT_POOR", "CN_RURAL_POP_MONITORED - CN_RURAL_POOR_POP"));
        assert_eq!(check_catalogue(&all, &units, &lists), Ok(()));
        for (e, why) in [
            ("CN_RURAL_POP_MONITORED -", "expression ends too early"),
            ("CN_NO_SUCH * 2", "CN_NO_SUCH is not in the catalogue"),
            ("X_BAD + 1", "refers to the indicator itself"),
            ("X_NOT_POOR * 2", "X_NOT_POOR is itself computed by a formula"),
            ("2 * 3", "names no indicator"),
        ] {
            let mut c = all.clone();
            c.push(with("X_BAD", e));
            let err = check_catalogue(&c, &units, &lists).unwrap_err().to_string();
            assert!(err.starts_with("X_BAD: formula") && err.contains(why), "{e}: {err}");
        }
    }
}
