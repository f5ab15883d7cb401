//! The storage conformance suite: every test runs on SQLite and on PostgreSQL.

use rightstat_core::area::AreaLevel;
use rightstat_store::formats::{Format, write_observations};
use rightstat_store::{Actor, ImportOptions, ObservationFilter, Store, testing};
use std::io::Cursor;

async fn stores(dir: &tempfile::TempDir) -> Vec<Store> {
    let mut out = Vec::new();
    for url in testing::fresh_urls(dir.path()).await {
        let s = Store::connect(&url).await.unwrap();
        s.seed_reference().await.unwrap();
        out.push(s);
    }
    out
}

async fn import(s: &Store, name: &str, csv: &str) -> rightstat_store::ImportReport {
    s.import_observations(Cursor::new(csv.as_bytes().to_vec()), ImportOptions::new(name, Format::Csv)).await.unwrap()
}

fn filter(ind: &str, area: &str) -> ObservationFilter {
    ObservationFilter { indicators: vec![ind.into()], area: Some(area.into()), ..Default::default() }
}

#[tokio::test]
async fn seeds_reference_content_once() {
    let dir = tempfile::tempdir().unwrap();
    for s in stores(&dir).await {
        s.seed_reference().await.unwrap(); // idempotent
        let counts = s.area_counts().await.unwrap();
        assert_eq!(counts, [(AreaLevel::Country, 1), (AreaLevel::Province, 31), (AreaLevel::Prefecture, 342), (AreaLevel::County, 2978)]);
        let inds = s.indicators().await.unwrap();
        assert!(inds.len() >= 40);
        assert!(inds.iter().all(|i| i.version == 1));
        assert_eq!(s.icescr_articles().await.unwrap().len(), 15);
        assert_eq!(s.sdg_goals().await.unwrap().len(), 3);
        assert_eq!(s.codelists().await.unwrap().iter().find(|c| c.id == "ETHNICITY").unwrap().codes.len(), 56);
        let hebei = s.descendants("13", AreaLevel::County, None).await.unwrap();
        assert!(hebei.len() > 150 && hebei.iter().all(|a| a.code.starts_with("13")), "{}", hebei.len());
        assert_eq!(s.children("CN", None).await.unwrap().len(), 31);
    }
}

#[tokio::test]
async fn demo_series_loads_with_units_and_sources() {
    let dir = tempfile::tempdir().unwrap();
    for s in stores(&dir).await {
        let (series, annex) = s.load_demo().await.unwrap();
        assert_eq!((series.rows, series.inserted), (90, 90));
        assert!(annex.inserted > 40 && annex.inserted < 92, "annex fills gaps only: {}", annex.inserted);
        let (again, again_annex) = s.load_demo().await.unwrap();
        assert_eq!((again.inserted, again.unchanged), (0, 90), "a second demo load records nothing");
        assert_eq!(again_annex.inserted, 0);
        let rows = s.observations(&filter("CN_RURAL_POOR_POP", "CN")).await.unwrap();
        let y2012 = rows.iter().find(|r| r.period == "2012").unwrap();
        assert_eq!((y2012.value, y2012.unit.as_str(), y2012.unit_mult), (Some(9899.0), "PERSONS", 4));
        // The official release is cited; the reprint it was read from is internal provenance.
        assert!(y2012.source.starts_with("National Bureau of Statistics, release"), "{}", y2012.source);
        assert!(y2012.internal_note.contains("People's Daily"), "{}", y2012.internal_note);
        assert!(!y2012.source.contains("People's Daily") && !y2012.footnote.contains("quoted"), "{y2012:?}");
        assert!((2012..=2019).all(|y| rows.iter().any(|r| r.period == y.to_string())));
        let y2014 = rows.iter().find(|r| r.period == "2014").unwrap();
        assert_eq!(y2014.value, Some(7017.0));
        assert!(y2014.source.contains("E/C.12/CHN/3"), "{}", y2014.source);
        // Rural dibao standard published per year is stored per month, with the conversion noted.
        let mut f = filter("CN_DIBAO_STANDARD", "CN");
        f.cells = vec![("URBANISATION".into(), "R".into())];
        let std2015 = s.observations(&f).await.unwrap().into_iter().find(|r| r.period == "2015").unwrap();
        assert_eq!((std2015.value, std2015.unit.as_str()), (Some(264.8), "CNY_PP_MONTH"));
        assert!(std2015.footnote.contains("converted from 3177.6 CNY_PP_YEAR"));
        // Total cells are selectable with _T.
        let mut f = filter("CN_ENGEL_COEF", "CN");
        f.cells = vec![("URBANISATION".into(), "_T".into())];
        let national = s.observations(&f).await.unwrap();
        assert_eq!(national.len(), 7, "national Engel coefficients come from the series only");
        assert!(national.iter().all(|r| r.cell["URBANISATION"] == "_T"));
    }
}

