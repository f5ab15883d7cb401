//! OHCHR's "thematic list of recommendations" (the UPR matrix): the Word document OHCHR
//! publishes for every State after each review. One table: a row per paragraph of the review's
//! report ("28.212 Continue … (Tunisia); | Source of position: A/HRC/40/6/Add.1 - Para. 2"), the
//! position (Supported / Noted), the full list of themes (UPR thematic codes with SDG codes, then
//! "Affected persons:" and the groups), grouped under "Theme: …" rows; the page header names the
//! State, the cycle and the session ("UPR of China (3rd Cycle – 31st session)").
//!
//! Since the third cycle a paragraph may hold several recommendations, each ending with its
//! recommending States in parentheses ("… (New Zealand); Accelerate … (Uruguay) (Mali);"): each
//! becomes its own recommendation, identified as UPR Info's rows are ([`stable_id`] of the
//! session and the text without the States), so the two sources merge. OHCHR's themes, SDG
//! goals and affected persons are kept as given: they are the authoritative classification.

use super::RecommendationRow;
use crate::import::RowError;
use quick_xml::events::Event;
use rightstat_core::recommendation::{Response, stable_id};
use rightstat_core::reference::recommending_state;
use std::collections::BTreeMap;
use std::io::Read;

/// A table's rows as cells of paragraphs of text.
type Table = Vec<Vec<Vec<String>>>;

