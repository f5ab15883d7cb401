//! Writers under load.
//!
//! Two imports may run at once when they write different keys: each takes the keys it writes
//! before it reads what it revises. On PostgreSQL a file read whole before writing (a village's
//! form, a roll-up: at most [`MAX_POINT_AREAS`] areas) takes a shared lock on the database and
//! an exclusive lock per area it writes (advisory locks, in area order, held to the commit), so
//! forms for different villages are written side by side; any other import takes the database
//! exclusively. SQLite has one writer per database. Within this process writers also take turns
//! *before* taking a pooled connection ([`WRITERS_PG`] at once on PostgreSQL, one on SQLite), so
//! an import waiting for its turn holds none and reads never starve behind a queue of writers.
//! The queue is bounded by its expected wait: when more than [`ALWAYS_WAIT`] imports wait and
//! they would hold the turns past [`MAX_EXPECTED_WAIT`] (their number × the median time of the
//! last turns, over the writers), past [`MAX_WAITING`] of them, or after [`WAIT`] in the queue,
//! an import is refused as busy (the server answers 503 with `Retry-After`), never half-applied.
//!
//! Roll-ups read the accepted figures below an area and write its totals: one at a time per
//! database (an in-process queue, then an advisory lock held by a transaction of its own from
//! the first read to the commit of the totals), so that a roll-up never writes a total computed
//! before another roll-up's approval and overwrites a later one.
//!
//! After a bulk load the planner's statistics are refreshed, so the next query is not planned
//! on stale counts.

use crate::{Result, Store, StoreError};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Imports that may wait for their turn, whatever their expected wait; one more is refused as
/// busy. (A request's body is read before it queues, so the queue holds no more memory than
/// the connections do; this bound keeps the wait for a turn short when imports are slow.)
pub const MAX_WAITING: usize = 512;
/// An import is refused as busy, before its checks, when the imports ahead of it would hold
/// the writers' turns longer than this (their number × the recent time an import holds a turn,
/// over the writers): a deadline's many small forms queue, a few long imports do not. It is
/// the server's `Retry-After` (5 s): a client that would wait less is better served waiting
/// than told to come back.
pub const MAX_EXPECTED_WAIT: Duration = Duration::from_secs(5);
/// How long an import waits for its turn before it is refused as busy (well within the
/// server's 60-s request timeout, so that a queued form is answered 503 with its reason).
pub const WAIT: Duration = Duration::from_secs(20);
/// Rows loaded at once from which the statistics are refreshed (`ANALYZE`).
pub const ANALYZE_AFTER_ROWS: u64 = 10_000;
/// Observation rows written by small imports (a deadline's forms) after which the statistics
/// are refreshed, while the table is young (later: a tenth of what was written).
pub const ANALYZE_AFTER_SMALL_ROWS: u64 = 2_000;
/// The SQLite write-ahead log is truncated to this many bytes after a checkpoint.
pub const WAL_SIZE_LIMIT: u64 = 64 * 1024 * 1024;

/// The tables a bulk load fills, whose statistics are refreshed after it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Loaded {
    Observation,
    Area,
}

/// Imports of one process writing at once on PostgreSQL (each holds a pooled connection).
pub const WRITERS_PG: usize = 8;
/// A file read whole that writes at most this many areas locks them one by one; more, and it
/// takes the whole database.
pub const MAX_POINT_AREAS: usize = 64;
/// Advisory lock keys: the database (shared by point writers, exclusive for the rest), the
/// class of the per-area keys, and the roll-up's.
const DATABASE_KEY: i64 = 724301;
const AREA_CLASS: i32 = 724304;
const ROLL_UP_KEY: i64 = 724303;

#[derive(Debug)]
pub struct WriterGate {
    turn: tokio::sync::Semaphore,
    waiting: AtomicUsize,
    roll_up: tokio::sync::Mutex<()>,
    writers: usize,
    /// How long the last imports held their turn, in microseconds (the newest last).
    held: std::sync::Mutex<std::collections::VecDeque<u64>>,
    /// Observation rows written since the statistics were last refreshed, and in all.
    unanalyzed: std::sync::atomic::AtomicU64,
    written: std::sync::atomic::AtomicU64,
}

