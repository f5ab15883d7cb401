//! Reference content shipped with RightStat and compiled into the binary: codelists, units,
//! the indicator catalogue, ICESCR articles, SDG goals 1, 2 and 10, departments and the
//! country's provinces, prefectures and counties (NBS division codes, 2023).
//!
//! The files live in `reference/` and `data/` at the repository root so that they can be
//! reviewed and edited as data; a test checks that they parse and satisfy the catalogue rules.

use crate::area::{Area, AreaCode, AreaLevel};
use crate::codelist::Codelist;
use crate::indicator::Indicator;
use crate::unit::{Conversion, Unit};
use serde::{Deserialize, Serialize};

const CODELISTS: &str = include_str!("../../../reference/codelists.toml");
const UNITS: &str = include_str!("../../../reference/units.toml");
const INDICATORS: &str = include_str!("../../../reference/indicators.toml");
const ICESCR: &str = include_str!("../../../reference/icescr.toml");
const SDG: &str = include_str!("../../../reference/sdg.toml");
const DEPARTMENTS: &str = include_str!("../../../reference/departments.toml");
const PROVINCE_NAMES_EN: &str = include_str!("../../../reference/province-names-en.csv");
const PROVINCES: &str = include_str!("../../../data/admin-divisions-cn-2023/provinces.csv");
const PREFECTURES: &str = include_str!("../../../data/admin-divisions-cn-2023/cities.csv");
const COUNTIES: &str = include_str!("../../../data/admin-divisions-cn-2023/areas.csv");

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Article {
    pub number: u8,
    pub title_en: String,
    pub title_zh: String,
    pub summary_en: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SdgIndicator {
    pub code: String,
    pub text_en: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SdgTarget {
    pub code: String,
    pub text_en: String,
    #[serde(default)]
    pub indicators: Vec<SdgIndicator>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SdgGoal {
    pub goal: u8,
    pub title_en: String,
    pub title_zh: String,
    pub targets: Vec<SdgTarget>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Department {
    pub code: String,
    pub name_en: String,
    pub name_zh: String,
    /// Area the department belongs to (the national ministries: `CN`).
    pub area: String,
}

#[derive(Deserialize)]
struct CodelistsFile {
    codelist: Vec<Codelist>,
}
#[derive(Deserialize)]
struct UnitsFile {
    unit: Vec<Unit>,
    conversion: Vec<Conversion>,
}
#[derive(Deserialize)]
struct IndicatorsFile {
    indicator: Vec<Indicator>,
}
#[derive(Deserialize)]
struct IcescrFile {
    article: Vec<Article>,
}
#[derive(Deserialize)]
struct SdgFile {
    goal: Vec<SdgGoal>,
}
#[derive(Deserialize)]
struct DepartmentsFile {
    department: Vec<Department>,
}

fn parse<T: for<'de> Deserialize<'de>>(name: &str, text: &str) -> T {
    // The files are compiled in and covered by tests: a parse failure is a build defect.
    toml::from_str(text).unwrap_or_else(|e| panic!("reference/{name} is invalid: {e}"))
}

pub fn codelists() -> Vec<Codelist> {
    parse::<CodelistsFile>("codelists.toml", CODELISTS).codelist
}

pub fn units() -> (Vec<Unit>, Vec<Conversion>) {
    let f: UnitsFile = parse("units.toml", UNITS);
    (f.unit, f.conversion)
}

pub fn indicators() -> Vec<Indicator> {
    parse::<IndicatorsFile>("indicators.toml", INDICATORS).indicator
}

pub fn icescr_articles() -> Vec<Article> {
    parse::<IcescrFile>("icescr.toml", ICESCR).article
}

pub fn sdg_goals() -> Vec<SdgGoal> {
    parse::<SdgFile>("sdg.toml", SDG).goal
}

pub fn departments() -> Vec<Department> {
    parse::<DepartmentsFile>("departments.toml", DEPARTMENTS).department
}

/// English names for generic prefecture-level placeholders used in the NBS list.
fn generic_name_en(name_zh: &str) -> Option<&'static str> {
    Some(match name_zh {
        "市辖区" => "Districts under the municipality",
        "县" => "Counties under the municipality",
        "省直辖县级行政区划" => "County-level divisions under the province",
        "自治区直辖县级行政区划" => "County-level divisions under the autonomous region",
        _ => return None,
    })
}

/// The country, its 31 provinces, 342 prefectures and 2,978 counties.
pub fn areas() -> Vec<Area> {
    let en: std::collections::HashMap<String, String> = csv::Reader::from_reader(PROVINCE_NAMES_EN.as_bytes())
        .records()
        .map(|r| {
            let r = r.expect("province-names-en.csv");
            (r[0].to_string(), r[1].to_string())
        })
        .collect();
    let mut out = vec![Area {
        code: AreaCode::country(),
        level: AreaLevel::Country,
        parent: None,
        name_zh: "中华人民共和国".into(),
        name_en: Some("China".into()),
        valid_from: None,
        valid_to: None,
    }];
    for (file, text) in [("provinces.csv", PROVINCES), ("cities.csv", PREFECTURES), ("areas.csv", COUNTIES)] {
        for r in csv::Reader::from_reader(text.as_bytes()).records() {
            let r = r.unwrap_or_else(|e| panic!("{file}: {e}"));
            let code: AreaCode = r[0].parse().unwrap_or_else(|e| panic!("{file}: {e}"));
            let name_zh = r[1].to_string();
            let name_en = en.get(code.as_str()).cloned().or_else(|| generic_name_en(&name_zh).map(String::from));
            out.push(Area { level: code.level(), parent: code.implied_parent(), code, name_zh, name_en, valid_from: None, valid_to: None });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codelist::check_codelists;
    use crate::indicator::check_catalogue;

    #[test]
    fn reference_content_is_complete_and_consistent() {
        let lists = codelists();
        check_codelists(&lists).unwrap();
        for id in ["SEX", "AGE", "URBANISATION", "DISABILITY_STATUS", "ETHNICITY", "INCOME_QUINTILE"] {
            assert!(lists.iter().any(|l| l.id == id), "codelist {id} missing");
        }
        let eth = lists.iter().find(|l| l.id == "ETHNICITY").unwrap();
        assert_eq!(eth.codes.len(), 56);
        assert_eq!(eth.codes[0].code, "01");
        assert_eq!(eth.codes[55].code, "56");

        let (units, conversions) = units();
        for c in &conversions {
            assert!(units.iter().any(|u| u.code == c.from) && units.iter().any(|u| u.code == c.to), "{c:?}");
        }
        let inds = indicators();
        check_catalogue(&inds, &units, &lists).unwrap();
        assert!(inds.len() >= 40, "only {} indicators", inds.len());
        let depts = departments();
        for i in &inds {
            assert!(!i.name_zh.is_empty() && !i.name_en.is_empty(), "{}", i.code);
            assert!(!i.icescr_articles.is_empty(), "{} has no ICESCR article", i.code);
            assert!(depts.iter().any(|d| d.code == i.department), "{}: unknown department {}", i.code, i.department);
        }
        for code in [
            "CN_RURAL_POOR_POP",
            "SI_POV_NAHC",
            "CN_POVERTY_LINE_RURAL",
            "CN_DIBAO_RECIPIENTS",
            "CN_DIBAO_STANDARD",
            "CN_DISP_INCOME_PC",
            "CN_ENGEL_COEF",
        ] {
            assert!(inds.iter().any(|i| i.code == code), "{code} missing");
        }
        let poor = inds.iter().find(|i| i.code == "CN_RURAL_POOR_POP").unwrap();
        assert_eq!((poor.unit.as_str(), poor.unit_mult), ("PERSONS", 4));
        for code in ["SI_POV_NAHC", "CN_DIBAO_RECIPIENTS", "CN_DIBAO_STANDARD", "CN_DISP_INCOME_PC", "CN_ENGEL_COEF"] {
            let i = inds.iter().find(|i| i.code == code).unwrap();
            assert!(i.has_dimension("URBANISATION"), "{code} lacks URBANISATION");
        }
        let arts = icescr_articles();
        assert_eq!(arts.iter().map(|a| a.number).collect::<Vec<_>>(), (1..=15).collect::<Vec<_>>());
        let goals = sdg_goals();
        assert_eq!(goals.iter().map(|g| g.goal).collect::<Vec<_>>(), [1, 2, 10]);
        for i in &inds {
            for t in &i.sdg_targets {
                assert!(goals.iter().flat_map(|g| &g.targets).any(|x| &x.code == t), "{}: unknown SDG target {t}", i.code);
            }
        }
    }

    #[test]
    fn areas_load_with_parents() {
        let areas = areas();
        let count = |l| areas.iter().filter(|a| a.level == l).count();
        assert_eq!(count(AreaLevel::Province), 31);
        assert_eq!(count(AreaLevel::Prefecture), 342);
        assert_eq!(count(AreaLevel::County), 2978);
        let codes: std::collections::HashSet<_> = areas.iter().map(|a| a.code.clone()).collect();
        for a in &areas {
            if let Some(p) = &a.parent {
                assert!(codes.contains(p), "{} has unknown parent {p}", a.code);
            }
        }
        let bj = areas.iter().find(|a| a.code.as_str() == "11").unwrap();
        assert_eq!(bj.name_en.as_deref(), Some("Beijing"));
    }
}
