//! The constructive dialogue: draft replies to the Committee's list of issues, and the briefing
//! book the delegation carries to Geneva.
//!
//! A question is answered from what RightStat holds on its subject: the indicators whose name
//! the question asks for ([`rightstat_core::relevance`]: most of the name, its rarest word
//! included), the measures that act on those indicators or that the question names, and the
//! recommendations of the same clusters. Each reply gives its figures (latest value, the value
//! five years before, the direction, the source), the breakdowns the question asks for beside
//! those published, the measures (described once, referred to after) and its length; the
//! replies together are held to the limit of General Assembly resolution 68/268.

use crate::annex::{cell_label, is_total, number, unit_label};
use crate::checks::Finding;
use crate::doc::{Document, Table};
use crate::{Lang, ReportError};
use rightstat_core::indicator::Indicator;
use rightstat_core::recommendation::{Cluster, Trend};
use rightstat_core::relevance::Matcher;
use rightstat_store::dialogue::{IssueQuestionRow, ListOfIssuesRow};
use rightstat_store::follow_up::{MeasureRow, RecommendationFollowUp};
use rightstat_store::recommendations::RecommendationFilter;
use rightstat_store::{ObservationFilter, ObservationRow, Store, Visibility};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Years a reply looks back for the direction of a series.
pub const LOOK_BACK: i32 = 5;

/// What the store holds that the dialogue draws on, read once.
struct Holdings {
    list: Option<ListOfIssuesRow>,
    indicators: BTreeMap<String, Indicator>,
    units: Vec<rightstat_core::unit::Unit>,
    codelists: HashMap<String, rightstat_core::codelist::Codelist>,
    /// National published figures by indicator.
    obs: BTreeMap<String, Vec<ObservationRow>>,
    measures: Vec<MeasureRow>,
    departments: Vec<rightstat_store::DepartmentRow>,
    /// Every recommendation with its follow-up; UPR only of the latest cycle.
    recs: Vec<RecommendationFollowUp>,
    clusters: Vec<Cluster>,
    rules: Vec<rightstat_core::recommendation::BreakdownRule>,
    upr_cycle: Option<i64>,
    /// The evaluation of each national series, by (indicator, cell key).
    evaluation: BTreeMap<(String, String), rightstat_store::evaluation::SeriesEvaluation>,
}

async fn holdings(store: &Store) -> Result<Holdings, ReportError> {
    let list = store.lists_of_issues().await?.into_iter().next();
    let cat = store.catalogue().await?;
    let (units, _) = store.units().await?;
    let national = store.national_area().await?;
    let indicators: BTreeMap<String, Indicator> = cat.indicators.iter().map(|(c, (i, _))| (c.clone(), i.clone())).collect();
    let f = ObservationFilter {
        indicators: indicators.keys().cloned().collect(),
        area: Some(national.clone()),
        visibility: Visibility::Published,
        ..Default::default()
    };
    let mut obs: BTreeMap<String, Vec<ObservationRow>> = BTreeMap::new();
    for o in store.observations(&f).await?.into_iter().filter(|o| o.area == national && o.value.is_some()) {
        obs.entry(o.indicator.clone()).or_default().push(o);
    }
    let all = store.follow_up(&RecommendationFilter::default(), &Visibility::Published, true).await?;
    let upr_cycle = all.iter().filter(|r| r.recommendation.mechanism == "UPR").filter_map(|r| r.recommendation.cycle).max();
    let recs = all.into_iter().filter(|r| r.recommendation.mechanism != "UPR" || r.recommendation.cycle == upr_cycle).collect();
    let (clusters, rules) = rightstat_core::reference::clusters();
    let evaluation = store.series_evaluations(&Visibility::Published).await?;
    Ok(Holdings {
        evaluation,
        list,
        indicators,
        units,
        codelists: cat.codelists.clone(),
        obs,
        measures: store.measures().await?,
        departments: store.departments().await?,
        recs,
        clusters,
        rules,
        upr_cycle,
    })
}

/// One series as a reply cites it.
struct Figure {
    name: String,
    unit: String,
    latest: (i32, f64),
    earlier: Option<(i32, f64)>,
    trend: Trend,
    source: String,
    /// The breakdowns published for the latest year (dimension codes).
    breakdowns: BTreeSet<String>,
    /// What the evaluation adds: progress against a benchmark, a retrogressive latest step.
    evaluation: Option<String>,
}

/// What answers one question.
struct Answer<'q> {
    /// Indicators asked about, the most relevant first; with and without published figures.
    figures: Vec<Figure>,
    wanting: Vec<String>,
    measures: Vec<&'q MeasureRow>,
    recs: Vec<&'q RecommendationFollowUp>,
    /// The breakdowns the question asks for (dimension codes).
    asked: Vec<String>,
}

impl Holdings {
    fn dim_name(&self, d: &str, code: &str, lang: Lang) -> String {
        self.codelists
            .get(d)
            .and_then(|l| l.codes.iter().find(|c| c.code == code))
            .map_or(code.to_string(), |c| lang.pick(&c.name_en, &c.name_zh).to_string())
    }

    fn dimension(&self, d: &str, lang: Lang) -> String {
        self.codelists.get(d).map_or(d.to_string(), |l| lang.pick(&l.name_en, &l.name_zh).to_lowercase())
    }

    /// The indicator's national series as a reply cites it: the total, or each part when it is
    /// published only by a breakdown (the dibao's rural and urban recipients), named as the part.
    fn figures(&self, ind: &Indicator, lang: Lang) -> Vec<Figure> {
        let Some(series) = self.obs.get(&ind.code) else { return Vec::new() };
        let keys: BTreeSet<&str> = series.iter().map(|o| o.cell_key.as_str()).collect();
        match keys.iter().find(|k| is_total(k)) {
            Some(k) => self.figure(ind, series, k, None, lang).into_iter().collect(),
            None => keys
                .iter()
                .filter(|k| k.trim_matches('|').split('|').filter(|kv| !kv.ends_with("=_T")).count() == 1)
                .filter_map(|k| self.figure(ind, series, k, Some(cell_label(k, &|d, c| self.dim_name(d, c, lang))), lang))
                .collect(),
        }
    }

