//! Users, role grants over areas, password sign-in with lockout, sessions and API tokens.
//!
//! Secrets are never stored: passwords as argon2id hashes, session cookies and API tokens as
//! SHA-256 digests of the random value handed out once.

use crate::audit::{Actor, AuditEntry, append_audit};
use crate::{Backend, Result, Store, StoreError, on_pool};
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use rightstat_core::policy::{Grant, Role};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Wrong passwords within [`FAILURE_WINDOW_SECS`] that lock the account.
pub const MAX_FAILURES: i64 = 6;
pub const FAILURE_WINDOW_SECS: i64 = 60;
/// How long a lockout lasts.
pub const LOCKOUT_SECS: i64 = 15 * 60;
/// Session lifetime.
pub const SESSION_SECS: i64 = 8 * 3600;
pub const MIN_PASSWORD_LEN: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub disabled: bool,
    pub locked_until: Option<String>,
    pub grants: Vec<Grant>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenRow {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub grant: Grant,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
}

/// How a request proved who it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Credential {
    /// A browser session; state-changing requests must carry this CSRF token.
    Session { csrf: String },
    /// An API token (no CSRF: it is not sent automatically by browsers).
    Token { id: i64 },
}

/// A signed-in user with the grants in force for this request (a token carries one).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Principal {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub grants: Vec<Grant>,
    #[serde(skip)]
    pub credential: Credential,
}

/// Why a sign-in failed. Deliberately coarse toward the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("wrong user name or password")]
    BadCredentials,
    #[error("account locked after repeated wrong passwords; try again after {0}")]
    Locked(String),
    #[error("account disabled")]
    Disabled,
}

pub fn hash_password(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Invalid(format!("cannot hash password: {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A fresh random secret, hex-encoded, with a prefix saying what it is.
pub fn new_secret(prefix: &str) -> Result<String> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf).map_err(|e| StoreError::Invalid(format!("no randomness: {e}")))?;
    Ok(format!("{prefix}{}", hex::encode(buf)))
}

pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn check_username(u: &str) -> Result<()> {
    if u.len() < 2 || u.len() > 64 || !u.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b)) {
        return Err(StoreError::Invalid(format!("user name {u:?}: 2-64 letters, digits, '.', '_', '-' or '@'")));
    }
    Ok(())
}

fn check_password(p: &str) -> Result<()> {
    if p.chars().count() < MIN_PASSWORD_LEN {
        return Err(StoreError::Invalid(format!("password too short: at least {MIN_PASSWORD_LEN} characters")));
    }
    Ok(())
}

fn parse_role(s: &str) -> Result<Role> {
    s.parse().map_err(StoreError::Corrupt)
}

impl Store {
    fn is_pg(&self) -> bool {
        self.backend() == Backend::Postgres
    }

    /// The area and its ancestors up to the country, following parent links.
    pub async fn area_chain(&self, code: &str) -> Result<Vec<String>> {
        let rows: Vec<(String, i64)> = on_pool!(self, p => sqlx::query_as(
            "WITH RECURSIVE up (code, parent_code, depth) AS ( \
               SELECT code, parent_code, depth FROM area WHERE code = $1 \
               UNION ALL SELECT a.code, a.parent_code, a.depth FROM area a JOIN up ON a.code = up.parent_code) \
             SELECT code, depth FROM up ORDER BY depth DESC")
            .bind(code).fetch_all(p).await?);
        Ok(rows.into_iter().map(|(c, _)| c).collect())
    }

