//! The HTTP API as a client sees it, on SQLite and PostgreSQL with the demo data loaded.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use rightstat_store::{Store, testing};
use serde_json::{Value, json};
use tower::ServiceExt;

mod common;

async fn apps(dir: &tempfile::TempDir) -> Vec<axum::Router> {
    let mut out = Vec::new();
    for url in testing::fresh_urls(dir.path()).await {
        let store = Store::connect(&url).await.unwrap();
        store.seed_reference().await.unwrap();
        store.load_demo().await.unwrap();
        out.push(rightstat_server::app(store, Default::default()));
    }
    out
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, Value) {
    let res = app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn rural_poor_population_series_with_units_and_sources() {
    let dir = tempfile::tempdir().unwrap();
    for app in apps(&dir).await {
        let (status, _, body) = get(&app, "/api/v1/observations?indicator=CN_RURAL_POOR_POP&area=CN").await;
        assert_eq!(status, StatusCode::OK);
        let obs = body["observations"].as_array().unwrap();
        for year in 2012..=2019 {
            let o =
                obs.iter().find(|o| o["period"].as_str() == Some(year.to_string().as_str())).unwrap_or_else(|| panic!("{year} missing"));
            assert_eq!(o["unit"], "PERSONS");
            assert_eq!(o["unit_mult"], 4);
            assert_eq!(o["unit_mult_label"], "10,000");
            assert_eq!(o["status"], "A");
            assert!(!o["source"].as_str().unwrap().is_empty());
        }
        let y2012 = obs.iter().find(|o| o["period"] == "2012").unwrap();
        assert_eq!(y2012["value"], 9899.0);
        assert_eq!(y2012["unit_name_en"], "persons");
        assert!(y2012["source"].as_str().unwrap().contains("National Bureau of Statistics"), "{}", y2012["source"]);
        // Signed out: no internal note (the reprint it was read from) anywhere.
        assert!(obs.iter().all(|o| o.get("internal_note").is_none()), "internal notes reach the public");
    }
}

#[tokio::test]
async fn catalogue_lists_forty_indicators_in_two_languages() {
    let dir = tempfile::tempdir().unwrap();
    for app in apps(&dir).await {
        let (status, _, body) = get(&app, "/api/v1/indicators").await;
        assert_eq!(status, StatusCode::OK);
        let list = body.as_array().unwrap();
        assert!(list.len() >= 40);
        assert!(list.iter().all(|i| !i["name_zh"].as_str().unwrap().is_empty() && !i["name_en"].as_str().unwrap().is_empty()));
        let (_, _, art9) = get(&app, "/api/v1/indicators?article=9&type=process").await;
        assert!(art9.as_array().unwrap().iter().any(|i| i["code"] == "CN_DIBAO_EXPENDITURE"));
        assert!(!art9.as_array().unwrap().iter().any(|i| i["code"] == "CN_DIBAO_RECIPIENTS"), "coverage is an outcome");
        assert!(art9.as_array().unwrap().iter().all(|i| i["ohchr_type"] == "process"));
        let (status, _, one) = get(&app, "/api/v1/indicators/SI_POV_NAHC").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(one["aggregation"]["method"], "ratio");
        assert_eq!(one["sdg_indicator"], "1.2.1");
        assert_eq!(get(&app, "/api/v1/indicators/NOPE").await.0, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn areas_tree_children_and_descendants() {
    let dir = tempfile::tempdir().unwrap();
    for app in apps(&dir).await {
        let (_, _, provinces) = get(&app, "/api/v1/areas/CN/children").await;
        assert_eq!(provinces.as_array().unwrap().len(), 31);
        let (_, _, counties) = get(&app, "/api/v1/areas/CN/descendants?level=county&period=2022").await;
        assert_eq!(counties.as_array().unwrap().len(), 2978);
        let (_, _, tree) = get(&app, "/api/v1/areas/13/tree?depth=2").await;
        let prefectures = tree["children"].as_array().unwrap();
        assert_eq!(prefectures.len(), 11, "Hebei has 11 prefectures");
        assert!(prefectures.iter().all(|p| !p["children"].as_array().unwrap().is_empty()));
        assert_eq!(get(&app, "/api/v1/areas/13/descendants?level=parish").await.0, StatusCode::BAD_REQUEST);
        assert_eq!(get(&app, "/api/v1/areas/99/children").await.0, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn observation_filters_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    for app in apps(&dir).await {
        let (_, _, rural) = get(&app, "/api/v1/observations?indicator=SI_POV_NAHC&area=CN&URBANISATION=R&from=2015&to=2017").await;
        let periods: Vec<&str> = rural["observations"].as_array().unwrap().iter().map(|o| o["period"].as_str().unwrap()).collect();
        assert_eq!(periods, ["2015", "2016", "2017"]);
        let (_, _, both) = get(&app, "/api/v1/observations?indicator=CN_DIBAO_RECIPIENTS,CN_DIBAO_STANDARD&area=CN&limit=5").await;
        assert_eq!((both["count"].as_u64(), both["truncated"].as_bool()), (Some(5), Some(true)));
        for (uri, status) in [
            ("/api/v1/observations?indicator=NOPE", StatusCode::NOT_FOUND),
            ("/api/v1/observations?area=99", StatusCode::NOT_FOUND),
            ("/api/v1/observations?from=2012-13", StatusCode::BAD_REQUEST),
            ("/api/v1/observations?colour=red", StatusCode::BAD_REQUEST),
            ("/api/v1/observations?limit=0", StatusCode::BAD_REQUEST),
        ] {
            let (got, _, body) = get(&app, uri).await;
            assert_eq!(got, status, "{uri}: {body}");
            assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{uri}");
        }
    }
}

#[tokio::test]
async fn openapi_documents_every_route_and_headers_are_set() {
    let dir = tempfile::tempdir().unwrap();
    let app = apps(&dir).await.remove(0);
    let (status, headers, doc) = get(&app, "/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    for p in [
        "/healthz",
        "/api/v1/indicators",
        "/api/v1/indicators/{code}",
        "/api/v1/indicators/{code}/versions",
        "/api/v1/areas/{code}",
        "/api/v1/areas/{code}/children",
        "/api/v1/areas/{code}/descendants",
        "/api/v1/areas/{code}/tree",
        "/api/v1/observations",
        "/api/v1/codelists",
        "/api/v1/units",
        "/api/v1/departments",
        "/api/v1/icescr",
        "/api/v1/sdg",
    ] {
        assert!(paths.iter().any(|x| *x == p), "{p} undocumented");
    }
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    let (status, _, health) = get(&app, "/healthz").await;
    assert_eq!((status, health["status"].as_str()), (StatusCode::OK, Some("ok")));
}

/// Control characters never get into stored text: the glossary, a measure and an import refuse
/// them with the field (or row and column) named, and nothing changes; a lone surrogate in JSON
/// is refused as JSON.
#[tokio::test]
async fn control_characters_are_refused_with_their_place() {
    let dir = tempfile::tempdir().unwrap();
    for env in common::envs(&dir, common::Load::Users).await {
        let before = env.call("GET", "/api/v1/glossary", None, None).await.json;
        let mut terms = before.as_array().unwrap().clone();
        terms[0]["explanation_en"] = json!("poverty\u{0}line\u{8}");
        let (st, _, text) = env.call("PUT", "/api/v1/glossary", Some("admin"), Some(Value::Array(terms))).await.parts();
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
        assert!(text.contains("explanation_en") && text.contains("U+0000"), "{text}");
        assert_eq!(env.call("GET", "/api/v1/glossary", None, None).await.json, before, "nothing changed");
        // A lone surrogate is not JSON.
        let raw = br#"[{"zh":"\ud800","literal_en":"x","preferred_en":"x","explanation_en":"x","explanation_zh":"x"}]"#.to_vec();
        let r = env.request("PUT", "/api/v1/glossary", Some("admin"), None, Some("application/json"), raw).await;
        assert!(r.status.is_client_error(), "{} {}", r.status, r.text);
        // A measure.
        let m = json!({ "code": "CTRL_TEST", "name_zh": "测试", "name_en": "Test\u{1}measure" });
        let (st, _, text) = env.call("PUT", "/api/v1/measures/CTRL_TEST", Some("admin"), Some(m)).await.parts();
        assert!(st.is_client_error() && text.contains("U+0001"), "{st} {text}");
        // An import: the row and column are named.
        let csv = "indicator,area,period,value,source\nCN_DIBAO_RECIPIENTS,130102,2023,1.2,\"MCA\u{7}\"\n";
        let (st, out, text) = env.call("POST", "/api/v1/imports?name=c.csv", Some("admin"), Some(Value::String(csv.into()))).await.parts();
        assert!(st.is_client_error(), "{st} {text}");
        let e = &out["report"]["errors"][0];
        assert_eq!((e["row"].as_u64(), e["column"].as_str()), (Some(2), Some("source")), "{out}");
    }
}
