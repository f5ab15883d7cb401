//! The evaluation of implementation from the published figures: for every national series of
//! the indicators of an ICESCR article (each cell the data hold), its progress by the method of
//! [`rightstat_core::evaluation`], a retrogressive latest step, and the gaps between groups
//! (rural ÷ urban, women ÷ men, for rates, means and per-person figures) with their direction.
//! An indicator without a declared better direction is shown, not judged. Computed, never typed.

use crate::{ObservationFilter, ObservationRow, Result, Store, Visibility};
use rightstat_core::evaluation::{self as ev, Assessment, Gap, Point, ProgressClass, Retrogression};
use serde::Serialize;
use std::collections::BTreeMap;

/// One series and what its figures say.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesEvaluation {
    pub indicator: String,
    pub name_en: String,
    pub name_zh: String,
    pub area: String,
    /// The cell key (`|URBANISATION=R|`); empty for the total.
    pub cell: String,
    /// The latest published figure, [year, value] (whether or not the series is judged).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<f64>>))]
    pub latest: Option<(i32, f64)>,
    /// The benchmark in force for the series, if the lead department set one.
    pub benchmark: Option<crate::benchmarks::BenchmarkRow>,
    pub assessment: Assessment,
    pub retrogression: Option<Retrogression>,
    /// The responsible department's latest answer to the Committee's questions of the
    /// retrogressive step, if it gave one (internal until a report carries it: the public
    /// pages and API leave it out, see [`ArticleEvaluation::public`]).
    pub justification: Option<crate::retrogression::CaseAnswer>,
    /// The computation in words.
    pub sentence_en: String,
    pub sentence_zh: String,
}

/// A gap between a group and its reference for one indicator.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GapEvaluation {
    pub indicator: String,
    pub name_en: String,
    pub name_zh: String,
    /// The breakdown's dimension, or `AREA` for the gap between the worst and the best province.
    pub dimension: String,
    /// The group's code (`R`, `F`, `PD`, an ethnic group's code; for `AREA`, the worst province
    /// of the latest year).
    pub group: String,
    /// The reference's code (`U`, `M`, `NPD`, `_T` for all groups together; for `AREA`, the best
    /// province of the latest year).
    pub reference: String,
    /// The group and the reference in words ("Rural", "Gansu (lowest)").
    pub group_en: String,
    pub group_zh: String,
    pub reference_en: String,
    pub reference_zh: String,
    pub gap: Gap,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticleEvaluation {
    pub article: u8,
    pub series: Vec<SeriesEvaluation>,
    pub gaps: Vec<GapEvaluation>,
}

/// The evaluation of an SDG goal's indicators.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoalEvaluation {
    pub goal: u8,
    pub series: Vec<SeriesEvaluation>,
    pub gaps: Vec<GapEvaluation>,
}

impl GoalEvaluation {
    /// Without the departments' answers (see [`ArticleEvaluation::public`]).
    pub fn public(mut self) -> Self {
        without_answers(&mut self.series);
        self
    }
}

/// Clears the departments' answers from series bound for the public.
fn without_answers(series: &mut [SeriesEvaluation]) {
    for s in series {
        s.justification = None;
    }
}

/// What an evaluation covers: the indicators of an article of the Covenant, or of an SDG goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Article(u8),
    SdgGoal(u8),
}

impl Scope {
    pub fn covers(self, ind: &rightstat_core::Indicator) -> bool {
        match self {
            Scope::Article(a) => ind.icescr_articles.contains(&a),
            Scope::SdgGoal(g) => {
                let prefix = format!("{g}.");
                ind.sdg_targets.iter().chain(ind.sdg_indicator.iter()).any(|t| t.starts_with(&prefix))
            }
        }
    }

    fn number(self) -> u8 {
        match self {
            Scope::Article(n) | Scope::SdgGoal(n) => n,
        }
    }
}

impl ArticleEvaluation {
    /// What the public may read: the figures' evaluation, without the departments' answers to
    /// retrogression cases (those reach the public through the reports that carry them).
    pub fn public(mut self) -> Self {
        without_answers(&mut self.series);
        self
    }
}

