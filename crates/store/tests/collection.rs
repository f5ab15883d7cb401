//! A collection round over the real counties of Hebei, end to end, on SQLite and PostgreSQL:
//! create and open, templates, a blocking finding, a return, corrections, approval, figures
//! rolled up to the nation, completeness.

use rightstat_core::round::{RoundSpec, TaskStatus};
use rightstat_store::{Actor, ImportOptions, ObservationFilter, Store, Visibility, testing};

const SPEC: &str = r#"
code = "POV-2023"
title_en = "Annual poverty statistics 2023"
title_zh = "2023年度贫困统计"
periods = ["2023"]
deadline = "2099-03-31"
lead_department = "NBS"

[[item]]
indicator = "CN_RURAL_POOR_POP"
guidance_en = "Persons in households below the national rural poverty line, in 10,000 persons."
guidance_zh = "家庭人均收入低于国家农村贫困标准的人口,单位:万人。"

[[item]]
indicator = "CN_RURAL_POP_MONITORED"

[[item]]
indicator = "SI_POV_NAHC"

[[assignment]]
department = "NBS"
area = "13"
level = "county"
"#;

/// A county's return: poor population (with the sex breakdown), population monitored, incidence
/// (with the rural/urban breakdown).
fn county_file(area: &str, poor: f64, f: f64, monitored: f64, incidence: f64) -> Vec<u8> {
    format!(
        "indicator,area,period,SEX,URBANISATION,value\n\
         CN_RURAL_POOR_POP,{area},2023,_T,,{poor}\nCN_RURAL_POOR_POP,{area},2023,F,,{f}\nCN_RURAL_POOR_POP,{area},2023,M,,{m}\n\
         CN_RURAL_POP_MONITORED,{area},2023,_T,,{monitored}\n\
         SI_POV_NAHC,{area},2023,_T,_T,{incidence}\nSI_POV_NAHC,{area},2023,_T,R,{incidence}\nSI_POV_NAHC,{area},2023,_T,U,0\n",
        m = poor - f
    )
    .into_bytes()
}

fn opts(name: &str, who: &str) -> ImportOptions {
    let mut o = ImportOptions::new(name, rightstat_store::formats::Format::Csv);
    o.actor = Actor::new(who, None);
    o
}

async fn value(s: &Store, ind: &str, area: &str) -> Option<f64> {
    let f = ObservationFilter { indicators: vec![ind.into()], area: Some(area.into()), visibility: Visibility::All, ..Default::default() };
    s.observations(&f)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.area == area && o.period == "2023" && o.cell_key.is_empty())
        .and_then(|o| o.value)
}

