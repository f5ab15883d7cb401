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
const CLUSTERS: &str = include_str!("../../../reference/clusters.toml");
const MEASURES: &str = include_str!("../../../reference/measures.toml");
const FOLLOW_UP_DEMO: &str = include_str!("../../../reference/follow-up-demo.toml");
const DEMO_ROUND: &str = include_str!("../../../reference/demo-round.toml");
const GLOSSARY: &str = include_str!("../../../reference/glossary.toml");
/// The declared validation rules shipped by default (`reference/validation-rules.toml`).
pub const VALIDATION_RULES: &str = include_str!("../../../reference/validation-rules.toml");
const COUNTRIES: &str = include_str!("../../../reference/countries.csv");
const STATE_NAMES: &str = include_str!("../../../reference/state-names.csv");
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
    #[serde(default)]
    pub summary_zh: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SdgIndicator {
    pub code: String,
    pub text_en: String,
    #[serde(default)]
    pub text_zh: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SdgTarget {
    pub code: String,
    pub text_en: String,
    #[serde(default)]
    pub text_zh: String,
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

#[derive(Deserialize)]
struct ClustersFile {
    cluster: Vec<crate::recommendation::Cluster>,
    breakdown: Vec<crate::recommendation::BreakdownRule>,
}

/// Thematic clusters and the breakdown rules for recommendations.
pub fn clusters() -> (Vec<crate::recommendation::Cluster>, Vec<crate::recommendation::BreakdownRule>) {
    let f: ClustersFile = parse("clusters.toml", CLUSTERS);
    (f.cluster, f.breakdown)
}

#[derive(Deserialize)]
struct MeasuresFile {
    measure: Vec<crate::measure::Measure>,
}

/// The poverty-reduction measures shipped for the demo and as a starting register.
pub fn measures() -> Vec<crate::measure::Measure> {
    parse::<MeasuresFile>("measures.toml", MEASURES).measure
}

/// Parses a measures file in the layout of `reference/measures.toml`.
pub fn parse_measures(text: &str) -> Result<Vec<crate::measure::Measure>, String> {
    toml::from_str::<MeasuresFile>(text).map(|f| f.measure).map_err(|e| e.to_string())
}

/// Demo follow-up for one cluster: lead and contributing departments, measures, indicators.
#[derive(Debug, Clone, Deserialize)]
pub struct ClusterFollowUp {
    pub cluster: String,
    pub lead: String,
    pub contributing: Vec<String>,
    pub measures: Vec<String>,
    pub indicators: Vec<String>,
}

/// The rules that suggest a recommendation's follow-up: per cluster, the departments, and the
/// measures and indicators that may answer it; per measure and indicator, the words a
/// recommendation must use for the link to be suggested (it asks what the measure does or
/// what the indicator measures); and the openings of recommendations no measure or indicator
/// answers (sharing experience abroad, ratifying a treaty). Links made by these rules are
/// suggested until a person confirms them.
#[derive(Debug, Clone, Deserialize)]
pub struct FollowUpTemplate {
    pub cluster: Vec<ClusterFollowUp>,
    pub keywords: std::collections::BTreeMap<String, Vec<String>>,
    pub not_answered_by_data: Vec<String>,
}

impl FollowUpTemplate {
    /// The measures and indicators of the cluster that a recommendation with this text asks
    /// about: each whose keywords it uses (at the start of a word, any case; "a+b" when it uses
    /// both).
    pub fn links(&self, c: &ClusterFollowUp, text: &str) -> (Vec<String>, Vec<String>) {
        let t = text.to_lowercase();
        if self.not_answered_by_data.iter().any(|o| t.starts_with(&o.to_lowercase())) {
            return (Vec::new(), Vec::new());
        }
        // "poverty+reduc": every part at the start of a word.
        let uses = |k: &str| k.split('+').all(|part| crate::recommendation::has_word(&t, &part.trim().to_lowercase()));
        let asks = |code: &String| self.keywords.get(code).is_some_and(|ks| ks.iter().any(|k| uses(k)));
        (c.measures.iter().filter(|m| asks(m)).cloned().collect(), c.indicators.iter().filter(|i| asks(i)).cloned().collect())
    }
}

pub fn demo_follow_up() -> FollowUpTemplate {
    parse::<FollowUpTemplate>("follow-up-demo.toml", FOLLOW_UP_DEMO)
}

/// The names a country goes by (ISO 3166 name and common name) given its ISO alpha-2 or
/// alpha-3 code; a name is returned as it is.
pub fn country_names(code_or_name: &str) -> Vec<String> {
    let q = code_or_name.trim();
    for r in csv::Reader::from_reader(COUNTRIES.as_bytes()).records().flatten() {
        if r[0].eq_ignore_ascii_case(q) || r[1].eq_ignore_ascii_case(q) {
            return [&r[2], &r[3]].into_iter().filter(|s| !s.is_empty()).map(String::from).collect();
        }
    }
    vec![q.to_string()]
}

/// A name compared for identity: case, spaces and the kind of apostrophe ignored (the UN's
/// documents have typesetting slips such as "Sierra Le one").
fn name_key(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).map(|c| if c == '’' { '\'' } else { c }).collect::<String>().to_lowercase()
}

/// Every State name a recommendation may give, keyed by [`name_key`], with the name stored:
/// the UN's forms (`reference/state-names.csv`: "United Kingdom of Great Britain and Northern
/// Ireland" → "United Kingdom", as UPR Info writes it), ISO 3166 names in both orders ("Korea,
/// Republic of" and "Republic of Korea") and common names.
fn state_names() -> &'static std::collections::HashMap<String, String> {
    static NAMES: std::sync::OnceLock<std::collections::HashMap<String, String>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let mut m = std::collections::HashMap::new();
        for r in csv::Reader::from_reader(COUNTRIES.as_bytes()).records().flatten() {
            let (iso, common) = (r[2].to_string(), r[3].to_string());
            // "Korea, Republic of" is written "Republic of Korea" in UN documents.
            let reordered = iso.split_once(", ").map(|(a, b)| format!("{b} {a}"));
            let name = reordered.clone().unwrap_or_else(|| iso.clone());
            for n in [Some(iso), reordered, Some(common)].into_iter().flatten().filter(|n| !n.is_empty()) {
                m.entry(name_key(&n)).or_insert_with(|| name.clone());
            }
        }
        for r in csv::Reader::from_reader(STATE_NAMES.as_bytes()).records().flatten() {
            m.insert(name_key(&r[0]), r[1].to_string());
            m.entry(name_key(&r[1])).or_insert_with(|| r[1].to_string());
        }
        m
    })
}

