//! The public portal served live, on SQLite and PostgreSQL: pages, downloads, the SDMX REST
//! query and the public JSON API show published figures only, with small cells withheld, and
//! a newly published batch appears at once.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use rightstat_store::{Actor, Store, testing};
use tower::ServiceExt;

async fn get(app: &axum::Router, uri: &str, accept: &str) -> (StatusCode, String, String) {
    let req = Request::get(uri).header(header::ACCEPT, accept).body(Body::empty()).unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let ct = res.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, ct, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn public_outputs_withhold_small_cells_and_unreleased_figures() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let store = Store::connect(&url).await.unwrap();
        let unreleased = testing::load_disclosure_fixture(&store).await;
        let app = rightstat_server::app(store.clone(), Default::default());
        let key = "CN_POOR_DROPOUTS";
        let outputs = [
            "/",
            "/en/index.html",
            "/zh/index.html",
            "/en/status.html",
            "/en/search.html?q=dropout",
            "/en/search.html?q=children%27s%20%22education%22",
            "/en/indicators/CN_POOR_DROPOUTS.html",
            "/zh/indicators/CN_POOR_DROPOUTS.html",
            "/data/CN_POOR_DROPOUTS.csv",
            "/data/CN_POOR_DROPOUTS.sdmx.csv",
            "/data/CN_POOR_DROPOUTS.sdmx.json",
            "/data/all.csv",
            "/sdmx/2.1/data/DF_RIGHTSTAT/CN_POOR_DROPOUTS",
            "/sdmx/2.1/data/RIGHTSTAT,DF_RIGHTSTAT,1.0/CN_POOR_DROPOUTS.CN+11+13?format=json",
            "/sdmx/2.1/data/DF_RIGHTSTAT",
            "/api/v1/observations?indicator=CN_POOR_DROPOUTS",
        ];
        for uri in outputs {
            let (status, _, body) = get(&app, uri, "*/*").await;
            assert_eq!(status, StatusCode::OK, "{url} {uri}: {body}");
            assert!(!body.contains("98765"), "{url} {uri}: the unreleased figure leaked");
            assert!(!body.contains("4317"), "{url} {uri}: the withheld figure leaked");
        }
        // Live pages lead staff to the sign-in page; the static copy has none (see the portal tests).
        assert!(get(&app, "/en/index.html", "*/*").await.2.contains("href=\"/login\""));
        // The JSON API gives the public the withheld rows without their value.
        let (_, _, body) = get(&app, "/api/v1/observations?indicator=CN_POOR_DROPOUTS&area=11", "*/*").await;
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["observations"][0]["value"], serde_json::Value::Null, "{body}");
        assert_eq!(v["observations"][0]["status"], "Q");
        let (status, _, _) = get(&app, "/api/v1/observations?indicator=CN_POOR_DROPOUTS&history=true", "*/*").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "history would show old vintages without disclosure control: sign in");

        // SDMX REST: content negotiation, the period range, errors.
        let (_, ct, body) =
            get(&app, &format!("/sdmx/2.1/data/DF_RIGHTSTAT/{key}.CN?startPeriod=2023"), "application/vnd.sdmx.data+json").await;
        assert!(ct.starts_with("application/vnd.sdmx.data+json"), "{ct}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let periods = &v["structure"]["dimensions"]["observation"].as_array().unwrap().last().unwrap()["values"];
        assert_eq!(periods, &serde_json::json!([{"id": "2023", "name": "2023"}]));
        let (_, ct, body) = get(&app, &format!("/sdmx/2.1/data/DF_RIGHTSTAT/{key}.CN?endPeriod=2022"), "text/csv").await;
        assert!(ct.starts_with("application/vnd.sdmx.data+csv") && body.contains(",2022,5012,"), "{ct} {body}");
        // No preference: SDMX-ML, as the standard's default is.
        let (_, ct, body) = get(&app, &format!("/sdmx/2.1/data/DF_RIGHTSTAT/{key}.CN?endPeriod=2022"), "*/*").await;
        assert!(ct.starts_with("application/vnd.sdmx.structurespecificdata+xml"), "{ct}");
        assert!(body.contains("<Obs TIME_PERIOD=\"2022\" OBS_VALUE=\"5012\""), "{body}");
        assert_eq!(get(&app, "/sdmx/2.1/data/DF_NOPE/all", "*/*").await.0, StatusCode::NOT_FOUND);
        assert_eq!(get(&app, &format!("/sdmx/2.1/data/DF_RIGHTSTAT/{key}?startPeriod=x"), "*/*").await.0, StatusCode::BAD_REQUEST);
        assert_eq!(get(&app, &format!("/sdmx/2.1/data/DF_RIGHTSTAT/{key}.XX"), "*/*").await.0, StatusCode::NOT_FOUND);
        assert_eq!(get(&app, "/en/indicators/NOPE.html", "*/*").await.0, StatusCode::NOT_FOUND);

        // Publishing the 2024 batch shows it at once (the snapshot follows the store).
        store.publish_batch(unreleased, &Actor::system()).await.unwrap();
        let (_, _, body) = get(&app, "/data/CN_POOR_DROPOUTS.csv", "*/*").await;
        assert!(body.contains(",2024,") && body.contains("98765"), "{url}: {body}");
    }
}

