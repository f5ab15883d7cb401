//! The catalogue across versions of the shipped reference, on SQLite and PostgreSQL.

use rightstat_store::{Actor, Store, testing};

/// A database seeded before the Chinese texts were shipped gets them, as a new version of each
/// definition concerned; a text the lead department wrote is never replaced; seeding again
/// changes nothing.
#[tokio::test]
async fn shipped_texts_fill_only_what_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let store = Store::connect(&url).await.unwrap();
        store.seed_reference().await.unwrap();
        // As an older database had them: no Chinese definition for two indicators, and one
        // purpose written by the lead department.
        let mut a = store.indicator("CN_DIBAO_HOUSEHOLDS", None).await.unwrap().unwrap().indicator;
        a.definition_zh.clear();
        a.purpose_zh.clear();
        store.put_indicator(&a, "as before", &Actor::system()).await.unwrap();
        let mut b = store.indicator("CN_GINI_INCOME", None).await.unwrap().unwrap().indicator;
        b.definition_zh.clear();
        b.purpose_zh = "本部门撰写的目的。".into();
        store.put_indicator(&b, "as before", &Actor::system()).await.unwrap();

        store.seed_reference().await.unwrap();
        let a2 = store.indicator("CN_DIBAO_HOUSEHOLDS", None).await.unwrap().unwrap();
        assert_eq!((a2.version, a2.indicator.definition_zh.as_str()), (3, "年末享受最低生活保障的户数。"), "{url}");
        assert!(!a2.indicator.purpose_zh.is_empty() && a2.version_reason.contains("filled where empty"));
        let b2 = store.indicator("CN_GINI_INCOME", None).await.unwrap().unwrap().indicator;
        assert!(!b2.definition_zh.is_empty() && b2.purpose_zh == "本部门撰写的目的。", "{url}: an edited text replaced");
        store.seed_reference().await.unwrap();
        assert_eq!(
            store.indicator("CN_DIBAO_HOUSEHOLDS", None).await.unwrap().unwrap().version,
            3,
            "{url}: seeding again versions nothing"
        );
    }
}
