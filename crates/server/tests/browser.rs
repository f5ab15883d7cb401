//! The pages as a browser renders them: headless Chromium (Debian's `chromium` package) loads
//! the recommendations page from a running server and the test reads the resulting DOM.
//!
//! Skips where Chromium is absent, unless `RIGHTSTAT_REQUIRE_BROWSER=1` (set by `.ci/run`),
//! which turns a missing browser into a failure.

use rightstat_store::{Store, testing};
use std::path::PathBuf;

fn chromium() -> Option<PathBuf> {
    let candidates =
        [std::env::var("RIGHTSTAT_CHROMIUM").unwrap_or_default(), "/usr/bin/chromium".into(), "/usr/bin/chromium-browser".into()];
    let found = candidates.iter().filter(|c| !c.is_empty()).map(PathBuf::from).find(|p| p.exists());
    if found.is_none() {
        assert!(
            std::env::var("RIGHTSTAT_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "Chromium is required (apt-get install chromium) but missing"
        );
        eprintln!("skipped: no Chromium (install Debian's chromium package)");
    }
    found
}

/// The DOM after the browser has loaded and rendered `url`.
async fn dump_dom(browser: &PathBuf, url: &str) -> String {
    let (browser, url) = (browser.clone(), url.to_string());
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
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&testing::fresh_sqlite_url(dir.path())).await.unwrap();
    store.seed_reference().await.unwrap();
    store.load_demo().await.unwrap();
    store.load_demo_follow_up().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = rightstat_server::app(store, Default::default());
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap();
    });

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
