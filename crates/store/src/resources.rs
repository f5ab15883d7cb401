//! Achievement against resources: each province's figure for an indicator compared with what
//! provinces of similar GDP per capita achieve — an achievement-possibilities frontier in the
//! manner of the SERF Index (Fukuda-Parr, Lawson-Remer and Randolph), fitted by
//! [`rightstat_core::evaluation::frontier`]. GDP per capita is the catalogue's computed
//! indicator `CN_GDP_PC` (gross regional product ÷ resident population), taken as published
//! where it is, else computed from the two published series, and every output says so.

use crate::{ObservationFilter, Result, Store, Visibility};
use rightstat_core::evaluation::{self as ev, Frontier};
use rightstat_core::recommendation::Better;
use serde::Serialize;
use std::collections::BTreeMap;

/// The computed indicator of resources per person.
pub const GDP_PC: &str = "CN_GDP_PC";

/// One area on the frontier.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrontierArea {
    pub area: String,
    pub name_en: String,
    pub name_zh: String,
    /// Yuan per person (computed unless published).
    pub gdp_per_capita: f64,
    /// The indicator's figure, in its published unit.
    pub achievement: f64,
    /// The achievement the frontier says is feasible at this GDP per capita (in the
    /// "higher is better" scale the fit uses).
    pub feasible: f64,
    /// The share (0–100) of the feasible achievement reached.
    pub score: f64,
}

/// An indicator's achievements across provinces in one year, against the frontier.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceEvaluation {
    pub indicator: String,
    pub name_en: String,
    pub name_zh: String,
    pub year: i32,
    /// The fitted frontier `f(x) = a + b · ln x`, x in yuan per person.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub frontier: Frontier,
    /// Whether GDP per capita was computed (from gross regional product and population) rather
    /// than published.
    pub gdp_per_capita_computed: bool,
    /// Lowest score first.
    pub areas: Vec<FrontierArea>,
    pub sentence_en: String,
    pub sentence_zh: String,
}

/// At least this many provinces with both figures, or no frontier is drawn.
pub const MIN_AREAS: usize = 10;

/// Frontier groups: one per five areas (at least 2), equal widths in ln GDP per capita.
pub fn bins_for(areas: usize) -> usize {
    (areas / 5).max(2)
}

impl Store {
    /// The provinces (the nation's children) by code: (English name, or the Chinese where none;
    /// Chinese name).
    pub(crate) async fn province_names(&self) -> Result<BTreeMap<String, (String, String)>> {
        let national = self.national_area().await?;
        Ok(self
            .children(&national, None)
            .await?
            .into_iter()
            .map(|a| (a.code, (a.name_en.unwrap_or_else(|| a.name_zh.clone()), a.name_zh)))
            .collect())
    }

