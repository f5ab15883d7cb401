//! The audit trail for administrators: filtered, as JSON or CSV.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use rightstat_store::{AuditFilter, AuditRow};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    actor: Option<String>,
    /// e.g. observations.import, user.grant, session.failed
    action: Option<String>,
    entity: Option<String>,
    /// From this instant (RFC 3339 or a date).
    from: Option<String>,
    to: Option<String>,
    /// At most this many records (default 1,000).
    #[param(minimum = 1, maximum = 100_000)]
    limit: Option<i64>,
    /// `json` (default) or `csv`.
    #[param(pattern = "^(json|csv)?$")]
    format: Option<String>,
}

/// Audit records, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "system", params(AuditQuery),
    responses((status = 200, description = "JSON, or CSV with format=csv", content((Vec<AuditRow> = "application/json"), (String = "text/csv"))), (status = 403, description = "Administrators only")))]
async fn list(State(s): State<AppState>, Query(q): Query<AuditQuery>) -> ApiResult<Response> {
    if let Some(n) = q.limit.filter(|n| !(1..=100_000).contains(n)) {
        return Err(ApiError::BadRequest(format!("limit {n}: expected 1 to 100000")));
    }
    let rows = s
        .store
        .audit_log(&AuditFilter { actor: q.actor, action: q.action, entity: q.entity, from: q.from, to: q.to, limit: q.limit })
        .await?;
    match q.format.as_deref().filter(|f| !f.is_empty()).unwrap_or("json") {
        "json" => Ok(Json(rows).into_response()),
        "csv" => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let io = |e: csv::Error| ApiError::Internal(e.to_string());
            w.write_record([
                "seq",
                "at",
                "actor",
                "ip",
                "action",
                "entity",
                "entity_id",
                "old_value",
                "new_value",
                "reason",
                "prev_hash",
                "hash",
            ])
            .map_err(io)?;
            for r in &rows {
                let seq = r.seq.to_string();
                w.write_record([
                    seq.as_str(),
                    &r.at,
                    &r.actor,
                    r.ip.as_deref().unwrap_or(""),
                    &r.action,
                    &r.entity,
                    &r.entity_id,
                    r.old_value.as_deref().unwrap_or(""),
                    r.new_value.as_deref().unwrap_or(""),
                    &r.reason,
                    &r.prev_hash,
                    &r.hash,
                ])
                .map_err(io)?;
            }
            let body = w.into_inner().map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok((
                [(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"audit.csv\"")],
                body,
            )
                .into_response())
        }
        other => Err(ApiError::BadRequest(format!("format {other:?}: expected json or csv"))),
    }
}
