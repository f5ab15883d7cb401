//! Codelists, units, departments and the ICESCR / SDG reference tables.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::extract::{Path, State};
use rightstat_core::codelist::Codelist;
use rightstat_core::reference::{Article, SdgGoal};
use rightstat_core::unit::{Conversion, Unit};
use rightstat_store::DepartmentRow;
use serde::Serialize;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(codelists))
        .routes(routes!(codelist))
        .routes(routes!(units))
        .routes(routes!(departments))
        .routes(routes!(icescr))
        .routes(routes!(sdg))
        .routes(routes!(glossary, put_glossary))
}

/// The glossary of local policy terms, with the wording of international human-rights law the
/// reports use and the explanation they footnote.
#[utoipa::path(get, path = "/api/v1/glossary", tag = "reference", responses((status = 200, body = Vec<rightstat_core::glossary::Term>)))]
async fn glossary(State(s): State<AppState>) -> ApiResult<Json<Vec<rightstat_core::glossary::Term>>> {
    Ok(Json(s.store.glossary().await?))
}

/// Adds or replaces glossary terms (keyed by the Chinese term), all or nothing; administrators.
#[utoipa::path(put, path = "/api/v1/glossary", tag = "reference", request_body = Vec<rightstat_core::glossary::Term>,
    responses((status = 200, description = "{\"added\", \"changed\", \"unchanged\"}"), (status = 422, description = "An incomplete or repeated term: nothing saved")))]
async fn put_glossary(
    State(s): State<AppState>,
    axum::Extension(caller): axum::Extension<crate::auth::Caller>,
    Json(terms): Json<Vec<rightstat_core::glossary::Term>>,
) -> ApiResult<Json<rightstat_store::glossary::GlossaryUpdate>> {
    Ok(Json(s.store.put_glossary(&terms, &caller.actor()).await.map_err(ApiError::refused)?))
}

/// Every codelist (disaggregation dimension) with its codes; `_T` (total) is implicit.
#[utoipa::path(get, path = "/api/v1/codelists", tag = "reference", responses((status = 200, body = Vec<Codelist>)))]
async fn codelists(State(s): State<AppState>) -> ApiResult<Json<Vec<Codelist>>> {
    Ok(Json(s.store.codelists().await?))
}

/// One codelist.
#[utoipa::path(get, path = "/api/v1/codelists/{id}", tag = "reference",
    params(("id" = String, Path, description = "Codelist id, e.g. SEX")),
    responses((status = 200, body = Codelist), (status = 404, description = "Unknown codelist")))]
async fn codelist(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Codelist>> {
    s.store.codelists().await?.into_iter().find(|c| c.id == id).map(Json).ok_or_else(|| ApiError::NotFound(format!("codelist {id}")))
}

#[derive(Serialize, utoipa::ToSchema)]
struct UnitsBody {
    units: Vec<Unit>,
    /// The only conversions applied automatically on import (and noted in the footnote).
    conversions: Vec<Conversion>,
}

/// Units of measure and declared conversions.
#[utoipa::path(get, path = "/api/v1/units", tag = "reference", responses((status = 200, body = UnitsBody)))]
async fn units(State(s): State<AppState>) -> ApiResult<Json<UnitsBody>> {
    let (units, conversions) = s.store.units().await?;
    Ok(Json(UnitsBody { units, conversions }))
}

/// Departments and organisations that define, collect or report data.
#[utoipa::path(get, path = "/api/v1/departments", tag = "reference", responses((status = 200, body = Vec<DepartmentRow>)))]
async fn departments(State(s): State<AppState>) -> ApiResult<Json<Vec<DepartmentRow>>> {
    Ok(Json(s.store.departments().await?))
}

/// ICESCR articles 1-15.
#[utoipa::path(get, path = "/api/v1/icescr", tag = "reference", responses((status = 200, body = Vec<Article>)))]
async fn icescr(State(s): State<AppState>) -> ApiResult<Json<Vec<Article>>> {
    Ok(Json(s.store.icescr_articles().await?))
}

/// SDG goals 1, 2 and 10 with targets and indicators.
#[utoipa::path(get, path = "/api/v1/sdg", tag = "reference", responses((status = 200, body = Vec<SdgGoal>)))]
async fn sdg(State(s): State<AppState>) -> ApiResult<Json<Vec<SdgGoal>>> {
    Ok(Json(s.store.sdg_goals().await?))
}
