//! One module per resource. Each exposes `router()` built from documented handlers.

pub mod areas;
pub mod audit;
pub mod catalogue;
pub mod health;
pub mod imports;
pub mod observations;
pub mod recommendations;
pub mod reference;
pub mod reports;
pub mod round_form;
pub mod rounds;
pub mod session;
pub mod task_pages;

use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::Html;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(index)).routes(routes!(openapi))
}

/// This OpenAPI document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "system", responses((status = 200, description = "OpenAPI 3.1 document")))]
async fn openapi(State(s): State<AppState>) -> Json<serde_json::Value> {
    Json(s.openapi.get().and_then(|d| serde_json::to_value(d).ok()).unwrap_or_default())
}

/// A plain landing page pointing at the API (the public portal comes later).
#[utoipa::path(get, path = "/", tag = "system", responses((status = 200, description = "HTML")))]
async fn index() -> Html<&'static str> {
    Html(concat!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>RightStat</title></head><body>",
        "<h1>RightStat</h1><p>Human-rights statistics and treaty reporting. 人权统计与履约报告。</p><ul>",
        "<li><a href=\"/api/v1/indicators\">Indicator catalogue / 指标目录</a></li>",
        "<li><a href=\"/api/v1/observations?indicator=CN_RURAL_POOR_POP&amp;area=CN\">Rural poor population / 农村贫困人口</a></li>",
        "<li><a href=\"/api/v1/areas/CN/children\">Provinces / 省级行政区</a></li>",
        "<li><a href=\"/api/v1/openapi.json\">OpenAPI document</a></li>",
        "<li><a href=\"/login\">Sign in / 登录</a></li></ul></body></html>"
    ))
}
