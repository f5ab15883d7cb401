//! Retrogression cases over HTTP, on SQLite and PostgreSQL with the demo loaded: officials see
//! the cases, only the indicator's department (its coordinators) or an administrator answers,
//! an incomplete form is refused with what is missing and nothing saved, every answer is a new
//! audited version, and the public evaluation does not show the answers.

use axum::http::StatusCode;
use serde_json::{Value, json};

mod common;
use common::{Load, envs};

const QUESTIONS: [&str; 8] = [
    "totality",
    "alternatives",
    "temporary",
    "necessary_proportionate",
    "non_discriminatory",
    "minimum_core",
    "participation",
    "independent_review",
];

fn justification(verdict: &str) -> Value {
    json!({
        "cause": "circumstances",
        "cause_explanation": {"zh": "2022年疫情期间食品价格上涨。", "en": "Food prices rose during the 2022 epidemic."},
        "answers": QUESTIONS.iter().map(|q| json!({
            "question": q, "verdict": verdict,
            "explanation": {"zh": format!("{q}：非国家措施所致。"), "en": format!("{q}: not a measure of the State.")},
        })).collect::<Vec<_>>(),
    })
}

fn pairs(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

#[tokio::test]
async fn departments_answer_their_retrogression_cases() {
    let dir = tempfile::tempdir().unwrap();
    for mut env in envs(&dir, Load::Demo).await {
        // A coordinator of the Engel coefficient's department (NBS), beside the demo's MCA one.
        let actor = rightstat_store::Actor::system();
        env.store.create_user("nbs", "NBS household survey coordinator", "a long enough password", &actor).await.unwrap();
        let grant = rightstat_core::policy::Grant {
            role: rightstat_core::policy::Role::Coordinator,
            department: Some("NBS".into()),
            area: "CN".into(),
        };
        env.store.grant("nbs", &grant, &actor).await.unwrap();
        let id = env.store.users().await.unwrap().into_iter().find(|u| u.username == "nbs").unwrap().id;
        let (cookie, csrf) = env.store.create_session(id, None).await.unwrap();
        env.sessions.push(("nbs".into(), cookie, csrf));

        // The cases: for officials, not for the public.
        assert_eq!(env.call("GET", "/api/v1/retrogression-cases", None, None).await.status, StatusCode::UNAUTHORIZED);
        let r = env.call("GET", "/api/v1/retrogression-cases", Some("reviewer"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let engel = r.json.as_array().unwrap().iter().find(|c| c["key"]["indicator"] == "CN_ENGEL_COEF").cloned().expect("a case");
        assert_eq!(
            (engel["from"].clone(), engel["to"].clone(), engel["department"].clone()),
            (json!([2021, 29.8]), json!([2022, 30.5]), json!("NBS"))
        );
        assert_eq!(engel["answer"], Value::Null);
        let key = engel["key"].clone();

        // Answering: the department's coordinator or an administrator; not another department,
        // not a reporter, reviewer or analyst.
        let body = json!({"key": key, "justification": justification("not_applicable")});
        for who in ["coordinator", "reporter", "reviewer", "analyst"] {
            let s = env.call("POST", "/api/v1/retrogression-cases/answers", Some(who), Some(body.clone())).await.status;
            assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
        }
        // Incomplete: 422 naming the question; nothing saved.
        let mut partial = body.clone();
        partial["justification"]["answers"].as_array_mut().unwrap().pop();
        let r = env.call("POST", "/api/v1/retrogression-cases/answers", Some("nbs"), Some(partial)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("independent_review: not answered"), "{}", r.text);
        // No such step in the figures: 404.
        let mut wrong = body.clone();
        wrong["key"]["to_year"] = json!(2019);
        assert_eq!(env.call("POST", "/api/v1/retrogression-cases/answers", Some("nbs"), Some(wrong)).await.status, StatusCode::NOT_FOUND);
        let r = env.call("POST", "/api/v1/retrogression-cases/answers", Some("nbs"), Some(body.clone())).await;
        assert_eq!((r.status, r.json.clone()), (StatusCode::CREATED, json!({"version": 1})), "{}", r.text);

        // The page: the case with its answers, a form for the department; the form refuses an
        // incomplete answer with what is missing, keeps what was typed, and saves a new version.
        let path = "/retrogression/CN_ENGEL_COEF/2022";
        let r = env.call("GET", &format!("{path}?lang=zh"), Some("reviewer"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.text.contains("29.8 (2021) → 30.5 (2022)") && r.text.contains("id=\"answer\""), "{}", r.text);
        assert!(r.text.contains("措施以外的情况") && !r.text.contains("id=\"justification\""), "{}", r.text);
        let r = env.call("GET", &format!("{path}?lang=en"), Some("nbs"), None).await;
        assert!(r.text.contains("id=\"justification\"") && r.text.contains("Food prices rose during the 2022 epidemic."), "{}", r.text);
        let mut fields: Vec<(String, String)> = vec![
            ("cause".into(), "deliberate_measure".into()),
            ("cause_zh".into(), "调整了食品补贴".into()),
            ("cause_en".into(), String::new()),
        ];
        for q in QUESTIONS {
            fields.push((format!("{q}_verdict"), "partly".into()));
            fields.push((format!("{q}_zh"), format!("{q}的说明")));
        }
        fields[3].1 = "not_applicable".into(); // totality: not applicable to a measure the State took
        let r = env.form(&format!("{path}?lang=zh"), "nbs", &pairs(&fields)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("id=\"refusal\"") && r.text.contains("不能答“不适用”"), "{}", r.text);
        assert!(r.text.contains("调整了食品补贴"), "what was typed is kept: {}", r.text);
        fields[3].1 = "no".into();
        let r = env.form(&format!("{path}?lang=zh"), "nbs", &pairs(&fields)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.text.contains("id=\"message\""), "{}", r.text);
        // Another department's coordinator may not post the form.
        let r = env.form(&format!("{path}?lang=en"), "coordinator", &pairs(&fields)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

        let r = env.call("GET", "/api/v1/retrogression-cases", Some("analyst"), None).await;
        let engel = r.json.as_array().unwrap().iter().find(|c| c["key"]["indicator"] == "CN_ENGEL_COEF").cloned().unwrap();
        assert_eq!(engel["answer"]["version"], json!(2), "{engel}");
        assert_eq!(engel["answer"]["justification"]["cause"], json!("deliberate_measure"));
        assert_eq!(engel["answer"]["answered_by"], json!("nbs"));
        // Both versions audited.
        let r = env.call("GET", "/api/v1/audit?entity=retrogression_case", Some("admin"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.text.matches("retrogression.answer").count(), 2, "{}", r.text);

        // The list page: the case, answered.
        let r = env.call("GET", "/retrogression?lang=en", Some("nbs"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.text.contains("data-indicator=\"CN_ENGEL_COEF\" data-status=\"retro_answered\""), "{}", r.text);
        let s = env.call("GET", "/retrogression", None, None).await.status;
        assert!(s.is_redirection() || s == StatusCode::UNAUTHORIZED, "{s}");

        // The public evaluation carries the flag, never the department's answers.
        let r = env.call("GET", "/api/v1/evaluation?article=11", None, None).await;
        let series = r.json[0]["series"].as_array().unwrap();
        let e = series.iter().find(|s| s["indicator"] == "CN_ENGEL_COEF" && s["cell"] == "").unwrap();
        assert!(e["retrogression"].is_object() && e["justification"].is_null(), "{e}");
        assert!(!r.text.contains("调整了食品补贴"));
    }
}