    fn figure(&self, ind: &Indicator, series: &[ObservationRow], key: &str, part: Option<String>, lang: Lang) -> Option<Figure> {
        let mut s: Vec<(i32, f64, &ObservationRow)> =
            series.iter().filter(|o| o.cell_key == key).filter_map(|o| Some((o.period.get(..4)?.parse().ok()?, o.value?, o))).collect();
        s.sort_by_key(|p| p.0);
        let &(ly, lv, lo) = s.last()?;
        let earlier = s.iter().find(|p| p.0 >= ly - LOOK_BACK && p.0 < ly).map(|p| (p.0, p.1));
        let pts: Vec<(i32, f64)> = s.iter().map(|p| (p.0, p.1)).collect();
        let trend = match earlier {
            Some((ey, _)) => rightstat_core::recommendation::trend_since(&pts, ey, ind.better).0,
            None => Trend::NoData,
        };
        let breakdowns = series
            .iter()
            .filter(|o| o.period.starts_with(&ly.to_string()) && !is_total(&o.cell_key))
            .flat_map(|o| o.cell_key.trim_matches('|').split('|').filter(|kv| !kv.ends_with("=_T")).filter_map(|kv| kv.split_once('=')))
            .map(|(d, _)| d.to_string())
            .collect();
        let u = self.units.iter().find(|u| u.code == ind.unit);
        let name = lang.pick(&ind.name_en, &ind.name_zh);
        let evaluation = self.evaluation.get(&(ind.code.clone(), key.to_string())).and_then(|x| evaluation_words(x, lang));
        Some(Figure {
            evaluation,
            name: match (part, lang) {
                (Some(p), Lang::En) => format!("{name} ({})", p.to_lowercase()),
                (Some(p), Lang::Zh) => format!("{name}（{p}）"),
                (None, _) => name.to_string(),
            },
            unit: unit_label(u.map_or(&ind.unit, |u| &u.name_en), u.map_or(&ind.unit, |u| &u.name_zh), ind.unit_mult as i64, lang),
            latest: (ly, lv),
            earlier,
            trend,
            source: lo.source.clone(),
            breakdowns,
        })
    }

    fn answer<'q>(&'q self, q: &'q IssueQuestionRow, lang: Lang) -> Answer<'q> {
        // Matched in the language the question has, English first (the catalogue's names in both).
        let (text, zh) = if q.text_en.is_empty() { (q.text_zh.as_str(), true) } else { (q.text_en.as_str(), false) };
        let ind_matcher =
            Matcher::new(self.indicators.values().map(|i| (i.code.as_str(), if zh { i.name_zh.as_str() } else { i.name_en.as_str() })));
        let mut codes: Vec<String> = ind_matcher.relevant(text).into_iter().map(|(c, _)| c).collect();
        let m_matcher = Matcher::new(
            self.measures
                .iter()
                .map(|m| (m.measure.code.as_str(), if zh { m.measure.name_zh.as_str() } else { m.measure.name_en.as_str() })),
        );
        let named: BTreeSet<String> = m_matcher.relevant(text).into_iter().map(|(c, _)| c).collect();
        let measures: Vec<&MeasureRow> = self
            .measures
            .iter()
            .filter(|m| named.contains(&m.measure.code) || m.measure.indicators.iter().any(|i| codes.contains(i)))
            .collect();
        // A measure the question names brings the indicators that follow it.
        for m in measures.iter().filter(|m| named.contains(&m.measure.code)) {
            for i in &m.measure.indicators {
                if !codes.contains(i) {
                    codes.push(i.clone());
                }
            }
        }
        let mut figures = Vec::new();
        let mut wanting = Vec::new();
        for c in &codes {
            let Some(ind) = self.indicators.get(c) else { continue };
            let found = self.figures(ind, lang);
            if found.is_empty() {
                wanting.push(lang.pick(&ind.name_en, &ind.name_zh).to_string());
            }
            figures.extend(found);
        }
        let clusters: BTreeSet<&str> = self.clusters.iter().filter(|c| c.matches(&q.text_en, &[])).map(|c| c.code.as_str()).collect();
        let measure_codes: BTreeSet<&str> = measures.iter().map(|m| m.measure.code.as_str()).collect();
        let recs = self
            .recs
            .iter()
            .filter(|r| {
                r.recommendation.clusters.iter().any(|c| clusters.contains(c.as_str()))
                    && (measure_codes.is_empty() || r.measures.iter().any(|m| measure_codes.contains(m.code.as_str())))
            })
            .collect();
        let mut asked = rightstat_core::recommendation::asked_breakdowns(&self.rules, &q.text_en);
        if q.text_en.is_empty() {
            asked = ZH_BREAKDOWNS.iter().filter(|(w, _)| q.text_zh.contains(w)).map(|(_, d)| d.to_string()).collect();
        }
        Answer { figures, wanting, measures, recs, asked }
    }

    fn question_text<'a>(&self, q: &'a IssueQuestionRow, lang: Lang) -> &'a str {
        match lang {
            Lang::Zh if !q.text_zh.is_empty() => &q.text_zh,
            _ if !q.text_en.is_empty() => &q.text_en,
            _ => &q.text_zh,
        }
    }

    fn heading<'a>(&self, q: &'a IssueQuestionRow, lang: Lang) -> &'a str {
        match lang {
            Lang::Zh if !q.heading_zh.is_empty() => &q.heading_zh,
            _ if !q.heading_en.is_empty() => &q.heading_en,
            _ => &q.heading_zh,
        }
    }

    fn department(&self, code: &Option<String>, lang: Lang) -> Option<String> {
        let c = code.as_ref()?;
        self.departments.iter().find(|d| &d.code == c).map(|d| lang.pick(&d.name_en, &d.name_zh).to_string())
    }
}

