//! A browser for the page tests: Debian's headless Chromium driven through chromedriver by a
//! minimal WebDriver client, and the application served on a free loopback port.

#![allow(dead_code)] // each test file uses part of it

use rightstat_store::Store;
use std::path::PathBuf;

/// One browser at a time: two Chromiums and the rest of the test suite on two cores time out.
pub static BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub fn chromium() -> Option<PathBuf> {
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

/// Runs the application on a free loopback port; returns its base URL.
/// axe-core's script (npm's `axe-core`): `RIGHTSTAT_AXE`, else where `.ci/run` installs it
/// (`target/axe/node_modules/axe-core/axe.min.js`). `None` (the check skipped) only outside CI.
pub fn axe_source() -> Option<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/axe/node_modules/axe-core/axe.min.js");
    let path = std::env::var("RIGHTSTAT_AXE").map(PathBuf::from).unwrap_or(root);
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(_) => {
            assert!(
                std::env::var("RIGHTSTAT_REQUIRE_BROWSER").as_deref() != Ok("1"),
                "axe-core is required at {} (npm install --prefix target/axe axe-core)",
                path.display()
            );
            eprintln!("accessibility check skipped: no axe-core at {}", path.display());
            None
        }
    }
}

pub async fn serve_app(store: Store) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = rightstat_server::app(store, Default::default());
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap();
    });
    base
}

/// A minimal WebDriver client (W3C protocol over HTTP) for chromedriver.
pub struct Driver {
    base: String,
    session: String,
    _child: ChildGuard,
}

