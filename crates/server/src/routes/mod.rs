//! One module per resource. Each exposes `router()` built from documented handlers.

pub mod areas;
pub mod catalogue;
pub mod health;
pub mod observations;
pub mod reference;

use axum::response::Html;

/// A plain landing page pointing at the API (the public portal comes later).
pub async fn index() -> Html<&'static str> {
    Html(concat!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>RightStat</title></head><body>",
        "<h1>RightStat</h1><p>Human-rights statistics and treaty reporting. 人权统计与履约报告。</p><ul>",
        "<li><a href=\"/api/v1/indicators\">Indicator catalogue / 指标目录</a></li>",
        "<li><a href=\"/api/v1/observations?indicator=CN_RURAL_POOR_POP&amp;area=CN\">Rural poor population / 农村贫困人口</a></li>",
        "<li><a href=\"/api/v1/areas/CN/children\">Provinces / 省级行政区</a></li>",
        "<li><a href=\"/api/v1/openapi.json\">OpenAPI document</a></li></ul></body></html>"
    ))
}
