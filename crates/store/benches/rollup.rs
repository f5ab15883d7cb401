//! The roll-up of a national data set, against PostgreSQL `GROUP BY ROLLUP … CUBE` and DuckDB,
//! in one run; then the time from approving one county's submission to updated national totals.
//!
//! Data: the real 2,978 counties × 30 additive indicators × 10 years × sex (F, M) × urban/rural
//! (U, R) leaf cells = 3,573,600 values. Every engine computes the same groups: each indicator
//! and year, for every prefecture, province and the nation, in every margin of the cell
//! (sex × area, sex total, area total, both totals). Times are the best of three; loading the
//! rows is not timed for anyone.
//!
//!     cargo bench -p rightstat-store --bench rollup
//!
//! PostgreSQL from RIGHTSTAT_TEST_PG (default postgres://postgres@127.0.0.1:5432/test), work_mem
//! raised to 2 GB so that it aggregates in memory; DuckDB through `python3
//! benches/rollup/duckdb_peer.py` (pip install duckdb). RIGHTSTAT_SKIP_PG=1 skips PostgreSQL.

use rightstat_core::area::AreaLevel;
use rightstat_core::rollup::{CellSpace, Hierarchy, Leaf, rollup};
use rightstat_core::round::RoundSpec;
use rightstat_store::{Actor, ImportOptions, Store, testing};
use sqlx::Connection;
use std::collections::HashMap;
use std::io::Write;
use std::time::Instant;

const INDICATORS: usize = 30;
const YEARS: std::ops::Range<u32> = 2013..2023;

struct Areas {
    codes: Vec<String>,
    parent: Vec<Option<u32>>,
    counties: Vec<u32>,
}

fn areas() -> Areas {
    let all = rightstat_core::reference::areas();
    let index: HashMap<String, u32> = all.iter().enumerate().map(|(i, a)| (a.code.to_string(), i as u32)).collect();
    let parent = all.iter().map(|a| a.parent.as_ref().and_then(|p| index.get(p.as_str()).copied())).collect();
    let counties = all.iter().enumerate().filter(|(_, a)| a.level == AreaLevel::County).map(|(i, _)| i as u32).collect();
    Areas { codes: all.iter().map(|a| a.code.to_string()).collect(), parent, counties }
}

fn leaves(a: &Areas, space: &CellSpace) -> Vec<Leaf> {
    let mut out = Vec::with_capacity(a.counties.len() * INDICATORS * YEARS.len() * 4);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for &c in &a.counties {
        for ind in 0..INDICATORS {
            for (y, _) in YEARS.enumerate() {
                for sex in 0..2 {
                    for urb in 0..2 {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        out.push(Leaf {
                            area: c,
                            series: (ind * YEARS.len() + y) as u32,
                            cell: space.index(&[sex, urb]),
                            value: (x % 100_000) as f64 / 100.0,
                        });
                    }
                }
            }
        }
    }
    out
}

fn best_of<T>(n: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..n {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(r);
    }
    (best, last.expect("n > 0"))
}