    /// For each indicator of `articles` with a declared better direction and published
    /// province figures: the latest year in which at least [`MIN_AREAS`] provinces have both
    /// the figure and GDP per capita, scored against the frontier fitted to that year.
    pub async fn resource_evaluation(&self, articles: &[u8], visibility: &Visibility) -> Result<Vec<ResourceEvaluation>> {
        let cat = self.catalogue().await?;
        let Some((gdp_pc, _)) = cat.indicators.get(GDP_PC) else { return Ok(Vec::new()) };
        // Its terms (gross regional product and population), computed by the catalogue's own
        // definition where GDP per capita is not published.
        let terms = gdp_pc.aggregation.terms();
        if !gdp_pc.aggregation.is_computed() {
            return Ok(Vec::new());
        }
        let provinces = self.province_names().await?;
        let targets: Vec<&rightstat_core::Indicator> = cat
            .indicators
            .values()
            .map(|(i, _)| i)
            .filter(|i| i.better.is_some() && i.code != GDP_PC && i.icescr_articles.iter().any(|a| articles.contains(a)))
            .collect();
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let mut codes: Vec<String> = targets.iter().map(|i| i.code.clone()).collect();
        codes.push(GDP_PC.to_string());
        codes.extend(terms);
        let f = ObservationFilter { indicators: codes, visibility: visibility.clone(), ..Default::default() };
        // (indicator, year) → province → value, totals only.
        let mut values: BTreeMap<(String, i32), BTreeMap<String, f64>> = BTreeMap::new();
        for o in self.observations(&f).await? {
            let (Some(v), true, true) = (o.value, o.cell_key.is_empty(), provinces.contains_key(&o.area)) else { continue };
            let Some(year) = o.period.get(..4).and_then(|y| y.parse().ok()) else { continue };
            values.entry((o.indicator.clone(), year)).or_default().insert(o.area.clone(), v);
        }
        let mut out = Vec::new();
        for ind in targets {
            let years: Vec<i32> = values.keys().filter(|(c, _)| *c == ind.code).map(|(_, y)| *y).rev().collect();
            for year in years {
                let got = |code: &str| values.get(&(code.to_string(), year));
                let achieved = got(&ind.code).expect("a year of the indicator");
                let mut computed = false;
                let pairs: Vec<(String, f64, f64)> = achieved
                    .iter()
                    .filter_map(|(area, &y)| {
                        let x = match got(GDP_PC).and_then(|m| m.get(area)) {
                            Some(&x) => x,
                            None => {
                                let term = |code: &str| got(code).and_then(|m| m.get(area)).copied();
                                let (x, _) = rightstat_core::aggregate::compute(gdp_pc, &term)?;
                                computed = true;
                                x
                            }
                        };
                        Some((area.clone(), x, y))
                    })
                    .collect();
                if pairs.len() < MIN_AREAS {
                    continue;
                }
                // The fit takes "higher is better": a rate where lower is better is turned into
                // its complement (100 − rate), as SERF does.
                let complement = ind.better == Some(Better::Lower);
                let fit_y = |y: f64| if complement { 100.0 - y } else { y };
                let fit_in: Vec<(f64, f64)> = pairs.iter().map(|(_, x, y)| (*x, fit_y(*y))).collect();
                let Some(frontier) = ev::frontier(&fit_in, bins_for(pairs.len())) else { continue };
                let mut areas: Vec<FrontierArea> = pairs
                    .iter()
                    .map(|(area, x, y)| {
                        let (name_en, name_zh) = provinces.get(area).cloned().unwrap_or_default();
                        FrontierArea {
                            area: area.clone(),
                            name_en,
                            name_zh,
                            gdp_per_capita: *x,
                            achievement: *y,
                            feasible: frontier.at(*x),
                            score: frontier.score(*x, fit_y(*y)),
                        }
                    })
                    .collect();
                areas.sort_by(|a, b| a.score.total_cmp(&b.score).then_with(|| a.area.cmp(&b.area)));
                let (sentence_en, sentence_zh) = sentences(ind, year, &frontier, &areas, computed, complement);
                out.push(ResourceEvaluation {
                    indicator: ind.code.clone(),
                    name_en: ind.name_en.clone(),
                    name_zh: ind.name_zh.clone(),
                    year,
                    frontier,
                    gdp_per_capita_computed: computed,
                    areas,
                    sentence_en,
                    sentence_zh,
                });
                break;
            }
        }
        Ok(out)
    }
}

