//! Recommendations of the UN mechanisms: importing them (UPR Info, UHRI, OHCHR's UPR matrix,
//! concluding observations; all or nothing), recognising the same recommendation across sources, linking
//! recommendations across cycles, and listing them with filters.
//!
//! One row per recommendation, identified by [`stable_id`]: a recommendation made by several
//! States, or imported from several sources, is stored once and its lists are merged.

mod co;
mod ohchr;
mod uhri;
mod upr_info;

use crate::audit::{Actor, AuditEntry, append_audit};
use crate::import::RowError;
use crate::lists::{join, split};
use crate::{Backend, Result, Store, StoreError, on_pool};
use rightstat_core::recommendation::{Response, cited_paragraphs, loose_text};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// A recommendation as stored. Multi-valued fields are lists.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecommendationRow {
    pub uid: String,
    /// `UPR`, or the treaty body (`CESCR`, `CEDAW`, ...).
    pub mechanism: String,
    pub state_under_review: String,
    pub cycle: Option<i64>,
    /// UPR session number, or the treaty body's document symbol.
    pub session: String,
    pub year: Option<i64>,
    /// Document symbol, e.g. E/C.12/CHN/CO/2 or A/HRC/25/5.
    pub document_symbol: Option<String>,
    /// Paragraph number in that document.
    pub paragraph: Option<String>,
    /// Date of the document, YYYY-MM-DD.
    pub issued_on: Option<String>,
    pub text: String,
    /// supported, supported_in_part or noted (UPR only).
    pub response: Option<String>,
    /// UPR Info's action category: 1 (minimal action) to 5 (specific action).
    pub action_category: Option<i64>,
    pub themes: Vec<String>,
    pub affected_persons: Vec<String>,
    pub sdgs: Vec<String>,
    pub clusters: Vec<String>,
    pub recommending_states: Vec<String>,
    pub regional_groups: Vec<String>,
    /// Files (or sources) it was imported from.
    pub sources: Vec<String>,
    /// Identifiers in the sources, e.g. the UHRI's annotation id.
    pub external_ids: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecommendationImport {
    /// Data rows read.
    pub rows: u64,
    /// Distinct recommendations in the file.
    pub recommendations: u64,
    /// Of those, new to the database.
    pub new: u64,
    /// Already known (from an earlier import or another source): merged.
    pub merged: u64,
    /// Recommendations as the UPR counts them, once per recommending State.
    pub made: u64,
    /// Links across cycles found after the import (repeats and citations), in all.
    pub links: u64,
}

/// The layouts recommendations are imported from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecommendationFormat {
    /// UPR Info's CSV export (one row per recommending State).
    UprInfo,
    /// The Universal Human Rights Index's Excel export.
    Uhri,
    /// A plain CSV of concluding-observation paragraphs.
    ConcludingObservations,
    /// OHCHR's thematic list of recommendations of a UPR review (the matrix, .docx).
    OhchrMatrix,
}

impl std::str::FromStr for RecommendationFormat {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "upr-info" => Ok(Self::UprInfo),
            "uhri" => Ok(Self::Uhri),
            "co" => Ok(Self::ConcludingObservations),
            "ohchr-matrix" => Ok(Self::OhchrMatrix),
            _ => Err(format!("unknown format '{s}': expected upr-info, uhri, co or ohchr-matrix")),
        }
    }
}

/// Selects recommendations. Empty fields do not restrict; text matches are case-insensitive.
#[derive(Debug, Clone, Default)]
pub struct RecommendationFilter {
    /// One recommendation by its stable id.
    pub uid: Option<String>,
    /// Words that must all occur in the text.
    pub q: Option<String>,
    /// State under review: ISO 3166 code or name.
    pub country: Option<String>,
    pub mechanism: Option<String>,
    pub cycle: Option<i64>,
    pub session: Option<String>,
    /// A recommending State.
    pub recommending_state: Option<String>,
    pub theme: Option<String>,
    pub sdg: Option<String>,
    pub cluster: Option<String>,
    pub response: Option<Response>,
    /// Latest government assessment's status (`not_assessed` for none).
    pub status: Option<String>,
    /// Lead or contributing department.
    pub department: Option<String>,
    /// Answered by this measure.
    pub measure: Option<String>,
}

