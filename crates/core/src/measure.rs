//! Measures: the State's policies and programmes, described so that a reader abroad knows what
//! the local term means in the language of international human-rights law.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Measure {
    /// Upper-case letters, digits and `_`.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// The term used at home (e.g. 低保), explained by `description_en`.
    #[serde(default)]
    pub local_term: String,
    #[serde(default)]
    pub description_en: String,
    #[serde(default)]
    pub description_zh: String,
    #[serde(default)]
    pub legal_basis: String,
    /// The legal basis as Chinese texts cite it (《社会救助暂行办法》…).
    #[serde(default)]
    pub legal_basis_zh: String,
    /// Responsible department (code from the departments list).
    #[serde(default)]
    pub department: Option<String>,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub end_date: Option<String>,
    #[serde(default)]
    pub budget: Option<f64>,
    /// Unit code of the budget (e.g. CNY_100M).
    #[serde(default)]
    pub budget_unit: String,
    #[serde(default)]
    pub icescr_articles: Vec<u8>,
    #[serde(default)]
    pub sdg_targets: Vec<String>,
    /// Indicators that show the result of the measure.
    #[serde(default)]
    pub indicators: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MeasureError {
    #[error("measure code '{0}' must be upper-case letters, digits and _")]
    BadCode(String),
    #[error("{code}: {field} is required")]
    Missing { code: String, field: &'static str },
    #[error("{code}: {field} '{value}' is not a date (YYYY-MM-DD)")]
    BadDate { code: String, field: &'static str, value: String },
    #[error("{code}: ends ({end}) before it starts ({start})")]
    EndsBeforeStart { code: String, start: String, end: String },
    #[error("{code}: ICESCR article {article} does not exist (1-31)")]
    BadArticle { code: String, article: u8 },
    #[error("{code}: budget {budget} must be a non-negative number with a unit")]
    BadBudget { code: String, budget: f64 },
    #[error("{code}: SDG target '{target}' is not of the form 1.2 or 1.a")]
    BadSdgTarget { code: String, target: String },
    #[error("{code}: {field} holds U+{char_code:04X} at character {at}; text may hold no control characters")]
    ControlCharacter { code: String, field: &'static str, char_code: u32, at: usize },
}

/// Is `s` a calendar date written YYYY-MM-DD?
pub fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().ok();
    match (num(0..4), num(5..7), num(8..10)) {
        (Some(y), Some(m), Some(d)) => {
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
            (1..=12).contains(&m) && d >= 1 && d <= days[m as usize - 1]
        }
        _ => false,
    }
}

impl Measure {
    pub fn check(&self) -> Result<(), MeasureError> {
        let code = || self.code.clone();
        if self.code.is_empty() || !self.code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') {
            return Err(MeasureError::BadCode(code()));
        }
        for (field, v) in [("name_zh", &self.name_zh), ("name_en", &self.name_en)] {
            if v.trim().is_empty() {
                return Err(MeasureError::Missing { code: code(), field });
            }
        }
        for (field, v, breaks) in [
            ("name_zh", &self.name_zh, false),
            ("name_en", &self.name_en, false),
            ("local_term", &self.local_term, false),
            ("description_en", &self.description_en, true),
            ("description_zh", &self.description_zh, true),
            ("legal_basis", &self.legal_basis, true),
            ("legal_basis_zh", &self.legal_basis_zh, true),
        ] {
            if let Some((at, c)) = crate::text::first_unclean(v, breaks) {
                return Err(MeasureError::ControlCharacter { code: code(), field, char_code: c as u32, at });
            }
        }
        for (field, v) in [("start_date", &self.start_date), ("end_date", &self.end_date)] {
            if let Some(v) = v
                && !is_iso_date(v)
            {
                return Err(MeasureError::BadDate { code: code(), field, value: v.clone() });
            }
        }
        if let (Some(s), Some(e)) = (&self.start_date, &self.end_date)
            && e < s
        {
            return Err(MeasureError::EndsBeforeStart { code: code(), start: s.clone(), end: e.clone() });
        }
        if let Some(&article) = self.icescr_articles.iter().find(|a| !(1..=31).contains(*a)) {
            return Err(MeasureError::BadArticle { code: code(), article });
        }
        if let Some(b) = self.budget
            && (!b.is_finite() || b < 0.0 || self.budget_unit.is_empty())
        {
            return Err(MeasureError::BadBudget { code: code(), budget: b });
        }
        for t in &self.sdg_targets {
            let ok = t.split_once('.').is_some_and(|(g, x)| {
                g.parse::<u8>().is_ok_and(|g| (1..=17).contains(&g)) && !x.is_empty() && x.chars().all(|c| c.is_ascii_alphanumeric())
            });
            if !ok {
                return Err(MeasureError::BadSdgTarget { code: code(), target: t.clone() });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m() -> Measure {
        toml::from_str("code = \"DIBAO\"\nname_zh = \"低保\"\nname_en = \"Minimum living guarantee\"\nstart_date = \"2007-07-11\"").unwrap()
    }

    #[test]
    fn checks() {
        assert!(m().check().is_ok());
        assert!(is_iso_date("2020-02-29") && !is_iso_date("2019-02-29") && !is_iso_date("2019-13-01") && !is_iso_date("2019-1-01"));
        let mut x = m();
        x.end_date = Some("2006-01-01".into());
        assert!(matches!(x.check(), Err(MeasureError::EndsBeforeStart { .. })));
        let mut x = m();
        x.code = "dibao".into();
        assert!(matches!(x.check(), Err(MeasureError::BadCode(_))));
        let mut x = m();
        x.budget = Some(10.0);
        assert!(matches!(x.check(), Err(MeasureError::BadBudget { .. })));
        let mut x = m();
        x.sdg_targets = vec!["1.a".into(), "one".into()];
        assert!(matches!(x.check(), Err(MeasureError::BadSdgTarget { target, .. }) if target == "one"));
        let mut x = m();
        x.icescr_articles = vec![11, 40];
        assert!(matches!(x.check(), Err(MeasureError::BadArticle { article: 40, .. })));
    }
}