#[tokio::test]
async fn a_round_over_the_counties_of_hebei() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let s = Store::connect(&url).await.unwrap();
        s.seed_reference().await.unwrap();
        let lead = Actor::new("admin", None);
        let spec: RoundSpec = toml::from_str(SPEC).unwrap();
        let round = s.create_round(&spec, &lead).await.unwrap();
        let tasks = s.tasks(round, None, None).await.unwrap();
        let counties = s.descendants("13", rightstat_core::area::AreaLevel::County, None).await.unwrap().len();
        assert_eq!(tasks.len(), counties, "one task per county of Hebei");
        assert!(counties > 150);
        assert!(s.tasks(round, None, Some(&["1301".to_string()])).await.unwrap().iter().all(|t| t.area_code.starts_with("1301")));

        let task = |area: &str| tasks.iter().find(|t| t.area_code == area).unwrap().id;
        let (a, b) = (task("130102"), task("130104"));
        // Not open yet.
        assert!(s.submit(a, county_file("130102", 12.0, 6.0, 200.0, 6.0), opts("a.csv", "reporter"), "", false).await.is_err());
        s.open_round(round, &lead).await.unwrap();

        let template = s.task_template_csv(a).await.unwrap();
        assert!(template.starts_with("indicator,area,period,SEX,URBANISATION,value,unit_mult,footnote"), "{template}");
        assert!(
            template.contains("CN_RURAL_POOR_POP,130102,2023,F,,,4,") && template.contains("SI_POV_NAHC,130102,2023,_T,R,,0,"),
            "{template}"
        );
        let xlsx = s.task_template_xlsx(a).await.unwrap();
        assert_eq!(&xlsx[..2], b"PK", "an xlsx (zip) workbook");

        // A blocking finding: 12 / 200 × 100 = 6, not 9. Nothing is saved.
        let bad = s.submit(a, county_file("130102", 12.0, 6.0, 200.0, 9.0), opts("a.csv", "reporter"), "", false).await.unwrap();
        assert!(bad.validation.has_errors() && bad.import.is_none());
        assert!(
            bad.validation.findings.iter().any(|f| f.rule == "incidence-agrees-with-counts" && f.row == Some(2)),
            "{:#?}",
            bad.validation
        );
        assert_eq!(s.task(a).await.unwrap().unwrap().status, "not_started");
        assert_eq!(value(&s, "CN_RURAL_POOR_POP", "130102").await, None);
        // Another county's rows in this task's file: refused with their place.
        let foreign = s.submit(a, county_file("130104", 12.0, 6.0, 200.0, 6.0), opts("x.csv", "reporter"), "", true).await.unwrap();
        assert!(foreign.validation.row_errors.iter().any(|e| e.column == "area" && e.row == 2), "{:#?}", foreign.validation.row_errors);

        // Dry run, then the real submission.
        let dry = s.submit(a, county_file("130102", 12.0, 6.0, 200.0, 6.0), opts("a.csv", "reporter"), "", true).await.unwrap();
        assert!(!dry.validation.has_errors() && dry.import.is_none() && dry.dry_run);
        let ok = s.submit(a, county_file("130102", 12.0, 6.0, 200.0, 6.0), opts("a.csv", "reporter"), "", false).await.unwrap();
        assert_eq!(ok.status, "submitted", "{:#?}", ok.validation);
        // The reviewer returns it with a comment; the county corrects and resubmits.
        assert!(s.review(a, false, "", &Actor::new("reviewer", None)).await.is_err(), "a return needs a comment");
        let (st, _) =
            s.review(a, false, "the female count looks low: check against the registry", &Actor::new("reviewer", None)).await.unwrap();
        assert_eq!(st, TaskStatus::Returned);
        s.submit(a, county_file("130102", 12.0, 6.5, 200.0, 6.0), opts("a2.csv", "reporter"), "corrected from the registry", false)
            .await
            .unwrap();
        let (st, rolled) = s.review(a, true, "", &Actor::new("reviewer", None)).await.unwrap();
        assert_eq!(st, TaskStatus::Approved);
        let rolled = rolled.unwrap();
        assert_eq!(rolled.areas, 3, "prefecture, province, nation: {rolled:?}");
        for area in ["1301", "13", "CN"] {
            assert_eq!(value(&s, "CN_RURAL_POOR_POP", area).await, Some(12.0), "{area}");
            assert_eq!(value(&s, "SI_POV_NAHC", area).await, Some(6.0), "ratio of the sums at {area}");
        }

        // A second county: the totals add up, the incidence is recomputed, not averaged.
        s.submit(b, county_file("130104", 30.0, 15.0, 300.0, 10.0), opts("b.csv", "reporter2"), "", false).await.unwrap();
        s.review(b, true, "", &Actor::new("reviewer", None)).await.unwrap();
        assert_eq!(value(&s, "CN_RURAL_POOR_POP", "CN").await, Some(42.0));
        assert_eq!(value(&s, "SI_POV_NAHC", "CN").await, Some(8.4), "42 / 500 × 100");
        let f = ObservationFilter {
            indicators: vec!["CN_RURAL_POOR_POP".into()],
            area: Some("13".into()),
            visibility: Visibility::All,
            ..Default::default()
        };
        let province = s.observations(&f).await.unwrap();
        let total = province.iter().find(|o| o.area == "13" && o.cell_key.is_empty()).unwrap();
        assert_eq!(total.provenance, "computation");
        assert_eq!(total.footnote, "sum of 1 of 11 prefecture areas (the others have not reported)", "both counties are in Shijiazhuang");
        let women = province.iter().find(|o| o.area == "13" && o.cell_key == "|SEX=F|").unwrap();
        assert_eq!(women.value, Some(21.5), "cells roll up too");

        // A county that reports only the sex breakdown: its total is derived from the cells.
        let c3 = task("130105");
        let only_cells = "indicator,area,period,SEX,URBANISATION,value\n\
                          CN_RURAL_POOR_POP,130105,2023,F,,3\nCN_RURAL_POOR_POP,130105,2023,M,,4\n\
                          CN_RURAL_POP_MONITORED,130105,2023,_T,,100\n\
                          SI_POV_NAHC,130105,2023,_T,_T,7\nSI_POV_NAHC,130105,2023,_T,R,7\nSI_POV_NAHC,130105,2023,_T,U,0\n";
        let sub = s.submit(c3, only_cells.as_bytes().to_vec(), opts("c.csv", "reporter3"), "", false).await.unwrap();
        assert_eq!(sub.status, "submitted", "{:#?}", sub.validation);
        s.review(c3, true, "", &Actor::new("reviewer", None)).await.unwrap();
        assert_eq!(value(&s, "CN_RURAL_POOR_POP", "130105").await, Some(7.0), "the county total, derived from its cells");
        assert_eq!(value(&s, "CN_RURAL_POOR_POP", "CN").await, Some(49.0));
        assert!((value(&s, "SI_POV_NAHC", "CN").await.unwrap() - 49.0 / 600.0 * 100.0).abs() < 1e-6);

        // Approved figures are locked: a correction needs a reason and is a revision.
        assert!(s.submit(b, county_file("130104", 31.0, 15.0, 300.0, 10.33), opts("b2.csv", "reporter2"), "", false).await.is_err());
        let c = s
            .submit(b, county_file("130104", 31.0, 15.0, 310.0, 10.0), opts("b2.csv", "reporter2"), "late registrations", false)
            .await
            .unwrap();
        assert_eq!(c.import.as_ref().unwrap().revised, 3, "{:?}", c.import);
        s.review(b, true, "", &Actor::new("reviewer", None)).await.unwrap();
        // The history of every value: who, when, what changed, why.
        let history = s.task_value_history(&s.task(b).await.unwrap().unwrap(), &s.task_events(b).await.unwrap()).await.unwrap();
        let total: Vec<_> = history.iter().filter(|c| c.indicator == "CN_RURAL_POOR_POP" && c.cell_key.is_empty()).collect();
        assert_eq!(total.len(), 2, "{history:#?}");
        assert_eq!((total[0].value, total[0].previous, total[0].recorded_by.as_str()), (Some(30.0), None, "reporter2"));
        assert_eq!((total[1].value, total[1].previous, total[1].reason.as_str()), (Some(31.0), Some(30.0), "late registrations"));
        assert!(total[0].recorded_at < total[1].recorded_at);
        let women = history.iter().filter(|c| c.indicator == "CN_RURAL_POOR_POP" && c.cell_key == "|SEX=F|").count();
        assert_eq!(women, 1, "an unchanged value is not a new revision");
        assert_eq!(value(&s, "CN_RURAL_POOR_POP", "CN").await, Some(50.0));
        let events = s.task_events(a).await.unwrap();
        assert_eq!(events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["submit", "return", "submit", "approve"]);
        assert_eq!(events[1].comment, "the female count looks low: check against the registry");

        // Technical advice: a question on an item, answered and promoted into the guidance for all.
        let q = s
            .ask_question(b, "SI_POV_NAHC", "Is the incidence for registered or resident population?", &Actor::new("reporter2", None))
            .await
            .unwrap();
        assert!(s.ask_question(b, "CN_DIBAO_STANDARD", "?", &Actor::new("reporter2", None)).await.is_err(), "not an item of the task");
        let ans = s.answer_question(q, "Resident rural population, as in the monitoring survey.", true, &lead).await.unwrap();
        assert_eq!((ans.answered_by.as_deref(), ans.promoted), (Some("admin"), 1));
        let guidance = s.round_guidance(round).await.unwrap();
        assert!(
            guidance["SI_POV_NAHC"].0.contains("Q: Is the incidence for registered or resident population? A: Resident rural population"),
            "{guidance:?}"
        );
        assert_eq!(s.round_questions(round).await.unwrap().len(), 1);

        assert!(s.overdue_tasks(round, "2099-03-31").await.unwrap().is_empty(), "not before the deadline has passed");
        let overdue = s.overdue_tasks(round, "2099-04-01").await.unwrap();
        assert_eq!(overdue.len(), counties - 3, "every county but the three that reported");
        assert!(overdue.iter().all(|t| t.area_code != "130102" && t.area_code != "130104"));

        let by = s.completeness(round, Some(rightstat_core::area::AreaLevel::Prefecture)).await.unwrap();
        let sjz = by.iter().find(|c| c.area == "1301").unwrap();
        assert_eq!((sjz.area_name.as_str(), sjz.completeness.received), ("石家庄市", 3), "the three counties are in Shijiazhuang");
        assert_eq!(by.iter().map(|c| c.completeness.expected as usize).sum::<usize>(), counties, "every task counted once");
        assert!(by.iter().filter(|c| c.area != "1301").all(|c| c.completeness.received == 0));
        // Closing: refused while a submission awaits review, then no more submissions.
        let waiting = task("130107");
        s.submit(waiting, county_file("130107", 2.0, 1.0, 50.0, 4.0), opts("w.csv", "reporter4"), "", false).await.unwrap();
        let e = s.close_round(round, &lead).await.unwrap_err().to_string();
        assert!(e.contains("1 submission(s) await review"), "{e}");
        s.review(waiting, false, "the incidence is for the wrong year", &Actor::new("reviewer", None)).await.unwrap();
        s.close_round(round, &lead).await.unwrap();
        assert_eq!(s.round("POV-2023").await.unwrap().unwrap().status, "closed");
        let e =
            s.submit(waiting, county_file("130107", 2.0, 1.0, 50.0, 4.0), opts("w.csv", "reporter4"), "fixed", false).await.unwrap_err();
        assert!(e.to_string().contains("is closed, not open"), "{e}");
        assert!(s.close_round(round, &lead).await.unwrap_err().to_string().contains("is closed, not open"));
        let c = s.completeness(round, None).await.unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].completeness.expected as usize, c[0].completeness.received, c[0].completeness.on_time), (counties, 3, 3));
        assert!(s.verify_audit().await.unwrap().broken.is_none());
    }
}

