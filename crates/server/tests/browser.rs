//! The pages as a browser renders them: headless Chromium (Debian's `chromium` package) loads
//! the recommendations page from a running server and the test reads the resulting DOM.
//!
//! Skips where Chromium is absent, unless `RIGHTSTAT_REQUIRE_BROWSER=1` (set by `.ci/run`),
//! which turns a missing browser into a failure.

#[path = "common/driver.rs"]
mod driver;
use driver::{BROWSER, Driver, chromium, serve_app};
use rightstat_store::{Store, testing};

/// The DOM after the browser has loaded and rendered `url`.
async fn dump_dom(browser: &std::path::Path, url: &str) -> String {
    let (browser, url) = (browser.to_path_buf(), url.to_string());
    tokio::task::spawn_blocking(move || {
        let profile = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(browser)
            .args(["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(["--dump-dom", &url])
            .output()
            .expect("run chromium");
        assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recommendations_page_in_chromium_shows_what_the_api_returns() {
    let _one = BROWSER.lock().await;
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&testing::fresh_sqlite_url(dir.path())).await.unwrap();
    store.seed_reference().await.unwrap();
    store.load_demo().await.unwrap();
    store.load_demo_follow_up().await.unwrap();
    let base = serve_app(store).await;

    let api: serde_json::Value = {
        let url = format!("{base}/api/v1/recommendations?q=poverty&country=CN");
        tokio::task::spawn_blocking(move || ureq::get(&url).call().unwrap().body_mut().read_json().unwrap()).await.unwrap()
    };
    let api = api.as_array().unwrap();
    assert!(api.len() >= 12);

    let dom = dump_dom(&browser, &format!("{base}/recommendations?q=poverty&country=CN&lang=en")).await;
    assert!(dom.contains("Recommendations and their follow-up"), "{dom}");
    assert!(dom.contains(&format!("<strong id=\"count\">{}</strong>", api.len())));
    assert_eq!(dom.matches("class=\"rec\"").count(), api.len(), "one list item per recommendation");
    for r in api {
        assert!(dom.contains(&format!("data-uid=\"{}\"", r["uid"].as_str().unwrap())), "{} missing", r["uid"]);
    }
    assert!(dom.contains("Targeted poverty alleviation") && dom.contains("improving"));

    // The language switch on the page leads to the Chinese version of the same selection.
    let switch = dom.split("class=\"lang\"").nth(1).and_then(|s| s.split("href=\"").nth(1)).and_then(|s| s.split('"').next()).unwrap();
    let switch = switch.replace("&amp;", "&");
    assert!(switch.contains("lang=zh") && switch.contains("q=poverty"), "{switch}");
    let zh = dump_dom(&browser, &format!("{base}{switch}")).await;
    assert!(zh.contains("建议及其落实情况") && zh.contains(&format!("<strong id=\"count\">{}</strong>", api.len())));

    // A recommendation linked to the rural poor population shows the trend and the chart.
    let uid = api
        .iter()
        .find(|r| r["evidence"].as_array().unwrap().iter().any(|e| e["indicator"] == "CN_RURAL_POOR_POP" && e["trend"] == "improving"))
        .unwrap()["uid"]
        .as_str()
        .unwrap()
        .to_string();
    let page = dump_dom(&browser, &format!("{base}/recommendations/{uid}?lang=en")).await;
    let row = page.split("data-indicator=\"CN_RURAL_POOR_POP\"").nth(1).unwrap().split("</tr>").next().unwrap();
    assert!(row.contains("improving") && row.contains("<svg") && row.contains("persons × 10,000"), "{row}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assignee_fills_the_form_and_the_national_total_changes_after_approval() {
    let _one = BROWSER.lock().await;
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&testing::fresh_sqlite_url(dir.path())).await.unwrap();
    store.seed_reference().await.unwrap();
    store.create_demo_users().await.unwrap();
    let spec: rightstat_core::round::RoundSpec = serde_json::from_value(serde_json::json!({
        "code": "DIBAO-2023", "title_en": "Minimum living guarantee 2023", "title_zh": "2023年最低生活保障",
        "periods": ["2023"], "deadline": "2099-01-31", "lead_department": "NBS",
        "item": [{ "indicator": "CN_DIBAO_RECIPIENTS", "guidance_en": "Persons receiving dibao at the end of the year.", "guidance_zh": "年末低保对象人数。" }],
        "assignment": [{ "department": "MCA", "area": "13", "level": "county" }]
    }))
    .unwrap();
    let admin = rightstat_store::Actor::new("admin", None);
    let round = store.create_round(&spec, &admin).await.unwrap();
    store.open_round(round, &admin).await.unwrap();
    let task = store.tasks(round, None, None).await.unwrap().into_iter().find(|t| t.area_code == "130102").unwrap().id;
    let base = serve_app(store).await;
    let national = {
        let base = base.clone();
        move || -> Option<f64> {
            let v: serde_json::Value =
                ureq::get(&format!("{base}/api/v1/observations?indicator=CN_DIBAO_RECIPIENTS&area=CN&URBANISATION=_T"))
                    .call()
                    .unwrap()
                    .body_mut()
                    .read_json()
                    .unwrap();
            v["observations"]
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["area"] == "CN" && o["period"] == "2023")
                .and_then(|o| o["value"].as_f64())
        }
    };

    let base2 = base.clone();
    tokio::task::spawn_blocking(move || {
        let base = base2;
        let Some(d) = Driver::start(&browser) else { return };
        assert_eq!(national(), None);
        // Signed out, a working page sends the reporter to sign in, and back there afterwards.
        d.go(&format!("{base}/tasks?lang=en"));
        assert!(d.url().contains("/login?next=/tasks%3Flang%3Den"), "{}", d.url());
        d.fill("input[name=username]", "reporter");
        d.fill("input[name=password]", rightstat_store::DEMO_PASSWORD);
        d.click("button[type=submit]");
        assert!(d.url().ends_with("/tasks?lang=en"), "back to the page asked for: {}", d.url());
        // Signing in from the sign-in page lands on the reporter's work.
        d.sign_in(&base, "reporter");
        assert!(d.url().ends_with("/tasks"), "a reporter lands on its tasks: {}", d.url());
        d.go(&format!("{base}/tasks?lang=en"));
        assert!(d.source().contains(&format!("data-task=\"{task}\"")), "the reporter sees its task");
        d.click(&format!("tr[data-task=\"{task}\"] a"));
        assert!(d.source().contains("Persons receiving dibao at the end of the year."), "the guidance is on the form");
        // The county reporter works on a phone: the task page fits its width.
        d.window(390, 844);
        for page in [
            format!("/tasks/{task}?lang=zh"),
            "/tasks?lang=en".into(),
            "/rounds/DIBAO-2023?lang=en".into(),
            format!("/tasks/{task}?lang=en"),
        ] {
            d.go(&format!("{base}{page}"));
            let wide = d.too_wide();
            assert!(wide.is_empty(), "{page} scrolls sideways on a phone: {wide:?}");
        }
        // The clerk counts persons; the catalogue stores ten thousands, and the page shows the
        // conversion as it is typed.
        d.fill("input[name=\"v:CN_DIBAO_RECIPIENTS|2023|\"]", "12,500");
        let total_id = d.script("return document.querySelector('input[name=\"v:CN_DIBAO_RECIPIENTS|2023|\"]').id;");
        let converted = d.text(&format!("[data-converted-for=\"{}\"]", total_id.as_str().unwrap()));
        assert!(converted.contains("1.25") && converted.contains("10,000 persons"), "{converted}");
        // Rural and urban do not add up to the total: a blocking finding, nothing saved.
        d.fill("input[name=\"v:CN_DIBAO_RECIPIENTS|2023||URBANISATION=R|\"]", "10000");
        d.fill("input[name=\"v:CN_DIBAO_RECIPIENTS|2023||URBANISATION=U|\"]", "5000");
        assert!(d.text("output").contains("URBANISATION = 15000"), "the sum is shown as you type: {}", d.text("output"));
        d.click("#submit");
        assert!(d.text("#message").contains("Refused"), "{}", d.source());
        assert!(d.source().contains("does not add up"));
        assert_eq!(d.text("#task-status"), "not started");
        // The finding stands beside the field it concerns, with everything typed kept.
        let beside = d
            .script("return [...document.querySelectorAll('.field-finding.error')].map(e => e.closest('tr').querySelector('input').name);");
        assert!(beside.to_string().contains("CN_DIBAO_RECIPIENTS|2023|"), "no finding beside a field: {beside}");
        assert!(d.source().contains("aria-invalid=\"true\""));
        assert!(d.source().contains("value=\"12,500\"") && d.source().contains("value=\"5000\""), "typed values lost");
        // Corrected: submitted.
        d.fill("input[name=\"v:CN_DIBAO_RECIPIENTS|2023||URBANISATION=U|\"]", "2500");
        d.click("#submit");
        assert!(d.text("#message").contains("Submitted"), "{}", d.source());
        assert_eq!(d.text("#task-status"), "submitted");
        assert_eq!(national(), None, "not before approval");
        // The provincial reviewer approves on a laptop: the figures roll up, but nothing is
        // public until the lead department releases it.
        d.window(1200, 1600);
        d.sign_in(&base, "reviewer");
        // The reviewer lands on its queue: the county's submission awaits it there.
        assert!(d.url().ends_with("/tasks"), "{}", d.url());
        assert!(d.text("#review-queue").contains("130102"), "not in the review queue: {}", d.source());
        // In Chinese, it compares the figures and returns the submission with what to fix.
        d.go(&format!("{base}/tasks/{task}?lang=zh"));
        assert!(d.text("#comparisons").contains("12,500"), "the figure, in the form's units: {}", d.text("#comparisons"));
        d.fill("form[action*=\"/review\"] textarea[name=\"comment\"]", "城镇人数请与民政台账核对");
        d.click("#return");
        assert_eq!(d.text("#task-status"), "已退回");
        // The reporter, in Chinese, sees why, and submits again.
        d.sign_in(&base, "reporter");
        d.go(&format!("{base}/tasks/{task}?lang=zh"));
        assert_eq!(d.text("#task-status"), "已退回");
        assert!(d.source().contains("城镇人数请与民政台账核对"), "the reviewer's comment is on the task page");
        d.fill("textarea[name=\"comment\"]", "已与台账核对无误");
        d.click("#submit");
        assert_eq!(d.text("#task-status"), "已提交", "{}", d.source());
        // The reviewer approves it from its queue, ticked among others.
        d.sign_in(&base, "reviewer");
        d.go(&format!("{base}/tasks?lang=zh"));
        d.tick(&format!("#pick-{task}"));
        d.click("#approve-many");
        assert!(d.text("#message").contains("已批准的报送：1"), "{}", d.text("#message"));
        d.go(&format!("{base}/tasks/{task}?lang=en"));
        assert_eq!(d.text("#task-status"), "approved");
        assert_eq!(national(), None, "an approval published a national figure");
        // A page or file the public may read (a 404 shows nothing either).
        let public = |path: &str| match ureq::get(&format!("{base}{path}")).call() {
            Ok(mut r) => r.body_mut().read_to_string().unwrap(),
            Err(ureq::Error::StatusCode(404)) => String::new(),
            Err(e) => panic!("{path}: {e}"),
        };
        for path in ["/en/index.html", "/zh/index.html", "/en/indicators/CN_DIBAO_RECIPIENTS.html", "/data/CN_DIBAO_RECIPIENTS.csv"] {
            assert!(!public(path).contains("1.25"), "{path} shows an unreleased figure");
        }
        assert!(
            ureq::get(&format!("{base}/sdmx/2.1/data/DF_RIGHTSTAT/CN_DIBAO_RECIPIENTS.CN")).call().is_err(),
            "SDMX serves an unreleased figure"
        );
        // The same page in Chinese.
        d.go(&format!("{base}/tasks/{task}?lang=zh"));
        assert_eq!(d.text("#task-status"), "已批准");
        // The lead department releases from the round's queue, in Chinese.
        d.sign_in(&base, "admin");
        d.go(&format!("{base}/rounds/DIBAO-2023?lang=zh"));
        let row = "tr[data-indicator=\"CN_DIBAO_RECIPIENTS\"][data-period=\"2023\"]";
        assert!(d.text(row).contains("作为暂定数发布"), "one county of many: released as provisional: {}", d.text(row));
        d.click(&format!("{row} form.release button"));
        assert!(!d.text(row).contains("尚未发布"), "{}", d.text(row));
        assert_eq!(national(), Some(1.25));
        // Its completeness is stated next to it, in both languages.
        let en = public("/en/indicators/CN_DIBAO_RECIPIENTS.html");
        assert!(en.contains("provisional (p), the sum of the 1 of"), "no completeness note beside the figure");
        assert!(public("/zh/indicators/CN_DIBAO_RECIPIENTS.html").contains("暂定数（p）"));
        d.go(&format!("{base}/en/indicators/CN_DIBAO_RECIPIENTS.html"));
        assert!(
            d.text("#partial-notes").contains("counties") || d.text("#partial-notes").contains("provinces"),
            "{}",
            d.text("#partial-notes")
        );
        // A later correction, pending review, never hides it.
        d.sign_in(&base, "reporter");
        d.go(&format!("{base}/tasks/{task}?lang=en"));
        d.fill("input[name=\"v:CN_DIBAO_RECIPIENTS|2023|\"]", "13000");
        d.fill("input[name=\"v:CN_DIBAO_RECIPIENTS|2023||URBANISATION=U|\"]", "3000");
        d.fill("textarea[name=\"comment\"]", "recount of urban recipients");
        d.click("#submit");
        assert!(d.text("#message").contains("Submitted"), "{}", d.source());
        assert_eq!(national(), Some(1.25), "a pending correction hid the released figure");
        // Signing out ends the session: the working pages ask for a sign-in again.
        d.click("#sign-out");
        d.go(&format!("{base}/tasks?lang=zh"));
        assert!(d.url().contains("/login?next="), "still signed in after signing out: {}", d.url());
    })
    .await
    .unwrap();
}

/// Serves a directory as any static web server would (the static export needs no database).
async fn serve_dir(dir: std::path::PathBuf) -> String {
    use axum::http::{StatusCode, Uri, header};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(move |uri: Uri| {
        let dir = dir.clone();
        async move {
            let mut path = uri.path().trim_start_matches('/').to_string();
            if path.is_empty() || path.ends_with('/') {
                path.push_str("index.html");
            }
            let ct = match path.rsplit('.').next() {
                Some("html") => "text/html; charset=utf-8",
                Some("css") => "text/css",
                Some("csv") => "text/csv; charset=utf-8",
                Some("js") => "text/javascript",
                _ => "application/octet-stream",
            };
            match std::fs::read(dir.join(&path)) {
                Ok(body) if !path.contains("..") => (StatusCode::OK, [(header::CONTENT_TYPE, ct)], body),
                _ => (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain")], b"not found".to_vec()),
            }
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

/// Home page → English → an indicator → 中文 → download its CSV, as a visitor would.
fn visit_the_portal(d: &Driver, base: &str, downloads: &std::path::Path) {
    d.go(&format!("{base}/"));
    d.click("a[hreflang=en]");
    assert!(d.text("h1").contains("Human-rights statistics"), "{}", d.source());
    assert!(d.source().contains("Headline figures"));
    // Keyboard: the first Tab reaches the skip link, the next ones the navigation.
    let tab = serde_json::json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": [
        { "type": "keyDown", "value": "\u{E004}" }, { "type": "keyUp", "value": "\u{E004}" },
        { "type": "keyDown", "value": "\u{E004}" }, { "type": "keyUp", "value": "\u{E004}" } ] }] });
    let focused = |d: &Driver| {
        d.cmd("POST", "/execute/sync", serde_json::json!({ "script": "return document.activeElement.textContent", "args": [] }))
    };
    d.cmd(
        "POST",
        "/actions",
        serde_json::json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": [
        { "type": "keyDown", "value": "\u{E004}" }, { "type": "keyUp", "value": "\u{E004}" } ] }] }),
    );
    assert_eq!(focused(d), "Skip to content");
    d.cmd("POST", "/actions", tab);
    assert_eq!(focused(d), "Home", "Tab moves through the navigation");
    // Search (on the server live; in the browser on the static copy): "dropout" finds one.
    d.click("nav a[href$='search.html']");
    d.fill("#q", "dropout");
    d.click("form[role=search] button");
    assert_eq!(d.text("#hits"), "1", "{}", d.source());
    d.click("nav a[href$='status.html']");
    assert!(d.text("h1").contains("Reporting status"));
    d.click("a[href='indicators/CN_POOR_DROPOUTS.html']");
    assert_eq!(d.text("h1"), "Dropouts from compulsory education in registered poor families");
    let page = d.source();
    assert!(page.contains("<svg") && page.contains("4,321") && !page.contains("4317"), "chart, table, nothing withheld shown");
    d.click("#switch-language");
    assert!(d.source().contains("lang=\"zh-CN\""), "the Chinese page");
    assert!(d.text("h1").contains("辍学"), "{}", d.text("h1"));
    let e = d.find("#download-csv");
    d.cmd("POST", &format!("/element/{e}/click"), serde_json::json!({}));
    let file = downloads.join("CN_POOR_DROPOUTS.csv");
    // Chromium creates the file before it has written it: wait for content that stops growing.
    let mut last = 0;
    for _ in 0..200 {
        let len = std::fs::metadata(&file).map_or(0, |m| m.len());
        if len > 0 && len == last {
            break;
        }
        last = len;
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let csv = std::fs::read_to_string(&file).expect("the CSV was downloaded");
    assert!(csv.contains(",4321,") && !csv.contains("4317") && !csv.contains("98765"), "{csv}");
    std::fs::remove_file(&file).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_reads_the_portal_live_and_as_a_static_copy() {
    let _one = BROWSER.lock().await;
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&testing::fresh_sqlite_url(dir.path())).await.unwrap();
    testing::load_disclosure_fixture(&store).await;
    let site = rightstat_portal::Site::load(&store, Default::default()).await.unwrap();
    let static_dir = dir.path().join("static");
    site.export(&static_dir).await.unwrap();
    let static_base = serve_dir(static_dir).await;

    let live_base = serve_app(store).await;

    let downloads = dir.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    tokio::task::spawn_blocking(move || {
        let Some(d) = Driver::start_with_downloads(&browser, Some(&downloads)) else { return };
        visit_the_portal(&d, &live_base, &downloads);
        visit_the_portal(&d, &static_base, &downloads);
    })
    .await
    .unwrap();
}
