//! Fresh databases for tests, on both backends. Used by this crate's conformance tests and by
//! the server's and CLI's integration tests.
//!
//! PostgreSQL comes from `RIGHTSTAT_TEST_PG` (default `postgres://postgres@127.0.0.1:5432/test`).
//! If it cannot be reached the test fails loudly: set `RIGHTSTAT_SKIP_PG=1` to run SQLite only.

use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Whether PostgreSQL tests were switched off explicitly.
pub fn skip_pg() -> bool {
    std::env::var("RIGHTSTAT_SKIP_PG").is_ok_and(|v| v == "1")
}

/// A new, empty PostgreSQL database; returns its URL.
pub async fn fresh_pg_url() -> String {
    use sqlx::Connection;
    let admin = std::env::var("RIGHTSTAT_TEST_PG").unwrap_or_else(|_| DEFAULT_PG.to_string());
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
        panic!("PostgreSQL is required for the tests and is not reachable at {admin}: {e}. Start it, set RIGHTSTAT_TEST_PG, or set RIGHTSTAT_SKIP_PG=1 to test SQLite only.")
    });
    let name = format!(
        "rightstat_t_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        crate::now_rfc3339().replace(|c: char| !c.is_ascii_digit(), "")
    );
    // The name is built from digits only: safe to interpolate.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await.expect("CREATE DATABASE");
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    format!("{base}/{name}")
}

/// A new SQLite database file in `dir`; returns its URL.
pub fn fresh_sqlite_url(dir: &std::path::Path) -> String {
    format!("sqlite://{}", dir.join(format!("t{}.db", COUNTER.fetch_add(1, Ordering::Relaxed))).display())
}

/// URLs of a fresh database on every backend under test.
pub async fn fresh_urls(dir: &std::path::Path) -> Vec<String> {
    let mut urls = vec![fresh_sqlite_url(dir)];
    if !skip_pg() {
        urls.push(fresh_pg_url().await);
    }
    urls
}

/// Pupils of poor households who dropped out, 2023 (`examples/small-cells.csv`, invented):
/// Beijing's 4 is below the minimum cell size; Hebei's 4317 would then follow from the
/// national 4321.
pub const SMALL_CELLS_CSV: &str = include_str!("../../../examples/small-cells.csv");

/// The 2024 figure, received and not yet released.
pub const UNRELEASED_CSV: &str =
    "indicator,area,period,value,unit,unit_mult,source\nCN_POOR_DROPOUTS,CN,2024,98765,PERSONS,0,Ministry of Education\n";

/// Reference content, the demo series, [`SMALL_CELLS_CSV`] (published) and
/// [`UNRELEASED_CSV`] (not); returns the unreleased batch's id.
pub async fn load_disclosure_fixture(store: &crate::Store) -> i64 {
    store.seed_reference().await.unwrap();
    store.load_demo().await.unwrap();
    let mut batch = 0;
    for (csv, publish) in [(SMALL_CELLS_CSV, true), (UNRELEASED_CSV, false)] {
        let mut opts = crate::ImportOptions::new("dropouts.csv", crate::formats::Format::Csv);
        opts.publish = publish;
        let report = store.import_observations(std::io::Cursor::new(csv.as_bytes().to_vec()), opts).await.unwrap();
        assert!(report.is_ok(), "{:?}", report.errors);
        batch = report.batch_id.unwrap();
    }
    batch
}

/// The header and the lines of a shipped NBS division file (`data/admin-divisions-cn-2023/`)
/// for the areas whose code starts with `county` (e.g. `130104`, Qiaoxi, Shijiazhuang).
pub fn division_lines(file: &str, county: &str) -> String {
    let path = format!("{}/../../data/admin-divisions-cn-2023/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next().unwrap_or_default());
    for l in lines.filter(|l| l.starts_with(county)) {
        out.push_str(l);
        out.push('\n');
    }
    out
}