/// The paragraphs of a WordprocessingML part (runs joined, tabs as spaces), and its table rows.
fn read_part(xml: &str) -> Result<(Vec<String>, Table), String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let (mut paragraphs, mut rows): (Vec<String>, Table) = (Vec::new(), Vec::new());
    let (mut in_text, mut depth_tbl) = (false, 0usize);
    let mut para = String::new();
    loop {
        match reader.read_event().map_err(|e| format!("not WordprocessingML ({e})"))? {
            Event::Start(e) => match e.name().as_ref() {
                "w:tbl" => depth_tbl += 1,
                "w:tr" if depth_tbl == 1 => rows.push(Vec::new()),
                "w:tc" if depth_tbl == 1 => {
                    if let Some(r) = rows.last_mut() {
                        r.push(Vec::new())
                    }
                }
                "w:p" => para.clear(),
                "w:t" => in_text = true,
                _ => {}
            },
            Event::Empty(e) => match e.name().as_ref() {
                "w:tab" | "w:br" => para.push(' '),
                "w:p" => {
                    if let Some(cell) = rows.last_mut().and_then(|r| r.last_mut()).filter(|_| depth_tbl > 0) {
                        cell.push(String::new());
                    }
                }
                _ => {}
            },
            Event::Text(t) if in_text => para.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_text => {
                // An entity between pieces of text: &amp;, &#8217; …
                match r.resolve_char_ref().map_err(|e| format!("a bad character reference ({e})"))? {
                    Some(c) => para.push(c),
                    None => para
                        .push_str(quick_xml::escape::resolve_predefined_entity(&r).ok_or_else(|| format!("an unknown entity &{};", &*r))?),
                }
            }
            Event::End(e) => match e.name().as_ref() {
                "w:tbl" => depth_tbl = depth_tbl.saturating_sub(1),
                "w:t" => in_text = false,
                "w:p" => {
                    let text = std::mem::take(&mut para);
                    match rows.last_mut().and_then(|r| r.last_mut()).filter(|_| depth_tbl > 0) {
                        Some(cell) => cell.push(text),
                        None => paragraphs.push(text),
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok((paragraphs, rows))
}

/// The State, cycle and UPR session a matrix's page header names.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Review {
    state: String,
    cycle: i64,
    session: String,
}

fn review_of(header: &str) -> Option<Review> {
    let text = header.split_whitespace().collect::<Vec<_>>().join(" ");
    let rest = &text[text.find("UPR of ")? + 7..];
    let (state, rest) = rest.split_once('(')?;
    let number = |s: &str| -> Option<i64> { s.trim().trim_end_matches(|c: char| c.is_alphabetic()).trim().parse().ok() };
    let (cycle, rest) = rest.split_once("Cycle")?;
    let session = rest.trim_start_matches([' ', '–', '-']).split("session").next()?;
    Some(Review { state: state.trim().to_string(), cycle: number(cycle)?, session: number(session)?.to_string() })
}

/// The year of a UPR session: three sessions a year from 2008 to 2020 (sessions 1 to 35); later
/// ones moved with the pandemic, and are not guessed.
fn year_of(session: &str) -> Option<i64> {
    session.parse::<i64>().ok().filter(|s| (1..=35).contains(s)).map(|s| 2008 + (s - 1) / 3)
}

/// A paragraph's recommendations: each text with its recommending States (the parenthesised
/// groups before a `;`, a `.` or the end that name States; other parentheses stay in the text).
fn split_recommendations(text: &str) -> Result<Vec<(String, Vec<String>)>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i <= chars.len() {
        let at_end = i == chars.len();
        if at_end || matches!(chars[i], ';' | '.') {
            let segment: String = chars[start..i].iter().collect();
            let (body, states) = trailing_states(&segment);
            if !states.is_empty() {
                out.push((body, states));
                start = i + 1;
            } else if at_end && !segment.trim().is_empty() {
                return Err(format!("\"{}\" ends with no recommending State in parentheses", segment.trim()));
            }
        }
        i += 1;
    }
    if out.is_empty() {
        return Err("no recommendation with its recommending State in parentheses".into());
    }
    Ok(out)
}

/// The text before the parenthesised States that end `segment`, and those States.
fn trailing_states(segment: &str) -> (String, Vec<String>) {
    let mut rest = segment.trim_end().to_string();
    let mut states = Vec::new();
    while rest.ends_with(')') {
        // The group's opening parenthesis, nested ones included: "(Venezuela (Bolivarian Republic of))".
        let mut depth = 0;
        let mut open = None;
        for (i, c) in rest.char_indices().rev() {
            match c {
                ')' => depth += 1,
                '(' => {
                    depth -= 1;
                    if depth == 0 {
                        open = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(open) = open else { break };
        match recommending_state(&rest[open + 1..rest.len() - 1]) {
            Some(state) => {
                states.insert(0, state);
                rest.truncate(open);
                rest = rest.trim_end().to_string();
            }
            None => break,
        }
    }
    (rest.trim().to_string(), states)
}

/// Parses an OHCHR matrix (.docx) into recommendations, or every bad row (row numbers are the
/// table's, its header row 1).
pub(super) fn parse(bytes: &[u8], file: &str) -> std::result::Result<(u64, Vec<RecommendationRow>), Vec<RowError>> {
    let err = |row: u64, column: &str, value: &str, expected: &str| RowError {
        file: file.into(),
        row,
        column: column.into(),
        value: value.chars().take(120).collect(),
        expected: expected.into(),
    };
    let mut archive = match zip::ZipArchive::new(std::io::Cursor::new(bytes)) {
        Ok(a) => a,
        Err(e) => return Err(vec![err(0, "-", "", &format!("a Word document (.docx) of OHCHR's matrix ({e})"))]),
    };
    let mut part = |name: &str| -> Option<String> {
        let mut s = String::new();
        archive.by_name(name).ok()?.read_to_string(&mut s).ok()?;
        Some(s)
    };
    let Some(document) = part("word/document.xml") else {
        return Err(vec![err(0, "-", "", "a Word document (.docx): word/document.xml is missing")]);
    };
    let headers: Vec<String> = (1..=6).filter_map(|i| part(&format!("word/header{i}.xml"))).collect();
    let (body, rows) = match read_part(&document) {
        Ok(x) => x,
        Err(e) => return Err(vec![err(0, "-", "", &format!("a readable Word document: {e}"))]),
    };
    let header_text: Vec<String> =
        headers.iter().filter_map(|h| read_part(h).ok()).flat_map(|(p, _)| p).chain(body.into_iter().take(20)).collect();
    let Some(review) = header_text.iter().find_map(|t| review_of(t)) else {
        return Err(vec![err(0, "header", "", "a page header naming the review, e.g. \"UPR of China (3rd Cycle – 31st session)\"")]);
    };
    let mut errors = Vec::new();
    let mut by_uid: BTreeMap<String, RecommendationRow> = BTreeMap::new();
    let mut paragraphs = 0u64;
    for (i, cells) in rows.iter().enumerate() {
        let row = i as u64 + 1;
        let first = cells.first().and_then(|c| c.first()).map(|p| p.trim()).unwrap_or("");
        // The header row and the "Theme: …" rows that group the table.
        let number_end = first.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(first.len());
        let number = first[..number_end].trim_end_matches('.');
        if !number.contains('.') || !number.split('.').all(|p| !p.is_empty()) {
            continue;
        }
        paragraphs += 1;
        if cells.len() < 3 {
            errors.push(err(row, "-", first, "a recommendation, its position and its themes"));
            continue;
        }
        // The recommendation's paragraphs, then "Source of position: A/HRC/40/6/Add.1 - Para. 2".
        let (texts, sources): (Vec<&String>, Vec<&String>) =
            cells[0].iter().partition(|p| !p.trim_start().starts_with("Source of position"));
        let text = texts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ");
        let text = text[number_end.min(text.len())..].trim_start_matches('.').trim().to_string();
        let source =
            sources.first().map(|s| s.trim_start().trim_start_matches("Source of position:").trim().to_string()).unwrap_or_default();
        let document_symbol = source.split("/Add").next().map(str::trim).filter(|s| s.starts_with("A/HRC/")).map(String::from);
        let position = cells[1].join(" ").trim().to_string();
        let response = match position.parse::<Response>() {
            Ok(r) => r.as_str().to_string(),
            Err(_) => {
                errors.push(err(row, "position", &position, "Supported, Supported in part or Noted"));
                continue;
            }
        };
        // The themes, then "Affected persons:" and "- group" lines.
        let mut themes = Vec::new();
        let mut affected = Vec::new();
        let mut sdgs = Vec::new();
        let mut in_persons = false;
        for line in cells[2].iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
            if line.starts_with("Affected persons") {
                in_persons = true;
            } else if in_persons {
                affected.push(line.trim_start_matches(['-', ' ']).to_string());
            } else {
                // "S01 SDG 1 - poverty": the goal's number.
                if let Some(goal) =
                    line.split_once("SDG ").and_then(|(_, g)| g.split_whitespace().next()).filter(|g| g.parse::<u8>().is_ok())
                {
                    sdgs.push(goal.to_string());
                }
                themes.push(line.to_string());
            }
        }
        if themes.is_empty() {
            errors.push(err(row, "themes", "", "OHCHR's themes (e.g. \"S01 SDG 1 - poverty\")"));
        }
        let recommendations = match split_recommendations(&text) {
            Ok(r) => r,
            Err(why) => {
                errors.push(err(
                    row,
                    "recommendation",
                    &text,
                    &format!("recommendations each ending with the recommending State in parentheses: {why}"),
                ));
                continue;
            }
        };
        for (body, states) in recommendations {
            let uid = stable_id("UPR", &review.session, &body);
            let r = RecommendationRow {
                uid,
                mechanism: "UPR".into(),
                state_under_review: review.state.clone(),
                cycle: Some(review.cycle),
                session: review.session.clone(),
                year: year_of(&review.session),
                document_symbol: document_symbol.clone(),
                paragraph: Some(number.to_string()),
                text: body,
                response: Some(response.clone()),
                themes: themes.clone(),
                affected_persons: affected.clone(),
                sdgs: sdgs.clone(),
                recommending_states: states,
                sources: vec![file.to_string()],
                ..Default::default()
            };
            super::add_parsed(&mut by_uid, r, file, row, &mut errors);
        }
    }
    if paragraphs == 0 && errors.is_empty() {
        errors.push(err(0, "-", "", "a table of recommendations numbered by paragraph (e.g. \"28.1 …\")"));
    }
    if errors.is_empty() { Ok((paragraphs, by_uid.into_values().collect())) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paragraph_splits_into_its_recommendations_and_states() {
        let r = split_recommendations(
            "Continue working towards ratification of the ICCPR (New Zealand); Accelerate the ratification of the ICCPR (Uruguay) (Mali);",
        )
        .unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[1], ("Accelerate the ratification of the ICCPR".to_string(), vec!["Uruguay".to_string(), "Mali".to_string()]));
        // Parentheses that name no State stay in the text; nested ones belong to the State.
        let r = split_recommendations("Establish an NHRI (the Paris Principles) by 2020 (Venezuela (Bolivarian Republic of)).").unwrap();
        assert_eq!(r, vec![("Establish an NHRI (the Paris Principles) by 2020".to_string(), vec!["Venezuela".to_string()])]);
        assert!(split_recommendations("Continue its efforts").is_err());
    }

    #[test]
    fn the_header_names_the_review() {
        assert_eq!(
            review_of("UPR of  China   ( 3rd   Cycle –  31st   session) Thematic list"),
            Some(Review { state: "China".into(), cycle: 3, session: "31".into() })
        );
        assert_eq!(year_of("17"), Some(2013));
        assert_eq!(year_of("31"), Some(2018));
        assert_eq!(year_of("45"), None);
    }
}