/// The breakdowns a Chinese question asks for, by the words it uses.
const ZH_BREAKDOWNS: [(&str, &str); 5] =
    [("性别", "SEX"), ("年龄", "AGE"), ("残疾", "DISABILITY_STATUS"), ("民族", "ETHNICITY"), ("城乡", "URBANISATION")];

fn trend_word(t: Trend, lang: Lang) -> &'static str {
    match (t, lang) {
        (Trend::Improving, Lang::En) => "improving",
        (Trend::Worsening, Lang::En) => "worsening",
        (Trend::NoChange, Lang::En) => "no change",
        (Trend::Changed, Lang::En) => "changed",
        (Trend::NoData, Lang::En) => "no earlier figure",
        (Trend::Improving, Lang::Zh) => "改善",
        (Trend::Worsening, Lang::Zh) => "恶化",
        (Trend::NoChange, Lang::Zh) => "无变化",
        (Trend::Changed, Lang::Zh) => "有变化",
        (Trend::NoData, Lang::Zh) => "无早期数据",
    }
}

/// The benchmark a series is measured against and a retrogressive latest step, in words.
pub(crate) fn evaluation_words(x: &rightstat_store::evaluation::SeriesEvaluation, lang: Lang) -> Option<String> {
    let mut out = String::new();
    if let Some(b) = &x.benchmark {
        use rightstat_core::evaluation::ProgressClass as C;
        let (en, zh) = match x.assessment.class {
            C::TargetMet => ("the target is met", "目标已实现"),
            C::OnTrack => ("on track", "按计划推进"),
            C::NeedsAcceleration => ("progress needs to accelerate", "需要加快进度"),
            C::LimitedProgress => ("progress is limited", "进展有限"),
            C::Deterioration => ("moving away from it", "背离目标"),
            C::InsufficientData => ("not enough comparable figures to judge", "可比数据不足，无法判断"),
        };
        out.push_str(&match lang {
            Lang::En => format!(" Benchmark: {} by {} ({}): {en}.", number(b.target_value), b.target_year, b.source),
            Lang::Zh => format!("基准：{}年达到{}（{}）：{zh}。", b.target_year, number(b.target_value), b.source),
        });
    }
    if let Some(r) = x.retrogression {
        match &x.justification {
            // The department answered the Committee's questions: the reply gives its cause and
            // how the minimum core and the disadvantaged were protected.
            Some(a) => {
                let j = &a.justification;
                let core = j.answers.iter().find(|a| a.question == rightstat_core::retrogression::Question::MinimumCore);
                let (cause, _) = j.cause_explanation.pick(lang);
                let (core_text, _) = core.map_or(("", true), |a| a.explanation.pick(lang));
                out.push_str(&match lang {
                    Lang::En => format!(
                        " The latest step, {} ({}) to {} ({}), is a retrogression; the responsible department attributes it to {}: {} On the minimum core and the disadvantaged: {} (E/C.12/2007/1).",
                        number(r.from.1), r.from.0, number(r.to.1), r.to.0, j.cause.label(lang), crate::cescr::end_sentence(cause, lang), crate::cescr::end_sentence(core_text, lang).trim_end_matches('.')
                    ),
                    Lang::Zh => format!(
                        "最新一期由{}年的{}变为{}年的{}，属于倒退；责任部门认为原因是{}：{}关于最低核心内容和弱势群体：{}（E/C.12/2007/1）。",
                        r.from.0, number(r.from.1), r.to.0, number(r.to.1), j.cause.label(lang), crate::cescr::end_sentence(cause, lang), crate::cescr::end_sentence(core_text, lang).trim_end_matches('。')
                    ),
                });
            }
            None => out.push_str(&match lang {
                Lang::En => format!(
                    " The latest step, {} ({}) to {} ({}), is a retrogression: the reply should give its reasons, the alternatives considered and how the disadvantaged were protected (E/C.12/2007/1).",
                    number(r.from.1), r.from.0, number(r.to.1), r.to.0
                ),
                Lang::Zh => format!(
                    "最新一期由{}年的{}变为{}年的{}，属于倒退：答复应说明原因、所考虑的替代办法以及如何保护弱势群体（E/C.12/2007/1）。",
                    r.from.0, number(r.from.1), r.to.0, number(r.to.1)
                ),
            }),
        }
    }
    (!out.is_empty()).then_some(out)
}

/// "Rural population below the national poverty line: 0 (10,000 persons) in 2020, 5,575 in 2015, improving."
fn figure_sentence(f: &Figure, lang: Lang) -> String {
    let mut s = figure_sentence_plain(f, lang);
    if let Some(e) = &f.evaluation {
        s.push_str(e);
    }
    s
}

fn figure_sentence_plain(f: &Figure, lang: Lang) -> String {
    match (lang, f.earlier) {
        (Lang::En, Some((ey, ev))) => format!(
            "{}: {} ({}) in {}, against {} in {ey} ({}; source: {}).",
            f.name,
            number(f.latest.1),
            f.unit,
            f.latest.0,
            number(ev),
            trend_word(f.trend, lang),
            f.source
        ),
        (Lang::En, None) => format!("{}: {} ({}) in {} (source: {}).", f.name, number(f.latest.1), f.unit, f.latest.0, f.source),
        (Lang::Zh, Some((ey, ev))) => format!(
            "{}：{}年为{}（{}），{ey}年为{}（{}；来源：{}）。",
            f.name,
            f.latest.0,
            number(f.latest.1),
            f.unit,
            number(ev),
            trend_word(f.trend, lang),
            f.source
        ),
        (Lang::Zh, None) => format!("{}：{}年为{}（{}；来源：{}）。", f.name, f.latest.0, number(f.latest.1), f.unit, f.source),
    }
}

