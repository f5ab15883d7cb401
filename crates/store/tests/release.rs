//! Release as its own act and the released vintage, on SQLite and PostgreSQL: approval makes
//! nothing public; the lead department releases (now or under embargo); a released partial
//! total says so in the data; an unreleased revision or a pending correction never hides the
//! released figure; revising a released figure needs a reason.

use rightstat_core::round::RoundSpec;
use rightstat_store::{Actor, ImportOptions, ObservationFilter, Store, Visibility, testing};

const SPEC: &str = r#"
code = "DIBAO-2023"
title_en = "Minimum living guarantee 2023"
title_zh = "2023年最低生活保障"
periods = ["2023"]
deadline = "2099-03-31"
lead_department = "MCA"

[[item]]
indicator = "CN_DIBAO_RECIPIENTS"

[[assignment]]
department = "MCA"
area = "1301"
level = "county"
"#;

fn opts(name: &str, who: &str) -> ImportOptions {
    let mut o = ImportOptions::new(name, rightstat_store::formats::Format::Csv);
    o.actor = Actor::new(who, None);
    o
}

/// A county's recipients (10,000 persons): the total, urban 0.2 and the rest rural.
fn county(area: &str, v: f64) -> Vec<u8> {
    let rural = ((v - 0.2) * 100.0).round() / 100.0;
    format!(
        "indicator,area,period,URBANISATION,value\nCN_DIBAO_RECIPIENTS,{area},2023,_T,{v}\n\
         CN_DIBAO_RECIPIENTS,{area},2023,U,0.2\nCN_DIBAO_RECIPIENTS,{area},2023,R,{rural}\n"
    )
    .into_bytes()
}

/// The public (or another reader's) value of a key, and the row.
async fn seen(s: &Store, vis: Visibility, ind: &str, area: &str, period: &str, cell: &str) -> Option<rightstat_store::ObservationRow> {
    let f = ObservationFilter { indicators: vec![ind.into()], area: Some(area.into()), visibility: vis, ..Default::default() };
    s.observations(&f).await.unwrap().into_iter().find(|o| o.period == period && o.cell_key == cell)
}

async fn public(s: &Store, area: &str) -> Option<f64> {
    seen(s, Visibility::Published, "CN_DIBAO_RECIPIENTS", area, "2023", "").await.and_then(|o| o.value)
}