const BAD: &str = "indicator,area,period,URBANISATION,value\n\
SI_POV_NAHC,CN,2012,R,10.2\n\
SI_POV_NAHC,CN,2013,X,8.5\n\
NO_SUCH,CN,2013,_T,1\n\
CN_RURAL_POOR_POP,99,2013,_T,8249\n\
CN_RURAL_POOR_POP,CN,2013,_T,lots\n\
SI_POV_NAHC,CN,2012,R,10.2\n";

#[tokio::test]
async fn malformed_import_changes_nothing_and_reports_every_bad_row() {
    let dir = tempfile::tempdir().unwrap();
    for s in stores(&dir).await {
        let before = s.observation_count(true).await.unwrap();
        let r = import(&s, "bad.csv", BAD).await;
        assert!(!r.is_ok());
        assert_eq!(r.batch_id, None);
        assert_eq!(s.observation_count(true).await.unwrap(), before, "nothing applied");
        let got: Vec<(u64, &str, &str)> = r.errors.iter().map(|e| (e.row, e.column.as_str(), e.value.as_str())).collect();
        assert_eq!(
            got,
            [(3, "URBANISATION", "X"), (4, "indicator", "NO_SUCH"), (5, "area", "99"), (6, "value", "lots"), (7, "-", "")],
            "{:#?}",
            r.errors
        );
        assert!(r.errors.iter().all(|e| e.file == "bad.csv"));
        assert!(r.errors[4].expected.contains("same as row 2"));
        assert!(r.errors[0].expected.contains("U, R"));
        // A header problem is reported as row 1.
        let r = import(&s, "h.csv", "indicator,area,year,value\n").await;
        assert_eq!((r.errors[0].row, r.errors[0].column.as_str()), (1, "year"));
        assert!(r.errors.iter().any(|e| e.column == "period"));
    }
}

#[tokio::test]
async fn revisions_keep_earlier_vintages() {
    let dir = tempfile::tempdir().unwrap();
    for s in stores(&dir).await {
        let r1 = import(&s, "v1.csv", "indicator,area,period,value,status\nCN_RURAL_POOR_POP,13,2018,120,P\n").await;
        assert!(r1.is_ok(), "{:?}", r1.errors);
        let between = s.observations(&filter("CN_RURAL_POOR_POP", "13")).await.unwrap()[0].recorded_at.clone();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let r2 = import(&s, "v2.csv", "indicator,area,period,value,status,footnote\nCN_RURAL_POOR_POP,13,2018,118.5,A,final\n").await;
        assert_eq!((r2.inserted, r2.revised), (1, 1));
        let current = s.observations(&filter("CN_RURAL_POOR_POP", "13")).await.unwrap();
        assert_eq!(current.len(), 1);
        assert_eq!((current[0].value, current[0].status.as_str()), (Some(118.5), "A"));
        let mut hist = filter("CN_RURAL_POOR_POP", "13");
        hist.all_vintages = true;
        let all = s.observations(&hist).await.unwrap();
        assert_eq!(all.iter().map(|r| r.value).collect::<Vec<_>>(), [Some(120.0), Some(118.5)]);
        assert!(all[0].superseded_at.is_some() && all[1].superseded_at.is_none());
        let mut asof = filter("CN_RURAL_POOR_POP", "13");
        asof.as_of = Some(between);
        assert_eq!(s.observations(&asof).await.unwrap()[0].value, Some(120.0));
    }
}

#[tokio::test]
async fn dry_run_checks_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    for s in stores(&dir).await {
        let mut o = ImportOptions::new("d.csv", Format::Csv);
        o.dry_run = true;
        let r =
            s.import_observations(Cursor::new(b"indicator,area,period,value\nCN_RURAL_POOR_POP,CN,2012,9899\n".to_vec()), o).await.unwrap();
        assert!(r.is_ok() && r.dry_run);
        // What the real run would record, and nothing written.
        assert_eq!((r.rows, r.inserted, r.batch_id), (1, 1, None));
        assert_eq!(s.observation_count(true).await.unwrap(), 0);
    }
}