fn sentences(
    ind: &rightstat_core::Indicator,
    year: i32,
    f: &Frontier,
    areas: &[FrontierArea],
    computed: bool,
    complement: bool,
) -> (String, String) {
    let n = rightstat_core::unit::format_number;
    let below: Vec<&FrontierArea> = areas.iter().filter(|a| a.score < 90.0).collect();
    let lowest = areas.first();
    let (c_en, c_zh) = if computed {
        (
            " GDP per capita is computed here (gross regional product ÷ resident population at year end), not NBS's published figure.",
            "人均地区生产总值为本系统计算值（地区生产总值 ÷ 年末常住人口），并非国家统计局公布数。",
        )
    } else {
        ("", "")
    };
    let (k_en, k_zh) = if complement {
        (" (as 100 minus the rate, since lower is better)", "（因数值越低越好，按100减该比率计算）")
    } else {
        ("", "")
    };
    let (l_en, l_zh) = match lowest {
        Some(a) => (
            format!(" The lowest: {}, {} of the feasible {} ({:.0} %).", a.name_en, n(a.achievement), n(a.feasible.round()), a.score),
            format!("最低为{}：{}，可实现水平为{}（{:.0}%）。", a.name_zh, n(a.achievement), n(a.feasible.round()), a.score),
        ),
        None => (String::new(), String::new()),
    };
    (
        format!(
            "{}, {year}, across {} provinces: the frontier of the best achievement at each level of GDP per capita{k_en}, fitted as {} + {} · ln(GDP per capita) to {} groups; {} provinces reach less than 90 % of what provinces of similar resources achieve.{l_en}{c_en}",
            ind.name_en,
            areas.len(),
            n(f.a.round()),
            n(f.b.round()),
            f.points,
            below.len()
        ),
        format!(
            "{}，{year}年，{}个省份：按人均地区生产总值各水平上的最佳实现程度拟合前沿{k_zh}，拟合式为{} + {} · ln（人均地区生产总值），共{}组；{}个省份未达到资源水平相近省份所实现水平的90%。{l_zh}{c_zh}",
            ind.name_zh,
            areas.len(),
            n(f.a.round()),
            n(f.b.round()),
            f.points,
            below.len()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn disposable_income_against_gdp_per_capita_on_the_demo() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::connect(&crate::testing::fresh_sqlite_url(dir.path())).await.unwrap();
        s.seed_reference().await.unwrap();
        s.load_demo().await.unwrap();
        let r = s.resource_evaluation(&[11], &Visibility::Published).await.unwrap();
        let income = r.iter().find(|e| e.indicator == "CN_DISP_INCOME_PC").expect("NBS's 2018 income by province");
        assert_eq!((income.year, income.areas.len()), (2018, 31));
        assert!(income.gdp_per_capita_computed);
        // Beijing, 2018: 35,161.4 hundred million yuan ÷ 2,192 ten thousand persons.
        let bj = income.areas.iter().find(|a| a.area == "11").unwrap();
        assert!((bj.gdp_per_capita - 35_161.4e8 / 2_192e4).abs() < 1e-6, "{bj:?}");
        assert_eq!(bj.achievement, 62_361.0);
        // Scores are shares of the feasible, capped at 100, lowest first; richer provinces can
        // achieve more (the frontier rises with GDP per capita).
        assert!(income.areas.windows(2).all(|w| w[0].score <= w[1].score));
        assert!(income.areas.iter().all(|a| a.score > 0.0 && a.score <= 100.0));
        assert!(income.frontier.b > 0.0, "{:?}", income.frontier);
        assert!(income.areas.iter().any(|a| a.score == 100.0), "some province is on the frontier");
        assert!(income.sentence_en.contains("GDP per capita is computed here"), "{}", income.sentence_en);
        assert!(income.sentence_zh.contains("并非国家统计局公布数"), "{}", income.sentence_zh);
        // Unpublished figures stay out of the public evaluation: nothing for article 6.
        assert!(s.resource_evaluation(&[6], &Visibility::Published).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn spending_as_a_share_of_gdp_and_per_recipient_is_computed_and_evaluated() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::connect(&crate::testing::fresh_sqlite_url(dir.path())).await.unwrap();
        s.seed_reference().await.unwrap();
        s.load_demo().await.unwrap();
        // Constructed national figures (the demo holds no spending series): dibao spending
        // (100 million yuan), GDP (100 million yuan) and recipients (10,000 persons).
        let file = "indicator,area,period,URBANISATION,value\n\
                    CN_DIBAO_EXPENDITURE,CN,2019,_T,1600\nCN_DIBAO_EXPENDITURE,CN,2020,_T,1900\nCN_DIBAO_EXPENDITURE,CN,2021,_T,1800\n\
                    CN_GDP,CN,2019,_T,990000\nCN_GDP,CN,2020,_T,1010000\nCN_GDP,CN,2021,_T,1140000\n\
                    CN_DIBAO_RECIPIENTS,CN,2019,_T,4300\nCN_DIBAO_RECIPIENTS,CN,2020,_T,4400\nCN_DIBAO_RECIPIENTS,CN,2021,_T,4300\n";
        let admin = crate::Actor::new("admin", None);
        let mut o = crate::ImportOptions::new("constructed.csv", crate::formats::Format::Csv);
        o.actor = admin.clone();
        o.reason = "test: constructed spending".into();
        let r = s.import_observations(std::io::Cursor::new(file.as_bytes().to_vec()), o).await.unwrap();
        assert!(r.is_ok(), "{:?}", r.errors);
        s.publish_batch(r.batch_id.unwrap(), &admin).await.unwrap();
        // The catalogue's ratios compute them, as a roll-up of the national figures does.
        let codes: Vec<String> = ["CN_DIBAO_EXPENDITURE", "CN_GDP", "CN_DIBAO_RECIPIENTS"].map(String::from).to_vec();
        let periods: Vec<String> = ["2019", "2020", "2021"].map(String::from).to_vec();
        let up = s.roll_up(&codes, &periods, &["CN".to_string()], &admin).await.unwrap();
        s.publish_batch(up.batch_id.expect("computed values"), &admin).await.unwrap();
        let e = s.evaluate(&[9], &Visibility::Published).await.unwrap().remove(0);
        let series =
            |code: &str| e.series.iter().find(|x| x.indicator == code && x.cell.is_empty()).cloned().unwrap_or_else(|| panic!("{code}"));
        let share = series("CN_DIBAO_EXP_GDP_SHARE");
        assert_eq!(share.latest.map(|(y, _)| y), Some(2021));
        assert!((share.latest.unwrap().1 - 1800.0 / 1_140_000.0 * 100.0).abs() < 1e-9, "{share:?}");
        // 0.162 % (2019) → 0.158 % (2021): less of the resources, a deterioration, said so.
        assert_eq!(share.assessment.class, rightstat_core::evaluation::ProgressClass::Deterioration, "{share:?}");
        let per = series("CN_DIBAO_EXP_PER_RECIPIENT");
        assert!((per.latest.unwrap().1 - 1800.0 / 4300.0 * 10_000.0).abs() < 1e-9, "{per:?}");
        assert!(per.sentence_en.contains("yuan per person per year"), "{}", per.sentence_en);
    }
}
