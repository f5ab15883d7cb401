//! SDMX data messages: SDMX-CSV 2.0, SDMX-JSON 1.0 and SDMX-ML 2.1 structure-specific data,
//! all written from the same rows against the one data structure (`DSD_RIGHTSTAT`): the key is
//! always every dimension of [`Site::key`], whichever the rows use, and the attributes are the
//! DSD's ([`ATTRIBUTES`]), so the three formats carry identical observations.
//!
//! A query's *shape* follows SDMX 2.1 REST: `detail` (full, dataonly, serieskeysonly, nodata)
//! and `dimensionAtObservation` (TIME_PERIOD, grouping observations into series, or
//! AllDimensions, a flat list).

use crate::site::Site;
use crate::structure::{AGENCY, VERSION, esc as xml};
use rightstat_core::codelist::TOTAL;
use rightstat_store::ObservationRow;
use rightstat_store::formats::{Format, SDMX_STRUCTURE_ID, write_observations};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt::Write as _;

/// The DSD's attributes, all attached to the observation (a definition's new version may
/// change the unit, so no attribute is constant over a series): unit, multiplier, status,
/// source, footnote, and for a figure aggregated from lower levels how many of the units
/// expected to report did (`12/14`).
pub const ATTRIBUTES: [&str; 6] = ["UNIT_MEASURE", "UNIT_MULT", "OBS_STATUS", "SOURCE_DETAIL", "COMMENT_OBS", "COMPLETENESS"];

/// How much of each series a data query returns (SDMX 2.1 REST `detail`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    /// Observations with their attributes.
    #[default]
    Full,
    /// Observations without attributes.
    DataOnly,
    /// The series keys alone.
    SeriesKeysOnly,
    /// The series with their attributes, no observations (every attribute here is attached
    /// to observations, so this is the series keys).
    NoData,
}

impl Detail {
    pub fn parse(s: &str) -> Option<Detail> {
        Some(match s {
            "full" => Detail::Full,
            "dataonly" => Detail::DataOnly,
            "serieskeysonly" => Detail::SeriesKeysOnly,
            "nodata" => Detail::NoData,
            _ => return None,
        })
    }
    fn observations(self) -> bool {
        matches!(self, Detail::Full | Detail::DataOnly)
    }
    fn attributes(self) -> bool {
        self == Detail::Full
    }
}

/// Where the observation dimension sits (SDMX 2.1 REST `dimensionAtObservation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// `TIME_PERIOD`: observations grouped into series by the rest of the key.
    #[default]
    Series,
    /// `AllDimensions`: a flat list of observations, each with its whole key.
    Flat,
}

/// The shape of a data message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shape {
    pub detail: Detail,
    pub layout: Layout,
}

impl Shape {
    /// `serieskeysonly` and `nodata` list series, whatever `dimensionAtObservation` says (a
    /// flat list has no series to list).
    pub fn new(detail: Detail, layout: Layout) -> Shape {
        Shape { detail, layout: if detail.observations() { layout } else { Layout::Series } }
    }
}

/// The code a row has for a key dimension (`_T` where it is not broken down by it).
pub(crate) fn code_of<'a>(r: &'a ObservationRow, dimension: &str) -> &'a str {
    match dimension {
        "INDICATOR" => &r.indicator,
        "REF_AREA" => &r.area,
        "TIME_PERIOD" => &r.period,
        d => r.cell.get(d).map_or(TOTAL, String::as_str),
    }
}

/// An attribute's value for a row; empty when it has none.
pub fn attribute_of(r: &ObservationRow, attribute: &str) -> String {
    match attribute {
        "UNIT_MEASURE" => r.unit.clone(),
        "UNIT_MULT" => r.unit_mult.to_string(),
        "OBS_STATUS" => r.status.clone(),
        "SOURCE_DETAIL" => r.source.clone(),
        "COMMENT_OBS" => r.footnote.clone(),
        "COMPLETENESS" => r.completeness(),
        _ => String::new(),
    }
}

