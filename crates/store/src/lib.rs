//! RightStat storage: one API over an embedded SQLite file or a PostgreSQL server.
//!
//! Two concrete sqlx pools sit behind [`Store`]; most queries are written once, with `$n`
//! placeholders that both databases accept, and run on either pool through the `on_pool!`
//! macro. Only what must differ (bulk loading: COPY on PostgreSQL, batched inserts on SQLite)
//! is written per backend. Each backend has its own migrations folder.

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

pub mod accounts;
mod areas;
pub mod audit;
pub mod benchmarks;
mod catalog;
pub mod collection;
pub(crate) mod csv_guard;
mod demo;
pub mod dialogue;
pub mod drafts;
pub mod evaluation;
pub mod follow_up;
pub mod formats;
mod generational;
pub mod glossary;
pub mod import;
mod lists;
mod observations;
pub mod recommendations;
pub mod release;
pub mod reporting;
pub mod resources;
pub mod retrogression;
pub mod review;
mod roll_up;
mod seed;
pub mod sources;
pub mod spreadsheet;
mod task_move;
mod tasks;
pub mod testing;
pub(crate) mod time;
pub mod validation;
pub mod value_history;
pub mod writers;

pub use accounts::{Credential, LoginError, Principal, TokenRow, UserRow};
pub use areas::{AreaIndex, AreaRow};
pub use audit::{Actor, AuditCheck, AuditEntry, AuditFilter, AuditRow};
pub use catalog::{DepartmentRow, IndicatorRow};
pub use demo::{DEMO_PASSWORD, DEMO_USERS, DemoFollowUp, series_to_import_csv};
pub use import::{ImportOptions, ImportReport, RevisedRelease, RowError};
pub use observations::{BatchRow, ObservationFilter, ObservationRow, Visibility};
pub use time::{beijing_time, now_rfc3339, parse_instant, parse_instant_or_date, rfc3339_after};

/// Errors from storage. Row-level problems of an import are not errors: they come back in
/// the [`ImportReport`].
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL '{0}': use sqlite://FILE or postgres://...")]
    BadUrl(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("cannot read input: {0}")]
    Io(#[from] std::io::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Too many writers waiting, or waited too long: nothing was done; try again later.
    #[error("busy: {0}")]
    Busy(String),
}

impl StoreError {
    /// The database is overloaded rather than broken: too many writers queued (`Busy`), no
    /// pooled connection free in time, or SQLite's writer lock held past its timeout. Nothing was
    /// done, and the request can be sent again (the server answers 503 with `Retry-After`).
    pub fn is_overloaded(&self) -> bool {
        match self {
            StoreError::Busy(_) | StoreError::Db(sqlx::Error::PoolTimedOut) => true,
            StoreError::Db(sqlx::Error::Database(d)) => {
                // SQLITE_BUSY (5), SQLITE_LOCKED (6) and their extended codes.
                d.code().is_some_and(|c| matches!(c.as_ref(), "5" | "6" | "261" | "262" | "517"))
                    || d.message().contains("database is locked")
            }
            _ => false,
        }
    }