struct ChildGuard(std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Driver {
    pub fn start(browser: &std::path::Path) -> Option<Driver> {
        Driver::start_with_downloads(browser, None)
    }

    /// A browser whose downloads land in `downloads`.
    pub fn start_with_downloads(browser: &std::path::Path, downloads: Option<&std::path::Path>) -> Option<Driver> {
        let chromedriver =
            ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].into_iter().find(|p| std::path::Path::new(p).exists());
        let Some(chromedriver) = chromedriver else {
            assert!(
                std::env::var("RIGHTSTAT_REQUIRE_BROWSER").as_deref() != Ok("1"),
                "chromedriver is required (apt-get install chromium-driver)"
            );
            eprintln!("skipped: no chromedriver");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = std::process::Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let guard = ChildGuard(child);
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if ureq::get(&format!("{base}/status")).call().is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let prefs = downloads.map_or(
            serde_json::json!({}),
            |d| serde_json::json!({ "download.default_directory": d.to_string_lossy(), "download.prompt_for_download": false }),
        );
        let caps = serde_json::json!({ "capabilities": { "alwaysMatch": { "goog:chromeOptions": {
            "binary": browser.to_string_lossy(),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,1600",
                     "--disable-background-networking", "--no-first-run"],
            "prefs": prefs
        }}}});
        let v: serde_json::Value = ureq::post(&format!("{base}/session")).send_json(&caps).unwrap().body_mut().read_json().unwrap();
        let session = v["value"]["sessionId"].as_str().unwrap().to_string();
        let d = Driver { base, session, _child: guard };
        // Wait up to 20 s for elements (pages load slowly when the machine is busy with other tests).
        d.cmd("POST", "/timeouts", serde_json::json!({ "implicit": 20000 }));
        Some(d)
    }

    pub fn cmd(&self, method: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut r = match method {
            "GET" => ureq::get(&url).call(),
            "DELETE" => ureq::delete(&url).call(),
            _ => ureq::post(&url).send_json(&body),
        }
        .unwrap_or_else(|e| panic!("webdriver {method} {path}: {e}"));
        r.body_mut().read_json::<serde_json::Value>().unwrap()["value"].clone()
    }

    pub fn go(&self, url: &str) {
        self.cmd("POST", "/url", serde_json::json!({ "url": url }));
    }

    /// The address of the page shown.
    pub fn url(&self) -> String {
        self.cmd("GET", "/url", serde_json::Value::Null).as_str().unwrap_or_default().to_string()
    }

    pub fn find(&self, css: &str) -> String {
        let v = self.cmd("POST", "/element", serde_json::json!({ "using": "css selector", "value": css }));
        v[ELEMENT].as_str().unwrap_or_else(|| panic!("no element {css}: {v}")).to_string()
    }

    pub fn fill(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/clear"), serde_json::json!({}));
        self.cmd("POST", &format!("/element/{e}/value"), serde_json::json!({ "text": text }));
    }

    /// Clicks a link or a submit button and waits until the old page is gone, so the next lookup
    /// cannot find an element of the page being left (every click in these tests leaves the page).
    pub fn click(&self, css: &str) {
        let page = self.find("html");
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/click"), serde_json::json!({}));
        let url = format!("{}/session/{}/element/{page}/name", self.base, self.session);
        for _ in 0..200 {
            // The old page's element goes stale (an error) once the new page has replaced it.
            if ureq::get(&url).call().is_err() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Clicks something that does not leave the page (a checkbox).
    pub fn tick(&self, css: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/click"), serde_json::json!({}));
    }

    pub fn text(&self, css: &str) -> String {
        let e = self.find(css);
        self.cmd("GET", &format!("/element/{e}/text"), serde_json::Value::Null).as_str().unwrap_or_default().to_string()
    }

    pub fn source(&self) -> String {
        self.cmd("GET", "/source", serde_json::Value::Null).as_str().unwrap_or_default().to_string()
    }

    /// Resizes the window (a phone is 390 × 844 CSS pixels).
    pub fn window(&self, width: u32, height: u32) {
        self.cmd("POST", "/window/rect", serde_json::json!({ "width": width, "height": height }));
    }

    /// The elements that stick out of the window's right edge (the page would scroll sideways);
    /// empty when the page fits the width.
    pub fn too_wide(&self) -> Vec<String> {
        let script = "if (document.documentElement.scrollWidth <= window.innerWidth) return [];
            return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
              .map(e => e.tagName + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '') + ' ' + Math.round(e.getBoundingClientRect().right));";
        let v = self.cmd("POST", "/execute/sync", serde_json::json!({ "script": script, "args": [] }));
        v.as_array().unwrap_or_else(|| panic!("{v}")).iter().map(|e| e.as_str().unwrap_or_default().to_string()).collect()
    }

    /// Runs a script in the page and returns its value.
    pub fn script(&self, js: &str) -> serde_json::Value {
        self.cmd("POST", "/execute/sync", serde_json::json!({ "script": js, "args": [] }))
    }

    /// Saves a PNG of the window (a full page is taller: the window is made as tall as it first).
    pub fn screenshot(&self, width: u32, out: &std::path::Path) {
        use base64::Engine as _;
        let height = self.script("return Math.min(6000, Math.ceil(document.documentElement.scrollHeight));").as_u64().unwrap_or(900) as u32;
        self.window(width, height.max(600));
        let png = self.cmd("GET", "/screenshot", serde_json::Value::Null);
        let bytes = base64::engine::general_purpose::STANDARD.decode(png.as_str().unwrap_or_default()).expect("a PNG in base64");
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        std::fs::write(out, bytes).unwrap();
    }

    /// The serious and critical accessibility violations axe-core finds on the page, one line each
    /// (rule, impact, help, the first elements concerned).
    pub fn axe(&self, axe_source: &str) -> Vec<String> {
        self.cmd("POST", "/execute/sync", serde_json::json!({ "script": format!("{axe_source}\nreturn typeof axe;"), "args": [] }));
        self.cmd("POST", "/timeouts", serde_json::json!({ "script": 60000 }));
        let run = "const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.passes.length < 10
              ? ['axe checked only ' + r.passes.length + ' rules']
              : r.violations
              .filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))),
              e => done(['axe failed: ' + e]));";
        let v = self.cmd("POST", "/execute/async", serde_json::json!({ "script": run, "args": [] }));
        v.as_array().unwrap_or_else(|| panic!("axe: {v}")).iter().map(|e| e.as_str().unwrap_or_default().to_string()).collect()
    }

    pub fn sign_in(&self, base: &str, user: &str) {
        self.go(&format!("{base}/login"));
        self.cmd("DELETE", "/cookie", serde_json::Value::Null);
        self.go(&format!("{base}/login"));
        self.fill("input[name=username]", user);
        self.fill("input[name=password]", rightstat_store::DEMO_PASSWORD);
        self.click("button[type=submit]");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = ureq::delete(&format!("{}/session/{}", self.base, self.session)).call();
    }
}
