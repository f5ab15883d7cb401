//! Recommendations: importing the UPR Info export layout (all or nothing) and listing them.
//!
//! UPR Info gives each recommending State its own row; rows with the same session and text
//! become one recommendation with several recommending States. Files in the legacy Mac Roman
//! encoding of the original export are decoded.

use crate::audit::{Actor, AuditEntry, append_audit};
use crate::import::RowError;
use crate::{Backend, Result, Store, StoreError, on_pool};
use rightstat_core::recommendation::{Response, stable_id};
use serde::Serialize;
use std::collections::BTreeMap;

/// A recommendation as stored. Multi-valued fields are lists.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecommendationRow {
    pub uid: String,
    pub mechanism: String,
    pub state_under_review: String,
    pub cycle: Option<i64>,
    pub session: String,
    pub year: Option<i64>,
    pub text: String,
    pub response: Option<String>,
    pub action_category: Option<i64>,
    pub themes: Vec<String>,
    pub recommending_states: Vec<String>,
    pub regional_groups: Vec<String>,
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RecommendationImport {
    /// Data rows read.
    pub rows: u64,
    /// Distinct recommendations in the file.
    pub recommendations: u64,
    /// Of those, new to the database.
    pub new: u64,
    /// Already known (from an earlier import or another source): merged.
    pub merged: u64,
}

fn split(s: &str) -> Vec<String> {
    s.split('|').filter(|x| !x.is_empty()).map(String::from).collect()
}

fn join(v: &[String]) -> String {
    v.join("|")
}

fn union(into: &mut Vec<String>, more: &[String]) {
    for m in more {
        if !into.contains(m) {
            into.push(m.clone());
        }
    }
}

/// UTF-8, or else the Mac Roman of the original UPR Info export.
pub fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.trim_start_matches('\u{feff}').to_string(),
        Err(_) => encoding_rs::MACINTOSH.decode(bytes).0.into_owned(),
    }
}

/// Parses the UPR Info layout into recommendations, or every bad row.
fn parse_upr_info(text: &str, file: &str) -> std::result::Result<(u64, Vec<RecommendationRow>), Vec<RowError>> {
    let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let err = |row: u64, column: &str, value: &str, expected: &str| RowError {
        file: file.into(),
        row,
        column: column.into(),
        value: value.into(),
        expected: expected.into(),
    };
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![err(1, "-", "", &format!("a CSV header ({e})"))]),
    };
    let col = |n: &str| headers.iter().position(|h| h.trim() == n);
    let mut errors = Vec::new();
    for required in ["session", "recommending_state", "recommendation", "response"] {
        if col(required).is_none() {
            errors.push(err(1, required, "", "a column of the UPR Info export layout"));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let get = |r: &csv::StringRecord, n: &str| col(n).and_then(|i| r.get(i)).unwrap_or("").trim().to_string();
    let mut by_uid: BTreeMap<String, RecommendationRow> = BTreeMap::new();
    let mut rows = 0;
    for (i, rec) in rdr.records().enumerate() {
        let row = i as u64 + 2;
        rows += 1;
        let r = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(err(row, "-", "", &format!("a well-formed CSV record ({e})")));
                continue;
            }
        };
        let int = |n: &str, errors: &mut Vec<RowError>| -> Option<i64> {
            let v = get(&r, n);
            if v.is_empty() {
                return None;
            }
            v.parse().map_err(|_| errors.push(err(row, n, &v, "a whole number"))).ok()
        };
        let (cycle, year) = (int("cycle", &mut errors), int("year", &mut errors));
        let session = get(&r, "session");
        if session.parse::<u32>().is_err() {
            errors.push(err(row, "session", &session, "the UPR session number, e.g. 17"));
        }
        let text = get(&r, "recommendation");
        if text.is_empty() {
            errors.push(err(row, "recommendation", "", "the text of the recommendation"));
        }
        let response = match get(&r, "response") {
            v if v.is_empty() => None,
            v => match v.parse::<Response>() {
                Ok(x) => Some(x.as_str().to_string()),
                Err(e) => {
                    errors.push(err(row, "response", &v, e.split(": ").nth(1).unwrap_or("Supported or Noted")));
                    None
                }
            },
        };
        let action = int("action_category_1to5", &mut errors);
        if action.is_some_and(|a| !(1..=5).contains(&a)) {
            errors.push(err(row, "action_category_1to5", &get(&r, "action_category_1to5"), "1 (minimal action) to 5 (specific action)"));
        }
        let uid = stable_id("UPR", &session, &text);
        let list = |n: &str| get(&r, n).split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect::<Vec<_>>();
        let sur = get(&r, "state_under_review");
        let entry = by_uid.entry(uid.clone()).or_insert_with(|| RecommendationRow {
            uid,
            mechanism: "UPR".into(),
            state_under_review: if sur.is_empty() { "China".into() } else { sur },
            cycle,
            session: session.clone(),
            year,
            text: text.clone(),
            response: response.clone(),
            action_category: action,
            themes: Vec::new(),
            recommending_states: Vec::new(),
            regional_groups: Vec::new(),
            sources: vec![file.to_string()],
        });
        if entry.response != response {
            errors.push(err(
                row,
                "response",
                response.as_deref().unwrap_or(""),
                "the same response as the other rows of this recommendation",
            ));
        }
        union(&mut entry.themes, &list("issues"));
        union(&mut entry.recommending_states, &[get(&r, "recommending_state")].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>());
        union(&mut entry.regional_groups, &list("recommending_regional_group"));
    }
    if errors.is_empty() { Ok((rows, by_uid.into_values().collect())) } else { Err(errors) }
}

