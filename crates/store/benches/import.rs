//! Import throughput: `rightstat import observations` path (parse, check, load, one
//! transaction) against the raw bulk-insert rate of the same database, in one run.
//!
//! Raw rates: the same rows, already parsed, in one transaction, by COPY FROM STDIN on
//! PostgreSQL and multi-row INSERT on SQLite (the fastest path sqlx offers for it), into
//! (1) a table defined like `observation` (same primary key and index: "raw-table") and
//! (2) a bare heap with the same columns and no key or index ("raw-heap").
//! "check-only" is a dry run: parse and check every row, write nothing. The data: the real 2,978 counties × 4 indicators × 10 years ×
//! (sex × urban/rural with totals) cells, cut at BENCH_ROWS (default 1,000,000).
//!
//!     cargo bench -p rightstat-store --bench import
//!
//! PostgreSQL from RIGHTSTAT_TEST_PG (default postgres://postgres@127.0.0.1:5432/test);
//! RIGHTSTAT_SKIP_PG=1 for SQLite only.

use rightstat_store::formats::Format;
use rightstat_store::{ImportOptions, Store, testing};
use sqlx::Connection;
use std::io::Write;
use std::time::Instant;

const INDICATORS: [&str; 4] = ["CN_DIBAO_RECIPIENTS", "CN_RESIDENT_POP", "CN_EMPLOYED_POP", "CN_MEDICAL_INSURED_POP"];

struct Row {
    indicator: &'static str,
    area: String,
    period: String,
    cell: String,
    value: f64,
}

fn rows(limit: usize) -> Vec<Row> {
    let counties: Vec<String> = rightstat_core::reference::areas()
        .into_iter()
        .filter(|a| a.level == rightstat_core::AreaLevel::County)
        .map(|a| a.code.to_string())
        .collect();
    let mut out = Vec::with_capacity(limit);
    let mut x: u64 = 0x2545F4914F6CDD1D;
    'all: for c in &counties {
        for ind in INDICATORS {
            for year in 2013..2023 {
                for sex in ["_T", "F", "M"] {
                    for urb in ["_T", "U", "R"] {
                        if out.len() == limit {
                            break 'all;
                        }
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        out.push(Row {
                            indicator: ind,
                            area: c.clone(),
                            period: year.to_string(),
                            cell: format!("{sex},{urb}"),
                            value: (x % 1_000_000) as f64 / 100.0,
                        });
                    }
                }
            }
        }
    }
    out
}

fn write_csv(rows: &[Row], path: &std::path::Path) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(w, "indicator,area,period,SEX,URBANISATION,value,source").unwrap();
    for r in rows {
        writeln!(w, "{},{},{},{},{},NBS county returns", r.indicator, r.area, r.period, r.cell, r.value).unwrap();
    }
}

const RAW_TABLE: &str = "CREATE TABLE raw_obs (indicator_code TEXT, indicator_version BIGINT, area_code TEXT, period TEXT, \
    period_start TEXT, period_end TEXT, cell_key TEXT, value DOUBLE PRECISION, status TEXT, source TEXT, footnote TEXT, \
    batch_id BIGINT, recorded_at TEXT)";

fn cell_key(cell: &str) -> String {
    let (sex, urb) = cell.split_once(',').unwrap();
    rightstat_core::Cell::total().with("SEX", sex).with("URBANISATION", urb).key()
}

/// The observation table's own definition (primary key and index), without data.
const SAME_SCHEMA_SQLITE: [&str; 2] = [
    "CREATE TABLE raw_obs (id INTEGER PRIMARY KEY, indicator_code TEXT NOT NULL, indicator_version INTEGER NOT NULL, \
     area_code TEXT NOT NULL, period TEXT NOT NULL, period_start TEXT NOT NULL, period_end TEXT NOT NULL, cell_key TEXT NOT NULL, \
     value REAL, status TEXT NOT NULL, source TEXT NOT NULL, footnote TEXT NOT NULL, batch_id INTEGER NOT NULL, \
     recorded_at TEXT NOT NULL, superseded_at TEXT)",
    "CREATE INDEX raw_obs_key ON raw_obs (indicator_code, area_code, period, cell_key)",
];
const SAME_SCHEMA_PG: [&str; 1] = ["CREATE TABLE raw_obs (LIKE observation INCLUDING ALL)"];
const COLS: &str = "indicator_code, indicator_version, area_code, period, period_start, period_end, cell_key, value, status, source, footnote, batch_id, recorded_at";

