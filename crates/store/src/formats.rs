//! File layouts for observations: RightStat's plain CSV, SDMX-CSV 2.0 and JSON.
//!
//! Import maps each header to a [`Field`]; export writes the same layouts, so that an export
//! imports again unchanged.

use crate::ObservationRow;
use rightstat_core::codelist::TOTAL;
use std::io::Write;

/// The dataflow RightStat's SDMX-CSV refers to.
pub const SDMX_STRUCTURE_ID: &str = "RIGHTSTAT:DF_RIGHTSTAT(1.0)";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    SdmxCsv,
    Json,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "csv" => Ok(Format::Csv),
            "sdmx-csv" => Ok(Format::SdmxCsv),
            "json" => Ok(Format::Json),
            _ => Err(format!("unknown format '{s}': expected csv, sdmx-csv or json")),
        }
    }
}

/// What a column of an input file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Indicator,
    Area,
    Period,
    Value,
    Status,
    Unit,
    UnitMult,
    Source,
    Footnote,
    InternalNote,
    /// SDMX-CSV ACTION: I, A or R (D is refused).
    Action,
    Dimension(String),
    /// STRUCTURE, STRUCTURE_ID, FREQ: structural, not stored per observation.
    Ignored,
}

const CSV_FIELDS: &[(&str, Field)] = &[
    ("indicator", Field::Indicator),
    ("area", Field::Area),
    ("period", Field::Period),
    ("value", Field::Value),
    ("status", Field::Status),
    ("unit", Field::Unit),
    ("unit_mult", Field::UnitMult),
    ("source", Field::Source),
    ("footnote", Field::Footnote),
    ("internal_note", Field::InternalNote),
];

const SDMX_FIELDS: &[(&str, Field)] = &[
    ("STRUCTURE", Field::Ignored),
    ("STRUCTURE_ID", Field::Ignored),
    ("ACTION", Field::Action),
    ("FREQ", Field::Ignored),
    ("INDICATOR", Field::Indicator),
    ("SERIES", Field::Indicator),
    ("REF_AREA", Field::Area),
    ("TIME_PERIOD", Field::Period),
    ("OBS_VALUE", Field::Value),
    ("OBS_STATUS", Field::Status),
    ("UNIT_MEASURE", Field::Unit),
    ("UNIT_MULT", Field::UnitMult),
    ("SOURCE_DETAIL", Field::Source),
    ("COMMENT_OBS", Field::Footnote),
    // Derived from the reporting units when figures are aggregated: read, not imported.
    ("COMPLETENESS", Field::Ignored),
];

/// A header problem: the column and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderError {
    pub column: String,
    pub expected: String,
}

/// Maps a header row to fields. `dimensions` are the codelist ids known to the database.
pub fn map_header(format: Format, header: &csv::StringRecord, dimensions: &[String]) -> Result<Vec<Field>, Vec<HeaderError>> {
    let table = if format == Format::SdmxCsv { SDMX_FIELDS } else { CSV_FIELDS };
    let mut fields = Vec::new();
    let mut errors = Vec::new();
    for h in header.iter() {
        let name = h.trim().trim_start_matches('\u{feff}');
        let field = table
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, f)| f.clone())
            .or_else(|| dimensions.iter().find(|d| d.eq_ignore_ascii_case(name)).map(|d| Field::Dimension(d.clone())));
        match field {
            Some(f) if fields.contains(&f) && f != Field::Ignored => {
                errors.push(HeaderError { column: name.into(), expected: "each column once".into() })
            }
            Some(f) => fields.push(f),
            None => errors.push(HeaderError {
                column: name.into(),
                expected: format!(
                    "one of {} or a dimension ({})",
                    table.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
                    dimensions.join(", ")
                ),
            }),
        }
    }
    for (name, required) in table.iter().filter(|(_, f)| matches!(f, Field::Indicator | Field::Area | Field::Period | Field::Value)) {
        if name == &"SERIES" {
            continue;
        }
        if !fields.contains(required) {
            errors.push(HeaderError { column: (*name).into(), expected: format!("a column named {name}") });
        }
    }
    if errors.is_empty() { Ok(fields) } else { Err(errors) }
}

fn value_text(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// Writes rows in `format`. `dimensions` fixes the dimension columns and their order.
pub fn write_observations<W: Write>(out: W, format: Format, rows: &[ObservationRow], dimensions: &[String]) -> std::io::Result<()> {
    if format == Format::Json {
        let mut out = out;
        serde_json::to_writer_pretty(&mut out, rows)?;
        return out.write_all(b"\n");
    }
    let mut w = csv::Writer::from_writer(out);
    let dim_code = |r: &ObservationRow, d: &String| r.cell.get(d).cloned().unwrap_or_else(|| TOTAL.to_string());
    // The two layouts differ in names and in SDMX-CSV's three leading structure columns.
    let sdmx = format == Format::SdmxCsv;
    let (lead, key, tail): (&[&str], [&str; 3], &[&str]) = if sdmx {
        (
            &["STRUCTURE", "STRUCTURE_ID", "ACTION"],
            ["INDICATOR", "REF_AREA", "TIME_PERIOD"],
            &["OBS_VALUE", "UNIT_MEASURE", "UNIT_MULT", "OBS_STATUS", "SOURCE_DETAIL", "COMMENT_OBS", "COMPLETENESS"],
        )
    } else {
        (&[], ["indicator", "area", "period"], &["value", "unit", "unit_mult", "status", "source", "footnote"])
    };
    let mut h: Vec<&str> = lead.to_vec();
    h.extend(&key[..2]);
    if !sdmx {
        h.push(key[2]);
    }
    h.extend(dimensions.iter().map(String::as_str));
    if sdmx {
        h.push(key[2]);
    }
    h.extend(tail.iter().copied());
    w.write_record(&h)?;
    for r in rows {
        let mut rec: Vec<String> = if sdmx { vec!["dataflow".into(), SDMX_STRUCTURE_ID.into(), "I".into()] } else { Vec::new() };
        rec.extend([r.indicator.clone(), r.area.clone()]);
        if !sdmx {
            rec.push(r.period.clone());
        }
        rec.extend(dimensions.iter().map(|d| dim_code(r, d)));
        if sdmx {
            rec.push(r.period.clone());
        }
        rec.extend([value_text(r.value), r.unit.clone(), r.unit_mult.to_string(), r.status.clone(), r.source.clone(), r.footnote.clone()]);
        if sdmx {
            rec.push(r.completeness());
        }
        w.write_record(&rec)?;
    }
    w.flush()
}

/// The text a CSV writer over memory produced (generated files: templates, exports, derived rows).
pub(crate) fn csv_into_string(w: csv::Writer<Vec<u8>>) -> crate::Result<String> {
    let bytes = w.into_inner().map_err(|e| crate::StoreError::Invalid(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| crate::StoreError::Invalid(e.to_string()))
}