/// The group compared with its reference, by dimension: rural ÷ urban, women ÷ men, persons
/// with disabilities ÷ persons without; each ethnic group is compared with all groups together
/// (`_T`, the total), the figure for "the rest" not being published.
const PAIRS: [(&str, &str, &str); 3] = [("URBANISATION", "R", "U"), ("SEX", "F", "M"), ("DISABILITY_STATUS", "PD", "NPD")];
const EACH_AGAINST_ALL: [&str; 1] = ["ETHNICITY"];

/// At least this many provinces report a year for the gap between the worst and the best.
const MIN_PROVINCES: usize = 10;

/// Decimals a figure was published with: the most any value of the series shows (at most 6).
fn decimals(values: &[f64]) -> u32 {
    values
        .iter()
        .map(|v| {
            let s = format!("{v}");
            s.split_once('.').map_or(0, |(_, f)| f.len().min(6) as u32)
        })
        .max()
        .unwrap_or(0)
}

/// A code of a dimension in words, both languages ("_T": all groups together).
fn code_words(cat: &rightstat_core::ingest::Catalogue, dim: &str, code: &str) -> (String, String) {
    if code == "_T" {
        return ("All groups".into(), "全体".into());
    }
    cat.codelists
        .get(dim)
        .and_then(|l| l.codes.iter().find(|c| c.code == code))
        .map_or((code.to_string(), code.to_string()), |c| (c.name_en.clone(), c.name_zh.clone()))
}

fn class_words(c: ProgressClass, benchmark: bool) -> (&'static str, &'static str) {
    match (c, benchmark) {
        (ProgressClass::TargetMet, _) => ("target met", "已实现目标"),
        (ProgressClass::OnTrack, true) => ("on track", "按计划推进"),
        (ProgressClass::OnTrack, false) => ("substantial progress", "显著进展"),
        (ProgressClass::NeedsAcceleration, true) => ("needs acceleration", "需要加快"),
        (ProgressClass::NeedsAcceleration, false) => ("moderate progress", "一定进展"),
        (ProgressClass::LimitedProgress, _) => ("limited progress", "进展有限"),
        (ProgressClass::Deterioration, _) => ("deterioration", "恶化"),
        (ProgressClass::InsufficientData, _) => ("not enough comparable figures", "可比数据不足"),
    }
}

fn sentences(
    (name_en, name_zh): (&str, &str),
    (unit_en, unit_zh): (&str, &str),
    a: &Assessment,
    directed: bool,
    bench: Option<&crate::benchmarks::BenchmarkRow>,
) -> (String, String) {
    let n = rightstat_core::unit::format_number;
    if !directed {
        return (
            format!("{name_en}: the catalogue declares no better direction for it, so its figures are shown, not judged."),
            format!("{name_zh}：指标目录未规定其预期变化方向，故只列数据，不作评判。"),
        );
    }
    let (w_en, w_zh) = class_words(a.class, a.required.is_some());
    let (Some((y0, v0)), Some((y1, v1)), Some(rate)) = (a.baseline, a.latest, a.observed) else {
        return (format!("{name_en}: {w_en}."), format!("{name_zh}：{w_zh}。"));
    };
    let how_en = match a.method {
        ev::Method::Cagr => format!("a compound annual rate of {:.1} % in the declared direction", rate * 100.0),
        ev::Method::Difference => {
            format!("an average change of {} a year in the declared direction (growth rates fail at zero)", n(rate))
        }
    };
    let how_zh = match a.method {
        ev::Method::Cagr => format!("按预期方向的年均复合变化率为{:.1}%", rate * 100.0),
        ev::Method::Difference => format!("按预期方向年均变化{}（数值为零时增长率不适用）", n(rate)),
    };
    let brk = a.notes.iter().find_map(|x| if let ev::Note::BreakInSeries { year } = x { Some(*year) } else { None });
    let (b_en, b_zh) = match brk {
        Some(y) => (
            format!(" Figures before {y} are not compared: a break in series stands there."),
            format!("{y}年前的数据因统计口径变化不作比较。"),
        ),
        None => (String::new(), String::new()),
    };
    let (t_en, t_zh) = match bench {
        Some(b) => {
            let (req_en, req_zh) = match (a.required, a.ratio) {
                (Some(req), Some(ratio)) => match a.method {
                    ev::Method::Cagr => (
                        format!(", which asks {:.1} % a year; the rate observed is {:.0} % of it", req * 100.0, ratio * 100.0),
                        format!("，需年均{:.1}%；实际速度为所需的{:.0}%", req * 100.0, ratio * 100.0),
                    ),
                    ev::Method::Difference => (
                        format!(", which asks {} a year; the change observed is {:.0} % of it", n(req), ratio * 100.0),
                        format!("，需年均变化{}；实际变化为所需的{:.0}%", n(req), ratio * 100.0),
                    ),
                },
                _ => (String::new(), String::new()),
            };
            (
                format!(" Against the benchmark of {} by {} ({}){req_en}.", n(b.target_value), b.target_year, b.source),
                format!("对照基准：{}年达到{}（{}）{req_zh}。", b.target_year, n(b.target_value), b.source),
            )
        }
        None => (String::new(), String::new()),
    };
    (
        format!("{name_en}, in {unit_en}: {} in {y0}, {} in {y1}: {how_en}: {w_en}.{t_en}{b_en}", n(v0), n(v1)),
        format!("{name_zh}（{unit_zh}）：{y0}年为{}，{y1}年为{}，{how_zh}：{w_zh}。{t_zh}{b_zh}", n(v0), n(v1)),
    )
}

