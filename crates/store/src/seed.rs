//! Loading the shipped reference content into an empty (or older) database.
//!
//! Seeding only adds what is missing: it never overwrites a codelist, area or indicator an
//! administrator has since changed. Indicators enter as version 1 of their definition.

use crate::{Result, Store, StoreError, on_pool};
use rightstat_core::reference;

impl Store {
    /// Adds the shipped codelists, units, areas, departments, ICESCR articles, SDG goals and
    /// indicator catalogue where missing. Idempotent.
    pub async fn seed_reference(&self) -> Result<()> {
        let now = crate::now_rfc3339();
        let codelists = reference::codelists();
        let (units, conversions) = reference::units();
        let areas = reference::areas();
        let departments = reference::departments();
        let glossary = reference::glossary();
        let articles = reference::icescr_articles();
        let goals = reference::sdg_goals();
        let indicators = reference::indicators();
        let pg = self.backend() == crate::Backend::Postgres;
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            for l in &codelists {
                sqlx::query("INSERT INTO codelist (id, name_en, name_zh, description) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING")
                    .bind(&l.id).bind(&l.name_en).bind(&l.name_zh).bind(&l.description)
                    .execute(&mut *tx).await?;
                for (i, c) in l.codes.iter().enumerate() {
                    sqlx::query("INSERT INTO code (codelist_id, code, name_en, name_zh, position) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (codelist_id, code) DO NOTHING")
                        .bind(&l.id).bind(&c.code).bind(&c.name_en).bind(&c.name_zh).bind(i as i64)
                        .execute(&mut *tx).await?;
                }
            }
            for u in &units {
                // A shipped unit's nature follows the reference (databases seeded before it was stated).
                sqlx::query("INSERT INTO unit (code, name_en, name_zh, people) VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO UPDATE SET people = $4")
                    .bind(&u.code).bind(&u.name_en).bind(&u.name_zh).bind(u.people)
                    .execute(&mut *tx).await?;
            }
            for c in &conversions {
                sqlx::query("INSERT INTO unit_conversion (from_unit, to_unit, multiply, divide) VALUES ($1, $2, $3, $4) ON CONFLICT (from_unit, to_unit) DO NOTHING")
                    .bind(&c.from).bind(&c.to).bind(c.multiply).bind(c.divide)
                    .execute(&mut *tx).await?;
            }
            crate::areas::insert_areas!(tx, &areas, false);
            for d in &departments {
                sqlx::query("INSERT INTO department (code, name_en, name_zh, area_code) VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO NOTHING")
                    .bind(&d.code).bind(&d.name_en).bind(&d.name_zh).bind(&d.area)
                    .execute(&mut *tx).await?;
            }
            for a in &articles {
                // The Chinese summary reaches databases seeded before it was shipped.
                sqlx::query("INSERT INTO icescr_article (number, title_en, title_zh, summary_en, summary_zh) VALUES ($1, $2, $3, $4, $5) \
                             ON CONFLICT (number) DO UPDATE SET summary_zh = excluded.summary_zh WHERE icescr_article.summary_zh = ''")
                    .bind(a.number as i64).bind(&a.title_en).bind(&a.title_zh).bind(&a.summary_en).bind(&a.summary_zh)
                    .execute(&mut *tx).await?;
            }
            for g in &goals {
                sqlx::query("INSERT INTO sdg_goal (goal, title_en, title_zh) VALUES ($1, $2, $3) ON CONFLICT (goal) DO NOTHING")
                    .bind(g.goal as i64).bind(&g.title_en).bind(&g.title_zh)
                    .execute(&mut *tx).await?;
                for t in &g.targets {
                    sqlx::query("INSERT INTO sdg_target (code, goal, text_en, text_zh) VALUES ($1, $2, $3, $4) \
                                 ON CONFLICT (code) DO UPDATE SET text_zh = excluded.text_zh WHERE sdg_target.text_zh = ''")
                        .bind(&t.code).bind(g.goal as i64).bind(&t.text_en).bind(&t.text_zh)
                        .execute(&mut *tx).await?;
                    for i in &t.indicators {
                        sqlx::query("INSERT INTO sdg_indicator (code, target, text_en, text_zh) VALUES ($1, $2, $3, $4) \
                                     ON CONFLICT (code) DO UPDATE SET text_zh = excluded.text_zh WHERE sdg_indicator.text_zh = ''")
                            .bind(&i.code).bind(&t.code).bind(&i.text_en).bind(&i.text_zh)
                            .execute(&mut *tx).await?;
                    }
                }
            }
            for i in &indicators {
                let exists: Option<(String,)> = sqlx::query_as("SELECT code FROM indicator WHERE code = $1")
                    .bind(&i.code).fetch_optional(&mut *tx).await?;
                if exists.is_none() {
                    sqlx::query("INSERT INTO indicator (code, current_version) VALUES ($1, 1)")
                        .bind(&i.code).execute(&mut *tx).await?;
                    crate::catalog::insert_version!(tx, i, 1i64, "shipped reference catalogue", &now);
                }
            }
            for t in &glossary {
                let body = serde_json::to_string(t).map_err(|e| StoreError::Invalid(e.to_string()))?;
                sqlx::query("INSERT INTO glossary_term (zh, body, updated_at, updated_by) VALUES ($1, $2, $3, 'system') ON CONFLICT (zh) DO NOTHING")
                    .bind(&t.zh).bind(&body).bind(&now).execute(&mut *tx).await?;
            }
            let summary = format!("{} codelists, {} units, {} areas, {} departments, {} indicators, {} glossary terms (added where missing)",
                codelists.len(), units.len(), areas.len(), departments.len(), indicators.len(), glossary.len());
            crate::audit::append_audit!(&mut *tx, pg, &crate::AuditEntry {
                actor: &crate::Actor::system(), action: "reference.seed", entity: "reference", entity_id: "shipped",
                old_value: None, new_value: Some(summary), reason: "",
            });
            tx.commit().await?;
        });
        self.fill_missing_texts(&indicators).await
    }

    /// A catalogue seeded before a shipped text existed (the Chinese definitions, say) gets it as
    /// a new version of each definition concerned — only texts that are empty are filled, so a
    /// text the lead department wrote is never replaced.
    async fn fill_missing_texts(&self, shipped: &[rightstat_core::indicator::Indicator]) -> Result<()> {
        for row in self.indicators().await? {
            let Some(s) = shipped.iter().find(|s| s.code == row.indicator.code) else { continue };
            let mut ind = row.indicator.clone();
            for (mine, theirs) in [
                (&mut ind.definition_zh, &s.definition_zh),
                (&mut ind.purpose_zh, &s.purpose_zh),
                (&mut ind.guidance_zh, &s.guidance_zh),
                (&mut ind.guidance_en, &s.guidance_en),
            ] {
                if mine.trim().is_empty() && !theirs.is_empty() {
                    mine.clone_from(theirs);
                }
            }
            if ind != row.indicator {
                self.put_indicator(&ind, "texts shipped with the reference catalogue, filled where empty", &crate::Actor::system()).await?;
            }
        }
        Ok(())
    }
}