impl Store {
    /// Imports a UPR Info export, all or nothing; known recommendations are merged.
    pub async fn import_upr_info(
        &self,
        bytes: &[u8],
        file: &str,
        actor: &Actor,
    ) -> Result<std::result::Result<RecommendationImport, Vec<RowError>>> {
        let text = decode(bytes);
        let (rows, recs) = match parse_upr_info(&text, file) {
            Ok(x) => x,
            Err(e) => return Ok(Err(e)),
        };
        let mut report = RecommendationImport { rows, recommendations: recs.len() as u64, ..Default::default() };
        let now = crate::now_rfc3339();
        let pg = self.backend() == Backend::Postgres;
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            for r in &recs {
                let existing: Option<(String, String, String, String)> = sqlx::query_as(
                    "SELECT themes, recommending_states, regional_groups, sources FROM recommendation WHERE uid = $1")
                    .bind(&r.uid).fetch_optional(&mut *tx).await?;
                match existing {
                    Some((t, s, g, src)) => {
                        let (mut t, mut s, mut g, mut src) = (split(&t), split(&s), split(&g), split(&src));
                        union(&mut t, &r.themes);
                        union(&mut s, &r.recommending_states);
                        union(&mut g, &r.regional_groups);
                        union(&mut src, &r.sources);
                        sqlx::query("UPDATE recommendation SET themes = $2, recommending_states = $3, regional_groups = $4, sources = $5, \
                                     response = COALESCE(response, $6) WHERE uid = $1")
                            .bind(&r.uid).bind(join(&t)).bind(join(&s)).bind(join(&g)).bind(join(&src)).bind(r.response.as_deref())
                            .execute(&mut *tx).await?;
                        report.merged += 1;
                    }
                    None => {
                        sqlx::query("INSERT INTO recommendation (uid, mechanism, state_under_review, cycle, session, year, text, response, \
                                     action_category, themes, recommending_states, regional_groups, sources, created_at) \
                                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")
                            .bind(&r.uid).bind(&r.mechanism).bind(&r.state_under_review).bind(r.cycle).bind(&r.session).bind(r.year)
                            .bind(&r.text).bind(r.response.as_deref()).bind(r.action_category).bind(join(&r.themes))
                            .bind(join(&r.recommending_states)).bind(join(&r.regional_groups)).bind(join(&r.sources)).bind(&now)
                            .execute(&mut *tx).await?;
                        report.new += 1;
                    }
                }
            }
            let summary = serde_json::to_string(&report).map_err(|e| StoreError::Invalid(e.to_string()))?;
            append_audit!(&mut *tx, pg, &AuditEntry {
                actor, action: "recommendations.import", entity: "recommendations", entity_id: file,
                old_value: None, new_value: Some(summary), reason: "",
            });
            tx.commit().await?;
        });
        Ok(Ok(report))
    }

    /// Recommendations, filtered by session and response, and by text (case-insensitive).
    pub async fn recommendations(
        &self,
        session: Option<&str>,
        response: Option<Response>,
        text: Option<&str>,
    ) -> Result<Vec<RecommendationRow>> {
        type Raw =
            (String, String, String, Option<i64>, String, Option<i64>, String, Option<String>, Option<i64>, String, String, String, String);
        let rows: Vec<Raw> = on_pool!(self, p => sqlx::query_as(
            "SELECT uid, mechanism, state_under_review, cycle, session, year, text, response, action_category, themes, \
             recommending_states, regional_groups, sources FROM recommendation \
             WHERE ($1 IS NULL OR session = $1) AND ($2 IS NULL OR response = $2) ORDER BY mechanism, year, session, id")
            .bind(session).bind(response.map(|r| r.as_str())).fetch_all(p).await?);
        let needle = text.map(str::to_lowercase);
        Ok(rows
            .into_iter()
            .filter(|r| needle.as_ref().is_none_or(|n| r.6.to_lowercase().contains(n)))
            .map(|r| RecommendationRow {
                uid: r.0,
                mechanism: r.1,
                state_under_review: r.2,
                cycle: r.3,
                session: r.4,
                year: r.5,
                text: r.6,
                response: r.7,
                action_category: r.8,
                themes: split(&r.9),
                recommending_states: split(&r.10),
                regional_groups: split(&r.11),
                sources: split(&r.12),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn mac_roman_is_decoded() {
        // "Côte d’Ivoire" in Mac Roman: ô = 0x99, ’ = 0xD5.
        let bytes = b"C\x99te d\xd5Ivoire";
        assert_eq!(super::decode(bytes), "Côte d’Ivoire");
        assert_eq!(super::decode("已经是 UTF-8".as_bytes()), "已经是 UTF-8");
    }
}