fn figures_table(figures: &[Figure], h: &Holdings, caption: String, lang: Lang) -> Table {
    let t = |en: &str, zh: &str| lang.pick(en, zh).to_string();
    let rows = figures
        .iter()
        .map(|f| {
            let bd: Vec<String> = f.breakdowns.iter().map(|d| h.dimension(d, lang)).collect();
            vec![
                match lang {
                    Lang::En => format!("{} ({})", f.name, f.unit),
                    Lang::Zh => format!("{}（{}）", f.name, f.unit),
                },
                f.earlier.map_or_else(|| "..".into(), |(y, _)| y.to_string()),
                f.earlier.map_or_else(|| "..".into(), |(_, v)| number(v)),
                f.latest.0.to_string(),
                number(f.latest.1),
                trend_word(f.trend, lang).to_string(),
                if bd.is_empty() { t("none", "无") } else { bd.join(lang.pick(", ", "、")) },
            ]
        })
        .collect();
    let sources: BTreeSet<&str> = figures.iter().map(|f| f.source.as_str()).collect();
    Table {
        caption,
        header: vec![
            t("Indicator (unit)", "指标（单位）"),
            t("Earlier year", "早期年份"),
            t("Value", "数值"),
            t("Latest year", "最新年份"),
            t("Value", "数值"),
            t("Direction", "变化方向"),
            t("Breakdowns published", "已发布的分类"),
        ],
        rows,
        unit: None,
        source: Some(sources.into_iter().collect::<Vec<_>>().join(lang.pick("; ", "；"))),
        notes: vec![t("National figures as published in RightStat; \"..\": not available.", "RightStat已发布的全国数据；“..”表示无数据。")],
    }
}

