//! Writers at once, on SQLite and PostgreSQL: the 172 villages of Qiaoxi (130104) submit and are
//! approved all at the same time. Forms for different villages are written side by side (on
//! PostgreSQL), forms for the same key wait for each other, and roll-ups take turns: afterwards
//! every key has exactly one current value, nothing is lost or doubled, and every total — each
//! township, the county, the prefecture, the province, the nation — is the sum of every
//! approved village, not of those approved before some other roll-up read its figures.

use rightstat_core::area::AreaLevel;
use rightstat_core::round::{RoundSpec, TaskStatus};
use rightstat_store::{Actor, ImportOptions, ObservationFilter, Store, StoreError, Visibility, testing};
use std::collections::BTreeMap;

/// The lines of a shipped division file for the areas of county 130104 (Qiaoxi, Shijiazhuang).
fn qiaoxi(file: &str) -> Vec<u8> {
    testing::division_lines(file, "130104").into_bytes()
}

const SPEC: &str = r#"
code = "DIBAO-2023-QIAOXI"
title_en = "Minimum living guarantee recipients 2023, villages of Qiaoxi district"
title_zh = "2023年最低生活保障对象（桥西区各村居）"
periods = ["2023"]
deadline = "2099-03-31"
lead_department = "MCA"

[[item]]
indicator = "CN_DIBAO_RECIPIENTS"

[[assignment]]
department = "MCA"
area = "130104"
level = "village"
"#;

/// A village's form: `n` recipients (in 10,000 persons), `u` of them urban.
fn form(village: &str, n: u32, u: u32) -> Vec<u8> {
    let (n, u, r) = (f64::from(n) / 1e4, f64::from(u) / 1e4, f64::from(n - u) / 1e4);
    format!(
        "indicator,area,period,URBANISATION,value\nCN_DIBAO_RECIPIENTS,{village},2023,_T,{n}\n\
         CN_DIBAO_RECIPIENTS,{village},2023,U,{u}\nCN_DIBAO_RECIPIENTS,{village},2023,R,{r}\n"
    )
    .into_bytes()
}

fn opts(who: &str) -> ImportOptions {
    let mut o = ImportOptions::new("village.csv", rightstat_store::formats::Format::Csv);
    o.actor = Actor::new(who, None);
    o
}

/// The current total (all cells at _T) of an area, in persons.
async fn total(s: &Store, area: &str) -> Option<f64> {
    let f = ObservationFilter {
        indicators: vec!["CN_DIBAO_RECIPIENTS".into()],
        area: Some(area.into()),
        visibility: Visibility::All,
        ..Default::default()
    };
    s.observations(&f)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.area == area && o.period == "2023" && o.cell_key.is_empty())
        .and_then(|o| o.value)
        .map(|v| (v * 1e4).round())
}

/// Tries again while the store is busy (the queue of writers is full), as clients do on 503.
async fn busy_again<T, F: std::future::Future<Output = Result<T, StoreError>>>(mut attempt: impl FnMut() -> F) -> Result<T, StoreError> {
    loop {
        match attempt().await {
            Err(e) if e.is_overloaded() => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            other => return other,
        }
    }
}

/// One number from the database.
async fn count(url: &str, sql: &str) -> i64 {
    if url.starts_with("postgres") {
        let p = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&p).await.unwrap()
    } else {
        let p = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&p).await.unwrap()
    }
}

