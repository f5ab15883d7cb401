//! Reference periods in SDMX syntax: `2024`, `2024-Q1`, `2024-03`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How often an indicator is reported (SDMX FREQ codes A, Q, M).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Periodicity {
    #[serde(rename = "A")]
    Annual,
    #[serde(rename = "Q")]
    Quarterly,
    #[serde(rename = "M")]
    Monthly,
}

impl Periodicity {
    pub fn code(self) -> &'static str {
        match self {
            Periodicity::Annual => "A",
            Periodicity::Quarterly => "Q",
            Periodicity::Monthly => "M",
        }
    }
}

/// A reference period, valid by construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Period {
    Year(i32),
    Quarter(i32, u8),
    Month(i32, u8),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a period: expected YYYY, YYYY-Qn or YYYY-MM (years 1900-2100)")]
pub struct PeriodError(pub String);

impl Period {
    pub fn periodicity(self) -> Periodicity {
        match self {
            Period::Year(_) => Periodicity::Annual,
            Period::Quarter(..) => Periodicity::Quarterly,
            Period::Month(..) => Periodicity::Monthly,
        }
    }

    pub fn year(self) -> i32 {
        match self {
            Period::Year(y) | Period::Quarter(y, _) | Period::Month(y, _) => y,
        }
    }

    /// The period just before, of the same periodicity (2024 → 2023, 2024-Q1 → 2023-Q4).
    pub fn previous(self) -> Period {
        match self {
            Period::Year(y) => Period::Year(y - 1),
            Period::Quarter(y, 1) => Period::Quarter(y - 1, 4),
            Period::Quarter(y, q) => Period::Quarter(y, q - 1),
            Period::Month(y, 1) => Period::Month(y - 1, 12),
            Period::Month(y, m) => Period::Month(y, m - 1),
        }
    }

    /// First day, as an ISO date (sorts and compares as text).
    pub fn start(self) -> String {
        let (y, m) = match self {
            Period::Year(y) => (y, 1),
            Period::Quarter(y, q) => (y, 3 * (q - 1) + 1),
            Period::Month(y, m) => (y, m),
        };
        format!("{y:04}-{m:02}-01")
    }

    /// Last day, as an ISO date.
    pub fn end(self) -> String {
        let (y, m) = match self {
            Period::Year(y) => (y, 12),
            Period::Quarter(y, q) => (y, 3 * q),
            Period::Month(y, m) => (y, m),
        };
        format!("{y:04}-{m:02}-{:02}", days_in_month(y, m))
    }
}

fn days_in_month(y: i32, m: u8) -> u8 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl FromStr for Period {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || PeriodError(s.to_string());
        let t = s.trim();
        let year = |y: &str| -> Result<i32, PeriodError> {
            if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            let y: i32 = y.parse().map_err(|_| err())?;
            if (1900..=2100).contains(&y) { Ok(y) } else { Err(err()) }
        };
        match t.split_once('-') {
            None => Ok(Period::Year(year(t)?)),
            Some((y, rest)) => {
                let y = year(y)?;
                if let Some(q) = rest.strip_prefix('Q') {
                    match q {
                        "1" | "2" | "3" | "4" => Ok(Period::Quarter(y, q.parse().map_err(|_| err())?)),
                        _ => Err(err()),
                    }
                } else if rest.len() == 2 && rest.bytes().all(|b| b.is_ascii_digit()) {
                    let m: u8 = rest.parse().map_err(|_| err())?;
                    if (1..=12).contains(&m) { Ok(Period::Month(y, m)) } else { Err(err()) }
                } else {
                    Err(err())
                }
            }
        }
    }
}

impl TryFrom<String> for Period {
    type Error = PeriodError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        p.to_string()
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Year(y) => write!(f, "{y:04}"),
            Period::Quarter(y, q) => write!(f, "{y:04}-Q{q}"),
            Period::Month(y, m) => write!(f, "{y:04}-{m:02}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_bounds() {
        for (s, start, end) in [
            ("2024", "2024-01-01", "2024-12-31"),
            ("2024-Q1", "2024-01-01", "2024-03-31"),
            ("2023-Q4", "2023-10-01", "2023-12-31"),
            ("2024-02", "2024-02-01", "2024-02-29"),
            ("2023-02", "2023-02-01", "2023-02-28"),
        ] {
            let p: Period = s.parse().unwrap();
            assert_eq!(p.to_string(), s);
            assert_eq!((p.start().as_str(), p.end().as_str()), (start, end), "{s}");
        }
    }

    #[test]
    fn rejects_malformed() {
        for bad in ["", "24", "2024-Q5", "2024-13", "2024-1", "2024Q1", "1899", "2024-00", "２０２４"] {
            assert!(bad.parse::<Period>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn orders_within_a_frequency() {
        let mut ps: Vec<Period> = ["2019", "2012", "2015"].iter().map(|s| s.parse().unwrap()).collect();
        ps.sort();
        assert_eq!(ps.iter().map(|p| p.to_string()).collect::<Vec<_>>(), ["2012", "2015", "2019"]);
    }
}
