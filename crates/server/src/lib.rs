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

pub mod auth;
mod error;
pub mod pages;
pub mod policy;
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
        (name = "recommendations", description = "Recommendations of the UN mechanisms, measures, follow-up and evidence"),
        (name = "dialogue", description = "The constructive dialogue: the Committee's lists of issues"),
        (name = "evaluation", description = "Evaluation of implementation: progress against benchmarks, retrogression, gaps between groups; the benchmarks"),
        (name = "collection", description = "Collection rounds: tasks, templates, submissions, review, completeness"),
        (name = "pages", description = "Server-rendered pages (HTML, English and Chinese)"),
        (name = "portal", description = "The public portal and open data: pages, CSV, SDMX-CSV 2.0, SDMX-JSON 1.0 and the SDMX REST data query; published figures only, under disclosure control (withheld: no value, OBS_STATUS Q)"),
        (name = "session", description = "Signing in and out"),
        (name = "system", description = "Health, audit trail, this document")
    )
)]
struct ApiDoc;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// Mark cookies `Secure` (when served over TLS, e.g. behind a reverse proxy).
    pub secure_cookies: bool,
    /// The OpenAPI document, filled in once the router is built.
    pub openapi: std::sync::Arc<std::sync::OnceLock<utoipa::openapi::OpenApi>>,
    pub max_upload_rows: u64,
    /// Largest request body, also the limit when a page's upload is read for its CSRF token.
    pub max_body_bytes: usize,
    /// The public portal's snapshot (disclosure-controlled published figures).
    pub portal: std::sync::Arc<routes::portal::PortalCache>,
}

/// Server settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub secure_cookies: bool,
    /// Largest request body (uploads included), in bytes; larger ones get 413.
    pub max_body_bytes: usize,
    /// Most data rows in one uploaded file; more get 422 and nothing is imported.
    pub max_upload_rows: u64,
    /// Disclosure control for everything the public sees.
    pub disclosure: rightstat_core::disclosure::Rules,
    /// Origins whose pages may read the public routes across origins (CORS); `*` for any,
    /// empty for none. Only GET/HEAD of public read-only routes, never with credentials.
    pub cors_origins: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            secure_cookies: false,
            max_body_bytes: MAX_BODY_BYTES,
            max_upload_rows: routes::imports::MAX_ROWS,
            disclosure: Default::default(),
            cors_origins: vec!["*".into()],
        }
    }
}

/// Cross-origin reads of the public routes (open data, SDMX, public API reads) from the
/// configured origins: a data explorer on another site can query the SDMX service from the
/// browser. Nothing else — no route that needs a session, no method but GET and HEAD, no
/// credentials — is opened to other origins.
fn cors(origins: &[String]) -> tower_http::cors::CorsLayer {
    use axum::extract::MatchedPath;
    use axum::http::Method;
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let any = origins.iter().any(|o| o == "*");
    let listed: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, parts| {
            let public = parts
                .extensions
                .get::<MatchedPath>()
                .is_some_and(|p| policy::action_for(&Method::GET, p.as_str()) == Some(rightstat_core::policy::Action::ReadPublic));
            public && (any || listed.contains(origin))
        }))
        .allow_methods([Method::GET, Method::HEAD])
        .allow_headers([header::ACCEPT, header::ACCEPT_LANGUAGE, header::IF_NONE_MATCH])
        .expose_headers([header::CONTENT_TYPE, header::CONTENT_LENGTH, header::CONTENT_DISPOSITION])
        .max_age(Duration::from_secs(3600))
}

