//! Accounts, tokens and the audit trail, on SQLite and PostgreSQL.

use rightstat_core::policy::{Grant, Role};
use rightstat_store::{Actor, AuditFilter, Credential, ImportOptions, LoginError, Store, formats::Format, testing};
use std::io::Cursor;

async fn stores(dir: &tempfile::TempDir) -> Vec<(String, Store)> {
    let mut out = Vec::new();
    for url in testing::fresh_urls(dir.path()).await {
        let s = Store::connect(&url).await.unwrap();
        s.seed_reference().await.unwrap();
        out.push((url, s));
    }
    out
}

fn grant(role: Role, area: &str) -> Grant {
    Grant { role, department: None, area: area.into() }
}

const PW: &str = "correct horse battery";

#[tokio::test]
async fn the_sixth_wrong_password_in_a_minute_locks_the_account() {
    let dir = tempfile::tempdir().unwrap();
    for (_, s) in stores(&dir).await {
        s.create_user("li.wei", "Li Wei", PW, &Actor::system()).await.unwrap();
        assert!(s.create_user("li.wei", "again", PW, &Actor::system()).await.is_err());
        assert!(s.create_user("short", "x", "123", &Actor::system()).await.is_err());
        assert!(s.authenticate("li.wei", PW, None).await.unwrap().is_ok());
        for _ in 0..5 {
            assert_eq!(s.authenticate("li.wei", "wrong", None).await.unwrap().unwrap_err(), LoginError::BadCredentials);
        }
        assert!(matches!(s.authenticate("li.wei", "wrong", None).await.unwrap(), Err(LoginError::Locked(_))));
        assert!(
            matches!(s.authenticate("li.wei", PW, None).await.unwrap(), Err(LoginError::Locked(_))),
            "locked even with the right password"
        );
        let log = s.audit_log(&AuditFilter { action: Some("user.locked".into()), ..Default::default() }).await.unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(s.authenticate("nobody", PW, None).await.unwrap().unwrap_err(), LoginError::BadCredentials);
    }
}

#[tokio::test]
async fn sessions_and_tokens_end_when_revoked_disabled_or_expired() {
    let dir = tempfile::tempdir().unwrap();
    for (url, s) in stores(&dir).await {
        let id = s.create_user("zhang", "Zhang", PW, &Actor::system()).await.unwrap();
        s.grant("zhang", &grant(Role::Reporter, "130102"), &Actor::system()).await.unwrap();
        let (cookie, csrf) = s.create_session(id, Some("127.0.0.1")).await.unwrap();
        let p = s.session_principal(&cookie).await.unwrap().unwrap();
        assert_eq!(p.credential, Credential::Session { csrf });
        assert_eq!(p.grants, [grant(Role::Reporter, "130102")]);
        // A token cannot exceed its user's rights.
        assert!(s.create_token("zhang", "etl", &grant(Role::Reporter, "13"), 30, &Actor::system()).await.is_err());
        assert!(s.create_token("zhang", "etl", &grant(Role::Administrator, "130102"), 30, &Actor::system()).await.is_err());
        let (tid, secret) = s.create_token("zhang", "etl", &grant(Role::Reporter, "130102"), 30, &Actor::system()).await.unwrap();
        assert!(secret.starts_with("rst_"));
        assert!(s.token_principal(&secret).await.unwrap().is_some());
        assert!(s.token_principal("rst_guess").await.unwrap().is_none());
        s.revoke_token(tid, &Actor::system()).await.unwrap();
        assert!(s.token_principal(&secret).await.unwrap().is_none(), "revoked");
        // Expired: move the expiry into the past directly.
        let (_, secret2) = s.create_token("zhang", "etl2", &grant(Role::Reporter, "130102"), 1, &Actor::system()).await.unwrap();
        set_sql(&url, "UPDATE api_token SET expires_at = '2000-01-01T00:00:00Z' WHERE name = 'etl2'").await;
        assert!(s.token_principal(&secret2).await.unwrap().is_none(), "expired");
        s.set_user_disabled("zhang", true, &Actor::system()).await.unwrap();
        assert!(s.session_principal(&cookie).await.unwrap().is_none(), "disabled users lose their sessions");
    }
}