/// Keys with more than one current value (there must be none).
async fn doubled(url: &str) -> i64 {
    count(
        url,
        "SELECT COUNT(*) FROM (SELECT indicator_code, area_code, period, cell_key FROM observation \
         WHERE superseded_at IS NULL GROUP BY indicator_code, area_code, period, cell_key HAVING COUNT(*) > 1) d",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_villages_of_a_county_submit_and_are_approved_all_at_once() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let s = Store::connect(&url).await.unwrap();
        s.seed_reference().await.unwrap();
        let admin = Actor::new("admin", None);
        s.import_areas(&qiaoxi("streets.csv")[..], AreaLevel::Township, "streets.csv", &admin).await.unwrap().unwrap();
        s.import_areas(&qiaoxi("villages-13.csv")[..], AreaLevel::Village, "villages-13.csv", &admin).await.unwrap().unwrap();
        let round = s.create_round(&toml::from_str::<RoundSpec>(SPEC).unwrap(), &admin).await.unwrap();
        s.open_round(round, &admin).await.unwrap();
        let tasks = s.tasks(round, None, None).await.unwrap();
        assert_eq!(tasks.len(), 172, "one task per village of Qiaoxi");
        let recipients = |i: usize| (10 + i as u32 * 7 % 90, 3 + i as u32 % 5);

        // Every village submits at once.
        let mut handles = Vec::new();
        for (i, t) in tasks.iter().enumerate() {
            let (s, id, area) = (s.clone(), t.id, t.area_code.clone());
            let (n, u) = recipients(i);
            handles.push(tokio::spawn(async move {
                busy_again(|| s.submit(id, form(&area, n, u), opts("village-reporter"), "counted with the township", false)).await
            }));
        }
        for h in handles {
            let sub = h.await.unwrap().unwrap();
            assert_eq!(sub.status, "submitted", "{:#?}", sub.validation);
        }
        // A caller's tasks are found by their areas: a township's villages, the county's
        // submitted tasks.
        let (in_township, n) = s.tasks_within(round, &["130104001".to_string()], None).await.unwrap();
        let expected = tasks.iter().filter(|t| t.area_code.starts_with("130104001")).count();
        assert_eq!((in_township.len(), n), (expected, expected as i64), "{url}");
        assert!(in_township.iter().all(|t| t.area_code.starts_with("130104001")));
        let (submitted, n) = s.tasks_within(round, &["130104".to_string(), "1301".to_string()], Some("submitted")).await.unwrap();
        assert_eq!((submitted.len(), n), (172, 172), "{url}");
        assert_eq!(s.tasks_within(round, &["130104".to_string()], Some("approved")).await.unwrap().1, 0);

        // Every village is approved at once: 172 roll-ups, each reading the figures below the
        // township, county, prefecture, province and nation and writing their totals.
        let mut handles = Vec::new();
        for t in &tasks {
            let (s, id) = (s.clone(), t.id);
            let reviewer = Actor::new("county-reviewer", None);
            handles.push(tokio::spawn(async move { busy_again(|| s.review(id, true, "", &reviewer)).await }));
        }
        for h in handles {
            let (status, rolled) = h.await.unwrap().unwrap();
            assert_eq!(status, TaskStatus::Approved);
            assert!(rolled.is_some());
        }
        // Every total is the sum of every village below it.
        let mut by_township: BTreeMap<String, f64> = BTreeMap::new();
        let mut all = 0.0;
        for (i, t) in tasks.iter().enumerate() {
            let n = f64::from(recipients(i).0);
            *by_township.entry(t.area_code[..9].to_string()).or_default() += n;
            all += n;
        }
        for (township, sum) in &by_township {
            assert_eq!(total(&s, township).await, Some(*sum), "township {township} on {url}");
        }
        for area in ["130104", "1301", "13", "CN"] {
            assert_eq!(total(&s, area).await, Some(all), "{area} on {url}");
        }
        assert_eq!(doubled(&url).await, 0, "one current value per key on {url}");

        // Corrections of one village sent at once by several clients: each waits for the one
        // before, revising the value it finds; one current value remains, and every correction
        // is a vintage of it.
        let village = tasks[0].area_code.clone();
        let mut handles = Vec::new();
        for k in 0..8u32 {
            let s = s.clone();
            let file = form(&village, 200 + k, 100);
            handles.push(tokio::spawn(async move {
                let mut o = opts("village-reporter");
                o.allowed_areas = Some(vec!["130104001001".into()]);
                o.reason = "test: corrections sent at once".into();
                busy_again(|| s.import_observations(std::io::Cursor::new(file.clone()), o.clone())).await
            }));
        }
        for h in handles {
            let r = h.await.unwrap().unwrap();
            assert!(r.is_ok() && r.inserted >= 2, "the total and the rural figure at least: {r:?}");
        }
        assert_eq!(doubled(&url).await, 0, "one current value per key after concurrent corrections on {url}");
        let vintages = count(
            &url,
            &format!("SELECT COUNT(*) FROM observation WHERE indicator_code = 'CN_DIBAO_RECIPIENTS' AND area_code = '{village}' AND cell_key = ''"),
        )
        .await;
        assert_eq!(vintages, 9, "the approved value and eight corrections, none lost, on {url}");
    }
}