impl WriterGate {
    /// A gate letting `writers` imports write at once.
    pub(crate) fn new(writers: usize) -> Self {
        WriterGate {
            turn: tokio::sync::Semaphore::new(writers),
            waiting: AtomicUsize::new(0),
            roll_up: tokio::sync::Mutex::new(()),
            writers: writers.max(1),
            held: Default::default(),
            unanalyzed: Default::default(),
            written: Default::default(),
        }
    }
}

/// An area's advisory lock key: FNV-1a of its code (two areas sharing a key only wait for
/// each other).
fn area_key(code: &str) -> i32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in code.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h as i32
}

/// Takes, inside the import's transaction, the keys it writes: with `areas` (every row's
/// area, the file read whole) the database shared and each area exclusively when they are
/// few, else the database exclusively. Locks are taken in key order, so two imports never wait
/// for each other crosswise; the database key always first.
pub(crate) async fn lock_keys(t: &mut sqlx::PgConnection, areas: Option<Vec<&str>>) -> Result<()> {
    let mut keys: Vec<i32> = areas.unwrap_or_default().into_iter().map(area_key).collect();
    keys.sort_unstable();
    keys.dedup();
    if keys.is_empty() || keys.len() > MAX_POINT_AREAS {
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(DATABASE_KEY).execute(&mut *t).await?;
        return Ok(());
    }
    // One statement: the database key first (a scalar subquery runs before the FROM list's
    // rows), then the areas' keys in the order of the array, which is sorted.
    sqlx::query(
        "SELECT pg_advisory_xact_lock($2, k) FROM (SELECT pg_advisory_xact_lock_shared($1) AS db) AS first, \
         unnest($3::int4[]) WITH ORDINALITY AS a (k, n) ORDER BY n",
    )
    .bind(DATABASE_KEY)
    .bind(AREA_CLASS)
    .bind(&keys)
    .execute(&mut *t)
    .await?;
    Ok(())
}

/// A roll-up's turn: held until dropped (on PostgreSQL an open transaction holding the
/// roll-up's advisory lock, rolled back when dropped, so no path leaves the lock behind).
pub(crate) struct RollUpTurn<'a> {
    _local: tokio::sync::MutexGuard<'a, ()>,
    _held: Option<sqlx::Transaction<'static, sqlx::Postgres>>,
}

/// An import's turn to write: held until dropped; how long it was held feeds the expected wait.
pub(crate) struct WriterTurn<'a> {
    _permit: tokio::sync::SemaphorePermit<'a>,
    gate: &'a WriterGate,
    since: std::time::Instant,
}

impl Drop for WriterTurn<'_> {
    fn drop(&mut self) {
        let held = self.since.elapsed().as_micros().min(u128::from(u64::MAX)) as u64;
        let mut recent = self.gate.held.lock().unwrap_or_else(|e| e.into_inner());
        if recent.len() == RECENT_TURNS {
            recent.pop_front();
        }
        recent.push_back(held);
    }
}

/// Up to this many waiting imports, an import always waits (for at most [`WAIT`]): the
/// estimate matters only for a long queue, and just after a bulk load it is still made of
/// long turns.
pub const ALWAYS_WAIT: usize = 32;

/// How many of the last turns the expected wait is estimated from.
const RECENT_TURNS: usize = 32;

impl WriterGate {
    /// How long `ahead` imports would hold the writers' turns before the next gets one: the
    /// median of the last turns (one long bulk load among many forms does not make forms look
    /// long) × `ahead` / the writers.
    fn expected_wait(&self, ahead: usize) -> Duration {
        let mut recent: Vec<u64> = self.held.lock().unwrap_or_else(|e| e.into_inner()).iter().copied().collect();
        if recent.is_empty() {
            return Duration::ZERO;
        }
        recent.sort_unstable();
        let median = recent[recent.len() / 2];
        Duration::from_micros(median.saturating_mul(ahead as u64) / self.writers as u64)
    }

    /// Why an import arriving now is refused as busy, if it is.
    fn refusal(&self, ahead: usize, what: &str) -> Option<String> {
        let expected = self.expected_wait(ahead);
        (ahead >= MAX_WAITING || (ahead >= ALWAYS_WAIT && expected > MAX_EXPECTED_WAIT)).then(|| {
            format!(
                "{ahead} imports are waiting for their turn (about {:.1} s of work); nothing was {what}: try again shortly",
                expected.as_secs_f64()
            )
        })
    }
}

