//! A collection round over HTTP, with the demo accounts: the administrator creates and opens
//! it, the county reporter sees only its own task, submits, the provincial reviewer approves,
//! and the national total follows. SQLite and PostgreSQL.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use rightstat_store::{Store, testing};
use serde_json::{Value, json};
use tower::ServiceExt;

struct Env {
    app: axum::Router,
    sessions: Vec<(String, String, String)>,
}

async fn envs(dir: &tempfile::TempDir) -> Vec<Env> {
    let mut out = Vec::new();
    for url in testing::fresh_urls(dir.path()).await {
        let store = Store::connect(&url).await.unwrap();
        store.seed_reference().await.unwrap();
        store.create_demo_users().await.unwrap();
        let mut sessions = Vec::new();
        for u in store.users().await.unwrap() {
            let (cookie, csrf) = store.create_session(u.id, None).await.unwrap();
            sessions.push((u.username.clone(), cookie, csrf));
        }
        out.push(Env { app: rightstat_server::app(store, Default::default()), sessions });
    }
    out
}

impl Env {
    async fn call(&self, method: &str, uri: &str, who: &str, body: Option<Value>) -> (StatusCode, Value, String) {
        let s = self.sessions.iter().find(|s| s.0 == who).unwrap();
        let mut b =
            Request::builder().method(method).uri(uri).header(header::COOKIE, format!("rs_session={}", s.1)).header("x-csrf-token", &s.2);
        let body = match body {
            Some(Value::String(raw)) => Body::from(raw),
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        let res = self.app.clone().oneshot(b.body(body).unwrap()).await.unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), String::from_utf8_lossy(&bytes).into_owned())
    }
}