/// Rows grouped into series (indicator, area and cell), in the order they first appear.
fn series<'a>(rows: &[&'a ObservationRow]) -> Vec<Vec<&'a ObservationRow>> {
    let mut index: HashMap<(&str, &str, &str), usize> = HashMap::new();
    let mut out: Vec<Vec<&ObservationRow>> = Vec::new();
    for r in rows {
        let i = *index.entry((r.indicator.as_str(), r.area.as_str(), r.cell_key.as_str())).or_insert_with(|| {
            out.push(Vec::new());
            out.len() - 1
        });
        out[i].push(r);
    }
    out
}

/// The values of one dimension or attribute in a JSON message, each listed once, in the
/// order first met, and referred to by position.
#[derive(Debug, Clone, Default)]
struct Values {
    list: Vec<String>,
    index: HashMap<String, usize>,
}

impl Values {
    fn position(&mut self, v: &str) -> usize {
        if let Some(i) = self.index.get(v) {
            return *i;
        }
        self.list.push(v.to_string());
        self.index.insert(v.to_string(), self.list.len() - 1);
        self.list.len() - 1
    }
}

impl Site {
    /// SDMX-CSV 2.0 with every attribute (the layout `rightstat import --format sdmx-csv`
    /// reads). Every dimension of the data structure is a column, whichever the rows use.
    pub fn sdmx_csv(&self, rows: &[&ObservationRow]) -> Vec<u8> {
        self.sdmx_csv_shaped(rows, Detail::Full)
    }

    /// SDMX-CSV 2.0 of a given `detail`: without the attribute columns (dataonly), or one row
    /// per series with its key alone (serieskeysonly, nodata).
    pub fn sdmx_csv_shaped(&self, rows: &[&ObservationRow], detail: Detail) -> Vec<u8> {
        if detail == Detail::Full {
            let owned: Vec<ObservationRow> = rows.iter().map(|r| (*r).clone()).collect();
            let mut out = Vec::new();
            write_observations(&mut out, Format::SdmxCsv, &owned, &self.key_dimensions).expect("writing to memory");
            return out;
        }
        let key = self.key();
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header: Vec<&str> = vec!["STRUCTURE", "STRUCTURE_ID", "ACTION"];
        header.extend(&key);
        if detail.observations() {
            header.extend(["TIME_PERIOD", "OBS_VALUE"]);
        }
        w.write_record(&header).expect("writing to memory");
        let lead = ["dataflow", SDMX_STRUCTURE_ID, "I"];
        if detail.observations() {
            for r in rows {
                let mut rec: Vec<String> = lead.iter().map(|s| s.to_string()).collect();
                rec.extend(key.iter().map(|d| code_of(r, d).to_string()));
                rec.extend([r.period.clone(), r.value.map(|v| v.to_string()).unwrap_or_default()]);
                w.write_record(&rec).expect("writing to memory");
            }
        } else {
            for s in series(rows) {
                let mut rec: Vec<String> = lead.iter().map(|s| s.to_string()).collect();
                rec.extend(key.iter().map(|d| code_of(s[0], d).to_string()));
                w.write_record(&rec).expect("writing to memory");
            }
        }
        w.into_inner().expect("writing to memory")
    }

    /// The English name of a dimension's code, for SDMX-JSON's structure (`areas`: the
    /// names of the areas the message holds).
    fn value_name(&self, areas: &HashMap<&str, &str>, dimension: &str, code: &str) -> String {
        match dimension {
            "INDICATOR" => self.indicator(code).map(|d| d.name_en.clone()).filter(|n| !n.is_empty()).unwrap_or_else(|| code.into()),
            "REF_AREA" => areas.get(code).map_or_else(|| code.into(), |n| n.to_string()),
            "TIME_PERIOD" => code.into(),
            _ if code == TOTAL => "Total".into(),
            d => self.code_name(d, code).map_or_else(|| code.into(), |n| n.en.clone()),
        }
    }

