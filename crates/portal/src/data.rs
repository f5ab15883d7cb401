//! Open data: the public figures as plain CSV, and the SDMX 2.1 REST data query (`{flow}/{key}`
//! with `+`, wildcards, a period range, `updatedAfter`, first/last N observations, `detail` and
//! `dimensionAtObservation`), answered in the format content negotiation picks
//! ([`DataFormat`]; the messages are written by [`crate::messages`]).
//!
//! The data structure is one dataflow, `RIGHTSTAT:DF_RIGHTSTAT(1.0)`: the key is INDICATOR,
//! REF_AREA and then every disaggregation dimension in alphabetical order (`_T` where a
//! figure is not broken down by it); TIME_PERIOD is the observation dimension.

use crate::site::Site;
use rightstat_core::codelist::TOTAL;
use rightstat_core::period::Period;
use rightstat_store::ObservationRow;
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

/// The format of a data message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    /// SDMX-CSV 2.0 (`application/vnd.sdmx.data+csv; version=2.0.0`).
    Csv,
    /// SDMX-JSON 1.0 (`application/vnd.sdmx.data+json; version=1.0.0`).
    Json,
    /// SDMX-ML 2.1 structure-specific data (`application/vnd.sdmx.structurespecificdata+xml;
    /// version=2.1`): the default, as SDMX REST's is SDMX-ML.
    Ml,
}

impl DataFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            DataFormat::Csv => "application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8",
            DataFormat::Json => "application/vnd.sdmx.data+json; version=1.0.0; charset=utf-8",
            DataFormat::Ml => "application/vnd.sdmx.structurespecificdata+xml; version=2.1; charset=utf-8",
        }
    }

    /// The format a `format=` value names (the SDMX REST names and .Stat Suite's).
    fn named(s: &str) -> Option<DataFormat> {
        Some(match s {
            "csv" | "csvfile" | "sdmx-csv" => DataFormat::Csv,
            "json" | "jsondata" | "sdmx-json" => DataFormat::Json,
            "xml" | "structurespecificdata" | "sdmx-ml" => DataFormat::Ml,
            _ => return None,
        })
    }

    /// The format an `Accept` header asks for, by its preference (q) and then its order;
    /// `None` when it names only what this service does not write. An empty header, `*/*` and
    /// `application/*` get SDMX-ML, as the standard's default is; `text/*` gets SDMX-CSV.
    pub fn negotiate(accept: &str) -> Option<DataFormat> {
        if accept.trim().is_empty() {
            return Some(DataFormat::Ml);
        }
        let mut ranges: Vec<(f32, usize, DataFormat)> = Vec::new();
        for (i, range) in accept.split(',').enumerate() {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or("").to_ascii_lowercase();
            let (mut q, mut version) = (1.0f32, None);
            for p in parts {
                match p.split_once('=').map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().trim_matches('"').to_string())) {
                    Some((k, v)) if k == "q" => q = v.parse().unwrap_or(0.0),
                    Some((k, v)) if k == "version" => version = Some(v),
                    _ => {}
                }
            }
            let v = version.as_deref();
            let format = match media.as_str() {
                "application/vnd.sdmx.data+csv" if v.is_none_or(|v| v.starts_with('2')) => DataFormat::Csv,
                "text/csv" | "text/*" => DataFormat::Csv,
                "application/vnd.sdmx.data+json" if v.is_none_or(|v| v.starts_with('1')) => DataFormat::Json,
                "application/json" => DataFormat::Json,
                "application/vnd.sdmx.structurespecificdata+xml" if v.is_none_or(|v| v == "2.1") => DataFormat::Ml,
                "application/xml" | "text/xml" | "*/*" | "application/*" => DataFormat::Ml,
                _ => continue,
            };
            if q > 0.0 {
                ranges.push((q, i, format));
            }
        }
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranges.first().map(|r| r.2)
    }
}

/// Why a data query's parameters cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// A malformed or unknown parameter (400).
    #[error("{0}")]
    BadRequest(String),
    /// A format this service does not write (406).
    #[error("{0}")]
    NotAcceptable(String),
}

/// What a data query's parameters and `Accept` header ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataRequest {
    pub start: Option<String>,
    pub end: Option<String>,
    pub first: Option<usize>,
    pub last: Option<usize>,
    /// `updatedAfter` in the stored form (UTC).
    pub updated_after: Option<String>,
    pub shape: crate::messages::Shape,
    pub format: DataFormat,
}

/// The parameters of an SDMX 2.1 REST data query this service reads.
pub const DATA_PARAMETERS: &[&str] =
    &["startPeriod", "endPeriod", "updatedAfter", "firstNObservations", "lastNObservations", "dimensionAtObservation", "detail", "format"];