/// The draft replies to the latest list of issues, and the findings for the author.
pub async fn replies(store: &Store, lang: Lang) -> Result<(Document, Vec<Finding>), ReportError> {
    let t = |en: &str, zh: &str| lang.pick(en, zh).to_string();
    let h = holdings(store).await?;
    let mut findings = Vec::new();
    let Some(list) = &h.list else {
        let mut d = Document::new(t("Draft replies to the list of issues", "对问题清单的答复（草稿）"), lang);
        d.numbered(t(
            "No list of issues has been imported: import the Committee's list with `rightstat dialogue import` (CSV or the plain text of the UN document).",
            "尚未导入问题清单：请用 rightstat dialogue import 导入委员会的问题清单（CSV或联合国文件的纯文本）。",
        ));
        return Ok((d, findings));
    };
    let mut d = Document::new(
        match lang {
            Lang::En => format!("Replies to the list of issues {} (draft)", list.symbol),
            Lang::Zh => format!("对问题清单{}的答复（草稿）", list.symbol),
        },
        lang,
    );
    d.numbered(match lang {
        Lang::En => format!(
            "These replies to the {} questions of the list of issues were drafted by RightStat from the published statistics, the measures register and the recommendations register. Each reply gives its figures with their source; the replies together may not exceed {} words (General Assembly resolution 68/268, para. 16).",
            list.questions.len(),
            number(rightstat_core::dialogue::REPLIES_WORD_LIMIT as f64)
        ),
        Lang::Zh => format!(
            "对问题清单所列{}个问题的答复由RightStat根据已发布统计数据、措施登记库和建议登记库起草。各答复均注明数据来源；答复总字数不得超过{}词（联合国大会第68/268号决议第16段）。",
            list.questions.len(),
            number(rightstat_core::dialogue::REPLIES_WORD_LIMIT as f64)
        ),
    });
    let mut described: HashMap<String, usize> = HashMap::new();
    let mut section = String::new();
    let mut lengths: Vec<(i64, usize)> = Vec::new();
    let mut table_no = 0;
    for q in &list.questions {
        let heading = h.heading(q, lang);
        if !heading.is_empty() && heading != section {
            d.heading(1, heading);
            section = heading.to_string();
        }
        d.heading(
            2,
            match lang {
                Lang::En => format!("Reply to paragraph {} of the list of issues", q.paragraph),
                Lang::Zh => format!("对问题清单第{}段的答复", q.paragraph),
            },
        );
        d.para(match lang {
            Lang::En => format!("Question: {}", h.question_text(q, lang)),
            Lang::Zh => format!("问题：{}", h.question_text(q, lang)),
        });
        let start = d.blocks.len();
        let a = h.answer(q, lang);
        for f in &a.figures {
            d.numbered(figure_sentence(f, lang));
        }
        if !a.figures.is_empty() {
            table_no += 1;
            let caption = match lang {
                Lang::En => format!("Table {table_no}. Figures for the reply to paragraph {}", q.paragraph),
                Lang::Zh => format!("表{table_no} 对第{}段答复所用数据", q.paragraph),
            };
            d.table(figures_table(&a.figures, &h, caption, lang));
        }
        if !a.wanting.is_empty() {
            d.numbered(match lang {
                Lang::En => format!("No national figure is published yet for: {}.", a.wanting.join("; ")),
                Lang::Zh => format!("以下指标尚无已发布的全国数据：{}。", a.wanting.join("；")),
            });
        }
        // The breakdowns asked for beside those published.
        if !a.asked.is_empty() && !a.figures.is_empty() {
            let have: BTreeSet<&str> = a.figures.iter().flat_map(|f| f.breakdowns.iter().map(String::as_str)).collect();
            let (given, missing): (Vec<&String>, Vec<&String>) = a.asked.iter().partition(|d| have.contains(d.as_str()));
            let names = |v: &[&String]| v.iter().map(|d| h.dimension(d, lang)).collect::<Vec<_>>().join(lang.pick(", ", "、"));
            if !missing.is_empty() {
                d.numbered(match (lang, given.is_empty()) {
                    (Lang::En, true) => format!("The figures asked for by {} are not yet collected at national level.", names(&missing)),
                    (Lang::En, false) => format!(
                        "The figures are published by {}; those by {} are not yet collected at national level.",
                        names(&given),
                        names(&missing)
                    ),
                    (Lang::Zh, true) => format!("问题所要求的按{}分列的数据在全国层面尚未收集。", names(&missing)),
                    (Lang::Zh, false) => {
                        format!("已发布按{}分列的数据；按{}分列的数据在全国层面尚未收集。", names(&given), names(&missing))
                    }
                });
                findings.push(Finding {
                    check: "breakdown_missing",
                    message_en: format!(
                        "reply to paragraph {}: the Committee asks for figures by {}: ask the data's departments whether they hold them, or explain when they will",
                        q.paragraph,
                        names(&missing)
                    ),
                    message_zh: format!("对第{}段的答复：委员会要求按{}分列的数据，须询问相关部门是否掌握，或说明何时能够提供", q.paragraph, names(&missing)),
                    block: None,
                    place: Some(crate::checks::place(&d, d.blocks.len())),
                });
            }
        }
        for m in &a.measures {
            let m = &m.measure;
            if let Some(n) = described.get(&m.code) {
                d.numbered(match lang {
                    Lang::En => format!("{}: see paragraph {n}.", m.name_en),
                    Lang::Zh => format!("{}：见第{n}段。", m.name_zh),
                });
                continue;
            }
            described.insert(m.code.clone(), next_paragraph(&d));
            let mut text = match lang {
                Lang::En => format!("{}. {}", m.name_en, m.description_en),
                Lang::Zh => format!("{}。{}", m.name_zh, lang.pick(&m.description_en, &m.description_zh)),
            };
            if let Some(dept) = h.department(&m.department, lang) {
                text.push_str(&t(&format!(" Responsible: {dept}."), &format!("责任部门：{dept}。")));
            }
            d.numbered(text);
        }
        if !a.recs.is_empty() {
            let supported =
                a.recs.iter().filter(|r| r.recommendation.response.as_deref().is_some_and(|p| p.starts_with("supported"))).count();
            let n = a.recs.len();
            d.numbered(match (lang, a.measures.is_empty()) {
                (Lang::En, false) => format!(
                    "These measures also follow up {n} recommendation{} on the subject ({supported} supported), listed in the briefing book.",
                    if n == 1 { "" } else { "s" }
                ),
                (Lang::En, true) => format!("Recommendations on the subject: {n} ({supported} supported), listed in the briefing book."),
                (Lang::Zh, false) => format!("上述措施同时落实了关于这一主题的{n}条建议（其中{supported}条得到支持），详见简报。"),
                (Lang::Zh, true) => format!("关于这一主题的{n}条建议（其中{supported}条得到支持）详见简报。"),
            });
        }
        // A question on the breakdowns themselves (the first question of most lists): what the
        // published national figures give, breakdown by breakdown.
        if a.figures.is_empty() && !a.asked.is_empty() && q.articles.is_empty() {
            let published: Vec<(&String, BTreeSet<String>)> = h
                .obs
                .iter()
                .map(|(code, rows)| {
                    let dims = rows
                        .iter()
                        .flat_map(|o| {
                            o.cell_key.trim_matches('|').split('|').filter(|kv| !kv.ends_with("=_T")).filter_map(|kv| kv.split_once('='))
                        })
                        .map(|(d, _)| d.to_string())
                        .collect();
                    (code, dims)
                })
                .collect();
            let n = published.len();
            let counts: Vec<(String, usize)> = a
                .asked
                .iter()
                .map(|dim| (h.dimension(dim, lang), published.iter().filter(|(_, dims)| dims.contains(dim)).count()))
                .collect();
            let (some, none): (Vec<_>, Vec<_>) = counts.iter().partition(|c| c.1 > 0);
            let none: Vec<&str> = none.iter().map(|c| c.0.as_str()).collect();
            d.numbered(match lang {
                Lang::En => {
                    let mut parts: Vec<String> = some.iter().map(|(name, k)| format!("{k} are published by {name}")).collect();
                    if !none.is_empty() {
                        parts.push(format!("none by {}", none.join(", ")));
                    }
                    format!("Of the {n} indicators with published national figures, {}.", parts.join("; "))
                }
                Lang::Zh => {
                    let mut parts: Vec<String> = some.iter().map(|(name, k)| format!("{k}个按{name}分列发布")).collect();
                    if !none.is_empty() {
                        parts.push(format!("没有指标按{}分列发布", none.join("、")));
                    }
                    format!("在已发布全国数据的{n}个指标中，{}。", parts.join("；"))
                }
            });
        }
        if a.figures.is_empty() && a.measures.is_empty() {
            d.numbered(t(
                "[To be drafted with the lead department: RightStat holds no published figure or registered measure that answers this question in full.]",
                "［待与牵头部门共同起草：RightStat中没有可完整回答此问题的已发布数据或已登记措施。］",
            ));
            findings.push(Finding {
                check: "reply_without_data",
                message_en: format!(
                    "reply to paragraph {}: no published figure or measure answers it: draft it with the lead department, or add the indicator it needs to the catalogue",
                    q.paragraph
                ),
                message_zh: format!("对第{}段的答复：没有可用的已发布数据或措施，须与牵头部门共同起草，或在指标目录中增加所需指标", q.paragraph),
                block: None,
                place: Some(crate::checks::place(&d, d.blocks.len())),
            });
        }
        let reply = Document { title: String::new(), lang, blocks: d.blocks[start..].to_vec() };
        lengths.push((q.paragraph, rightstat_core::glossary::word_count(&reply.text())));
    }
    let total: usize = lengths.iter().map(|l| l.1).sum();
    let limit = rightstat_core::dialogue::REPLIES_WORD_LIMIT;
    d.heading(1, t("Length of the replies", "答复篇幅"));
    d.numbered(match lang {
        Lang::En => format!(
            "The replies run to {} words, {} the {} words the Committee allows.",
            number(total as f64),
            if total <= limit { "within" } else { "beyond" },
            number(limit as f64)
        ),
        Lang::Zh => format!(
            "答复共{}词，{}委员会允许的{}词。",
            number(total as f64),
            if total <= limit { "未超过" } else { "超过" },
            number(limit as f64)
        ),
    });
    d.table(Table {
        caption: t("Words of each reply", "各答复字数"),
        header: vec![t("Paragraph", "段落"), t("Words", "字数")],
        rows: lengths
            .iter()
            .map(|(p, w)| vec![p.to_string(), number(*w as f64)])
            .chain([vec![t("Total", "合计"), number(total as f64)]])
            .collect(),
        unit: None,
        source: Some(t(
            "RightStat word count (Chinese characters counted one by one), General Assembly resolution 68/268",
            "RightStat字数统计（中文按字计），联合国大会第68/268号决议",
        )),
        notes: vec![],
    });
    Ok((d, findings))
}

