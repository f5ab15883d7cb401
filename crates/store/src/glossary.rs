//! The glossary the reports explain local terms with: shipped entries are added by
//! `seed_reference` where missing; administrators replace or add entries (all or nothing,
//! every change audited).

use crate::audit::{Actor, AuditEntry, append_audit};
use crate::{Backend, Result, Store, StoreError, on_pool};
use rightstat_core::glossary::{Term, check};

/// What a glossary update changed.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct GlossaryUpdate {
    pub added: u64,
    pub changed: u64,
    pub unchanged: u64,
}

impl Store {
    /// Every term, by its Chinese form.
    pub async fn glossary(&self) -> Result<Vec<Term>> {
        let rows: Vec<(String, String)> =
            on_pool!(self, p => sqlx::query_as("SELECT zh, body FROM glossary_term ORDER BY zh").fetch_all(p).await?);
        rows.into_iter()
            .map(|(zh, body)| serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("glossary term {zh}: {e}"))))
            .collect()
    }

    /// Adds or replaces terms (keyed by their Chinese form), all or nothing.
    pub async fn put_glossary(&self, terms: &[Term], actor: &Actor) -> Result<GlossaryUpdate> {
        check(terms).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let old: std::collections::HashMap<String, Term> = self.glossary().await?.into_iter().map(|t| (t.zh.clone(), t)).collect();
        let now = crate::now_rfc3339();
        let pg = self.backend() == Backend::Postgres;
        let mut out = GlossaryUpdate::default();
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            for t in terms {
                let before = old.get(&t.zh);
                if before == Some(t) {
                    out.unchanged += 1;
                    continue;
                }
                let body = serde_json::to_string(t).map_err(|e| StoreError::Invalid(e.to_string()))?;
                sqlx::query("INSERT INTO glossary_term (zh, body, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
                             ON CONFLICT (zh) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at, updated_by = excluded.updated_by")
                    .bind(&t.zh).bind(&body).bind(&now).bind(&actor.name).execute(&mut *tx).await?;
                let old_value = before.map(|b| serde_json::to_string(b).unwrap_or_default());
                append_audit!(&mut *tx, pg, &AuditEntry {
                    actor, action: if before.is_some() { "glossary.update" } else { "glossary.add" }, entity: "glossary", entity_id: &t.zh,
                    old_value, new_value: Some(body), reason: "",
                });
                if before.is_some() { out.changed += 1 } else { out.added += 1 }
            }
            tx.commit().await?;
        });
        Ok(out)
    }
}