impl DataRequest {
    pub fn parse(params: &HashMap<String, String>, accept: &str) -> Result<DataRequest, RequestError> {
        use crate::messages::{Detail, Layout, Shape};
        let bad = RequestError::BadRequest;
        if let Some(other) = params.keys().find(|k| !DATA_PARAMETERS.contains(&k.as_str())) {
            return Err(bad(format!("unknown parameter {other:?}: expected one of {}", DATA_PARAMETERS.join(", "))));
        }
        let count = |name: &str| -> Result<Option<usize>, RequestError> {
            params
                .get(name)
                .map(|v| {
                    v.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| bad(format!("{name} {v:?}: expected a positive whole number")))
                })
                .transpose()
        };
        let detail = match params.get("detail") {
            None => Detail::Full,
            Some(d) => Detail::parse(d).ok_or_else(|| bad(format!("detail {d:?}: expected full, dataonly, serieskeysonly or nodata")))?,
        };
        let layout = match params.get("dimensionAtObservation").map(String::as_str) {
            None | Some("TIME_PERIOD") => Layout::Series,
            Some("AllDimensions") => Layout::Flat,
            Some(other) => {
                return Err(bad(format!("dimensionAtObservation {other:?}: expected TIME_PERIOD or AllDimensions")));
            }
        };
        let shape = Shape::new(detail, layout);
        let updated_after = params
            .get("updatedAfter")
            .map(|v| {
                // A '+' of an offset arrives as a space when the client did not escape it.
                let v = v.replace(' ', "+");
                rightstat_store::parse_instant_or_date(&v)
                    .ok_or_else(|| bad(format!("updatedAfter {v:?}: expected an instant such as 2026-12-01T09:00:00+08:00 or a date")))
            })
            .transpose()?;
        let format = match params.get("format") {
            Some(f) => DataFormat::named(f).ok_or_else(|| bad(format!("format {f:?}: expected csv, json or structurespecificdata")))?,
            None => DataFormat::negotiate(accept).ok_or_else(|| {
                RequestError::NotAcceptable(format!(
                    "Accept: {accept}: this service writes SDMX-CSV 2.0 (application/vnd.sdmx.data+csv), SDMX-JSON 1.0 (application/vnd.sdmx.data+json) and SDMX-ML 2.1 structure-specific data (application/vnd.sdmx.structurespecificdata+xml)"
                ))
            })?,
        };
        for p in ["startPeriod", "endPeriod"] {
            if let Some(v) = params.get(p)
                && v.parse::<Period>().is_err()
            {
                return Err(bad(QueryError::Period(v.clone()).to_string()));
            }
        }
        Ok(DataRequest {
            start: params.get("startPeriod").cloned(),
            end: params.get("endPeriod").cloned(),
            first: count("firstNObservations")?,
            last: count("lastNObservations")?,
            updated_after,
            shape,
            format,
        })
    }
}

/// A parsed data query: for each key dimension, the codes asked (empty = any).
#[derive(Debug, Clone)]
pub struct Query {
    parts: Vec<Vec<String>>,
    start: Option<Period>,
    end: Option<Period>,
    /// Only figures released after this instant (stored form, UTC).
    updated_after: Option<String>,
}

impl Query {
    /// Keeps only the figures released after `instant` (the stored form of
    /// `rightstat_store::parse_instant`).
    pub fn updated_after(mut self, instant: Option<String>) -> Query {
        self.updated_after = instant;
        self
    }
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
        Ok(Query { parts, start: period(start)?, end: period(end)?, updated_after: None })
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

    /// The public figures a query selects, in indicator, area, period and cell order, read
    /// from the store in their public form; more than [`crate::site::MAX_FIGURES`] is
    /// [`crate::PortalError::TooLarge`].
    pub async fn select(&self, q: &Query) -> Result<Vec<ObservationRow>, crate::PortalError> {
        let dims = self.key();
        let matches = |r: &ObservationRow| {
            q.parts.iter().zip(&dims).all(|(wanted, dim)| {
                wanted.is_empty() || {
                    let code = crate::messages::code_of(r, dim);
                    wanted.iter().any(|w| w == code)
                }
            }) && r
                .period
                .parse::<Period>()
                .is_ok_and(|p| q.start.is_none_or(|s| p.end() >= s.start()) && q.end.is_none_or(|e| p.start() <= e.end()))
                && q.updated_after.as_ref().is_none_or(|after| r.released_at.as_ref().is_some_and(|at| at > after))
        };
        // The store narrows by indicator and area; the rest of the key is matched here.
        let part = |i: usize| q.parts.get(i).cloned().unwrap_or_default();
        let indicators: Vec<String> = part(0).into_iter().filter(|c| self.summaries.contains_key(c)).collect();
        if !part(0).is_empty() && indicators.is_empty() {
            return Ok(Vec::new());
        }
        let filter = rightstat_store::ObservationFilter { indicators, areas: part(1), ..Default::default() };
        let mut rows = self.public_rows(&filter, crate::site::MAX_FIGURES).await?;
        rows.retain(|r| self.summaries.contains_key(&r.indicator) && matches(r));
        crate::site::in_key_order(&mut rows);
        Ok(rows)
    }