#[tokio::main]
async fn main() {
    // BENCH_PART=latency runs only the approval benchmark; BENCH_PART=villages the national
    // roll-up of village data (VILLAGES: NBS's villages.csv).
    match std::env::var("BENCH_PART").as_deref() {
        Ok("latency") => return approval_latency().await,
        Ok("villages") => return villages(),
        _ => {}
    }
    let a = areas();
    let space = CellSpace::new(vec![2, 2]);
    let data = leaves(&a, &space);
    println!("leaf values: {} ({} counties × {INDICATORS} indicators × {} years × 4 cells)", data.len(), a.counties.len(), YEARS.len());
    let h = Hierarchy::new(a.parent.clone());
    let series = INDICATORS * YEARS.len();
    let (ours, result) = best_of(3, || rollup(&h, series, &space, &data));
    let groups = result.counts.iter().filter(|c| **c > 0).count();
    println!("{:<28} {:>9.3} s  {:>9} groups", "RightStat (in memory)", ours, groups);
    let slots = h.slot_areas();
    let national_slot = slots.iter().position(|s| a.codes[*s as usize] == "CN").unwrap() as u32;
    let national_total = result.get(national_slot, 0, space.index(&[2, 2])).unwrap();

    // The same rows for the peers.
    let dir = std::env::var("BENCH_DIR").unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench-data").into());
    std::fs::create_dir_all(&dir).unwrap();
    let csv_path = format!("{dir}/rollup_leaves.csv");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&csv_path).unwrap());
        writeln!(f, "indicator,year,province,prefecture,county,sex,urb,value").unwrap();
        for l in &data {
            let county = l.area as usize;
            let pref = a.parent[county].unwrap() as usize;
            let prov = a.parent[pref].unwrap() as usize;
            let (ind, y) = (l.series as usize / YEARS.len(), l.series as usize % YEARS.len());
            let (sex, urb) = (["F", "M"][(l.cell / 3) as usize], ["U", "R"][(l.cell % 3) as usize]);
            writeln!(f, "{ind},{},{},{},{},{sex},{urb},{}", 2013 + y, a.codes[prov], a.codes[pref], a.codes[county], l.value).unwrap();
        }
    }
    let query = "SELECT indicator, year, province, prefecture, sex, urb, sum(value) AS value, count(*) AS n \
                 FROM leaf GROUP BY indicator, year, ROLLUP(province, prefecture), CUBE(sex, urb)";

    if !testing::skip_pg() {
        let url = std::env::var("RIGHTSTAT_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let mut pg = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query("DROP TABLE IF EXISTS leaf").execute(&mut pg).await.unwrap();
        sqlx::query("CREATE UNLOGGED TABLE leaf (indicator int, year int, province text, prefecture text, county text, sex text, urb text, value float8)")
            .execute(&mut pg)
            .await
            .unwrap();
        let mut copy = pg.copy_in_raw("COPY leaf FROM STDIN WITH (FORMAT csv, HEADER true)").await.unwrap();
        copy.send(std::fs::read(&csv_path).unwrap()).await.unwrap();
        copy.finish().await.unwrap();
        sqlx::query("ANALYZE leaf").execute(&mut pg).await.unwrap();
        sqlx::query("SET work_mem = '2GB'").execute(&mut pg).await.unwrap();
        sqlx::query("SET max_parallel_workers_per_gather = 2").execute(&mut pg).await.unwrap();
        let mut best = f64::INFINITY;
        let mut pg_groups = 0i64;
        for _ in 0..3 {
            sqlx::query("DROP TABLE IF EXISTS rollup_out").execute(&mut pg).await.unwrap();
            let t = Instant::now();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE UNLOGGED TABLE rollup_out AS {query}"))).execute(&mut pg).await.unwrap();
            best = best.min(t.elapsed().as_secs_f64());
            pg_groups = sqlx::query_scalar("SELECT count(*) FROM rollup_out").fetch_one(&mut pg).await.unwrap();
        }
        let pg_total: f64 = sqlx::query_scalar(
            "SELECT value FROM rollup_out WHERE indicator = 0 AND year = 2013 AND province IS NULL AND sex IS NULL AND urb IS NULL",
        )
        .fetch_one(&mut pg)
        .await
        .unwrap();
        assert!((pg_total - national_total).abs() < 1e-6 * national_total, "same national total: {pg_total} vs {national_total}");
        println!("{:<28} {:>9.3} s  {:>9} groups   ratio {:.1}×", "PostgreSQL GROUP BY ROLLUP", best, pg_groups, best / ours);
        sqlx::query("DROP TABLE IF EXISTS rollup_out").execute(&mut pg).await.unwrap();
        sqlx::query("DROP TABLE IF EXISTS leaf").execute(&mut pg).await.unwrap();
    }

    match std::process::Command::new("python3")
        .args(["benches/rollup/duckdb_peer.py", &csv_path])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
    {
        Ok(o) if o.status.success() => {
            let s = String::from_utf8_lossy(&o.stdout);
            let mut it = s.split_whitespace();
            let (t, g): (f64, &str) = (it.next().unwrap().parse().unwrap(), it.next().unwrap_or("?"));
            println!("{:<28} {:>9.3} s  {:>9} groups   ratio {:.1}×", "DuckDB (in memory)", t, g, t / ours);
        }
        Ok(o) => println!("DuckDB: skipped ({})", String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or("")),
        Err(e) => println!("DuckDB: skipped ({e})"),
    }

    approval_latency().await;
}

