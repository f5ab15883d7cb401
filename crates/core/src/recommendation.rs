//! Recommendations of the UN mechanisms (UPR, treaty bodies) and the State's responses.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// The State's position on a UPR recommendation. Older UPR data say "accepted", which the
/// Human Rights Council now calls "supported".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Response {
    Supported,
    SupportedInPart,
    Noted,
}

impl Response {
    pub fn as_str(self) -> &'static str {
        match self {
            Response::Supported => "supported",
            Response::SupportedInPart => "supported_in_part",
            Response::Noted => "noted",
        }
    }
}

impl FromStr for Response {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().replace(['-', '_'], " ").as_str() {
            "supported" | "accepted" => Ok(Response::Supported),
            "supported in part" | "partially supported" | "partially accepted" => Ok(Response::SupportedInPart),
            "noted" | "rejected" | "not accepted" => Ok(Response::Noted),
            _ => Err(format!("'{s}' is not a response: expected Supported, Supported in part, Noted (or Accepted)")),
        }
    }
}

/// Text compared for identity: case, spacing and trailing punctuation ignored.
pub fn normalise_text(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").trim_end_matches(['.', ';', ' ']).to_lowercase()
}

/// Text compared loosely, for the same recommendation as two sources typeset it: letters and
/// digits only, lower case ("minorities’ learning" and "minorities' learning", "Uyghurs ," and
/// "Uyghurs,", "i s" and "is" compare equal).
pub fn loose_text(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// A stable identifier: the mechanism and session with a hash (FNV-1a) of the normalised text,
/// so the same recommendation from two sources, or made by several States, gets one id.
pub fn stable_id(mechanism: &str, session: &str, text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in normalise_text(text).bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{mechanism}-{session}-{:012x}", h & 0xffff_ffff_ffff)
}

/// How far a recommendation has been implemented, as judged in one dated assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ImplementationStatus {
    NotStarted,
    InProgress,
    PartiallyImplemented,
    Implemented,
    NotImplemented,
}

impl ImplementationStatus {
    pub const ALL: [ImplementationStatus; 5] = [
        ImplementationStatus::NotStarted,
        ImplementationStatus::InProgress,
        ImplementationStatus::PartiallyImplemented,
        ImplementationStatus::Implemented,
        ImplementationStatus::NotImplemented,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ImplementationStatus::NotStarted => "not_started",
            ImplementationStatus::InProgress => "in_progress",
            ImplementationStatus::PartiallyImplemented => "partially_implemented",
            ImplementationStatus::Implemented => "implemented",
            ImplementationStatus::NotImplemented => "not_implemented",
        }
    }
}

impl FromStr for ImplementationStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let k = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Self::ALL.into_iter().find(|x| x.as_str() == k).ok_or_else(|| {
            format!("'{s}' is not an implementation status: expected not_started, in_progress, partially_implemented, implemented, not_implemented")
        })
    }
}

/// Who made an assessment. Government and independent views are kept side by side, never merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Assessor {
    Government,
    /// National human-rights institution.
    Nhri,
    CivilSociety,
}

impl Assessor {
    pub fn as_str(self) -> &'static str {
        match self {
            Assessor::Government => "government",
            Assessor::Nhri => "nhri",
            Assessor::CivilSociety => "civil_society",
        }
    }
    pub fn is_independent(self) -> bool {
        self != Assessor::Government
    }
}

impl FromStr for Assessor {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().replace([' ', '-'], "_").as_str() {
            "government" => Ok(Assessor::Government),
            "nhri" => Ok(Assessor::Nhri),
            "civil_society" | "ngo" => Ok(Assessor::CivilSociety),
            _ => Err(format!("'{s}' is not an assessor: expected government, nhri or civil_society")),
        }
    }
}

/// Which way an indicator should move for the right to be better realised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Better {
    Lower,
    Higher,
}

/// What the data say since a recommendation was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Trend {
    Improving,
    Worsening,
    NoChange,
    /// The value moved but the indicator declares no desirable direction.
    Changed,
    /// Fewer than two values, or none since the recommendation.
    NoData,
}

impl Trend {
    pub fn as_str(self) -> &'static str {
        match self {
            Trend::Improving => "improving",
            Trend::Worsening => "worsening",
            Trend::NoChange => "no_change",
            Trend::Changed => "changed",
            Trend::NoData => "no_data",
        }
    }
}