#[tokio::test]
async fn the_evidence_beside_a_recommendation_is_under_the_same_control() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&testing::fresh_sqlite_url(dir.path())).await.unwrap();
    testing::load_disclosure_fixture(&store).await;
    store.load_demo_follow_up().await.unwrap();
    let recs = store.find_recommendations(&Default::default()).await.unwrap();
    let uid = recs[0].uid.clone();
    store.link_indicator(&uid, "CN_POOR_DROPOUTS", None, &Actor::system()).await.unwrap();
    // With a minimum of 5,000 the national 4,321 of 2023 is withheld; 5,012 of 2022 is not.
    let config = rightstat_server::Config {
        disclosure: rightstat_core::disclosure::Rules { min_count: 5000.0, ..Default::default() },
        ..Default::default()
    };
    let app = rightstat_server::app(store.clone(), config);
    let page = "/en/indicators/CN_POOR_DROPOUTS.html";
    assert!(get(&app, page, "*/*").await.2.contains("helps to follow up (1)"));
    // A new link shows at once: the snapshot follows the recommendations too.
    store.link_indicator(&recs[1].uid, "CN_POOR_DROPOUTS", None, &Actor::system()).await.unwrap();
    assert!(get(&app, page, "*/*").await.2.contains("helps to follow up (2)"));
    let (status, _, body) = get(&app, &format!("/api/v1/recommendations/{uid}"), "application/json").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let ev = v["evidence"].as_array().unwrap().iter().find(|e| e["indicator"] == "CN_POOR_DROPOUTS").expect("linked").clone();
    let periods: Vec<&str> = ev["series"].as_array().unwrap().iter().map(|p| p["period"].as_str().unwrap()).collect();
    assert_eq!(periods, ["2022"], "{ev}");
    assert!(!body.contains("4321") && !body.contains("98765"), "{body}");
    for page in [format!("/recommendations/{uid}"), "/api/v1/recommendations?format=csv".to_string()] {
        let (_, _, body) = get(&app, &page, "*/*").await;
        assert!(!body.contains("4321") && !body.contains("4,321"), "{page}");
    }
}

