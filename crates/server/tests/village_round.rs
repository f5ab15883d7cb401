//! A round over the villages of one county, reviewed by townships, then by the county, over
//! HTTP with three accounts of their own: a village reporter, a township reviewer and a county
//! reviewer. The township's approval passes the submission up without accepting a figure; only
//! the county's approval accepts it and rolls it up to the nation; the county cannot act before
//! the township, the township not after it, and no one approves two stages of one submission.
//! SQLite and PostgreSQL.

use axum::http::StatusCode;
use rightstat_core::area::AreaLevel;
use rightstat_core::policy::{Grant, Role};
use rightstat_store::Actor;
use serde_json::{Value, json};

mod common;
use common::{Load, envs};

/// The lines of a shipped division file for the areas of county 130104 (Qiaoxi, Shijiazhuang).
fn qiaoxi(file: &str) -> String {
    rightstat_store::testing::division_lines(file, "130104")
}

async fn account(env: &mut common::Env, name: &str, role: Role, area: &str) {
    let admin = Actor::new("admin", None);
    let id = env.store.create_user(name, name, "a long enough passphrase 1", &admin).await.unwrap();
    let department = (role == Role::Reporter).then(|| "MCA".to_string());
    env.store.grant(name, &Grant { role, department, area: area.into() }, &admin).await.unwrap();
    let (cookie, csrf) = env.store.create_session(id, None).await.unwrap();
    env.sessions.push((name.into(), cookie, csrf));
}

/// The stored 2023 total of dibao recipients of an area, as an analyst sees it (None: no figure).
async fn total(env: &common::Env, area: &str) -> Option<f64> {
    let uri = format!("/api/v1/observations?indicator=CN_DIBAO_RECIPIENTS&area={area}&from=2023&to=2023");
    let (_, obs, _) = env.call("GET", &uri, Some("analyst"), None).await.parts();
    obs["observations"]
        .as_array()?
        .iter()
        .find(|o| o["area"] == area && o["cell"]["URBANISATION"] == "_T")
        .and_then(|o| o["value"].as_f64())
}