#[tokio::test]
async fn sdmx_csv_export_imports_back_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    for s in stores(&dir).await {
        s.load_demo().await.unwrap();
        let rows = s.observations(&ObservationFilter::default()).await.unwrap();
        let dims = vec!["URBANISATION".to_string()];
        for format in [Format::SdmxCsv, Format::Csv] {
            let mut buf = Vec::new();
            write_observations(&mut buf, format, &rows, &dims).unwrap();
            let text = String::from_utf8(buf.clone()).unwrap();
            if format == Format::SdmxCsv {
                assert!(text.starts_with("STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,REF_AREA,URBANISATION,TIME_PERIOD,OBS_VALUE"));
            }
            let r = s.import_observations(Cursor::new(buf), ImportOptions::new("export", format)).await.unwrap();
            assert!(r.is_ok(), "{:?}", r.errors);
            assert_eq!((r.inserted, r.unchanged), (0, rows.len() as u64), "{format:?}: re-import is a no-op");
        }
    }
}

#[tokio::test]
async fn areas_change_over_time_and_townships_load_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for s in stores(&dir).await {
        // Two counties merged on 2021-01-01 into a new one.
        let file = "code,name,parent,valid_from,valid_to\n130198,旧县甲,1301,,2020-12-31\n130199,旧县乙,1301,,2020-12-31\n";
        assert_eq!(s.import_areas(file.as_bytes(), AreaLevel::County, "merge.csv", &Actor::system()).await.unwrap().unwrap(), 2);
        s.add_successor("130198", "130102", "2021-01-01", &Actor::system()).await.unwrap();
        let y2018 = s.descendants("1301", AreaLevel::County, Some(("2018-01-01", "2018-12-31"))).await.unwrap();
        let y2022 = s.descendants("1301", AreaLevel::County, Some(("2022-01-01", "2022-12-31"))).await.unwrap();
        assert!(y2018.iter().any(|a| a.code == "130198"));
        assert!(!y2022.iter().any(|a| a.code == "130198"));
        assert_eq!(s.area("130198").await.unwrap().unwrap().successors, ["130102"]);
        // Observations for an area must fall in its validity.
        let r =
            import(&s, "x.csv", "indicator,area,period,value\nCN_RURAL_POOR_POP,130198,2018,1\nCN_RURAL_POOR_POP,130198,2022,1\n").await;
        assert_eq!(r.errors.iter().map(|e| e.row).collect::<Vec<_>>(), [3]);

        let towns = "code,name,areaCode,provinceCode,cityCode\n110101001,东华门街道,110101,11,1101\n110101002,景山街道,110101,11,1101\n";
        let bad = format!("{towns}110101999,,999999,11,1101\n12345,x,110101,11,1101\n");
        let errs = s.import_areas(bad.as_bytes(), AreaLevel::Township, "bad.csv", &Actor::system()).await.unwrap().unwrap_err();
        assert_eq!(errs.iter().map(|e| (e.row, e.column.as_str())).collect::<Vec<_>>(), [(4, "name"), (4, "areaCode"), (5, "code")]);
        assert!(s.area("110101001").await.unwrap().is_none(), "nothing applied");
        assert_eq!(s.import_areas(towns.as_bytes(), AreaLevel::Township, "towns.csv", &Actor::system()).await.unwrap().unwrap(), 2);
        assert_eq!(s.children("110101", None).await.unwrap().len(), 2);
    }
}

#[tokio::test]
async fn a_changed_definition_is_a_new_version_and_history_keeps_its_own() {
    let dir = tempfile::tempdir().unwrap();
    for s in stores(&dir).await {
        import(&s, "a.csv", "indicator,area,period,value\nCN_RURAL_POOR_POP,CN,2012,9899\n").await;
        let mut def = s.indicator("CN_RURAL_POOR_POP", None).await.unwrap().unwrap().indicator;
        assert_eq!(s.put_indicator(&def, "no change", &Actor::system()).await.unwrap(), 1);
        def.unit_mult = 0;
        def.definition_en.push_str(" Counted in persons from 2024.");
        assert_eq!(s.put_indicator(&def, "report persons, not 10,000 persons", &Actor::system()).await.unwrap(), 2);
        let r = import(&s, "b.csv", "indicator,area,period,value\nCN_RURAL_POOR_POP,CN,2013,82490000\n").await;
        assert!(r.is_ok());
        let rows = s.observations(&filter("CN_RURAL_POOR_POP", "CN")).await.unwrap();
        assert_eq!(
            rows.iter().map(|r| (r.period.as_str(), r.unit_mult, r.indicator_version)).collect::<Vec<_>>(),
            [("2012", 4, 1), ("2013", 0, 2)]
        );
        assert_eq!(s.indicator_versions("CN_RURAL_POOR_POP").await.unwrap().len(), 2);
        // A definition that breaks the catalogue rules is refused.
        let mut pct = s.indicator("SI_POV_NAHC", None).await.unwrap().unwrap().indicator;
        pct.aggregation = rightstat_core::Aggregation::Sum;
        assert!(s.put_indicator(&pct, "sum percentages", &Actor::system()).await.is_err());
    }
}

