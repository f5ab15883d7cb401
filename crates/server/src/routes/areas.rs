//! The area hierarchy.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::extract::{Path, Query, State};
use rightstat_core::area::AreaLevel;
use rightstat_core::period::Period;
use rightstat_store::AreaRow;
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(detail)).routes(routes!(children)).routes(routes!(descendants)).routes(routes!(tree))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AtQuery {
    /// Only areas in force during this period (`2018`, `2018-Q1`, `2018-03`).
    #[param(pattern = "^(19[0-9]{2}|20[0-9]{2}|2100)(-Q[1-4]|-(0[1-9]|1[0-2]))?$")]
    period: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct DescendantsQuery {
    /// country, province, prefecture, county, township or village.
    level: String,
    /// Only areas in force during this period.
    #[param(pattern = "^(19[0-9]{2}|20[0-9]{2}|2100)(-Q[1-4]|-(0[1-9]|1[0-2]))?$")]
    period: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct TreeQuery {
    /// Levels below the root to include (1-3, default 1).
    #[param(minimum = 1, maximum = 3)]
    depth: Option<u8>,
}

/// An area with its children, for tree views.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct TreeNode {
    #[serde(flatten)]
    area: AreaRow,
    #[schema(no_recursion)]
    children: Vec<TreeNode>,
}

pub(crate) fn parse_period(p: &Option<String>) -> ApiResult<Option<(String, String)>> {
    p.as_deref().map(|p| p.parse::<Period>().map(|p| (p.start(), p.end())).map_err(|e| ApiError::BadRequest(e.to_string()))).transpose()
}

async fn existing(s: &AppState, code: &str) -> ApiResult<AreaRow> {
    s.store.area(code).await?.ok_or_else(|| ApiError::NotFound(format!("area {code}")))
}

/// One area, with its successors if it was merged or split.
#[utoipa::path(get, path = "/api/v1/areas/{code}", tag = "areas",
    params(("code" = String, Path, description = "Division code, CN for the country")),
    responses((status = 200, body = AreaRow), (status = 404, description = "Unknown area")))]
async fn detail(State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<AreaRow>> {
    Ok(Json(existing(&s, &code).await?))
}

/// The areas directly below one area.
#[utoipa::path(get, path = "/api/v1/areas/{code}/children", tag = "areas",
    params(("code" = String, Path, description = "Division code"), AtQuery),
    responses((status = 200, body = Vec<AreaRow>), (status = 404, description = "Unknown area")))]
async fn children(State(s): State<AppState>, Path(code): Path<String>, Query(q): Query<AtQuery>) -> ApiResult<Json<Vec<AreaRow>>> {
    existing(&s, &code).await?;
    let during = parse_period(&q.period)?;
    Ok(Json(s.store.children(&code, during.as_ref().map(|(a, b)| (a.as_str(), b.as_str()))).await?))
}

/// Every area at a level below one area (e.g. the counties of a province), as in force in a period.
#[utoipa::path(get, path = "/api/v1/areas/{code}/descendants", tag = "areas",
    params(("code" = String, Path, description = "Division code"), DescendantsQuery),
    responses((status = 200, body = Vec<AreaRow>), (status = 400, description = "Bad level or period"), (status = 404, description = "Unknown area")))]
async fn descendants(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<DescendantsQuery>,
) -> ApiResult<Json<Vec<AreaRow>>> {
    existing(&s, &code).await?;
    let level: AreaLevel = q.level.parse().map_err(|e: rightstat_core::area::AreaError| ApiError::BadRequest(e.to_string()))?;
    let during = parse_period(&q.period)?;
    Ok(Json(s.store.descendants(&code, level, during.as_ref().map(|(a, b)| (a.as_str(), b.as_str()))).await?))
}

/// An area and its descendants to a depth, nested.
#[utoipa::path(get, path = "/api/v1/areas/{code}/tree", tag = "areas",
    params(("code" = String, Path, description = "Division code"), TreeQuery),
    responses((status = 200, body = TreeNode), (status = 404, description = "Unknown area")))]
async fn tree(State(s): State<AppState>, Path(code): Path<String>, Query(q): Query<TreeQuery>) -> ApiResult<Json<TreeNode>> {
    let root = existing(&s, &code).await?;
    let depth = q.depth.unwrap_or(1);
    if !(1..=3).contains(&depth) {
        return Err(ApiError::BadRequest("depth must be between 1 and 3".into()));
    }
    // One query per level, then nest by parent code.
    let mut levels: Vec<Vec<AreaRow>> = Vec::new();
    for l in (root.level.depth() + 1..=root.level.depth() + depth as i64).filter_map(|d| AreaLevel::ALL.get(d as usize)) {
        levels.push(s.store.descendants(&code, *l, None).await?);
    }
    fn build(area: AreaRow, levels: &[Vec<AreaRow>]) -> TreeNode {
        let children = match levels.split_first() {
            Some((first, rest)) => {
                first.iter().filter(|c| c.parent.as_deref() == Some(area.code.as_str())).map(|c| build(c.clone(), rest)).collect()
            }
            None => Vec::new(),
        };
        TreeNode { area, children }
    }
    Ok(Json(build(root, &levels)))
}
