//! Every reader refuses what it cannot read exactly, with the place named and nothing stored,
//! and a dry run tells exactly what the real run will do: on SQLite and PostgreSQL.

use rightstat_store::formats::Format;
use rightstat_store::{Actor, ImportOptions, ImportReport, Store, testing};

fn opts(name: &str, format: Format) -> ImportOptions {
    let mut o = ImportOptions::new(name, format);
    o.actor = Actor::new("admin", None);
    o.reason = "test".into();
    o
}

async fn import(s: &Store, text: &str, format: Format, dry_run: bool) -> ImportReport {
    let mut o = opts("file.csv", format);
    o.dry_run = dry_run;
    s.import_observations(std::io::Cursor::new(text.as_bytes().to_vec()), o).await.unwrap()
}

async fn store(url: &str) -> Store {
    let s = Store::connect(url).await.unwrap();
    s.seed_reference().await.unwrap();
    s
}

/// The first error's (row, column, value, expected), with nothing stored.
async fn refused(s: &Store, text: &str, format: Format) -> (u64, String, String, String) {
    let before = s.observation_count(true).await.unwrap();
    let r = import(s, text, format, false).await;
    assert!(!r.is_ok(), "accepted: {text:?}");
    assert_eq!(r.batch_id, None);
    assert_eq!(s.observation_count(true).await.unwrap(), before, "something was stored");
    let e = &r.errors[0];
    (e.row, e.column.clone(), e.value.clone(), e.expected.clone())
}

#[tokio::test]
async fn csv_and_sdmx_csv_refuse_what_they_cannot_read_exactly() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let s = store(&url).await;
        let head = "indicator,area,period,value,footnote\n";
        let ok = "CN_RURAL_POOR_POP,CN,2012,9899,\n";
        // A quote left open swallows the rows after it: refused, at the row where it opened.
        let open = format!(
            "{head}{ok}CN_RURAL_POOR_POP,CN,2013,8249,\"from the survey\nCN_RURAL_POOR_POP,CN,2014,7017,\nCN_RURAL_POOR_POP,CN,2015,5575,\n"
        );
        let (row, _, _, expected) = refused(&s, &open, Format::Csv).await;
        assert_eq!(row, 3);
        assert!(expected.contains("closing quote"), "{expected}");
        // Huge values, before or after rescaling, and a decimal comma.
        for (value, mult) in [("1e308", ""), ("1e300", "12"), ("\"1,5\"", ""), ("NaN", ""), ("inf", "")] {
            let text = format!(
                "indicator,area,period,value,unit_mult\nCN_RURAL_POOR_POP,CN,2012,9899,\nCN_RURAL_POOR_POP,CN,2013,{value},{mult}\n"
            );
            let (row, column, found, _) = refused(&s, &text, Format::Csv).await;
            assert_eq!((row, column.as_str(), found.as_str()), (3, "value", value.trim_matches('"')), "{value} × 10^{mult}");
        }
        // Windows line ends: row numbers are the editor's.
        let crlf = "indicator,area,period,value\r\nCN_RURAL_POOR_POP,CN,2012,9899\r\nCN_RURAL_POOR_POP,CN,2013,8249\r\nCN_RURAL_POOR_POP,CN,2014,lots\r\n";
        assert_eq!(refused(&s, crlf, Format::Csv).await.0, 4, "the bad value is on line 4");
        // Control characters in source or footnote.
        let ctl = format!("{head}CN_RURAL_POOR_POP,CN,2012,9899,ok\nCN_RURAL_POOR_POP,CN,2013,8249,bad\u{1}note\n");
        let (row, column, _, expected) = refused(&s, &ctl, Format::Csv).await;
        assert_eq!((row, column.as_str()), (3, "footnote"));
        assert!(expected.contains("U+0001"), "{expected}");
        // SDMX-CSV goes through the same reader.
        let sdmx = "STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,REF_AREA,TIME_PERIOD,OBS_VALUE\r\n\
                    dataflow,RIGHTSTAT:DF_RIGHTSTAT(1.0),I,CN_RURAL_POOR_POP,CN,2012,9899\r\n\
                    dataflow,RIGHTSTAT:DF_RIGHTSTAT(1.0),I,CN_RURAL_POOR_POP,CN,2013,1e308\r\n";
        let (row, column, _, _) = refused(&s, sdmx, Format::SdmxCsv).await;
        assert_eq!((row, column.as_str()), (3, "OBS_VALUE"));
        let sdmx_open = "STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,REF_AREA,TIME_PERIOD,OBS_VALUE\n\
                         dataflow,\"RIGHTSTAT:DF_RIGHTSTAT(1.0),I,CN_RURAL_POOR_POP,CN,2012,9899\n\
                         dataflow,RIGHTSTAT:DF_RIGHTSTAT(1.0),I,CN_RURAL_POOR_POP,CN,2013,8249\n";
        let r = import(&s, sdmx_open, Format::SdmxCsv, false).await;
        assert!(r.errors.iter().any(|e| e.row == 2 && e.expected.contains("closing quote")), "{:?}", r.errors);
        // Nothing of all that was stored; a clean file still imports.
        assert!(import(&s, &format!("{head}{ok}"), Format::Csv, false).await.is_ok());
    }
}

