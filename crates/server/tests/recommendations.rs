//! Recommendations, measures and follow-up over HTTP (API and pages), on SQLite and PostgreSQL
//! with the demo loaded.

use axum::http::{StatusCode, header};
use serde_json::Value;

mod common;
use common::{Load, envs};

#[tokio::test]
async fn poverty_recommendations_with_links_and_evidence() {
    let dir = tempfile::tempdir().unwrap();
    for env in envs(&dir, Load::DemoWithFollowUp).await {
        let r = env.call("GET", "/api/v1/recommendations?q=poverty&country=CN", None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let list = r.json.as_array().unwrap();
        assert!(list.len() >= 12, "{}", list.len());
        assert!(list.iter().all(|x| x["text"].as_str().unwrap().to_lowercase().contains("poverty") && x["state_under_review"] == "China"));
        let linked = list.iter().filter(|x| !x["measures"].as_array().unwrap().is_empty()).count();
        assert!(linked >= 10, "most poverty recommendations are linked to measures: {linked}");
        let ev = list
            .iter()
            .flat_map(|x| x["evidence"].as_array().unwrap())
            .find(|e| e["indicator"] == "CN_RURAL_POOR_POP" && e["baseline"]["period"] == "2013")
            .expect("a 2013 recommendation with the rural poor population as evidence");
        assert_eq!(ev["trend"], "improving");
        assert_eq!(ev["baseline"]["value"], 8249.0);
        assert_eq!(ev["unit"], "PERSONS");
        assert!(list.iter().all(|x| x["assessments"].as_array().unwrap().is_empty()), "the public sees no assessments");

        let csv = env.call("GET", "/api/v1/recommendations?q=poverty&country=CN&format=csv", None, None).await;
        assert_eq!(csv.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
        let mut rdr = csv::Reader::from_reader(csv.text.as_bytes());
        assert_eq!(rdr.records().count(), list.len(), "the CSV holds the same selection");
        assert!(csv.text.contains("Rural population below the national poverty line [CN_RURAL_POOR_POP]: improving"));

        assert_eq!(env.call("GET", "/api/v1/recommendations?response=maybe", None, None).await.status, StatusCode::BAD_REQUEST);
        assert_eq!(env.call("GET", "/api/v1/recommendations/NOPE", None, None).await.status, StatusCode::NOT_FOUND);
        let measures = env.call("GET", "/api/v1/measures", None, None).await.json;
        assert_eq!(measures.as_array().unwrap().len(), 11);
        let dibao = env.call("GET", "/api/v1/measures/DIBAO", None, None).await.json;
        assert_eq!(dibao["local_term"], "低保");
        assert!(!dibao["recommendations"].as_array().unwrap().is_empty());
    }
}

#[tokio::test]
async fn pages_in_english_and_chinese() {
    let dir = tempfile::tempdir().unwrap();
    for env in envs(&dir, Load::DemoWithFollowUp).await {
        let en = env.call("GET", "/recommendations?q=poverty&country=CN&lang=en", None, None).await;
        assert_eq!(en.status, StatusCode::OK);
        assert!(en.text.contains("Recommendations and their follow-up") && en.text.contains("lang=\"en\""));
        assert!(en.headers[header::SET_COOKIE].to_str().unwrap().starts_with("rs_lang=en"));
        let api = env.call("GET", "/api/v1/recommendations?q=poverty&country=CN", None, None).await.json;
        assert!(en.text.contains(&format!("<strong id=\"count\">{}</strong>", api.as_array().unwrap().len())));
        // (minijinja escapes "/" as &#x2f; in attributes, which browsers decode.)
        assert!(en.text.contains("recommendations?q=poverty&amp;country=CN&amp;format=csv\" download"), "CSV link keeps the filter");
        let zh = env.call("GET", "/recommendations?q=poverty&country=CN&lang=zh", None, None).await;
        assert!(zh.text.contains("建议及其落实情况") && zh.text.contains("lang=\"zh-CN\""));

        let uid = api.as_array().unwrap().iter().find(|x| !x["evidence"].as_array().unwrap().is_empty()).unwrap()["uid"]
            .as_str()
            .unwrap()
            .to_string();
        let page = env.call("GET", &format!("/recommendations/{uid}?lang=en"), None, None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("<svg class=\"spark\"") && page.text.contains("improving"), "{}", page.text);
        assert!(page.text.contains("Sign in to see the assessments"));
        assert!(page.text.contains("persons × 10,000"), "the unit and multiplier are spelled out");
        let zh = env.call("GET", &format!("/recommendations/{uid}?lang=zh"), None, None).await;
        assert!(zh.text.contains("数据反映的情况") && zh.text.contains("改善"));
        let m = env.call("GET", "/measures/RELOCATION_FOR_POVERTY_ALLEVIATION?lang=en", None, None).await;
        assert!(m.text.contains("易地扶贫搬迁") && m.text.contains("General Comment No. 7"));
        assert_eq!(env.call("GET", "/recommendations/NOPE", None, None).await.status, StatusCode::NOT_FOUND);
        let css = env.call("GET", "/rightstat.css", None, None).await;
        assert!(css.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/css"));
        // Text is escaped, never interpreted.
        let xss = env.call("GET", "/recommendations?q=%3Cscript%3E", None, None).await;
        assert_eq!(xss.status, StatusCode::BAD_REQUEST, "the query guard refuses angle brackets");
    }
}

#[tokio::test]
async fn assessments_by_the_responsible_department_only() {
    let dir = tempfile::tempdir().unwrap();
    for env in envs(&dir, Load::DemoWithFollowUp).await {
        // The demo coordinator works for the Ministry of Civil Affairs (MCA), which contributes to the poverty cluster.
        let list = env.call("GET", "/api/v1/recommendations?cluster=poverty&department=MCA", None, None).await.json;
        let uid = list[0]["uid"].as_str().unwrap().to_string();
        let other =
            env.call("GET", "/api/v1/recommendations?q=Ratify+the+ICCPR", None, None).await.json[0]["uid"].as_str().unwrap().to_string();
        let gov = serde_json::json!({ "assessor": "government", "assessor_name": "Ministry of Civil Affairs", "assessed_on": "2019-03-01", "status": "partially_implemented", "text": "Dibao standards raised." });
        let r = env.call("POST", &format!("/api/v1/recommendations/{uid}/assessments"), Some("coordinator"), Some(gov.clone())).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let r = env.call("POST", &format!("/api/v1/recommendations/{other}/assessments"), Some("coordinator"), Some(gov.clone())).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "not the coordinator's department");
        let mut indep = gov.clone();
        indep["assessor"] = "civil_society".into();
        indep["assessor_name"] = "A civil-society coalition".into();
        indep["status"] = "in_progress".into();
        let r = env.call("POST", &format!("/api/v1/recommendations/{uid}/assessments"), Some("coordinator"), Some(indep.clone())).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "a department does not write the independent view");
        let r = env.call("POST", &format!("/api/v1/recommendations/{uid}/assessments"), Some("admin"), Some(indep)).await;
        assert_eq!(r.status, StatusCode::CREATED);
        let mut bad = gov.clone();
        bad["status"] = "done".into();
        assert_eq!(
            env.call("POST", &format!("/api/v1/recommendations/{uid}/assessments"), Some("admin"), Some(bad)).await.status,
            StatusCode::BAD_REQUEST
        );

        let anon = env.call("GET", &format!("/api/v1/recommendations/{uid}"), None, None).await.json;
        assert_eq!((anon["status"].as_str(), anon["assessments"].as_array().unwrap().len()), (Some("partially_implemented"), 0));
        let analyst = env.call("GET", &format!("/api/v1/recommendations/{uid}"), Some("analyst"), None).await.json;
        assert_eq!(analyst["assessments"].as_array().unwrap().len(), 2);
        let page = env.call("GET", &format!("/recommendations/{uid}?lang=en"), Some("analyst"), None).await.text;
        assert!(page.contains("Dibao standards raised.") && page.contains("A civil-society coalition"), "{page}");
        let filtered = env.call("GET", "/api/v1/recommendations?status=partially_implemented", None, None).await.json;
        assert_eq!(filtered.as_array().unwrap().len(), 1);

        // Links and measures: administrators only, validated.
        let link = serde_json::json!({ "kind": "indicator", "code": "CN_POOR_REG_POP", "breakdowns": ["SEX", "DISABILITY_STATUS"] });
        assert_eq!(
            env.call("POST", &format!("/api/v1/recommendations/{uid}/links"), Some("admin"), Some(link)).await.status,
            StatusCode::NO_CONTENT
        );
        let after = env.call("GET", &format!("/api/v1/recommendations/{uid}"), None, None).await.json;
        let ev = after["evidence"].as_array().unwrap().iter().find(|e| e["indicator"] == "CN_POOR_REG_POP").unwrap().clone();
        assert_eq!(ev["breakdowns_asked"], serde_json::json!(["SEX", "DISABILITY_STATUS"]));
        let bad_link = serde_json::json!({ "kind": "indicator", "code": "NOPE" });
        assert_eq!(
            env.call("POST", &format!("/api/v1/recommendations/{uid}/links"), Some("admin"), Some(bad_link)).await.status,
            StatusCode::NOT_FOUND
        );
        let mut m = env.call("GET", "/api/v1/measures/DIBAO", None, None).await.json;
        m["end_date"] = "2001-01-01".into();
        let r = env.call("PUT", "/api/v1/measures/DIBAO", Some("admin"), Some(m)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.json["message"].as_str().unwrap().contains("ends"), "{}", r.text);

        // Import over HTTP: all or nothing, with the place of each error.
        let bad = "cycle,session,year,state_under_review,recommending_state,recommendation,response\n2,17,2013,China,Chile,Do X,Perhaps\n";
        let r = env.call("POST", "/api/v1/recommendations/import?format=upr-info", Some("admin"), Some(Value::String(bad.into()))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            (r.json["report"]["errors"][0]["row"].as_u64(), r.json["report"]["errors"][0]["column"].as_str()),
            (Some(2), Some("response"))
        );
    }
}

/// Reports from the web: the list, a draft in Chinese as HTML, the same as DOCX, the checks.
#[tokio::test]
async fn reports_are_built_from_the_web() {
    let dir = tempfile::tempdir().unwrap();
    for env in envs(&dir, Load::DemoWithFollowUp).await {
        // Drafts are for signed-in users: a visitor is sent to sign in, and back here afterwards.
        let r = env.call("GET", "/reports", None, None).await;
        assert_eq!((r.status, r.location().as_deref()), (StatusCode::SEE_OTHER, Some("/login?next=/reports")));
        let r = env.call("GET", "/reports?lang=en", Some("analyst"), None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.text.contains("href=\"/reports/cescr?lang=zh&amp;format=docx\"") && r.text.contains("UPR mid-term"), "{}", r.text);
        let r = env.call("GET", "/reports/gaps?lang=zh&articles=11", Some("reporter"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.text.contains("<h2>第11条</h2>") && r.text.contains("缺失"), "{}", r.text);
        let r = env.call("GET", "/reports/cescr?lang=en&format=docx", Some("analyst"), None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains("rightstat-cescr-en.docx"));
        assert!(r.text.starts_with("PK"), "a DOCX package");
        let r = env.call("GET", "/api/v1/reports/upr/checks?lang=en", Some("analyst"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.json["words"].as_u64().unwrap() > 500, "{}", r.text);
        assert!(r.json["findings"].as_array().unwrap().iter().any(|f| f["check"] == "local_term"), "{}", r.text);
        assert_eq!(env.call("GET", "/reports/cescr?lang=fr", Some("analyst"), None).await.status, StatusCode::BAD_REQUEST);
        assert_eq!(env.call("GET", "/reports/poem", Some("analyst"), None).await.status, StatusCode::NOT_FOUND);
        assert_eq!(env.call("GET", "/reports/annex?articles=99", Some("analyst"), None).await.status, StatusCode::BAD_REQUEST);
    }
}

/// The constructive dialogue over HTTP: the demo's list of issues read by anyone, a list
/// imported by an administrator (refused whole with the line of each error, and to others),
/// and the replies and briefing book on /reports.
#[tokio::test]
async fn lists_of_issues_and_the_dialogue_drafts() {
    let dir = tempfile::tempdir().unwrap();
    for env in envs(&dir, Load::DemoWithFollowUp).await {
        let r = env.call("GET", "/api/v1/lists-of-issues", None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json[0]["symbol"], "DEMO/E/C.12/CHN/Q/1");
        assert_eq!(r.json[0]["questions"].as_array().unwrap().len(), 8);
        assert_eq!(r.json[0]["questions"][2]["articles"], serde_json::json!([9]));
        assert!(r.json[0]["questions"][2]["text_zh"].as_str().unwrap().contains("最低生活保障"));
        let csv = "paragraph,question,heading,articles\n1,Please provide data on the dibao.,Right to social security (art. 9),9\n";
        let path = "/api/v1/lists-of-issues?format=csv&symbol=E/C.12/XYZ/Q/1";
        assert_eq!(env.call("POST", path, Some("coordinator"), Some(Value::String(csv.into()))).await.status, StatusCode::FORBIDDEN);
        let r = env.call("POST", path, Some("admin"), Some(Value::String(csv.into()))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!((r.json["committee"].as_str(), r.json["new"].as_u64()), (Some("CESCR"), Some(1)));
        let bad = "paragraph,question\n1,Q\nx,R\n";
        let r = env.call("POST", path, Some("admin"), Some(Value::String(bad.into()))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(
            (r.json["report"]["errors"][0]["row"].as_u64(), r.json["report"]["errors"][0]["column"].as_str()),
            (Some(3), Some("paragraph"))
        );
        assert_eq!(
            env.call("POST", "/api/v1/lists-of-issues?format=pdf", Some("admin"), Some(Value::String(csv.into()))).await.status,
            StatusCode::BAD_REQUEST
        );
        // The drafts on /reports: the replies to the latest list imported, in Chinese as DOCX.
        let r = env.call("GET", "/reports?lang=en", Some("analyst"), None).await;
        assert!(r.text.contains("href=\"/reports/loi-replies?lang=zh&amp;format=docx\"") && r.text.contains("Briefing book"), "{}", r.text);
        let r = env.call("GET", "/reports/loi-replies?lang=en", Some("analyst"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.text.contains("E/C.12/XYZ/Q/1") && r.text.contains("Reply to paragraph 1"), "{}", r.text);
        let r = env.call("GET", "/reports/briefing?lang=zh&format=docx", Some("analyst"), None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.text.starts_with("PK"), "a DOCX package");
    }
}

/// A rule's link over HTTP: shown as suggested, confirmed by an administrator's link, removed
/// by DELETE (and only by an administrator).
#[tokio::test]
async fn suggested_links_are_confirmed_or_removed() {
    let dir = tempfile::tempdir().unwrap();
    for env in envs(&dir, Load::DemoWithFollowUp).await {
        let r = env.call("GET", "/api/v1/recommendations?q=eliminate%20absolute%20poverty&cycle=3", None, None).await;
        let rec = &r.json[0];
        let uid = rec["uid"].as_str().unwrap().to_string();
        assert_eq!(rec["measures"][0]["suggested"], true, "{}", r.text);
        assert!(rec["evidence"].as_array().unwrap().iter().all(|e| e["suggested"] == true));
        let page = env.call("GET", &format!("/recommendations/{uid}?lang=zh"), None, None).await;
        assert!(page.text.contains("建议关联，待确认"), "{}", page.text);
        let m = rec["measures"][0]["code"].as_str().unwrap().to_string();
        let link = serde_json::json!({ "kind": "measure", "code": m });
        assert_eq!(
            env.call("POST", &format!("/api/v1/recommendations/{uid}/links"), Some("admin"), Some(link)).await.status,
            StatusCode::NO_CONTENT
        );
        let after = env.call("GET", &format!("/api/v1/recommendations/{uid}"), None, None).await.json;
        assert_eq!(after["measures"][0]["suggested"], false);
        let ind = rec["evidence"][0]["indicator"].as_str().unwrap().to_string();
        let path = format!("/api/v1/recommendations/{uid}/links/indicator/{ind}");
        assert_eq!(env.call("DELETE", &path, Some("coordinator"), None).await.status, StatusCode::FORBIDDEN);
        assert_eq!(env.call("DELETE", &path, Some("admin"), None).await.status, StatusCode::NO_CONTENT);
        assert_eq!(env.call("DELETE", &path, Some("admin"), None).await.status, StatusCode::NOT_FOUND);
        let bad = format!("/api/v1/recommendations/{uid}/links/department/NRRA");
        assert_eq!(env.call("DELETE", &bad, Some("admin"), None).await.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_api_sends_format_html_to_the_page() {
    let dir = tempfile::tempdir().unwrap();
    for env in common::envs(&dir, common::Load::Users).await {
        let r = env.call("GET", "/api/v1/recommendations?q=poverty&format=html", None, None).await;
        assert_eq!(r.status, axum::http::StatusCode::SEE_OTHER, "{}", r.text);
        assert_eq!(r.location().as_deref(), Some("/recommendations?q=poverty"));
    }
}
