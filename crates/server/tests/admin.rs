//! The administration pages on SQLite and PostgreSQL: users, grants and tokens managed from
//! the browser as with the CLI, inside the administrator's own grants, every change audited.

use axum::http::StatusCode;
use rightstat_core::policy::{Grant, Role};
use rightstat_store::Actor;

mod common;
use common::{Load, envs};

#[tokio::test]
async fn an_administrator_manages_users_grants_and_tokens_from_pages() {
    let dir = tempfile::tempdir().unwrap();
    for mut env in envs(&dir, Load::Users).await {
        // A provincial administrator (Hebei, civil affairs), signed in.
        let hebei = Grant { role: Role::Administrator, department: Some("MCA".into()), area: "13".into() };
        env.store.create_user("hebei-admin", "河北省民政厅管理员", "a long password 1", &Actor::system()).await.unwrap();
        env.store.grant("hebei-admin", &hebei, &Actor::system()).await.unwrap();
        let id = env.store.users().await.unwrap().into_iter().find(|u| u.username == "hebei-admin").unwrap().id;
        let (cookie, csrf) = env.store.create_session(id, None).await.unwrap();
        env.sessions.push(("hebei-admin".into(), cookie, csrf));

        let (st, _, page) = env.call("GET", "/admin?lang=zh", Some("admin"), None).await.parts();
        assert_eq!(st, StatusCode::OK, "{page}");
        assert!(page.contains("系统管理") && page.contains("data-user=\"reporter\"") && page.contains("审计链完整"), "{page}");
        assert!(page.contains("填报人"), "roles in Chinese: {page}");

        // A new county clerk: created, then granted; a short password is refused with the reason.
        let short = [("username", "clerk"), ("display_name", "长安区民政局"), ("password", "short")];
        let r = env.form("/admin/users?lang=en", "admin", &short).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("at least 12 characters"), "{}", r.text);
        let user = [("username", "clerk"), ("display_name", "长安区民政局"), ("password", "twelve chars at least")];
        let r = env.form("/admin/users?lang=en", "hebei-admin", &user).await;
        assert!(r.text.contains("User created"), "{}", r.text);
        let grant = [("username", "clerk"), ("role", "reporter"), ("department", "MCA"), ("area", "130102")];
        let r = env.form("/admin/grants?lang=en", "hebei-admin", &grant).await;
        assert!(r.text.contains("Role granted"), "{}", r.text);
        let clerk = env.store.users().await.unwrap().into_iter().find(|u| u.username == "clerk").unwrap();
        assert_eq!(clerk.grants, vec![Grant { role: Role::Reporter, department: Some("MCA".into()), area: "130102".into() }]);

        // Least privilege: Hebei's civil-affairs administrator cannot grant beyond Hebei, nor for
        // another department, nor disable a national user.
        for (area, dept) in [("CN", "MCA"), ("110101", "MCA"), ("130102", "NBS")] {
            let wide = [("username", "clerk"), ("role", "administrator"), ("department", dept), ("area", area)];
            let r = env.form("/admin/grants?lang=en", "hebei-admin", &wide).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{area} {dept}: {}", r.text);
            assert!(r.text.contains("outside your own grants"), "{}", r.text);
        }
        let r = env.form("/admin/users/admin/disabled?lang=en", "hebei-admin", &[("disabled", "true")]).await;
        assert!(r.text.contains("outside yours"), "{}", r.text);
        assert!(!env.store.users().await.unwrap().iter().find(|u| u.username == "admin").unwrap().disabled);
        // Not an administrator at all: refused by the policy before the page.
        let r = env.form("/admin/grants?lang=en", "reporter", &grant).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // A token for the county's own system: the secret is shown once and works on the API.
        let token = [
            ("username", "clerk"),
            ("name", "county-system"),
            ("role", "reporter"),
            ("department", "MCA"),
            ("area", "130102"),
            ("days", "30"),
        ];
        let r = env.form("/admin/tokens?lang=en", "hebei-admin", &token).await;
        assert!(r.text.contains("Token issued"), "{}", r.text);
        let secret = r.text.split("id=\"token-secret\">").nth(1).unwrap().split('<').next().unwrap().to_string();
        let me = |secret: String| {
            let app = env.app.clone();
            async move {
                use tower::ServiceExt;
                let req = axum::http::Request::get("/api/v1/me")
                    .header("authorization", format!("Bearer {secret}"))
                    .body(axum::body::Body::empty())
                    .unwrap();
                app.oneshot(req).await.unwrap().status()
            }
        };
        assert_eq!(me(secret.clone()).await, StatusCode::OK);
        let (_, _, page) = env.call("GET", "/admin?lang=en", Some("admin"), None).await.parts();
        assert!(page.contains("county-system") && !page.contains(&secret), "the secret is shown once only");
        let tid = env.store.tokens().await.unwrap().into_iter().find(|t| t.name == "county-system").unwrap().id;
        let r = env.form(&format!("/admin/tokens/{tid}/revoke?lang=en"), "hebei-admin", &[]).await;
        assert!(r.text.contains("Token revoked"), "{}", r.text);
        assert_eq!(me(secret).await, StatusCode::UNAUTHORIZED);
        // A program cannot revoke the token it runs on (it would lock itself out mid-task).
        let (own, own_secret) = env.store.create_token("hebei-admin", "etl", &hebei, 30, &Actor::system()).await.unwrap();
        let req = axum::http::Request::post(format!("/admin/tokens/{own}/revoke?lang=en"))
            .header("authorization", format!("Bearer {own_secret}"))
            .body(axum::body::Body::empty())
            .unwrap();
        let res = tower::ServiceExt::oneshot(env.app.clone(), req).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(me(own_secret).await, StatusCode::OK, "still valid");

        // Disabling the clerk, then the audit trail shows who did each of these, and when.
        let r = env.form("/admin/users/clerk/disabled?lang=en", "hebei-admin", &[("disabled", "true")]).await;
        assert!(r.text.contains("User disabled"), "{}", r.text);
        let (st, _, audit) = env.call("GET", "/admin/audit?lang=en&actor=hebei-admin", Some("admin"), None).await.parts();
        assert_eq!(st, StatusCode::OK);
        for action in ["user.create", "user.grant", "token.create", "token.revoke"] {
            assert!(audit.contains(action), "{action} not on the audit page: {audit}");
        }
        assert!(audit.contains("audit chain intact"), "{audit}");
        assert_eq!(env.call("GET", "/admin/audit", Some("reviewer"), None).await.status, StatusCode::FORBIDDEN);

        // The catalogue: every indicator has its texts in both languages; the civil-affairs
        // administrator edits its department's indicator, with a reason, as a new version.
        let (_, _, cat) = env.call("GET", "/admin/catalogue?lang=zh", Some("admin"), None).await.parts();
        assert!(cat.contains("所有指标的各项文字均有中英文") && cat.contains("data-indicator=\"CN_DIBAO_RECIPIENTS\""), "{cat}");
        let (_, _, page) = env.call("GET", "/admin/catalogue/CN_DIBAO_RECIPIENTS?lang=zh", Some("hebei-admin"), None).await.parts();
        assert!(page.contains("id=\"texts\"") && page.contains("年末享受最低生活保障"), "{page}");
        let current = env.store.indicator("CN_DIBAO_RECIPIENTS", None).await.unwrap().unwrap();
        let i = &current.indicator;
        let mut texts = vec![
            ("name_en", i.name_en.as_str()),
            ("name_zh", i.name_zh.as_str()),
            ("definition_en", i.definition_en.as_str()),
            ("definition_zh", i.definition_zh.as_str()),
            ("purpose_en", i.purpose_en.as_str()),
            ("purpose_zh", i.purpose_zh.as_str()),
            ("guidance_en", i.guidance_en.as_str()),
            ("guidance_zh", "填报人数而非户数；年末数；临时救助对象不计入。"),
        ];
        let r = env.form("/admin/catalogue/CN_DIBAO_RECIPIENTS?lang=en", "hebei-admin", &texts).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a reason is needed");
        texts.push(("reason", "temporary assistance is not counted"));
        let r = env.form("/admin/catalogue/CN_DIBAO_RECIPIENTS?lang=en", "hebei-admin", &texts).await;
        assert!(r.text.contains("Saved as a new version") && r.text.contains("temporary assistance is not counted"), "{}", r.text);
        let now = env.store.indicator("CN_DIBAO_RECIPIENTS", None).await.unwrap().unwrap();
        assert_eq!(
            (now.version, now.indicator.guidance_zh.as_str()),
            (current.version + 1, "填报人数而非户数；年末数；临时救助对象不计入。")
        );
        assert_eq!(now.indicator.unit_mult, i.unit_mult, "only the texts change");
        // Another department's indicator: read, not edited.
        let r = env.form("/admin/catalogue/SI_POV_NAHC?lang=en", "hebei-admin", &texts).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        let (_, _, page) = env.call("GET", "/admin/catalogue/SI_POV_NAHC?lang=en", Some("hebei-admin"), None).await.parts();
        assert!(!page.contains("id=\"texts\"") && page.contains("Another department"), "{page}");

        // The glossary: a term's explanation edited from its page, audited; bad articles refused.
        let (_, _, page) = env.call("GET", "/admin/glossary?lang=zh", Some("admin"), None).await.parts();
        assert!(page.contains("地方性用语词汇表") && page.contains("精准扶贫"), "{page}");
        let term = env.store.glossary().await.unwrap().into_iter().find(|t| t.zh == "精准扶贫").unwrap();
        let articles = term.articles.iter().map(u8::to_string).collect::<Vec<_>>().join(", ");
        let local = term.local_en.join("; ");
        let mut form = vec![
            ("zh", term.zh.as_str()),
            ("literal_en", term.literal_en.as_str()),
            ("preferred_en", term.preferred_en.as_str()),
            ("explanation_en", "Household-by-household targeting of anti-poverty measures (2013-2020)."),
            ("explanation_zh", term.explanation_zh.as_str()),
            ("local_en", local.as_str()),
            ("articles", "eleven"),
        ];
        let r = env.form("/admin/glossary?lang=en", "admin", &form).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        form.pop();
        form.push(("articles", articles.as_str()));
        let r = env.form("/admin/glossary?lang=en", "admin", &form).await;
        assert!(r.text.contains("Term saved"), "{}", r.text);
        let saved = env.store.glossary().await.unwrap().into_iter().find(|t| t.zh == "精准扶贫").unwrap();
        assert_eq!(
            (saved.explanation_en.as_str(), &saved.local_en, &saved.articles),
            ("Household-by-household targeting of anti-poverty measures (2013-2020).", &term.local_en, &term.articles)
        );
        let (_, _, audit) = env.call("GET", "/admin/audit?lang=en&action=glossary.update", Some("admin"), None).await.parts();
        assert!(audit.contains("精准扶贫"), "{audit}");
        // An import outside a round waits on the publishing page until the administrator publishes it.
        let csv = "indicator,area,period,value\nCN_POVERTY_LINE_RURAL,CN,2024,2800\n";
        let (st, out, text) = env
            .call("POST", "/api/v1/imports?name=line-2024.csv", Some("admin"), Some(serde_json::Value::String(csv.into())))
            .await
            .parts();
        assert_eq!(st, StatusCode::CREATED, "{text}");
        let batch = out["batch_id"].as_i64().unwrap();
        let (_, _, page) = env.call("GET", "/admin/publishing?lang=en", Some("admin"), None).await.parts();
        assert!(page.contains(&format!("data-batch=\"{batch}\"")) && page.contains("line-2024.csv"), "{page}");
        assert_eq!(env.call("GET", "/admin/publishing", Some("reviewer"), None).await.status, StatusCode::FORBIDDEN);
        let r = env.form(&format!("/admin/batches/{batch}/publish?lang=en"), "admin", &[]).await;
        assert!(
            r.text.contains(&format!("Published: batch #{batch}")) && !r.text.contains(&format!("data-batch=\"{batch}\"")),
            "{}",
            r.text
        );
        assert!(env.store.batch(batch).await.unwrap().unwrap().published_at.is_some());
        let (_, _, lists) = env.call("GET", "/admin/codelists?lang=zh", Some("admin"), None).await.parts();
        assert!(lists.contains("城乡") && !lists.contains("Urban or rural residence") && lists.contains("Rural"), "{lists}");
    }
}
