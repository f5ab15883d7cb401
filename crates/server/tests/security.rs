//! Authentication, authorisation, CSRF, lockout, tokens and hostile input, over HTTP, on
//! SQLite and PostgreSQL.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use rightstat_core::policy::{Grant, Role};
use rightstat_store::{Actor, DEMO_PASSWORD};
use tower::ServiceExt;

mod common;
use common::{Env, Load, Resp, envs};

impl Env {
    /// A request as `who` (None: anonymous), with the session's CSRF token unless `csrf` says
    /// otherwise; a POST body is a form when it carries a token, a CSV file otherwise.
    async fn attempt(&self, method: &str, uri: &str, who: Option<&str>, body: &str, csrf: Option<&str>) -> Resp {
        let content_type = (method == "POST" && !body.is_empty())
            .then(|| if body.contains("csrf_token=") { "application/x-www-form-urlencoded" } else { "text/csv" });
        self.request(method, uri, who, csrf, content_type, body.as_bytes().to_vec()).await
    }

    async fn count(&self) -> i64 {
        self.store.observation_count(true).await.unwrap()
    }
}

const IN_COUNTY: &str = "indicator,area,period,value\nCN_DIBAO_RECIPIENTS,130102,2023,1.25\n";
const IN_BEIJING: &str = "indicator,area,period,value\nCN_DIBAO_RECIPIENTS,110101,2023,0.8\n";