/// The evaluation as CSV: one row per series, with its benchmark and retrogression.
pub fn evaluation_csv(eval: &[ArticleEvaluation]) -> std::result::Result<String, csv::Error> {
    let scopes: Vec<(u8, &[SeriesEvaluation])> = eval.iter().map(|e| (e.article, e.series.as_slice())).collect();
    scoped_csv("article", &scopes)
}

/// The evaluation of SDG goals as CSV, as [`evaluation_csv`] with `goal` first.
pub fn goal_evaluation_csv(eval: &[GoalEvaluation]) -> std::result::Result<String, csv::Error> {
    let scopes: Vec<(u8, &[SeriesEvaluation])> = eval.iter().map(|e| (e.goal, e.series.as_slice())).collect();
    scoped_csv("goal", &scopes)
}

fn scoped_csv(scope: &str, eval: &[(u8, &[SeriesEvaluation])]) -> std::result::Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        scope,
        "indicator",
        "cell",
        "class",
        "method",
        "baseline_year",
        "baseline_value",
        "latest_year",
        "latest_value",
        "observed_rate",
        "target_year",
        "target_value",
        "required_rate",
        "ratio_to_required",
        "benchmark_source",
        "retrogression_from",
        "retrogression_to",
        "retrogression_by",
        "sentence_en",
        "sentence_zh",
    ])?;
    let opt = |v: Option<String>| v.unwrap_or_default();
    for (number, series) in eval {
        for s in series.iter() {
            let x = &s.assessment;
            let r = s.retrogression;
            w.write_record([
                number.to_string(),
                s.indicator.clone(),
                s.cell.clone(),
                x.class.as_str().to_string(),
                x.method.as_str().to_string(),
                opt(x.baseline.map(|b| b.0.to_string())),
                opt(x.baseline.map(|b| b.1.to_string())),
                opt(x.latest.map(|b| b.0.to_string())),
                opt(x.latest.map(|b| b.1.to_string())),
                opt(x.observed.map(|v| v.to_string())),
                opt(s.benchmark.as_ref().map(|b| b.target_year.to_string())),
                opt(s.benchmark.as_ref().map(|b| b.target_value.to_string())),
                opt(x.required.map(|v| v.to_string())),
                opt(x.ratio.map(|v| v.to_string())),
                opt(s.benchmark.as_ref().map(|b| b.source.clone())),
                opt(r.map(|r| format!("{} {}", r.from.0, r.from.1))),
                opt(r.map(|r| format!("{} {}", r.to.0, r.to.1))),
                opt(r.map(|r| r.by.to_string())),
                s.sentence_en.clone(),
                s.sentence_zh.clone(),
            ])?;
        }
    }
    Ok(String::from_utf8(w.into_inner().map_err(|e| e.into_error())?).expect("CSV of UTF-8 fields"))
}

