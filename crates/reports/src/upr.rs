//! The UPR national report and the mid-term report's matrix, from the recommendations register:
//! for the latest cycle of the State's review, what was recommended, the State's position, the
//! measures taken and the evidence the statistics give (baseline at the review, latest figure,
//! trend), with the breakdowns asked for and still missing.

use crate::annex::number;
use crate::doc::{Document, Table};
use crate::{Lang, ReportError};
use rightstat_core::recommendation::Trend;
use rightstat_store::follow_up::{Evidence, RecommendationFollowUp};
use rightstat_store::recommendations::RecommendationFilter;
use rightstat_store::{Store, Visibility};
use std::collections::{BTreeMap, BTreeSet};

/// The State's UPR recommendations of its latest cycle in the register, with their follow-up.
async fn latest_cycle(store: &Store) -> Result<(Option<i64>, Vec<RecommendationFollowUp>), ReportError> {
    let all = store.find_recommendations(&RecommendationFilter { mechanism: Some("UPR".into()), ..Default::default() }).await?;
    let cycle = all.iter().filter_map(|r| r.cycle).max();
    let f = RecommendationFilter { mechanism: Some("UPR".into()), cycle, ..Default::default() };
    Ok((cycle, store.follow_up(&f, &Visibility::Published, true).await?))
}

fn trend_word(t: Trend, lang: Lang) -> &'static str {
    match (t, lang) {
        (Trend::Improving, Lang::En) => "improving",
        (Trend::Worsening, Lang::En) => "worsening",
        (Trend::NoChange, Lang::En) => "no change",
        (Trend::Changed, Lang::En) => "changed",
        (Trend::NoData, Lang::En) => "no data since the review",
        (Trend::Improving, Lang::Zh) => "改善",
        (Trend::Worsening, Lang::Zh) => "恶化",
        (Trend::NoChange, Lang::Zh) => "无变化",
        (Trend::Changed, Lang::Zh) => "有变化",
        (Trend::NoData, Lang::Zh) => "审议后无数据",
    }
}

/// "Rural poor population: 8,249 (2013) → 0 (2020), improving".
fn evidence_line(e: &Evidence, lang: Lang) -> String {
    let name = lang.pick(&e.label_en, &e.label_zh);
    match (&e.baseline, &e.latest) {
        (Some(b), Some(l)) => {
            format!("{name}: {} ({}) → {} ({}), {}", number(b.value), b.period, number(l.value), l.period, trend_word(e.trend, lang))
        }
        _ => format!("{name}: {}", trend_word(Trend::NoData, lang)),
    }
}

fn position(r: &RecommendationFollowUp, lang: Lang) -> String {
    let p = r.recommendation.response.as_deref().unwrap_or("");
    match (p, lang) {
        ("supported", Lang::En) => "supported".into(),
        ("supported_in_part", Lang::En) => "supported in part".into(),
        ("noted", Lang::En) => "noted".into(),
        ("supported", Lang::Zh) => "支持".into(),
        ("supported_in_part", Lang::Zh) => "部分支持".into(),
        ("noted", Lang::Zh) => "注意到".into(),
        (_, Lang::En) => "no position recorded".into(),
        (_, Lang::Zh) => "未记录立场".into(),
    }
}

