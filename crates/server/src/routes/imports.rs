//! Loading observations over HTTP (all or nothing, within the caller's areas), reading a
//! batch, and publishing it.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use rightstat_core::policy::{Action, Role};
use rightstat_store::formats::Format;
use rightstat_store::{BatchRow, ImportOptions, ImportReport};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Most data rows one upload may carry, by default.
pub const MAX_ROWS: u64 = 1_000_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(import)).routes(routes!(batch)).routes(routes!(publish))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ImportQuery {
    /// `csv` (default) or `sdmx-csv`.
    #[param(pattern = "^(csv|sdmx-csv)?$")]
    format: Option<String>,
    /// `true`: check and report, write nothing.
    dry_run: Option<bool>,
    /// File name to record (default `upload.csv`).
    name: Option<String>,
    /// Why (kept in the audit trail).
    reason: Option<String>,
}

/// Imports observations from a CSV or SDMX-CSV body, all or nothing. Every row's area must
/// lie within the caller's areas (403 otherwise, nothing written); other bad rows give 422
/// with the report.
#[utoipa::path(post, path = "/api/v1/imports", tag = "observations", params(ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = ImportReport), (status = 200, description = "Dry run report"), (status = 403, description = "Rows outside the caller's areas"),
        (status = 413, description = "Body too large"), (status = 422, description = "Bad rows; nothing imported")))]
async fn import(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ImportReport>)> {
    let format = match q.format.as_deref().filter(|f| !f.is_empty()).unwrap_or("csv") {
        "csv" => Format::Csv,
        "sdmx-csv" => Format::SdmxCsv,
        other => return Err(ApiError::BadRequest(format!("format {other:?}: expected csv or sdmx-csv"))),
    };
    let mut opts = ImportOptions::new(q.name.unwrap_or_else(|| "upload.csv".into()), format);
    opts.dry_run = q.dry_run.unwrap_or(false);
    opts.max_rows = Some(s.max_upload_rows);
    opts.actor = caller.actor();
    opts.reason = q.reason.unwrap_or_default();
    opts.allowed_areas = caller.roots(&[Role::Administrator, Role::Coordinator, Role::Reporter]);
    // The checks `rightstat validate` makes, with the shipped rules: one story for both.
    let rules = rightstat_core::validation::RuleSet::parse(rightstat_core::reference::VALIDATION_RULES)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let report = s.store.import_checked(body.to_vec(), opts, &rules).await?;
    if report.forbidden > 0 {
        return Err(ApiError::Forbidden(format!(
            "{} row(s) are outside your areas of responsibility; nothing was imported (first: {})",
            report.forbidden,
            report.errors.iter().find(|e| e.expected.contains("areas of responsibility")).map(ToString::to_string).unwrap_or_default()
        )));
    }
    if !report.is_ok() {
        return Err(ApiError::Unprocessable(serde_json::to_value(&report).unwrap_or_default()));
    }
    let status = if report.dry_run { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(report)))
}

async fn readable_batch(s: &AppState, caller: &Caller, id: i64) -> ApiResult<BatchRow> {
    let b = s.store.batch(id).await?.ok_or_else(|| ApiError::NotFound(format!("batch {id}")))?;
    if b.published_at.is_none() {
        let chain = s.store.area_chain(b.scope_area.as_deref().unwrap_or("CN")).await?;
        let chain: Vec<&str> = chain.iter().map(String::as_str).collect();
        caller.check(Action::ReadUnpublished, Some(&chain))?;
    }
    Ok(b)
}

/// One batch: who loaded what, where, and whether it is published. Unpublished batches are
/// visible only within the caller's areas.
#[utoipa::path(get, path = "/api/v1/batches/{id}", tag = "observations", params(("id" = i64, Path, description = "Batch id")),
    responses((status = 200, body = BatchRow), (status = 403, description = "Outside the caller's areas"), (status = 404, description = "No such batch")))]
async fn batch(State(s): State<AppState>, Extension(caller): Extension<Caller>, Path(id): Path<i64>) -> ApiResult<Json<BatchRow>> {
    Ok(Json(readable_batch(&s, &caller, id).await?))
}

/// Publishes a batch: its figures become visible to everyone.
#[utoipa::path(post, path = "/api/v1/batches/{id}/publish", tag = "observations", params(("id" = i64, Path, description = "Batch id")),
    responses((status = 200, body = BatchRow), (status = 403, description = "Administrators only"), (status = 404, description = "No such batch")))]
async fn publish(State(s): State<AppState>, Extension(caller): Extension<Caller>, Path(id): Path<i64>) -> ApiResult<Json<BatchRow>> {
    Ok(Json(s.store.publish_batch(id, &caller.actor()).await?))
}