/// Expected outcome of every route for every role: the letters of the roles allowed.
/// P public (anonymous), A administrator, C coordinator, R reporter, V reviewer, N analyst.
const MATRIX: &[(&str, &str, &str)] = &[
    ("GET", "/", "PACRVN"),
    ("GET", "/rightstat.css", "PACRVN"),
    ("GET", "/admin", "A"),
    ("POST", "/admin/users", "A"),
    ("POST", "/admin/grants", "A"),
    ("POST", "/admin/users/{username}/disabled", "A"),
    ("POST", "/admin/tokens", "A"),
    ("POST", "/admin/tokens/{id}/revoke", "A"),
    ("GET", "/admin/audit", "A"),
    ("GET", "/admin/catalogue", "A"),
    ("GET", "/admin/catalogue/{code}", "A"),
    ("POST", "/admin/catalogue/{code}", "A"),
    ("GET", "/admin/glossary", "A"),
    ("POST", "/admin/glossary", "A"),
    ("GET", "/admin/codelists", "A"),
    ("GET", "/admin/publishing", "A"),
    ("POST", "/admin/batches/{id}/publish", "A"),
    ("GET", "/portal.js", "PACRVN"),
    ("GET", "/en/{page}", "PACRVN"),
    ("GET", "/zh/{page}", "PACRVN"),
    ("GET", "/en/indicators/{file}", "PACRVN"),
    ("GET", "/zh/indicators/{file}", "PACRVN"),
    ("GET", "/data/{file}", "PACRVN"),
    ("GET", "/sdmx/2.1/data/{flow}", "PACRVN"),
    ("GET", "/sdmx/2.1/data/{flow}/{key}/{provider}", "PACRVN"),
    ("GET", "/sdmx/2.1/data/{flow}/{key}", "PACRVN"),
    ("GET", "/sdmx/2.1/{resource}/{agency}/{id}/{version}", "PACRVN"),
    ("GET", "/sdmx/2.1/{resource}/{agency}/{id}", "PACRVN"),
    ("GET", "/sdmx/2.1/availableconstraint/{flow}/{key}", "PACRVN"),
    ("GET", "/healthz", "PACRVN"),
    ("GET", "/login", "PACRVN"),
    ("POST", "/login", "PACRVN"),
    ("GET", "/api/v1/openapi.json", "PACRVN"),
    ("GET", "/api/docs", "PACRVN"),
    ("GET", "/api/v1/me", "ACRVN"),
    ("GET", "/api/v1/indicators", "PACRVN"),
    ("GET", "/api/v1/indicators/{code}", "PACRVN"),
    ("GET", "/api/v1/indicators/{code}/versions", "PACRVN"),
    ("GET", "/api/v1/areas/{code}", "PACRVN"),
    ("GET", "/api/v1/areas/{code}/children", "PACRVN"),
    ("GET", "/api/v1/areas/{code}/descendants", "PACRVN"),
    ("GET", "/api/v1/areas/{code}/tree", "PACRVN"),
    ("GET", "/api/v1/observations", "PACRVN"),
    ("GET", "/api/v1/codelists", "PACRVN"),
    ("GET", "/api/v1/codelists/{id}", "PACRVN"),
    ("GET", "/api/v1/units", "PACRVN"),
    ("GET", "/api/v1/departments", "PACRVN"),
    ("GET", "/api/v1/icescr", "PACRVN"),
    ("GET", "/api/v1/glossary", "PACRVN"),
    ("PUT", "/api/v1/glossary", "A"),
    ("GET", "/api/v1/sdg", "PACRVN"),
    ("POST", "/api/v1/imports", "ACR"),
    ("GET", "/api/v1/batches/{id}", "PACRVN"),
    ("POST", "/api/v1/batches/{id}/publish", "A"),
    ("GET", "/api/v1/audit", "A"),
    ("GET", "/api/v1/recommendations", "PACRVN"),
    ("GET", "/api/v1/recommendations/{uid}", "PACRVN"),
    ("POST", "/api/v1/recommendations/import", "A"),
    ("GET", "/api/v1/lists-of-issues", "PACRVN"),
    ("POST", "/api/v1/lists-of-issues", "A"),
    ("GET", "/api/v1/evaluation", "PACRVN"),
    ("GET", "/api/v1/evaluation/resources", "PACRVN"),
    ("GET", "/api/v1/evaluation/sdg", "PACRVN"),
    ("GET", "/api/v1/benchmarks", "PACRVN"),
    ("POST", "/api/v1/benchmarks", "A"),
    ("GET", "/api/v1/retrogression-cases", "ACRVN"),
    // Any coordinator passes the policy; the handler checks the indicator's department.
    ("POST", "/api/v1/retrogression-cases/answers", "AC"),
    ("POST", "/api/v1/recommendations/{uid}/assessments", "AC"),
    ("POST", "/api/v1/recommendations/{uid}/links", "A"),
    ("DELETE", "/api/v1/recommendations/{uid}/links/{kind}/{code}", "A"),
    ("GET", "/api/v1/clusters", "PACRVN"),
    ("GET", "/api/v1/measures", "PACRVN"),
    ("GET", "/api/v1/measures/{code}", "PACRVN"),
    ("PUT", "/api/v1/measures/{code}", "A"),
    ("GET", "/api/v1/rounds", "ACRVN"),
    ("POST", "/api/v1/rounds", "A"),
    ("POST", "/api/v1/rounds/{round}/open", "A"),
    ("POST", "/api/v1/rounds/{round}/close", "A"),
    ("GET", "/api/v1/rounds/{round}/releases", "ACRVN"),
    ("POST", "/api/v1/rounds/{round}/releases", "A"),
    ("GET", "/api/v1/rounds/{round}/tasks", "ACRVN"),
    ("GET", "/api/v1/rounds/{round}/completeness", "ACRVN"),
    ("GET", "/api/v1/rounds/{round}/discrepancies", "ACRVN"),
    ("GET", "/api/v1/tasks/{id}/draft", "ACRVN"),
    ("PUT", "/api/v1/tasks/{id}/draft", "ACR"),
    ("GET", "/api/v1/tasks/{id}", "ACRVN"),
    ("GET", "/api/v1/tasks/{id}/template", "ACRVN"),
    ("POST", "/api/v1/tasks/{id}/submissions", "ACR"),
    ("POST", "/api/v1/tasks/{id}/review", "AV"),
    ("POST", "/api/v1/tasks/{id}/questions", "ACRVN"),
    ("GET", "/api/v1/rounds/{round}/questions", "ACRVN"),
    ("POST", "/api/v1/questions/{id}/answer", "A"),
    ("GET", "/rounds", "ACRVN"),
    ("GET", "/reports", "ACRVN"),
    ("GET", "/reports/{kind}", "ACRVN"),
    ("GET", "/reports/{kind}/checks", "ACRVN"),
    ("GET", "/api/v1/reports/{kind}/checks", "ACRVN"),
    ("GET", "/rounds/new", "A"),
    ("POST", "/rounds/new", "A"),
    ("GET", "/rounds/{round}", "ACRVN"),
    ("POST", "/rounds/{round}/close", "A"),
    ("POST", "/rounds/{round}/release", "A"),
    ("POST", "/rounds/{round}/questions/{id}/answer", "A"),
    ("GET", "/tasks", "ACRVN"),
    ("GET", "/tasks/{id}", "ACRVN"),
    ("POST", "/tasks/{id}/form", "ACR"),
    ("POST", "/tasks/{id}/upload", "ACR"),
    ("POST", "/tasks/{id}/review", "AV"),
    ("POST", "/tasks/review", "AV"),
    ("POST", "/tasks/{id}/question", "ACRVN"),
    ("GET", "/static/form.js", "PACRVN"),
    ("GET", "/recommendations", "PACRVN"),
    ("GET", "/evaluation", "PACRVN"),
    ("GET", "/evaluation/{article}", "PACRVN"),
    ("GET", "/evaluation/sdg/{goal}", "PACRVN"),
    ("GET", "/evaluation/benchmarks", "PACRVN"),
    ("POST", "/evaluation/benchmarks", "A"),
    ("GET", "/retrogression", "ACRVN"),
    ("GET", "/retrogression/{indicator}/{year}", "ACRVN"),
    // Any coordinator passes the policy; the handler refuses another department's case
    // (tests/retrogression.rs: the demo's MCA coordinator on NBS's Engel coefficient, 403).
    ("POST", "/retrogression/{indicator}/{year}", "AC"),
    ("GET", "/recommendations/{uid}", "PACRVN"),
    ("GET", "/measures", "PACRVN"),
    ("GET", "/measures/{code}", "PACRVN"),
    // Last: it ends the session used for the rows above.
    ("POST", "/logout", "ACRVN"),
];