/// A year and the value for it.
pub type YearValue = (i32, f64);

/// Relative change below which a series counts as unchanged (1 %).
pub const NO_CHANGE_TOLERANCE: f64 = 0.01;

/// The trend from the baseline (the last value at or before the recommendation's year, or else the
/// first after it) to the latest value. `series` is (year, value), in any order.
pub fn trend_since(series: &[YearValue], since_year: i32, better: Option<Better>) -> (Trend, Option<YearValue>, Option<YearValue>) {
    let mut s: Vec<(i32, f64)> = series.iter().copied().filter(|(_, v)| v.is_finite()).collect();
    s.sort_by_key(|p| p.0);
    let latest = s.last().copied();
    let baseline = s.iter().rev().find(|p| p.0 <= since_year).or_else(|| s.iter().find(|p| p.0 > since_year)).copied();
    let (Some(b), Some(l)) = (baseline, latest) else { return (Trend::NoData, baseline, latest) };
    if l.0 <= b.0 || l.0 <= since_year {
        return (Trend::NoData, baseline, latest);
    }
    let scale = b.1.abs().max(l.1.abs());
    if scale == 0.0 || (l.1 - b.1).abs() / scale < NO_CHANGE_TOLERANCE {
        return (Trend::NoChange, baseline, latest);
    }
    let up = l.1 > b.1;
    let t = match better {
        None => Trend::Changed,
        Some(Better::Higher) if up => Trend::Improving,
        Some(Better::Lower) if !up => Trend::Improving,
        Some(_) => Trend::Worsening,
    };
    (t, baseline, latest)
}

/// Splits a UHRI multi-value cell: one value per line, each line starting with "- ".
pub fn uhri_values(cell: &str) -> Vec<String> {
    cell.lines().map(|l| l.trim().trim_start_matches('-').trim()).filter(|l| !l.is_empty()).map(String::from).collect()
}

/// The calendar date (y, m, d) of an Excel serial day number (1900 date system, which counts the
/// non-existent 29 February 1900, so day 60 and later are one day ahead).
pub fn excel_serial_date(serial: f64) -> Option<(i32, u32, u32)> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let serial = serial.floor() as i64;
    // Day 60 is the 29 February 1900 that never was.
    let unix_days = match serial {
        60 => return None,
        ..60 => serial - 25_568,
        _ => serial - 25_569,
    };
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = unix_days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
    Some((y, m, d))
}

/// A UPR recommendation's text as the UHRI prints it ("186.12 Ratify the ICCPR (Austria);") reduced
/// to the recommendation itself, so that it matches the same recommendation from other sources.
/// Returns the text and the paragraph number when there was one.
pub fn clean_upr_text(text: &str) -> (String, Option<String>) {
    let t = text.trim();
    let num_end = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (para, rest) = if num_end > 0 && t[..num_end].chars().next().is_some_and(|c| c.is_ascii_digit()) && t[num_end..].starts_with(' ') {
        (Some(t[..num_end].trim_end_matches('.').to_string()), t[num_end..].trim())
    } else {
        (None, t)
    };
    let mut body = rest.trim_end_matches([';', '.', ' ']).to_string();
    if body.ends_with(')')
        && let Some(open) = body.rfind(" (")
    {
        body.truncate(open);
    }
    (body.trim_end_matches([';', '.', ' ']).to_string(), para)
}

/// Earlier recommendations a text cites, as (document symbol, paragraph): "(E/C.12/CHN/CO/1, para. 50)"
/// or "E/C.12/CHN/CO/2, paras. 31 and 32".
pub fn cited_paragraphs(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(pos) = rest.find(", para") {
        let before = &rest[..pos];
        let sym_start = before.rfind(|c: char| c.is_whitespace() || c == '(').map_or(0, |i| i + 1);
        let symbol = &before[sym_start..];
        let after = rest[pos + 6..].trim_start_matches(['s', '.']).trim_start();
        let end = after.find([')', ';']).unwrap_or(after.len());
        if symbol.contains('/') {
            for n in after[..end]
                .split([',', ' '])
                .map(|w| w.trim_end_matches('.'))
                .filter(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_digit()))
            {
                out.push((symbol.to_string(), n.to_string()));
            }
        }
        rest = &after[end..];
    }
    out
}

