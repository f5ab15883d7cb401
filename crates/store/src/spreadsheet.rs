//! Excel workbooks read as tables: the task template filled in and uploaded, and the UHRI
//! export. A filled template becomes the CSV it stands for, so that it goes through the one
//! validation path and every finding names the sheet's own row.

use crate::StoreError;
use calamine::{Data, Reader, Xlsx};
use rightstat_core::recommendation::excel_serial_date;

/// Does `bytes` look like an .xlsx (a ZIP package)?
pub fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// The column letter of a 0-based column index (0 → A, 26 → AA).
pub fn letter(mut i: usize) -> String {
    let mut s = String::new();
    loop {
        s.insert(0, (b'A' + (i % 26) as u8) as char);
        if i < 26 {
            return s;
        }
        i = i / 26 - 1;
    }
}

/// A cell as the text a user typed: whole numbers without ".0", dates as YYYY-MM-DD, Excel
/// errors as Excel shows them (#DIV/0!), so that the row check names what is wrong.
pub fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::DateTime(d) => match excel_serial_date(d.as_f64()) {
            Some((y, m, day)) => format!("{y:04}-{m:02}-{day:02}"),
            None => d.as_f64().to_string(),
        },
        Data::Error(e) => e.to_string(),
        other => other.to_string().trim().to_string(),
    }
}

/// The sheet `data` of a workbook (the first sheet when there is none) as CSV, one line per
/// sheet row: row numbers in findings are the rows the user sees in Excel. Line breaks inside
/// a cell become spaces for the same reason (a quoted line break would shift every later row).
pub fn xlsx_as_csv(bytes: &[u8], file: &str) -> Result<Vec<u8>, StoreError> {
    let bad = |why: String| StoreError::Invalid(format!("{file}: {why}"));
    let mut book: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| bad(format!("not a readable Excel workbook (.xlsx): {e}")))?;
    let names = book.sheet_names();
    let sheet = names
        .iter()
        .find(|n| n.eq_ignore_ascii_case("data"))
        .or(names.first())
        .cloned()
        .ok_or_else(|| bad("the workbook has no sheet".into()))?;
    let range = book.worksheet_range(&sheet).map_err(|e| bad(format!("sheet '{sheet}' cannot be read: {e}")))?;
    match range.start() {
        None => return Err(bad(format!("sheet '{sheet}' is empty: expected the template's header in row 1"))),
        Some((r, c)) if r != 0 || c != 0 => {
            return Err(bad(format!(
                "sheet '{sheet}' starts at {}{}: expected the template's header in row 1 from column A",
                letter(c as usize),
                r + 1
            )));
        }
        Some(_) => {}
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let bad_csv = |e: csv::Error| StoreError::Invalid(e.to_string());
    for row in range.rows() {
        // A blank row stays a row of empty fields (which the reader skips), so that later rows
        // keep their numbers.
        let cells: Vec<String> = row.iter().map(|d| cell_text(d).replace(['\r', '\n'], " ")).collect();
        w.write_record(&cells).map_err(bad_csv)?;
    }
    w.into_inner().map_err(|e| StoreError::Invalid(e.to_string()))
}

/// `bytes` as CSV: a workbook converted, anything else as it is.
pub fn as_csv(bytes: Vec<u8>, file: &str) -> Result<Vec<u8>, StoreError> {
    if is_xlsx(&bytes) { xlsx_as_csv(&bytes, file) } else { Ok(bytes) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(rows: &[&[&str]], at: (u32, u16)) -> Vec<u8> {
        let mut b = rust_xlsxwriter::Workbook::new();
        let s = b.add_worksheet();
        s.set_name("data").unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let (r, c) = (at.0 + r as u32, at.1 + c as u16);
                match v.parse::<f64>() {
                    Ok(n) => s.write_number(r, c, n).unwrap(),
                    Err(_) if v.is_empty() => s,
                    Err(_) => s.write_string(r, c, *v).unwrap(),
                };
            }
        }
        b.save_to_buffer().unwrap()
    }

    #[test]
    fn a_workbook_reads_as_the_csv_it_stands_for_row_for_row() {
        let rows: &[&[&str]] = &[
            &["indicator", "area", "period", "value", "footnote"],
            &["CN_RURAL_POOR_POP", "130102", "2023", "1.25", "two\nlines"],
            &["", "", "", "", ""],
            &["CN_RURAL_POOR_POP", "130104", "2023", "3", ""],
        ];
        let bytes = book(rows, (0, 0));
        assert!(is_xlsx(&bytes));
        let csv = String::from_utf8(xlsx_as_csv(&bytes, "t.xlsx").unwrap()).unwrap();
        // Numbers typed as numbers come back as typed (no "130102.0", no "2023.0").
        assert_eq!(
            csv,
            "indicator,area,period,value,footnote\nCN_RURAL_POOR_POP,130102,2023,1.25,two lines\n,,,,\nCN_RURAL_POOR_POP,130104,2023,3,\n"
        );
        // The blank row keeps its line: the last record is on line 4, as in Excel.
        let mut r = csv::Reader::from_reader(csv.as_bytes());
        let lines: Vec<u64> = r.records().map(|x| x.unwrap().position().unwrap().line()).collect();
        assert_eq!(lines, vec![2, 3, 4]);
    }

    #[test]
    fn a_sheet_not_starting_at_a1_or_not_a_workbook_is_refused_with_the_place() {
        let bytes = book(&[&["indicator", "area"]], (2, 1));
        let e = xlsx_as_csv(&bytes, "t.xlsx").unwrap_err().to_string();
        assert!(e.contains("t.xlsx") && e.contains("starts at B3"), "{e}");
        let e = xlsx_as_csv(b"PK\x03\x04 not really", "u.xlsx").unwrap_err().to_string();
        assert!(e.contains("u.xlsx") && e.contains("not a readable Excel workbook"), "{e}");
        assert_eq!(as_csv(b"a,b\n".to_vec(), "x.csv").unwrap(), b"a,b\n");
        assert_eq!(letter(0), "A");
        assert_eq!(letter(27), "AB");
    }
}
