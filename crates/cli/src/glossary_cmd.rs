//! `rightstat glossary …`: the local policy terms the reports explain, and their preferred
//! wording in international human-rights law.

use anyhow::{Context, Result};
use clap::Subcommand;
use rightstat_store::{Actor, Store};
use std::io::Write;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum GlossaryCmd {
    /// List the terms: Chinese, literal English, preferred wording.
    List,
    /// Add or replace terms from a TOML file of `[[term]]` tables (as reference/glossary.toml),
    /// all or nothing.
    Import { file: PathBuf },
}

#[derive(serde::Deserialize)]
struct File {
    term: Vec<rightstat_core::glossary::Term>,
}

pub async fn run(store: &Store, cmd: GlossaryCmd, actor: &Actor) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match cmd {
        GlossaryCmd::List => {
            for t in store.glossary().await? {
                writeln!(out, "{}\t{}\t{}", t.zh, t.literal_en, t.preferred_en)?;
            }
        }
        GlossaryCmd::Import { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let f: File = toml::from_str(&text).with_context(|| format!("{}: not a glossary file", file.display()))?;
            let u = store.put_glossary(&f.term, actor).await.with_context(|| format!("{}: nothing saved", file.display()))?;
            writeln!(out, "{}: {} added, {} changed, {} unchanged", file.display(), u.added, u.changed, u.unchanged)?;
        }
    }
    Ok(())
}