/// SDMX structure queries: a client discovers the dataflow, follows it to the data structure
/// definition and its codelists, and the DSD's key is the one the data and the REST key use.
#[tokio::test]
async fn sdmx_structures_describe_the_data() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let store = Store::connect(&url).await.unwrap();
        testing::load_disclosure_fixture(&store).await;
        let app = rightstat_server::app(store.clone(), Default::default());
        let (st, ct, xml) = get(&app, "/sdmx/2.1/dataflow/RIGHTSTAT/all/latest?references=all", "*/*").await;
        assert_eq!(st, StatusCode::OK, "{url}: {xml}");
        assert!(ct.starts_with("application/vnd.sdmx.structure+xml"), "{ct}");
        for part in [
            "<str:Dataflow id=\"DF_RIGHTSTAT\"",
            "<str:DataStructure id=\"DSD_RIGHTSTAT\"",
            "<str:Codelist id=\"CL_SEX\"",
            "<str:ConceptScheme id=\"CS_RIGHTSTAT\"",
            "xml:lang=\"zh\"",
        ] {
            assert!(xml.contains(part), "{url}: {part} missing");
        }
        // The DSD's dimensions, in order, are the data's key.
        let dims: Vec<&str> = xml.split("<str:Dimension id=\"").skip(1).map(|s| &s[..s.find('"').unwrap()]).collect();
        let (_, _, csv) = get(&app, "/sdmx/2.1/data/DF_RIGHTSTAT/CN_POOR_DROPOUTS", "text/csv").await;
        let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        let csv_dims: Vec<&str> = header.iter().copied().filter(|h| dims.contains(h)).collect();
        assert_eq!(csv_dims, dims, "{url}: the SDMX-CSV columns follow the DSD whatever the query");
        assert_eq!(dims.len() + 1, xml.matches("position=\"").count(), "one time dimension after the key");
        // A datastructure with its children; a codelist alone; unknown ids are 404; bad references 400.
        let (st, _, dsd) = get(&app, "/sdmx/2.1/datastructure/RIGHTSTAT/DSD_RIGHTSTAT/1.0?references=children", "*/*").await;
        assert!(st == StatusCode::OK && dsd.contains("<str:Codelists>") && !dsd.contains("<str:Dataflows>"), "{dsd}");
        let (st, _, cl) = get(&app, "/sdmx/2.1/codelist/RIGHTSTAT/CL_URBANISATION", "*/*").await;
        assert!(st == StatusCode::OK && cl.contains("<str:Code id=\"R\">") && cl.matches("<str:Codelist ").count() == 1, "{cl}");
        assert_eq!(get(&app, "/sdmx/2.1/codelist/RIGHTSTAT/CL_NOPE", "*/*").await.0, StatusCode::NOT_FOUND);
        assert_eq!(get(&app, "/sdmx/2.1/dataflow/OTHER/DF_RIGHTSTAT/latest", "*/*").await.0, StatusCode::NOT_FOUND);
        assert_eq!(
            get(&app, "/sdmx/2.1/dataflow/RIGHTSTAT/DF_RIGHTSTAT/latest?references=cousins", "*/*").await.0,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(get(&app, "/sdmx/2.1/categoryscheme/RIGHTSTAT/all/latest", "*/*").await.0, StatusCode::NOT_FOUND);
        // detail: stubs name the structures without their content; the queried one stays whole
        // with referencestubs.
        let (_, _, stubs) = get(&app, "/sdmx/2.1/dataflow/RIGHTSTAT/DF_RIGHTSTAT/latest?references=all&detail=allstubs", "*/*").await;
        assert!(stubs.contains("isExternalReference=\"true\"") && !stubs.contains("<str:Code ") && !stubs.contains("<str:Dimension "));
        assert!(stubs.contains("<str:Codelist id=\"CL_SEX\"") && stubs.contains("xml:lang=\"zh\""), "{stubs}");
        let (_, _, refs) =
            get(&app, "/sdmx/2.1/datastructure/RIGHTSTAT/DSD_RIGHTSTAT/latest?references=children&detail=referencestubs", "*/*").await;
        assert!(refs.contains("<str:Dimension ") && !refs.contains("<str:Code "), "{refs}");
        assert_eq!(get(&app, "/sdmx/2.1/codelist/RIGHTSTAT/CL_SEX?detail=some", "*/*").await.0, StatusCode::BAD_REQUEST);
        // The content constraint of the whole dataflow.
        let (st, _, cc) = get(&app, "/sdmx/2.1/contentconstraint/RIGHTSTAT/CC_AVAILABLE/latest", "*/*").await;
        assert!(st == StatusCode::OK && cc.contains("<com:Value>CN_POOR_DROPOUTS</com:Value>"), "{cc}");
        // Availability: the codes that have data for a partial key, for a data explorer's filters.
        let (st, _, av) = get(&app, "/sdmx/2.1/availableconstraint/DF_RIGHTSTAT/CN_POOR_DROPOUTS", "*/*").await;
        assert_eq!(st, StatusCode::OK, "{av}");
        assert!(
            av.contains("type=\"Actual\"")
                && av.contains("<com:KeyValue id=\"REF_AREA\">")
                && av.contains("<com:Value>CN_POOR_DROPOUTS</com:Value>"),
            "{av}"
        );
        assert!(!av.contains("<com:Value>SI_POV_NAHC</com:Value>"), "only what the key selects");
        assert_eq!(get(&app, "/sdmx/2.1/availableconstraint/DF_RIGHTSTAT/NOPE", "*/*").await.0, StatusCode::NOT_FOUND);
        // lastNObservations: the newest observation of each series; firstNObservations the oldest.
        let (_, _, all) = get(&app, "/sdmx/2.1/data/DF_RIGHTSTAT/all", "text/csv").await;
        let (st, _, last) = get(&app, "/sdmx/2.1/data/DF_RIGHTSTAT/all?lastNObservations=1", "text/csv").await;
        assert_eq!(st, StatusCode::OK, "{last}");
        // A series: the key columns between STRUCTURE_ID/ACTION and TIME_PERIOD.
        let series = |text: &str| -> (usize, std::collections::BTreeSet<String>) {
            let mut r = csv::Reader::from_reader(text.as_bytes());
            let h = r.headers().unwrap().clone();
            let time = h.iter().position(|c| c == "TIME_PERIOD").unwrap();
            let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
            (rows.len(), rows.iter().map(|x| x.iter().take(time).skip(3).collect::<Vec<_>>().join("|")).collect())
        };
        let ((n_all, s_all), (n_last, s_last)) = (series(&all), series(&last));
        assert_eq!(s_last, s_all, "every series keeps an observation");
        assert_eq!(n_last, s_all.len(), "one per series");
        assert!(n_all > n_last);
        assert_eq!(get(&app, "/sdmx/2.1/data/DF_RIGHTSTAT/all?lastNObservations=0", "*/*").await.0, StatusCode::BAD_REQUEST);
        // What is not offered is said, not silently replaced.
        let (st, _, why) = get(&app, "/sdmx/2.1/data/DF_RIGHTSTAT/all", "application/vnd.sdmx.genericdata+xml;version=2.1").await;
        assert_eq!(st, StatusCode::NOT_ACCEPTABLE, "{why}");
        assert!(why.contains("SDMX-CSV") && why.contains("SDMX-JSON") && why.contains("structure-specific"), "{why}");
    }
}