/// The national report for the next review.
pub async fn national_report(store: &Store, lang: Lang) -> Result<Document, ReportError> {
    let t = |en: &str, zh: &str| lang.pick(en, zh).to_string();
    let (cycle, recs) = latest_cycle(store).await?;
    let (clusters, _) = rightstat_core::reference::clusters();
    let mut d = Document::new(t("Draft national report for the Universal Periodic Review", "普遍定期审议国家报告(草稿)"), lang);
    d.heading(1, t("I. Methodology and consultation", "一、报告编写方法和磋商过程"));
    let supported = recs.iter().filter(|r| r.recommendation.response.as_deref().is_some_and(|p| p.starts_with("supported"))).count();
    let session = recs.first().map(|r| r.recommendation.session.clone()).unwrap_or_default();
    let year = recs.iter().filter_map(|r| r.recommendation.year).max().map(|y| y.to_string()).unwrap_or_default();
    d.numbered(match (lang, cycle) {
        (Lang::En, Some(c)) => format!(
            "This report follows up the {} recommendations received in the {} cycle of the review (session {session}, {year}), of which {supported} were supported. It was drafted from the recommendations register, the measures register and the published statistics; each ministry responsible for a recommendation recorded its assessment.",
            recs.len(),
            ordinal(c)
        ),
        (Lang::Zh, Some(c)) => format!(
            "本报告介绍第{c}轮审议(第{session}届会议,{year}年)所获{}条建议的落实情况,其中{supported}条得到支持。报告依据建议登记库、措施登记库和已发布统计数据起草;各建议的牵头部门记录了评估意见。",
            recs.len()
        ),
        (_, None) => t("The recommendations register holds no UPR recommendation yet.", "建议登记库中尚无普遍定期审议建议。"),
    });
    // Each series' evaluation (benchmark, retrogression with the department's answer), by
    // indicator and cell, to stand beside its evidence.
    let evaluation = store.series_evaluations(&Visibility::Published).await?;
    d.heading(1, t("II. Follow-up to the recommendations of the previous review", "二、上一轮审议所提建议的落实情况"));
    for c in &clusters {
        let mine: Vec<&RecommendationFollowUp> = recs.iter().filter(|r| r.recommendation.clusters.contains(&c.code)).collect();
        if mine.is_empty() {
            continue;
        }
        d.heading(2, lang.pick(&c.name_en, &c.name_zh));
        let sup = mine.iter().filter(|r| r.recommendation.response.as_deref().is_some_and(|p| p.starts_with("supported"))).count();
        let measures: BTreeMap<&str, &str> =
            mine.iter().flat_map(|r| r.measures.iter()).map(|m| (m.code.as_str(), lang.pick(&m.name_en, &m.name_zh))).collect();
        d.numbered(match lang {
            Lang::En => format!("{} recommendations concerned this subject ({sup} supported).", mine.len()),
            Lang::Zh => format!("共有{}条建议涉及这一主题(其中{sup}条得到支持)。", mine.len()),
        });
        if !measures.is_empty() {
            let names: Vec<&str> = measures.values().copied().collect();
            d.numbered(match lang {
                Lang::En => format!("Measures taken: {}.", names.join("; ")),
                Lang::Zh => format!("所采取的措施:{}。", names.join(";")),
            });
        }
        let mut seen = BTreeSet::new();
        for e in mine.iter().flat_map(|r| r.evidence.iter()) {
            if seen.insert(e.indicator.clone()) {
                let judged =
                    evaluation.get(&(e.indicator.clone(), e.cell.clone())).and_then(|x| crate::dialogue::evaluation_words(x, lang));
                d.numbered(format!(
                    "{}{}",
                    evidence_line(e, lang),
                    judged.map_or(String::new(), |w| format!("{}{w}", lang.pick(".", "。")))
                ));
            }
        }
        let missing: BTreeSet<&str> =
            mine.iter().flat_map(|r| r.evidence.iter()).flat_map(|e| e.breakdowns_missing.iter().map(String::as_str)).collect();
        if !missing.is_empty() {
            let list: Vec<&str> = missing.into_iter().collect();
            d.numbered(match lang {
                Lang::En => format!("Figures broken down by {} were asked for and are not yet available.", list.join(", ")),
                Lang::Zh => format!("建议要求按{}分列的数据尚不可得。", list.join("、")),
            });
        }
    }
    Ok(d)
}

