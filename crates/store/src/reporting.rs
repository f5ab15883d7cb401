//! What the reports read from the store: which breakdowns of each indicator exist in which
//! periods (published figures only: a report shows what the public can check), and which
//! breakdowns the recommendations linked to an indicator ask for.

use crate::{Result, Store, on_pool};
use serde::Serialize;
use std::collections::BTreeSet;

/// A breakdown a recommendation asks to see for an indicator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AskedBreakdown {
    pub indicator: String,
    /// A codelist id (SEX, ETHNICITY …).
    pub dimension: String,
    pub uid: String,
    pub mechanism: String,
    pub session: String,
    pub document_symbol: Option<String>,
    pub paragraph: Option<String>,
}

impl Store {
    /// (indicator, period, dimension) for every breakdown with at least one value in the
    /// public (latest released) vintage other than the total; "" as the dimension for the total
    /// itself.
    pub async fn breakdown_coverage(&self, indicators: &[String]) -> Result<BTreeSet<(String, String, String)>> {
        let now = crate::now_rfc3339();
        let sql = format!(
            "SELECT DISTINCT o.indicator_code, o.period, o.cell_key FROM observation o JOIN batch b ON b.id = o.batch_id \
             WHERE {} AND o.value IS NOT NULL",
            crate::observations::public_vintage().replace('?', "$1"),
        );
        let rows: Vec<(String, String, String)> = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(&now).fetch_all(p).await?);
        let mut out = BTreeSet::new();
        for (ind, period, key) in rows.into_iter().filter(|r| indicators.contains(&r.0)) {
            let cell = rightstat_core::cell::Cell::from_key(&key).unwrap_or_default();
            let mut any = false;
            for (d, code) in cell.iter() {
                if code != rightstat_core::codelist::TOTAL {
                    out.insert((ind.clone(), period.clone(), d.to_string()));
                    any = true;
                }
            }
            if !any {
                out.insert((ind, period, String::new()));
            }
        }
        Ok(out)
    }

    /// Every (recommendation uid, indicator) link.
    pub async fn recommendation_indicator_links(&self) -> Result<Vec<(String, String)>> {
        Ok(on_pool!(self, p => sqlx::query_as("SELECT uid, indicator_code FROM recommendation_indicator ORDER BY uid, indicator_code")
            .fetch_all(p).await?))
    }

    /// The breakdowns asked by the recommendations linked to each indicator.
    pub async fn asked_breakdowns(&self) -> Result<Vec<AskedBreakdown>> {
        type Row = (String, String, String, String, String, Option<String>, Option<String>);
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as(
            "SELECT ri.indicator_code, ri.breakdowns, r.uid, r.mechanism, r.session, r.document_symbol, r.paragraph \
             FROM recommendation_indicator ri JOIN recommendation r ON r.uid = ri.uid WHERE ri.breakdowns <> '' \
             ORDER BY ri.indicator_code, r.session, r.uid").fetch_all(p).await?);
        Ok(rows
            .into_iter()
            .flat_map(|(indicator, dims, uid, mechanism, session, document_symbol, paragraph)| {
                crate::lists::split(&dims).into_iter().map(move |dimension| AskedBreakdown {
                    indicator: indicator.clone(),
                    dimension,
                    uid: uid.clone(),
                    mechanism: mechanism.clone(),
                    session: session.clone(),
                    document_symbol: document_symbol.clone(),
                    paragraph: paragraph.clone(),
                })
            })
            .collect())
    }
}