    /// The database could not write for want of room (SQLite's SQLITE_FULL, PostgreSQL's
    /// disk_full 53100, or the operating system's ENOSPC): nothing was saved, and it is not the
    /// caller's fault.
    pub fn is_disk_full(&self) -> bool {
        match self {
            StoreError::Db(sqlx::Error::Database(e)) => {
                e.code().is_some_and(|c| c == "13" || c == "53100") || e.message().contains("disk is full")
            }
            StoreError::Io(e) => e.raw_os_error() == Some(28),
            StoreError::Db(sqlx::Error::Io(e)) => e.raw_os_error() == Some(28),
            _ => false,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// SQL placeholders `$from, …` for `n` bound values (an `IN (…)` list), on either backend.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same block on whichever pool the store holds; `$p` is bound to the pool.
macro_rules! on_pool {
    ($store:expr, $p:ident => $body:expr) => {
        match &$store.pool {
            $crate::Pool::Sqlite($p) => $body,
            $crate::Pool::Postgres($p) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The handle to the database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) pool: Pool,
    pub(crate) writers: std::sync::Arc<writers::WriterGate>,
    /// The area index and the catalogue as last read, each with the generation it was read at.
    pub(crate) area_cache: std::sync::Arc<generational::Generational<AreaIndex>>,
    pub(crate) catalogue_cache: std::sync::Arc<generational::Generational<rightstat_core::ingest::Catalogue>>,
    /// The dimensions of each indicator definition version read so far (a query reads the
    /// database only for a version not among them). A version is never changed once written
    /// (a new definition is a new version), so this never goes stale.
    pub(crate) dimensions: std::sync::Arc<std::sync::Mutex<std::sync::Arc<observations::Dimensions>>>,
}

impl Store {
    /// A store over `pool`, with its writers' gate (four writers at once on PostgreSQL, one
    /// on SQLite) and empty caches.
    fn on(pool: Pool) -> Store {
        let writers = match pool {
            Pool::Postgres(_) => writers::WRITERS_PG,
            Pool::Sqlite(_) => 1,
        };
        Store {
            pool,
            writers: std::sync::Arc::new(writers::WriterGate::new(writers)),
            area_cache: Default::default(),
            catalogue_cache: Default::default(),
            dimensions: Default::default(),
        }
    }

    /// Connects to `url` (`sqlite://FILE`, `sqlite::memory:`, a bare file path, or
    /// `postgres://...`), creating a SQLite file if it does not exist, and migrates.
    pub async fn connect(url: &str) -> Result<Store> {
        let store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
            Store::on(Pool::Postgres(pool))
        } else {
            let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
            if path.contains("://") {
                return Err(StoreError::BadUrl(url.to_string()));
            }
            let memory = path == ":memory:";
            let opts = SqliteConnectOptions::from_str(&format!("sqlite:{path}"))?
                .create_if_missing(true)
                .foreign_keys(true)
                .journal_mode(if memory { SqliteJournalMode::Memory } else { SqliteJournalMode::Wal })
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(30))
                // The write-ahead log is truncated back to this size after each checkpoint, so a
                // burst of writes while readers hold old snapshots does not leave it gigabytes long.
                .pragma("journal_size_limit", writers::WAL_SIZE_LIMIT.to_string());
            // An in-memory database lives in one connection: keep exactly one.
            let pool = SqlitePoolOptions::new()
                .max_connections(if memory { 1 } else { 4 })
                .min_connections(if memory { 1 } else { 0 })
                .idle_timeout(None)
                .connect_with(opts)
                .await?;
            Store::on(Pool::Sqlite(pool))
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Opens a database only to read it: nothing is created, migrated or written, so it works on
    /// a read-only file system or a copy of the file (a SQLite file is opened immutable). A
    /// database older than this program is refused with what to do, not read half-understood.
    pub async fn connect_read_only(url: &str) -> Result<Store> {
        let store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new().max_connections(2).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
            Store::on(Pool::Postgres(pool))
        } else {
            let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
            if path.contains("://") || path == ":memory:" {
                return Err(StoreError::BadUrl(url.to_string()));
            }
            if !std::path::Path::new(path).is_file() {
                return Err(StoreError::NotFound(format!("database file {path}")));
            }
            // Read-only first (it sees what a writer has committed to the write-ahead log); where
            // even that cannot open (a read-only file system, no room for the shared-memory
            // file), as an immutable file, which nobody can be writing to there.
            let ro = SqliteConnectOptions::from_str(&format!("sqlite:{path}"))?.read_only(true);
            let pool = match SqlitePoolOptions::new().max_connections(2).connect_with(ro.clone()).await {
                Ok(p) if sqlx::query("SELECT 1 FROM sqlite_master LIMIT 1").fetch_optional(&p).await.is_ok() => p,
                // Immutable ignores the write-ahead log: only safe when it holds nothing.
                _ if std::fs::metadata(format!("{path}-wal")).is_ok_and(|m| m.len() > 0) => {
                    return Err(StoreError::Invalid(
                        "the database's write-ahead log needs recovering, which needs write access: open it once with a command that writes".into(),
                    ));
                }
                _ => SqlitePoolOptions::new().max_connections(2).connect_with(ro.immutable(true)).await?,
            };
            Store::on(Pool::Sqlite(pool))
        };
        let shipped = match &store.pool {
            Pool::Sqlite(_) => sqlx::migrate!("migrations/sqlite").iter().count(),
            Pool::Postgres(_) => sqlx::migrate!("migrations/postgres").iter().count(),
        } as i64;
        let applied: i64 = on_pool!(&store, p => sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
            .fetch_one(p).await.unwrap_or(0));
        if applied < shipped {
            return Err(StoreError::Invalid(format!(
                "the database is older than this program ({applied} of {shipped} schema steps): open it once where it can be written (any command that writes, e.g. `rightstat init`) to upgrade it"
            )));
        }
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    async fn migrate(&self) -> Result<()> {
        match &self.pool {
            Pool::Sqlite(p) => sqlx::migrate!("migrations/sqlite").run(p).await?,
            Pool::Postgres(p) => sqlx::migrate!("migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// Checks the database answers (for `/healthz`).
    pub async fn ping(&self) -> Result<()> {
        on_pool!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Closes the connections, waiting for them: SQLite then folds its write-ahead log into the
    /// database file and removes it, so the next reader (even a read-only one) finds a clean file.
    pub async fn close(&self) {
        on_pool!(self, p => p.close().await)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_full_disk_is_told_apart() {
        assert!(super::StoreError::Io(std::io::Error::from_raw_os_error(28)).is_disk_full());
        assert!(!super::StoreError::Io(std::io::Error::from_raw_os_error(2)).is_disk_full());
        assert!(!super::StoreError::Invalid("x".into()).is_disk_full());
    }
}