fn next_paragraph(d: &Document) -> usize {
    d.blocks.iter().filter(|b| matches!(b, crate::doc::Block::Para { numbered: true, .. })).count() + 1
}

fn position(r: &RecommendationFollowUp, lang: Lang) -> &'static str {
    match (r.recommendation.response.as_deref().unwrap_or(""), lang) {
        ("supported", Lang::En) => "supported",
        ("supported_in_part", Lang::En) => "supported in part",
        ("noted", Lang::En) => "noted",
        ("supported", Lang::Zh) => "支持",
        ("supported_in_part", Lang::Zh) => "部分支持",
        ("noted", Lang::Zh) => "注意到",
        (_, Lang::En) => "no position",
        (_, Lang::Zh) => "无立场",
    }
}

/// "A/HRC/40/6, para. 28.12 (Sweden, Norway)".
fn reference(r: &RecommendationFollowUp, lang: Lang) -> String {
    let rec = &r.recommendation;
    let mut s = rec.document_symbol.clone().unwrap_or_else(|| format!("{} {}", rec.mechanism, rec.session));
    if let Some(p) = &rec.paragraph {
        s.push_str(&match lang {
            Lang::En => format!(", para. {p}"),
            Lang::Zh => format!("，第{p}段"),
        });
    }
    if !rec.recommending_states.is_empty() {
        s.push_str(&format!(" ({})", rec.recommending_states.join(", ")));
    }
    s
}

/// What a committee member or a State is likely to ask next on a theme: the recommendations
/// the State noted (not accepted), then those made by several States at once.
fn likely_questions<'a>(recs: &[&'a RecommendationFollowUp]) -> Vec<&'a RecommendationFollowUp> {
    let mut noted: Vec<&RecommendationFollowUp> =
        recs.iter().copied().filter(|r| r.recommendation.response.as_deref() == Some("noted")).collect();
    let mut repeated: Vec<&RecommendationFollowUp> = recs
        .iter()
        .copied()
        .filter(|r| r.recommendation.response.as_deref() != Some("noted") && r.recommendation.recommending_states.len() > 1)
        .collect();
    repeated.sort_by_key(|r| std::cmp::Reverse(r.recommendation.recommending_states.len()));
    noted.truncate(3);
    repeated.truncate(2);
    noted.extend(repeated);
    noted
}

fn quote(text: &str, lang: Lang) -> String {
    const MAX: usize = 240;
    let short: String = text.chars().take(MAX).collect();
    let short = if text.chars().count() > MAX { format!("{}…", short.trim_end()) } else { short };
    match lang {
        Lang::En => format!("“{short}”"),
        Lang::Zh => format!("“{short}”"),
    }
}