/// A thematic cluster and the rule that puts a recommendation in it (`reference/clusters.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cluster {
    pub code: String,
    pub name_en: String,
    pub name_zh: String,
    /// Source themes (e.g. UPR Info issues) that place a recommendation in the cluster.
    #[serde(default)]
    pub themes: Vec<String>,
    /// Lower-case fragments of text that do.
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// Text fragments by which a recommendation asks for data broken down by a dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreakdownRule {
    pub dimension: String,
    pub keywords: Vec<String>,
}

/// Finds a lower-case keyword in lower-case text at the start of a word.
pub fn has_word(text: &str, keyword: &str) -> bool {
    text.match_indices(keyword).any(|(i, _)| i == 0 || !text[..i].chars().next_back().is_some_and(char::is_alphanumeric))
}

impl Cluster {
    /// A recommendation joins the cluster by one of its themes; or, when no source classified
    /// it with OHCHR's thematic codes ("E25 Human rights & poverty"), by a keyword of its text.
    /// OHCHR's classification is authoritative: a recommendation it classified joins by theme
    /// only, so a passing word ("rural areas" in a recommendation on schools) does not make it
    /// a poverty recommendation. A theme rule "E25" matches the code "E25 Human rights & poverty".
    pub fn matches(&self, text: &str, themes: &[String]) -> bool {
        let coded = themes.iter().any(|x| ohchr_code(x).is_some());
        let by_theme = self
            .themes
            .iter()
            .any(|c| themes.iter().any(|x| x.eq_ignore_ascii_case(c) || ohchr_code(x).is_some_and(|code| code.eq_ignore_ascii_case(c))));
        let t = text.to_lowercase();
        by_theme || (!coded && self.keywords.iter().any(|k| has_word(&t, &k.to_lowercase())))
    }
}

/// The code of an OHCHR UPR theme ("E25" of "E25 Human rights & poverty", "S01" of "S01 SDG 1 -
/// poverty"), if the theme is one.
pub fn ohchr_code(theme: &str) -> Option<&str> {
    let code = theme.split_whitespace().next()?;
    let mut c = code.chars();
    (c.next()?.is_ascii_uppercase() && code.len() >= 2 && code.len() <= 4 && c.all(|d| d.is_ascii_digit()) && theme.len() > code.len())
        .then_some(code)
}

/// The dimensions a recommendation's text asks the data to be broken down by.
pub fn asked_breakdowns(rules: &[BreakdownRule], text: &str) -> Vec<String> {
    let t = text.to_lowercase();
    rules.iter().filter(|r| r.keywords.iter().any(|k| has_word(&t, &k.to_lowercase()))).map(|r| r.dimension.clone()).collect()
}