/// The complete application: every route (each documented and each in the policy table),
/// authentication and authorisation, and the protective layers.
pub fn app(store: Store, config: Config) -> Router {
    let state = AppState {
        store,
        secure_cookies: config.secure_cookies,
        openapi: Default::default(),
        max_upload_rows: config.max_upload_rows,
        max_body_bytes: config.max_body_bytes,
        portal: std::sync::Arc::new(routes::portal::PortalCache::new(config.disclosure)),
    };
    let (router, api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::router())
        .merge(routes::health::router())
        .merge(routes::api_docs::router())
        .merge(routes::session::router())
        .merge(routes::catalogue::router())
        .merge(routes::areas::router())
        .merge(routes::observations::router())
        .merge(routes::imports::router())
        .merge(routes::reference::router())
        .merge(routes::audit::router())
        .merge(routes::recommendations::router())
        .merge(routes::dialogue::router())
        .merge(routes::evaluation::router())
        .merge(routes::retrogression::router())
        .merge(routes::benchmark_pages::router())
        .merge(routes::rounds::router())
        .merge(routes::task_pages::router())
        .merge(routes::round_form::router())
        .merge(routes::reports::router())
        .merge(routes::admin::router())
        .merge(routes::catalogue_pages::router())
        .merge(routes::review_pages::router())
        .merge(routes::portal::router())
        // CORS inside the policy: the policy passes a browser's preflight on to it, and answers
        // every other OPTIONS itself (204 with Allow).
        .route_layer(cors(&config.cors_origins))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::middleware))
        .with_state(state.clone())
        .split_for_parts();
    let _ = state.openapi.set(document_query_check(document_common_responses(open_composed_schemas(api))));
    let router = router
        .layer(axum::middleware::from_fn(error_pages))
        .layer(axum::extract::DefaultBodyLimit::max(config.max_body_bytes))
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
        // A request still running after 60 s is the server's overload, not the client's
        // slowness: 503 with `Retry-After` (an import is rolled back whole when dropped; the
        // import queue refuses sooner, after `writers::WAIT`).
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(60)))
        .layer(axum::middleware::map_response(retry_after_on_503))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(tower_http::trace::TraceLayer::new_for_http());
    // `/sdmx/2.1/dataflow/all/all/latest/` is `/sdmx/2.1/dataflow/all/all/latest`: clients
    // (rsdmx) end paths with a slash. The path is trimmed before routing, so every route
    // answers both.
    Router::new().fallback_service(tower::Layer::layer(&tower_http::normalize_path::NormalizePathLayer::trim_trailing_slash(), router))
}

/// Every 503 says when to try again (the timeout's has no header of its own).
async fn retry_after_on_503(mut r: axum::response::Response) -> axum::response::Response {
    if r.status() == axum::http::StatusCode::SERVICE_UNAVAILABLE && !r.headers().contains_key(header::RETRY_AFTER) {
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(error::RETRY_AFTER_SECS));
    }
    r
}

