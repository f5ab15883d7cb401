//! The audit trail: an append-only, hash-chained record of every change.
//!
//! Each record's hash is SHA-256 over the previous hash and the record's fields; `audit_head`
//! keeps the newest link. Editing or deleting any record — including the newest — breaks the
//! chain, which [`Store::verify_audit`] finds. Records are written inside the transaction of
//! the change they describe (the `append_audit!` macro), so a change and its record commit or
//! roll back together, and no code path can skip it.

use crate::{Result, Store, on_pool};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash before the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who made a change, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub ip: Option<String>,
}

impl Actor {
    pub fn new(name: impl Into<String>, ip: Option<String>) -> Self {
        Actor { name: name.into(), ip }
    }

    /// Changes made by RightStat itself (seeding reference content, the demo).
    pub fn system() -> Self {
        Actor::new("system", None)
    }

    /// The operating-system user running the CLI.
    pub fn cli() -> Self {
        let user = ["USER", "LOGNAME", "USERNAME"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|u| !u.trim().is_empty()))
            .or_else(os_user)
            .unwrap_or_else(|| "unknown".into());
        Actor::new(format!("cli:{user}"), None)
    }
}

/// The name of the user running this process when the environment does not say (a cron job or
/// a container often sets no `USER`): its uid looked up in `/etc/passwd`, else `uid N`.
fn os_user() -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let uid = std::fs::metadata("/proc/self").ok()?.uid();
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        let name = passwd.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() > 2 && f[2] == uid.to_string()).then(|| f[0].to_string())
        });
        Some(name.unwrap_or_else(|| format!("uid {uid}")))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// One change to record.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    pub actor: &'a Actor,
    /// e.g. `observations.import`, `user.create`, `indicator.update`.
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: &'a str,
}

/// A stored record.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub ip: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of a link: length-prefixed fields, so no two records can serialise alike.
#[allow(clippy::too_many_arguments)]
pub(crate) fn link_hash(
    prev: &str,
    seq: i64,
    at: &str,
    actor: &str,
    ip: Option<&str>,
    action: &str,
    entity: &str,
    entity_id: &str,
    old: Option<&str>,
    new: Option<&str>,
    reason: &str,
) -> String {
    let mut h = Sha256::new();
    let seq = seq.to_string();
    for field in
        [Some(prev), Some(seq.as_str()), Some(at), Some(actor), ip, Some(action), Some(entity), Some(entity_id), old, new, Some(reason)]
    {
        match field {
            Some(f) => {
                h.update((f.len() as u64).to_le_bytes());
                h.update(f.as_bytes());
            }
            None => h.update(u64::MAX.to_le_bytes()),
        }
    }
    hex::encode(h.finalize())
}

/// Appends `$entry` inside an open transaction. `$conn` is `&mut` to the connection, `$pg`
/// whether it is PostgreSQL; SQLite has a single writer.
///
/// On PostgreSQL the record is written to `audit_pending`, without its place in the chain and
/// without waiting for the chain's turn; a deferred trigger links the transaction's records at
/// its commit (migration 0019): it takes the head row (`FOR UPDATE`), computes each link's hash
/// as [`link_hash`] does, and moves the head. The turn is held from that trigger to the end of
/// the commit, with no round trip to the application in between, so concurrent changes wait on
/// each other for a commit's length only. On SQLite, which has one writer, the record is linked
/// here.
macro_rules! append_audit {
    ($conn:expr, $pg:expr, $entry:expr) => {{
        let c = $conn;
        let e: &$crate::audit::AuditEntry<'_> = $entry;
        let at = $crate::now_rfc3339();
        let ip = e.actor.ip.as_deref();
        if $pg {
            sqlx::query(
                "INSERT INTO audit_pending (at, actor, ip, action, entity, entity_id, old_value, new_value, reason) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&at).bind(&e.actor.name).bind(ip).bind(e.action).bind(e.entity).bind(e.entity_id)
            .bind(e.old_value.as_deref()).bind(e.new_value.as_deref()).bind(e.reason)
            .execute(&mut *c)
            .await?;
        } else {
            // A write first: a transaction whose first statement reads holds a snapshot, and
            // its first write then fails at once ("database is locked") if another writer
            // committed meanwhile; a write first waits for the writer's lock instead (two
            // concurrent `record_audit`s, e.g. failed logins, failed before).
            sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1").execute(&mut *c).await?;
            let head: Option<(i64, String)> =
                sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_optional(&mut *c).await?;
            let (prev_seq, prev_hash) = head.unwrap_or((0, $crate::audit::GENESIS.to_string()));
            let seq = prev_seq + 1;
            let hash = $crate::audit::link_hash(
                &prev_hash, seq, &at, &e.actor.name, ip, e.action, e.entity, e.entity_id,
                e.old_value.as_deref(), e.new_value.as_deref(), e.reason,
            );
            sqlx::query(
                "INSERT INTO audit_log (seq, at, actor, ip, action, entity, entity_id, old_value, new_value, reason, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(seq).bind(&at).bind(&e.actor.name).bind(ip).bind(e.action).bind(e.entity).bind(e.entity_id)
            .bind(e.old_value.as_deref()).bind(e.new_value.as_deref()).bind(e.reason).bind(&prev_hash).bind(&hash)
            .execute(&mut *c)
            .await?;
            sqlx::query("INSERT INTO audit_head (id, seq, hash) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash")
                .bind(seq).bind(&hash).execute(&mut *c).await?;
        }
    }};
}
pub(crate) use append_audit;

/// Filter for reading the trail.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub entity: Option<String>,
    /// Records at or after this instant (RFC 3339 prefix, e.g. `2026-11-29`).
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<i64>,
}

/// Result of checking the chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditCheck {
    pub records: u64,
    /// The first broken link: its sequence number and what is wrong.
    pub broken: Option<(i64, String)>,
}