/// Counts a waiting writer while it waits.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Store {
    /// Waits for this process's turn to write observations; busy when the queue is full or the
    /// wait too long. A roll-up (`finishing`) finishes an approval already committed: it waits
    /// its turn however long the queue, so that an approved figure always reaches its totals.
    pub(crate) async fn writer_turn(&self, finishing: bool) -> Result<WriterTurn<'_>> {
        let gate = &self.writers;
        let ahead = gate.waiting.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(&gate.waiting);
        let turn = |permit| WriterTurn { _permit: permit, gate, since: std::time::Instant::now() };
        if finishing {
            return gate.turn.acquire().await.map(turn).map_err(|e| StoreError::Busy(e.to_string()));
        }
        if let Some(why) = gate.refusal(ahead, "imported") {
            return Err(StoreError::Busy(why));
        }
        match tokio::time::timeout(WAIT, gate.turn.acquire()).await {
            Ok(Ok(permit)) => Ok(turn(permit)),
            _ => Err(StoreError::Busy(format!(
                "waited {} s for the imports ahead to finish; nothing was imported: try again shortly",
                WAIT.as_secs()
            ))),
        }
    }

    /// Waits for the roll-up's turn (in this process, then in the database); however long the
    /// queue, since a roll-up finishes an approval already committed.
    pub(crate) async fn roll_up_turn(&self) -> Result<RollUpTurn<'_>> {
        let local = self.writers.roll_up.lock().await;
        let held = match &self.pool {
            crate::Pool::Postgres(p) => {
                let mut tx = p.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(ROLL_UP_KEY).execute(&mut *tx).await?;
                Some(tx)
            }
            crate::Pool::Sqlite(_) => None,
        };
        Ok(RollUpTurn { _local: local, _held: held })
    }

    /// Imports waiting for their turn now.
    pub fn waiting_imports(&self) -> usize {
        self.writers.waiting.load(Ordering::SeqCst)
    }

    /// Busy when the import queue is full: checked before an approval, whose roll-up would
    /// otherwise wait behind it, and before a submission's checks, which would otherwise be
    /// made only for the import to be refused (refused whole: nothing `what`, nothing changed).
    pub(crate) fn refuse_when_queue_full(&self, what: &str) -> Result<()> {
        match self.writers.refusal(self.waiting_imports(), what) {
            Some(why) => Err(StoreError::Busy(why)),
            None => Ok(()),
        }
    }

    /// Refreshes the planner's statistics of `table` (`observation` or `area`) after a bulk load
    /// of `rows` (`ANALYZE`; on SQLite over a bounded sample), so that the next query is planned
    /// on what the table holds now.
    pub(crate) async fn analyze_after_load(&self, table: Loaded, rows: u64) -> Result<()> {
        // Many small loads count as one large one: a deadline's forms (30 rows each) grow the
        // table from nothing, and plans made on the empty table's statistics visit every
        // current value for each form.
        let rows = match table {
            Loaded::Observation => {
                // After 2,000 rows, or a tenth of what this process has written, whichever is more.
                let written = self.writers.written.fetch_add(rows, Ordering::SeqCst) + rows;
                let since = self.writers.unanalyzed.fetch_add(rows, Ordering::SeqCst) + rows;
                if since < (written / 10).max(ANALYZE_AFTER_SMALL_ROWS) {
                    return Ok(());
                }
                self.writers.unanalyzed.swap(0, Ordering::SeqCst);
                since
            }
            Loaded::Area if rows < ANALYZE_AFTER_ROWS => return Ok(()),
            Loaded::Area => rows,
        };
        if rows == 0 {
            return Ok(());
        }
        let tables: &[&str] = match table {
            Loaded::Observation => &["observation", "batch"],
            Loaded::Area => &["area"],
        };
        match &self.pool {
            crate::Pool::Postgres(p) => {
                sqlx::query(sqlx::AssertSqlSafe(format!("ANALYZE {}", tables.join(", ")))).execute(p).await?;
            }
            // A bounded sample per index (analysis_limit), so that it stays quick at any size.
            // `batch` keeps no statistics on SQLite: it is only ever joined by its id, and it
            // grows by orders of magnitude during a deadline (a batch per form). Statistics
            // taken while it held a few rows made SQLite scan the whole of it for every
            // observation it joined (a village's form went from 0.1 s to seconds as batches
            // accumulated); without them the planner assumes a large table and looks each
            // batch up by its id.
            crate::Pool::Sqlite(p) => {
                let each: String = tables.iter().filter(|t| **t != "batch").map(|t| format!(" ANALYZE {t};")).collect();
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "PRAGMA analysis_limit = 1000;{each} DELETE FROM sqlite_stat1 WHERE tbl = 'batch'; ANALYZE sqlite_schema;"
                )))
                .execute(p)
                .await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Backend, ImportOptions, formats::Format, on_pool};

    #[test]
    fn overload_is_told_apart_from_failure() {
        assert!(StoreError::Busy("queue full".into()).is_overloaded());
        assert!(StoreError::Db(sqlx::Error::PoolTimedOut).is_overloaded());
        assert!(!StoreError::Corrupt("x".into()).is_overloaded());
        assert!(!StoreError::Db(sqlx::Error::RowNotFound).is_overloaded());
    }

    /// The queue is bounded by the work ahead, not by a count: two hundred quick forms wait,
    /// a few imports that each hold a turn for seconds are refused, and so is anything past
    /// the hard bound.
    #[tokio::test]
    async fn the_queue_is_bounded_by_its_expected_wait() {
        let gate = WriterGate::new(8);
        assert_eq!(gate.refusal(200, "imported"), None, "no import measured yet: nothing to expect");
        // Imports that hold their turn 30 ms: 200 ahead are 0.75 s of work over 8 writers.
        for _ in 0..20 {
            let turn = WriterTurn { _permit: gate.turn.acquire().await.unwrap(), gate: &gate, since: std::time::Instant::now() };
            tokio::time::sleep(Duration::from_millis(30)).await;
            drop(turn);
        }
        let expected = gate.expected_wait(200);
        assert!(expected > Duration::from_millis(700) && expected < Duration::from_millis(1500), "{expected:?}");
        assert_eq!(gate.refusal(200, "imported"), None);
        assert!(gate.refusal(MAX_WAITING, "imported").is_some(), "the hard bound");
        // One bulk load of a minute among them changes nothing.
        gate.held.lock().unwrap().push_back(60_000_000);
        assert_eq!(gate.refusal(200, "imported"), None, "one long import does not make forms look long");
        // Imports of 6 s each: 40 ahead are 30 s of work, past the bound; a short queue waits
        // whatever its imports.
        {
            let mut held = gate.held.lock().unwrap();
            held.clear();
            held.extend([6_000_000; RECENT_TURNS]);
        }
        let why = gate.refusal(40, "submitted").expect("refused");
        assert!(why.contains("40 imports are waiting") && why.contains("30.0 s") && why.contains("nothing was submitted"), "{why}");
        assert_eq!(gate.refusal(ALWAYS_WAIT - 1, "submitted"), None, "a short queue waits");
    }

    #[tokio::test]
    async fn a_bulk_load_refreshes_the_statistics_and_the_wal_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        for url in crate::testing::fresh_urls(dir.path()).await {
            let s = Store::connect(&url).await.unwrap();
            s.seed_reference().await.unwrap();
            let counties: Vec<String> = rightstat_core::reference::areas()
                .iter()
                .filter(|a| a.level == rightstat_core::AreaLevel::County)
                .map(|a| a.code.to_string())
                .collect();
            let mut csv = String::from("indicator,area,period,value\n");
            for year in 2019..2023 {
                for c in &counties {
                    csv.push_str(&format!("CN_RURAL_POOR_POP,{c},{year},1\n"));
                }
            }
            let rows = 4 * counties.len() as u64;
            assert!(rows >= ANALYZE_AFTER_ROWS);
            let mut o = ImportOptions::new("bulk.csv", Format::Csv);
            o.reason = "test: a bulk load".into();
            let r = s.import_observations(std::io::Cursor::new(csv.into_bytes()), o).await.unwrap();
            assert_eq!(r.inserted, rows);
            match s.backend() {
                Backend::Postgres => {
                    let analyzed: Option<String> = on_pool!(s, p => sqlx::query_scalar(
                        "SELECT last_analyze::text FROM pg_stat_user_tables WHERE relname = 'observation'").fetch_one(p).await.unwrap());
                    assert!(analyzed.is_some(), "ANALYZE ran after the bulk load");
                }
                Backend::Sqlite => {
                    let limit: i64 = on_pool!(s, p => sqlx::query_scalar("PRAGMA journal_size_limit").fetch_one(p).await.unwrap());
                    assert_eq!(limit as u64, WAL_SIZE_LIMIT);
                    // ANALYZE ran: sqlite_stat1 holds the observation table.
                    let stats: i64 = on_pool!(s, p => sqlx::query_scalar(
                        "SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'observation'").fetch_one(p).await.unwrap());
                    assert!(stats > 0, "statistics gathered");
                    // None for batch, which held one row when it was analysed: with them, the
                    // observation query scanned every batch for every row it read.
                    let batch: i64 = on_pool!(s, p => sqlx::query_scalar(
                        "SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'batch'").fetch_one(p).await.unwrap());
                    assert_eq!(batch, 0);
                    let plan: Vec<(i64, i64, i64, String)> = on_pool!(s, p => sqlx::query_as(
                        "EXPLAIN QUERY PLAN SELECT o.value FROM observation o JOIN batch b ON b.id = o.batch_id \
                         WHERE o.indicator_code = 'CN_RURAL_POOR_POP' AND o.area_code IN ('130102', '130104')")
                        .fetch_all(p).await.unwrap());
                    let plan: Vec<&str> = plan.iter().map(|r| r.3.as_str()).collect();
                    assert!(!plan.iter().any(|step| step.starts_with("SCAN b")), "{plan:?}");
                }
            }
        }
    }

    /// The `i`-th queued file: one figure for 2099, in a county of its own.
    fn file(i: usize) -> Vec<u8> {
        let counties: Vec<String> = rightstat_core::reference::areas()
            .iter()
            .filter(|a| a.level == rightstat_core::AreaLevel::County)
            .map(|a| a.code.to_string())
            .collect();
        format!("indicator,area,period,value\nCN_RURAL_POOR_POP,{},2099,100\n", counties[i]).into_bytes()
    }

    #[tokio::test]
    async fn waiting_imports_hold_no_connection_and_a_full_queue_is_refused_whole() {
        let dir = tempfile::tempdir().unwrap();
        for url in crate::testing::fresh_urls(dir.path()).await {
            let s = Store::connect(&url).await.unwrap();
            s.seed_reference().await.unwrap();
            // Long imports hold every turn.
            let turn = s.writers.turn.acquire_many(s.writers.turn.available_permits() as u32).await.unwrap();
            let spawn = |i: usize| {
                let s = s.clone();
                tokio::spawn(async move {
                    let mut o = ImportOptions::new(format!("queued-{i}.csv"), Format::Csv);
                    o.reason = "test: a deadline's queue".into();
                    s.import_observations(std::io::Cursor::new(file(i)), o).await
                })
            };
            let mut waiting: Vec<_> = (0..MAX_WAITING).map(spawn).collect();
            while s.waiting_imports() < MAX_WAITING {
                tokio::task::yield_now().await;
            }
            // The queue is full: the next ones are refused at once, whole.
            let refused: Vec<_> = (MAX_WAITING..MAX_WAITING + 8).map(spawn).collect();
            for h in refused {
                match h.await.unwrap() {
                    Err(StoreError::Busy(m)) => assert!(m.contains("nothing was imported"), "{m}"),
                    other => panic!("{other:?}"),
                }
            }
            // Reads go on while the imports wait: they hold no pooled connection (the pools have
            // 4 and 16 connections; 512 imports wait).
            for _ in 0..20 {
                let cat = tokio::time::timeout(Duration::from_secs(10), s.catalogue()).await.expect("a read is not starved");
                assert!(!cat.unwrap().indicators.is_empty());
            }
            drop(turn);
            for h in waiting.drain(..) {
                let r = h.await.unwrap().unwrap();
                assert!(r.is_ok() && r.inserted == 1, "{r:?}");
            }
            // Nothing lost, nothing doubled: one batch and one figure per accepted import.
            let rows = s
                .observations(&crate::ObservationFilter {
                    indicators: vec!["CN_RURAL_POOR_POP".into()],
                    visibility: crate::Visibility::All,
                    ..Default::default()
                })
                .await
                .unwrap();
            assert_eq!(rows.iter().filter(|o| o.period == "2099").count(), MAX_WAITING, "{url}");
        }
    }
}
