//! Open data: the public figures as CSV, SDMX-CSV 2.0 and SDMX-JSON 1.0 (the JSON form that
//! goes with SDMX 2.1 REST), and the SDMX REST data query (`{flow}/{key}` with `+`, wildcards
//! and a period range).
//!
//! The data structure is one dataflow, `RIGHTSTAT:DF_RIGHTSTAT(1.0)`: the key is INDICATOR,
//! REF_AREA and then every disaggregation dimension in alphabetical order (`_T` where a
//! figure is not broken down by it); TIME_PERIOD is the observation dimension.

use crate::site::Site;
use rightstat_core::codelist::TOTAL;
use rightstat_core::period::Period;
use rightstat_store::ObservationRow;
use rightstat_store::formats::{Format, SDMX_STRUCTURE_ID, write_observations};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// The dataflow's id as REST paths name it.
pub const DATAFLOW: &str = "DF_RIGHTSTAT";

/// A problem with an SDMX query, phrased for the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("unknown dataflow '{0}': this service has RIGHTSTAT,DF_RIGHTSTAT,1.0")]
    UnknownFlow(String),
    #[error("the key has {found} parts; the dataflow's key has {expected} ({dimensions})")]
    KeyLength { found: usize, expected: usize, dimensions: String },
    #[error("'{0}' is not a period (expected e.g. 2020, 2020-Q1 or 2020-03)")]
    Period(String),
}

/// A parsed data query: for each key dimension, the codes asked (empty = any).
#[derive(Debug, Clone)]
pub struct Query {
    parts: Vec<Vec<String>>,
    start: Option<Period>,
    end: Option<Period>,
}

impl Site {
    /// The key dimensions in order: INDICATOR, REF_AREA, then the disaggregations.
    pub fn key(&self) -> Vec<&str> {
        ["INDICATOR", "REF_AREA"].into_iter().chain(self.key_dimensions.iter().map(String::as_str)).collect()
    }

    /// Parses `flow` (`DF_RIGHTSTAT`, `RIGHTSTAT,DF_RIGHTSTAT` or with `,1.0`/`,latest`) and a
    /// key such as `CN_RURAL_POOR_POP+SI_POV_NAHC.CN..R` (`all`, `*` or empty parts match
    /// anything; a shorter key leaves the remaining dimensions open).
    pub fn query(&self, flow: &str, key: &str, start: Option<&str>, end: Option<&str>) -> Result<Query, QueryError> {
        let f: Vec<&str> = flow.split(',').collect();
        let ok = match f.as_slice() {
            [id] => *id == DATAFLOW,
            [agency, id] => (*agency == "RIGHTSTAT" || *agency == "all") && *id == DATAFLOW,
            [agency, id, version] => {
                (*agency == "RIGHTSTAT" || *agency == "all") && *id == DATAFLOW && matches!(*version, "1.0" | "latest" | "~")
            }
            _ => false,
        };
        if !ok {
            return Err(QueryError::UnknownFlow(flow.into()));
        }
        let dims = self.key();
        let parts: Vec<Vec<String>> = if key.is_empty() || key == "all" || key == "*" {
            Vec::new()
        } else {
            key.split('.').map(|p| if p.is_empty() || p == "*" { Vec::new() } else { p.split('+').map(str::to_owned).collect() }).collect()
        };
        if parts.len() > dims.len() {
            return Err(QueryError::KeyLength { found: parts.len(), expected: dims.len(), dimensions: dims.join(".") });
        }
        let period = |s: Option<&str>| s.map(|p| p.parse::<Period>().map_err(|_| QueryError::Period(p.into()))).transpose();
        Ok(Query { parts, start: period(start)?, end: period(end)? })
    }

