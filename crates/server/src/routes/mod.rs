//! One module per resource. Each exposes `router()` built from documented handlers.

pub mod admin;
pub mod api_docs;
pub mod areas;
pub mod audit;
pub mod benchmark_pages;
pub mod catalogue;
pub mod catalogue_pages;
pub mod dialogue;
pub mod evaluation;
pub mod health;
pub mod imports;
pub mod observations;
pub mod portal;
pub mod recommendations;
pub mod reference;
pub mod reports;
pub mod retrogression;
pub mod review_pages;
pub mod round_form;
pub mod rounds;
pub mod session;
pub mod task_pages;

use crate::AppState;
use axum::Json;
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi))
}

/// This OpenAPI document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "system", responses((status = 200, description = "OpenAPI 3.1 document")))]
async fn openapi(State(s): State<AppState>) -> Json<serde_json::Value> {
    Json(s.openapi.get().and_then(|d| serde_json::to_value(d).ok()).unwrap_or_default())
}