/// The name a recommending State is stored under, if `written` names a State (as the UN, UPR
/// Info or ISO 3166 write it); `None` for anything else in parentheses ("the Paris Principles").
pub fn recommending_state(written: &str) -> Option<String> {
    state_names().get(&name_key(written)).cloned()
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

/// The shipped glossary of local policy terms.
pub fn glossary() -> Vec<crate::glossary::Term> {
    #[derive(serde::Deserialize)]
    struct File {
        term: Vec<crate::glossary::Term>,
    }
    parse::<File>("glossary.toml", GLOSSARY).term
}

/// The demo's collection round over the counties of Hebei (three departments, one of them a
/// second source of the rural poor population).
pub fn demo_round() -> crate::round::RoundSpec {
    toml::from_str(DEMO_ROUND).expect("reference/demo-round.toml")
}

#[cfg(test)]
mod tests {
    #[test]
    fn recommending_states_are_recognised_in_the_un_s_and_iso_forms() {
        use super::recommending_state as st;
        assert_eq!(st("United Kingdom of Great Britain and Northern Ireland").as_deref(), Some("United Kingdom"));
        assert_eq!(st("Venezuela (Bolivarian Republic of)").as_deref(), Some("Venezuela"));
        assert_eq!(st("Republic of Korea").as_deref(), Some("Republic of Korea"));
        assert_eq!(st("Democratic People’s Republic of Korea").as_deref(), Some("DPR Korea"));
        assert_eq!(st("Sierra Le one").as_deref(), Some("Sierra Leone"), "a typesetting slip");
        assert_eq!(st("Viet Nam").as_deref(), Some("Viet Nam"));
        assert_eq!(st("Mongolia").as_deref(), Some("Mongolia"));
        assert_eq!(st("the Paris Principles"), None);
        assert_eq!(st("2011–2020"), None);
    }

    use super::*;
    use crate::codelist::check_codelists;
    use crate::indicator::check_catalogue;

    /// The catalogue's OHCHR types against the framework (HR/PUB/12/5), by what the attribute
    /// says each indicator is about.
    #[test]
    fn ohchr_types_follow_the_framework() {
        use crate::indicator::OhchrType::*;
        for i in indicators() {
            let aspect = i.attribute.rsplit(": ").next().unwrap_or("");
            let expected = match aspect {
                "coverage" => Some(Outcome),
                "resources" | "adequacy" | "responsiveness" | "targeting" => Some(Process),
                "legal framework" | "strategy" | "international commitment" => Some(Structural),
                _ => None,
            };
            if let Some(t) = expected {
                assert_eq!(i.ohchr_type, t, "{} ({}): {aspect} is {t:?} in OHCHR's framework", i.code, i.attribute);
            }
            if i.code.contains("EXPENDITURE") || i.code.contains("FUNDS") {
                assert_eq!(i.ohchr_type, Process, "{}: spending is effort", i.code);
            }
            if i.code.ends_with("_LAW") || i.code.ends_with("_YEAR") {
                assert_eq!(i.ohchr_type, Structural, "{}: a commitment", i.code);
            }
        }
        let dibao = indicators().into_iter().find(|i| i.code == "CN_DIBAO_RECIPIENTS").unwrap();
        assert_eq!(dibao.ohchr_type, Outcome, "being covered is the enjoyment of social security");
    }

    #[test]
    fn follow_up_reference_is_consistent() {
        let inds = indicators();
        let depts = departments();
        let measures = measures();
        assert!(measures.len() >= 10);
        for m in &measures {
            m.check().unwrap();
            assert!(m.department.as_ref().is_none_or(|d| depts.iter().any(|x| &x.code == d)), "{}", m.code);
            for i in &m.indicators {
                assert!(inds.iter().any(|x| &x.code == i), "{}: unknown indicator {i}", m.code);
            }
        }
        let (clusters, breakdowns) = clusters();
        let lists = codelists();
        assert!(breakdowns.iter().all(|b| lists.iter().any(|l| l.id == b.dimension)));
        let template = demo_follow_up();
        for f in &template.cluster {
            // Every measure and indicator a rule may link has the words that select it.
            for code in f.measures.iter().chain(&f.indicators) {
                assert!(template.keywords.get(code).is_some_and(|k| !k.is_empty()), "{code} has no keywords");
            }
            assert!(clusters.iter().any(|c| c.code == f.cluster), "{}", f.cluster);
            assert!(f.measures.iter().all(|m| measures.iter().any(|x| &x.code == m)), "{:?}", f.measures);
            assert!(f.indicators.iter().all(|i| inds.iter().any(|x| &x.code == i)), "{:?}", f.indicators);
            assert!(std::iter::once(&f.lead).chain(&f.contributing).all(|d| depts.iter().any(|x| &x.code == d)));
        }
        let round = demo_round();
        round.check().unwrap();
        assert!(round.items.iter().all(|i| inds.iter().any(|x| x.code == i.indicator)));
        assert!(round.assignments.iter().all(|a| depts.iter().any(|x| x.code == a.department)));
        let rules = crate::validation::RuleSet::parse(VALIDATION_RULES).unwrap();
        rules.check(&inds.iter().map(|i| (i.code.clone(), i.clone())).collect()).unwrap();
        assert!(rules.rules.len() >= 5);
        assert_eq!(country_names("CN"), vec!["China"]);
        assert_eq!(country_names("kor"), vec!["Korea, Republic of", "South Korea"]);
        assert_eq!(country_names("China"), vec!["China"]);
    }

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

    /// Every shipped text a user reads is in both languages: each `X_en` of the reference files
    /// has its `X_zh` and the other way round, neither empty; and the Chinese texts use Chinese
    /// punctuation (，；：（）), not the half-width marks of English.
    #[test]
    fn every_shipped_text_has_both_languages_with_chinese_punctuation() {
        fn has_cjk(s: &str) -> bool {
            s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
        }
        fn half_width(s: &str) -> Option<char> {
            let c: Vec<char> = s.chars().collect();
            (0..c.len()).find_map(|i| {
                let digit = |j: Option<usize>| j.and_then(|j| c.get(j)).is_some_and(|c| c.is_ascii_digit());
                match c[i] {
                    ',' if !(digit(i.checked_sub(1)) && digit(Some(i + 1))) => Some(','),
                    ':' if c.get(i + 1) != Some(&'/') => Some(':'),
                    ';' | '(' | ')' => Some(c[i]),
                    _ => None,
                }
            })
        }
        fn walk(file: &str, path: &str, v: &toml::Value, missing: &mut Vec<String>) {
            match v {
                toml::Value::Table(t) => {
                    for (k, x) in t {
                        let here = format!("{path}.{k}");
                        if let Some(stem) = k.strip_suffix("_en").filter(|_| x.is_str()) {
                            // Monolingual on purpose: how English-language sources render a term.
                            if !matches!(k.as_str(), "local_en" | "literal_en" | "preferred_en")
                                && t.get(&format!("{stem}_zh")).and_then(|z| z.as_str()).is_none_or(str::is_empty)
                            {
                                missing.push(format!("{file}: {here} has no {stem}_zh"));
                            }
                        }
                        if let Some(stem) = k.strip_suffix("_zh") {
                            let z = x.as_str().unwrap_or_default();
                            // The English of `legal_basis_zh` is `legal_basis`.
                            let en = t.get(&format!("{stem}_en")).or_else(|| t.get(stem));
                            if z.is_empty() || en.and_then(|e| e.as_str()).is_none_or(str::is_empty) {
                                missing.push(format!("{file}: {here} lacks a language"));
                            }
                            if has_cjk(z)
                                && let Some(c) = half_width(z)
                            {
                                missing.push(format!("{file}: {here} has the half-width '{c}' in \"{z}\""));
                            }
                        }
                        walk(file, &here, x, missing);
                    }
                }
                toml::Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| walk(file, &format!("{path}[{i}]"), x, missing)),
                _ => {}
            }
        }
        let mut missing = Vec::new();
        for (file, text) in [
            ("codelists.toml", CODELISTS),
            ("units.toml", UNITS),
            ("indicators.toml", INDICATORS),
            ("icescr.toml", ICESCR),
            ("sdg.toml", SDG),
            ("departments.toml", DEPARTMENTS),
            ("clusters.toml", CLUSTERS),
            ("measures.toml", MEASURES),
            ("demo-round.toml", DEMO_ROUND),
            ("glossary.toml", GLOSSARY),
            ("validation-rules.toml", VALIDATION_RULES),
        ] {
            walk(file, "", &toml::Value::Table(toml::from_str::<toml::Table>(text).unwrap()), &mut missing);
        }
        // The catalogue's readers' texts, field by field (a missing key is no pair at all).
        for i in indicators() {
            for (what, en, zh) in [
                ("definition", &i.definition_en, &i.definition_zh),
                ("purpose", &i.purpose_en, &i.purpose_zh),
                ("guidance", &i.guidance_en, &i.guidance_zh),
            ] {
                if en.is_empty() || zh.is_empty() {
                    missing.push(format!(
                        "indicators.toml: {} has no {what} in {}",
                        i.code,
                        if zh.is_empty() { "Chinese" } else { "English" }
                    ));
                }
            }
        }
        assert!(missing.is_empty(), "{} texts:\n{}", missing.len(), missing.join("\n"));
    }
}
