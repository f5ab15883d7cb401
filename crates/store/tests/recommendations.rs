//! Importing UPR recommendations, on SQLite and PostgreSQL.

use rightstat_core::recommendation::Response;
use rightstat_store::{Actor, Store, testing};

const UPR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/upr_china.csv");

#[tokio::test]
async fn upr_info_export_imports_once_and_merges_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let s = Store::connect(&url).await.unwrap();
        s.seed_reference().await.unwrap();
        let bytes = std::fs::read(UPR).unwrap();
        let r = s.import_upr_info(&bytes, "upr_china.csv", &Actor::system()).await.unwrap().unwrap();
        // 422 rows; two texts were made by two States each in session 4 (one of them differing
        // only by a final full stop: "…Paris Principles" / "…Paris Principles.").
        assert_eq!((r.rows, r.recommendations, r.new, r.merged), (422, 420, 420, 0));
        let again = s.import_upr_info(&bytes, "upr_china.csv", &Actor::system()).await.unwrap().unwrap();
        assert_eq!((again.new, again.merged), (0, 420), "re-import merges, adds nothing");
        let all = s.recommendations(None, None, None).await.unwrap();
        assert_eq!(all.len(), 420);
        assert_eq!(all.iter().filter(|r| r.session == "4").count() + all.iter().filter(|r| r.session == "17").count(), 420);
        let nhri = all.iter().find(|r| r.text.starts_with("Establish a national human rights institution, in accordance")).unwrap();
        assert_eq!(nhri.recommending_states, ["Australia", "New Zealand"]);
        let poverty = s.recommendations(Some("17"), Some(Response::Supported), Some("poverty")).await.unwrap();
        assert!(
            !poverty.is_empty()
                && poverty.iter().all(|r| r.text.to_lowercase().contains("poverty") && r.response.as_deref() == Some("supported"))
        );
        let iccpr = all.iter().find(|r| r.text == "Ratify the ICCPR").unwrap();
        assert_eq!((iccpr.cycle, iccpr.year, iccpr.action_category), (Some(1), Some(2009), Some(5)));
        assert!(iccpr.themes.contains(&"International instruments".to_string()));
    }
}

#[tokio::test]
async fn a_bad_file_imports_nothing_and_names_every_bad_row() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let s = Store::connect(&url).await.unwrap();
        let bad = "cycle,session,year,state_under_review,recommending_state,recommendation,response,action_category_1to5,issues\n\
                   1,4,2009,China,Austria,Ratify the ICCPR,Accepted,5,x\n\
                   1,four,2009,China,Chile,Do something,Accepted,3,x\n\
                   1,4,2009,China,Cuba,,Noted,9,x\n\
                   1,4,2009,China,Peru,Something else,Maybe,2,x\n";
        let errs = s.import_upr_info(bad.as_bytes(), "bad.csv", &Actor::system()).await.unwrap().unwrap_err();
        let got: Vec<(u64, &str)> = errs.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(got, [(3, "session"), (4, "recommendation"), (4, "action_category_1to5"), (5, "response")], "{errs:#?}");
        assert!(s.recommendations(None, None, None).await.unwrap().is_empty(), "nothing applied");
    }
}