#[tokio::test]
async fn approval_publishes_nothing_and_a_release_does_with_its_completeness() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let s = Store::connect(&url).await.unwrap();
        s.seed_reference().await.unwrap();
        let lead = Actor::new("admin", None);
        let spec: RoundSpec = toml::from_str(SPEC).unwrap();
        let round = s.create_round(&spec, &lead).await.unwrap();
        s.open_round(round, &lead).await.unwrap();
        let tasks = s.tasks(round, None, None).await.unwrap();
        let task = tasks.iter().find(|t| t.area_code == "130102").unwrap().id;
        let sub = s.submit(task, county("130102", 0.52), opts("a.csv", "reporter"), "", false).await.unwrap();
        assert!(sub.accepted, "{:?}", sub.validation);
        let version = s.public_version().await.unwrap();
        let (_, rolled) = s.review(task, true, "", &Actor::new("reviewer", None)).await.unwrap();
        assert!(rolled.unwrap().written >= 3, "the prefecture, the province and the nation");

        // Approved and rolled up, but nothing public: not the county, not the totals above.
        for area in ["130102", "1301", "13", "CN"] {
            assert_eq!(public(&s, area).await, None, "{area} is public before any release");
        }
        assert_eq!(public(&s, "CN").await, None);
        assert_eq!(seen(&s, Visibility::All, "CN_DIBAO_RECIPIENTS", "CN", "2023", "").await.unwrap().value, Some(0.52));
        // Nothing public changed: the portal keeps its snapshot through a deadline's approvals.
        assert_eq!(s.public_version().await.unwrap(), version, "{url}: approval and roll-up changed the public version");

        // The queue shows what awaits release.
        let queue = s.release_queue(round).await.unwrap();
        let item = queue.iter().find(|i| i.indicator == "CN_DIBAO_RECIPIENTS" && i.period == "2023").unwrap();
        // Three cells of the county, and of the prefecture, the province and the nation above.
        assert_eq!((item.pending, item.released, item.tasks_approved), (12, 0, 1), "{item:?}");
        assert_eq!(item.tasks_expected as usize, tasks.len());
        assert!(s.release(round, "CN_DIBAO_RECIPIENTS", "2019", None, &lead).await.is_err(), "not a period of the round");
        assert!(s.release(round, "SI_POV_NAHC", "2023", None, &lead).await.is_err(), "not an item of the round");

        let r = s.release(round, "CN_DIBAO_RECIPIENTS", "2023", None, &lead).await.unwrap();
        assert_eq!(r.values_released, 12);
        assert_eq!(public(&s, "130102").await, Some(0.52));
        // The national figure is public, provisional, and says from how many provinces.
        let cn = seen(&s, Visibility::Published, "CN_DIBAO_RECIPIENTS", "CN", "2023", "").await.unwrap();
        assert_eq!(cn.value, Some(0.52));
        assert!(cn.is_partial(), "{cn:?}");
        assert_eq!(cn.children_reporting, Some(1));
        assert!(cn.children_expected.unwrap() >= 31, "{cn:?}");
        assert_eq!(cn.status, "P", "a total of part of the provinces is provisional");
        assert!(s.release(round, "CN_DIBAO_RECIPIENTS", "2023", None, &lead).await.is_err(), "nothing left to release");

        // A correction awaiting review hides nothing; approved, it is not public until released.
        let sub = s.submit(task, county("130102", 0.61), opts("b.csv", "reporter"), "corrected count", false).await.unwrap();
        assert!(sub.accepted, "{:?}", sub.validation);
        assert_eq!(public(&s, "130102").await, Some(0.52), "a pending correction withdrew the released figure");
        assert_eq!(public(&s, "CN").await, Some(0.52));
        let accepted = seen(&s, Visibility::Accepted, "CN_DIBAO_RECIPIENTS", "130102", "2023", "").await.unwrap();
        assert_eq!(accepted.value, Some(0.52), "the roll-up reads the accepted vintage under a pending correction");
        assert!(accepted.superseded_at.is_some(), "{accepted:?}");
        s.review(task, true, "", &Actor::new("reviewer", None)).await.unwrap();
        assert_eq!(public(&s, "130102").await, Some(0.52), "an approved correction is public only when released");
        assert_eq!(seen(&s, Visibility::Accepted, "CN_DIBAO_RECIPIENTS", "CN", "2023", "").await.unwrap().value, Some(0.61));

        // Under embargo: nothing before the instant, everything at it.
        let at = rightstat_store::rfc3339_after(2);
        let r = s.release(round, "CN_DIBAO_RECIPIENTS", "2023", Some(&at), &lead).await.unwrap();
        assert_eq!(r.release_at, at);
        assert_eq!(public(&s, "130102").await, Some(0.52), "embargoed");
        assert_eq!(public(&s, "CN").await, Some(0.52), "embargoed");
        let before = s.public_version().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(2300)).await;
        assert_eq!(public(&s, "130102").await, Some(0.61));
        assert_eq!(public(&s, "CN").await, Some(0.61));
        assert_ne!(s.public_version().await.unwrap(), before, "the portal rebuilds when an embargo ends");
        assert!(s.release(round, "CN_DIBAO_RECIPIENTS", "2023", Some("tomorrow"), &lead).await.is_err());
        assert!(s.releases(round).await.unwrap().len() == 2);
    }
}

#[tokio::test]
async fn a_round_s_rule_releases_once_enough_tasks_are_approved() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let s = Store::connect(&url).await.unwrap();
        s.seed_reference().await.unwrap();
        let lead = Actor::new("admin", None);
        let round = s.create_round(&toml::from_str(SPEC).unwrap(), &lead).await.unwrap();
        s.open_round(round, &lead).await.unwrap();
        let tasks = s.tasks(round, None, None).await.unwrap();
        assert!(s.set_release_rule(round, Some(0.0), &lead).await.is_err());
        assert!(s.set_release_rule(round, Some(101.0), &lead).await.is_err());
        // Half the counties of Shijiazhuang: the rule holds after the last of them.
        let half = tasks.len().div_ceil(2);
        s.set_release_rule(round, Some(half as f64 * 100.0 / tasks.len() as f64), &lead).await.unwrap();
        for (i, t) in tasks.iter().take(half).enumerate() {
            let sub = s.submit(t.id, county(&t.area_code, 1.0), opts("c.csv", "reporter"), "", false).await.unwrap();
            assert!(sub.accepted, "{:?}", sub.validation);
            s.review(t.id, true, "", &Actor::new("reviewer", None)).await.unwrap();
            let expect = if i + 1 < half { None } else { Some(half as f64) };
            assert_eq!(public(&s, "1301").await, expect, "after {} approvals", i + 1);
        }
        let rel = s.releases(round).await.unwrap();
        assert_eq!(rel.len(), 1);
        assert!(rel[0].trigger.starts_with("rule"), "{rel:?}");
        // The rule may come with the round's definition.
        let with_rule = SPEC
            .replace("DIBAO-2023", "DIBAO-2023B")
            .replace("lead_department = \"MCA\"", "lead_department = \"MCA\"\nrelease_when_pct = 95");
        let r2 = s.create_round(&toml::from_str(&with_rule).unwrap(), &lead).await.unwrap();
        assert_eq!(s.release_rule(r2).await.unwrap(), Some(95.0));
        let bad = SPEC
            .replace("DIBAO-2023", "DIBAO-2023C")
            .replace("lead_department = \"MCA\"", "lead_department = \"MCA\"\nrelease_when_pct = 0");
        assert!(s.create_round(&toml::from_str(&bad).unwrap(), &lead).await.is_err());
    }
}

