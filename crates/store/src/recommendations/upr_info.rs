//! The UPR Info export layout: one row per recommending State; rows with the same session and
//! text become one recommendation with several recommending States.

use super::{RecommendationRow, union};
use crate::import::RowError;
use rightstat_core::recommendation::{Response, stable_id};
use std::collections::BTreeMap;

/// Parses the UPR Info layout into recommendations, or every bad row.
pub(super) fn parse(text: &str, file: &str) -> std::result::Result<(u64, Vec<RecommendationRow>), Vec<RowError>> {
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
            ..Default::default()
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