const ROLES: [(char, Option<&str>); 6] = [
    ('P', None),
    ('A', Some("admin")),
    ('C', Some("coordinator")),
    ('R', Some("reporter")),
    ('V', Some("reviewer")),
    ('N', Some("analyst")),
];

fn concrete(path: &str) -> String {
    path.replace("{code}", if path.contains("indicators") { "SI_POV_NAHC" } else { "13" })
        .replace("{id}", if path.contains("codelists") { "SEX" } else { "1" })
        .replace("{uid}", "UPR-17-000000000000")
        .replace("{kind}", "measure")
        .replace("{article}", "11")
        .replace("{goal}", "1")
        .replace("{indicator}", "CN_ENGEL_COEF")
        .replace("{year}", "2022")
        .replace("{username}", "nobody")
        .replace("{round}", "NOPE")
        .replace("{page}", "index.html")
        .replace("{file}", if path.starts_with("/data") { "all.csv" } else { "SI_POV_NAHC.html" })
        .replace("{flow}", "DF_RIGHTSTAT")
        .replace("{key}", "all")
        .replace("{provider}", "all")
        .replace("{resource}", "dataflow")
        .replace("{agency}", "RIGHTSTAT")
        .replace("{version}", "latest")
        + if path.ends_with("/descendants") { "?level=county" } else { "" }
}

#[tokio::test]
async fn every_route_against_every_role() {
    let dir = tempfile::tempdir().unwrap();
    for env in envs(&dir, Load::Demo).await {
        let doc = env.attempt("GET", "/api/v1/openapi.json", None, "", None).await.json;
        let mut documented: Vec<(String, String)> = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                documented.push((method.to_uppercase(), path.clone()));
            }
        }
        // The router's routes (as documented), the policy table and this matrix agree.
        for (m, p) in &documented {
            assert!(MATRIX.iter().any(|(mm, pp, _)| mm == m && pp == p), "route {m} {p} has no expected outcome in MATRIX");
            assert!(rightstat_server::policy::ROUTES.iter().any(|(mm, pp, _)| mm == m && pp == p), "route {m} {p} has no policy");
        }
        assert_eq!(documented.len(), MATRIX.len(), "MATRIX lists a route the router does not have");
        for (method, path, allowed) in MATRIX {
            for (letter, who) in ROLES {
                let uri = concrete(path);
                let body = match (*method, *path) {
                    ("POST", "/api/v1/imports") => IN_COUNTY.to_string(),
                    ("POST", "/login") => format!("csrf_token=t{}&username=admin&password={DEMO_PASSWORD}", "0".repeat(63)),
                    _ => String::new(),
                };
                let r = if *path == "/login" && *method == "POST" {
                    let req = Request::post(&uri)
                        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                        .header(header::COOKIE, format!("rs_csrf=t{}", "0".repeat(63)))
                        .body(Body::from(body))
                        .unwrap();
                    env.send(req).await
                } else {
                    env.attempt(method, &uri, who, &body, None).await
                };
                // A signed-out visit to a working page is sent to sign-in (and back afterwards).
                let page = *method == "GET" && !path.starts_with("/api/");
                let to_sign_in = r.status == StatusCode::SEE_OTHER && r.location().is_some_and(|l| l.starts_with("/login?next=/"));
                let denied = matches!(r.json["error"].as_str(), Some("unauthenticated" | "forbidden")) || to_sign_in;
                let expect_allowed = allowed.contains(letter);
                assert_eq!(!denied, expect_allowed, "{method} {uri} as {who:?}: got {} {}", r.status, r.text);
                if denied {
                    let want = match (who, page) {
                        (None, true) => StatusCode::SEE_OTHER,
                        (None, false) => StatusCode::UNAUTHORIZED,
                        _ => StatusCode::FORBIDDEN,
                    };
                    assert_eq!(r.status, want, "{method} {uri} as {who:?}");
                }
            }
        }
    }
}