    /// An SDMX-JSON 1.0 data message. Each dimension's and attribute's values are listed once
    /// in the structure and referred to by position; an attribute a figure lacks is `null`.
    pub fn sdmx_json(&self, rows: &[&ObservationRow], id: &str, shape: Shape) -> Vec<u8> {
        let key = self.key();
        // Each concept's English name, as the concept scheme gives it.
        let concepts = self.concepts();
        let concept_name = |c: &str| concepts.iter().find(|(id, _, _)| id == c).map_or_else(|| c.to_string(), |(_, en, _)| en.clone());
        // Dimensions at the series level and at the observation level.
        let (series_dims, obs_dims): (Vec<&str>, Vec<&str>) = match shape.layout {
            Layout::Series => (key.clone(), vec!["TIME_PERIOD"]),
            Layout::Flat => (Vec::new(), key.iter().copied().chain(["TIME_PERIOD"]).collect()),
        };
        // Every attribute of the DSD is listed, with or without values: a client reading the
        // message against the DSD (sdmx1) looks each up.
        let attrs: &[&str] = if shape.detail.attributes() { &ATTRIBUTES } else { &[] };
        let mut series_values: Vec<Values> = vec![Values::default(); series_dims.len()];
        let mut obs_values: Vec<Values> = vec![Values::default(); obs_dims.len()];
        let mut attr_values: Vec<Values> = vec![Values::default(); attrs.len()];
        let mut observation = |r: &ObservationRow, obs_values: &mut Vec<Values>| -> (String, Value) {
            let k: Vec<String> = obs_dims.iter().enumerate().map(|(i, d)| obs_values[i].position(code_of(r, d)).to_string()).collect();
            let mut o = vec![r.value.map_or(Value::Null, |v| json!(v))];
            for (i, a) in attrs.iter().enumerate() {
                let v = attribute_of(r, a);
                o.push(if v.is_empty() { Value::Null } else { json!(attr_values[i].position(&v)) });
            }
            (k.join(":"), Value::Array(o))
        };
        let data_set = match shape.layout {
            Layout::Flat => {
                let mut observations = serde_json::Map::new();
                for r in rows {
                    let (k, o) = observation(r, &mut obs_values);
                    observations.insert(k, o);
                }
                json!({"action": "Information", "observations": observations})
            }
            Layout::Series => {
                let mut all = serde_json::Map::new();
                for s in series(rows) {
                    let k: Vec<String> =
                        series_dims.iter().enumerate().map(|(i, d)| series_values[i].position(code_of(s[0], d)).to_string()).collect();
                    let mut body = serde_json::Map::new();
                    body.insert("attributes".into(), json!([]));
                    if shape.detail.observations() {
                        let mut observations = serde_json::Map::new();
                        for r in &s {
                            let (k, o) = observation(r, &mut obs_values);
                            observations.insert(k, o);
                        }
                        body.insert("observations".into(), Value::Object(observations));
                    }
                    all.insert(k.join(":"), Value::Object(body));
                }
                json!({"action": "Information", "series": all})
            }
        };
        let areas: HashMap<&str, &str> = rows
            .iter()
            .map(|r| (r.area.as_str(), r.area_name_en.as_deref().filter(|n| !n.is_empty()).unwrap_or(&r.area_name_zh)))
            .collect();
        let dimension = |(i, (d, values)): (usize, (&&str, &Values))| {
            json!({
                "id": d, "name": concept_name(d), "keyPosition": i,
                "values": values.list.iter().map(|v| json!({"id": v, "name": self.value_name(&areas, d, v)})).collect::<Vec<_>>(),
            })
        };
        let series_structure: Vec<Value> = series_dims.iter().zip(&series_values).enumerate().map(dimension).collect();
        let offset = series_dims.len();
        let obs_structure: Vec<Value> = obs_dims
            .iter()
            .zip(&obs_values)
            .enumerate()
            .map(|(i, dv)| {
                let mut v = dimension((i, dv));
                v["keyPosition"] = json!(offset + i);
                v
            })
            .collect();
        let unit_name = |u: &str| self.units.get(u).map_or_else(|| u.to_string(), |n| n.en.clone());
        let attr_structure: Vec<Value> = attrs
            .iter()
            .zip(&attr_values)
            .map(|(a, values)| {
                json!({
                    "id": a, "name": concept_name(a),
                    "values": values.list.iter().map(|v| json!({"id": v, "name": if *a == "UNIT_MEASURE" { unit_name(v) } else { v.clone() }})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let message = json!({
            "header": {
                "id": id,
                "test": false,
                "prepared": self.prepared(),
                "sender": {"id": AGENCY, "name": "RightStat"},
            },
            "structure": {
                "name": "RightStat public figures",
                "links": [{"rel": "dataflow", "urn": format!("urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow={SDMX_STRUCTURE_ID}")}],
                "dimensions": {"dataSet": [], "series": series_structure, "observation": obs_structure},
                "attributes": {"dataSet": [], "series": [], "observation": attr_structure},
            },
            "dataSets": [data_set],
        });
        let mut out = serde_json::to_vec_pretty(&message).expect("JSON of plain values");
        out.push(b'\n');
        out
    }

    /// When the newest public figure was recorded, as a message header's `prepared`.
    pub(crate) fn prepared(&self) -> String {
        if self.as_of.len() >= 19 { format!("{}Z", &self.as_of[..19]) } else { "2000-01-01T00:00:00Z".into() }
    }

    /// An SDMX-ML 2.1 structure-specific data message: each series an element with its key as
    /// attributes, each observation its period, value and attributes (a withheld figure has no
    /// `OBS_VALUE` and `OBS_STATUS="Q"`).
    pub fn sdmx_ml(&self, rows: &[&ObservationRow], id: &str, shape: Shape) -> Vec<u8> {
        let key = self.key();
        let flat = shape.layout == Layout::Flat;
        let level = if flat { "AllDimensions" } else { "TIME_PERIOD" };
        let flow = crate::data::DATAFLOW;
        let structure_id = format!("{AGENCY}_{flow}_{}", VERSION.replace('.', "_"));
        let namespace = format!("urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow={AGENCY}:{flow}({VERSION}):ObsLevelDim:{level}");
        let mut s = String::with_capacity(256 + rows.len() * 160);
        let _ = write!(
            s,
            concat!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
                "<message:StructureSpecificData xmlns:message=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message\" ",
                "xmlns:common=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common\" ",
                "xmlns:ss=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific\" ",
                "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:ns1=\"{ns}\">\n",
                "<message:Header><message:ID>{id}</message:ID><message:Test>false</message:Test>",
                "<message:Prepared>{prepared}</message:Prepared><message:Sender id=\"{agency}\"/>",
                "<message:Structure structureID=\"{sid}\" namespace=\"{ns}\" dimensionAtObservation=\"{level}\">",
                "<common:StructureUsage><Ref agencyID=\"{agency}\" id=\"{flow}\" version=\"{version}\"/></common:StructureUsage>",
                "</message:Structure></message:Header>\n",
                "<message:DataSet ss:dataScope=\"DataStructure\" xsi:type=\"ns1:DataSetType\" ss:structureRef=\"{sid}\" action=\"Information\">\n"
            ),
            ns = namespace,
            id = xml(id),
            prepared = self.prepared(),
            agency = AGENCY,
            sid = structure_id,
            level = level,
            flow = flow,
            version = VERSION,
        );
        let observation = |s: &mut String, r: &ObservationRow, dims: &[&str]| {
            s.push_str("<Obs");
            for d in dims {
                let _ = write!(s, " {d}=\"{}\"", xml(code_of(r, d)));
            }
            if let Some(v) = r.value {
                let _ = write!(s, " OBS_VALUE=\"{v}\"");
            }
            if shape.detail.attributes() {
                for a in ATTRIBUTES {
                    let v = attribute_of(r, a);
                    if !v.is_empty() {
                        let _ = write!(s, " {a}=\"{}\"", xml(&v));
                    }
                }
            }
            s.push_str("/>\n");
        };
        if flat {
            let all: Vec<&str> = key.iter().copied().chain(["TIME_PERIOD"]).collect();
            for r in rows {
                observation(&mut s, r, &all);
            }
        } else {
            for series in series(rows) {
                s.push_str("<Series");
                for d in &key {
                    let _ = write!(s, " {d}=\"{}\"", xml(code_of(series[0], d)));
                }
                if !shape.detail.observations() {
                    s.push_str("/>\n");
                    continue;
                }
                s.push_str(">\n");
                for r in &series {
                    observation(&mut s, r, &["TIME_PERIOD"]);
                }
                s.push_str("</Series>\n");
            }
        }
        s.push_str("</message:DataSet>\n</message:StructureSpecificData>\n");
        s.into_bytes()
    }
}
