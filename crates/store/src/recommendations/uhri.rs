//! The Universal Human Rights Index's Excel export, with its quirks: misspelt column names
//! (`Reccomending Body`, `UPR Reccomending States`), dates as Excel serial numbers, and
//! multi-value cells with one "- value" per line. UPR recommendations are printed with their
//! paragraph number and the recommending States in parentheses; both are taken off so that the
//! text matches the same recommendation from UPR Info.

use super::{RecommendationRow, add_parsed, row_error};
use crate::import::RowError;
use crate::spreadsheet::{cell_text, letter};
use calamine::{Data, Reader, Xlsx};
use rightstat_core::recommendation::{Response, clean_upr_text, excel_serial_date, stable_id, uhri_values, upr_cycle};
use std::collections::BTreeMap;

/// Accepted spellings of each column: the UHRI's own first.
const COLUMNS: &[(&str, &[&str])] = &[
    ("text", &["Text"]),
    ("countries", &["Countries Concerned"]),
    ("body", &["Reccomending Body", "Recommending Body"]),
    ("symbol", &["Document Symbol"]),
    ("themes", &["Themes"]),
    ("persons", &["Affected Persons"]),
    ("sdgs", &["Sdgs", "SDGs"]),
    ("date", &["Document Publication Date"]),
    ("states", &["UPR Reccomending States", "UPR Recommending States"]),
    ("position", &["UPR Position"]),
    ("session", &["UPR Session"]),
    ("type", &["Type"]),
    ("annotation", &["OHCHR Annotation Id"]),
    ("regions", &["Recommending Regions"]),
];

const REQUIRED: &[&str] = &["text", "countries", "body", "symbol"];

/// Treaty bodies by the names the UHRI may use.
fn body_code(name: &str) -> Option<&'static str> {
    let n = name.trim().to_ascii_lowercase();
    Some(match n.as_str() {
        "upr" | "universal periodic review" => "UPR",
        "cescr" | "committee on economic, social and cultural rights" => "CESCR",
        "ccpr" | "hrc" | "human rights committee" => "CCPR",
        "cedaw" | "committee on the elimination of discrimination against women" => "CEDAW",
        "crc" | "committee on the rights of the child" => "CRC",
        "cerd" | "committee on the elimination of racial discrimination" => "CERD",
        "cat" | "committee against torture" => "CAT",
        "crpd" | "committee on the rights of persons with disabilities" => "CRPD",
        "cmw" | "committee on migrant workers" => "CMW",
        "ced" | "committee on enforced disappearances" => "CED",
        _ => return None,
    })
}

/// Excel column letters for messages (0 → A).
/// A date cell: an Excel serial (number or date-formatted), or ISO text.
fn cell_date(d: &Data) -> Option<Option<String>> {
    let ymd = |(y, m, d): (i32, u32, u32)| Some(format!("{y:04}-{m:02}-{d:02}"));
    match d {
        Data::Empty => Some(None),
        Data::Float(f) => excel_serial_date(*f).map(ymd),
        Data::Int(i) => excel_serial_date(*i as f64).map(ymd),
        Data::DateTime(dt) => excel_serial_date(dt.as_f64()).map(ymd),
        Data::String(s) | Data::DateTimeIso(s) => {
            let s = s.trim();
            if s.is_empty() {
                Some(None)
            } else if let Ok(f) = s.parse::<f64>() {
                excel_serial_date(f).map(ymd)
            } else if s.len() >= 10 && rightstat_core::measure::is_iso_date(&s[..10]) {
                Some(Some(s[..10].to_string()))
            } else {
                None
            }
        }
        _ => None,
    }
}