/// The briefing book for the delegation: per list-of-issues question, per UPR cluster of the
/// latest cycle and per paragraph of the latest concluding observations.
pub async fn briefing(store: &Store, lang: Lang) -> Result<Document, ReportError> {
    let t = |en: &str, zh: &str| lang.pick(en, zh).to_string();
    let h = holdings(store).await?;
    let mut d = Document::new(t("Briefing book for the delegation (draft)", "代表团简报（草稿）"), lang);
    d.numbered(t(
        "For each question of the list of issues, each cluster of recommendations of the latest Universal Periodic Review and each paragraph of the latest concluding observations: the latest figures with their direction and breakdowns, the measures, the follow-up recorded, and the questions likely to follow from what other States and bodies recommended on the same theme. Figures are national and published; sources are under each table.",
        "针对问题清单的每个问题、最近一轮普遍定期审议的每组建议以及最近一次结论性意见的每一段：最新数据及其变化方向和分类情况、所采取的措施、已记录的落实情况，以及根据其他国家和机构在同一主题上所提建议可能提出的后续问题。数据均为已发布的全国数据，来源见各表下方。",
    ));
    let mut table_no = 0;
    d.heading(1, t("I. List of issues", "一、问题清单"));
    match &h.list {
        None => d.numbered(t("No list of issues has been imported.", "尚未导入问题清单。")),
        Some(list) => {
            d.numbered(match lang {
                Lang::En => format!("List of issues {}: {} questions.", list.symbol, list.questions.len()),
                Lang::Zh => format!("问题清单{}：共{}个问题。", list.symbol, list.questions.len()),
            });
            for q in &list.questions {
                let a = h.answer(q, lang);
                d.heading(
                    2,
                    match lang {
                        Lang::En => format!("Paragraph {}", q.paragraph),
                        Lang::Zh => format!("第{}段", q.paragraph),
                    },
                );
                d.para(quote(h.question_text(q, lang), lang));
                briefing_body(&mut d, &h, &a.figures, &a.measures, &a.recs, &mut table_no, lang, &format!("{}", q.paragraph));
                if !a.wanting.is_empty() {
                    d.numbered(match lang {
                        Lang::En => format!("Not published: {}. Expect to be asked when it will be.", a.wanting.join("; ")),
                        Lang::Zh => format!("尚未发布：{}。委员会可能询问何时发布。", a.wanting.join("；")),
                    });
                }
            }
        }
    }
    d.heading(
        1,
        match (lang, h.upr_cycle) {
            (Lang::En, Some(c)) => format!("II. Universal Periodic Review, cycle {c}, by theme"),
            (Lang::Zh, Some(c)) => format!("二、第{c}轮普遍定期审议（按主题）"),
            (Lang::En, None) => "II. Universal Periodic Review".into(),
            (Lang::Zh, None) => "二、普遍定期审议".into(),
        },
    );
    let upr: Vec<&RecommendationFollowUp> = h.recs.iter().filter(|r| r.recommendation.mechanism == "UPR").collect();
    if upr.is_empty() {
        d.numbered(t("The recommendations register holds no UPR recommendation.", "建议登记库中没有普遍定期审议建议。"));
    }
    for c in &h.clusters {
        let mine: Vec<&RecommendationFollowUp> = upr.iter().copied().filter(|r| r.recommendation.clusters.contains(&c.code)).collect();
        if mine.is_empty() {
            continue;
        }
        d.heading(2, lang.pick(&c.name_en, &c.name_zh));
        let count = |p: &str| mine.iter().filter(|r| r.recommendation.response.as_deref() == Some(p)).count();
        d.numbered(match lang {
            Lang::En => format!(
                "{} recommendations: {} supported, {} supported in part, {} noted.",
                mine.len(),
                count("supported"),
                count("supported_in_part"),
                count("noted")
            ),
            Lang::Zh => format!(
                "共{}条建议：支持{}条，部分支持{}条，注意到{}条。",
                mine.len(),
                count("supported"),
                count("supported_in_part"),
                count("noted")
            ),
        });
        // The figures: the indicators linked to the cluster's recommendations that measure what
        // they ask (by name, as for the list of issues).
        let linked: BTreeSet<&str> = mine.iter().flat_map(|r| r.evidence.iter().map(|e| e.indicator.as_str())).collect();
        let figures: Vec<Figure> = linked.iter().filter_map(|c| h.indicators.get(*c)).flat_map(|i| h.figures(i, lang)).collect();
        let measures: BTreeSet<&str> = mine.iter().flat_map(|r| r.measures.iter().map(|m| m.code.as_str())).collect();
        let measures: Vec<&MeasureRow> = h.measures.iter().filter(|m| measures.contains(m.measure.code.as_str())).collect();
        briefing_body(&mut d, &h, &figures, &measures, &mine, &mut table_no, lang, lang.pick(&c.name_en, &c.name_zh));
        let statuses: BTreeMap<&str, usize> = mine.iter().fold(BTreeMap::new(), |mut m, r| {
            *m.entry(r.status.as_deref().unwrap_or("not_assessed")).or_default() += 1;
            m
        });
        d.numbered(match lang {
            Lang::En => format!(
                "Assessments recorded: {}.",
                statuses.iter().map(|(s, n)| format!("{} {n}", s.replace('_', " "))).collect::<Vec<_>>().join(", ")
            ),
            Lang::Zh => {
                format!("已记录的评估：{}。", statuses.iter().map(|(s, n)| format!("{}{n}条", status_zh(s))).collect::<Vec<_>>().join("，"))
            }
        });
    }
    d.heading(1, t("III. Concluding observations", "三、结论性意见"));
    let cos: Vec<&RecommendationFollowUp> = h.recs.iter().filter(|r| r.recommendation.mechanism == "CESCR").collect();
    let latest = cos.iter().filter_map(|r| r.recommendation.document_symbol.as_deref()).max();
    let mut cos: Vec<&RecommendationFollowUp> =
        cos.iter().copied().filter(|r| r.recommendation.document_symbol.as_deref() == latest).collect();
    cos.sort_by_key(|r| r.recommendation.paragraph.as_deref().and_then(|p| p.parse::<u32>().ok()));
    if cos.is_empty() {
        d.numbered(t(
            "The recommendations register holds no concluding observations of the Committee.",
            "建议登记库中没有委员会的结论性意见。",
        ));
    }
    for r in cos {
        d.heading(2, reference(r, lang));
        d.para(quote(&r.recommendation.text, lang));
        let figures: Vec<Figure> =
            r.evidence.iter().filter_map(|e| h.indicators.get(&e.indicator)).flat_map(|i| h.figures(i, lang)).collect();
        for f in &figures {
            d.numbered(figure_sentence(f, lang));
        }
        d.numbered(match (lang, r.status.as_deref()) {
            (Lang::En, Some(s)) => format!("Follow-up recorded: {}.", s.replace('_', " ")),
            (Lang::Zh, Some(s)) => format!("已记录的落实情况：{}。", status_zh(s)),
            (Lang::En, None) => "No follow-up recorded yet: the lead department should assess it before the dialogue.".into(),
            (Lang::Zh, None) => "尚未记录落实情况：牵头部门应在对话前作出评估。".into(),
        });
    }
    Ok(d)
}

fn status_zh(s: &str) -> &str {
    match s {
        "implemented" => "已落实",
        "partially_implemented" => "部分落实",
        "in_progress" => "正在落实",
        "not_implemented" => "未落实",
        "not_assessed" => "未评估",
        other => other,
    }
}

