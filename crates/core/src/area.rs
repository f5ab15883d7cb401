//! Administrative areas identified by China's statistical division codes.
//!
//! The code's length tells the level (2 province, 4 prefecture, 6 county, 9 township,
//! 12 village); the country is `CN`. Areas change over time (merges, splits), so an area
//! carries validity dates and successor links; what is valid when is decided by storage.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Level in the administrative hierarchy, from the nation down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AreaLevel {
    Country,
    Province,
    Prefecture,
    County,
    Township,
    Village,
}

impl AreaLevel {
    pub const ALL: [AreaLevel; 6] =
        [AreaLevel::Country, AreaLevel::Province, AreaLevel::Prefecture, AreaLevel::County, AreaLevel::Township, AreaLevel::Village];

    pub fn as_str(self) -> &'static str {
        match self {
            AreaLevel::Country => "country",
            AreaLevel::Province => "province",
            AreaLevel::Prefecture => "prefecture",
            AreaLevel::County => "county",
            AreaLevel::Township => "township",
            AreaLevel::Village => "village",
        }
    }

    /// Depth below the country (country = 0).
    pub fn depth(self) -> i64 {
        self as i64
    }

    /// Number of digits of a code at this level (`None` for the country).
    pub fn code_len(self) -> Option<usize> {
        match self {
            AreaLevel::Country => None,
            AreaLevel::Province => Some(2),
            AreaLevel::Prefecture => Some(4),
            AreaLevel::County => Some(6),
            AreaLevel::Township => Some(9),
            AreaLevel::Village => Some(12),
        }
    }

    /// The level directly above, `None` for the country.
    pub fn parent(self) -> Option<AreaLevel> {
        AreaLevel::ALL.get((self as usize).checked_sub(1)?).copied()
    }

    /// The level directly below, `None` for villages.
    pub fn child(self) -> Option<AreaLevel> {
        AreaLevel::ALL.get(self as usize + 1).copied()
    }
}

impl fmt::Display for AreaLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AreaLevel {
    type Err = AreaError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AreaLevel::ALL.into_iter().find(|l| l.as_str().eq_ignore_ascii_case(s.trim())).ok_or_else(|| AreaError::UnknownLevel(s.to_string()))
    }
}

/// Why a string is not an area code or level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AreaError {
    #[error("'{0}' is not an area code: expected CN or 2, 4, 6, 9 or 12 digits")]
    BadCode(String),
    #[error("'{0}' is not an area level: expected country, province, prefecture, county, township or village")]
    UnknownLevel(String),
}

/// A statistical division code, valid by construction.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AreaCode(String);

impl AreaCode {
    pub const COUNTRY: &'static str = "CN";

    pub fn country() -> Self {
        AreaCode(Self::COUNTRY.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The level implied by the code's shape.
    pub fn level(&self) -> AreaLevel {
        match self.0.len() {
            2 if self.0 == Self::COUNTRY => AreaLevel::Country,
            2 => AreaLevel::Province,
            4 => AreaLevel::Prefecture,
            6 => AreaLevel::County,
            9 => AreaLevel::Township,
            _ => AreaLevel::Village,
        }
    }

    /// The parent implied by the code's prefix. Storage keeps the authoritative parent
    /// (a county can move between prefectures); this is the default when loading a file.
    pub fn implied_parent(&self) -> Option<AreaCode> {
        let level = self.level();
        let parent = level.parent()?;
        Some(match parent.code_len() {
            None => AreaCode::country(),
            Some(n) => AreaCode(self.0[..n].to_string()),
        })
    }
}

impl FromStr for AreaCode {
    type Err = AreaError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s == Self::COUNTRY {
            return Ok(AreaCode(s.to_string()));
        }
        let digits = s.bytes().all(|b| b.is_ascii_digit());
        if digits && matches!(s.len(), 2 | 4 | 6 | 9 | 12) { Ok(AreaCode(s.to_string())) } else { Err(AreaError::BadCode(s.to_string())) }
    }
}

impl TryFrom<String> for AreaCode {
    type Error = AreaError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<AreaCode> for String {
    fn from(c: AreaCode) -> String {
        c.0
    }
}

impl fmt::Display for AreaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An area as loaded from a division-code file or the database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Area {
    pub code: AreaCode,
    pub level: AreaLevel,
    pub parent: Option<AreaCode>,
    pub name_zh: String,
    pub name_en: Option<String>,
    /// First day the area exists (ISO date), `None` when it predates the records.
    pub valid_from: Option<String>,
    /// Last day the area exists, `None` while it is in force.
    pub valid_to: Option<String>,
}

impl Area {
    /// Is the area in force on any day of `period`?
    pub fn in_force_during(&self, period: crate::Period) -> bool {
        valid_during(self.valid_from.as_deref(), self.valid_to.as_deref(), period)
    }
}

/// Does a validity window (ISO dates, open when `None`) overlap `period`?
pub fn valid_during(valid_from: Option<&str>, valid_to: Option<&str>, period: crate::Period) -> bool {
    match (valid_from, valid_to) {
        // Most areas never changed: no dates to compute.
        (None, None) => true,
        (from, to) => from.is_none_or(|f| f <= period.end().as_str()) && to.is_none_or(|t| t >= period.start().as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_code_length() {
        let cases = [
            ("CN", AreaLevel::Country),
            ("11", AreaLevel::Province),
            ("1301", AreaLevel::Prefecture),
            ("130102", AreaLevel::County),
            ("110101001", AreaLevel::Township),
            ("110101001001", AreaLevel::Village),
        ];
        for (code, level) in cases {
            assert_eq!(code.parse::<AreaCode>().unwrap().level(), level, "{code}");
        }
    }

    #[test]
    fn implied_parents_walk_up_to_the_country() {
        let c: AreaCode = "110101001".parse().unwrap();
        let chain: Vec<String> = std::iter::successors(Some(c), |c| c.implied_parent()).map(|c| c.to_string()).collect();
        assert_eq!(chain, ["110101001", "110101", "1101", "11", "CN"]);
    }

    #[test]
    fn malformed_codes_are_rejected() {
        for bad in ["", "1", "123", "11010a", "cn", "1234567", "CN11"] {
            assert!(bad.parse::<AreaCode>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn validity_window() {
        let a = Area {
            code: "130102".parse().unwrap(),
            level: AreaLevel::County,
            parent: None,
            name_zh: "x".into(),
            name_en: None,
            valid_from: None,
            valid_to: Some("2020-12-31".into()),
        };
        assert!(a.in_force_during("2018".parse().unwrap()));
        assert!(a.in_force_during("2020-Q4".parse().unwrap()));
        assert!(!a.in_force_during("2021-01".parse().unwrap()));
    }
}
