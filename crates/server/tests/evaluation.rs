//! Evaluation and benchmarks over HTTP, on SQLite and PostgreSQL with the demo loaded: anyone
//! reads where the State stands (JSON and CSV), only administrators set benchmarks, a bad file
//! is refused whole with the row and column of each error, and a benchmark set changes the
//! evaluation at once.

use axum::http::StatusCode;
use serde_json::Value;

mod common;
use common::{Load, envs};

#[tokio::test]
async fn evaluation_and_benchmarks() {
    let dir = tempfile::tempdir().unwrap();
    for env in envs(&dir, Load::Demo).await {
        let r = env.call("GET", "/api/v1/evaluation?article=11", None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let series = r.json[0]["series"].as_array().unwrap();
        let find = |ind: &str, cell: &str| series.iter().find(|s| s["indicator"] == ind && s["cell"] == cell).cloned().unwrap();
        // The real retrogression in the rural Engel coefficient, 29.8 (2021) → 30.5 (2022).
        let engel = find("CN_ENGEL_COEF", "");
        assert_eq!(engel["retrogression"]["from"], serde_json::json!([2021, 29.8]), "{engel}");
        assert_eq!(engel["benchmark"], Value::Null);
        // The demo's benchmark from the 13th Five-Year Plan: met.
        let poor = find("CN_RURAL_POOR_POP", "");
        assert_eq!((poor["assessment"]["class"].as_str(), poor["benchmark"]["target_year"].as_i64()), (Some("target_met"), Some(2020)));

        // The pages, for everyone, in both languages: the real retrogression flagged, the
        // benchmark with its source, the narrowing rural–urban income gap.
        let r = env.call("GET", "/evaluation/11?lang=zh", None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.text.contains("第11条") && r.text.contains("29.8 (2021) → 30.5 (2022)"), "{}", r.text);
        assert!(r.text.contains("已实现目标") && r.text.contains("第十三个五年规划纲要"), "{}", r.text);
        assert!(r.text.contains("缩小"), "{}", r.text);
        // Beside them, the breakdowns General Comment 20 names that the figures lack.
        let missing = &r.text[r.text.find("<ul id=\"missing\">").expect("breakdowns missing")..];
        let poor = &missing[missing.find("CN_RURAL_POOR_POP.html").expect("the rural poor lack breakdowns")..];
        assert!(poor[..poor.find("</li>").unwrap()].contains("性别"), "{poor}");
        // Achievement against resources: NBS's 2018 income by province against the frontier of
        // GDP per capita (computed, and said so), lowest score first.
        assert!(r.text.contains("id=\"frontier-CN_DISP_INCOME_PC\"") && r.text.contains("并非国家统计局公布数"), "{}", r.text);
        let r = env.call("GET", "/api/v1/evaluation/resources?article=11", None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let income = r.json.as_array().unwrap().iter().find(|x| x["indicator"] == "CN_DISP_INCOME_PC").cloned().unwrap();
        assert_eq!((income["year"].as_i64(), income["areas"].as_array().unwrap().len()), (Some(2018), 31));
        assert_eq!(income["gdp_per_capita_computed"], Value::Bool(true));
        let r = env.call("GET", "/evaluation/11?lang=en", None, None).await;
        assert!(r.text.contains("Against the benchmark of 0 by 2020") && r.text.contains("narrowing"), "{}", r.text);
        let r = env.call("GET", "/evaluation?lang=en", None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.text.contains("data-article=\"11\"") && r.text.contains("data-article=\"9\""), "{}", r.text);
        assert_eq!(env.call("GET", "/evaluation/16", None, None).await.status, StatusCode::NOT_FOUND);

        // Setting a benchmark: administrators only, all or nothing.
        let plan = "indicator,area,cell,baseline_year,baseline_value,target_year,target_value,source\n\
                    CN_ENGEL_COEF,CN,,2016,30.1,2025,27,A constructed plan\n";
        let bad = format!("{plan}CN_ENGEL_COEF,CN,SEX=F,2016,30.1,2025,27,A constructed plan\n");
        for who in [None, Some("coordinator"), Some("reporter"), Some("analyst")] {
            let s = env.call("POST", "/api/v1/benchmarks", who, Some(Value::String(plan.into()))).await.status;
            assert!(s == StatusCode::FORBIDDEN || s == StatusCode::UNAUTHORIZED, "{who:?}: {s}");
        }
        let r = env.call("POST", "/api/v1/benchmarks", Some("admin"), Some(Value::String(bad))).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        let e = &r.json["report"]["errors"][0];
        assert_eq!((e["row"].as_u64(), e["column"].as_str(), e["value"].as_str()), (Some(3), Some("cell"), Some("SEX=F")), "{}", r.text);
        let r = env.call("GET", "/api/v1/benchmarks", None, None).await;
        assert_eq!(r.json.as_array().unwrap().len(), 2, "nothing of the refused file: {}", r.text);
        let r = env.call("POST", "/api/v1/benchmarks", Some("admin"), Some(Value::String(plan.into()))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json, serde_json::json!({"new": 1, "revised": 0, "unchanged": 0}));

        // The evaluation reads it at once: deterioration against the target, in CSV too.
        let r = env.call("GET", "/api/v1/evaluation?article=11&format=csv", None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let line = r.text.lines().find(|l| l.starts_with("11,CN_ENGEL_COEF,,")).unwrap();
        assert!(line.contains(",deterioration,cagr,2016,30.1,2022,30.5,") && line.contains(",2025,27,"), "{line}");
        let r = env.call("GET", "/api/v1/benchmarks?format=csv&history=true", None, None).await;
        assert!(
            r.text.starts_with("indicator,area,cell,baseline_year")
                && r.text.contains("CN_ENGEL_COEF,CN,,2016,30.1,2025,27,A constructed plan,,1,admin,"),
            "{}",
            r.text
        );
        // The benchmarks page: for everyone to read; the lead department sets one by a form,
        // with the same checks as a file (a wrong field named, nothing set) and a new version.
        let r = env.call("GET", "/evaluation/benchmarks?lang=zh", None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.text.contains("data-indicator=\"CN_ENGEL_COEF\"") && !r.text.contains("id=\"set-benchmark\""), "{}", r.text);
        let form = [
            ("indicator", "CN_ENGEL_COEF"),
            ("area", "CN"),
            ("cell", ""),
            ("baseline_year", "2016"),
            ("baseline_value", "30.1"),
            ("target_year", "2015"),
            ("target_value", "25"),
            ("source", "A constructed plan, revised"),
            ("note", ""),
        ];
        let r = env.form("/evaluation/benchmarks?lang=en", "admin", &form).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert!(
            r.text.contains("id=\"refusal\"") && r.text.contains("target_year: &quot;2015&quot; — a year after the baseline year 2016"),
            "{}",
            r.text
        );
        assert!(r.text.contains("A constructed plan, revised"), "what was typed is kept");
        let mut good = form;
        good[5].1 = "2030";
        assert_eq!(env.form("/evaluation/benchmarks?lang=en", "coordinator", &good).await.status, StatusCode::FORBIDDEN);
        let r = env.form("/evaluation/benchmarks?lang=en", "admin", &good).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.text.contains("id=\"message\"") && r.text.contains("Earlier versions"), "{}", r.text);
        let r = env.call("GET", "/api/v1/benchmarks?history=true", None, None).await;
        let engel: Vec<&Value> = r.json.as_array().unwrap().iter().filter(|b| b["indicator"] == "CN_ENGEL_COEF").collect();
        assert_eq!(engel.iter().map(|b| b["version"].as_i64().unwrap()).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(engel[1]["target_year"], serde_json::json!(2030));

        // By SDG goal: goal 1 holds the rural poverty rate, with SDG target 1.2's benchmark.
        let r = env.call("GET", "/api/v1/evaluation/sdg?goal=1", None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let rate = r.json[0]["series"].as_array().unwrap().iter().find(|s| s["indicator"] == "SI_POV_NAHC").cloned().expect("SDG 1.2.1");
        assert_eq!(rate["benchmark"]["target_year"], serde_json::json!(2030), "{rate}");
        let r = env.call("GET", "/api/v1/evaluation/sdg?goal=1,10&format=csv", None, None).await;
        assert!(r.text.starts_with("goal,indicator,cell,class") && r.text.contains("\n1,SI_POV_NAHC,"), "{}", r.text);
        let r = env.call("GET", "/evaluation/sdg/1?lang=zh", None, None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert!(r.text.contains("可持续发展目标1") && r.text.contains("data-indicator=\"SI_POV_NAHC\""), "{}", r.text);
        let r = env.call("GET", "/evaluation?lang=en", None, None).await;
        assert!(r.text.contains("data-goal=\"1\"") && r.text.contains("/evaluation/sdg/1?lang=en"), "{}", r.text);
        assert_eq!(env.call("GET", "/evaluation/sdg/3", None, None).await.status, StatusCode::NOT_FOUND);
        // A goal none of the catalogue's indicators serve: no series, not an error.
        let r = env.call("GET", "/api/v1/evaluation/sdg?goal=3", None, None).await;
        assert_eq!((r.status, r.json[0]["series"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "{}", r.text);
        for bad in [
            "/api/v1/evaluation/sdg?goal=18",
            "/api/v1/evaluation/sdg?goal=x",
            "/api/v1/evaluation?article=16",
            "/api/v1/evaluation?article=",
            "/api/v1/evaluation?article=x",
            "/api/v1/evaluation?format=pdf",
        ] {
            assert_eq!(env.call("GET", bad, None, None).await.status, StatusCode::BAD_REQUEST, "{bad}");
        }
    }
}