#[allow(clippy::too_many_arguments)]
fn briefing_body(
    d: &mut Document,
    h: &Holdings,
    figures: &[Figure],
    measures: &[&MeasureRow],
    recs: &[&RecommendationFollowUp],
    table_no: &mut usize,
    lang: Lang,
    what: &str,
) {
    if figures.is_empty() {
        d.numbered(lang.pick("No published figure on this subject.", "这一主题尚无已发布数据。"));
    } else {
        *table_no += 1;
        let caption = match lang {
            Lang::En => format!("Table {table_no}. Latest figures: {what}"),
            Lang::Zh => format!("表{table_no} 最新数据：{what}"),
        };
        d.table(figures_table(figures, h, caption, lang));
    }
    if !measures.is_empty() {
        let names: Vec<&str> = measures.iter().map(|m| lang.pick(&m.measure.name_en, &m.measure.name_zh)).collect();
        d.numbered(match lang {
            Lang::En => format!("Measures: {}.", names.join("; ")),
            Lang::Zh => format!("措施：{}。", names.join("；")),
        });
    }
    let likely = likely_questions(recs);
    if !likely.is_empty() {
        d.numbered(
            lang.pick("Likely follow-up questions, from the recommendations on this theme:", "根据这一主题的建议，可能提出的后续问题："),
        );
        for r in likely {
            d.para(match lang {
                Lang::En => format!("— {} [{}, {}]", quote(&r.recommendation.text, lang), reference(r, lang), position(r, lang)),
                Lang::Zh => format!("——{}［{}，{}］", quote(&r.recommendation.text, lang), reference(r, lang), position(r, lang)),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn demo() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::connect(&rightstat_store::testing::fresh_sqlite_url(dir.path())).await.unwrap();
        s.seed_reference().await.unwrap();
        s.load_demo().await.unwrap();
        s.load_demo_follow_up().await.unwrap();
        (dir, s)
    }

    /// The replies to the demonstration list: each with the figures that answer it and no
    /// other, their sources, the breakdowns asked for beside those published, the measures
    /// once, and the length counted against the limit.
    #[tokio::test]
    async fn replies_answer_each_question_from_the_data() {
        let (_d, s) = demo().await;
        let (doc, findings) = replies(&s, Lang::En).await.unwrap();
        let md = crate::render::markdown(&doc);
        let reply = |n: usize| -> String {
            let start = md.find(&format!("Reply to paragraph {n} of")).unwrap();
            let end = md[start + 10..].find("Reply to paragraph").map_or(md.len(), |e| start + 10 + e);
            md[start..end].to_string()
        };
        // Paragraph 3 (dibao): both parts of the series, with the source, and the dibao measure.
        let p3 = reply(3);
        assert!(
            p3.contains(
                "Recipients of the minimum living guarantee (dibao) (rural): 3,620.8 (10,000 persons) in 2020, against 4,903.6 in 2015"
            ),
            "{p3}"
        );
        assert!(p3.contains("(urban): 805.1"), "{p3}");
        assert!(p3.contains("source: Ministry of Civil Affairs, 2020 Statistical Bulletin"), "{p3}");
        assert!(p3.contains("Minimum living guarantee (dibao). A means-tested cash transfer"), "{p3}");
        // Paragraph 4 (pension): not the medical insurance, whose name shares three words.
        let p4 = reply(4);
        assert!(p4.contains("Persons insured under the basic pension scheme"), "{p4}");
        assert!(!p4.contains("medical"), "{p4}");
        // Paragraph 5: the breakdowns asked and missing, said in the reply and listed for the author.
        let p5 = reply(5);
        assert!(
            p5.contains("Rural population below the national poverty line: 0 (10,000 persons) in 2020, against 5,575 in 2015 (improving"),
            "{p5}"
        );
        // The evaluation: the series measured against its benchmark.
        assert!(p5.contains(" Benchmark: 0 by 2020 (Outline of the 13th Five-Year Plan"), "{p5}");
        assert!(p5.contains("): the target is met."), "{p5}");
        assert!(p5.contains("those by sex, ethnic group, disability status, age group are not yet collected"), "{p5}");
        assert!(
            findings.iter().any(|f| f.check == "breakdown_missing" && f.message_en.starts_with("reply to paragraph 5")),
            "{findings:?}"
        );
        // A measure described once and referred to after (rural revitalisation: paragraphs 2 and 6).
        assert_eq!(md.matches("Rural revitalisation. The national strategy").count(), 1);
        assert!(reply(6).contains("Rural revitalisation: see paragraph"), "{}", reply(6));
        // Paragraph 8: nothing published answers it: said, and an action for the author.
        assert!(reply(8).contains("No national figure is published yet for: Infant mortality rate; Maternal mortality ratio"));
        assert!(findings.iter().any(|f| f.check == "reply_without_data" && f.message_en.starts_with("reply to paragraph 8")));
        // The general question on breakdowns: what the published figures give, breakdown by breakdown.
        assert!(reply(1).contains("indicators with published national figures,"), "{}", reply(1));
        // The length: per reply and in all, against 10,700.
        let crate::doc::Block::Table(t) = doc.blocks.last().unwrap() else { panic!() };
        assert_eq!(t.rows.len(), 9);
        let sum: usize = t.rows[..8].iter().map(|r| r[1].replace(',', "").parse::<usize>().unwrap()).sum();
        assert_eq!(t.rows[8][1].replace(',', "").parse::<usize>().unwrap(), sum);
        assert!(md.contains(&format!("The replies run to {} words, within the 10,700 words", crate::annex::number(sum as f64))), "{md}");
        // In Chinese: the Chinese question and Chinese figures.
        let (zh, _) = replies(&s, Lang::Zh).await.unwrap();
        let zh = crate::render::markdown(&zh);
        assert!(zh.contains("问题：请提供过去五年中每年城市和农村最低生活保障对象人数"), "{zh}");
        assert!(zh.contains("最低生活保障人数（农村）：2020年为3,620.8（万人），2015年为4,903.6"), "{zh}");
    }

    #[tokio::test]
    async fn the_briefing_book_covers_the_list_the_review_and_the_observations() {
        let (_d, s) = demo().await;
        let md = crate::render::markdown(&briefing(&s, Lang::En).await.unwrap());
        assert!(md.contains("## I. List of issues") && md.contains("### Paragraph 8"), "{md}");
        assert!(md.contains("## II. Universal Periodic Review, cycle 3, by theme"), "{md}");
        assert!(md.contains("### Poverty reduction and an adequate standard of living"), "{md}");
        assert!(md.contains("Likely follow-up questions, from the recommendations on this theme:"), "{md}");
        // Noted recommendations come first among the likely questions, with their reference.
        assert!(md.contains("A/HRC/40/6, para. 28.") && md.contains(", noted\\]"), "{md}");
        assert!(md.contains("## III. Concluding observations"), "{md}");
        let zh = crate::render::markdown(&briefing(&s, Lang::Zh).await.unwrap());
        assert!(zh.contains("## 一、问题清单") && zh.contains("## 二、第3轮普遍定期审议（按主题）"), "{zh}");
    }

    #[tokio::test]
    async fn without_a_list_the_replies_say_how_to_import_one() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::connect(&rightstat_store::testing::fresh_sqlite_url(dir.path())).await.unwrap();
        s.seed_reference().await.unwrap();
        let (d, _) = replies(&s, Lang::En).await.unwrap();
        assert!(d.text().contains("rightstat dialogue import"));
    }
}
