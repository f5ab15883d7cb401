//! The public side at size: a national county-level data set and one province at village level
//! published, then the public reads timed with the server's peak memory.
//!
//! Data (all published): the real 2,978 counties × 30 indicators × 10 years × sex × urban/rural
//! with their totals (9 cells) = 8,040,600 county figures; Hebei's 54,145 villages × 5 social
//! assistance counts × urban, rural and total for 2023 = 812,175 village figures, many of them
//! under ten persons (withheld by disclosure control, with what would reveal them). Then,
//! through the HTTP API of a server in this process:
//!
//! - the portal snapshot's first build (the first indicator page after a release), and the same
//!   page once built;
//! - `/api/v1/observations` for all villages of Hebei's county with the most villages, signed out;
//! - the SDMX REST data query for all counties of Hebei (one indicator, every cell and year);
//! - one indicator's CSV download;
//! - the static export of the whole portal (`rightstat publish --out DIR`).
//!
//! Each is timed, with the process's resident memory at its peak during the step (VmHWM, reset
//! before each step through /proc/self/clear_refs) and after it. Memory freed by a step stays
//! with the process (glibc keeps it for reuse), so "after" is an upper bound on what the step
//! left behind; run one backend per process for memory figures of that backend alone.
//!
//!     cargo bench -p rightstat-server --bench public -- [--backend sqlite|postgres|both]
//!
//! PostgreSQL from RIGHTSTAT_TEST_PG (default postgres://postgres@127.0.0.1:5432/test).

mod common;

use rightstat_core::area::AreaLevel;
use rightstat_core::disclosure::Rules;
use rightstat_store::{Actor, ImportOptions, Store, testing};
use std::collections::BTreeMap;
use std::time::Instant;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/admin-divisions-cn-2023/");
const INDICATORS: usize = 30;
const YEARS: std::ops::Range<u32> = 2014..2024;
/// The counts a village reports (10,000 persons or households, as the catalogue defines them).
const VILLAGE_ITEMS: [&str; 5] =
    ["CN_DIBAO_RECIPIENTS", "CN_DIBAO_HOUSEHOLDS", "CN_TEKUN_RECIPIENTS", "CN_TEMP_ASSISTANCE", "CN_MEDICAL_INSURED_POP"];

/// Resident memory now and at its peak since the last reset, in MiB.
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (kb("VmRSS:") / 1024.0, kb("VmHWM:") / 1024.0)
}

/// Starts a new peak: the kernel resets VmHWM to the current resident size.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn step<T>(name: &str, f: impl FnOnce() -> T) -> T {
    reset_peak();
    let t = Instant::now();
    let out = f();
    let secs = t.elapsed().as_secs_f64();
    let (now, peak) = memory();
    println!("| {name:<58} | {secs:>9.3} | {peak:>8.0} | {now:>8.0} |");
    out
}

fn county_codes() -> Vec<String> {
    rightstat_core::reference::areas().into_iter().filter(|a| a.level == AreaLevel::County).map(|a| a.code.to_string()).collect()
}

/// 30 county indicators like the dibao count, by sex and urban/rural.
async fn define_indicators(s: &Store, admin: &Actor) -> Vec<String> {
    let template = rightstat_core::reference::indicators().into_iter().find(|d| d.code == "CN_DIBAO_RECIPIENTS").expect("in the catalogue");
    let mut codes = Vec::new();
    for k in 1..=INDICATORS {
        let mut d = template.clone();
        d.code = format!("CN_BENCH_{k:02}");
        d.name_en = format!("Persons covered by programme {k}");
        d.name_zh = format!("第{k}项保障覆盖人数");
        d.dimensions = vec!["SEX".into(), "URBANISATION".into()];
        d.required_dimensions = vec!["URBANISATION".into()];
        s.put_indicator(&d, "bench", admin).await.unwrap();
        codes.push(d.code);
    }
    codes
}

/// One indicator's county figures: every county, year and cell, consistent margins.
fn county_csv(indicator: &str, k: usize, counties: &[String]) -> String {
    let mut out = String::with_capacity(counties.len() * YEARS.len() * 9 * 40);
    out.push_str("indicator,area,period,SEX,URBANISATION,value\n");
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ (k as u64);
    for c in counties {
        for y in YEARS {
            let mut leaf = [[0u64; 2]; 2];
            for row in &mut leaf {
                for v in row.iter_mut() {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    *v = 50 + x % 20_000;
                }
            }
            let cells = [
                ("_T", "_T", leaf[0][0] + leaf[0][1] + leaf[1][0] + leaf[1][1]),
                ("_T", "U", leaf[0][0] + leaf[1][0]),
                ("_T", "R", leaf[0][1] + leaf[1][1]),
                ("F", "_T", leaf[0][0] + leaf[0][1]),
                ("F", "U", leaf[0][0]),
                ("F", "R", leaf[0][1]),
                ("M", "_T", leaf[1][0] + leaf[1][1]),
                ("M", "U", leaf[1][0]),
                ("M", "R", leaf[1][1]),
            ];
            for (sex, urb, persons) in cells {
                out.push_str(&format!("{indicator},{c},{y},{sex},{urb},{:.4}\n", persons as f64 / 10_000.0));
            }
        }
    }
    out
}

/// Hebei's villages' counts for 2023: urban, rural and total; a share under ten persons.
fn village_csv(villages: &[String]) -> String {
    let mut out = String::from("indicator,area,period,URBANISATION,value\n");
    for (i, v) in villages.iter().enumerate() {
        for (k, item) in VILLAGE_ITEMS.iter().enumerate() {
            let (u, r) = (((i * 7 + k * 13) % 40) as u64, ((i * 11 + k * 3) % 90) as u64);
            for (cell, n) in [("_T", u + r), ("U", u), ("R", r)] {
                out.push_str(&format!("{item},{v},2023,{cell},{:.4}\n", n as f64 / 10_000.0));
            }
        }
    }
    out
}