#[tokio::test]
async fn an_unreleased_revision_never_hides_the_released_figure() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let s = Store::connect(&url).await.unwrap();
        s.seed_reference().await.unwrap();
        s.load_demo().await.unwrap();
        let admin = Actor::new("admin", None);
        let file = "indicator,area,period,URBANISATION,value\nCN_DIBAO_RECIPIENTS,130102,2021,R,1.1\n";
        let r = s.import_observations(std::io::Cursor::new(file.as_bytes().to_vec()), opts("a.csv", "admin")).await.unwrap();
        s.publish_batch(r.batch_id.unwrap(), &admin).await.unwrap();
        let key = |s: &Store| {
            let s = s.clone();
            async move {
                seen(&s, Visibility::Published, "CN_DIBAO_RECIPIENTS", "130102", "2021", "|URBANISATION=R|").await.and_then(|o| o.value)
            }
        };
        assert_eq!(key(&s).await, Some(1.1));
        // A revision by a reporter, never published: the public still sees 1.1.
        let revision = file.replace("1.1", "1.2");
        let mut o = opts("b.csv", "reporter");
        o.reason = "recount".into();
        let r = s.import_observations(std::io::Cursor::new(revision.into_bytes()), o).await.unwrap();
        assert_eq!(r.revised, 1);
        assert_eq!(r.revised_released.len(), 1, "the report names the released figure it revises");
        assert_eq!((r.revised_released[0].old_value, r.revised_released[0].new_value), (Some(1.1), Some(1.2)));
        assert_eq!(key(&s).await, Some(1.1), "an unreleased revision withdrew a released figure");
        // The reporter sees its draft, marked as such.
        let own =
            seen(&s, Visibility::PublishedOrWithin(vec!["130102".into()]), "CN_DIBAO_RECIPIENTS", "130102", "2021", "|URBANISATION=R|")
                .await
                .unwrap();
        assert_eq!((own.value, own.published), (Some(1.2), false));
        // Elsewhere a signed-in user sees the public vintage.
        let other = seen(&s, Visibility::PublishedOrWithin(vec!["11".into()]), "CN_DIBAO_RECIPIENTS", "130102", "2021", "|URBANISATION=R|")
            .await
            .unwrap();
        assert_eq!((other.value, other.published), (Some(1.1), true));

        // The official national series: an unpublished revision of 2019 keeps 2019 public.
        let series = |s: &Store| {
            let s = s.clone();
            async move {
                let f = ObservationFilter {
                    indicators: vec!["CN_RURAL_POOR_POP".into()],
                    area: Some("CN".into()),
                    visibility: Visibility::Published,
                    ..Default::default()
                };
                s.observations(&f).await.unwrap().into_iter().filter(|o| o.cell_key.is_empty()).map(|o| o.period).collect::<Vec<_>>()
            }
        };
        let before = series(&s).await;
        assert!(before.contains(&"2019".to_string()));
        let no_reason = "indicator,area,period,value\nCN_RURAL_POOR_POP,CN,2019,552\n";
        let e = s.import_observations(std::io::Cursor::new(no_reason.as_bytes().to_vec()), opts("c.csv", "admin")).await.unwrap_err();
        assert!(e.to_string().contains("released figure") && e.to_string().contains("CN_RURAL_POOR_POP CN 2019"), "{e}");
        let mut o = opts("c.csv", "admin");
        o.reason = "methodological revision".into();
        s.import_observations(std::io::Cursor::new(no_reason.as_bytes().to_vec()), o).await.unwrap();
        assert_eq!(series(&s).await, before, "an unreleased revision removed a period from the public series");
        // The breakdown coverage of reports reads the released vintage too.
        assert!(s.breakdown_coverage(&["CN_RURAL_POOR_POP".into()]).await.unwrap().contains(&(
            "CN_RURAL_POOR_POP".into(),
            "2019".into(),
            String::new()
        )));
    }
}
