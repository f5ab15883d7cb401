//! The data-gap report: for every indicator linked to a reported ICESCR article, which of the
//! breakdowns the committees ask for exist in which years and which are missing, tied to the
//! recommendations that asked for them, with a coverage score.

use crate::doc::{Document, Table};
use crate::{Lang, ReportError};
use rightstat_store::Store;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The grounds the treaty bodies ask figures to be broken down by (CESCR General Comment 20;
/// OHCHR's guide on a human-rights-based approach to data), for every outcome indicator.
pub const STANDARD_BREAKDOWNS: [&str; 5] = ["SEX", "AGE", "URBANISATION", "DISABILITY_STATUS", "ETHNICITY"];

/// Articles of a CESCR periodic report that poverty figures serve.
pub const DEFAULT_ARTICLES: [u8; 7] = [2, 6, 9, 10, 11, 12, 13];

/// Years counted for the coverage score: the latest this many years with data.
pub const WINDOW: usize = 5;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BreakdownGap {
    pub dimension: String,
    /// Years of the window in which the breakdown exists.
    pub years: Vec<String>,
    /// Who asks for it: "standard" (General Comment 20) and the recommendations linked.
    pub asked_by: Vec<String>,
}

impl BreakdownGap {
    pub fn missing(&self) -> bool {
        self.years.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorGaps {
    pub code: String,
    pub name_en: String,
    pub name_zh: String,
    /// The articles of the report it is linked to (listed under the first).
    pub articles: Vec<u8>,
    /// The latest years with a published total, at most [`WINDOW`].
    pub years: Vec<String>,
    pub breakdowns: Vec<BreakdownGap>,
    /// Share of (breakdown, year) pairs of the window that exist, in %.
    pub score: f64,
}

/// Gathers the gaps of the indicators linked to `articles`.
pub async fn gather(store: &Store, articles: &[u8]) -> Result<Vec<IndicatorGaps>, ReportError> {
    let cat = store.catalogue().await?;
    let mut inds: Vec<_> =
        cat.indicators.values().map(|(i, _)| i).filter(|i| i.icescr_articles.iter().any(|a| articles.contains(a))).collect();
    inds.sort_by(|a, b| a.icescr_articles.first().cmp(&b.icescr_articles.first()).then(a.code.cmp(&b.code)));
    let codes: Vec<String> = inds.iter().map(|i| i.code.clone()).collect();
    let coverage = store.breakdown_coverage(&codes).await?;
    let asked = store.asked_breakdowns().await?;
    let mut out = Vec::new();
    for ind in inds {
        let mut years: Vec<String> = coverage.iter().filter(|(i, _, _)| i == &ind.code).map(|(_, p, _)| p.clone()).collect();
        years.sort();
        years.dedup();
        let years: Vec<String> = years.into_iter().rev().take(WINDOW).rev().collect();
        let mut wanted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        // Only a figure about people can be broken down by sex, age, residence, disability or
        // ethnicity: never a structural indicator (a ratification year, a law), nor a sum of
        // money or a count of counties. Such an indicator is asked for its own dimensions only.
        let about_people = ind.ohchr_type != rightstat_core::indicator::OhchrType::Structural
            && cat.units.iter().find(|u| u.code == ind.unit).is_none_or(|u| u.people);
        let standard: &[&str] = if about_people { &STANDARD_BREAKDOWNS } else { &[] };
        for d in standard.iter().map(|d| d.to_string()).chain(ind.required_dimensions.iter().cloned()) {
            wanted.entry(d).or_default().insert("standard".into());
        }
        for a in asked.iter().filter(|a| a.indicator == ind.code && (about_people || ind.dimensions.contains(&a.dimension))) {
            let by = match (&a.document_symbol, &a.paragraph) {
                (Some(doc), Some(p)) => format!("{doc}, para. {p}"),
                (Some(doc), None) => doc.clone(),
                _ => format!("{} session {}", a.mechanism, a.session),
            };
            wanted.entry(a.dimension.clone()).or_default().insert(by);
        }
        let breakdowns: Vec<BreakdownGap> = wanted
            .into_iter()
            .map(|(dimension, asked_by)| BreakdownGap {
                years: years.iter().filter(|y| coverage.contains(&(ind.code.clone(), (*y).clone(), dimension.clone()))).cloned().collect(),
                // "standard" first, then the recommendations.
                asked_by: {
                    let mut v: Vec<String> = asked_by.into_iter().collect();
                    v.sort_by_key(|x| x != "standard");
                    v
                },
                dimension,
            })
            .collect();
        let pairs = breakdowns.len() * years.len();
        let have: usize = breakdowns.iter().map(|b| b.years.len()).sum();
        let score = if pairs == 0 { 0.0 } else { have as f64 / pairs as f64 * 100.0 };
        out.push(IndicatorGaps {
            code: ind.code.clone(),
            name_en: ind.name_en.clone(),
            name_zh: ind.name_zh.clone(),
            articles: ind.icescr_articles.iter().filter(|a| articles.contains(a)).copied().collect(),
            years,
            breakdowns,
            score,
        });
    }
    Ok(out)
}

/// The report as a document.
pub fn document(gaps: &[IndicatorGaps], dimension_names: &BTreeMap<String, (String, String)>, lang: Lang) -> Document {
    let t = |en: &str, zh: &str| lang.pick(en, zh).to_string();
    let mut d = Document::new(t("Data-gap report: the breakdowns the treaty bodies ask for", "数据缺口报告:条约机构要求的分类数据"), lang);
    let dim = |code: &str| dimension_names.get(code).map_or(code.to_string(), |(en, zh)| lang.pick(en, zh).to_string());
    let missing: usize = gaps.iter().map(|g| g.breakdowns.iter().filter(|b| b.missing()).count()).sum();
    // Indicators that cannot be broken down (not about people) are not scored.
    let scored: Vec<&IndicatorGaps> = gaps.iter().filter(|g| !g.breakdowns.is_empty()).collect();
    let mean = if scored.is_empty() { 0.0 } else { scored.iter().map(|g| g.score).sum::<f64>() / scored.len() as f64 };
    d.numbered(match lang {
        Lang::En => format!(
            "This report lists, for each of the {} indicators linked to the articles reported on, the breakdowns the Committee on Economic, Social and Cultural Rights asks for (by sex, age, urban or rural residence, disability and ethnicity, General Comment No. 20) and those asked by recommendations, and the years of the last {WINDOW} with published figures in which each exists. {missing} breakdowns are missing altogether; the average coverage is {mean:.0} %.",
            gaps.len()
        ),
        Lang::Zh => format!(
            "本报告列出与所报告条款相关的{}项指标各自应有的分类(按性别、年龄、城乡、残疾和民族,依第20号一般性意见,以及各项建议所要求的分类),以及最近{WINDOW}个有公开数据的年份中各分类的可得情况。共有{missing}项分类完全缺失;平均覆盖率为{mean:.0}%。",
            gaps.len()
        ),
    });
    let whole: Vec<String> = gaps
        .iter()
        .filter(|g| g.breakdowns.is_empty())
        .map(|g| match lang {
            Lang::En => format!("{} ({})", g.name_en, g.code),
            Lang::Zh => format!("{}（{}）", g.name_zh, g.code),
        })
        .collect();
    if !whole.is_empty() {
        d.numbered(match lang {
            Lang::En => format!(
                "No breakdown is asked of {} indicators that are not about people (a law, a ratification, a sum of money, a count of counties) and are not declared with breakdowns of their own: {}.",
                whole.len(),
                whole.join("; ")
            ),
            Lang::Zh => format!(
                "以下{}项指标不涉及人口（法律、批准、资金总额、县数等），且未规定自身的分类，因此不要求分类数据：{}。",
                whole.len(),
                whole.join("；")
            ),
        });
    }
    let mut by_article: BTreeMap<u8, Vec<&IndicatorGaps>> = BTreeMap::new();
    for g in gaps {
        if let Some(a) = g.articles.first() {
            by_article.entry(*a).or_default().push(g);
        }
    }
    for (article, list) in by_article {
        d.heading(
            1,
            match lang {
                Lang::En => format!("Article {article}"),
                Lang::Zh => format!("第{article}条"),
            },
        );
        let mut rows = Vec::new();
        for g in list {
            let name = format!("{} ({})", lang.pick(&g.name_en, &g.name_zh), g.code);
            for b in &g.breakdowns {
                let status = match (b.years.len(), g.years.len()) {
                    (0, _) => t("missing", "缺失"),
                    (n, m) if n == m => t("complete", "完整"),
                    _ => t("partial", "部分"),
                };
                let asked: Vec<String> = b
                    .asked_by
                    .iter()
                    .map(|a| if a == "standard" { t("General Comment 20", "第20号一般性意见") } else { a.clone() })
                    .collect();
                rows.push(vec![
                    name.clone(),
                    dim(&b.dimension),
                    if b.years.is_empty() { "—".into() } else { b.years.join(", ") },
                    asked.join("; "),
                    status,
                    format!("{:.0}", g.score),
                ]);
            }
        }
        d.table(Table {
            caption: match lang {
                Lang::En => format!("Breakdowns of the indicators of article {article}"),
                Lang::Zh => format!("第{article}条相关指标的分类数据"),
            },
            header: vec![
                t("Indicator", "指标"),
                t("Breakdown", "分类"),
                t("Years with the breakdown", "有该分类的年份"),
                t("Asked by", "要求来源"),
                t("Status", "状况"),
                t("Coverage (%)", "覆盖率(%)"),
            ],
            rows,
            unit: None,
            source: Some(t(
                "RightStat: the indicator catalogue, published observations and the recommendations register",
                "RightStat:指标目录、已发布数据和建议登记库",
            )),
            notes: vec![match lang {
                Lang::En => {
                    format!("Coverage: the share of (breakdown, year) pairs with published figures in the latest {WINDOW} years with data.")
                }
                Lang::Zh => format!("覆盖率:最近{WINDOW}个有数据年份中,有公开数据的(分类,年份)组合所占比例。"),
            }],
        });
    }
    d
}

/// Dimension id → (English name, Chinese name), from the store's codelists.
pub async fn dimension_names(store: &Store) -> Result<BTreeMap<String, (String, String)>, ReportError> {
    Ok(store.codelists().await?.into_iter().map(|c| (c.id, (c.name_en, c.name_zh))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_demo_lacks_ethnicity_disability_and_sex_for_poverty() {
        let dir = tempfile::tempdir().unwrap();
        for url in rightstat_store::testing::fresh_urls(dir.path()).await {
            let s = Store::connect(&url).await.unwrap();
            s.seed_reference().await.unwrap();
            s.load_demo().await.unwrap();
            s.load_demo_follow_up().await.unwrap();
            let gaps = gather(&s, &DEFAULT_ARTICLES).await.unwrap();
            for code in ["CN_RURAL_POOR_POP", "SI_POV_NAHC"] {
                let g = gaps.iter().find(|g| g.code == code).unwrap_or_else(|| panic!("{code} not in the report"));
                assert_eq!(g.years.len(), WINDOW, "{code}: {:?}", g.years);
                for dim in ["ETHNICITY", "DISABILITY_STATUS", "SEX"] {
                    let b = g.breakdowns.iter().find(|b| b.dimension == dim).unwrap();
                    assert!(b.missing(), "{code} {dim}: {:?}", b.years);
                }
                assert!(g.score < 50.0, "{code}: {}", g.score);
            }
            let nahc = gaps.iter().find(|g| g.code == "SI_POV_NAHC").unwrap();
            let urb = nahc.breakdowns.iter().find(|b| b.dimension == "URBANISATION").unwrap();
            assert!(!urb.missing(), "the demo has rural incidence: {urb:?}");
            // A recommendation linked to the indicator names the breakdown it asks for.
            // Breakdowns are asked only of figures about people: never a ratification year or a
            // sum of money.
            for whole in ["CN_ICESCR_RATIFICATION_YEAR", "CN_POVERTY_FUNDS_CENTRAL", "CN_SOCIAL_ASSISTANCE_LAW"] {
                if let Some(g) = gaps.iter().find(|g| g.code == whole) {
                    assert!(g.breakdowns.is_empty(), "{whole}: {:?}", g.breakdowns);
                }
            }
            let poor = gaps.iter().find(|g| g.code == "CN_RURAL_POOR_POP").unwrap();
            assert!(poor.breakdowns.iter().any(|b| b.asked_by.iter().any(|a| a != "standard")), "{:#?}", poor.breakdowns);

            let names = dimension_names(&s).await.unwrap();
            let mut en = document(&gaps, &names, Lang::En);
            let uses = crate::terms::explain(&mut en, &rightstat_core::reference::glossary(), &[]);
            let md = crate::render::markdown(&en);
            assert!(
                md.contains("## Article 11")
                    && md.contains("(CN\\_RURAL\\_POOR\\_POP) | Ethnic group | — | General Comment 20; UPR session 4 |"),
                "{md}"
            );
            let (_, findings) = crate::checks::check(&en, crate::checks::Kind::Unlimited, &uses);
            assert!(findings.iter().all(|f| f.check != "no_source"), "{findings:?}");
            let zh = crate::render::html(&document(&gaps, &names, Lang::Zh));
            assert!(zh.contains("<h2>第11条</h2>") && zh.contains("缺失"), "{zh}");
        }
    }
}