/// The mid-term report's matrix: recommendation | position | themes | assessment with evidence.
pub async fn midterm(store: &Store, lang: Lang) -> Result<Document, ReportError> {
    let t = |en: &str, zh: &str| lang.pick(en, zh).to_string();
    let (cycle, recs) = latest_cycle(store).await?;
    let (clusters, _) = rightstat_core::reference::clusters();
    let mut d = Document::new(
        t("Draft mid-term report: implementation of the UPR recommendations", "中期报告(草稿):普遍定期审议建议落实情况"),
        lang,
    );
    d.numbered(match (lang, cycle) {
        (Lang::En, Some(c)) => format!("The matrix lists each of the {} recommendations of the {} cycle, the State's position, its themes, and the latest assessment beside the evidence of the statistics.", recs.len(), ordinal(c)),
        (Lang::Zh, Some(c)) => format!("下表列出第{c}轮审议的全部{}条建议、国家立场、主题,以及最新评估和统计证据。", recs.len()),
        (_, None) => t("The recommendations register holds no UPR recommendation yet.", "建议登记库中尚无普遍定期审议建议。"),
    });
    let rows = recs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let rec = &r.recommendation;
            let who = if rec.recommending_states.is_empty() { String::new() } else { format!(" ({})", rec.recommending_states.join(", ")) };
            let themes: Vec<&str> = rec
                .clusters
                .iter()
                .filter_map(|c| clusters.iter().find(|x| &x.code == c))
                .map(|c| lang.pick(&c.name_en, &c.name_zh))
                .collect();
            let mut assessment: Vec<String> = Vec::new();
            if let Some(a) = r.assessments.iter().filter(|a| a.assessor == "government").max_by(|a, b| a.assessed_on.cmp(&b.assessed_on)) {
                assessment.push(format!("{} ({}): {}", a.status, a.assessed_on, a.text));
            } else if let Some(s) = &r.status {
                assessment.push(s.clone());
            }
            assessment.extend(r.evidence.iter().map(|e| evidence_line(e, lang)));
            if assessment.is_empty() {
                assessment.push(t("not yet assessed", "尚未评估"));
            }
            vec![format!("{}", i + 1), format!("{}{who}", rec.text), position(r, lang), themes.join("; "), assessment.join(" | ")]
        })
        .collect();
    d.table(Table {
        caption: t("Matrix of recommendations", "建议落实情况表"),
        header: vec![
            t("No.", "序号"),
            t("Recommendation (recommending States)", "建议(提出国)"),
            t("Position", "立场"),
            t("Themes", "主题"),
            t("Assessment and evidence", "评估和证据"),
        ],
        rows,
        unit: None,
        source: Some(t(
            "RightStat recommendations register (UPR Info database of recommendations), measures register and published statistics",
            "RightStat建议登记库(UPR Info建议数据库)、措施登记库和已发布统计数据",
        )),
        notes: vec![],
    });
    Ok(d)
}

fn ordinal(n: i64) -> String {
    match n {
        1 => "first".into(),
        2 => "second".into(),
        3 => "third".into(),
        4 => "fourth".into(),
        n => format!("{n}th"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_demo_upr_reports() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::connect(&rightstat_store::testing::fresh_sqlite_url(dir.path())).await.unwrap();
        s.seed_reference().await.unwrap();
        s.load_demo().await.unwrap();
        s.load_demo_follow_up().await.unwrap();
        let d = national_report(&s, Lang::En).await.unwrap();
        let text = d.text();
        // The latest review the data hold: the third (OHCHR's matrix of A/HRC/40/6).
        assert!(text.contains("374 recommendations received in the third cycle of the review (session 31, 2018)"), "{text}");
        // Evidence since that review (2018).
        assert!(text.contains("Rural population below the national poverty line: 1,660 (2018) → 0 (2020), improving"), "{text}");
        let m = midterm(&s, Lang::En).await.unwrap();
        let crate::doc::Block::Table(t) = &m.blocks[1] else { panic!("{:?}", m.blocks[1]) };
        assert_eq!(t.rows.len(), 374);
        assert!(t.rows.iter().any(|r| r[2] == "noted") && t.rows.iter().any(|r| r[2] == "supported"));
        assert!(t.rows.iter().any(|r| r[4].contains("→")), "evidence beside the assessment");
        // A part is never shown as the whole: the urban income series says it is urban.
        let all: String = t.rows.iter().map(|r| r[4].clone()).collect::<Vec<_>>().join("\n");
        assert!(!all.contains("Per-capita disposable income:"), "the urban series labelled as the whole: {all}");
        assert!(!all.contains("|URBANISATION="), "a raw cell key: {all}");
        if all.contains("Per-capita disposable income") {
            assert!(all.contains("Per-capita disposable income (urban):"), "{all}");
        }
        // The evaluation stands beside the evidence: the benchmark of the 13th Five-Year Plan, met.
        assert!(text.contains("Benchmark: 0 by 2020 (Outline of the 13th Five-Year Plan"), "{text}");
        let zh = national_report(&s, Lang::Zh).await.unwrap();
        assert!(zh.text().contains("第3轮审议"), "{}", zh.text());
    }
}