/// NBS (the survey) and NRRA (the registration of poor households) both report the rural poor
/// population of two counties; NBS is the preferred source.
const TWO_SOURCES: &str = r#"
code = "POV-2023-2SRC"
title_en = "Poverty 2023, two sources"
title_zh = "2023年贫困统计(两个来源)"
periods = ["2023"]
deadline = "2099-03-31"
lead_department = "NBS"

[[item]]
indicator = "CN_RURAL_POOR_POP"
preferred_department = "NBS"

[[item]]
indicator = "CN_RURAL_POP_MONITORED"

[[item]]
indicator = "SI_POV_NAHC"

[[assignment]]
department = "NBS"
area = "1301"
level = "county"

[[assignment]]
department = "NRRA"
area = "130102"
indicators = ["CN_RURAL_POOR_POP"]
"#;

fn poor_only(area: &str, f: f64, m: f64) -> Vec<u8> {
    format!(
        "indicator,area,period,SEX,value\nCN_RURAL_POOR_POP,{area},2023,_T,{t}\nCN_RURAL_POOR_POP,{area},2023,F,{f}\nCN_RURAL_POOR_POP,{area},2023,M,{m}\n",
        t = f + m
    )
    .into_bytes()
}

#[tokio::test]
async fn two_departments_drafts_and_unapproved_figures() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let s = Store::connect(&url).await.unwrap();
        s.seed_reference().await.unwrap();
        let lead = Actor::new("admin", None);
        let reviewer = Actor::new("reviewer", None);
        // Without a preferred source the official series would be ambiguous: refused.
        let mut spec: RoundSpec = toml::from_str(TWO_SOURCES).unwrap();
        spec.items[0].preferred_department = None;
        let e = s.create_round(&spec, &lead).await.unwrap_err().to_string();
        assert!(e.contains("CN_RURAL_POOR_POP for area 130102 is reported by NBS, NRRA") && e.contains("preferred_department"), "{e}");
        assert!(s.rounds().await.unwrap().is_empty(), "nothing half-created");

        let round = s.create_round(&toml::from_str(TWO_SOURCES).unwrap(), &lead).await.unwrap();
        s.open_round(round, &lead).await.unwrap();
        let tasks = s.tasks(round, None, None).await.unwrap();
        let task = |dept: &str, area: &str| tasks.iter().find(|t| t.department_code == dept && t.area_code == area).unwrap().clone();
        let (nbs, nrra) = (task("NBS", "130102"), task("NRRA", "130102"));
        assert_eq!((nrra.indicators.as_str(), nrra.second_source.as_str()), ("CN_RURAL_POOR_POP", "CN_RURAL_POOR_POP"));
        assert_eq!(nbs.second_source, "");

        // The second source's figures are kept apart: the official series is untouched.
        let sub = s.submit(nrra.id, poor_only("130102", 7.0, 7.0), opts("nrra.csv", "nrra"), "", false).await.unwrap();
        assert!(sub.accepted && sub.import.is_none(), "{sub:?}");
        assert_eq!(sub.second_source_values, 3);
        assert_eq!(value(&s, "CN_RURAL_POOR_POP", "130102").await, None);
        let d = s.discrepancies(round, None).await.unwrap();
        assert_eq!(d.len(), 3);
        assert!(d.iter().all(|d| d.preferred_value.is_none() && d.differs && d.other_status == "submitted"), "{d:#?}");
        // The form shows the second source its own figures.
        let mine = s.task_values(&s.task(nrra.id).await.unwrap().unwrap()).await.unwrap();
        assert_eq!(mine[&("CN_RURAL_POOR_POP".to_string(), "2023".to_string(), String::new())], 14.0);

        // The preferred source reports 12; both are approved; the nation counts NBS's figure.
        s.submit(nbs.id, county_file("130102", 12.0, 6.0, 200.0, 6.0), opts("nbs.csv", "nbs"), "", false).await.unwrap();
        s.review(nbs.id, true, "", &reviewer).await.unwrap();
        let (_, rolled) = s.review(nrra.id, true, "", &reviewer).await.unwrap();
        assert_eq!(rolled.unwrap().written, 0, "a second source changes no official figure");
        assert_eq!(value(&s, "CN_RURAL_POOR_POP", "CN").await, Some(12.0));
        let d = s.discrepancies(round, None).await.unwrap();
        let total = d.iter().find(|d| d.cell_key.is_empty()).unwrap();
        assert_eq!((total.preferred_value, total.other_value, total.difference), (Some(12.0), Some(14.0), Some(2.0)));
        assert!((total.difference_pct.unwrap() - 16.666_666).abs() < 1e-3);
        assert_eq!((total.preferred_department.as_str(), total.other_department.as_str()), ("NBS", "NRRA"));
        assert_eq!((total.preferred_status.as_str(), total.other_status.as_str()), ("approved", "approved"));
        assert!(d[0].differs && d[0].difference_pct.unwrap().abs() >= d[2].difference_pct.unwrap().abs(), "largest gap first: {d:#?}");
        assert!(s.discrepancies(round, Some(&["1302".to_string()])).await.unwrap().is_empty(), "scoped by area");

        // NRRA corrects its figures (with a reason): the total now agrees, the cells still differ.
        let c = s.submit(nrra.id, poor_only("130102", 5.0, 7.0), opts("nrra2.csv", "nrra"), "registry reconciled", false).await.unwrap();
        assert_eq!(c.second_source_values, 2, "the male cell is unchanged");
        let history = s.task_value_history(&nrra, &s.task_events(nrra.id).await.unwrap()).await.unwrap();
        let women: Vec<_> = history.iter().filter(|c| c.cell_key == "|SEX=F|").collect();
        assert_eq!(women.len(), 2, "{history:#?}");
        assert_eq!((women[1].previous, women[1].value, women[1].reason.as_str()), (Some(7.0), Some(5.0), "registry reconciled"));
        assert!(history.iter().all(|c| c.provenance == "second_source" && c.recorded_by == "nrra"), "{history:#?}");
        let d = s.discrepancies(round, None).await.unwrap();
        assert!(!d.iter().find(|d| d.cell_key.is_empty()).unwrap().differs);
        assert_eq!(d.iter().filter(|d| d.differs).count(), 2, "F 5 vs 6, M 7 vs 6");

        // Drafts: saved as typed, then replaced by the submission.
        let b = task("NBS", "130104");
        let mut draft = rightstat_store::drafts::TaskDraft::default();
        draft.values.insert("CN_RURAL_POOR_POP|2023|".into(), "30".into());
        draft.values.insert("CN_RURAL_POOR_POP|2023||SEX=F|".into(), "about 15".into());
        draft.comment = "still checking the women".into();
        s.save_draft(b.id, &draft, &Actor::new("nbs2", None)).await.unwrap();
        assert_eq!(s.task(b.id).await.unwrap().unwrap().status, "draft");
        let back = s.draft(b.id).await.unwrap().unwrap();
        assert_eq!(
            (back.values, back.comment.as_str(), back.saved_by.as_str()),
            (draft.values.clone(), "still checking the women", "nbs2")
        );
        let mut stray = draft.clone();
        stray.values.insert("CN_DIBAO_STANDARD|2023|".into(), "1".into());
        assert!(s.save_draft(b.id, &stray, &lead).await.is_err(), "not an item of the task");
        s.submit(b.id, county_file("130104", 30.0, 15.0, 300.0, 10.0), opts("b.csv", "nbs2"), "", false).await.unwrap();
        assert!(s.draft(b.id).await.unwrap().is_none(), "the submission replaces the draft");

        // A submission awaiting review never reaches a published total: approving another
        // county leaves 130104 out until it is approved itself.
        let c3 = task("NBS", "130105");
        s.submit(c3.id, county_file("130105", 7.0, 3.0, 100.0, 7.0), opts("c.csv", "nbs3"), "", false).await.unwrap();
        s.review(c3.id, true, "", &reviewer).await.unwrap();
        assert_eq!(value(&s, "CN_RURAL_POOR_POP", "CN").await, Some(19.0), "12 + 7, not the 30 awaiting review");
        s.review(b.id, true, "", &reviewer).await.unwrap();
        assert_eq!(value(&s, "CN_RURAL_POOR_POP", "CN").await, Some(49.0));
        assert!(s.save_draft(b.id, &draft, &lead).await.is_err(), "approved figures are locked");
        assert!(s.verify_audit().await.unwrap().broken.is_none());
    }
}