#[tokio::test]
async fn a_reporter_stays_inside_its_county() {
    let dir = tempfile::tempdir().unwrap();
    for env in envs(&dir, Load::Demo).await {
        let before = env.count().await;
        let r = env.attempt("POST", "/api/v1/imports", Some("reporter"), IN_BEIJING, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        assert!(r.json["message"].as_str().unwrap().contains("110101"));
        let mixed = format!("{IN_COUNTY}CN_DIBAO_RECIPIENTS,110101,2023,0.8\n");
        assert_eq!(env.attempt("POST", "/api/v1/imports", Some("reporter"), &mixed, None).await.status, StatusCode::FORBIDDEN);
        assert_eq!(env.count().await, before, "nothing written");

        let own = env.attempt("POST", "/api/v1/imports?name=changan.csv", Some("reporter"), IN_COUNTY, None).await;
        assert_eq!(own.status, StatusCode::CREATED, "{}", own.text);
        let own_batch = own.json["batch_id"].as_i64().unwrap();
        assert_eq!(own.json["scope_area"], "130102");
        let theirs = env.attempt("POST", "/api/v1/imports", Some("admin"), IN_BEIJING, None).await;
        let their_batch = theirs.json["batch_id"].as_i64().unwrap();

        // Guessing another area's batch id does not help.
        for (who, id, status) in [
            (Some("reporter"), their_batch, StatusCode::FORBIDDEN),
            (Some("reviewer"), their_batch, StatusCode::FORBIDDEN),
            (None, their_batch, StatusCode::UNAUTHORIZED),
            (Some("reporter"), own_batch, StatusCode::OK),
            (Some("reviewer"), own_batch, StatusCode::OK),
            (Some("analyst"), their_batch, StatusCode::OK),
            (None, own_batch, StatusCode::UNAUTHORIZED),
        ] {
            let r = env.attempt("GET", &format!("/api/v1/batches/{id}"), who, "", None).await;
            assert_eq!(r.status, status, "batch {id} as {who:?}: {}", r.text);
        }
        // Unpublished figures: visible in one's own areas, to analysts, and not to the public.
        let seen = |r: &Resp, area: &str| r.json["observations"].as_array().unwrap().iter().any(|o| o["area"] == area);
        let q = "/api/v1/observations?indicator=CN_DIBAO_RECIPIENTS&from=2023";
        let reporter = env.attempt("GET", q, Some("reporter"), "", None).await;
        assert!(seen(&reporter, "130102") && !seen(&reporter, "110101"));
        let analyst = env.attempt("GET", q, Some("analyst"), "", None).await;
        assert!(seen(&analyst, "130102") && seen(&analyst, "110101"));
        let public = env.attempt("GET", q, None, "", None).await;
        assert!(!seen(&public, "130102") && !seen(&public, "110101"));
        // Once published, everyone sees it.
        assert_eq!(
            env.attempt("POST", &format!("/api/v1/batches/{own_batch}/publish"), Some("admin"), "", None).await.status,
            StatusCode::OK
        );
        assert!(seen(&env.attempt("GET", q, None, "", None).await, "130102"));
        // And the import is in the audit trail under the reporter's name.
        let audit = env.attempt("GET", "/api/v1/audit?action=observations.import&actor=reporter", Some("admin"), "", None).await;
        assert_eq!(audit.json.as_array().unwrap().len(), 1, "{}", audit.text);
        let csv = env.attempt("GET", "/api/v1/audit?format=csv", Some("admin"), "", None).await;
        assert!(csv.text.starts_with("seq,at,actor") && csv.text.contains("batch.publish"));
    }
}

#[tokio::test]
async fn state_changes_need_the_csrf_token() {
    let dir = tempfile::tempdir().unwrap();
    for env in envs(&dir, Load::Demo).await {
        for token in [Some(""), Some("forged")] {
            let r = env.attempt("POST", "/api/v1/imports", Some("reporter"), IN_COUNTY, token).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{token:?}");
            assert!(r.text.contains("CSRF"));
        }
        // No header at all.
        let (cookie, csrf) = env.session("reporter");
        let req =
            Request::post("/api/v1/imports").header(header::COOKIE, format!("rs_session={cookie}")).body(Body::from(IN_COUNTY)).unwrap();
        assert_eq!(env.send(req).await.status, StatusCode::FORBIDDEN);
        // A form post: the field must be there.
        let form = |body: String| {
            Request::post("/logout")
                .header(header::COOKIE, format!("rs_session={cookie}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap()
        };
        assert_eq!(env.send(form("x=1".into())).await.status, StatusCode::FORBIDDEN);
        assert_eq!(env.send(form(format!("csrf_token={csrf}"))).await.status, StatusCode::SEE_OTHER);
        assert_eq!(env.attempt("GET", "/api/v1/me", Some("reporter"), "", None).await.status, StatusCode::UNAUTHORIZED, "signed out");
        // Signing in needs the pre-session cookie and the matching form field.
        let login = |cookie: Option<&str>, field: &str| {
            let mut b = Request::post("/login").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            if let Some(c) = cookie {
                b = b.header(header::COOKIE, format!("rs_csrf={c}"));
            }
            b.body(Body::from(format!("csrf_token={field}&username=admin&password={DEMO_PASSWORD}"))).unwrap()
        };
        assert_eq!(env.send(login(None, "abc")).await.status, StatusCode::FORBIDDEN);
        assert_eq!(env.send(login(Some("abc"), "abd")).await.status, StatusCode::FORBIDDEN);
        let ok = env.send(login(Some("abc"), "abc")).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER);
        let set = ok.headers[header::SET_COOKIE].to_str().unwrap();
        assert!(set.starts_with("rs_session=rss_") && set.contains("HttpOnly") && set.contains("SameSite=Lax"), "{set}");
    }
}

#[tokio::test]
async fn the_sixth_wrong_password_locks_the_account_over_http() {
    let dir = tempfile::tempdir().unwrap();
    for env in envs(&dir, Load::Demo).await {
        let form = env.attempt("GET", "/login", None, "", None).await;
        let cookie = form.headers[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
        let csrf = cookie.trim_start_matches("rs_csrf=").to_string();
        assert!(form.text.contains(&format!("value=\"{csrf}\"")));
        let attempt = |pw: &str| {
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, cookie.clone())
                .body(Body::from(format!("csrf_token={csrf}&username=reviewer&password={pw}")))
                .unwrap()
        };
        for _ in 0..5 {
            assert_eq!(env.send(attempt("wrong-password")).await.status, StatusCode::UNAUTHORIZED);
        }
        assert_eq!(env.send(attempt("wrong-password")).await.status, StatusCode::LOCKED);
        let r = env.send(attempt(DEMO_PASSWORD)).await;
        assert_eq!(r.status, StatusCode::LOCKED, "locked for a while, even with the right password");
        assert!(r.text.contains("locked"));
    }
}

#[tokio::test]
async fn tokens_work_until_revoked_and_carry_no_more_than_their_grant() {
    let dir = tempfile::tempdir().unwrap();
    for env in envs(&dir, Load::Demo).await {
        let grant = Grant { role: Role::Reporter, department: Some("MCA".into()), area: "130102".into() };
        let (id, secret) = env.store.create_token("reporter", "county system", &grant, 30, &Actor::system()).await.unwrap();
        let post = |csv: &'static str, token: String| {
            Request::post("/api/v1/imports")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "text/csv")
                .body(Body::from(csv))
                .unwrap()
        };
        assert_eq!(env.send(post(IN_COUNTY, secret.clone())).await.status, StatusCode::CREATED, "no CSRF needed with a token");
        assert_eq!(env.send(post(IN_BEIJING, secret.clone())).await.status, StatusCode::FORBIDDEN);
        assert_eq!(env.send(post(IN_COUNTY, "rst_not_a_token".into())).await.status, StatusCode::UNAUTHORIZED);
        env.store.revoke_token(id, &Actor::system()).await.unwrap();
        assert_eq!(env.send(post(IN_COUNTY, secret)).await.status, StatusCode::UNAUTHORIZED, "revoked");
    }
}

