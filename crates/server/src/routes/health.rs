//! Liveness and database reachability.

use crate::AppState;
use crate::error::ApiResult;
use axum::Json;
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz))
}

/// The server is up and its database answers.
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, description = "Healthy")))]
async fn healthz(State(s): State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    s.store.ping().await?;
    let db = match s.store.backend() {
        rightstat_store::Backend::Sqlite => "sqlite",
        rightstat_store::Backend::Postgres => "postgresql",
    };
    Ok(Json(serde_json::json!({ "status": "ok", "database": db })))
}