#[tokio::test]
async fn a_round_over_http_with_scoped_tasks() {
    let dir = tempfile::tempdir().unwrap();
    for env in envs(&dir).await {
        let spec = json!({
            "code": "DIBAO-2023", "title_en": "Minimum living guarantee 2023", "title_zh": "2023年最低生活保障",
            "periods": ["2023"], "deadline": "2099-01-31", "lead_department": "MCA",
            "item": [{ "indicator": "CN_DIBAO_RECIPIENTS", "guidance_en": "Persons receiving dibao at year end.", "guidance_zh": "年末低保对象人数。" }],
            "assignment": [{ "department": "MCA", "area": "13", "level": "county" }]
        });
        let (st, round, text) = env.call("POST", "/api/v1/rounds", "admin", Some(spec.clone())).await;
        assert_eq!(st, StatusCode::CREATED, "{text}");
        assert_eq!(round["status"], "draft");
        assert_eq!(env.call("POST", "/api/v1/rounds", "coordinator", Some(spec)).await.0, StatusCode::FORBIDDEN);
        assert_eq!(env.call("POST", "/api/v1/rounds/DIBAO-2023/open", "admin", None).await.0, StatusCode::NO_CONTENT);

        // The county reporter (MCA, Chang'an district) sees exactly its own task; the Hebei coordinator all of Hebei's.
        let (_, mine, _) = env.call("GET", "/api/v1/rounds/DIBAO-2023/tasks", "reporter", None).await;
        let mine = mine.as_array().unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0]["area_code"], "130102");
        let id = mine[0]["id"].as_i64().unwrap();
        let (_, all, _) = env.call("GET", "/api/v1/rounds/DIBAO-2023/tasks", "coordinator", None).await;
        assert!(all.as_array().unwrap().len() > 150);
        let other = all.as_array().unwrap().iter().find(|t| t["area_code"] == "130104").unwrap()["id"].as_i64().unwrap();
        assert_eq!(
            env.call("GET", &format!("/api/v1/tasks/{other}"), "reporter", None).await.0,
            StatusCode::NOT_FOUND,
            "others' tasks are not disclosed"
        );

        let (st, _, template) = env.call("GET", &format!("/api/v1/tasks/{id}/template"), "reporter", None).await;
        assert_eq!(st, StatusCode::OK);
        assert!(template.contains("CN_DIBAO_RECIPIENTS,130102,2023"), "{template}");

        // Rows for another county are refused with their place; nothing is saved.
        let foreign = "indicator,area,period,value\nCN_DIBAO_RECIPIENTS,130104,2023,1.2\n";
        let (st, out, _) =
            env.call("POST", &format!("/api/v1/tasks/{id}/submissions"), "reporter", Some(Value::String(foreign.into()))).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            (out["validation"]["row_errors"][0]["row"].as_u64(), out["validation"]["row_errors"][0]["column"].as_str()),
            (Some(2), Some("area"))
        );
        let good = "indicator,area,period,URBANISATION,value\nCN_DIBAO_RECIPIENTS,130102,2023,_T,1.25\nCN_DIBAO_RECIPIENTS,130102,2023,R,1\nCN_DIBAO_RECIPIENTS,130102,2023,U,0.25\n";
        let (st, out, text) =
            env.call("POST", &format!("/api/v1/tasks/{id}/submissions"), "reporter", Some(Value::String(good.into()))).await;
        assert_eq!(st, StatusCode::OK, "{text}");
        assert_eq!(out["status"], "submitted");

        // Only a reviewer above the county approves.
        assert_eq!(
            env.call("POST", &format!("/api/v1/tasks/{id}/review"), "reporter", Some(json!({ "approve": true }))).await.0,
            StatusCode::FORBIDDEN
        );
        let (st, out, text) = env.call("POST", &format!("/api/v1/tasks/{id}/review"), "reviewer", Some(json!({ "approve": true }))).await;
        assert_eq!(st, StatusCode::OK, "{text}");
        assert_eq!((out["status"].as_str(), out["roll_up"]["areas"].as_u64()), (Some("approved"), Some(3)));
        let (_, obs, _) =
            env.call("GET", "/api/v1/observations?indicator=CN_DIBAO_RECIPIENTS&area=CN&from=2023&to=2023", "analyst", None).await;
        let national = obs["observations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["area"] == "CN" && o["cell"]["URBANISATION"] == "_T")
            .unwrap()
            .clone();
        assert_eq!(national["value"], 1.25);
        assert_eq!(national["provenance"], "computation");

        // Technical advice.
        let (st, q, _) = env
            .call(
                "POST",
                &format!("/api/v1/tasks/{id}/questions"),
                "reporter",
                Some(json!({ "indicator": "CN_DIBAO_RECIPIENTS", "question": "Count persons or households?" })),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED);
        let qid = q["id"].as_i64().unwrap();
        assert_eq!(
            env.call("POST", &format!("/api/v1/questions/{qid}/answer"), "reporter", Some(json!({ "answer": "x" }))).await.0,
            StatusCode::FORBIDDEN
        );
        let (st, a, _) = env
            .call("POST", &format!("/api/v1/questions/{qid}/answer"), "admin", Some(json!({ "answer": "Persons.", "promote": true })))
            .await;
        assert_eq!((st, a["promoted"].as_i64()), (StatusCode::OK, Some(1)));
        let (_, qs, _) = env.call("GET", "/api/v1/rounds/DIBAO-2023/questions", "reporter", None).await;
        assert_eq!(qs[0]["answer"], "Persons.");

        let (_, late, _) = env.call("GET", "/api/v1/rounds/DIBAO-2023/tasks?overdue=true", "coordinator", None).await;
        assert!(late.as_array().unwrap().is_empty(), "the deadline (2099) has not passed");

        let (_, c, _) = env.call("GET", "/api/v1/rounds/DIBAO-2023/completeness", "admin", None).await;
        assert_eq!((c[0]["department"].as_str(), c[0]["received"].as_u64(), c[0]["approved"].as_u64()), (Some("MCA"), Some(1), Some(1)));
        let (st, _, page) = env.call("GET", "/rounds/DIBAO-2023?lang=en", "coordinator", None).await;
        assert_eq!(st, StatusCode::OK);
        assert!(page.contains("Persons receiving dibao at year end.") && page.contains("Count persons or households?"), "{page}");
        assert!(page.contains("<th scope=\"row\">MCA</th>"), "{page}");
        let (_, _, zh) = env.call("GET", "/rounds/DIBAO-2023?lang=zh", "coordinator", None).await;
        assert!(zh.contains("完整性与及时性") && zh.contains("年末低保对象人数。"));
        let (_, t, _) = env.call("GET", &format!("/api/v1/tasks/{id}"), "reporter", None).await;
        assert_eq!(t["history"].as_array().unwrap().len(), 2);
    }
}