#[tokio::test]
async fn a_village_round_reviewed_by_township_then_county() {
    let dir = tempfile::tempdir().unwrap();
    for mut env in envs(&dir, Load::Users).await {
        let admin = Actor::new("admin", None);
        let t = env.store.import_areas(qiaoxi("streets.csv").as_bytes(), AreaLevel::Township, "streets.csv", &admin).await.unwrap();
        assert!(t.unwrap() >= 10);
        let v = env.store.import_areas(qiaoxi("villages-13.csv").as_bytes(), AreaLevel::Village, "villages-13.csv", &admin).await.unwrap();
        let villages = v.unwrap();
        assert!(villages > 150, "{villages}");
        // 支农路社区 of 振头街道 (130104001), Qiaoxi district.
        account(&mut env, "village-reporter", Role::Reporter, "130104001001").await;
        account(&mut env, "township-reviewer", Role::Reviewer, "130104001").await;
        account(&mut env, "county-reviewer", Role::Reviewer, "130104").await;

        let spec = json!({
            "code": "DIBAO-2023-QX", "title_en": "Dibao recipients 2023, villages of Qiaoxi", "title_zh": "2023年低保对象（桥西区各村居）",
            "periods": ["2023"], "deadline": "2099-01-31", "lead_department": "MCA",
            "review_levels": ["county", "township"],
            "item": [{ "indicator": "CN_DIBAO_RECIPIENTS" }],
            "assignment": [{ "department": "MCA", "area": "130104", "level": "village" }]
        });
        let (st, out, _) = env.call("POST", "/api/v1/rounds", Some("admin"), Some(spec.clone())).await.parts();
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "the levels go up the hierarchy: {out}");
        assert!(out["message"].as_str().unwrap().contains("lowest first"), "{out}");
        let mut spec = spec;
        spec["review_levels"] = json!(["township", "county"]);
        let (st, round, text) = env.call("POST", "/api/v1/rounds", Some("admin"), Some(spec)).await.parts();
        assert_eq!(st, StatusCode::CREATED, "{text}");
        assert_eq!(round["review_levels"], "township|county");
        assert_eq!(env.call("POST", "/api/v1/rounds/DIBAO-2023-QX/open", Some("admin"), None).await.parts().0, StatusCode::NO_CONTENT);
        let (_, _, page) = env.call("GET", "/rounds/DIBAO-2023-QX?lang=zh", Some("admin"), None).await.parts();
        assert!(page.contains("逐级审核：乡级 → 县级"), "{page}");

        let (_, mine, _) = env.call("GET", "/api/v1/rounds/DIBAO-2023-QX/tasks", Some("village-reporter"), None).await.parts();
        let mine = mine.as_array().unwrap();
        assert_eq!(mine.len(), 1, "{mine:?}");
        let id = mine[0]["id"].as_i64().unwrap();
        let submit = |csv: &'static str| {
            let env = &env;
            async move {
                env.call("POST", &format!("/api/v1/tasks/{id}/submissions"), Some("village-reporter"), Some(Value::String(csv.into())))
                    .await
                    .parts()
            }
        };
        // 12 recipients, stored in 10,000 persons.
        let file = "indicator,area,period,URBANISATION,value\nCN_DIBAO_RECIPIENTS,130104001001,2023,_T,0.0012\n\
                    CN_DIBAO_RECIPIENTS,130104001001,2023,U,0.0012\nCN_DIBAO_RECIPIENTS,130104001001,2023,R,0\n";
        let (st, out, text) = submit(file).await;
        assert_eq!((st, out["status"].as_str()), (StatusCode::OK, Some("submitted")), "{text}");
        // The clerk's "my tasks" lists their village's task alone, of the 172 of the round.
        let (_, _, mine) = env.call("GET", "/tasks?lang=zh", Some("village-reporter"), None).await.parts();
        assert_eq!(mine.matches("data-task=").count(), 1, "{mine}");
        assert!(mine.contains(&format!("data-task=\"{id}\"")) && mine.contains("(130104001001)"), "{mine}");
        let review = |who: &'static str, body: Value| {
            let env = &env;
            async move { env.call("POST", &format!("/api/v1/tasks/{id}/review"), Some(who), Some(body)).await.parts() }
        };

        // The county cannot act before the township; the township's queue holds the task.
        let (st, _, text) = review("county-reviewer", json!({ "approve": true })).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{text}");
        let (_, _, queue) = env.call("GET", "/tasks?lang=en", Some("county-reviewer"), None).await.parts();
        assert!(!queue.contains(&format!("value=\"{id}\"")), "not yet the county's turn");
        let (_, _, queue) = env.call("GET", "/tasks?lang=zh", Some("township-reviewer"), None).await.parts();
        assert!(queue.contains(&format!("value=\"{id}\"")) && queue.contains("待审核：乡级"), "{queue}");

        // The township's approval passes it up; nothing is accepted or rolled up yet.
        let (st, out, text) = review("township-reviewer", json!({ "approve": true, "comment": "checked against the register" })).await;
        assert_eq!(st, StatusCode::OK, "{text}");
        assert_eq!((out["status"].as_str(), &out["roll_up"]), (Some("submitted"), &Value::Null));
        assert_eq!(total(&env, "130104001").await, None, "the township's total waits for the county");
        let (st, _, _) = review("township-reviewer", json!({ "approve": true })).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "the township's stage is over");
        let (_, _, page) = env.call("GET", &format!("/tasks/{id}?lang=en"), Some("county-reviewer"), None).await.parts();
        assert!(page.contains("awaiting review: county 桥西区 (130104), stage 2/2") && page.contains("id=\"approve\""), "{page}");

        // The county returns it: back to the village, and the stages start again.
        let (st, out, _) =
            review("county-reviewer", json!({ "approve": false, "comment": "urban and rural do not match last year" })).await;
        assert_eq!((st, out["status"].as_str()), (StatusCode::OK, Some("returned")));
        let (st, out, _) = submit(file).await;
        assert_eq!((st, out["status"].as_str()), (StatusCode::OK, Some("submitted")));
        assert_eq!(review("county-reviewer", json!({ "approve": true })).await.0, StatusCode::FORBIDDEN, "the township checks first again");
        assert_eq!(review("township-reviewer", json!({ "approve": true })).await.0, StatusCode::OK);

        // The county's approval accepts the figure and rolls it up to the nation at once.
        let (st, out, text) = review("county-reviewer", json!({ "approve": true })).await;
        assert_eq!(st, StatusCode::OK, "{text}");
        assert_eq!((out["status"].as_str(), out["roll_up"]["areas"].as_u64()), (Some("approved"), Some(5)), "{out}");
        for area in ["130104001", "130104", "1301", "13", "CN"] {
            assert_eq!(total(&env, area).await, Some(0.0012), "{area}");
        }
        let (_, events, _) = env.call("GET", &format!("/api/v1/tasks/{id}"), Some("county-reviewer"), None).await.parts();
        let actions: Vec<&str> =
            events["history"].as_array().map(|e| e.iter().filter_map(|x| x["action"].as_str()).collect()).unwrap_or_default();
        assert_eq!(actions, ["submit", "approve_stage", "return", "submit", "approve_stage", "approve"], "{events}");

        // No one approves two stages of one submission, not even an administrator.
        let other = env
            .store
            .tasks(round["id"].as_i64().unwrap(), None, None)
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.area_code.starts_with("130104001") && t.area_code != "130104001001")
            .unwrap();
        let (other, v) = (other.id, other.area_code);
        let file2 = format!(
            "indicator,area,period,URBANISATION,value\nCN_DIBAO_RECIPIENTS,{v},2023,_T,0.0003\n\
                     CN_DIBAO_RECIPIENTS,{v},2023,U,0.0003\nCN_DIBAO_RECIPIENTS,{v},2023,R,0\n"
        );
        let (st, _, text) =
            env.call("POST", &format!("/api/v1/tasks/{other}/submissions"), Some("admin"), Some(Value::String(file2))).await.parts();
        assert_eq!(st, StatusCode::OK, "{text}");
        let (st, _, _) =
            env.call("POST", &format!("/api/v1/tasks/{other}/review"), Some("admin"), Some(json!({ "approve": true }))).await.parts();
        assert_eq!(st, StatusCode::OK);
        let (st, out, _) =
            env.call("POST", &format!("/api/v1/tasks/{other}/review"), Some("admin"), Some(json!({ "approve": true }))).await.parts();
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
        assert!(out["message"].as_str().unwrap().contains("earlier stage"), "{out}");
        // The stage approval is audited with the stage.
        let (_, audit, _) = env.call("GET", "/api/v1/audit?entity=task", Some("admin"), None).await.parts();
        assert!(audit.to_string().contains("submitted (review stage 1 passed)"), "{audit}");
    }
}
