//! A collection round over HTTP, with the demo accounts: the administrator creates and opens
//! it, the county reporter sees only its own task, submits, the provincial reviewer approves,
//! and the national total follows. SQLite and PostgreSQL.

use axum::http::StatusCode;
use serde_json::{Value, json};

mod common;
use common::{Load, envs};

/// The national 2023 total of dibao recipients as the public sees it.
async fn public_2023(env: &common::Env) -> Option<Value> {
    let (_, obs, _) = env.call("GET", "/api/v1/observations?indicator=CN_DIBAO_RECIPIENTS&area=CN&from=2023", None, None).await.parts();
    obs["observations"].as_array().unwrap().iter().find(|o| o["cell"]["URBANISATION"] == "_T").map(|o| o["value"].clone())
}

#[tokio::test]
async fn a_round_over_http_with_scoped_tasks() {
    let dir = tempfile::tempdir().unwrap();
    for env in envs(&dir, Load::Users).await {
        let spec = json!({
            "code": "DIBAO-2023", "title_en": "Minimum living guarantee 2023", "title_zh": "2023年最低生活保障",
            "periods": ["2023"], "deadline": "2099-01-31", "lead_department": "MCA",
            "item": [{ "indicator": "CN_DIBAO_RECIPIENTS", "guidance_en": "Persons receiving dibao at year end.", "guidance_zh": "年末低保对象人数。" }],
            "assignment": [{ "department": "MCA", "area": "13", "level": "county" }]
        });
        let (st, round, text) = env.call("POST", "/api/v1/rounds", Some("admin"), Some(spec.clone())).await.parts();
        assert_eq!(st, StatusCode::CREATED, "{text}");
        assert_eq!(round["status"], "draft");
        assert_eq!(env.call("POST", "/api/v1/rounds", Some("coordinator"), Some(spec)).await.parts().0, StatusCode::FORBIDDEN);
        assert_eq!(env.call("POST", "/api/v1/rounds/DIBAO-2023/open", Some("admin"), None).await.parts().0, StatusCode::NO_CONTENT);

        // The county reporter (MCA, Chang'an district) sees exactly its own task; the Hebei coordinator all of Hebei's.
        let (_, mine, _) = env.call("GET", "/api/v1/rounds/DIBAO-2023/tasks", Some("reporter"), None).await.parts();
        let mine = mine.as_array().unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0]["area_code"], "130102");
        let id = mine[0]["id"].as_i64().unwrap();
        let (_, all, _) = env.call("GET", "/api/v1/rounds/DIBAO-2023/tasks", Some("coordinator"), None).await.parts();
        assert!(all.as_array().unwrap().len() > 150);
        let other = all.as_array().unwrap().iter().find(|t| t["area_code"] == "130104").unwrap()["id"].as_i64().unwrap();
        assert_eq!(
            env.call("GET", &format!("/api/v1/tasks/{other}"), Some("reporter"), None).await.parts().0,
            StatusCode::NOT_FOUND,
            "others' tasks are not disclosed"
        );

        let (st, _, template) = env.call("GET", &format!("/api/v1/tasks/{id}/template"), Some("reporter"), None).await.parts();
        assert_eq!(st, StatusCode::OK);
        assert!(template.contains("CN_DIBAO_RECIPIENTS,130102,2023"), "{template}");

        // The XLSX template sent back unfilled: read as the CSV it stands for, every empty
        // figure refused at its row of the sheet and its column.
        let r = env.request("GET", &format!("/api/v1/tasks/{id}/template?format=xlsx"), Some("reporter"), None, None, Vec::new()).await;
        let (st, xlsx) = (r.status, r.bytes);
        assert_eq!((st, &xlsx[..4]), (StatusCode::OK, &b"PK\x03\x04"[..]));
        let r = env.request("POST", &format!("/api/v1/tasks/{id}/submissions?format=xlsx"), Some("reporter"), None, None, xlsx).await;
        let (st, out) = (r.status, r.json);
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
        let errors = out["validation"]["row_errors"].as_array().unwrap();
        let places: Vec<(u64, &str)> = errors.iter().map(|e| (e["row"].as_u64().unwrap(), e["column"].as_str().unwrap())).collect();
        assert_eq!(places, [(2, "value"), (3, "value"), (4, "value")], "{out}");
        assert!(errors[0]["file"].as_str().unwrap().contains("upload"), "{out}");

        // Rows for another county are refused with their place; nothing is saved.
        let foreign = "indicator,area,period,value\nCN_DIBAO_RECIPIENTS,130104,2023,1.2\n";
        let (st, out, _) = env
            .call("POST", &format!("/api/v1/tasks/{id}/submissions"), Some("reporter"), Some(Value::String(foreign.into())))
            .await
            .parts();
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            (out["validation"]["row_errors"][0]["row"].as_u64(), out["validation"]["row_errors"][0]["column"].as_str()),
            (Some(2), Some("area"))
        );
        let good = "indicator,area,period,URBANISATION,value\nCN_DIBAO_RECIPIENTS,130102,2023,_T,1.25\nCN_DIBAO_RECIPIENTS,130102,2023,R,1\nCN_DIBAO_RECIPIENTS,130102,2023,U,0.25\n";
        let (st, out, text) =
            env.call("POST", &format!("/api/v1/tasks/{id}/submissions"), Some("reporter"), Some(Value::String(good.into()))).await.parts();
        assert_eq!(st, StatusCode::OK, "{text}");
        assert_eq!(out["status"], "submitted");

        // Only a reviewer above the county approves.
        assert_eq!(
            env.call("POST", &format!("/api/v1/tasks/{id}/review"), Some("reporter"), Some(json!({ "approve": true }))).await.parts().0,
            StatusCode::FORBIDDEN
        );
        let (st, out, text) =
            env.call("POST", &format!("/api/v1/tasks/{id}/review"), Some("reviewer"), Some(json!({ "approve": true }))).await.parts();
        assert_eq!(st, StatusCode::OK, "{text}");
        assert_eq!((out["status"].as_str(), out["roll_up"]["areas"].as_u64()), (Some("approved"), Some(3)));
        let (_, obs, _) = env
            .call("GET", "/api/v1/observations?indicator=CN_DIBAO_RECIPIENTS&area=CN&from=2023&to=2023", Some("analyst"), None)
            .await
            .parts();
        let national = obs["observations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["area"] == "CN" && o["cell"]["URBANISATION"] == "_T")
            .unwrap()
            .clone();
        assert_eq!(national["value"], 1.25);
        assert_eq!(national["provenance"], "computation");
        assert_eq!((national["published"].as_bool(), national["children_reporting"].as_i64()), (Some(false), Some(1)));
        assert_eq!(national["status"], "P", "a total of one province of many is provisional");

        // Approval published nothing: the public sees no national 2023 figure.
        assert_eq!(public_2023(&env).await, None, "an approval published the national total");
        // The release queue, and who may release: the round's lead department (MCA) only.
        let (st, q, text) = env.call("GET", "/api/v1/rounds/DIBAO-2023/releases", Some("coordinator"), None).await.parts();
        assert_eq!(st, StatusCode::OK, "{text}");
        assert_eq!((q["queue"][0]["pending"].as_i64(), q["queue"][0]["tasks_approved"].as_i64()), (Some(12), Some(1)), "{q}");
        let release = json!({ "indicator": "CN_DIBAO_RECIPIENTS", "period": "2023" });
        let (st, _, text) = env.call("POST", "/api/v1/rounds/DIBAO-2023/releases", Some("admin"), Some(release.clone())).await.parts();
        assert_eq!(st, StatusCode::FORBIDDEN, "the NBS administrator is not the lead department of an MCA round: {text}");
        assert_eq!(
            env.call("POST", "/api/v1/rounds/DIBAO-2023/releases", Some("coordinator"), Some(release.clone())).await.parts().0,
            StatusCode::FORBIDDEN
        );
        let mca = rightstat_core::policy::Grant {
            role: rightstat_core::policy::Role::Administrator,
            department: Some("MCA".into()),
            area: "CN".into(),
        };
        env.store.grant("admin", &mca, &rightstat_store::Actor::system()).await.unwrap();
        let bad = json!({ "indicator": "CN_DIBAO_RECIPIENTS", "period": "2023", "at": "next week" });
        let (st, _, text) = env.call("POST", "/api/v1/rounds/DIBAO-2023/releases", Some("admin"), Some(bad)).await.parts();
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
        assert!(text.contains("RFC 3339"), "{text}");
        let (st, r, text) = env.call("POST", "/api/v1/rounds/DIBAO-2023/releases", Some("admin"), Some(release)).await.parts();
        assert_eq!((st, r["values_released"].as_i64()), (StatusCode::CREATED, Some(12)), "{text}");
        assert_eq!(public_2023(&env).await, Some(json!(1.25)));
        // On the task page: a check that finds nothing says so; a correction of an approved
        // task without a reason is refused there, with the reason for refusing and the typed values.
        let fields = |total: &'static str, urban: &'static str, action: &'static str| {
            vec![
                ("v:CN_DIBAO_RECIPIENTS|2023|", total),
                ("v:CN_DIBAO_RECIPIENTS|2023||URBANISATION=R|", "10000"),
                ("v:CN_DIBAO_RECIPIENTS|2023||URBANISATION=U|", urban),
                ("action", action),
            ]
        };
        // Typed in persons, as the clerk counts; stored in ten thousands.
        let mut check = fields("13000", "3000", "check");
        check.push(("comment", "recount of urban recipients"));
        let r = env.form(&format!("/tasks/{id}/form?lang=en"), "reporter", &check).await;
        assert!(r.text.contains("no problems found"), "{}", r.text);
        let r = env.form(&format!("/tasks/{id}/form?lang=en"), "reporter", &fields("13,000", "3000", "submit")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(r.text.contains("id=\"refusal\"") && r.text.contains("value=\"13,000\""), "{}", r.text);
        assert!(r.text.contains("id=\"sign-out\""), "the page knows who is signed in");
        assert!(r.text.contains("Urban or rural residence: Rural"), "cells in words, not keys: {}", r.text);
        // A question to the lead department from the task page, and its answer there.
        let ask = [("indicator", "CN_DIBAO_RECIPIENTS"), ("question", "Do temporary recipients count?")];
        let r = env.form(&format!("/tasks/{id}/question?lang=zh"), "reporter", &ask).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.text.contains("问题已发送牵头部门") && r.text.contains("Do temporary recipients count?"), "{}", r.text);
        let (_, qs, _) = env.call("GET", "/api/v1/rounds/DIBAO-2023/questions", Some("reporter"), None).await.parts();
        let qid =
            qs.as_array().unwrap().iter().find(|q| q["question"] == "Do temporary recipients count?").unwrap()["id"].as_i64().unwrap();
        // The lead department answers on the round page and adds the answer to the guidance.
        let (_, _, round_page) = env.call("GET", "/rounds/DIBAO-2023?lang=zh", Some("admin"), None).await.parts();
        assert!(round_page.contains(&format!("/rounds/DIBAO-2023/questions/{qid}/answer")), "an answer form: {round_page}");
        let r = env.form(&format!("/rounds/DIBAO-2023/questions/{qid}/answer?lang=zh"), "reporter", &[("answer", "x")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "a reporter does not answer");
        let r = env
            .form(
                &format!("/rounds/DIBAO-2023/questions/{qid}/answer?lang=zh"),
                "admin",
                &[("answer", "Only at year end."), ("promote", "on")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let (_, _, page) = env.call("GET", &format!("/tasks/{id}?lang=en"), Some("reporter"), None).await.parts();
        assert!(page.contains("Only at year end."), "{page}");
        let (_, _, round_page) = env.call("GET", "/rounds/DIBAO-2023?lang=zh", Some("admin"), None).await.parts();
        assert!(round_page.contains("已补充到填报说明"), "{round_page}");
        let bad = [("indicator", "SI_POV_NAHC"), ("question", "?")];
        let r = env.form(&format!("/tasks/{id}/question?lang=en"), "reporter", &bad).await;
        assert!(r.text.contains("id=\"refusal\"") && r.text.contains("not an item"), "{}", r.text);
        // Released partial: said beside the figure on the page, in both languages, and in the data.
        let (_, _, en) = env.call("GET", "/en/indicators/CN_DIBAO_RECIPIENTS.html", None, None).await.parts();
        assert!(en.contains("China, 2023: provisional (p), the sum of the 1 of"), "{en}");
        let (_, _, zh) = env.call("GET", "/zh/indicators/CN_DIBAO_RECIPIENTS.html", None, None).await.parts();
        assert!(zh.contains("暂定数（p），为") && zh.contains("中已报送的1个之和"), "{zh}");
        let (_, _, home) = env.call("GET", "/en/index.html", None, None).await.parts();
        assert!(home.contains("1.25 p") && home.contains("not yet a figure for the whole of China"), "{home}");
        let (_, _, csv) = env.call("GET", "/data/CN_DIBAO_RECIPIENTS.csv", None, None).await.parts();
        let line = csv.lines().find(|l| l.contains(",CN,") && l.contains("2023") && l.contains("1.25")).unwrap_or_else(|| panic!("{csv}"));
        assert!(line.contains(",P,") && line.contains("of 31"), "{line}");

        // Technical advice.
        let (st, q, _) = env
            .call(
                "POST",
                &format!("/api/v1/tasks/{id}/questions"),
                Some("reporter"),
                Some(json!({ "indicator": "CN_DIBAO_RECIPIENTS", "question": "Count persons or households?" })),
            )
            .await
            .parts();
        assert_eq!(st, StatusCode::CREATED);
        let qid = q["id"].as_i64().unwrap();
        assert_eq!(
            env.call("POST", &format!("/api/v1/questions/{qid}/answer"), Some("reporter"), Some(json!({ "answer": "x" }))).await.parts().0,
            StatusCode::FORBIDDEN
        );
        let (st, a, _) = env
            .call("POST", &format!("/api/v1/questions/{qid}/answer"), Some("admin"), Some(json!({ "answer": "Persons.", "promote": true })))
            .await
            .parts();
        assert_eq!((st, a["promoted"].as_i64()), (StatusCode::OK, Some(1)));
        let (_, qs, _) = env.call("GET", "/api/v1/rounds/DIBAO-2023/questions", Some("reporter"), None).await.parts();
        let q = qs.as_array().unwrap().iter().find(|q| q["question"] == "Count persons or households?").unwrap();
        assert_eq!(q["answer"], "Persons.");

        let (_, late, _) = env.call("GET", "/api/v1/rounds/DIBAO-2023/tasks?overdue=true", Some("coordinator"), None).await.parts();
        assert!(late.as_array().unwrap().is_empty(), "the deadline (2099) has not passed");

        let (_, c, _) = env.call("GET", "/api/v1/rounds/DIBAO-2023/completeness", Some("admin"), None).await.parts();
        assert_eq!((c[0]["department"].as_str(), c[0]["received"].as_u64(), c[0]["approved"].as_u64()), (Some("MCA"), Some(1), Some(1)));
        let (st, _, page) = env.call("GET", "/rounds/DIBAO-2023?lang=en", Some("coordinator"), None).await.parts();
        assert_eq!(st, StatusCode::OK);
        assert!(page.contains("Persons receiving dibao at year end.") && page.contains("Count persons or households?"), "{page}");
        assert!(page.contains("<th scope=\"row\">Ministry of Civil Affairs</th>"), "departments by name, not code: {page}");
        // By area: each prefecture's counties (the level above the tasks) unless asked otherwise.
        let by = |page: &str, area: &str| -> String {
            let row =
                page.split("<tr data-area=\"").find(|r| r.starts_with(&format!("{area}\""))).unwrap_or_else(|| panic!("{area}: {page}"));
            row[..row.find("</tr>").unwrap()].to_string()
        };
        let row = by(&page, "1301");
        assert!(
            row.contains("石家庄市 (1301)") && row.contains("<td class=\"num\">1</td><td class=\"num\">1</td><td class=\"num\">1</td>"),
            "received, on time, approved: {row}"
        );
        assert!(by(&page, "1302").contains("<td class=\"num\">0</td><td class=\"num\">0</td><td class=\"num\">0</td>"));
        let (_, _, page) = env.call("GET", "/rounds/DIBAO-2023?lang=en&by=province", Some("coordinator"), None).await.parts();
        assert!(by(&page, "13").contains("河北省 (13)") && page.contains("<option value=\"province\" selected>"), "{page}");
        let (_, c, _) = env.call("GET", "/api/v1/rounds/DIBAO-2023/completeness?by=prefecture", Some("admin"), None).await.parts();
        let c = c.as_array().unwrap();
        assert_eq!(c.len(), 11, "Hebei's 11 prefectures");
        let sjz = c.iter().find(|r| r["area"] == "1301").unwrap();
        assert_eq!((sjz["area_name"].as_str(), sjz["received"].as_u64()), (Some("石家庄市"), Some(1)));
        assert!(sjz["expected"].as_u64().unwrap() > 10 && sjz["completeness_pct"].as_f64().unwrap() < 10.0, "{sjz}");
        let (_, _, zh) = env.call("GET", "/rounds/DIBAO-2023?lang=zh", Some("coordinator"), None).await.parts();
        assert!(zh.contains("完整性与及时性") && zh.contains("年末低保对象人数。"));
        let (_, t, _) = env.call("GET", &format!("/api/v1/tasks/{id}"), Some("reporter"), None).await.parts();
        assert_eq!(t["history"].as_array().unwrap().len(), 2);
        let values = t["values"].as_array().unwrap();
        let total = values.iter().find(|c| c["cell_key"] == "" && c["indicator"] == "CN_DIBAO_RECIPIENTS").unwrap();
        assert_eq!(
            (total["value"].as_f64(), total["recorded_by"].as_str(), &total["previous"]),
            (Some(1.25), Some("reporter"), &Value::Null)
        );
        let (_, _, page) = env.call("GET", &format!("/tasks/{id}?lang=zh"), Some("reporter"), None).await.parts();
        assert!(page.contains("id=\"value-history\"") && page.contains("数据修改记录"), "{page}");

        // The lead closes the round from its page: no more submissions.
        let (_, _, page) = env.call("GET", "/rounds/DIBAO-2023?lang=en", Some("admin"), None).await.parts();
        assert!(page.contains("id=\"close-round\""), "{page}");
        let (_, _, page) = env.call("GET", "/rounds/DIBAO-2023?lang=en", Some("coordinator"), None).await.parts();
        assert!(!page.contains("id=\"close-round\""), "only administrators close a round");
        assert_eq!(env.call("POST", "/api/v1/rounds/DIBAO-2023/close", Some("coordinator"), None).await.status, StatusCode::FORBIDDEN);
        let r = env.form("/rounds/DIBAO-2023/close?lang=en", "admin", &[]).await;
        assert_eq!((r.status, r.location().as_deref()), (StatusCode::SEE_OTHER, Some("/rounds/DIBAO-2023?lang=en")), "{}", r.text);
        let (_, _, page) = env.call("GET", "/rounds/DIBAO-2023?lang=en", Some("admin"), None).await.parts();
        assert!(page.contains("<span id=\"round-status\">closed</span>") && !page.contains("id=\"close-round\""), "{page}");
        let good = "indicator,area,period,URBANISATION,value\nCN_DIBAO_RECIPIENTS,130102,2023,_T,2\nCN_DIBAO_RECIPIENTS,130102,2023,R,1\nCN_DIBAO_RECIPIENTS,130102,2023,U,1\n";
        let r = env.call("POST", &format!("/api/v1/tasks/{id}/submissions"), Some("reporter"), Some(Value::String(good.into()))).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
        assert!(r.text.contains("closed, not open"), "{}", r.text);
        assert_eq!(env.call("POST", "/api/v1/rounds/DIBAO-2023/close", Some("admin"), None).await.status, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn a_round_from_the_web_page_with_two_sources_and_a_draft() {
    let dir = tempfile::tempdir().unwrap();
    for env in envs(&dir, Load::Users).await {
        let (st, _, page) = env.call("GET", "/rounds/new?lang=en", Some("admin"), None).await.parts();
        assert_eq!(st, StatusCode::OK);
        assert!(page.contains("name=\"item:CN_DIBAO_RECIPIENTS\"") && page.contains("Preferred source"), "{page}");
        assert_eq!(env.call("GET", "/rounds/new", Some("coordinator"), None).await.parts().0, StatusCode::FORBIDDEN);
        let (_, _, list) = env.call("GET", "/rounds?lang=en", Some("admin"), None).await.parts();
        assert!(list.contains("href=\"/rounds/new?lang=en\""));

        let mut fields = vec![
            ("code", "DIBAO-2SRC"),
            ("title_en", "Dibao 2023, two sources"),
            ("title_zh", "2023年低保(两个来源)"),
            ("periods", "2023"),
            ("deadline", "2099-01-31"),
            ("lead_department", "MCA"),
            ("item:CN_DIBAO_RECIPIENTS", "on"),
            ("guidance_en:CN_DIBAO_RECIPIENTS", "Persons at year end."),
            ("a0_department", "MCA"),
            ("a0_area", "130102"),
            ("a1_department", "NBS"),
            ("a1_area", "130102"),
            ("open", "on"),
            // Review in stages, ticked in any order: kept lowest first. (The task is a county's,
            // so neither level is above it: one review, as before.)
            ("review:county", "on"),
            ("review:township", "on"),
        ];
        // Two departments for one figure and no preferred source: refused, the form kept as typed.
        let (st, _, page) = env.form("/rounds/new?lang=en", "admin", &fields).await.parts();
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(page.contains("preferred_department") && page.contains("value=\"Dibao 2023, two sources\""), "{page}");
        assert!(page.contains("Persons at year end.</textarea>"), "{page}");
        fields.push(("preferred:CN_DIBAO_RECIPIENTS", "MCA"));
        let r = env.form("/rounds/new?lang=en", "admin", &fields).await;
        let (st, page, to) = (r.status, r.text.clone(), r.location());
        assert_eq!((st, to.as_deref()), (StatusCode::SEE_OTHER, Some("/rounds/DIBAO-2SRC?lang=en")), "{page}");
        let (_, rounds, _) = env.call("GET", "/api/v1/rounds", Some("admin"), None).await.parts();
        let made = rounds.as_array().unwrap().iter().find(|r| r["code"] == "DIBAO-2SRC").unwrap().clone();
        assert_eq!(made["review_levels"], "township|county", "{made}");
        let (_, tasks, _) = env.call("GET", "/api/v1/rounds/DIBAO-2SRC/tasks", Some("admin"), None).await.parts();
        let tasks = tasks.as_array().unwrap().clone();
        assert_eq!(tasks.len(), 2, "opened, one task per department");
        let id = |d: &str| tasks.iter().find(|t| t["department_code"] == d).unwrap()["id"].as_i64().unwrap();
        let (mca, nbs) = (id("MCA"), id("NBS"));

        // The reporter saves a draft through the API; the form shows it again.
        let draft = json!({ "values": { "CN_DIBAO_RECIPIENTS|2023|": "1.25", "CN_DIBAO_RECIPIENTS|2023||URBANISATION=R|": "1" }, "comment": "urban cell tomorrow" });
        assert_eq!(
            env.call("PUT", &format!("/api/v1/tasks/{mca}/draft"), Some("reporter"), Some(draft)).await.parts().0,
            StatusCode::NO_CONTENT
        );
        let (_, d, _) = env.call("GET", &format!("/api/v1/tasks/{mca}/draft"), Some("reporter"), None).await.parts();
        assert_eq!((d["saved_by"].as_str(), d["comment"].as_str()), (Some("reporter"), Some("urban cell tomorrow")));
        let (_, _, page) = env.call("GET", &format!("/tasks/{mca}?lang=en"), Some("reporter"), None).await.parts();
        assert!(page.contains("value=\"1.25\"") && page.contains("id=\"draft-note\""), "{page}");
        let (_, _, list) = env.call("GET", "/tasks?lang=en", Some("reporter"), None).await.parts();
        assert!(list.contains("长安区 (130102)") && list.contains(">draft<"), "my tasks, each with its area's name: {list}");
        // Saving from the form page replaces it.
        let (st, _, page) = env
            .form(&format!("/tasks/{mca}/form?lang=en"), "reporter", &[("v:CN_DIBAO_RECIPIENTS|2023|", "1.5"), ("action", "draft")])
            .await
            .parts();
        assert_eq!(st, StatusCode::OK);
        assert!(page.contains("Draft saved") && page.contains("value=\"1.5\""), "{page}");
        assert_eq!(
            env.call("GET", &format!("/api/v1/tasks/{nbs}/draft"), Some("reporter"), None).await.parts().0,
            StatusCode::NOT_FOUND,
            "not theirs"
        );

        // MCA (preferred) and NBS (second source) report different figures.
        let body = |v: f64| {
            format!(
                "indicator,area,period,URBANISATION,value\nCN_DIBAO_RECIPIENTS,130102,2023,_T,{v}\nCN_DIBAO_RECIPIENTS,130102,2023,R,1\nCN_DIBAO_RECIPIENTS,130102,2023,U,{}\n",
                v - 1.0
            )
        };
        let (st, out, text) =
            env.call("POST", &format!("/api/v1/tasks/{mca}/submissions"), Some("reporter"), Some(Value::String(body(1.25)))).await.parts();
        assert_eq!((st, out["accepted"].as_bool()), (StatusCode::OK, Some(true)), "{text}");
        let (st, out, text) =
            env.call("POST", &format!("/api/v1/tasks/{nbs}/submissions"), Some("admin"), Some(Value::String(body(1.5)))).await.parts();
        assert_eq!((st, out["second_source_values"].as_u64()), (StatusCode::OK, Some(3)), "{text}");
        let (_, d, _) = env.call("GET", "/api/v1/rounds/DIBAO-2SRC/discrepancies", Some("coordinator"), None).await.parts();
        let d = d.as_array().unwrap();
        assert_eq!(d.len(), 3);
        let total = d
            .iter()
            .find(|x| x["cell_key"].as_str().is_some_and(|c| !c.contains("=R") && !c.contains("=U")))
            .unwrap_or_else(|| panic!("{d:?}"));
        assert_eq!((total["preferred_value"].as_f64(), total["other_value"].as_f64()), (Some(1.25), Some(1.5)));
        assert_eq!((total["preferred_department"].as_str(), total["other_department"].as_str()), (Some("MCA"), Some("NBS")));
        let (_, _, page) = env.call("GET", "/rounds/DIBAO-2SRC?lang=en", Some("coordinator"), None).await.parts();
        assert!(page.contains("id=\"discrepancies\"") && page.contains("+0.25 (+20.0%)"), "{page}");
    }
}

#[tokio::test]
async fn overdue_tasks_are_named_on_the_round_page_as_far_as_the_caller_may_see() {
    let dir = tempfile::tempdir().unwrap();
    for env in envs(&dir, Load::Users).await {
        let spec = json!({
            "code": "DIBAO-2022", "title_en": "Minimum living guarantee 2022", "title_zh": "2022年最低生活保障",
            "periods": ["2022"], "deadline": "2023-01-31", "lead_department": "MCA",
            "item": [{ "indicator": "CN_DIBAO_RECIPIENTS" }],
            "assignment": [{ "department": "MCA", "area": "13", "level": "county" }]
        });
        assert_eq!(env.call("POST", "/api/v1/rounds", Some("admin"), Some(spec)).await.status, StatusCode::CREATED);
        assert_eq!(env.call("POST", "/api/v1/rounds/DIBAO-2022/open", Some("admin"), None).await.status, StatusCode::NO_CONTENT);
        let (_, all, _) = env.call("GET", "/api/v1/rounds/DIBAO-2022/tasks?overdue=true", Some("admin"), None).await.parts();
        let n = all.as_array().unwrap().len();
        assert!(n > 150, "every county of Hebei is late");
        let (_, _, page) = env.call("GET", "/rounds/DIBAO-2022?lang=en", Some("coordinator"), None).await.parts();
        assert!(page.contains(&format!("<strong id=\"overdue\">{n}</strong>")), "{page}");
        assert!(page.contains(&format!("(50 / {n}, <a href=\"/api/v1/rounds/DIBAO-2022/tasks?overdue=true\">")), "{page}");
        assert_eq!(page.matches("<li><a href=\"/tasks/").count(), 50);
        // The county reporter sees the count, but only its own task by name.
        let (_, _, page) = env.call("GET", "/rounds/DIBAO-2022?lang=en", Some("reporter"), None).await.parts();
        let list = &page[page.find("id=\"overdue-list\"").unwrap()..];
        assert_eq!(list.matches("<li>").count(), 1, "{list}");
        assert!(list.contains("长安区 (130102)"), "{list}");
    }
}

/// The reviewer decides with comparisons in front of it: each figure beside last period's and
/// among the sibling counties', a unit mistake flagged; then approves several submissions at
/// once from its queue, and a return without a comment is refused for each, with the reason.
#[tokio::test]
async fn a_reviewer_compares_and_approves_several_at_once() {
    let dir = tempfile::tempdir().unwrap();
    for env in envs(&dir, Load::Users).await {
        let spec = json!({
            "code": "DIBAO-2023", "title_en": "Minimum living guarantee 2023", "title_zh": "2023年最低生活保障",
            "periods": ["2023"], "deadline": "2099-01-31", "lead_department": "MCA",
            "item": [{ "indicator": "CN_DIBAO_RECIPIENTS" }],
            "assignment": [{ "department": "MCA", "area": "13", "level": "county" }]
        });
        assert_eq!(env.call("POST", "/api/v1/rounds", Some("admin"), Some(spec)).await.parts().0, StatusCode::CREATED);
        env.call("POST", "/api/v1/rounds/DIBAO-2023/open", Some("admin"), None).await;
        // Last year's figure for Chang'an, loaded directly.
        let last = "indicator,area,period,URBANISATION,value\nCN_DIBAO_RECIPIENTS,130102,2022,_T,1.0\n";
        assert_eq!(
            env.call("POST", "/api/v1/imports?name=2022.csv", Some("admin"), Some(Value::String(last.into()))).await.parts().0,
            StatusCode::CREATED
        );
        let (_, tasks, _) = env.call("GET", "/api/v1/rounds/DIBAO-2023/tasks", Some("coordinator"), None).await.parts();
        let id = |area: &str| tasks.as_array().unwrap().iter().find(|t| t["area_code"] == area).unwrap()["id"].as_i64().unwrap();
        // Five of Shijiazhuang's districts; 130108 typed persons where ten thousands are expected.
        for (area, v) in [("130102", "1.25"), ("130104", "1.1"), ("130105", "0.9"), ("130107", "1.2"), ("130108", "5000")] {
            let body = format!(
                "indicator,area,period,URBANISATION,value\nCN_DIBAO_RECIPIENTS,{area},2023,_T,{v}\nCN_DIBAO_RECIPIENTS,{area},2023,R,{v}\nCN_DIBAO_RECIPIENTS,{area},2023,U,0\n"
            );
            let uri = format!("/api/v1/tasks/{}/submissions?comment=checked", id(area));
            let (st, out, text) = env.call("POST", &uri, Some("coordinator"), Some(Value::String(body))).await.parts();
            assert_eq!(st, StatusCode::OK, "{area}: {text}");
            if area == "130108" {
                let rules: Vec<&str> =
                    out["validation"]["findings"].as_array().unwrap().iter().filter_map(|f| f["rule"].as_str()).collect();
                assert!(rules.contains(&"dibao-recipients-local-size"), "the level knows a district cannot hold fifty million: {out}");
            }
        }
        // Chang'an beside its last value and its siblings; the unit mistake flagged.
        let (_, _, page) = env.call("GET", &format!("/tasks/{}?lang=en", id("130102")), Some("reviewer"), None).await.parts();
        let row = page.split("id=\"comparisons\"").nth(1).unwrap_or_else(|| panic!("no comparisons: {page}"));
        assert!(row.contains("12,500") && row.contains("10,000") && row.contains("(2022)") && row.contains("+25.0%"), "{row}");
        assert!(row.contains("n = 4") && row.contains(">2 / 5<"), "median of the siblings and the rank: {row}");
        let (_, _, page) = env.call("GET", &format!("/tasks/{}?lang=zh", id("130108")), Some("reviewer"), None).await.parts();
        assert!(page.contains("超过同级中位数3倍"), "{page}");
        // Several at once from the queue.
        let (_, _, queue) = env.call("GET", "/tasks?lang=en", Some("reviewer"), None).await.parts();
        assert!(queue.contains("id=\"review-many\"") && queue.contains(&format!("value=\"{}\"", id("130104"))), "{queue}");
        let (a, b, c) = (id("130104").to_string(), id("130105").to_string(), id("130107").to_string());
        let r = env
            .form(
                "/tasks/review?lang=en",
                "reviewer",
                &[("task", &a), ("task", &b), ("task", &c), ("decision", "approve"), ("comment", "")],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.text.contains("Submissions approved: 3"), "{}", r.text);
        for area in ["130104", "130105", "130107"] {
            let (_, t, _) = env.call("GET", &format!("/api/v1/tasks/{}", id(area)), Some("reviewer"), None).await.parts();
            assert_eq!(t["task"]["status"].as_str().or(t["status"].as_str()), Some("approved"), "{area}: {t}");
        }
        // A return needs a comment: refused for each ticked, with the reason; nothing changes.
        let d = id("130108").to_string();
        let r = env.form("/tasks/review?lang=en", "reviewer", &[("task", &d), ("decision", "return"), ("comment", "")]).await;
        assert!(r.text.contains("Submissions returned: 0") && r.text.contains("130108: "), "{}", r.text);
        // The reporter may not review at all.
        let r = env.form("/tasks/review?lang=en", "reporter", &[("task", &d), ("decision", "approve")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
}
