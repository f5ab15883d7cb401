//! Observations: filtered by indicator, area (or the areas at a level below it), period range
//! and disaggregation codes; each returned with unit, multiplier, status and source.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use axum::Extension;
use axum::Json;
use axum::extract::{Query, State};
use rightstat_core::area::AreaLevel;
use rightstat_core::period::Period;
use rightstat_store::{ObservationFilter, ObservationRow};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// Default and maximum number of observations per response.
const DEFAULT_LIMIT: i64 = 10_000;
const MAX_LIMIT: i64 = 100_000;

/// Query parameters (documentation; any codelist id such as `SEX` or `URBANISATION` is also
/// accepted as a parameter, with a code or `_T` for the total).
#[allow(dead_code)]
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ObsQuery {
    /// Indicator code(s), comma-separated.
    indicator: Option<String>,
    /// Area code; with `level`, the areas at that level below it.
    area: Option<String>,
    /// province, prefecture, county, township.
    #[param(pattern = "^(country|province|prefecture|county|township|village)$")]
    level: Option<String>,
    /// First period (inclusive), e.g. `2012`.
    #[param(pattern = "^(19[0-9]{2}|20[0-9]{2}|2100)(-Q[1-4]|-(0[1-9]|1[0-2]))?$")]
    from: Option<String>,
    /// Last period (inclusive).
    #[param(pattern = "^(19[0-9]{2}|20[0-9]{2}|2100)(-Q[1-4]|-(0[1-9]|1[0-2]))?$")]
    to: Option<String>,
    /// Values as known at this instant (RFC 3339), instead of the current ones.
    #[param(format = DateTime)]
    as_of: Option<String>,
    /// `true` to include every vintage (revision history).
    history: Option<bool>,
    /// Maximum number of observations (default 10,000, at most 100,000).
    #[param(minimum = 1, maximum = 100_000)]
    limit: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ObservationOut {
    #[serde(flatten)]
    obs: ObservationRow,
    unit_name_en: String,
    unit_name_zh: String,
    /// The multiplier in words, e.g. "10,000" (value × 10,000 units).
    unit_mult_label: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ObservationsBody {
    count: usize,
    /// True when `limit` cut the result.
    truncated: bool,
    observations: Vec<ObservationOut>,
}

/// Observations matching the filter.
#[utoipa::path(get, path = "/api/v1/observations", tag = "observations", params(ObsQuery),
    responses((status = 200, body = ObservationsBody), (status = 400, description = "Bad parameter"), (status = 404, description = "Unknown indicator or area"), (status = 413, description = "More than 1,000,000 public figures match: narrow the query (one indicator, an area, periods)"), (status = 503, description = "Figures are being released: try again after Retry-After")))]
async fn list(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<ObservationsBody>> {
    let dims: Vec<String> = s.store.codelists().await?.into_iter().map(|c| c.id).collect();
    let mut f = ObservationFilter::default();
    let period = |v: &str| v.parse::<Period>().map_err(|e| ApiError::BadRequest(e.to_string()));
    let mut limit = DEFAULT_LIMIT;
    for (k, v) in &q {
        match k.as_str() {
            "indicator" => f.indicators = v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
            "area" => f.area = Some(v.trim().to_string()),
            "level" => f.level = Some(v.parse::<AreaLevel>().map_err(|e| ApiError::BadRequest(e.to_string()))?),
            "from" => f.period_from = Some(period(v)?),
            "to" => f.period_to = Some(period(v)?),
            "as_of" => {
                f.as_of = Some(rightstat_store::parse_instant_or_date(v).ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "as_of {v:?}: expected an instant (RFC 3339) such as 2026-12-01T09:00:00+08:00, or a date"
                    ))
                })?)
            }
            // true or false, as the OpenAPI document declares: "yes", "TRUE" or "NaN" are not
            // silently read as false.
            "history" => {
                f.all_vintages = match v.as_str() {
                    "true" => true,
                    "false" => false,
                    other => return Err(ApiError::BadRequest(format!("history {other:?}: expected true or false"))),
                }
            }
            "limit" => {
                limit = v.parse().map_err(|_| ApiError::BadRequest(format!("limit must be a number, not {v:?}")))?;
                if !(1..=MAX_LIMIT).contains(&limit) {
                    return Err(ApiError::BadRequest(format!("limit must be between 1 and {MAX_LIMIT}")));
                }
            }
            d if dims.iter().any(|x| x == d) => f.cells.push((d.to_string(), v.trim().to_string())),
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unknown parameter {other:?}: expected indicator, area, level, from, to, as_of, history, limit or a dimension ({})",
                    dims.join(", ")
                )));
            }
        }
    }
    for code in &f.indicators {
        if s.store.indicator(code, None).await?.is_none() {
            return Err(ApiError::NotFound(format!("indicator {code}")));
        }
    }
    if let Some(a) = &f.area
        && s.store.area(a).await?.is_none()
    {
        return Err(ApiError::NotFound(format!("area {a}")));
    }
    f.visibility = caller.visibility();
    let public = f.visibility == rightstat_store::Visibility::Published;
    if public && (f.as_of.is_some() || f.all_vintages) {
        return Err(ApiError::NeedsSignIn(
            "as_of and history need a sign-in: the public sees the current figures, under disclosure control".into(),
        ));
    }
    f.limit = Some(limit + 1);
    let mut rows = if public {
        // The public gets what the portal shows: withheld figures without their value.
        crate::routes::portal::with_site(&s, |site| {
            let f = f.clone();
            async move { site.public_rows(&f, usize::MAX).await }
        })
        .await?
    } else {
        s.store.observations(&f).await?
    };
    let truncated = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let (units, _) = s.store.units().await?;
    let observations: Vec<ObservationOut> = rows
        .into_iter()
        .map(|obs| {
            let u = units.iter().find(|u| u.code == obs.unit);
            ObservationOut {
                unit_name_en: u.map_or_else(|| obs.unit.clone(), |u| u.name_en.clone()),
                unit_name_zh: u.map_or_else(|| obs.unit.clone(), |u| u.name_zh.clone()),
                unit_mult_label: rightstat_core::unit::multiplier_label(obs.unit_mult as i32),
                obs,
            }
        })
        .collect();
    Ok(Json(ObservationsBody { count: observations.len(), truncated, observations }))
}
