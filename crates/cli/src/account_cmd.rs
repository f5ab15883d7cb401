//! `rightstat user|token|audit`: accounts, API tokens and the audit trail.

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use rightstat_core::policy::{Grant, Role};
use rightstat_store::{Actor, AuditFilter, Store};
use std::io::{BufRead, Write};
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Create an account. The password is read from standard input (one line), or from
    /// RIGHTSTAT_PASSWORD, never from the command line.
    Add {
        username: String,
        /// Full name or office shown in the audit trail.
        #[arg(long)]
        name: String,
    },
    /// List accounts with their grants.
    List,
    /// Disable an account (its sessions end at once); --enable re-enables it.
    Disable {
        username: String,
        #[arg(long)]
        enable: bool,
    },
    /// Give a role over an area subtree, optionally for one department.
    Grant {
        username: String,
        #[command(flatten)]
        grant: GrantArgs,
    },
    /// Set a new password (read like `user add`); ends the user's sessions.
    Password { username: String },
}

/// A role over an area subtree, optionally for one department.
#[derive(Args, Debug)]
pub struct GrantArgs {
    /// administrator, coordinator, reporter, reviewer or analyst.
    #[arg(long)]
    role: Role,
    /// Root of the area subtree (CN for the whole country).
    #[arg(long)]
    area: String,
    /// Department code (see GET /api/v1/departments).
    #[arg(long)]
    department: Option<String>,
}

impl GrantArgs {
    fn grant(self) -> Grant {
        Grant { role: self.role, department: self.department, area: self.area }
    }
}

#[derive(Subcommand, Debug)]
pub enum TokenCmd {
    /// Create a token with one grant, within the user's own. The secret is printed once.
    Create {
        #[arg(long)]
        user: String,
        /// What the token is for, e.g. "provincial ETL".
        #[arg(long)]
        name: String,
        #[command(flatten)]
        grant: GrantArgs,
        /// Days until it expires (1-366).
        #[arg(long, default_value_t = 90)]
        days: i64,
    },
    /// Revoke a token at once.
    Revoke { id: i64 },
    /// List tokens (never their secrets).
    List,
}

#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// Check the hash chain; exit 1 and name the first broken link if any record was edited
    /// or removed.
    Verify,
    /// Show records, newest first.
    List {
        #[arg(long)]
        actor: Option<String>,
        #[arg(long)]
        action: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// As CSV.
        #[arg(long)]
        csv: bool,
    },
}

fn read_password() -> Result<String> {
    if let Ok(p) = std::env::var("RIGHTSTAT_PASSWORD") {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from standard input")?;
    let p = line.trim_end_matches(['\r', '\n']).to_string();
    if p.is_empty() {
        bail!("no password: give it on standard input (e.g. `echo ... | rightstat user add`) or in RIGHTSTAT_PASSWORD");
    }
    Ok(p)
}

fn grant_text(g: &Grant) -> String {
    match &g.department {
        Some(d) => format!("{}@{} ({d})", g.role, g.area),
        None => format!("{}@{}", g.role, g.area),
    }
}

pub async fn user(store: &Store, cmd: UserCmd) -> Result<ExitCode> {
    let actor = Actor::cli();
    match cmd {
        UserCmd::Add { username, name } => {
            let pw = read_password()?;
            store.create_user(&username, &name, &pw, &actor).await?;
            println!("user {username} created; give it a role with `rightstat user grant {username} --role ... --area ...`");
        }
        UserCmd::List => {
            let mut out = std::io::stdout().lock();
            for u in store.users().await? {
                let state = if u.disabled {
                    " [disabled]"
                } else if u.locked_until.is_some() {
                    " [locked until]"
                } else {
                    ""
                };
                let grants: Vec<String> = u.grants.iter().map(grant_text).collect();
                writeln!(out, "{:<16} {:<40} {}{state}", u.username, u.display_name, grants.join(", "))?;
            }
        }
        UserCmd::Disable { username, enable } => {
            store.set_user_disabled(&username, !enable, &actor).await?;
            println!("user {username} {}", if enable { "enabled" } else { "disabled" });
        }
        UserCmd::Grant { username, grant } => {
            let g = grant.grant();
            store.grant(&username, &g, &actor).await?;
            println!("{username}: {}", grant_text(&g));
        }
        UserCmd::Password { username } => {
            let pw = read_password()?;
            store.set_password(&username, &pw, &actor).await?;
            println!("password of {username} changed; its sessions have ended");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn token(store: &Store, cmd: TokenCmd) -> Result<ExitCode> {
    let actor = Actor::cli();
    match cmd {
        TokenCmd::Create { user, name, grant, days } => {
            let g = grant.grant();
            let (id, secret) = store.create_token(&user, &name, &g, days, &actor).await?;
            eprintln!(
                "token {id} for {user} ({}), valid {days} days. The secret is shown once; send it as `Authorization: Bearer <secret>`:",
                grant_text(&g)
            );
            println!("{secret}");
        }
        TokenCmd::Revoke { id } => {
            store.revoke_token(id, &actor).await?;
            println!("token {id} revoked");
        }
        TokenCmd::List => {
            let mut out = std::io::stdout().lock();
            for t in store.tokens().await? {
                let state = if t.revoked_at.is_some() { "revoked".to_string() } else { format!("expires {}", t.expires_at) };
                writeln!(out, "{:>4} {:<16} {:<24} {:<32} {state}", t.id, t.username, t.name, grant_text(&t.grant))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn audit(store: &Store, cmd: AuditCmd) -> Result<ExitCode> {
    match cmd {
        AuditCmd::Verify => {
            let check = store.verify_audit().await?;
            match check.broken {
                None => {
                    println!("audit trail intact: {} records", check.records);
                    Ok(ExitCode::SUCCESS)
                }
                Some((seq, why)) => {
                    eprintln!("audit trail BROKEN at record {seq}: {why}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        AuditCmd::List { actor, action, limit, csv } => {
            let rows = store.audit_log(&AuditFilter { actor, action, limit: Some(limit), ..Default::default() }).await?;
            let mut out = std::io::stdout().lock();
            if csv {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(["seq", "at", "actor", "ip", "action", "entity", "entity_id", "old_value", "new_value", "reason", "hash"])?;
                for r in rows {
                    w.write_record([
                        r.seq.to_string(),
                        r.at,
                        r.actor,
                        r.ip.unwrap_or_default(),
                        r.action,
                        r.entity,
                        r.entity_id,
                        r.old_value.unwrap_or_default(),
                        r.new_value.unwrap_or_default(),
                        r.reason,
                        r.hash,
                    ])?;
                }
                w.flush()?;
            } else {
                for r in rows {
                    writeln!(
                        out,
                        "{:>6} {} {:<14} {:<22} {}:{} {}",
                        r.seq,
                        r.at,
                        r.actor,
                        r.action,
                        r.entity,
                        r.entity_id,
                        r.new_value.unwrap_or_default()
                    )?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