const AUDIT_COLS: &str = "seq, at, actor, ip, action, entity, entity_id, old_value, new_value, reason, prev_hash, hash";

fn audit_row<R: sqlx::Row>(r: &R) -> Result<AuditRow>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(AuditRow {
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        ip: r.try_get("ip")?,
        action: r.try_get("action")?,
        entity: r.try_get("entity")?,
        entity_id: r.try_get("entity_id")?,
        old_value: r.try_get("old_value")?,
        new_value: r.try_get("new_value")?,
        reason: r.try_get("reason")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

impl Store {
    /// Records an event that is not part of another change (a failed login, a lockout).
    pub async fn record_audit(&self, entry: &AuditEntry<'_>) -> Result<()> {
        let pg = self.backend() == crate::Backend::Postgres;
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            append_audit!(&mut *tx, pg, entry);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Audit records, newest first.
    pub async fn audit_log(&self, f: &AuditFilter) -> Result<Vec<AuditRow>> {
        let mut sql = format!("SELECT {AUDIT_COLS} FROM audit_log WHERE 1 = 1");
        let mut params: Vec<String> = Vec::new();
        for (col, op, v) in
            [("actor", "=", &f.actor), ("action", "=", &f.action), ("entity", "=", &f.entity), ("at", ">=", &f.from), ("at", "<=", &f.to)]
        {
            if let Some(v) = v {
                params.push(v.clone());
                sql.push_str(&format!(" AND {col} {op} ${}", params.len()));
            }
        }
        sql.push_str(&format!(" ORDER BY seq DESC LIMIT {}", f.limit.unwrap_or(1000).clamp(1, 100_000)));
        on_pool!(self, p => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
            for v in &params {
                q = q.bind(v.as_str());
            }
            q.fetch_all(p).await?.iter().map(audit_row).collect()
        })
    }

    /// Walks the whole chain and reports the first broken link.
    pub async fn verify_audit(&self) -> Result<AuditCheck> {
        let sql = format!("SELECT {AUDIT_COLS} FROM audit_log ORDER BY seq");
        let rows: Vec<AuditRow> = on_pool!(self, p => sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).fetch_all(p).await?
            .iter().map(audit_row).collect::<Result<Vec<_>>>()?);
        let head: Option<(i64, String)> =
            on_pool!(self, p => sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_optional(p).await?);
        let mut prev = GENESIS.to_string();
        for (i, r) in rows.iter().enumerate() {
            let expected_seq = i as i64 + 1;
            let broken = |why: String| Ok(AuditCheck { records: rows.len() as u64, broken: Some((expected_seq, why)) });
            if r.seq != expected_seq {
                return broken(format!("record {expected_seq} is missing (next is {})", r.seq));
            }
            if r.prev_hash != prev {
                return broken("its link to the previous record does not match (a record before it was changed or removed)".into());
            }
            let h = link_hash(
                &r.prev_hash,
                r.seq,
                &r.at,
                &r.actor,
                r.ip.as_deref(),
                &r.action,
                &r.entity,
                &r.entity_id,
                r.old_value.as_deref(),
                r.new_value.as_deref(),
                &r.reason,
            );
            if h != r.hash {
                return broken("its content does not match its hash (the record was edited)".into());
            }
            prev = r.hash.clone();
        }
        let n = rows.len() as i64;
        match head {
            Some((seq, hash)) if seq != n || hash != prev => Ok(AuditCheck {
                records: n as u64,
                broken: Some((n + 1, format!("the newest record should be {seq}, but the trail ends at {n}: records were removed"))),
            }),
            None if n > 0 => Ok(AuditCheck { records: n as u64, broken: Some((1, "the chain head is missing".into())) }),
            _ => Ok(AuditCheck { records: n as u64, broken: None }),
        }
    }
}
