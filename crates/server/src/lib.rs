//! The RightStat HTTP server: a JSON API under `/api/v1` with its OpenAPI document.
//!
//! Handlers are thin: they parse the request, call [`rightstat_store::Store`] and shape the
//! answer. Every route is declared through utoipa's router, so a route without an OpenAPI
//! description cannot be added by accident.

use axum::Router;
use axum::http::{HeaderValue, header};
use rightstat_store::Store;
use std::time::Duration;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

mod error;
mod routes;

pub use error::ApiError;

/// Request bodies above this size are refused with 413.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(title = "RightStat API", description = "Human-rights statistics: indicator catalogue, areas, observations with units, status and sources."),
    tags(
        (name = "catalogue", description = "The list of data to collect"),
        (name = "areas", description = "Administrative areas (NBS division codes)"),
        (name = "observations", description = "Figures with units, status, sources and vintages"),
        (name = "reference", description = "Codelists, units, departments, ICESCR articles, SDG targets"),
        (name = "system", description = "Health")
    )
)]
struct ApiDoc;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
}

/// The routes with their OpenAPI description, before the document is split off.
pub fn api_router(store: Store) -> (Router, utoipa::openapi::OpenApi) {
    let (router, api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::health::router())
        .merge(routes::catalogue::router())
        .merge(routes::areas::router())
        .merge(routes::observations::router())
        .merge(routes::reference::router())
        .with_state(AppState { store })
        .split_for_parts();
    (router, api)
}

/// The complete application: API, OpenAPI document and the protective layers.
pub fn app(store: Store) -> Router {
    let (router, api) = api_router(store);
    let api = std::sync::Arc::new(api);
    router
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let api = api.clone();
                async move { axum::Json(api.as_ref().clone()) }
            }),
        )
        .route("/", axum::routing::get(routes::index))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, Duration::from_secs(60)))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// Serves until Ctrl-C. `on_ready` receives the bound address (port 0 picks one).
pub async fn serve(store: Store, addr: std::net::SocketAddr, on_ready: impl FnOnce(std::net::SocketAddr)) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    on_ready(listener.local_addr()?);
    axum::serve(listener, app(store))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