/// The UPR cycle a session belongs to (cycle 1: sessions 1-12, then 14 sessions a cycle).
pub fn upr_cycle(session: u32) -> u32 {
    if session <= 12 { 1 } else { 2 + (session - 13) / 14 }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ohchr_s_themes_decide_where_it_classified() {
        assert_eq!(ohchr_code("E25 Human rights & poverty"), Some("E25"));
        assert_eq!(ohchr_code("S01 SDG 1 - poverty"), Some("S01"));
        assert_eq!(ohchr_code("Poverty"), None);
        let poverty = Cluster {
            code: "poverty".into(),
            name_en: String::new(),
            name_zh: String::new(),
            themes: vec!["Poverty".into(), "E25".into()],
            keywords: vec!["rural areas".into()],
        };
        // Unclassified (UPR Info's first cycle): a keyword decides.
        assert!(poverty.matches("Improve schools in rural areas", &["Right to education".into()]));
        // Classified by OHCHR as education only: the passing words do not make it poverty.
        assert!(!poverty.matches("Improve schools in rural areas", &["E51 Right to education - General".into()]));
        assert!(poverty.matches("Reduce poverty", &["E25 Human rights & poverty".into()]));
    }

    use super::*;

    #[test]
    fn responses_and_identity() {
        assert_eq!("Accepted".parse::<Response>().unwrap(), Response::Supported);
        assert_eq!("supported in part".parse::<Response>().unwrap(), Response::SupportedInPart);
        assert!("maybe".parse::<Response>().is_err());
        assert_eq!(stable_id("UPR", "17", "Ratify the ICCPR."), stable_id("UPR", "17", "ratify  the ICCPR"));
        assert_ne!(stable_id("UPR", "17", "Ratify the ICCPR"), stable_id("UPR", "4", "Ratify the ICCPR"));
        assert_eq!("Partially implemented".parse::<ImplementationStatus>().unwrap(), ImplementationStatus::PartiallyImplemented);
        assert_eq!("NGO".parse::<Assessor>().unwrap(), Assessor::CivilSociety);
    }

    #[test]
    fn clusters_and_breakdowns() {
        let c = Cluster {
            code: "poverty".into(),
            name_en: String::new(),
            name_zh: String::new(),
            themes: vec!["Poverty".into()],
            keywords: vec!["poverty".into(), "the poor".into()],
        };
        assert!(c.matches("Continue its efforts to reduce Poverty in rural areas", &[]));
        assert!(c.matches("Strengthen social policies", &["poverty".into()]));
        assert!(!c.matches("Ratify the ICCPR", &["International instruments".into()]));
        let rules = vec![
            BreakdownRule { dimension: "SEX".into(), keywords: vec!["women".into()] },
            BreakdownRule { dimension: "ETHNICITY".into(), keywords: vec!["minorit".into()] },
        ];
        assert_eq!(asked_breakdowns(&rules, "Protect ethnic minorities and women"), vec!["SEX", "ETHNICITY"]);
        // "women" inside another word does not count.
        assert_eq!(asked_breakdowns(&rules, "Superwomen"), Vec::<String>::new());
        assert_eq!((upr_cycle(4), upr_cycle(17), upr_cycle(31), upr_cycle(45)), (1, 2, 3, 4));
    }

    #[test]
    fn trends() {
        let s = [(2010, 16567.0), (2013, 8249.0), (2015, 5575.0), (2019, 551.0)];
        let (t, b, l) = trend_since(&s, 2013, Some(Better::Lower));
        assert_eq!((t, b, l), (Trend::Improving, Some((2013, 8249.0)), Some((2019, 551.0))));
        assert_eq!(trend_since(&s, 2013, Some(Better::Higher)).0, Trend::Worsening);
        assert_eq!(trend_since(&s, 2013, None).0, Trend::Changed);
        // Baseline after the recommendation when nothing precedes it.
        assert_eq!(trend_since(&s, 2005, Some(Better::Lower)).1, Some((2010, 16567.0)));
        assert_eq!(trend_since(&s, 2019, Some(Better::Lower)).0, Trend::NoData);
        assert_eq!(trend_since(&[], 2013, None).0, Trend::NoData);
        assert_eq!(trend_since(&[(2012, 100.0), (2016, 100.5)], 2013, Some(Better::Lower)).0, Trend::NoChange);
    }

    #[test]
    fn uhri_quirks() {
        assert_eq!(uhri_values("- Poverty\n- Right to food\n"), vec!["Poverty", "Right to food"]);
        assert_eq!(uhri_values(""), Vec::<String>::new());
        assert_eq!(excel_serial_date(1.0), Some((1900, 1, 1)));
        assert_eq!(excel_serial_date(59.0), Some((1900, 2, 28)));
        assert_eq!(excel_serial_date(61.0), Some((1900, 3, 1)));
        assert_eq!(excel_serial_date(41_275.0), Some((2013, 1, 1)));
        assert_eq!(excel_serial_date(45_047.5), Some((2023, 5, 1)));
        assert_eq!(excel_serial_date(0.0), None);
        assert_eq!(clean_upr_text("186.12 Ratify the ICCPR (Austria);"), ("Ratify the ICCPR".to_string(), Some("186.12".to_string())));
        assert_eq!(clean_upr_text("Ratify the ICCPR"), ("Ratify the ICCPR".to_string(), None));
        assert_eq!(
            cited_paragraphs("The Committee reiterates its previous recommendation (E/C.12/CHN/CO/1, para. 50) and urges"),
            vec![("E/C.12/CHN/CO/1".to_string(), "50".to_string())]
        );
        assert_eq!(
            cited_paragraphs("see E/C.12/CHN/CO/2, paras. 31 and 32."),
            vec![("E/C.12/CHN/CO/2".to_string(), "31".to_string()), ("E/C.12/CHN/CO/2".to_string(), "32".to_string())]
        );
    }
}