    /// Of each series (indicator, area and cell), only its first `first` and last `last`
    /// observations by period (SDMX `firstNObservations` / `lastNObservations`).
    pub fn limit_per_series<'a>(rows: Vec<&'a ObservationRow>, first: Option<usize>, last: Option<usize>) -> Vec<&'a ObservationRow> {
        if first.is_none() && last.is_none() {
            return rows;
        }
        let mut series: BTreeMap<(&str, &str, &str), Vec<&'a ObservationRow>> = BTreeMap::new();
        for r in rows {
            series.entry((r.indicator.as_str(), r.area.as_str(), r.cell_key.as_str())).or_default().push(r);
        }
        let mut out = Vec::new();
        for (_, mut obs) in series {
            obs.sort_by_key(|r| r.period.parse::<Period>().ok());
            let n = obs.len();
            let keep = |i: usize| first.is_some_and(|f| i < f) || last.is_some_and(|l| i + l >= n);
            out.extend(obs.into_iter().enumerate().filter(|(i, _)| keep(*i)).map(|(_, r)| r));
        }
        out
    }

    /// The figures a query selects, in indicator, area, period and cell order.
    pub fn select(&self, q: &Query) -> Vec<&ObservationRow> {
        let dims = self.key();
        let matches = |r: &ObservationRow| {
            q.parts.iter().zip(&dims).all(|(wanted, dim)| {
                wanted.is_empty() || {
                    let code = match *dim {
                        "INDICATOR" => r.indicator.as_str(),
                        "REF_AREA" => r.area.as_str(),
                        d => r.cell.get(d).map_or(TOTAL, String::as_str),
                    };
                    wanted.iter().any(|w| w == code)
                }
            }) && r
                .period
                .parse::<Period>()
                .is_ok_and(|p| q.start.is_none_or(|s| p.end() >= s.start()) && q.end.is_none_or(|e| p.start() <= e.end()))
        };
        let indicators: Option<&Vec<String>> = q.parts.first().filter(|w| !w.is_empty());
        self.figures
            .iter()
            .filter(|(code, _)| indicators.is_none_or(|w| w.contains(code)))
            .flat_map(|(_, rows)| rows.iter())
            .filter(|r| matches(r))
            .collect()
    }

    /// The dimensions the rows use, in key order (SDMX-CSV writes one column for each).
    fn used_dimensions(&self, rows: &[&ObservationRow]) -> Vec<String> {
        self.key_dimensions.iter().filter(|d| rows.iter().any(|r| r.cell.contains_key(*d))).cloned().collect()
    }

    /// Plain CSV for spreadsheets: names in both languages beside the codes.
    pub fn csv(&self, rows: &[&ObservationRow]) -> Vec<u8> {
        let dims = self.used_dimensions(rows);
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header = vec!["indicator", "indicator_name_en", "indicator_name_zh", "area", "area_name_en", "area_name_zh", "period"];
        header.extend(dims.iter().map(String::as_str));
        header.extend(["value", "unit", "unit_mult", "status", "source", "footnote"]);
        w.write_record(&header).expect("writing to memory");
        let names: HashMap<&str, (&str, &str)> =
            self.indicators.iter().map(|d| (d.code.as_str(), (d.name_en.as_str(), d.name_zh.as_str()))).collect();
        for r in rows {
            let (en, zh) = names.get(r.indicator.as_str()).copied().unwrap_or(("", ""));
            let mut rec: Vec<String> = [&r.indicator, en, zh, &r.area, r.area_name_en.as_deref().unwrap_or(""), &r.area_name_zh, &r.period]
                .into_iter()
                .map(str::to_owned)
                .collect();
            rec.extend(dims.iter().map(|d| r.cell.get(d).cloned().unwrap_or_else(|| TOTAL.into())));
            rec.extend([
                r.value.map(|v| v.to_string()).unwrap_or_default(),
                r.unit.clone(),
                r.unit_mult.to_string(),
                r.status.clone(),
                r.source.clone(),
                r.footnote.clone(),
            ]);
            w.write_record(&rec).expect("writing to memory");
        }
        w.into_inner().expect("writing to memory")
    }

    /// SDMX-CSV 2.0 (the same layout `rightstat import --format sdmx-csv` reads).
    /// Every dimension of the data structure is a column, whichever the rows use (`_T` where
    /// a figure is not broken down by it): a client reads the key the DSD declares.
    pub fn sdmx_csv(&self, rows: &[&ObservationRow]) -> Vec<u8> {
        let dims = self.key_dimensions.clone();
        let owned: Vec<ObservationRow> = rows.iter().map(|r| (*r).clone()).collect();
        let mut out = Vec::new();
        write_observations(&mut out, Format::SdmxCsv, &owned, &dims).expect("writing to memory");
        out
    }

    /// An SDMX-JSON 1.0 data message: every dimension at the observation level, the values
    /// of each listed once and referred to by position.
    pub fn sdmx_json(&self, rows: &[&ObservationRow], id: &str) -> Vec<u8> {
        let mut dims: Vec<String> = self.key().into_iter().map(str::to_owned).collect();
        dims.push("TIME_PERIOD".into());
        let code_of = |r: &ObservationRow, d: &str| -> String {
            match d {
                "INDICATOR" => r.indicator.clone(),
                "REF_AREA" => r.area.clone(),
                "TIME_PERIOD" => r.period.clone(),
                d => r.cell.get(d).cloned().unwrap_or_else(|| TOTAL.into()),
            }
        };
        let attrs = ["OBS_STATUS", "UNIT_MEASURE", "UNIT_MULT"];
        let attr_of = |r: &ObservationRow, a: &str| -> String {
            match a {
                "OBS_STATUS" => r.status.clone(),
                "UNIT_MEASURE" => r.unit.clone(),
                _ => r.unit_mult.to_string(),
            }
        };
        // Values of each dimension and attribute, in first-seen order, and their positions.
        let mut dim_values: Vec<Vec<String>> = vec![Vec::new(); dims.len()];
        let mut attr_values: Vec<Vec<String>> = vec![Vec::new(); attrs.len()];
        let position = |list: &mut Vec<String>, v: String| {
            list.iter().position(|x| *x == v).unwrap_or_else(|| {
                list.push(v);
                list.len() - 1
            })
        };
        let mut observations = serde_json::Map::new();
        for r in rows {
            let key: Vec<String> = dims.iter().enumerate().map(|(i, d)| position(&mut dim_values[i], code_of(r, d)).to_string()).collect();
            let mut obs = vec![r.value.map_or(Value::Null, |v| json!(v))];
            obs.extend(attrs.iter().enumerate().map(|(i, a)| json!(position(&mut attr_values[i], attr_of(r, a)))));
            observations.insert(key.join(":"), Value::Array(obs));
        }
        let names: BTreeMap<&str, (String, String)> = rows
            .iter()
            .flat_map(|r| {
                let ind = self.indicator(&r.indicator).map(|d| (d.name_en.clone(), d.name_zh.clone())).unwrap_or_default();
                [(r.indicator.as_str(), ind), (r.area.as_str(), (r.area_name_en.clone().unwrap_or_default(), r.area_name_zh.clone()))]
            })
            .collect();
        let value_name = |d: &str, code: &str| -> String {
            match d {
                "INDICATOR" | "REF_AREA" => names.get(code).map(|n| n.0.clone()).filter(|n| !n.is_empty()).unwrap_or_else(|| code.into()),
                "TIME_PERIOD" => code.into(),
                _ if code == TOTAL => "Total".into(),
                _ => self.code_name(d, code).map_or_else(|| code.into(), |n| n.en.clone()),
            }
        };
        let dim_name = |d: &str| -> String {
            match d {
                "INDICATOR" => "Indicator".into(),
                "REF_AREA" => "Reference area".into(),
                "TIME_PERIOD" => "Time period".into(),
                d => self.dimensions.get(d).map_or_else(|| d.into(), |n| n.en.clone()),
            }
        };
        let structure_dims: Vec<Value> = dims
            .iter()
            .zip(&dim_values)
            .enumerate()
            .map(|(i, (d, values))| {
                json!({
                    "id": d, "name": dim_name(d), "keyPosition": i,
                    "values": values.iter().map(|v| json!({"id": v, "name": value_name(d, v)})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let attr_name = |a: &str| match a {
            "OBS_STATUS" => "Observation status",
            "UNIT_MEASURE" => "Unit of measure",
            _ => "Unit multiplier",
        };
        let unit_name = |u: &str| self.units.get(u).map_or_else(|| u.to_string(), |n| n.en.clone());
        let structure_attrs: Vec<Value> = attrs
            .iter()
            .zip(&attr_values)
            .map(|(a, values)| {
                json!({
                    "id": a, "name": attr_name(a),
                    "values": values.iter().map(|v| json!({"id": v, "name": if *a == "UNIT_MEASURE" { unit_name(v) } else { v.clone() }})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let message = json!({
            "header": {
                "id": id,
                "test": false,
                "prepared": if self.as_of.is_empty() { "1970-01-01T00:00:00Z" } else { self.as_of.as_str() },
                "sender": {"id": "RIGHTSTAT", "name": "RightStat"},
            },
            "structure": {
                "name": "RightStat public figures",
                "links": [{"rel": "dataflow", "urn": format!("urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow={SDMX_STRUCTURE_ID}")}],
                "dimensions": {"dataSet": [], "series": [], "observation": structure_dims},
                "attributes": {"dataSet": [], "series": [], "observation": structure_attrs},
            },
            "dataSets": [{"action": "Information", "observations": observations}],
        });
        let mut out = serde_json::to_vec_pretty(&message).expect("JSON of plain values");
        out.push(b'\n');
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_dataflow_id_matches_the_structure_id() {
        assert!(rightstat_store::formats::SDMX_STRUCTURE_ID.contains(super::DATAFLOW));
    }
}