impl Store {
    /// The evaluation of the articles' indicators from the figures `visibility` allows, national.
    pub async fn evaluate(&self, articles: &[u8], visibility: &Visibility) -> Result<Vec<ArticleEvaluation>> {
        let scopes: Vec<Scope> = articles.iter().map(|a| Scope::Article(*a)).collect();
        Ok(self
            .evaluate_scopes(&scopes, visibility)
            .await?
            .into_iter()
            .map(|(scope, series, gaps)| ArticleEvaluation { article: scope.number(), series, gaps })
            .collect())
    }

    /// Every published national series of any article, evaluated once, by (indicator, cell key):
    /// what the drafts look a figure's benchmark and retrogression up in.
    pub async fn series_evaluations(&self, visibility: &Visibility) -> Result<BTreeMap<(String, String), SeriesEvaluation>> {
        let all: Vec<u8> = (1..=15).collect();
        Ok(self
            .evaluate(&all, visibility)
            .await?
            .into_iter()
            .flat_map(|e| e.series)
            .map(|x| ((x.indicator.clone(), x.cell.clone()), x))
            .collect())
    }

    /// The same evaluation for the indicators of SDG goals (an indicator belongs to a goal by its
    /// targets or its SDG indicator).
    pub async fn evaluate_sdg(&self, goals: &[u8], visibility: &Visibility) -> Result<Vec<GoalEvaluation>> {
        let scopes: Vec<Scope> = goals.iter().map(|g| Scope::SdgGoal(*g)).collect();
        Ok(self
            .evaluate_scopes(&scopes, visibility)
            .await?
            .into_iter()
            .map(|(scope, series, gaps)| GoalEvaluation { goal: scope.number(), series, gaps })
            .collect())
    }

