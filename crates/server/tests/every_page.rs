//! Every page of the site, as its users see it: the public portal and recommendations signed
//! out, the working pages as the reporter, the reviewer and the lead department, in Chinese and
//! in English, on a desktop and on a phone (390 px). For each page:
//!
//! - axe-core (the accessibility engine of Deque, run in the browser) reports no serious or
//!   critical violation;
//! - at 390 px nothing sticks out sideways (wide tables scroll inside themselves);
//! - a screenshot is written to `target/screenshots/{who}-{page}-{lang}-{width}.png`, so a change
//!   in looks is visible in review.
//!
//! Skips where Chromium is absent, unless `RIGHTSTAT_REQUIRE_BROWSER=1` (set by `.ci/run`).

#[path = "common/driver.rs"]
mod driver;
use driver::{BROWSER, Driver, axe_source, chromium, serve_app};
use rightstat_store::{Store, testing};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_is_accessible_fits_a_phone_and_is_photographed() {
    let _one = BROWSER.lock().await;
    let Some(browser) = chromium() else { return };
    let axe = axe_source();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&testing::fresh_sqlite_url(dir.path())).await.unwrap();
    store.seed_reference().await.unwrap();
    store.load_demo().await.unwrap();
    store.load_demo_follow_up().await.unwrap();
    store.load_demo_round().await.unwrap();
    store.create_demo_users().await.unwrap();
    // A round reviewed in stages (prefecture, then province), with Chang'an district's return
    // checked by the prefecture: it awaits the provincial reviewer.
    let mut staged = rightstat_core::reference::demo_round();
    staged.code = "DIBAO-2023-STAGED".into();
    staged.title_en = format!("{} (reviewed by prefecture, then province)", staged.title_en);
    staged.title_zh = format!("{}（地级、省级逐级审核）", staged.title_zh);
    staged.items.retain(|i| i.indicator == "CN_DIBAO_RECIPIENTS");
    staged.items[0].preferred_department = None;
    staged.assignments.retain(|a| a.department == "MCA");
    for a in &mut staged.assignments {
        a.indicators.clear();
    }
    staged.review_levels = vec![rightstat_core::area::AreaLevel::Prefecture, rightstat_core::area::AreaLevel::Province];
    let admin = rightstat_store::Actor::new("admin", None);
    let staged_id = store.create_round(&staged, &admin).await.unwrap();
    store.open_round(staged_id, &admin).await.unwrap();
    let staged_task = store.tasks(staged_id, None, None).await.unwrap().into_iter().find(|t| t.area_code == "130102").unwrap().id;
    let mut o = rightstat_store::ImportOptions::new("form.csv", rightstat_store::formats::Format::Csv);
    o.actor = rightstat_store::Actor::new("reporter", None);
    let form = "indicator,area,period,URBANISATION,value\nCN_DIBAO_RECIPIENTS,130102,2024,_T,1.25\nCN_DIBAO_RECIPIENTS,130102,2024,U,0.25\nCN_DIBAO_RECIPIENTS,130102,2024,R,1\n";
    let sub = store.submit(staged_task, form.as_bytes().to_vec(), o, "", false).await.unwrap();
    assert!(sub.accepted, "{:?}", sub.validation);
    store.review(staged_task, true, "checked by the prefecture", &admin).await.unwrap();
    let rec = store.find_recommendations(&Default::default()).await.unwrap().into_iter().next().unwrap().uid;
    let measure = rightstat_core::reference::measures()[0].code.clone();
    let round = rightstat_core::reference::demo_round().code;
    let base = serve_app(store).await;
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");

    tokio::task::spawn_blocking(move || {
        let Some(d) = Driver::start(&browser) else { return };
        let mut problems: Vec<String> = Vec::new();
        let mut seen = 0;
        let mut visit = |d: &Driver, who: &str, name: &str, path: &str| {
            for lang in ["zh", "en"] {
                let sep = if path.contains('?') { '&' } else { '?' };
                let url = if path.contains("/en/") || path.contains("/zh/") {
                    format!("{base}{}", path.replace("/en/", &format!("/{lang}/")))
                } else {
                    format!("{base}{path}{sep}lang={lang}")
                };
                d.window(1280, 900);
                d.go(&url);
                let html_lang = d.script("return document.documentElement.lang;");
                if lang == "zh" && !path.starts_with("/login") && html_lang != "zh-CN" {
                    problems.push(format!("{who} {url}: the Chinese page says lang={html_lang}"));
                }
                if let Some(axe) = &axe {
                    for v in d.axe(axe) {
                        problems.push(format!("{who} {url}: {v}"));
                    }
                }
                d.screenshot(1280, &shots.join(format!("{who}-{name}-{lang}-1280.png")));
                d.window(390, 844);
                d.go(&url);
                let wide = d.too_wide();
                if !wide.is_empty() {
                    problems.push(format!("{who} {url}: scrolls sideways at 390 px: {wide:?}"));
                }
                d.screenshot(390, &shots.join(format!("{who}-{name}-{lang}-390.png")));
                seen += 1;
            }
        };

        // The public, signed out.
        for (name, path) in [
            ("entry", "/".to_string()),
            ("sign-in", "/login".into()),
            ("home", "/en/index.html".into()),
            ("status", "/en/status.html".into()),
            ("search", "/en/search.html?q=poverty".into()),
            ("indicator", "/en/indicators/SI_POV_NAHC.html".into()),
            ("portal-recommendations", "/en/recommendations.html".into()),
            ("portal-measures", "/en/measures.html".into()),
            ("recommendations", "/recommendations".into()),
            ("recommendation", format!("/recommendations/{rec}")),
            ("measures", "/measures".into()),
            ("evaluation", "/evaluation".into()),
            ("evaluation-article", "/evaluation/11".into()),
            ("evaluation-sdg", "/evaluation/sdg/1".into()),
            ("measure", format!("/measures/{measure}")),
            ("api-docs", "/api/docs".into()),
            ("not-found", "/no-such-page".into()),
        ] {
            visit(&d, "public", name, &path);
        }
        // The county reporter: its tasks and its form.
        d.sign_in(&base, "reporter");
        d.go(&format!("{base}/tasks?lang=en"));
        let task = d.script("const r = document.querySelector('tr[data-task]'); return r ? r.dataset.task : null;");
        let task = task.as_str().expect("the reporter has a task in the demo round").to_string();
        visit(&d, "reporter", "tasks", "/tasks");
        visit(&d, "reporter", "task", &format!("/tasks/{task}"));
        // The provincial reviewer: its review queue and the task it reviews.
        d.sign_in(&base, "reviewer");
        visit(&d, "reviewer", "tasks", "/tasks");
        visit(&d, "reviewer", "task", &format!("/tasks/{task}"));
        visit(&d, "reviewer", "task-staged", &format!("/tasks/{staged_task}"));
        // The lead department: rounds, the release queue and completeness, reports.
        d.sign_in(&base, "admin");
        for (name, path) in [
            ("rounds", "/rounds".to_string()),
            ("round", format!("/rounds/{round}")),
            ("round-staged", "/rounds/DIBAO-2023-STAGED".into()),
            ("round-new", "/rounds/new".into()),
            ("reports", "/reports".into()),
            ("report-cescr", "/reports/cescr".into()),
            ("report-gaps", "/reports/gaps".into()),
            ("report-checks", "/reports/cescr/checks".into()),
            ("admin", "/admin".into()),
            ("audit", "/admin/audit".into()),
            ("catalogue", "/admin/catalogue".into()),
            ("catalogue-indicator", "/admin/catalogue/CN_DIBAO_RECIPIENTS".into()),
            ("glossary", "/admin/glossary".into()),
            ("codelists", "/admin/codelists".into()),
            ("publishing", "/admin/publishing".into()),
            ("retrogression", "/retrogression".into()),
            ("retrogression-case", "/retrogression/CN_ENGEL_COEF/2022".into()),
            ("benchmarks", "/evaluation/benchmarks".into()),
        ] {
            visit(&d, "lead", name, &path);
        }
        assert!(seen >= 2 * 31, "{seen} pages visited");
        assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
    })
    .await
    .unwrap();
}