pub(crate) fn union(into: &mut Vec<String>, more: &[String]) {
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

/// A row error with the file name filled in.
pub(crate) fn row_error(file: &str, row: u64, column: &str, value: &str, expected: &str) -> RowError {
    RowError { file: file.into(), row, column: column.into(), value: value.into(), expected: expected.into() }
}

/// Adds one parsed row to the file's set, merging with an earlier row of the same recommendation.
/// A conflicting response is an error: the same recommendation cannot be both supported and noted.
pub(crate) fn add_parsed(
    by_uid: &mut BTreeMap<String, RecommendationRow>,
    r: RecommendationRow,
    file: &str,
    row: u64,
    errors: &mut Vec<RowError>,
) {
    match by_uid.get_mut(&r.uid) {
        None => {
            by_uid.insert(r.uid.clone(), r);
        }
        Some(e) => {
            if e.response.is_some() && r.response.is_some() && e.response != r.response {
                errors.push(row_error(
                    file,
                    row,
                    "response",
                    r.response.as_deref().unwrap_or(""),
                    "the same response as the other rows of this recommendation",
                ));
            }
            merge_into(e, &r);
        }
    }
}

/// Merges what another source says about the same recommendation.
fn merge_into(e: &mut RecommendationRow, r: &RecommendationRow) {
    for (into, more) in [
        (&mut e.themes, &r.themes),
        (&mut e.affected_persons, &r.affected_persons),
        (&mut e.sdgs, &r.sdgs),
        (&mut e.clusters, &r.clusters),
        (&mut e.recommending_states, &r.recommending_states),
        (&mut e.regional_groups, &r.regional_groups),
        (&mut e.sources, &r.sources),
        (&mut e.external_ids, &r.external_ids),
    ] {
        union(into, more);
    }
    e.response = e.response.take().or_else(|| r.response.clone());
    e.cycle = e.cycle.or(r.cycle);
    e.year = e.year.or(r.year);
    e.action_category = e.action_category.or(r.action_category);
    e.document_symbol = e.document_symbol.take().or_else(|| r.document_symbol.clone());
    e.paragraph = e.paragraph.take().or_else(|| r.paragraph.clone());
    e.issued_on = e.issued_on.take().or_else(|| r.issued_on.clone());
}

pub(crate) const COLUMNS: &str = "uid, mechanism, state_under_review, cycle, session, year, document_symbol, paragraph, issued_on, text, \
     response, action_category, themes, affected_persons, sdgs, clusters, recommending_states, regional_groups, sources, external_ids";

#[derive(sqlx::FromRow)]
pub(crate) struct RawRow {
    uid: String,
    mechanism: String,
    state_under_review: String,
    cycle: Option<i64>,
    session: String,
    year: Option<i64>,
    document_symbol: Option<String>,
    paragraph: Option<String>,
    issued_on: Option<String>,
    text: String,
    response: Option<String>,
    action_category: Option<i64>,
    themes: String,
    affected_persons: String,
    sdgs: String,
    clusters: String,
    recommending_states: String,
    regional_groups: String,
    sources: String,
    external_ids: String,
}

impl From<RawRow> for RecommendationRow {
    fn from(r: RawRow) -> Self {
        RecommendationRow {
            uid: r.uid,
            mechanism: r.mechanism,
            state_under_review: r.state_under_review,
            cycle: r.cycle,
            session: r.session,
            year: r.year,
            document_symbol: r.document_symbol,
            paragraph: r.paragraph,
            issued_on: r.issued_on,
            text: r.text,
            response: r.response,
            action_category: r.action_category,
            themes: split(&r.themes),
            affected_persons: split(&r.affected_persons),
            sdgs: split(&r.sdgs),
            clusters: split(&r.clusters),
            recommending_states: split(&r.recommending_states),
            regional_groups: split(&r.regional_groups),
            sources: split(&r.sources),
            external_ids: split(&r.external_ids),
        }
    }
}

/// Links a later recommendation to an earlier one it repeats (same mechanism and text, a later
/// session) or cites ("reiterates its previous recommendation (E/C.12/CHN/CO/1, para. 50)").
fn find_links(recs: &[RecommendationRow]) -> Vec<(String, String, &'static str)> {
    let mut out = Vec::new();
    // The uid ends in the hash of the normalised text: same suffix, same text.
    let mut by_text: HashMap<(&str, &str), Vec<&RecommendationRow>> = HashMap::new();
    for r in recs {
        let hash = r.uid.rsplit('-').next().unwrap_or("");
        by_text.entry((r.mechanism.as_str(), hash)).or_default().push(r);
    }
    for group in by_text.values_mut().filter(|g| g.len() > 1) {
        group.sort_by_key(|r| (r.year, r.session.parse::<i64>().unwrap_or(0)));
        for w in group.windows(2) {
            out.push((w[1].uid.clone(), w[0].uid.clone(), "repeats"));
        }
    }
    let by_para: HashMap<(&str, &str), &str> =
        recs.iter().filter_map(|r| Some(((r.document_symbol.as_deref()?, r.paragraph.as_deref()?), r.uid.as_str()))).collect();
    for r in recs {
        for (sym, para) in cited_paragraphs(&r.text) {
            if let Some(&to) = by_para.get(&(sym.as_str(), para.as_str()))
                && to != r.uid
                && !out.iter().any(|(f, t, _)| f == &r.uid && t == to)
            {
                out.push((r.uid.clone(), to.to_string(), "cites"));
            }
        }
    }
    out
}

impl Store {
    /// Imports a file of recommendations in one of the supported layouts, all or nothing.
    /// Returns every bad row instead when the file does not parse.
    pub async fn import_recommendations(
        &self,
        format: RecommendationFormat,
        bytes: &[u8],
        file: &str,
        actor: &Actor,
    ) -> Result<std::result::Result<RecommendationImport, Vec<RowError>>> {
        let parsed = match format {
            RecommendationFormat::UprInfo => upr_info::parse(&decode(bytes), file),
            RecommendationFormat::Uhri => uhri::parse(bytes, file),
            RecommendationFormat::ConcludingObservations => co::parse(&decode(bytes), file),
            RecommendationFormat::OhchrMatrix => ohchr::parse(bytes, file),
        };
        let (rows, recs) = match parsed {
            Ok(x) => x,
            Err(e) => return Ok(Err(e)),
        };
        let report = self.save_recommendations(rows, recs, file, actor).await?;
        Ok(Ok(report))
    }

    /// Imports a UPR Info export, all or nothing; known recommendations are merged.
    pub async fn import_upr_info(
        &self,
        bytes: &[u8],
        file: &str,
        actor: &Actor,
    ) -> Result<std::result::Result<RecommendationImport, Vec<RowError>>> {
        self.import_recommendations(RecommendationFormat::UprInfo, bytes, file, actor).await
    }

    async fn save_recommendations(
        &self,
        rows: u64,
        recs: Vec<RecommendationRow>,
        file: &str,
        actor: &Actor,
    ) -> Result<RecommendationImport> {
        let made = recs.iter().map(|r| r.recommending_states.len().max(1) as u64).sum();
        let mut report = RecommendationImport { rows, recommendations: recs.len() as u64, made, ..Default::default() };
        let now = crate::now_rfc3339();
        let pg = self.backend() == Backend::Postgres;
        let select = format!("SELECT {COLUMNS} FROM recommendation");
        let sessions: std::collections::BTreeSet<(String, String)> =
            recs.iter().map(|r| (r.mechanism.clone(), r.session.clone())).collect();
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            // The same recommendation typeset differently by another source (quotes, spaces):
            // the same session, a recommending State in common and the same letters and digits.
            let mut loose: HashMap<(String, String, String), Vec<RecommendationRow>> = HashMap::new();
            for (mechanism, session) in &sessions {
                let known: Vec<RawRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{select} WHERE mechanism = $1 AND session = $2")))
                    .bind(mechanism).bind(session).fetch_all(&mut *tx).await?;
                for k in known.into_iter().map(RecommendationRow::from) {
                    loose.entry((k.mechanism.clone(), k.session.clone(), loose_text(&k.text))).or_default().push(k);
                }
            }
            let by_uid = format!("{select} WHERE uid = $1");
            for r in &recs {
                let mut existing: Option<RawRow> = sqlx::query_as(sqlx::AssertSqlSafe(by_uid.clone()))
                    .bind(&r.uid).fetch_optional(&mut *tx).await?;
                if existing.is_none()
                    && let Some(same) = loose
                        .get(&(r.mechanism.clone(), r.session.clone(), loose_text(&r.text)))
                        .and_then(|c| c.iter().find(|k| k.recommending_states.iter().any(|s| r.recommending_states.contains(s))))
                {
                    existing = sqlx::query_as(sqlx::AssertSqlSafe(by_uid.clone()))
                        .bind(&same.uid).fetch_optional(&mut *tx).await?;
                }
                let (merged, is_new) = match existing {
                    Some(e) => {
                        let mut e = RecommendationRow::from(e);
                        merge_into(&mut e, r);
                        (e, false)
                    }
                    None => (r.clone(), true),
                };
                let m = &merged;
                if is_new {
                    sqlx::query("INSERT INTO recommendation (uid, mechanism, state_under_review, cycle, session, year, text, created_at) \
                                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                        .bind(&m.uid).bind(&m.mechanism).bind(&m.state_under_review).bind(m.cycle).bind(&m.session).bind(m.year)
                        .bind(&m.text).bind(&now).execute(&mut *tx).await?;
                    report.new += 1;
                } else {
                    report.merged += 1;
                }
                sqlx::query("UPDATE recommendation SET cycle = $2, year = $3, document_symbol = $4, paragraph = $5, issued_on = $6, \
                             response = $7, action_category = $8, themes = $9, affected_persons = $10, sdgs = $11, clusters = $12, \
                             recommending_states = $13, regional_groups = $14, sources = $15, external_ids = $16 WHERE uid = $1")
                    .bind(&m.uid).bind(m.cycle).bind(m.year).bind(m.document_symbol.as_deref()).bind(m.paragraph.as_deref())
                    .bind(m.issued_on.as_deref()).bind(m.response.as_deref()).bind(m.action_category).bind(join(&m.themes))
                    .bind(join(&m.affected_persons)).bind(join(&m.sdgs)).bind(join(&m.clusters)).bind(join(&m.recommending_states))
                    .bind(join(&m.regional_groups)).bind(join(&m.sources)).bind(join(&m.external_ids))
                    .execute(&mut *tx).await?;
            }
            let all: Vec<RawRow> = sqlx::query_as(sqlx::AssertSqlSafe(select.clone())).fetch_all(&mut *tx).await?;
            let all: Vec<RecommendationRow> = all.into_iter().map(Into::into).collect();
            for (from, to, kind) in find_links(&all) {
                sqlx::query("INSERT INTO recommendation_link (from_uid, to_uid, kind) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                    .bind(&from).bind(&to).bind(kind).execute(&mut *tx).await?;
            }
            let (links,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM recommendation_link").fetch_one(&mut *tx).await?;
            report.links = links as u64;
            let summary = serde_json::to_string(&report).map_err(|e| StoreError::Invalid(e.to_string()))?;
            append_audit!(&mut *tx, pg, &AuditEntry {
                actor, action: "recommendations.import", entity: "recommendations", entity_id: file,
                old_value: None, new_value: Some(summary), reason: "",
            });
            tx.commit().await?;
        });
        Ok(report)
    }

    /// One recommendation by its stable id.
    pub async fn recommendation(&self, uid: &str) -> Result<Option<RecommendationRow>> {
        let sql = format!("SELECT {COLUMNS} FROM recommendation WHERE uid = $1");
        let row: Option<RawRow> = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(uid).fetch_optional(p).await?);
        Ok(row.map(Into::into))
    }

    /// Recommendations matching the filter, oldest first.
    pub async fn find_recommendations(&self, f: &RecommendationFilter) -> Result<Vec<RecommendationRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM recommendation WHERE ($1 IS NULL OR mechanism = $1) AND ($2 IS NULL OR cycle = $2) \
             AND ($3 IS NULL OR session = $3) AND ($4 IS NULL OR response = $4) AND ($5 IS NULL OR uid = $5) ORDER BY year, mechanism, id"
        );
        let rows: Vec<RawRow> = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(f.mechanism.as_deref()).bind(f.cycle).bind(f.session.as_deref()).bind(f.response.map(|r| r.as_str()))
            .bind(f.uid.as_deref()).fetch_all(p).await?);
        let words: Vec<String> = f.q.as_deref().unwrap_or("").split_whitespace().map(str::to_lowercase).collect();
        let countries: Vec<String> = f.country.as_deref().map(rightstat_core::reference::country_names).unwrap_or_default();
        let has = |list: &[String], want: &Option<String>| want.as_ref().is_none_or(|w| list.iter().any(|x| x.eq_ignore_ascii_case(w)));
        let status = match &f.status {
            Some(_) => Some(self.latest_government_status().await?),
            None => None,
        };
        let departments = match &f.department {
            Some(d) => Some(self.uids_of_department(d).await?),
            None => None,
        };
        let measure_uids = match &f.measure {
            Some(m) => Some(self.uids_of_measure(m).await?),
            None => None,
        };
        Ok(rows
            .into_iter()
            .map(RecommendationRow::from)
            .filter(|r| {
                let text = r.text.to_lowercase();
                words.iter().all(|w| text.contains(w))
                    && (countries.is_empty() || countries.iter().any(|c| c.eq_ignore_ascii_case(&r.state_under_review)))
                    && has(&r.recommending_states, &f.recommending_state)
                    && has(&r.themes, &f.theme)
                    && has(&r.clusters, &f.cluster)
                    && f.sdg.as_ref().is_none_or(|s| r.sdgs.iter().any(|x| x == s || x.starts_with(&format!("{s}."))))
                    && status
                        .as_ref()
                        .is_none_or(|m| m.get(&r.uid).map_or("not_assessed", String::as_str) == f.status.as_deref().unwrap_or_default())
                    && departments.as_ref().is_none_or(|d| d.contains(&r.uid))
                    && measure_uids.as_ref().is_none_or(|d| d.contains(&r.uid))
            })
            .collect())
    }

    /// Recommendations, filtered by session and response, and by text (case-insensitive).
    pub async fn recommendations(
        &self,
        session: Option<&str>,
        response: Option<Response>,
        text: Option<&str>,
    ) -> Result<Vec<RecommendationRow>> {
        let f = RecommendationFilter { session: session.map(String::from), response, q: text.map(String::from), ..Default::default() };
        self.find_recommendations(&f).await
    }

    /// Earlier recommendations this one repeats or cites, and later ones that repeat or cite it:
    /// (uid, kind, direction) with direction `earlier` or `later`.
    pub async fn recommendation_links(&self, uid: &str) -> Result<Vec<(String, String, String)>> {
        let rows: Vec<(String, String, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT to_uid, kind, 'earlier' FROM recommendation_link WHERE from_uid = $1 \
             UNION ALL SELECT from_uid, kind, 'later' FROM recommendation_link WHERE to_uid = $1 ORDER BY 3, 1")
            .bind(uid).fetch_all(p).await?);
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_roman_is_decoded() {
        // "Côte d’Ivoire" in Mac Roman: ô = 0x99, ’ = 0xD5.
        let bytes = b"C\x99te d\xd5Ivoire";
        assert_eq!(decode(bytes), "Côte d’Ivoire");
        assert_eq!(decode("已经是 UTF-8".as_bytes()), "已经是 UTF-8");
    }

    fn rec(uid: &str, year: i64, sym: Option<&str>, para: Option<&str>, text: &str) -> RecommendationRow {
        RecommendationRow {
            uid: uid.into(),
            mechanism: "CESCR".into(),
            year: Some(year),
            document_symbol: sym.map(String::from),
            paragraph: para.map(String::from),
            text: text.into(),
            ..Default::default()
        }
    }

    #[test]
    fn links_across_cycles() {
        let recs = [
            rec("CESCR-1-aaa", 2005, Some("E/C.12/CHN/CO/1"), Some("50"), "Adopt a poverty strategy"),
            rec("CESCR-2-aaa", 2014, Some("E/C.12/CHN/CO/2"), Some("31"), "Adopt a poverty strategy."),
            rec("CESCR-2-bbb", 2014, Some("E/C.12/CHN/CO/2"), Some("32"), "It reiterates its recommendation (E/C.12/CHN/CO/1, para. 50)"),
        ];
        let links = find_links(&recs);
        assert!(links.contains(&("CESCR-2-aaa".into(), "CESCR-1-aaa".into(), "repeats")));
        assert!(links.contains(&("CESCR-2-bbb".into(), "CESCR-1-aaa".into(), "cites")));
        assert_eq!(links.len(), 2);
    }
}