    async fn evaluate_scopes(
        &self,
        scopes: &[Scope],
        visibility: &Visibility,
    ) -> Result<Vec<(Scope, Vec<SeriesEvaluation>, Vec<GapEvaluation>)>> {
        let cat = self.catalogue().await?;
        let national = self.national_area().await?;
        let benchmarks: BTreeMap<(String, String), crate::benchmarks::BenchmarkRow> = self
            .benchmarks(false)
            .await?
            .into_iter()
            .filter(|b| b.area == national)
            .map(|b| ((b.indicator.clone(), b.cell_key.clone()), b))
            .collect();
        let answers: BTreeMap<crate::retrogression::CaseKey, crate::retrogression::CaseAnswer> =
            self.retrogression_answers(false).await?.into_iter().collect();
        let codes: Vec<String> =
            cat.indicators.values().filter(|(i, _)| scopes.iter().any(|s| s.covers(i))).map(|(i, _)| i.code.clone()).collect();
        let f = ObservationFilter { indicators: codes, area: Some(national.clone()), visibility: visibility.clone(), ..Default::default() };
        let mut by_series: BTreeMap<(String, String), Vec<ObservationRow>> = BTreeMap::new();
        for o in self.observations(&f).await?.into_iter().filter(|o| o.area == national && o.value.is_some()) {
            by_series.entry((o.indicator.clone(), o.cell_key.clone())).or_default().push(o);
        }
        // The provinces' totals of the non-additive indicators, for the gap between the worst
        // and the best: indicator → year → [(province, value)].
        let province_names = self.province_names().await?;
        let mut by_province: BTreeMap<String, BTreeMap<i32, Vec<(String, f64)>>> = BTreeMap::new();
        let non_additive: Vec<String> =
            f.indicators.iter().filter(|c| cat.indicators.get(*c).is_some_and(|(i, _)| !i.value_type.additive())).cloned().collect();
        if !non_additive.is_empty() {
            let pf = ObservationFilter {
                indicators: non_additive,
                area: Some(national.clone()),
                level: Some(rightstat_core::area::AreaLevel::Province),
                visibility: visibility.clone(),
                ..Default::default()
            };
            for o in self.observations(&pf).await? {
                let (Some(v), true, true) = (o.value, o.cell_key.is_empty(), province_names.contains_key(&o.area)) else { continue };
                let Some(year) = o.period.get(..4).and_then(|y| y.parse::<i32>().ok()) else { continue };
                by_province.entry(o.indicator.clone()).or_default().entry(year).or_default().push((o.area.clone(), v));
            }
        }
        let points = |rows: &[ObservationRow]| -> Vec<Point> {
            rows.iter()
                .filter_map(|o| Some(Point { year: o.period.get(..4)?.parse().ok()?, value: o.value?, break_before: o.status == "B" }))
                .collect()
        };
        let mut out = Vec::new();
        for &scope in scopes {
            let mut series = Vec::new();
            let mut gaps = Vec::new();
            for ((code, cell), rows) in &by_series {
                let Some((ind, _)) = cat.indicators.get(code) else { continue };
                if !scope.covers(ind) {
                    continue;
                }
                let pts = points(rows);
                let benchmark = benchmarks.get(&(code.clone(), cell.clone())).cloned();
                let assessment = ev::assess(&pts, ind.better, benchmark.as_ref().map(|b| b.as_core()).as_ref());
                let values: Vec<f64> = pts.iter().map(|p| p.value).collect();
                let retrogression = ind.better.and_then(|b| ev::retrogression(&pts, b, ev::precision_tolerance(decimals(&values))));
                let label_en = crate::follow_up::cell_label(&ind.name_en, cell, &cat, false);
                let label_zh = crate::follow_up::cell_label(&ind.name_zh, cell, &cat, true);
                let unit = cat.units.iter().find(|u| u.code == ind.unit);
                let unit_of = |lang| {
                    rightstat_core::unit::label(
                        unit.map_or(&ind.unit, |u| &u.name_en),
                        unit.map_or(&ind.unit, |u| &u.name_zh),
                        ind.unit_mult as i64,
                        lang,
                    )
                };
                let (unit_en, unit_zh) = (unit_of(rightstat_core::lang::Lang::En), unit_of(rightstat_core::lang::Lang::Zh));
                let (sentence_en, sentence_zh) =
                    sentences((&label_en, &label_zh), (&unit_en, &unit_zh), &assessment, ind.better.is_some(), benchmark.as_ref());
                let justification = retrogression.and_then(|r| {
                    let key = crate::retrogression::CaseKey {
                        indicator: code.clone(),
                        area: national.clone(),
                        cell_key: cell.clone(),
                        to_year: r.to.0,
                    };
                    answers.get(&key).cloned()
                });
                series.push(SeriesEvaluation {
                    indicator: code.clone(),
                    name_en: label_en,
                    name_zh: label_zh,
                    area: national.clone(),
                    cell: cell.clone(),
                    latest: pts.iter().max_by_key(|p| p.year).map(|p| (p.year, p.value)),
                    benchmark,
                    assessment,
                    retrogression,
                    justification,
                    sentence_en,
                    sentence_zh,
                });
                // Gaps between groups are read in rates, means and per-person figures, not in counts
                // (more rural than urban recipients says nothing of inequality).
                if ind.value_type.additive() {
                    continue;
                }
                let pairs =
                    PAIRS.iter().map(|&(d, g, r)| (d, g.to_string(), r.to_string())).chain(EACH_AGAINST_ALL.iter().filter_map(|d| {
                        Some((*d, cell.strip_prefix(&format!("|{d}="))?.strip_suffix('|')?.to_string(), "_T".to_string()))
                    }));
                for (dim, group, reference) in pairs {
                    if *cell != format!("|{dim}={group}|") {
                        continue;
                    }
                    let other_key = if reference == "_T" { String::new() } else { format!("|{dim}={reference}|") };
                    let Some(other) = by_series.get(&(code.clone(), other_key)) else { continue };
                    let ((group_en, group_zh), (reference_en, reference_zh)) =
                        (code_words(&cat, dim, &group), code_words(&cat, dim, &reference));
                    gaps.push(GapEvaluation {
                        indicator: code.clone(),
                        name_en: ind.name_en.clone(),
                        name_zh: ind.name_zh.clone(),
                        dimension: dim.into(),
                        group,
                        reference,
                        group_en,
                        group_zh,
                        reference_en,
                        reference_zh,
                        gap: ev::gap(&pts, &points(other)),
                    });
                }
            }
            // The worst and the best province, year by year, for the directed non-additive
            // indicators of the article that provinces report.
            for (code, years) in &by_province {
                let Some((ind, _)) = cat.indicators.get(code) else { continue };
                let Some(better) = ind.better else { continue };
                if !scope.covers(ind) {
                    continue;
                }
                let mut worst = Vec::new();
                let mut best = Vec::new();
                let mut latest: Option<(String, String)> = None;
                for (year, values) in years.iter().filter(|(_, v)| v.len() >= MIN_PROVINCES) {
                    let order = |a: &&(String, f64), b: &&(String, f64)| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(&a.0));
                    let (lo, hi) = (values.iter().min_by(order), values.iter().max_by(order));
                    let (Some(lo), Some(hi)) = (lo, hi) else { continue };
                    let (w, b) = match better {
                        rightstat_core::recommendation::Better::Higher => (lo, hi),
                        rightstat_core::recommendation::Better::Lower => (hi, lo),
                    };
                    worst.push(Point::new(*year, w.1));
                    best.push(Point::new(*year, b.1));
                    latest = Some((w.0.clone(), b.0.clone()));
                }
                let Some((w, b)) = latest else { continue };
                let name = |a: &str| province_names.get(a).cloned().unwrap_or_else(|| (a.to_string(), a.to_string()));
                let ((w_en, w_zh), (b_en, b_zh)) = (name(&w), name(&b));
                gaps.push(GapEvaluation {
                    indicator: code.clone(),
                    name_en: ind.name_en.clone(),
                    name_zh: ind.name_zh.clone(),
                    dimension: "AREA".into(),
                    group: w,
                    reference: b,
                    group_en: format!("{w_en} (worst province)"),
                    group_zh: format!("{w_zh}（最差省份）"),
                    reference_en: format!("{b_en} (best province)"),
                    reference_zh: format!("{b_zh}（最好省份）"),
                    gap: ev::gap(&worst, &best),
                });
            }
            out.push((scope, series, gaps));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn article_11_on_the_demo() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::connect(&crate::testing::fresh_sqlite_url(dir.path())).await.unwrap();
        s.seed_reference().await.unwrap();
        s.load_demo().await.unwrap();
        let e = s.evaluate(&[11], &Visibility::Published).await.unwrap().remove(0);
        // The national rural poverty series: down to zero in 2020, so by differences.
        let poor = e.series.iter().find(|x| x.indicator == "CN_RURAL_POOR_POP" && x.cell.is_empty()).unwrap();
        assert_eq!(poor.assessment.method, ev::Method::Difference);
        // Its benchmark (the 13th Five-Year Plan: none left by 2020) was met.
        assert_eq!(poor.benchmark.as_ref().map(|b| (b.target_year, b.target_value)), Some((2020, 0.0)));
        assert_eq!(poor.assessment.class, ProgressClass::TargetMet, "{poor:?}");
        assert!(
            poor.sentence_en.contains("Against the benchmark of 0 by 2020 (Outline of the 13th Five-Year Plan"),
            "{}",
            poor.sentence_en
        );
        assert!(poor.sentence_en.contains("growth rates fail at zero"), "{}", poor.sentence_en);
        assert!(poor.retrogression.is_none());
        // The rural–urban gap in disposable income: narrowing.
        let inc = e.gaps.iter().find(|g| g.indicator == "CN_DISP_INCOME_PC" && g.dimension == "URBANISATION").unwrap();
        assert_eq!(inc.gap.converging, Some(true), "{inc:?}");
        assert!(inc.gap.ratio.iter().all(|r| *r > 0.3 && *r < 0.5), "{inc:?}");
        assert_eq!((inc.group_en.as_str(), inc.reference_zh.as_str()), ("Rural", "城镇"));
        // The worst and the best province (NBS's 2018 table): Tibet 17,286 ÷ Shanghai 64,183 yuan.
        let provinces = e.gaps.iter().find(|g| g.indicator == "CN_DISP_INCOME_PC" && g.dimension == "AREA").expect("a province gap");
        assert_eq!((provinces.group.as_str(), provinces.reference.as_str(), provinces.gap.years.as_slice()), ("54", "31", &[2018][..]));
        assert!((provinces.gap.ratio[0] - 17_286.0 / 64_183.0).abs() < 1e-12, "{provinces:?}");
        assert_eq!(provinces.group_en, "Tibet (Xizang) (worst province)");
        assert_eq!(provinces.gap.converging, None, "one year: no direction");
        // The Engel coefficient (lower is better) rose from 29.8 % (2021) to 30.5 % (2022): a
        // retrogressive step beyond its stated precision (one decimal), in the real series.
        let engel = |e: &ArticleEvaluation| e.series.iter().find(|x| x.indicator == "CN_ENGEL_COEF" && x.cell.is_empty()).cloned().unwrap();
        let r = engel(&e).retrogression.expect("flagged");
        assert_eq!((r.from, r.to), ((2021, 29.8), (2022, 30.5)));
        assert!((r.by - 0.7).abs() < 1e-9);
        // A constructed step after it is flagged in its turn once published; no change is not.
        let admin = crate::Actor::new("admin", None);
        for (value, flagged) in [("30.5", false), ("31.0", true)] {
            let file = format!("indicator,area,period,value\nCN_ENGEL_COEF,CN,2023,{value}\n");
            let mut o = crate::ImportOptions::new("constructed.csv", crate::formats::Format::Csv);
            o.actor = admin.clone();
            o.reason = "test: a constructed retrogression".into();
            let r = s.import_observations(std::io::Cursor::new(file.into_bytes()), o).await.unwrap();
            s.publish_batch(r.batch_id.unwrap(), &admin).await.unwrap();
            let e = s.evaluate(&[11], &Visibility::Published).await.unwrap().remove(0);
            let step = engel(&e).retrogression;
            assert_eq!(step.is_some_and(|r| r.from == (2022, 30.5) && r.to.0 == 2023), flagged, "{value}: {step:?}");
        }
    }