#[tokio::test]
async fn the_demo_round_opens_once() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let s = Store::connect(&url).await.unwrap();
        s.seed_reference().await.unwrap();
        let id = s.load_demo_round().await.unwrap();
        assert_eq!(s.load_demo_round().await.unwrap(), id, "loaded once");
        let round = s.round(&id.to_string()).await.unwrap().unwrap();
        assert_eq!(round.status, "open");
        let tasks = s.tasks(id, None, None).await.unwrap();
        let counties = s.descendants("13", rightstat_core::area::AreaLevel::County, None).await.unwrap().len();
        assert_eq!(tasks.len(), 3 * counties, "NBS, NRRA and MCA in every county");
        assert!(tasks.iter().filter(|t| t.department_code == "NRRA").all(|t| t.second_source == "CN_RURAL_POOR_POP"));
        assert!(tasks.iter().filter(|t| t.department_code != "NRRA").all(|t| t.second_source.is_empty()));
    }
}

/// A round that asks for the two counts but not the incidence computed from them.
const COUNTS_ONLY: &str = r#"
code = "POV-2023-COUNTS"
title_en = "Poverty counts 2023"
title_zh = "2023年贫困人口统计"
periods = ["2023"]
deadline = "2099-03-31"
lead_department = "NBS"

[[item]]
indicator = "CN_RURAL_POOR_POP"

