//! A plain CSV of concluding-observation paragraphs, one per row:
//!
//! `committee,state,document_symbol,paragraph,date,text,themes,affected_persons,sdgs`
//!
//! `committee` is the treaty body (CESCR, CEDAW, ...); `date` is YYYY-MM-DD; the list columns
//! hold values separated by `;`. Required: committee, state, document_symbol, paragraph, text.

use super::{RecommendationRow, add_parsed, row_error};
use crate::import::RowError;
use rightstat_core::measure::is_iso_date;
use rightstat_core::recommendation::stable_id;
use std::collections::BTreeMap;

/// The review cycle in a symbol such as E/C.12/CHN/CO/2 or CEDAW/C/CHN/CO/7-8.
pub(super) fn cycle_of(symbol: &str) -> Option<i64> {
    let rest = &symbol[symbol.find("/CO/")? + 4..];
    rest.split(['-', '/']).next()?.parse().ok()
}

/// "36. The Committee recommends ..." → (text, Some("36")).
pub(super) fn split_paragraph(text: &str) -> (String, Option<String>) {
    let t = text.trim();
    let end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    if end > 0 && t[end..].starts_with(". ") {
        (t[end + 2..].trim().to_string(), Some(t[..end].to_string()))
    } else {
        (t.to_string(), None)
    }
}

const REQUIRED: &[&str] = &["committee", "state", "document_symbol", "paragraph", "text"];

pub(super) fn parse(text: &str, file: &str) -> Result<(u64, Vec<RecommendationRow>), Vec<RowError>> {
    let err = |row: u64, column: &str, value: &str, expected: &str| row_error(file, row, column, value, expected);
    let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![err(1, "-", "", &format!("a CSV header ({e})"))]),
    };
    let col = |n: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(n));
    let missing: Vec<RowError> =
        REQUIRED.iter().filter(|c| col(c).is_none()).map(|c| err(1, c, "", "a column of the concluding-observations layout")).collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let mut errors = Vec::new();
    let mut by_uid = BTreeMap::new();
    let mut n = 0;
    for (i, rec) in rdr.records().enumerate() {
        let row = i as u64 + 2;
        n += 1;
        let r = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(err(row, "-", "", &format!("a well-formed CSV record ({e})")));
                continue;
            }
        };
        let get = |n: &str| col(n).and_then(|i| r.get(i)).unwrap_or("").trim().to_string();
        let list = |n: &str| get(n).split(';').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect::<Vec<_>>();
        let mut bad = false;
        for c in REQUIRED {
            if get(c).is_empty() {
                errors.push(err(row, c, "", "a value"));
                bad = true;
            }
        }
        let committee = get("committee").to_ascii_uppercase();
        if !committee.is_empty() && !committee.bytes().all(|b| b.is_ascii_alphanumeric()) {
            errors.push(err(row, "committee", &committee, "the treaty body's acronym, e.g. CESCR"));
            bad = true;
        }
        let symbol = get("document_symbol");
        if !symbol.is_empty() && !symbol.contains('/') {
            errors.push(err(row, "document_symbol", &symbol, "a UN document symbol such as E/C.12/CHN/CO/2"));
            bad = true;
        }
        let paragraph = get("paragraph");
        if !paragraph.is_empty() && paragraph.split(['.', '(', ')']).next().is_none_or(|p| p.parse::<u32>().is_err()) {
            errors.push(err(row, "paragraph", &paragraph, "a paragraph number, e.g. 36 or 36(a)"));
            bad = true;
        }
        let date = get("date");
        if !date.is_empty() && !is_iso_date(&date) {
            errors.push(err(row, "date", &date, "a date written YYYY-MM-DD"));
            bad = true;
        }
        if bad {
            continue;
        }
        let (text, _) = split_paragraph(&get("text"));
        let rec = RecommendationRow {
            uid: stable_id(&committee, &symbol, &text),
            mechanism: committee,
            state_under_review: get("state"),
            cycle: cycle_of(&symbol),
            session: symbol.clone(),
            year: date.get(..4).and_then(|y| y.parse().ok()),
            document_symbol: Some(symbol),
            paragraph: Some(paragraph),
            issued_on: (!date.is_empty()).then_some(date),
            text,
            themes: list("themes"),
            affected_persons: list("affected_persons"),
            sdgs: list("sdgs"),
            sources: vec![file.to_string()],
            ..Default::default()
        };
        add_parsed(&mut by_uid, rec, file, row, &mut errors);
    }
    if errors.is_empty() { Ok((n, by_uid.into_values().collect())) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_and_paragraphs() {
        assert_eq!(cycle_of("E/C.12/CHN/CO/2"), Some(2));
        assert_eq!(cycle_of("CEDAW/C/CHN/CO/7-8"), Some(7));
        assert_eq!(cycle_of("A/HRC/25/5"), None);
        assert_eq!(split_paragraph("36. The Committee recommends"), ("The Committee recommends".into(), Some("36".into())));
        assert_eq!(split_paragraph("The Committee recommends"), ("The Committee recommends".into(), None));
    }
}