    pub async fn create_user(&self, username: &str, display_name: &str, password: &str, actor: &Actor) -> Result<i64> {
        check_username(username)?;
        check_password(password)?;
        let hash = hash_password(password)?;
        let now = crate::now_rfc3339();
        let pg = self.is_pg();
        let id = on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM app_user WHERE username = $1").bind(username).fetch_optional(&mut *tx).await?;
            if taken.is_some() {
                return Err(StoreError::Invalid(format!("user {username} already exists")));
            }
            let id: i64 = sqlx::query_scalar("INSERT INTO app_user (username, display_name, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
                .bind(username).bind(display_name).bind(&hash).bind(&now).fetch_one(&mut *tx).await?;
            append_audit!(&mut *tx, pg, &AuditEntry {
                actor, action: "user.create", entity: "user", entity_id: username,
                old_value: None, new_value: Some(display_name.to_string()), reason: "",
            });
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    pub async fn set_password(&self, username: &str, password: &str, actor: &Actor) -> Result<()> {
        check_password(password)?;
        let hash = hash_password(password)?;
        let pg = self.is_pg();
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query("UPDATE app_user SET password_hash = $2, locked_until = NULL WHERE username = $1")
                .bind(username).bind(&hash).execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound(format!("user {username}")));
            }
            sqlx::query("DELETE FROM session WHERE user_id = (SELECT id FROM app_user WHERE username = $1)").bind(username).execute(&mut *tx).await?;
            append_audit!(&mut *tx, pg, &AuditEntry {
                actor, action: "user.password", entity: "user", entity_id: username, old_value: None, new_value: None, reason: "",
            });
            tx.commit().await?;
        });
        Ok(())
    }

    /// Disables (or re-enables) an account; a disabled account's sessions end at once.
    pub async fn set_user_disabled(&self, username: &str, disabled: bool, actor: &Actor) -> Result<()> {
        let pg = self.is_pg();
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let old: Option<i64> = sqlx::query_scalar("SELECT disabled FROM app_user WHERE username = $1").bind(username).fetch_optional(&mut *tx).await?;
            let Some(old) = old else { return Err(StoreError::NotFound(format!("user {username}"))) };
            sqlx::query("UPDATE app_user SET disabled = $2 WHERE username = $1").bind(username).bind(disabled as i64).execute(&mut *tx).await?;
            if disabled {
                sqlx::query("DELETE FROM session WHERE user_id = (SELECT id FROM app_user WHERE username = $1)").bind(username).execute(&mut *tx).await?;
            }
            append_audit!(&mut *tx, pg, &AuditEntry {
                actor, action: if disabled { "user.disable" } else { "user.enable" }, entity: "user", entity_id: username,
                old_value: Some((old != 0).to_string()), new_value: Some(disabled.to_string()), reason: "",
            });
            tx.commit().await?;
        });
        Ok(())
    }

    /// Gives a user a role over an area subtree (optionally for one department).
    pub async fn grant(&self, username: &str, grant: &Grant, actor: &Actor) -> Result<()> {
        if grant.role == Role::Public {
            return Err(StoreError::Invalid("public is the role of everyone without an account; it is not granted".into()));
        }
        if self.area(&grant.area).await?.is_none() {
            return Err(StoreError::NotFound(format!("area {}", grant.area)));
        }
        if let Some(d) = &grant.department
            && !self.departments().await?.iter().any(|x| &x.code == d)
        {
            return Err(StoreError::NotFound(format!("department {d}")));
        }
        let now = crate::now_rfc3339();
        let pg = self.is_pg();
        let desc = serde_json::to_string(grant).map_err(|e| StoreError::Invalid(e.to_string()))?;
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let uid: Option<i64> = sqlx::query_scalar("SELECT id FROM app_user WHERE username = $1").bind(username).fetch_optional(&mut *tx).await?;
            let Some(uid) = uid else { return Err(StoreError::NotFound(format!("user {username}"))) };
            let n = sqlx::query("INSERT INTO role_grant (user_id, role, department_code, area_code, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
                .bind(uid).bind(grant.role.as_str()).bind(grant.department.as_deref()).bind(&grant.area).bind(&now)
                .execute(&mut *tx).await?.rows_affected();
            if n > 0 {
                append_audit!(&mut *tx, pg, &AuditEntry {
                    actor, action: "user.grant", entity: "user", entity_id: username, old_value: None, new_value: Some(desc.clone()), reason: "",
                });
            }
            tx.commit().await?;
        });
        Ok(())
    }

    async fn grants_of(&self, user_id: i64) -> Result<Vec<Grant>> {
        let rows: Vec<(String, Option<String>, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT role, department_code, area_code FROM role_grant WHERE user_id = $1 ORDER BY id").bind(user_id).fetch_all(p).await?);
        rows.into_iter().map(|(r, department, area)| Ok(Grant { role: parse_role(&r)?, department, area })).collect()
    }

    pub async fn users(&self) -> Result<Vec<UserRow>> {
        let rows: Vec<(i64, String, String, i64, Option<String>)> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, username, display_name, disabled, locked_until FROM app_user ORDER BY username").fetch_all(p).await?);
        let mut out = Vec::new();
        for (id, username, display_name, disabled, locked_until) in rows {
            out.push(UserRow { id, username, display_name, disabled: disabled != 0, locked_until, grants: self.grants_of(id).await? });
        }
        Ok(out)
    }

    /// Checks a password. Wrong passwords are counted; the sixth within a minute locks the
    /// account for [`LOCKOUT_SECS`], during which even the right password is refused.
    pub async fn authenticate(
        &self,
        username: &str,
        password: &str,
        ip: Option<&str>,
    ) -> Result<std::result::Result<Principal, LoginError>> {
        let now = crate::now_rfc3339();
        let row: Option<(i64, String, String, i64, Option<String>)> = on_pool!(self, p => sqlx::query_as(
            "SELECT id, display_name, password_hash, disabled, locked_until FROM app_user WHERE username = $1")
            .bind(username).fetch_optional(p).await?);
        let actor = Actor::new(username, ip.map(String::from));
        let audit = |action: &'static str, reason: String| async move {
            self.record_audit(&AuditEntry {
                actor: &actor,
                action,
                entity: "user",
                entity_id: username,
                old_value: None,
                new_value: None,
                reason: &reason,
            })
            .await
        };
        let Some((id, display_name, hash, disabled, locked_until)) = row else {
            // Same cost as a real check, so timing does not reveal which user names exist.
            static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
            let dummy = DUMMY.get_or_init(|| hash_password("not a real password").unwrap_or_default());
            let _ = verify_password(password, dummy);
            return Ok(Err(LoginError::BadCredentials));
        };
        if let Some(until) = locked_until.filter(|u| u.as_str() > now.as_str()) {
            return Ok(Err(LoginError::Locked(until)));
        }
        if disabled != 0 {
            return Ok(Err(LoginError::Disabled));
        }
        if verify_password(password, &hash) {
            on_pool!(self, p => { sqlx::query("DELETE FROM login_failure WHERE username = $1").bind(username).execute(p).await?; });
            audit("session.login", String::new()).await?;
            return Ok(Ok(Principal {
                user_id: id,
                username: username.to_string(),
                display_name,
                grants: self.grants_of(id).await?,
                credential: Credential::Session { csrf: String::new() },
            }));
        }
        let since = crate::time::rfc3339_after(-FAILURE_WINDOW_SECS);
        let failures: i64 = on_pool!(self, p => {
            sqlx::query("INSERT INTO login_failure (username, at) VALUES ($1, $2)").bind(username).bind(&now).execute(p).await?;
            sqlx::query_scalar("SELECT COUNT(*) FROM login_failure WHERE username = $1 AND at > $2").bind(username).bind(&since).fetch_one(p).await?
        });
        if failures >= MAX_FAILURES {
            let until = crate::time::rfc3339_after(LOCKOUT_SECS);
            on_pool!(self, p => { sqlx::query("UPDATE app_user SET locked_until = $2 WHERE id = $1").bind(id).bind(&until).execute(p).await?; });
            audit("user.locked", format!("{failures} wrong passwords within {FAILURE_WINDOW_SECS} s; locked until {until}")).await?;
            return Ok(Err(LoginError::Locked(until)));
        }
        audit("session.failed", format!("wrong password ({failures} within {FAILURE_WINDOW_SECS} s)")).await?;
        Ok(Err(LoginError::BadCredentials))
    }

    /// Starts a session; returns the cookie value (shown once) and the CSRF token.
    pub async fn create_session(&self, user_id: i64, ip: Option<&str>) -> Result<(String, String)> {
        let secret = new_secret("rss_")?;
        let csrf = new_secret("")?;
        let (now, expires) = (crate::now_rfc3339(), crate::time::rfc3339_after(SESSION_SECS));
        on_pool!(self, p => {
            sqlx::query("INSERT INTO session (token_hash, user_id, csrf_token, created_at, expires_at, ip) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(digest(&secret)).bind(user_id).bind(&csrf).bind(&now).bind(&expires).bind(ip).execute(p).await?;
        });
        Ok((secret, csrf))
    }

    /// The principal of a live session (not expired, account enabled).
    pub async fn session_principal(&self, secret: &str) -> Result<Option<Principal>> {
        let now = crate::now_rfc3339();
        let row: Option<(i64, String, String, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT u.id, u.username, u.display_name, s.csrf_token FROM session s JOIN app_user u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = 0")
            .bind(digest(secret)).bind(&now).fetch_optional(p).await?);
        let Some((id, username, display_name, csrf)) = row else { return Ok(None) };
        Ok(Some(Principal {
            user_id: id,
            username,
            display_name,
            grants: self.grants_of(id).await?,
            credential: Credential::Session { csrf },
        }))
    }

    pub async fn end_session(&self, secret: &str, actor: &Actor) -> Result<()> {
        let n = on_pool!(self, p => sqlx::query("DELETE FROM session WHERE token_hash = $1").bind(digest(secret)).execute(p).await?.rows_affected());
        if n > 0 {
            self.record_audit(&AuditEntry {
                actor,
                action: "session.logout",
                entity: "user",
                entity_id: &actor.name,
                old_value: None,
                new_value: None,
                reason: "",
            })
            .await?;
        }
        Ok(())
    }

    /// Creates an API token for `username` with one grant, which must lie within the user's
    /// own grants (same role, an area inside one of its subtrees, same department if any).
    /// Returns the token's id and secret; the secret is not stored and cannot be shown again.
    pub async fn create_token(&self, username: &str, name: &str, grant: &Grant, days: i64, actor: &Actor) -> Result<(i64, String)> {
        if !(1..=366).contains(&days) {
            return Err(StoreError::Invalid("a token lives between 1 and 366 days".into()));
        }
        let user = self
            .users()
            .await?
            .into_iter()
            .find(|u| u.username == username)
            .ok_or_else(|| StoreError::NotFound(format!("user {username}")))?;
        let chain = self.area_chain(&grant.area).await?;
        if chain.is_empty() {
            return Err(StoreError::NotFound(format!("area {}", grant.area)));
        }
        let covered = user
            .grants
            .iter()
            .any(|g| g.role == grant.role && chain.contains(&g.area) && (g.department.is_none() || g.department == grant.department));
        if !covered {
            return Err(StoreError::Invalid(format!(
                "user {username} holds no {} grant covering area {}: a token cannot exceed its user's rights",
                grant.role, grant.area
            )));
        }
        let secret = new_secret("rst_")?;
        let (now, expires) = (crate::now_rfc3339(), crate::time::rfc3339_after(days * 86_400));
        let pg = self.is_pg();
        let desc = serde_json::to_string(grant).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let id = on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO api_token (user_id, name, token_hash, role, department_code, area_code, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
                .bind(user.id).bind(name).bind(digest(&secret)).bind(grant.role.as_str()).bind(grant.department.as_deref())
                .bind(&grant.area).bind(&now).bind(&expires).fetch_one(&mut *tx).await?;
            let id_text = id.to_string();
            append_audit!(&mut *tx, pg, &AuditEntry {
                actor, action: "token.create", entity: "token", entity_id: &id_text,
                old_value: None, new_value: Some(format!("{username} {name} {desc} until {expires}")), reason: "",
            });
            tx.commit().await?;
            id
        });
        Ok((id, secret))
    }

    pub async fn revoke_token(&self, id: i64, actor: &Actor) -> Result<()> {
        let now = crate::now_rfc3339();
        let pg = self.is_pg();
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query("UPDATE api_token SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                .bind(id).bind(&now).execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound(format!("active token {id}")));
            }
            let id_text = id.to_string();
            append_audit!(&mut *tx, pg, &AuditEntry {
                actor, action: "token.revoke", entity: "token", entity_id: &id_text, old_value: None, new_value: None, reason: "",
            });
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn tokens(&self) -> Result<Vec<TokenRow>> {
        let rows: Vec<(i64, String, String, String, Option<String>, String, String, String, Option<String>)> = on_pool!(self, p => sqlx::query_as(
            "SELECT t.id, u.username, t.name, t.role, t.department_code, t.area_code, t.created_at, t.expires_at, t.revoked_at \
             FROM api_token t JOIN app_user u ON u.id = t.user_id ORDER BY t.id").fetch_all(p).await?);
        rows.into_iter()
            .map(|(id, username, name, role, department, area, created_at, expires_at, revoked_at)| {
                Ok(TokenRow {
                    id,
                    username,
                    name,
                    grant: Grant { role: parse_role(&role)?, department, area },
                    created_at,
                    expires_at,
                    revoked_at,
                })
            })
            .collect()
    }

    /// The principal of a live API token: not revoked, not expired, account enabled. The
    /// token's single grant is all it carries.
    pub async fn token_principal(&self, secret: &str) -> Result<Option<Principal>> {
        let now = crate::now_rfc3339();
        let row: Option<(i64, i64, String, String, String, Option<String>, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT t.id, u.id, u.username, u.display_name, t.role, t.department_code, t.area_code FROM api_token t \
             JOIN app_user u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2 AND u.disabled = 0")
            .bind(digest(secret)).bind(&now).fetch_optional(p).await?);
        let Some((tid, uid, username, display_name, role, department, area)) = row else { return Ok(None) };
        Ok(Some(Principal {
            user_id: uid,
            username,
            display_name,
            grants: vec![Grant { role: parse_role(&role)?, department, area }],
            credential: Credential::Token { id: tid },
        }))
    }
}