async fn import(s: &Store, what: &str, csv: String) -> u64 {
    let mut o = ImportOptions::new(what, rightstat_store::formats::Format::Csv);
    o.publish = true;
    o.reason = "bench: published figures".into();
    let r = s.import_observations(std::io::Cursor::new(csv.into_bytes()), o).await.unwrap();
    assert!(r.is_ok(), "{:?}", r.errors.first());
    r.inserted
}

/// Loads the data set; returns Hebei's county with the most villages and Hebei's counties.
async fn load(s: &Store) -> (String, Vec<String>) {
    let admin = Actor::new("admin", None);
    let t0 = Instant::now();
    s.seed_reference().await.unwrap();
    let towns = std::fs::File::open(format!("{DATA}streets.csv")).unwrap();
    s.import_areas(towns, AreaLevel::Township, "streets.csv", &admin).await.unwrap().unwrap();
    let villages_file = std::fs::read_to_string(format!("{DATA}villages-13.csv")).unwrap();
    s.import_areas(std::io::Cursor::new(villages_file.clone().into_bytes()), AreaLevel::Village, "villages-13.csv", &admin)
        .await
        .unwrap()
        .unwrap();
    let codes = define_indicators(s, &admin).await;
    let counties = county_codes();
    let mut county_figures = 0;
    for (k, code) in codes.iter().enumerate() {
        county_figures += import(s, "county figures", county_csv(code, k, &counties)).await;
    }
    let villages: Vec<String> = villages_file.lines().skip(1).filter_map(|l| l.split(',').next()).map(str::to_owned).collect();
    let village_figures = import(s, "village figures", village_csv(&villages)).await;
    let mut per_county: BTreeMap<&str, usize> = BTreeMap::new();
    for v in &villages {
        *per_county.entry(&v[..6]).or_default() += 1;
    }
    let (county, n) = per_county.iter().max_by_key(|(c, n)| (**n, std::cmp::Reverse(**c))).map(|(c, n)| (c.to_string(), *n)).unwrap();
    println!(
        "  loaded {county_figures} county and {village_figures} village figures, published, in {:.0} s; county {county} has {n} villages",
        t0.elapsed().as_secs_f64()
    );
    let hebei = counties.into_iter().filter(|c| c.starts_with("13")).collect();
    (county, hebei)
}

fn get(agent: &ureq::Agent, url: &str) -> (u16, usize) {
    let mut r = agent.get(url).call().unwrap();
    let status = r.status().as_u16();
    let body = r.body_mut().with_config().limit(8 << 30).read_to_vec().unwrap();
    (status, body.len())
}

fn run(rt: &tokio::runtime::Runtime, url: &str) {
    let backend = if url.starts_with("sqlite") { "SQLite" } else { "PostgreSQL" };
    println!("{backend}:");
    let store = rt.block_on(Store::connect(url)).unwrap();
    let (county, hebei) = rt.block_on(load(&store));
    let base = common::serve(rt, &store);
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    println!("| step ({backend}) | seconds | peak MiB | after MiB |");
    println!("|---|---:|---:|---:|");
    let show = |what: &str, (status, bytes): (u16, usize)| {
        assert_eq!(status, 200, "{what}");
        println!("|   {what}: {bytes} bytes |  |  |  |");
    };
    let page = format!("{base}/en/indicators/CN_BENCH_01.html");
    // The first request after a release builds the snapshot; a request still waiting after 60 s
    // is answered 503 with Retry-After, and the client asks again, as a browser's user would.
    let r = step("portal: first indicator page after a release (snapshot)", || {
        let mut tries = 0;
        loop {
            tries += 1;
            let r = get(&agent, &page);
            if r.0 != 503 || tries > 20 {
                println!("|   answered {} after {tries} request(s) |  |  |  |", r.0);
                return r;
            }
        }
    });
    show("page", r);
    step("portal: the same page again", || get(&agent, &page));
    step("portal: village indicator page (CN_DIBAO_RECIPIENTS)", || get(&agent, &format!("{base}/zh/indicators/CN_DIBAO_RECIPIENTS.html")));
    let api = format!("{base}/api/v1/observations?indicator=CN_DIBAO_RECIPIENTS&area={county}&level=village&limit=100000");
    let r = step(&format!("API: every village of county {county}, signed out"), || get(&agent, &api));
    show("observations", r);
    let sdmx = format!("{base}/sdmx/2.1/data/DF_RIGHTSTAT/CN_BENCH_01.{}?format=csv", hebei.join("+"));
    let r = step(&format!("SDMX: all {} counties of Hebei, one indicator", hebei.len()), || get(&agent, &sdmx));
    show("SDMX-CSV", r);
    let r = step("download: one indicator's CSV (data/CN_BENCH_01.csv)", || get(&agent, &format!("{base}/data/CN_BENCH_01.csv")));
    show("CSV", r);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    let (files, bytes) = step("static export of the whole portal (load + write)", || {
        rt.block_on(async {
            let site = rightstat_portal::Site::load(&store, Rules::default()).await.unwrap();
            site.export(&out).await.unwrap()
        })
    });
    println!("|   export: {files} files, {:.0} MB |  |  |  |", bytes as f64 / 1e6);
}

fn main() {
    let mut backend = "both".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--backend" {
            backend = args.next().unwrap_or_default();
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    if backend != "postgres" {
        run(&rt, &testing::fresh_sqlite_url(dir.path()));
    }
    if backend != "sqlite" && !testing::skip_pg() {
        let url = rt.block_on(testing::fresh_pg_url());
        run(&rt, &url);
    }
}