[[item]]
indicator = "CN_RURAL_POP_MONITORED"

[[assignment]]
department = "NBS"
area = "1301"
level = "county"
"#;

/// The task's CSV template filled in as a user would in Excel: text as typed, figures as numbers.
fn filled_workbook(template: &str, values: &[(&str, &str, f64)], text_value: Option<(&str, &str)>) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("data").unwrap();
    let mut rows = csv::Reader::from_reader(template.as_bytes());
    let header: Vec<String> = rows.headers().unwrap().iter().map(String::from).collect();
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, h).unwrap();
    }
    let value_col = header.iter().position(|h| h == "value").unwrap();
    let sex_col = header.iter().position(|h| h == "SEX").unwrap();
    for (r, rec) in rows.records().enumerate() {
        let rec = rec.unwrap();
        let r = r as u32 + 1;
        for (c, v) in rec.iter().enumerate() {
            match v.parse::<f64>() {
                // Area codes, years and multipliers typed into Excel become numbers.
                Ok(n) => sheet.write_number(r, c as u16, n).unwrap(),
                Err(_) if v.is_empty() => sheet,
                Err(_) => sheet.write_string(r, c as u16, v).unwrap(),
            };
        }
        let (ind, sex) = (&rec[0], &rec[sex_col]);
        if let Some(v) = values.iter().find(|(i, s, _)| *i == ind && *s == sex) {
            sheet.write_number(r, value_col as u16, v.2).unwrap();
        }
        if let Some((i, s)) = text_value
            && i == ind
            && s == sex
        {
            sheet.write_string(r, value_col as u16, "about 5").unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

#[tokio::test]
async fn an_xlsx_template_filled_in_and_a_ratio_computed_from_its_terms() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let s = Store::connect(&url).await.unwrap();
        s.seed_reference().await.unwrap();
        let lead = Actor::new("admin", None);
        // A computed indicator defined by the lead department: monitored residents not poor.
        let mut not_poor = s.indicator("CN_RURAL_POP_MONITORED", None).await.unwrap().unwrap().indicator;
        not_poor.code = "X_RURAL_NOT_POOR".into();
        not_poor.aggregation = rightstat_core::Aggregation::Formula { expression: "CN_RURAL_POP_MONITORED - CN_RURAL_POOR_POP".into() };
        s.put_indicator(&not_poor, "computed for the annex", &lead).await.unwrap();
        let mut bad = not_poor.clone();
        bad.code = "X_BAD".into();
        bad.aggregation = rightstat_core::Aggregation::Formula { expression: "X_RURAL_NOT_POOR * 2".into() };
        let e = s.put_indicator(&bad, "a formula on a formula", &lead).await.unwrap_err().to_string();
        assert!(e.contains("X_RURAL_NOT_POOR is itself computed by a formula"), "{e}");
        let round = s.create_round(&toml::from_str(COUNTS_ONLY).unwrap(), &lead).await.unwrap();
        s.open_round(round, &lead).await.unwrap();
        let task = s.tasks(round, None, None).await.unwrap().into_iter().find(|t| t.area_code == "130102").unwrap();
        let template = s.task_template_csv(task.id).await.unwrap();
        let figures = [("CN_RURAL_POOR_POP", "_T", 9.0), ("CN_RURAL_POOR_POP", "F", 4.0), ("CN_RURAL_POOR_POP", "M", 5.0)];
        let mut all = figures.to_vec();
        all.push(("CN_RURAL_POP_MONITORED", "_T", 150.0));

        // Text where a figure belongs: refused, with the sheet's row and the column.
        let bad = filled_workbook(&template, &all, Some(("CN_RURAL_POOR_POP", "F")));
        let r = s.submit(task.id, bad, opts("130102.xlsx", "reporter"), "", false).await.unwrap();
        assert!(!r.accepted);
        let e = &r.validation.row_errors;
        assert!(e.len() == 1 && e[0].row == 3 && e[0].column == "value" && e[0].value == "about 5", "{e:#?}");
        assert!(e[0].to_string().contains("130102.xlsx"), "{}", e[0]);

        // A figure that breaks a rule: the finding names the row and the value's column.
        let mut wrong = all.clone();
        wrong[1].2 = 6.0; // women 6 + men 5 is not the total 9
        let r = s.submit(task.id, filled_workbook(&template, &wrong, None), opts("130102.xlsx", "reporter"), "", true).await.unwrap();
        let f = r.validation.findings.iter().find(|f| f.area == "130102" && f.row.is_some()).expect("a finding on a row");
        assert_eq!(f.column.as_deref(), Some("value"), "{f:#?}");

        let ok = s.submit(task.id, filled_workbook(&template, &all, None), opts("130102.xlsx", "reporter"), "", false).await.unwrap();
        assert_eq!(ok.status, "submitted", "{:#?}", ok.validation);
        s.review(task.id, true, "", &Actor::new("reviewer", None)).await.unwrap();
        assert_eq!(value(&s, "CN_RURAL_POOR_POP", "130102").await, Some(9.0));

        // The incidence was not asked for, but is computed from its terms where they are
        // known: at the county, and up to the nation.
        for area in ["130102", "1301", "13", "CN"] {
            assert_eq!(value(&s, "SI_POV_NAHC", area).await, Some(6.0), "9 / 150 × 100 at {area}");
            assert_eq!(value(&s, "X_RURAL_NOT_POOR", area).await, Some(141.0), "the formula at {area}");
        }
        let f = ObservationFilter { indicators: vec!["SI_POV_NAHC".into()], area: Some("130102".into()), ..Default::default() };
        let county = s.observations(&f).await.unwrap();
        let computed = county.iter().find(|o| o.area == "130102" && o.cell_key.is_empty()).unwrap();
        assert_eq!(computed.provenance, "computation");
        assert_eq!(computed.footnote, "computed as CN_RURAL_POOR_POP / CN_RURAL_POP_MONITORED × 100");
        assert_eq!(county.iter().filter(|o| o.area == "130102").count(), 1, "no sex cells: the monitored population has none");

        // Checking a file against the round from outside a task: an item not asked, a period
        // not of the round, an area with no task.
        let stray = "indicator,area,period,SEX,value\n\
                     CN_RURAL_POOR_POP,130104,2023,_T,5\n\
                     CN_DIBAO_RECIPIENTS,130104,2023,_T,5\n\
                     CN_RURAL_POOR_POP,130104,2022,_T,5\n\
                     CN_RURAL_POOR_POP,130202,2023,_T,5\n";
        let rr = s.round("POV-2023-COUNTS").await.unwrap().unwrap();
        let v = s.validate_for_round(&rr, stray.as_bytes().to_vec(), opts("stray.csv", "x"), &Default::default()).await.unwrap();
        let got: Vec<(u64, &str)> = v.row_errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(got, [(3, "indicator"), (4, "period"), (5, "area")], "{:#?}", v.row_errors);
        assert!(s.verify_audit().await.unwrap().broken.is_none());
    }
}

