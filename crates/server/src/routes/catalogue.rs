//! The indicator catalogue.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::extract::{Path, Query, State};
use rightstat_store::IndicatorRow;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(detail)).routes(routes!(versions))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only indicators linked to this ICESCR article.
    #[param(minimum = 1, maximum = 31)]
    article: Option<u8>,
    /// Only indicators linked to this SDG target (e.g. `1.2`).
    sdg: Option<String>,
    /// OHCHR type: structural, process or outcome.
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Responsible department code.
    department: Option<String>,
    /// Text to find in the code or the Chinese or English name.
    q: Option<String>,
}

/// The catalogue: every indicator at its current version.
#[utoipa::path(get, path = "/api/v1/indicators", tag = "catalogue", params(ListQuery),
    responses((status = 200, body = Vec<IndicatorRow>)))]
async fn list(State(s): State<AppState>, Query(q): Query<ListQuery>) -> ApiResult<Json<Vec<IndicatorRow>>> {
    if let Some(a) = q.article.filter(|a| !(1..=31).contains(a)) {
        return Err(ApiError::BadRequest(format!("article {a}: the ICESCR has articles 1 to 31")));
    }
    let needle = q.q.as_deref().map(str::to_lowercase);
    let rows = s.store.indicators().await?;
    Ok(Json(
        rows.into_iter()
            .filter(|r| {
                let i = &r.indicator;
                q.article.is_none_or(|a| i.icescr_articles.contains(&a))
                    && q.sdg.as_ref().is_none_or(|t| i.sdg_targets.contains(t))
                    && q.kind.as_ref().is_none_or(|k| serde_json::to_value(i.ohchr_type).is_ok_and(|v| v == k.as_str()))
                    && q.department.as_ref().is_none_or(|d| &i.department == d)
                    && needle.as_ref().is_none_or(|n| {
                        i.code.to_lowercase().contains(n) || i.name_en.to_lowercase().contains(n) || i.name_zh.contains(n.as_str())
                    })
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct VersionQuery {
    /// A past version of the definition (default: current).
    #[param(minimum = 1)]
    version: Option<i64>,
}

/// One indicator's full definition.
#[utoipa::path(get, path = "/api/v1/indicators/{code}", tag = "catalogue",
    params(("code" = String, Path, description = "Indicator code"), VersionQuery),
    responses((status = 200, body = IndicatorRow), (status = 404, description = "No such indicator or version")))]
async fn detail(State(s): State<AppState>, Path(code): Path<String>, Query(q): Query<VersionQuery>) -> ApiResult<Json<IndicatorRow>> {
    s.store.indicator(&code, q.version).await?.map(Json).ok_or_else(|| ApiError::NotFound(format!("indicator {code}")))
}

/// Every version of an indicator's definition, oldest first.
#[utoipa::path(get, path = "/api/v1/indicators/{code}/versions", tag = "catalogue",
    params(("code" = String, Path, description = "Indicator code")),
    responses((status = 200, body = Vec<IndicatorRow>), (status = 404, description = "No such indicator")))]
async fn versions(State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<Vec<IndicatorRow>>> {
    let v = s.store.indicator_versions(&code).await?;
    if v.is_empty() {
        return Err(ApiError::NotFound(format!("indicator {code}")));
    }
    Ok(Json(v))
}