/// The time from approving one county's submission to updated national totals, with every other
/// county's figures for the round's indicators already in the database and rolled up.
async fn approval_latency() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let s = Store::connect(&url).await.unwrap();
        s.seed_reference().await.unwrap();
        let counties: Vec<String> =
            rightstat_core::reference::areas().into_iter().filter(|a| a.level == AreaLevel::County).map(|a| a.code.to_string()).collect();
        let mut csv = String::from("indicator,area,period,SEX,URBANISATION,value\n");
        for (i, c) in counties.iter().enumerate().filter(|(_, c)| c.as_str() != "130102") {
            let poor = 1.0 + (i % 50) as f64;
            let (f, m) = (poor / 2.0, poor / 2.0);
            let mon = 100.0 + (i % 300) as f64;
            csv.push_str(&format!(
                "CN_RURAL_POOR_POP,{c},2023,_T,,{poor}\nCN_RURAL_POOR_POP,{c},2023,F,,{f}\nCN_RURAL_POOR_POP,{c},2023,M,,{m}\n"
            ));
            csv.push_str(&format!("CN_RURAL_POP_MONITORED,{c},2023,_T,,{mon}\n"));
            let inc = poor / mon * 100.0;
            csv.push_str(&format!("SI_POV_NAHC,{c},2023,_T,_T,{inc}\nSI_POV_NAHC,{c},2023,_T,R,{inc}\nSI_POV_NAHC,{c},2023,_T,U,0\n"));
        }
        // The other counties' figures, approved and published (only those roll up).
        let mut others = ImportOptions::new("others", rightstat_store::formats::Format::Csv);
        others.publish = true;
        let r = s.import_observations(std::io::Cursor::new(csv.into_bytes()), others).await.unwrap();
        assert!(r.is_ok(), "{:?}", r.errors.first());
        let actor = Actor::new("bench", None);
        let inds = ["CN_RURAL_POOR_POP", "CN_RURAL_POP_MONITORED", "SI_POV_NAHC"].map(String::from);
        let t = Instant::now();
        let first = s.roll_up(&inds, &["2023".into()], &counties, &actor).await.unwrap();
        let initial = t.elapsed().as_secs_f64();
        let spec: RoundSpec = toml::from_str(
            "code = \"B\"\ntitle_en = \"b\"\ntitle_zh = \"b\"\nperiods = [\"2023\"]\ndeadline = \"2099-01-01\"\nlead_department = \"NBS\"\n\
             [[item]]\nindicator = \"CN_RURAL_POOR_POP\"\n[[item]]\nindicator = \"CN_RURAL_POP_MONITORED\"\n[[item]]\nindicator = \"SI_POV_NAHC\"\n\
             [[assignment]]\ndepartment = \"NBS\"\narea = \"130102\"\n",
        )
        .unwrap();
        let round = s.create_round(&spec, &actor).await.unwrap();
        s.open_round(round, &actor).await.unwrap();
        let task = s.tasks(round, None, None).await.unwrap()[0].id;
        let file = "indicator,area,period,SEX,URBANISATION,value\nCN_RURAL_POOR_POP,130102,2023,_T,,12\nCN_RURAL_POOR_POP,130102,2023,F,,6\nCN_RURAL_POOR_POP,130102,2023,M,,6\n\
                    CN_RURAL_POP_MONITORED,130102,2023,_T,,200\nSI_POV_NAHC,130102,2023,_T,_T,6\nSI_POV_NAHC,130102,2023,_T,R,6\nSI_POV_NAHC,130102,2023,_T,U,0\n";
        let sub = s
            .submit(task, file.as_bytes().to_vec(), ImportOptions::new("county", rightstat_store::formats::Format::Csv), "", false)
            .await
            .unwrap();
        assert!(!sub.validation.has_errors(), "{:?}", sub.validation);
        let t = Instant::now();
        let (_, rolled) = s.review(task, true, "", &actor).await.unwrap();
        let latency = t.elapsed().as_secs_f64();
        let backend = if url.starts_with("sqlite") { "SQLite" } else { "PostgreSQL" };
        if std::env::var("BENCH_DETAIL").is_ok() {
            for _ in 0..3 {
                let t = Instant::now();
                s.roll_up(&inds, &["2023".into()], &["130102".into()], &actor).await.unwrap();
                let r = t.elapsed().as_secs_f64();
                let t = Instant::now();
                let _ = s.catalogue().await.unwrap();
                let c = t.elapsed().as_secs_f64();
                let t = Instant::now();
                let _ = s.area_index().await.unwrap();
                let ai = t.elapsed().as_secs_f64();
                let t = Instant::now();
                let f = rightstat_store::ObservationFilter {
                    indicators: inds.to_vec(),
                    area: Some("13".into()),
                    level: Some(AreaLevel::Prefecture),
                    visibility: rightstat_store::Visibility::All,
                    ..Default::default()
                };
                let n = s.observations(&f).await.unwrap().len();
                let q = t.elapsed().as_secs_f64();
                let t = Instant::now();
                let f = rightstat_store::ObservationFilter {
                    indicators: inds.to_vec(),
                    area: Some("13".into()),
                    visibility: rightstat_store::Visibility::All,
                    ..Default::default()
                };
                let n2 = s.observations(&f).await.unwrap().len();
                let q2 = t.elapsed().as_secs_f64();
                let t = Instant::now();
                let csv = "indicator,area,period,value\nCN_RURAL_POOR_POP,CN,2031,1\nCN_RURAL_POOR_POP,13,2031,1\nCN_RURAL_POOR_POP,1301,2031,1\n";
                let mut o = ImportOptions::new("probe", rightstat_store::formats::Format::Csv);
                o.kind = rightstat_core::observation::ProvenanceKind::Computation;
                s.import_observations(std::io::Cursor::new(csv.as_bytes().to_vec()), o).await.unwrap();
                println!("  {backend}: a 3-row import {:.0} ms", t.elapsed().as_secs_f64() * 1e3);
                println!("  {backend}: children query {:.0} ms ({n} rows), own-subtree query {:.0} ms ({n2} rows)", q * 1e3, q2 * 1e3);
                println!("  {backend}: roll_up alone {:.0} ms, catalogue {:.0} ms, area index {:.0} ms", r * 1e3, c * 1e3, ai * 1e3);
            }
        }
        println!(
            "approval → national totals ({backend}): {:.0} ms ({} areas, {} values recomputed); initial roll-up of all {} counties: {:.2} s ({} values)",
            latency * 1000.0,
            rolled.as_ref().map_or(0, |r| r.areas),
            rolled.as_ref().map_or(0, |r| r.written),
            counties.len(),
            initial,
            first.written
        );
    }
}

