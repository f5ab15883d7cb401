//! Hebei at the bottom of the hierarchy, on SQLite and PostgreSQL: its 54,145 villages (NBS
//! division codes, 2023) load under their townships all or nothing, a round over the villages of
//! one county makes a task per village, and a village's approved return is rolled up through its
//! township, county, prefecture and province to the nation.

use rightstat_core::area::AreaLevel;
use rightstat_core::round::{RoundSpec, TaskStatus};
use rightstat_store::{Actor, ImportOptions, ObservationFilter, Store, Visibility, testing};

const TOWNSHIPS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/admin-divisions-cn-2023/streets.csv");
const VILLAGES_HEBEI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/admin-divisions-cn-2023/villages-13.csv");

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

#[tokio::test]
async fn the_villages_of_hebei_and_a_round_over_a_county_s_villages() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let s = Store::connect(&url).await.unwrap();
        s.seed_reference().await.unwrap();
        let admin = Actor::new("admin", None);
        let townships = s.import_areas(std::fs::File::open(TOWNSHIPS).unwrap(), AreaLevel::Township, "streets.csv", &admin).await.unwrap();
        assert_eq!(townships.unwrap(), 41_352);
        // A file naming a township that does not exist is refused whole: nothing loaded.
        let bad = "code,name,streetCode\n130104001001,\"支农路社区居委会\",130104001\n130104999001,\"无此乡镇\",130104999\n";
        let refused = s.import_areas(bad.as_bytes(), AreaLevel::Village, "bad.csv", &admin).await.unwrap();
        assert!(refused.is_err(), "{refused:?}");
        assert!(s.area("130104001001").await.unwrap().is_none(), "all or nothing");
        let villages =
            s.import_areas(std::fs::File::open(VILLAGES_HEBEI).unwrap(), AreaLevel::Village, "villages-13.csv", &admin).await.unwrap();
        assert_eq!(villages.unwrap(), 54_145, "{url}");
        let v = s.area("130104001001").await.unwrap().expect("a village");
        assert_eq!((v.level, v.parent.as_deref()), (AreaLevel::Village, Some("130104001")));
        assert_eq!(s.area_chain("130104001001").await.unwrap(), ["130104001001", "130104001", "130104", "1301", "13", "CN"]);
        assert_eq!(s.descendants("13", AreaLevel::Village, None).await.unwrap().len(), 54_145);

        // A round over the villages of one county: a task per village.
        let spec: RoundSpec = toml::from_str(SPEC).unwrap();
        let round = s.create_round(&spec, &admin).await.unwrap();
        let tasks = s.tasks(round, None, None).await.unwrap();
        let in_county = s.descendants("130104", AreaLevel::Village, None).await.unwrap().len();
        assert_eq!(tasks.len(), in_county, "one task per village of Qiaoxi");
        s.open_round(round, &admin).await.unwrap();
        // One village reports 12 recipients (stored in 10,000 persons), reviewed above it.
        let task = tasks.iter().find(|t| t.area_code == "130104001001").unwrap().id;
        let file = "indicator,area,period,URBANISATION,value\n\
                    CN_DIBAO_RECIPIENTS,130104001001,2023,_T,0.0012\nCN_DIBAO_RECIPIENTS,130104001001,2023,U,0.0012\n\
                    CN_DIBAO_RECIPIENTS,130104001001,2023,R,0\n";
        let mut o = ImportOptions::new("village.csv", rightstat_store::formats::Format::Csv);
        o.actor = Actor::new("village-reporter", None);
        let sub = s.submit(task, file.as_bytes().to_vec(), o, "", false).await.unwrap();
        assert_eq!(sub.status, "submitted", "{:#?}", sub.validation);
        let (status, rolled) = s.review(task, true, "", &Actor::new("township-reviewer", None)).await.unwrap();
        assert_eq!(status, TaskStatus::Approved);
        assert_eq!(rolled.unwrap().areas, 5, "township, county, prefecture, province, nation");
        for area in ["130104001", "130104", "1301", "13", "CN"] {
            let f = ObservationFilter {
                indicators: vec!["CN_DIBAO_RECIPIENTS".into()],
                area: Some(area.into()),
                visibility: Visibility::All,
                ..Default::default()
            };
            let total =
                s.observations(&f).await.unwrap().into_iter().find(|o| o.area == area && o.period == "2023" && o.cell_key.is_empty());
            assert_eq!(total.and_then(|o| o.value), Some(0.0012), "{area} on {url}");
        }

        // A form is checked against the stored figures of its siblings for the indicators whose
        // rules compare areas (recipients: sibling outliers): six more villages of the township
        // report 10 to 15 recipients, and a village reporting 900 is warned of, with its siblings'
        // median; its own earlier figures and other indicators are read as before.
        let form = |area: &str, v: f64| {
            format!(
                "indicator,area,period,URBANISATION,value\nCN_DIBAO_RECIPIENTS,{area},2023,_T,{v}\nCN_DIBAO_RECIPIENTS,{area},2023,U,{v}\nCN_DIBAO_RECIPIENTS,{area},2023,R,0\n"
            )
        };
        let mut siblings = tasks.iter().filter(|t| t.area_code.starts_with("130104001") && t.area_code != "130104001001");
        for (k, t) in siblings.by_ref().take(6).enumerate() {
            let mut o = ImportOptions::new("village.csv", rightstat_store::formats::Format::Csv);
            o.actor = Actor::new("village-reporter", None);
            let sub = s.submit(t.id, form(&t.area_code, 0.0010 + k as f64 * 0.0001).into_bytes(), o, "", false).await.unwrap();
            assert_eq!(sub.status, "submitted", "{:#?}", sub.validation);
        }
        let odd = siblings.next().expect("an eighth village in the township");
        let mut o = ImportOptions::new("village.csv", rightstat_store::formats::Format::Csv);
        o.actor = Actor::new("village-reporter", None);
        let dry = s.submit(odd.id, form(&odd.area_code, 0.09).into_bytes(), o, "", true).await.unwrap();
        let outlier = dry.validation.findings.iter().find(|f| f.rule == "dibao-recipients-sibling-outlier");
        let outlier = outlier.unwrap_or_else(|| panic!("the outlier among its siblings is found on {url}: {:#?}", dry.validation));
        assert_eq!((outlier.area.as_str(), outlier.row), (odd.area_code.as_str(), Some(2)), "{outlier:?}");
        assert!(outlier.expected.contains("8 sibling areas"), "{}", outlier.expected);
    }
}