async fn set_sql(url: &str, sql: &'static str) {
    use sqlx::Connection;
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
    } else {
        let mut c = sqlx::SqliteConnection::connect(&url.replace("sqlite://", "sqlite:")).await.unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
    }
}

#[tokio::test]
async fn editing_or_deleting_an_audit_record_breaks_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    for (url, s) in stores(&dir).await {
        s.create_user("wang", "Wang", PW, &Actor::system()).await.unwrap();
        let mut o = ImportOptions::new("a.csv", Format::Csv);
        o.actor = Actor::new("wang", Some("10.0.0.1".into()));
        let r =
            s.import_observations(Cursor::new(b"indicator,area,period,value\nCN_RURAL_POOR_POP,13,2018,120\n".to_vec()), o).await.unwrap();
        assert!(r.is_ok());
        let imports = s.audit_log(&AuditFilter { action: Some("observations.import".into()), ..Default::default() }).await.unwrap();
        assert_eq!(imports.len(), 1, "imports are audited");
        assert_eq!((imports[0].actor.as_str(), imports[0].ip.as_deref()), ("wang", Some("10.0.0.1")));
        let check = s.verify_audit().await.unwrap();
        assert_eq!(check.broken, None);
        assert!(check.records >= 3);
        set_sql(&url, "UPDATE audit_log SET actor = 'someone else' WHERE seq = 2").await;
        let check = s.verify_audit().await.unwrap();
        assert_eq!(check.broken.as_ref().map(|b| b.0), Some(2), "{check:?}");
        set_sql(&url, "UPDATE audit_log SET actor = 'system' WHERE seq = 2").await;
        assert_eq!(s.verify_audit().await.unwrap().broken, None, "restored");
        let last = s.audit_log(&AuditFilter::default()).await.unwrap()[0].seq;
        set_sql(&url, "DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)").await;
        let check = s.verify_audit().await.unwrap();
        assert_eq!(check.broken.as_ref().map(|b| b.0), Some(last), "deleting the newest record is found too: {check:?}");
    }
}

/// Changes committed side by side are linked into one unbroken chain, one record each, in the
/// order they committed, whatever their content (Chinese text, missing fields); on PostgreSQL
/// nothing is left waiting to be linked.
#[tokio::test]
async fn concurrent_changes_make_one_unbroken_chain() {
    let dir = tempfile::tempdir().unwrap();
    for (url, s) in stores(&dir).await {
        let before = s.verify_audit().await.unwrap().records;
        let mut handles = Vec::new();
        for i in 0..40u32 {
            let s = s.clone();
            handles.push(tokio::spawn(async move {
                let actor = Actor::new(format!("审核员 {i}"), (i % 2 == 0).then(|| format!("10.0.0.{i}")));
                let (id, new) = (i.to_string(), format!("{{\"村\": {i}}}"));
                let entry = rightstat_store::AuditEntry {
                    actor: &actor,
                    action: "test.concurrent",
                    entity: "test",
                    entity_id: &id,
                    old_value: (i % 3 == 0).then(|| "旧值".to_string()),
                    new_value: (i % 5 != 0).then_some(new),
                    reason: if i % 4 == 0 { "" } else { "复核" },
                };
                s.record_audit(&entry).await.unwrap();
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
        let check = s.verify_audit().await.unwrap();
        assert_eq!(check.broken, None, "{url}");
        assert_eq!(check.records, before + 40, "{url}");
        let ours = s.audit_log(&AuditFilter { action: Some("test.concurrent".into()), ..Default::default() }).await.unwrap();
        let mut ids: Vec<u32> = ours.iter().map(|r| r.entity_id.parse().unwrap()).collect();
        ids.sort();
        assert_eq!(ids, (0..40).collect::<Vec<_>>(), "one record each on {url}");
        let r7 = ours.iter().find(|r| r.entity_id == "7").unwrap();
        assert_eq!((r7.actor.as_str(), r7.ip.as_deref(), r7.old_value.as_deref(), r7.reason.as_str()), ("审核员 7", None, None, "复核"));
        if url.starts_with("postgres") {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_pending").fetch_one(&mut c).await.unwrap();
            assert_eq!(pending, 0, "every record linked at its commit");
        }
    }
}