/// Every page answers as a page: a browser (it asks for `text/html`) that gets an error from a
/// route outside the API — a JSON error, or the router's empty 404 — sees it as a page of the
/// site, in the design every page has, with the message in both languages. API clients, and
/// anything under `/api/` or `/sdmx/`, keep the JSON error format, which the framework's own
/// text/plain refusals (a query that does not parse) are turned into.
async fn error_pages(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
    let wants_page = req.headers().get(header::ACCEPT).and_then(|a| a.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    let path = req.uri().path().to_string();
    let machine = path.starts_with("/api/") || path.starts_with("/sdmx/") || path.contains("/data/");
    let res = next.run(req).await;
    let status = res.status();
    let plain = res.headers().get(header::CONTENT_TYPE).and_then(|c| c.to_str().ok()).is_some_and(|c| c.starts_with("text/plain"));
    // The framework's own refusals (a query or path that does not parse) come as text/plain:
    // outside a browser's page they take the JSON error format every other error has.
    if plain && status.is_client_error() && (machine || !wants_page) {
        let (parts, body) = res.into_parts();
        let bytes = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
        let code = match status.as_u16() {
            404 => "not_found",
            405 => "method_not_allowed",
            413 => "too_large",
            415 => "unsupported_media_type",
            422 => "invalid_data",
            _ => "bad_request",
        };
        let body = serde_json::json!({ "error": code, "message": String::from_utf8_lossy(&bytes).trim() });
        return with_headers((status, axum::Json(body)).into_response(), &parts.headers);
    }
    if !wants_page || machine || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_json = res.headers().get(header::CONTENT_TYPE).and_then(|c| c.to_str().ok()).is_some_and(|c| c.starts_with("application/json"));
    let is_empty = res.headers().get(header::CONTENT_TYPE).is_none();
    if !is_json && !is_empty {
        return res;
    }
    let (parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    let message = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
        .unwrap_or_default();
    let (zh, en) = match status.as_u16() {
        400 => ("请求有误", "The request cannot be handled"),
        401 => ("请先登录", "Sign in first"),
        403 => ("无权访问", "Not allowed"),
        404 => ("未找到页面", "Page not found"),
        405 => ("不支持此操作", "Method not allowed"),
        413 => ("文件过大", "Too large"),
        507 => ("服务器磁盘已满，未保存任何数据", "The server's disk is full: nothing was saved"),
        _ if status.is_server_error() => ("服务器出错", "Something went wrong on the server"),
        _ => ("无法完成请求", "The request could not be completed"),
    };
    let body = format!(
        "<h1>{zh} <span lang=\"en\">{en}</span></h1>{}<p class=\"meta\">HTTP {}</p><p class=\"actions\"><a class=\"button\" href=\"/\">首页 <span lang=\"en\">Home</span></a> <a class=\"button secondary\" href=\"/tasks\">我的任务 <span lang=\"en\">My tasks</span></a></p>",
        if message.is_empty() { String::new() } else { format!("<p class=\"notice bad\">{}</p>", rightstat_design::escape(&message)) },
        status.as_u16()
    );
    let page = (status, axum::response::Html(rightstat_design::page("zh", &format!("{zh} {en}"), "narrow", &body))).into_response();
    with_headers(page, &parts.headers)
}

/// A definition that refuses unknown fields when read (`deny_unknown_fields`: a misspelt key in
/// the catalogue file is an error) is also a part of larger responses (an `IndicatorRow` is the
/// definition with its version): its schema must not forbid the fields it is composed with, or
/// every response would break the contract it documents.
fn open_composed_schemas(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::{RefOr, schema::Schema};
    if let Some(components) = api.components.as_mut() {
        for name in ["Indicator"] {
            if let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut(name) {
                o.additional_properties = None;
            }
        }
    }
    api
}

/// The answers every route can give besides its own, because the layers every request passes
/// give them (the policy, the CSRF check, the query check, the body limit, the method check, a
/// full disk), documented on every operation so a client — or a contract tester — knows them:
/// each in the JSON error format `{"error": code, "message": text}`. A signed-out GET of a page
/// outside the API is a 303 to the sign-in page.
fn document_common_responses(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::{ContentBuilder, ObjectBuilder, Ref, RefOr, ResponseBuilder, Type, schema::Schema};
    let error_body = ObjectBuilder::new()
        .property("error", ObjectBuilder::new().schema_type(Type::String))
        .property("message", ObjectBuilder::new().schema_type(Type::String))
        .required("error")
        .required("message")
        .description(Some("An error: a code (bad_request, unauthenticated, forbidden, not_found, method_not_allowed, invalid_data, insufficient_storage …) and a message for people"))
        .build();
    if let Some(c) = api.components.as_mut() {
        c.schemas.insert("ErrorBody".into(), RefOr::T(Schema::Object(error_body)));
    }
    let common: [(&str, &str); 7] = [
        ("400", "The request does not parse or is refused: the message says why"),
        ("401", "Not signed in, or an invalid, expired or revoked token"),
        ("403", "Signed in, but this role or area may not do it (or the CSRF token is missing)"),
        ("405", "A method this route does not declare (see Allow)"),
        ("413", "The body is larger than the server accepts"),
        ("500", "An internal error (the details are in the server's log)"),
        ("507", "The server's disk is full: nothing was saved"),
    ];
    for (path, item) in api.paths.paths.iter_mut() {
        let page = !path.starts_with("/api/") && !path.starts_with("/sdmx/");
        for op in [&mut item.get, &mut item.post, &mut item.put, &mut item.delete, &mut item.patch].into_iter().flatten() {
            let error_content = || ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
            // What names a thing in its path may name nothing; what reads a body may be given
            // the wrong kind, or one the data refuse.
            let mut answers: Vec<(&str, &str)> = common.to_vec();
            if path.contains('{') {
                answers.push(("404", "Nothing has the identifier of the path"));
            }
            if op.request_body.is_some() {
                answers.push(("415", "The body is not of a media type the operation reads"));
                answers.push((
                    "422",
                    "The body is well formed but refused (rows with errors, a user, area or code that does not exist): the report or page says why, and nothing was changed",
                ));
            }
            for (code, what) in answers {
                op.responses.responses.entry(code.to_string()).or_insert_with(|| {
                    RefOr::T(ResponseBuilder::new().description(what).content("application/json", error_content()).build())
                });
            }
            // An error a route declares without a body has the JSON error body all errors have;
            // a page's errors are also pages (HTML), as a browser gets them.
            for (code, response) in op.responses.responses.iter_mut() {
                if let RefOr::T(r) = response
                    && (code.starts_with('4') || code.starts_with('5'))
                {
                    if r.content.is_empty() {
                        r.content.insert("application/json".into(), RefOr::T(error_content()));
                    }
                    if page {
                        let html = ContentBuilder::new().schema(Some(ObjectBuilder::new().schema_type(Type::String))).build();
                        r.content.entry("text/html".into()).or_insert(RefOr::T(html));
                    }
                }
            }
            if page {
                op.responses.responses.entry("303".to_string()).or_insert_with(|| {
                    RefOr::T(
                        ResponseBuilder::new()
                            .description("Signed out: to the sign-in page, and back afterwards; or after a form, to the page again")
                            .build(),
                    )
                });
            }
        }
    }
    api
}

/// The query check every request passes (`auth::check_query`) stated in the document: a text
/// query parameter is at most `MAX_QUERY_VALUE` characters, without quotes, semicolons, angle
/// brackets, backslashes, backticks or control characters (free text, `q`, may hold quotes and
/// semicolons), so a client knows before it asks what a 400 would refuse.
fn document_query_check(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::{RefOr, schema::Schema};
    for item in api.paths.paths.values_mut() {
        for op in [&mut item.get, &mut item.post, &mut item.put, &mut item.delete, &mut item.patch].into_iter().flatten() {
            for p in op.parameters.iter_mut().flatten() {
                let RefOr::T(p) = p else { continue };
                if p.parameter_in != ParameterIn::Query {
                    continue;
                }
                let free_text = p.name == "q";
                if let Some(RefOr::T(Schema::Object(o))) = p.schema.as_mut() {
                    let text = matches!(&o.schema_type, utoipa::openapi::schema::SchemaType::Type(utoipa::openapi::Type::String))
                        || matches!(&o.schema_type, utoipa::openapi::schema::SchemaType::Array(ts) if ts.contains(&utoipa::openapi::Type::String));
                    if text && o.enum_values.is_none() {
                        if o.pattern.is_none() {
                            o.pattern = Some(
                                if free_text {
                                    r"^[^\\<>`\u0000-\u001f\u007f-\u009f]*$"
                                } else {
                                    r#"^[^'";\\<>`\u0000-\u001f\u007f-\u009f]*$"#
                                }
                                .to_string(),
                            );
                        }
                        o.max_length.get_or_insert(auth::MAX_QUERY_VALUE);
                    }
                }
            }
        }
    }
    api
}

/// A rewritten response keeps the original's headers (Allow, every Set-Cookie, security headers), all
/// but those describing the body it replaced.
fn with_headers(mut out: axum::response::Response, original: &axum::http::HeaderMap) -> axum::response::Response {
    for (k, v) in original {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().append(k.clone(), v.clone());
        }
    }
    out
}

/// Serves until Ctrl-C. `on_ready` receives the bound address (port 0 picks one).
pub async fn serve(
    store: Store,
    config: Config,
    addr: std::net::SocketAddr,
    on_ready: impl FnOnce(std::net::SocketAddr),
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    on_ready(listener.local_addr()?);
    axum::serve(listener, app(store, config).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