/// A county merged into another on 2021-01-01 still counts for 2018, and no longer for 2022:
/// the roll-up uses the hierarchy in force in each period.
#[tokio::test]
async fn the_roll_up_uses_the_hierarchy_in_force_in_each_period() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let s = Store::connect(&url).await.unwrap();
        s.seed_reference().await.unwrap();
        let system = Actor::system();
        let counties_now = s.children("1301", Some(("2022-01-01", "2022-12-31"))).await.unwrap().len();
        let merged = "code,name,parent,valid_from,valid_to\n130198,旧县甲,1301,,2020-12-31\n";
        s.import_areas(merged.as_bytes(), rightstat_core::area::AreaLevel::County, "merge.csv", &system).await.unwrap().unwrap();
        s.add_successor("130198", "130102", "2021-01-01", &system).await.unwrap();
        let file = "indicator,area,period,value\n\
                    CN_RURAL_POOR_POP,130198,2018,1\nCN_RURAL_POOR_POP,130102,2018,2\nCN_RURAL_POOR_POP,130102,2022,5\n";
        let r = s.import_observations(std::io::Cursor::new(file.as_bytes().to_vec()), opts("counties.csv", "nbs")).await.unwrap();
        s.publish_batch(r.batch_id.unwrap(), &system).await.unwrap();
        let codes = ["130198".to_string(), "130102".to_string()];
        s.roll_up(&["CN_RURAL_POOR_POP".into()], &["2018".into(), "2022".into()], &codes, &system).await.unwrap();
        let f = ObservationFilter { indicators: vec!["CN_RURAL_POOR_POP".into()], area: Some("1301".into()), ..Default::default() };
        let rows = s.observations(&f).await.unwrap();
        let at = |period: &str| rows.iter().find(|o| o.area == "1301" && o.period == period && o.cell_key.is_empty()).unwrap();
        assert_eq!(at("2018").value, Some(3.0));
        assert_eq!(at("2018").footnote, format!("sum of 2 of {} county areas (the others have not reported)", counties_now + 1));
        assert_eq!(at("2022").value, Some(5.0));
        assert_eq!(at("2022").footnote, format!("sum of 1 of {counties_now} county areas (the others have not reported)"));
    }
}