async fn raw_sqlite(url: &str, rows: &[Row], ddl: &[&'static str]) -> f64 {
    let path = url.trim_start_matches("sqlite://");
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{path}")).await.unwrap();
    sqlx::query("PRAGMA journal_mode = WAL").execute(&mut conn).await.unwrap();
    sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut conn).await.unwrap();
    sqlx::query("DROP TABLE IF EXISTS raw_obs").execute(&mut conn).await.unwrap();
    for stmt in ddl {
        sqlx::query(*stmt).execute(&mut conn).await.unwrap();
    }
    let keys: Vec<String> = rows.iter().map(|r| cell_key(&r.cell)).collect();
    let t = Instant::now();
    let mut tx = conn.begin().await.unwrap();
    for (chunk, keys) in rows.chunks(1000).zip(keys.chunks(1000)) {
        let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(format!("INSERT INTO raw_obs ({COLS}) "));
        qb.push_values(chunk.iter().zip(keys), |mut b, (r, k)| {
            b.push_bind(r.indicator)
                .push_bind(1i64)
                .push_bind(r.area.clone())
                .push_bind(r.period.clone())
                .push_bind(format!("{}-01-01", r.period))
                .push_bind(format!("{}-12-31", r.period))
                .push_bind(k.clone())
                .push_bind(r.value)
                .push_bind("A")
                .push_bind("NBS county returns")
                .push_bind("")
                .push_bind(1i64)
                .push_bind("2026-01-01T00:00:00Z");
        });
        qb.build().execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    t.elapsed().as_secs_f64()
}

async fn raw_postgres(url: &str, rows: &[Row], ddl: &[&'static str]) -> f64 {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query("DROP TABLE IF EXISTS raw_obs").execute(&mut conn).await.unwrap();
    for stmt in ddl {
        sqlx::query(*stmt).execute(&mut conn).await.unwrap();
    }
    let keys: Vec<String> = rows.iter().map(|r| cell_key(&r.cell)).collect();
    let t = Instant::now();
    let mut tx = conn.begin().await.unwrap();
    let mut copy = tx
        .copy_in_raw(&format!("COPY raw_obs ({COLS}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (cell_key, source, footnote))"))
        .await
        .unwrap();
    for (chunk, keys) in rows.chunks(1000).zip(keys.chunks(1000)) {
        let mut buf = Vec::with_capacity(chunk.len() * 128);
        for (r, k) in chunk.iter().zip(keys) {
            writeln!(
                buf,
                "{},1,{},{},{}-01-01,{}-12-31,{},{},A,NBS county returns,,1,2026-01-01T00:00:00Z",
                r.indicator, r.area, r.period, r.period, r.period, k, r.value
            )
            .unwrap();
        }
        copy.send(buf).await.unwrap();
    }
    copy.finish().await.unwrap();
    tx.commit().await.unwrap();
    t.elapsed().as_secs_f64()
}

fn main() {
    let n: usize = std::env::var("BENCH_ROWS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = rows(n);
    let csv = dir.path().join("observations.csv");
    write_csv(&data, &csv);
    let mb = std::fs::metadata(&csv).unwrap().len() as f64 / 1e6;
    println!("{} observations, {mb:.0} MB of CSV, {} counties covered", data.len(), data.len().div_ceil(360));
    println!(
        "{:<12} {:>12} {:>12} {:>6} {:>12} {:>6} {:>12}",
        "database", "import/s", "raw-table/s", "ratio", "raw-heap/s", "ratio", "check-only/s"
    );
    rt.block_on(async {
        let mut urls = vec![testing::fresh_sqlite_url(dir.path())];
        if !testing::skip_pg() {
            urls.push(testing::fresh_pg_url().await);
        }
        for url in urls {
            let store = Store::connect(&url).await.unwrap();
            store.seed_reference().await.unwrap();
            let mut dry = ImportOptions::new("observations.csv", Format::Csv);
            dry.dry_run = true;
            let t = Instant::now();
            store.import_observations(std::fs::File::open(&csv).unwrap(), dry).await.unwrap();
            let check_s = t.elapsed().as_secs_f64();
            let f = std::fs::File::open(&csv).unwrap();
            let t = Instant::now();
            let report = store.import_observations(f, ImportOptions::new("observations.csv", Format::Csv)).await.unwrap();
            let import_s = t.elapsed().as_secs_f64();
            assert!(report.is_ok(), "{:?}", &report.errors[..report.errors.len().min(3)]);
            assert_eq!(report.inserted as usize, data.len());
            store.close().await;
            let (name, same_s, bare_s) = if url.starts_with("postgres") {
                ("postgresql", raw_postgres(&url, &data, &SAME_SCHEMA_PG).await, raw_postgres(&url, &data, &[RAW_TABLE]).await)
            } else {
                ("sqlite", raw_sqlite(&url, &data, &SAME_SCHEMA_SQLITE).await, raw_sqlite(&url, &data, &[RAW_TABLE]).await)
            };
            let rate = |s: f64| data.len() as f64 / s;
            let (imp, same, bare, check) = (rate(import_s), rate(same_s), rate(bare_s), rate(check_s));
            println!("{name:<12} {imp:>12.0} {same:>12.0} {:>6.2} {bare:>12.0} {:>6.2} {check:>12.0}", imp / same, imp / bare);
        }
    });
}
