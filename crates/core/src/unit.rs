//! Units of measure and the only conversions RightStat performs on its own.
//!
//! A value is stored in its indicator's unit and unit multiplier. A file may state another
//! multiplier (persons instead of 10,000 persons), which is exact scaling, or another unit
//! for which a conversion is declared (yuan per year to yuan per month): that conversion is
//! applied and written into the observation's footnote, never silently.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Unit {
    pub code: String,
    pub name_en: String,
    pub name_zh: String,
    /// The unit counts or measures people (persons, households, a share of a population, an
    /// amount per person): a figure in it can be broken down by sex, age, residence,
    /// disability or ethnicity. Not a year, a yes/no, a sum of money or a number of counties.
    #[serde(default = "yes")]
    pub people: bool,
}

fn yes() -> bool {
    true
}

/// `value_in_to = value_in_from * multiply / divide`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conversion {
    pub from: String,
    pub to: String,
    #[serde(default = "one")]
    pub multiply: f64,
    #[serde(default = "one")]
    pub divide: f64,
}

fn one() -> f64 {
    1.0
}

impl Conversion {
    pub fn apply(&self, v: f64) -> f64 {
        v * self.multiply / self.divide
    }
}

/// Rescales a value from one power-of-ten multiplier to another.
pub fn rescale(value: f64, from_mult: i32, to_mult: i32) -> f64 {
    let diff = from_mult - to_mult;
    // Multiply or divide by an exact power of ten, which rounds better than powi(negative).
    if diff >= 0 { value * 10f64.powi(diff) } else { value / 10f64.powi(-diff) }
}

/// Human wording of a multiplier: "10,000" for 4.
pub fn multiplier_label(mult: i32) -> String {
    match mult {
        0 => "1".into(),
        m if m > 0 => {
            let digits = format!("1{}", "0".repeat(m as usize));
            let mut out = String::new();
            for (i, ch) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 {
                    out.push(',');
                }
                out.push(ch);
            }
            out
        }
        m => format!("10^{m}"),
    }
}

/// A figure as a reader expects it: 8249 → "8,249"; 10.2 → "10.2"; 0.4651 → "0.47".
pub fn format_number(v: f64) -> String {
    let s = format!("{:.2}", v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let frac = frac.trim_end_matches('0');
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if v < 0.0 && (int != "0" || !frac.is_empty()) { "-" } else { "" };
    if frac.is_empty() { format!("{sign}{grouped}") } else { format!("{sign}{grouped}.{frac}") }
}

/// A unit with its multiplier as a reader reads it: "10,000 persons", "万人", "percent", "%".
pub fn label(name_en: &str, name_zh: &str, mult: i64, lang: crate::lang::Lang) -> String {
    match lang {
        crate::lang::Lang::En if mult == 0 => name_en.to_string(),
        crate::lang::Lang::En => format!("{} {}", multiplier_label(mult as i32), name_en.to_lowercase()),
        crate::lang::Lang::Zh => {
            let m = match mult {
                0 => "",
                2 => "百",
                3 => "千",
                4 => "万",
                6 => "百万",
                8 => "亿",
                _ => return format!("{}(×10^{mult})", name_zh),
            };
            format!("{m}{name_zh}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rescales_exactly() {
        assert_eq!(rescale(98_990_000.0, 0, 4), 9899.0);
        assert_eq!(rescale(9899.0, 4, 0), 98_990_000.0);
        assert_eq!(multiplier_label(4), "10,000");
        assert_eq!(multiplier_label(8), "100,000,000");
    }

    #[test]
    fn year_to_month() {
        let c = Conversion { from: "CNY_PP_YEAR".into(), to: "CNY_PP_MONTH".into(), multiply: 1.0, divide: 12.0 };
        assert!((c.apply(3177.6) - 264.8).abs() < 1e-9);
    }
}