pub(super) fn parse(bytes: &[u8], file: &str) -> Result<(u64, Vec<RecommendationRow>), Vec<RowError>> {
    let err = |row: u64, column: &str, value: &str, expected: &str| row_error(file, row, column, value, expected);
    let mut book: Xlsx<_> = match Xlsx::new(std::io::Cursor::new(bytes)) {
        Ok(b) => b,
        Err(e) => return Err(vec![err(0, "-", "", &format!("an Excel workbook (.xlsx) exported from the UHRI ({e})"))]),
    };
    let range = match book.worksheet_range_at(0) {
        Some(Ok(r)) => r,
        Some(Err(e)) => return Err(vec![err(0, "-", "", &format!("a readable first worksheet ({e})"))]),
        None => return Err(vec![err(0, "-", "", "a workbook with a worksheet")]),
    };
    let first_row = range.start().map_or(0, |(r, _)| r as u64) + 1;
    let first_col = range.start().map_or(0, |(_, c)| c as usize);
    let mut rows = range.rows();
    let Some(header) = rows.next() else { return Err(vec![err(1, "-", "", "a header row")]) };
    let header: Vec<String> = header.iter().map(cell_text).collect();
    let find = |key: &str| {
        let names = COLUMNS.iter().find(|(k, _)| *k == key).map(|(_, n)| *n).unwrap_or(&[]);
        header.iter().position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let idx: BTreeMap<&str, usize> = COLUMNS.iter().filter_map(|(k, _)| Some((*k, find(k)?))).collect();
    let missing: Vec<RowError> = REQUIRED
        .iter()
        .filter(|k| !idx.contains_key(*k))
        .map(|k| err(first_row, COLUMNS.iter().find(|(c, _)| c == k).unwrap().1[0], "", "a column of the UHRI export"))
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let name = |key: &str| {
        let i = idx[key];
        format!("{} ({})", header[i], letter(first_col + i))
    };
    let mut errors = Vec::new();
    let mut by_uid = BTreeMap::new();
    let mut n = 0;
    for (i, r) in rows.enumerate() {
        let row = first_row + 1 + i as u64;
        let get = |key: &str| idx.get(key).and_then(|&c| r.get(c)).map(cell_text).unwrap_or_default();
        if r.iter().all(|c| matches!(c, Data::Empty)) {
            continue;
        }
        n += 1;
        let raw_text = get("text");
        if raw_text.is_empty() {
            errors.push(err(row, &name("text"), "", "the text of the recommendation"));
            continue;
        }
        let body = get("body");
        let Some(mechanism) = body_code(&body) else {
            errors.push(err(row, &name("body"), &body, "UPR or a treaty body (CESCR, CCPR, CEDAW, CRC, CERD, CAT, CRPD, CMW, CED)"));
            continue;
        };
        let issued_on = match idx.get("date").and_then(|&c| r.get(c)).map_or(Some(None), cell_date) {
            Some(d) => d,
            None => {
                errors.push(err(row, &name("date"), &get("date"), "a date: an Excel date or serial number, or YYYY-MM-DD"));
                None
            }
        };
        let year = issued_on.as_ref().and_then(|d| d[..4].parse::<i64>().ok());
        let symbol = get("symbol");
        let countries = uhri_values(&get("countries"));
        let state = countries.first().cloned().unwrap_or_default();
        if state.is_empty() {
            errors.push(err(row, &name("countries"), "", "the State concerned"));
        }
        let mut rec = RecommendationRow {
            mechanism: mechanism.to_string(),
            state_under_review: state,
            year,
            issued_on,
            document_symbol: (!symbol.is_empty()).then(|| symbol.clone()),
            themes: uhri_values(&get("themes")),
            affected_persons: uhri_values(&get("persons")),
            sdgs: uhri_values(&get("sdgs")),
            regional_groups: uhri_values(&get("regions")),
            sources: vec![file.to_string()],
            external_ids: uhri_values(&get("annotation")),
            ..Default::default()
        };
        if mechanism == "UPR" {
            let session_cell = get("session");
            let digits: String = session_cell.chars().skip_while(|c| !c.is_ascii_digit()).take_while(char::is_ascii_digit).collect();
            let Ok(session) = digits.parse::<u32>() else {
                let column = if idx.contains_key("session") { name("session") } else { "UPR Session".into() };
                errors.push(err(row, &column, &session_cell, "the UPR session number"));
                continue;
            };
            let (text, para) = clean_upr_text(&raw_text);
            rec.session = session.to_string();
            rec.cycle = Some(i64::from(upr_cycle(session)));
            rec.paragraph = para;
            rec.recommending_states = uhri_values(&get("states"));
            rec.response = match get("position") {
                p if p.is_empty() => None,
                p => match p.parse::<Response>() {
                    Ok(x) => Some(x.as_str().to_string()),
                    Err(_) => {
                        errors.push(err(row, &name("position"), &p, "Supported, Supported in part or Noted"));
                        None
                    }
                },
            };
            rec.uid = stable_id("UPR", &rec.session, &text);
            rec.text = text;
        } else {
            if symbol.is_empty() {
                errors.push(err(row, &name("symbol"), "", "the document symbol of the concluding observations, e.g. E/C.12/CHN/CO/2"));
                continue;
            }
            let (text, para) = super::co::split_paragraph(&raw_text);
            rec.session = symbol.clone();
            rec.cycle = super::co::cycle_of(&symbol);
            rec.paragraph = para;
            rec.uid = stable_id(mechanism, &symbol, &text);
            rec.text = text;
        }
        add_parsed(&mut by_uid, rec, file, row, &mut errors);
    }
    if errors.is_empty() { Ok((n, by_uid.into_values().collect())) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn column_letters() {
        assert_eq!(
            (super::letter(0), super::letter(25), super::letter(26), super::letter(27)),
            ("A".into(), "Z".into(), "AA".into(), "AB".into())
        );
    }
}
