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

/// The catalogue a process keeps in memory is read again after any change to it: a new
/// version through the store, and a code renamed or a unit added by SQL behind its back (by
/// another process, or by hand), in another connection.
#[tokio::test]
async fn the_kept_catalogue_follows_every_change() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let store = Store::connect(&url).await.unwrap();
        store.seed_reference().await.unwrap();
        let before = store.catalogue().await.unwrap();
        assert!(std::sync::Arc::ptr_eq(&before, &store.catalogue().await.unwrap()), "kept while nothing changed");

        let mut a = store.indicator("CN_DIBAO_HOUSEHOLDS", None).await.unwrap().unwrap().indicator;
        a.name_en = "Households receiving the minimum living guarantee (renamed)".into();
        store.put_indicator(&a, "test: renamed", &Actor::system()).await.unwrap();
        let after = store.catalogue().await.unwrap();
        let (ind, version) = &after.indicators["CN_DIBAO_HOUSEHOLDS"];
        assert_eq!((ind.name_en.as_str(), *version), (a.name_en.as_str(), 2), "{url}");

        let other = Store::connect(&url).await.unwrap();
        let _ = other.catalogue().await.unwrap();
        let sql = [
            "UPDATE code SET name_en = 'Female (renamed)' WHERE codelist_id = 'SEX' AND code = 'F'",
            "INSERT INTO unit (code, name_en, name_zh, people) VALUES ('TEST_UNIT', 'test unit', '测试单位', false)",
        ];
        for q in sql {
            if url.starts_with("postgres") {
                let p = sqlx::PgPool::connect(&url).await.unwrap();
                sqlx::query(q).execute(&p).await.unwrap();
            } else {
                let p = sqlx::SqlitePool::connect(&url).await.unwrap();
                sqlx::query(q).execute(&p).await.unwrap();
            }
        }
        for s in [&store, &other] {
            let c = s.catalogue().await.unwrap();
            let f = c.codelists["SEX"].codes.iter().find(|c| c.code == "F").unwrap();
            assert_eq!(f.name_en, "Female (renamed)", "{url}");
            assert!(c.units.iter().any(|u| u.code == "TEST_UNIT"), "{url}");
        }
    }
}

/// Each figure's cell lists the dimensions of the definition version it was recorded under,
/// also when that version was written after the store first read observations (the store keeps
/// the dimensions of the versions it has read, per process).
#[tokio::test]
async fn figures_read_their_dimensions_from_the_version_they_were_recorded_under() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let store = Store::connect(&url).await.unwrap();
        store.seed_reference().await.unwrap();
        let import = |csv: &'static str| {
            let store = store.clone();
            async move {
                let o = rightstat_store::ImportOptions::new("t.csv", rightstat_store::formats::Format::Csv);
                let r = store.import_observations(std::io::Cursor::new(csv.as_bytes().to_vec()), o).await.unwrap();
                assert!(r.is_ok(), "{:?}", r.errors.first());
            }
        };
        let read = || {
            let store = store.clone();
            async move {
                let f = rightstat_store::ObservationFilter { indicators: vec!["CN_DIBAO_RECIPIENTS".into()], ..Default::default() };
                store.observations(&f).await.unwrap()
            }
        };
        import("indicator,area,period,URBANISATION,value\nCN_DIBAO_RECIPIENTS,13,2022,_T,12\n").await;
        let first = read().await;
        let before: Vec<&str> = first[0].cell.keys().map(String::as_str).collect();
        assert!(before.len() > 1 && before.contains(&"SEX"), "{url}: {before:?}");

        let mut d = store.indicator("CN_DIBAO_RECIPIENTS", None).await.unwrap().unwrap().indicator;
        d.dimensions = vec!["URBANISATION".into()];
        d.required_dimensions = vec!["URBANISATION".into()];
        store.put_indicator(&d, "test: by urban and rural only", &Actor::system()).await.unwrap();
        import("indicator,area,period,URBANISATION,value\nCN_DIBAO_RECIPIENTS,13,2023,_T,13\n").await;
        let rows = read().await;
        let cells: Vec<(&str, Vec<&str>)> = rows.iter().map(|r| (r.period.as_str(), r.cell.keys().map(String::as_str).collect())).collect();
        assert_eq!(cells, [("2022", before.clone()), ("2023", vec!["URBANISATION"])], "{url}");
    }
}