/// The same query in the three formats, and the standard's `detail`, `dimensionAtObservation`,
/// `updatedAfter` and the provider segment; CORS for the public routes only; paths with a
/// trailing slash; the API reference page.
#[tokio::test]
async fn sdmx_data_messages_agree_and_take_the_standard_parameters() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let store = Store::connect(&url).await.unwrap();
        testing::load_disclosure_fixture(&store).await;
        let app = rightstat_server::app(store.clone(), Default::default());
        let q = "/sdmx/2.1/data/DF_RIGHTSTAT/CN_POOR_DROPOUTS";
        let (_, _, csv) = get(&app, q, "text/csv").await;
        let (_, _, ml) = get(&app, q, "application/vnd.sdmx.structurespecificdata+xml;version=2.1").await;
        let (_, _, json) = get(&app, q, "application/vnd.sdmx.data+json;version=1.0.0").await;
        let n_csv = csv.lines().count() - 1;
        assert_eq!(ml.matches("<Obs ").count(), n_csv, "{url}: {ml}");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let n_json: usize =
            v["dataSets"][0]["series"].as_object().unwrap().values().map(|s| s["observations"].as_object().unwrap().len()).sum();
        assert_eq!(n_json, n_csv, "{url}");
        // A withheld cell: no value, status Q, in all three.
        assert!(csv.contains(",,") && csv.contains(",Q,"), "{csv}");
        let withheld = ml.lines().find(|l| l.contains("OBS_STATUS=\"Q\"")).expect("a withheld observation");
        assert!(!withheld.contains("OBS_VALUE"), "{withheld}");
        assert!(json.contains("\"id\": \"Q\""), "{json}");
        // The DSD's attributes are the messages' attributes, COMPLETENESS included.
        assert!(csv.lines().next().unwrap().ends_with("SOURCE_DETAIL,COMMENT_OBS,COMPLETENESS"), "{csv}");
        let (_, _, dsd) = get(&app, "/sdmx/2.1/datastructure/RIGHTSTAT/DSD_RIGHTSTAT", "*/*").await;
        assert!(dsd.contains("<str:Attribute id=\"COMPLETENESS\""), "{dsd}");

        // detail: dataonly drops the attributes; serieskeysonly lists each series once.
        let (_, _, data_only) = get(&app, &format!("{q}?detail=dataonly"), "text/csv").await;
        assert!(data_only.lines().next().unwrap().ends_with("TIME_PERIOD,OBS_VALUE"), "{data_only}");
        let (_, _, keys) = get(&app, &format!("{q}?detail=serieskeysonly"), "*/*").await;
        let series = ml.matches("<Series ").count();
        assert!(series > 0 && keys.matches("<Series ").count() == series && !keys.contains("<Obs"), "{keys}");
        let (_, _, keys_csv) = get(&app, &format!("{q}?detail=nodata"), "text/csv").await;
        assert_eq!(keys_csv.lines().count() - 1, series);
        // AllDimensions: a flat list, each observation with its whole key.
        let (_, _, flat) = get(&app, &format!("{q}?dimensionAtObservation=AllDimensions"), "*/*").await;
        assert!(!flat.contains("<Series") && flat.matches("<Obs INDICATOR=").count() == n_csv, "{flat}");
        assert!(flat.contains("ObsLevelDim:AllDimensions"));
        let (_, _, flat_json) = get(&app, &format!("{q}?dimensionAtObservation=AllDimensions&format=json"), "*/*").await;
        let v: serde_json::Value = serde_json::from_str(&flat_json).unwrap();
        assert_eq!(v["dataSets"][0]["observations"].as_object().unwrap().len(), n_csv);
        // updatedAfter: released after the instant; nothing is newer than the future.
        assert_eq!(get(&app, &format!("{q}?updatedAfter=2000-01-01"), "text/csv").await.2, csv);
        assert_eq!(get(&app, &format!("{q}?updatedAfter=2999-01-01T00:00:00Z"), "*/*").await.0, StatusCode::NOT_FOUND);
        assert_eq!(get(&app, &format!("{q}?updatedAfter=soon"), "*/*").await.0, StatusCode::BAD_REQUEST);
        // The full path with the provider, and with the slash clients end it with.
        assert_eq!(get(&app, &format!("{q}/all"), "text/csv").await.2, csv);
        assert_eq!(get(&app, &format!("{q}/RIGHTSTAT/"), "text/csv").await.2, csv);
        assert_eq!(get(&app, &format!("{q}/OTHER"), "*/*").await.0, StatusCode::NOT_FOUND);
        assert_eq!(get(&app, "/sdmx/2.1/dataflow/all/all/latest/", "*/*").await.0, StatusCode::OK);

        // CORS: another site's page may read public data, not what needs a sign-in.
        let cors = |uri: &str| {
            let req = Request::get(uri).header(header::ORIGIN, "https://explorer.example.org").body(Body::empty()).unwrap();
            let app = app.clone();
            async move { app.oneshot(req).await.unwrap().headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).cloned() }
        };
        assert!(cors(q).await.is_some());
        assert!(cors("/api/v1/indicators").await.is_some());
        assert!(cors("/api/v1/rounds").await.is_none());
        let preflight = Request::options(q)
            .header(header::ORIGIN, "https://explorer.example.org")
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
            .body(Body::empty())
            .unwrap();
        let res = app.clone().oneshot(preflight).await.unwrap();
        assert!(res.status().is_success() && res.headers().contains_key(header::ACCESS_CONTROL_ALLOW_METHODS));
        let only = rightstat_server::Config { cors_origins: vec!["https://data.example.org".into()], ..Default::default() };
        let strict = rightstat_server::app(store.clone(), only);
        let req = Request::get(q).header(header::ORIGIN, "https://explorer.example.org").body(Body::empty()).unwrap();
        assert!(!strict.oneshot(req).await.unwrap().headers().contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));

        // The API reference: every operation of the document, as a page.
        let (st, ct, page) = get(&app, "/api/docs", "text/html").await;
        assert!(st == StatusCode::OK && ct.starts_with("text/html"), "{page}");
        let (_, _, doc) = get(&app, "/api/v1/openapi.json", "*/*").await;
        let doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
        for path in doc["paths"].as_object().unwrap().keys() {
            assert!(page.contains(&format!("<code>{}</code>", path.replace('&', "&amp;"))), "{path} missing from /api/docs");
        }
        assert!(!page.contains("<script"), "no script");
        // Reads of public figures say in the document that they may be too large (past the
        // snapshot's limit) or wait for a release being applied.
        for path in ["/api/v1/observations", "/data/{file}", "/sdmx/2.1/data/{flow}/{key}", "/sdmx/2.1/availableconstraint/{flow}/{key}"] {
            let responses = &doc["paths"][path]["get"]["responses"];
            assert!(responses["413"].is_object() && responses["503"].is_object(), "{path}: {responses}");
        }
    }
}