    /// The dimensions the rows use, in key order (SDMX-CSV writes one column for each).
    fn used_dimensions(&self, rows: &[&ObservationRow]) -> Vec<String> {
        self.key_dimensions.iter().filter(|d| rows.iter().any(|r| r.cell.contains_key(*d))).cloned().collect()
    }

    /// The data message a request asks for, of the rows it selects; `None` when nothing matches
    /// (SDMX REST answers 404 "No results").
    pub async fn data_message(&self, query: &Query, request: &DataRequest, id: &str) -> Result<Option<crate::File>, crate::PortalError> {
        let selected = self.select(query).await?;
        let rows = Site::limit_per_series(selected.iter().collect(), request.first, request.last);
        if rows.is_empty() {
            return Ok(None);
        }
        let body = match request.format {
            DataFormat::Csv => self.sdmx_csv_shaped(&rows, request.shape.detail),
            DataFormat::Json => self.sdmx_json(&rows, id, request.shape),
            DataFormat::Ml => self.sdmx_ml(&rows, id, request.shape),
        };
        Ok(Some(crate::File { content_type: request.format.content_type(), body }))
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
}

#[cfg(test)]
mod tests {
    use super::{DataFormat, DataRequest, RequestError};
    use crate::messages::{Detail, Layout};
    use std::collections::HashMap;

    fn parse(query: &str, accept: &str) -> Result<DataRequest, RequestError> {
        let params: HashMap<String, String> = serde_urlencoded::from_str(query).unwrap();
        DataRequest::parse(&params, accept)
    }

    #[test]
    fn the_accept_header_picks_the_format_by_preference() {
        use DataFormat::*;
        // No preference: SDMX-ML, the standard's default.
        assert_eq!(DataFormat::negotiate(""), Some(Ml));
        assert_eq!(DataFormat::negotiate("*/*"), Some(Ml));
        assert_eq!(DataFormat::negotiate("text/csv"), Some(Csv));
        assert_eq!(DataFormat::negotiate("application/vnd.sdmx.data+json;version=1.0.0"), Some(Json));
        assert_eq!(DataFormat::negotiate("application/vnd.sdmx.structurespecificdata+xml;version=2.1"), Some(Ml));
        // sdmx1's and a browser's lists: the most preferred offered type wins.
        assert_eq!(DataFormat::negotiate("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"), Some(Ml));
        assert_eq!(DataFormat::negotiate("application/vnd.sdmx.data+csv;q=0.5, application/json"), Some(Json));
        // Offered only in versions this service does not write, or not at all: refused.
        assert_eq!(DataFormat::negotiate("application/vnd.sdmx.genericdata+xml;version=2.1"), None);
        assert_eq!(DataFormat::negotiate("application/vnd.sdmx.data+json;version=2.0.0"), None);
        assert_eq!(DataFormat::negotiate("application/vnd.sdmx.data+csv;version=1.0.0"), None);
        assert_eq!(DataFormat::negotiate("text/html;q=1, application/json;q=0"), None);
    }

    #[test]
    fn a_data_request_reads_the_standard_parameters_and_refuses_the_rest() {
        let r = parse("detail=dataonly&dimensionAtObservation=AllDimensions&lastNObservations=2&format=json", "").unwrap();
        assert_eq!((r.shape.detail, r.shape.layout, r.last, r.format), (Detail::DataOnly, Layout::Flat, Some(2), DataFormat::Json));
        let r = parse("updatedAfter=2026-12-01T09:00:00%2B08:00", "").unwrap();
        assert_eq!(r.updated_after.as_deref(), Some("2026-12-01T01:00:00.000000Z"));
        // An unescaped '+' arrives as a space; a date alone is its midnight, UTC.
        assert_eq!(parse("updatedAfter=2026-12-01T09:00:00+08:00", "").unwrap().updated_after, r.updated_after);
        assert_eq!(parse("updatedAfter=2026-12-01", "").unwrap().updated_after.as_deref(), Some("2026-12-01T00:00:00.000000Z"));
        for bad in [
            "detail=everything",
            "dimensionAtObservation=SEX",
            "lastNObservations=0",
            "firstNObservations=-1",
            "updatedAfter=yesterday",
            "startPeriod=2020-13",
            "format=xlsx",
            "colour=red",
        ] {
            assert!(matches!(parse(bad, ""), Err(RequestError::BadRequest(_))), "{bad}");
        }
        assert!(matches!(parse("", "application/vnd.sdmx.genericdata+xml;version=2.1"), Err(RequestError::NotAcceptable(_))));
        // Series keys are listed as series even when a flat list is asked for.
        assert_eq!(parse("detail=serieskeysonly&dimensionAtObservation=AllDimensions", "").unwrap().shape.layout, Layout::Series);
        // format= overrides what Accept says.
        assert_eq!(parse("format=structurespecificdata", "text/csv").unwrap().format, DataFormat::Ml);
    }

    #[test]
    fn the_dataflow_id_matches_the_structure_id() {
        assert!(rightstat_store::formats::SDMX_STRUCTURE_ID.contains(super::DATAFLOW));
    }
}