    #[tokio::test]
    async fn gaps_for_disability_and_each_ethnic_group() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::connect(&crate::testing::fresh_sqlite_url(dir.path())).await.unwrap();
        s.seed_reference().await.unwrap();
        s.load_demo().await.unwrap();
        // Constructed figures: the poverty rate of all, of persons with and without disabilities,
        // and of Tibetans (the demo holds the rural rate only).
        let file = "indicator,area,period,DISABILITY_STATUS,ETHNICITY,value\n\
                    SI_POV_NAHC,CN,2018,PD,_T,4.0\nSI_POV_NAHC,CN,2019,PD,_T,3.0\n\
                    SI_POV_NAHC,CN,2018,NPD,_T,1.6\nSI_POV_NAHC,CN,2019,NPD,_T,0.5\n\
                    SI_POV_NAHC,CN,2018,_T,04,5.1\nSI_POV_NAHC,CN,2019,_T,04,3.0\n\
                    SI_POV_NAHC,CN,2018,_T,_T,1.7\nSI_POV_NAHC,CN,2019,_T,_T,0.6\n";
        let admin = crate::Actor::new("admin", None);
        let mut o = crate::ImportOptions::new("constructed.csv", crate::formats::Format::Csv);
        o.actor = admin.clone();
        o.reason = "test: constructed breakdowns".into();
        let r = s.import_observations(std::io::Cursor::new(file.as_bytes().to_vec()), o).await.unwrap();
        assert!(r.is_ok(), "{:?}", r.errors);
        s.publish_batch(r.batch_id.unwrap(), &admin).await.unwrap();
        let e = s.evaluate(&[11], &Visibility::Published).await.unwrap().remove(0);
        let find = |dim: &str| e.gaps.iter().find(|g| g.indicator == "SI_POV_NAHC" && g.dimension == dim).cloned().unwrap();
        let d = find("DISABILITY_STATUS");
        assert_eq!((d.group.as_str(), d.reference.as_str(), d.group_en.as_str()), ("PD", "NPD", "Persons with disability"));
        assert_eq!(d.gap.ratio, vec![2.5, 6.0]);
        assert_eq!(d.gap.converging, Some(false), "the ratio moved away from 1: widening");
        let t = find("ETHNICITY");
        assert_eq!(
            (t.group.as_str(), t.reference.as_str(), t.group_zh.as_str(), t.reference_en.as_str()),
            ("04", "_T", "藏族", "All groups")
        );
        assert_eq!(t.gap.years, vec![2018, 2019]);
        assert!((t.gap.ratio[0] - 3.0).abs() < 1e-12 && (t.gap.ratio[1] - 5.0).abs() < 1e-12, "{t:?}");
    }
}