#[tokio::test]
async fn an_xlsx_reader_refuses_the_same_values() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let s = store(&url).await;
        for (bad, expect_row) in [("1e308", 3), ("1,5", 3)] {
            let mut wb = rust_xlsxwriter::Workbook::new();
            let ws = wb.add_worksheet();
            ws.set_name("data").unwrap();
            for (c, h) in ["indicator", "area", "period", "value"].iter().enumerate() {
                ws.write_string(0, c as u16, *h).unwrap();
            }
            for (r, (p, v)) in [("2012", "9899"), ("2013", bad)].iter().enumerate() {
                let r = r as u32 + 1;
                ws.write_string(r, 0, "CN_RURAL_POOR_POP").unwrap();
                ws.write_string(r, 1, "CN").unwrap();
                ws.write_string(r, 2, *p).unwrap();
                ws.write_string(r, 3, *v).unwrap();
            }
            let bytes = wb.save_to_buffer().unwrap();
            let csv = rightstat_store::spreadsheet::as_csv(bytes, "task.xlsx").unwrap();
            let text = String::from_utf8(csv).unwrap();
            let (row, column, value, _) = refused(&s, &text, Format::Csv).await;
            assert_eq!((row, column.as_str(), value.as_str()), (expect_row, "value", bad));
        }
    }
}

/// A small deterministic generator (SplitMix64).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// On random mixes of new values, identical values, revisions and bad rows, the dry run's
/// counts and findings are the real run's.
#[tokio::test]
async fn a_dry_run_reports_exactly_what_the_real_run_does() {
    let dir = tempfile::tempdir().unwrap();
    let counties: Vec<String> = (1..=30).map(|i| format!("1301{:02}", i)).collect();
    for url in testing::fresh_urls(dir.path()).await {
        let s = store(&url).await;
        let areas: Vec<String> =
            s.descendants("13", rightstat_core::area::AreaLevel::County, None).await.unwrap().into_iter().map(|a| a.code).collect();
        let areas: Vec<&String> = areas.iter().filter(|a| counties.contains(a) || a.starts_with("1302")).take(40).collect();
        let mut rng = Rng(0x5EED);
        let mut current: std::collections::HashMap<(usize, u64), String> = Default::default();
        for round in 0..12 {
            let mut text = String::from("indicator,area,period,URBANISATION,value\n");
            let mut used = std::collections::HashSet::new();
            for _ in 0..(5 + rng.below(40)) {
                let key = (rng.below(areas.len() as u64) as usize, 2015 + rng.below(6));
                if !used.insert(key) {
                    continue;
                }
                let value = match (current.get(&key), rng.below(3)) {
                    (Some(v), 0) => v.clone(),                           // identical
                    _ => format!("{}.{}", rng.below(50), rng.below(10)), // new or a revision
                };
                let value = if round % 4 == 3 && rng.below(10) == 0 { "x".to_string() } else { value };
                text.push_str(&format!("CN_DIBAO_RECIPIENTS,{},{},_T,{value}\n", areas[key.0], key.1));
            }
            let dry = import(&s, &text, Format::Csv, true).await;
            let count = s.observation_count(true).await.unwrap();
            let real = import(&s, &text, Format::Csv, false).await;
            let summary = |r: &ImportReport| (r.rows, r.inserted, r.revised, r.unchanged, r.error_count, r.errors.clone());
            assert_eq!(summary(&dry), summary(&real), "round {round} on {url}:\n{text}");
            if real.is_ok() {
                assert_eq!(s.observation_count(true).await.unwrap(), count + real.inserted as i64);
                for line in text.lines().skip(1) {
                    let f: Vec<&str> = line.split(',').collect();
                    let a = areas.iter().position(|x| *x == f[1]).unwrap();
                    current.insert((a, f[2].parse().unwrap()), f[4].to_string());
                }
            } else {
                assert_eq!(s.observation_count(true).await.unwrap(), count, "a refused file stored something");
            }
        }
    }
}