#[tokio::test]
async fn hostile_query_parameters_get_4xx_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for env in envs(&dir, Load::Demo).await {
        let doc = env.attempt("GET", "/api/v1/openapi.json", None, "", None).await.json;
        let before = (env.count().await, env.store.verify_audit().await.unwrap().records);
        let hostile = ["' OR '1'='1", "1; DROP TABLE observation; --", "\" OR \"\"=\"", "%' --", &"9".repeat(5000)];
        let mut tried = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            let Some(get) = item.get("get") else { continue };
            let params: Vec<&str> = get["parameters"]
                .as_array()
                .map(|a| a.iter().filter(|p| p["in"] == "query").filter_map(|p| p["name"].as_str()).collect())
                .unwrap_or_default();
            for name in params {
                for h in hostile {
                    let uri = format!("{}?{name}={}", concrete(path).split('?').next().unwrap(), urlencode(h));
                    let r = env.attempt("GET", &uri, Some("admin"), "", None).await;
                    // A search is free text: it may hold quotes and semicolons and must simply
                    // find nothing (the test's end checks that nothing changed).
                    let ok = r.status.is_client_error() || (name == "q" && r.status.is_success() && h.len() < 300);
                    assert!(ok, "GET {uri:.120} gave {}", r.status);
                    tried += 1;
                }
            }
            if path.contains('{') {
                for h in hostile {
                    let uri = path.replace("{code}", &urlencode(h)).replace("{id}", &urlencode(h));
                    let r = env.attempt("GET", &uri, Some("admin"), "", None).await;
                    assert!(r.status.is_client_error(), "GET {uri:.120} gave {}", r.status);
                    tried += 1;
                }
            }
        }
        assert!(tried > 80, "only {tried} probes");
        let after = (env.count().await, env.store.verify_audit().await.unwrap().records);
        assert_eq!(before, after);
    }
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test]
async fn uploads_are_limited_in_bytes_and_rows() {
    let dir = tempfile::tempdir().unwrap();
    let env = envs(&dir, Load::Demo).await.remove(0);
    let config = rightstat_server::Config { max_body_bytes: 4096, max_upload_rows: 3, ..Default::default() };
    let app = rightstat_server::app(env.store.clone(), config);
    let (cookie, csrf) = env.session("admin");
    let post = |body: String| {
        Request::post("/api/v1/imports")
            .header(header::COOKIE, format!("rs_session={cookie}"))
            .header("x-csrf-token", csrf)
            .header(header::CONTENT_TYPE, "text/csv")
            .body(Body::from(body))
            .unwrap()
    };
    let rows = |n: usize| {
        let mut s = String::from("indicator,area,period,value\n");
        for y in 0..n {
            s.push_str(&format!("CN_DIBAO_RECIPIENTS,130102,{},1\n", 2000 + y));
        }
        s
    };
    let before = env.count().await;
    let big = app.clone().oneshot(post(format!("{}{}", rows(1), "#".repeat(5000)))).await.unwrap();
    assert_eq!(big.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let too_many = app.clone().oneshot(post(rows(4))).await.unwrap();
    assert_eq!(too_many.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = too_many.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("at most 3 data rows per file"));
    assert_eq!(env.count().await, before);
    assert_eq!(app.clone().oneshot(post(rows(3))).await.unwrap().status(), StatusCode::CREATED);
}

/// A method a route does not declare is answered 405 with `Allow` (OPTIONS: 204 with `Allow`,
/// as a CORS preflight expects; HEAD as GET), in the JSON error format — never 500.
#[tokio::test]
async fn undeclared_methods_are_405_with_allow() {
    let dir = tempfile::tempdir().unwrap();
    for env in envs(&dir, Load::Users).await {
        for (method, uri, want, allow) in [
            ("PUT", "/api/v1/indicators", StatusCode::METHOD_NOT_ALLOWED, "GET, HEAD, OPTIONS"),
            ("DELETE", "/api/v1/rounds", StatusCode::METHOD_NOT_ALLOWED, "GET, POST, HEAD, OPTIONS"),
            ("PATCH", "/tasks/1", StatusCode::METHOD_NOT_ALLOWED, "GET, HEAD, OPTIONS"),
            ("TRACE", "/", StatusCode::METHOD_NOT_ALLOWED, "GET, HEAD, OPTIONS"),
            ("OPTIONS", "/api/v1/indicators", StatusCode::NO_CONTENT, "GET, HEAD, OPTIONS"),
        ] {
            let r = env.request(method, uri, Some("admin"), None, None, Vec::new()).await;
            assert_eq!(r.status, want, "{method} {uri}: {}", r.text);
            assert_eq!(r.headers.get("allow").and_then(|a| a.to_str().ok()), Some(allow), "{method} {uri}");
            if want == StatusCode::METHOD_NOT_ALLOWED {
                assert_eq!(r.json["error"], "method_not_allowed", "{method} {uri}: {}", r.text);
            }
        }
        let r = env.request("HEAD", "/api/v1/indicators", None, None, None, Vec::new()).await;
        assert_eq!(r.status, StatusCode::OK, "HEAD is GET without the body");
    }
}

/// The framework's own refusals (a query or a path that does not parse) come in the JSON error
/// format like every other error; a bad filter on a page is a page titled as such, not "Not found".
#[tokio::test]
async fn malformed_requests_get_the_json_error_format() {
    let dir = tempfile::tempdir().unwrap();
    for env in envs(&dir, Load::Users).await {
        for uri in ["/api/v1/areas/CN/tree?depth=true", "/api/v1/batches/99999999999999999999999"] {
            let r = env.request("GET", uri, None, None, None, Vec::new()).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {}", r.text);
            assert_eq!(r.json["error"], "bad_request", "{uri}: {}", r.text);
            assert!(r.json["message"].as_str().is_some_and(|m| !m.is_empty()), "{uri}: {}", r.text);
        }
        let r = env.request("GET", "/recommendations?status=E&lang=en", None, None, None, Vec::new()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(!r.text.contains("Not found") && r.text.contains("The request cannot be handled"), "{}", r.text);
    }
}

/// What the OpenAPI document promises, the answers keep: an indicator's response may carry its
/// version beside the definition; a boolean parameter is true or false, nothing else.
#[tokio::test]
async fn the_api_keeps_to_its_contract() {
    let dir = tempfile::tempdir().unwrap();
    for env in envs(&dir, Load::Users).await {
        let doc = env.request("GET", "/api/v1/openapi.json", None, None, None, Vec::new()).await.json;
        let indicator = &doc["components"]["schemas"]["Indicator"];
        assert!(indicator["additionalProperties"] != serde_json::json!(false), "IndicatorRow adds version fields to it: {indicator}");
        // Every operation documents the answers the common layers can give.
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                for code in ["400", "401", "403", "405", "413", "500", "507"] {
                    assert!(op["responses"].get(code).is_some(), "{method} {path}: {code} not documented");
                }
                // A query parameter is declared in the query, not as a path parameter the path lacks.
                for p in op["parameters"].as_array().into_iter().flatten() {
                    let name = p["name"].as_str().unwrap();
                    if p["in"] == "path" {
                        assert!(path.contains(&format!("{{{name}}}")), "{method} {path}: {name} declared in the path");
                    }
                }
            }
        }
        for v in ["TRUE", "yes", "on", "NaN"] {
            let r = env
                .request("GET", &format!("/api/v1/observations?indicator=SI_POV_NAHC&history={v}"), Some("admin"), None, None, Vec::new())
                .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "history={v}: {}", r.text);
        }
        let r = env.request("GET", "/api/v1/observations?indicator=SI_POV_NAHC&history=true", Some("admin"), None, None, Vec::new()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
}