const VILLAGE_INDICATORS: u64 = 10;
const VILLAGE_YEARS: std::ops::Range<u64> = 2019..2024;

/// A leaf value both engines compute alike (no overflow in 64 bits): (hash % 100,000) / 100.
fn village_value(village: u64, ind: u64, year: u64, sex: u64, urb: u64) -> f64 {
    let h = (village % 1_000_003) * 2_654_435_761 + ind * 40_503 + year * 977 + sex * 31 + urb * 7;
    (h % 100_000) as f64 / 100.0
}

/// The national roll-up of village data: every village of NBS's 2023 codes × 10 indicators × 5
/// years × sex (F, M) × urban/rural (U, R) leaf values, up through townships, counties,
/// prefectures and provinces to the nation, in every margin; against DuckDB in memory on the
/// same values (generated in DuckDB by the same formula, the villages' parents from the same
/// file; loading is not timed for either), best of three each.
///
///     BENCH_PART=villages VILLAGES=../shared/data/admin-divisions-cn-2023/villages.csv cargo bench -p rightstat-store --bench rollup
fn villages() {
    let path =
        std::env::var("VILLAGES").expect("VILLAGES=path to NBS's villages.csv (code,name,streetCode,provinceCode,cityCode,areaCode)");
    let mut index: HashMap<String, u32> = HashMap::new();
    let mut parent: Vec<Option<u32>> = Vec::new();
    let intern = |code: &str, parent_index: Option<u32>, index: &mut HashMap<String, u32>, parent: &mut Vec<Option<u32>>| -> u32 {
        *index.entry(code.to_string()).or_insert_with(|| {
            parent.push(parent_index);
            (parent.len() - 1) as u32
        })
    };
    let nation = intern("CN", None, &mut index, &mut parent);
    let mut villages: Vec<(u32, u64)> = Vec::new();
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    for rec in rdr.records() {
        let r = rec.unwrap();
        let (code, town, prov, city, county) = (&r[0], &r[2], &r[3], &r[4], &r[5]);
        let p = intern(prov, Some(nation), &mut index, &mut parent);
        let c = intern(city, Some(p), &mut index, &mut parent);
        let k = intern(county, Some(c), &mut index, &mut parent);
        let t = intern(town, Some(k), &mut index, &mut parent);
        let v = intern(code, Some(t), &mut index, &mut parent);
        villages.push((v, code.parse().unwrap()));
    }
    let h = Hierarchy::new(parent.clone());
    let space = CellSpace::new(vec![2, 2]);
    let series = (VILLAGE_INDICATORS * (VILLAGE_YEARS.end - VILLAGE_YEARS.start)) as usize;
    let t = Instant::now();
    let mut data = Vec::with_capacity(villages.len() * series * 4);
    for &(v, code) in &villages {
        for ind in 0..VILLAGE_INDICATORS {
            for (y, year) in VILLAGE_YEARS.enumerate() {
                for sex in 0..2u32 {
                    for urb in 0..2u32 {
                        data.push(Leaf {
                            area: v,
                            series: (ind as usize * (VILLAGE_YEARS.end - VILLAGE_YEARS.start) as usize + y) as u32,
                            cell: space.index(&[sex, urb]),
                            value: village_value(code, ind, year, u64::from(sex), u64::from(urb)),
                        });
                    }
                }
            }
        }
    }
    println!(
        "leaf values: {} ({} villages × {VILLAGE_INDICATORS} indicators × {} years × 4 cells; {} areas), built in {:.1} s",
        data.len(),
        villages.len(),
        VILLAGE_YEARS.end - VILLAGE_YEARS.start,
        parent.len(),
        t.elapsed().as_secs_f64()
    );
    let (ours, result) = best_of(3, || rollup(&h, series, &space, &data));
    let groups = result.counts.iter().filter(|c| **c > 0).count();
    println!("{:<28} {:>9.3} s  {:>9} groups", "RightStat (in memory)", ours, groups);
    let slots = h.slot_areas();
    let national_slot = slots.iter().position(|s| *s == nation).unwrap() as u32;
    let national_total = result.get(national_slot, 0, space.index(&[2, 2])).unwrap();
    drop(data);
    drop(result);
    match std::process::Command::new("python3")
        .args(["benches/rollup/duckdb_villages.py", &path])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
    {
        Ok(o) if o.status.success() => {
            let s = String::from_utf8_lossy(&o.stdout);
            let mut it = s.split_whitespace();
            let t: f64 = it.next().unwrap().parse().unwrap();
            let g = it.next().unwrap_or("?").to_string();
            let total: f64 = it.next().unwrap().parse().unwrap();
            assert!((total - national_total).abs() <= 1e-9 * national_total, "same national total: DuckDB {total} vs {national_total}");
            println!("{:<28} {:>9.3} s  {:>9} groups   ratio {:.1}×", "DuckDB (in memory)", t, g, t / ours);
        }
        Ok(o) => println!("DuckDB: failed ({})", String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or("")),
        Err(e) => println!("DuckDB: skipped ({e})"),
    }
}