/// Files of one chunk and of several take different paths on PostgreSQL (one INSERT; one COPY
/// stream): both load everything, and an error in the last chunk leaves nothing behind.
#[tokio::test]
async fn small_and_large_files_load_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    for s in stores(&dir).await {
        let counties: Vec<String> = s.descendants("CN", AreaLevel::County, None).await.unwrap().into_iter().map(|a| a.code).collect();
        let file = |n: usize, bad_last: bool| {
            let mut csv = String::from("indicator,area,period,value\n");
            for (i, c) in counties.iter().take(n).enumerate() {
                let v = if bad_last && i + 1 == n { "many".to_string() } else { (i % 97).to_string() };
                csv.push_str(&format!("CN_RURAL_POOR_POP,{c},2019,{v}\n"));
            }
            csv
        };
        let count = |s: &Store| {
            let f =
                ObservationFilter { indicators: vec!["CN_RURAL_POOR_POP".into()], level: Some(AreaLevel::County), ..Default::default() };
            let s = s.clone();
            async move { s.observations(&f).await.unwrap().into_iter().filter(|o| o.period == "2019").count() }
        };
        let bad = import(&s, "big-bad.csv", &file(2500, true)).await;
        assert_eq!((bad.error_count, bad.errors[0].row, bad.errors[0].column.as_str()), (1, 2501, "value"));
        assert_eq!(count(&s).await, 0, "nothing of the first two chunks was kept");
        let small = import(&s, "small.csv", &file(3, false)).await;
        assert_eq!((small.error_count, small.inserted), (0, 3));
        let big = import(&s, "big.csv", &file(2500, false)).await;
        assert_eq!((big.error_count, big.inserted, big.unchanged), (0, 2497, 3));
        assert_eq!(count(&s).await, 2500);
    }
}

#[tokio::test]
async fn the_glossary_is_seeded_and_edited_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for s in stores(&dir).await {
        let terms = s.glossary().await.unwrap();
        assert!(terms.len() >= 40, "{}", terms.len());
        let admin = Actor::new("admin", None);
        let mut dibao = terms.iter().find(|t| t.zh == "低保").unwrap().clone();
        dibao.preferred_en = "minimum income guarantee".into();
        let mut new = dibao.clone();
        new.zh = "兜底保障".into();
        new.literal_en = "bottom-line guarantee".into();
        let mut bad = dibao.clone();
        bad.zh = "空".into();
        bad.explanation_en = " ".into();
        // One bad entry refuses the whole update.
        assert!(s.put_glossary(&[dibao.clone(), bad], &admin).await.is_err());
        assert_eq!(s.glossary().await.unwrap(), terms, "nothing half-applied");
        let u = s.put_glossary(&[dibao.clone(), new.clone(), terms[0].clone()], &admin).await.unwrap();
        assert_eq!((u.added, u.changed, u.unchanged), (1, 1, 1));
        let after = s.glossary().await.unwrap();
        assert_eq!(after.len(), terms.len() + 1);
        assert_eq!(after.iter().find(|t| t.zh == "低保").unwrap().preferred_en, "minimum income guarantee");
        s.seed_reference().await.unwrap();
        assert_eq!(
            s.glossary().await.unwrap().iter().find(|t| t.zh == "低保").unwrap().preferred_en,
            "minimum income guarantee",
            "seeding never overwrites an edit"
        );
        assert!(s.verify_audit().await.unwrap().broken.is_none());
    }
}

/// Spreadsheets save blank rows as ",,,": they hold nothing and are skipped, and the rows after
/// them keep the numbers the user sees.
#[tokio::test]
async fn blank_rows_are_skipped_and_later_rows_keep_their_numbers() {
    let dir = tempfile::tempdir().unwrap();
    for s in stores(&dir).await {
        let bad = import(
            &s,
            "excel.csv",
            "indicator,area,period,value\nCN_RURAL_POOR_POP,CN,2012,9899\n,,,\n , ,,\nCN_RURAL_POOR_POP,CN,2013,abc\n",
        )
        .await;
        assert_eq!(bad.errors.iter().map(|e| (e.row, e.column.as_str())).collect::<Vec<_>>(), [(5, "value")]);
        let ok =
            import(&s, "excel.csv", "indicator,area,period,value\nCN_RURAL_POOR_POP,CN,2012,9899\n,,,\nCN_RURAL_POOR_POP,CN,2013,8249\n")
                .await;
        assert_eq!((ok.rows, ok.inserted), (2, 2), "{:?}", ok.errors);
    }
}
