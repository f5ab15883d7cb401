//! The public portal, served live: each route answers a path of `rightstat_portal::Site`'s
//! file tree (the same files `rightstat publish --out DIR` writes), and the SDMX REST data
//! query over the same disclosure-controlled snapshot. The snapshot is rebuilt only when
//! `Store::public_version` changes (a batch published or released, a definition versioned);
//! downloads and data queries read their figures through it ([`with_site`]).

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use rightstat_core::disclosure::Rules;
use rightstat_portal::{File, Site};
use rightstat_store::Store;
use std::collections::HashMap;
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The current snapshot and the version it was built at.
#[derive(Debug, Default)]
pub struct PortalCache {
    rules: Rules,
    current: tokio::sync::RwLock<Option<(String, Arc<Site>)>>,
    /// Held by the one task building a new snapshot.
    building: Arc<tokio::sync::Mutex<()>>,
}

/// How long a request waits for a new snapshot before it is answered from the previous one.
/// A small portal's snapshot is built well within it, so a release shows at once; a national
/// one takes minutes (BENCHMARKS.md), during which the pages stay up.
pub const SNAPSHOT_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

impl PortalCache {
    pub fn new(rules: Rules) -> PortalCache {
        PortalCache { rules, current: Default::default(), building: Default::default() }
    }

    /// The snapshot of the store's current public figures. A new one is built by one task of
    /// its own: a request that gives up waiting (its timeout) does not cancel the build, and
    /// requests arriving meanwhile wait for it up to [`SNAPSHOT_WAIT`], then get the previous
    /// snapshot (whose pages show the figures as they were before the release; reads of the
    /// store through it answer `Stale`, so downloads, SDMX and the API say 503 with
    /// Retry-After until the new one is ready).
    pub async fn site(self: &Arc<Self>, store: &Store) -> Result<Arc<Site>, ApiError> {
        let version = store.public_version().await?;
        loop {
            let previous = self.current.read().await.clone();
            if let Some((v, site)) = &previous
                && *v == version
            {
                return Ok(site.clone());
            }
            let Ok(one) = self.building.clone().try_lock_owned() else {
                // Another request is building it: wait for that build, or serve the previous.
                let waited = tokio::time::timeout(SNAPSHOT_WAIT, self.building.lock()).await;
                if let (Err(_), Some((_, site))) = (waited, previous) {
                    return Ok(site);
                }
                continue;
            };
            let (cache, store) = (self.clone(), store.clone());
            let build = tokio::spawn(async move {
                let _one = one;
                let site = Arc::new(Site::load(&store, cache.rules.clone()).await?.live());
                *cache.current.write().await = Some((site.version().to_string(), site.clone()));
                Ok::<_, ApiError>(site)
            });
            let joined = |r: Result<Result<Arc<Site>, ApiError>, tokio::task::JoinError>| {
                r.map_err(|e| ApiError::Internal(format!("building the portal's snapshot: {e}")))?
            };
            return match previous {
                Some((_, site)) => match tokio::time::timeout(SNAPSHOT_WAIT, build).await {
                    Ok(built) => joined(built),
                    Err(_) => Ok(site),
                },
                None => joined(build.await),
            };
        }
    }
}

/// Runs `f` on the current snapshot; when figures were released while it read them, again on
/// the new snapshot (a few times, then 503 with Retry-After).
pub async fn with_site<T, F, Fut>(s: &AppState, f: F) -> Result<T, ApiError>
where
    F: Fn(Arc<Site>) -> Fut,
    Fut: std::future::Future<Output = Result<T, rightstat_portal::PortalError>>,
{
    for _ in 0..3 {
        let site = s.portal.site(&s.store).await?;
        match f(site).await {
            Err(rightstat_portal::PortalError::Stale) => continue,
            other => return other.map_err(ApiError::from),
        }
    }
    Err(rightstat_portal::PortalError::Stale.into())
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(root))
        .routes(routes!(css))
        .routes(routes!(js))
        .routes(routes!(en_page))
        .routes(routes!(zh_page))
        .routes(routes!(en_indicator))
        .routes(routes!(zh_indicator))
        .routes(routes!(download))
        .routes(routes!(sdmx_all))
        .routes(routes!(sdmx_data))
        .routes(routes!(sdmx_data_provider))
        .routes(routes!(sdmx_structure))
        .routes(routes!(sdmx_structure_latest))
        .routes(routes!(sdmx_available))
}

fn respond(file: File) -> Response {
    let mut r = file.body.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(file.content_type));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
    r
}

async fn serve(s: &AppState, path: &str, query: Option<&str>) -> Result<Response, ApiError> {
    let file = with_site(s, |site| async move { site.file(path, query).await }).await?;
    file.map(respond).ok_or_else(|| ApiError::NotFound(path.to_string()))
}

/// The search text of `?q=`.
fn search_text(raw: Option<&str>) -> Option<String> {
    let pairs: HashMap<String, String> = serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default();
    pairs.get("q").cloned()
}

/// The portal's entry: both languages, what is published and when.
#[utoipa::path(get, path = "/", tag = "portal", responses((status = 200, description = "HTML")))]
async fn root(State(s): State<AppState>) -> Result<Response, ApiError> {
    serve(&s, "index.html", None).await
}

/// The one stylesheet of every page (served as a file: the content security policy forbids
/// inline styles).
#[utoipa::path(get, path = "/rightstat.css", tag = "portal", responses((status = 200, description = "CSS")))]
async fn css() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], rightstat_design::STYLESHEET)
}

/// The static copy's search filter (the live pages need no script).
#[utoipa::path(get, path = "/portal.js", tag = "portal", responses((status = 200, description = "JavaScript")))]
async fn js(State(s): State<AppState>) -> Result<Response, ApiError> {
    serve(&s, "portal.js", None).await
}

/// A page in English: `index.html` (headline figures), `status.html` (which indicators and
/// breakdowns have public figures) or `search.html?q=`.
#[utoipa::path(get, path = "/en/{page}", tag = "portal", params(("page" = String, Path)), responses((status = 200, description = "HTML"), (status = 404)))]
async fn en_page(State(s): State<AppState>, Path(page): Path<String>, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    serve(&s, &format!("en/{page}"), search_text(q.as_deref()).as_deref()).await
}

/// The same pages in Chinese.
#[utoipa::path(get, path = "/zh/{page}", tag = "portal", params(("page" = String, Path)), responses((status = 200, description = "HTML"), (status = 404)))]
async fn zh_page(State(s): State<AppState>, Path(page): Path<String>, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    serve(&s, &format!("zh/{page}"), search_text(q.as_deref()).as_deref()).await
}

/// An indicator's page (`{CODE}.html`): metadata, charts, province map, table, downloads.
#[utoipa::path(get, path = "/en/indicators/{file}", tag = "portal", params(("file" = String, Path)), responses((status = 200, description = "HTML"), (status = 404)))]
async fn en_indicator(State(s): State<AppState>, Path(file): Path<String>) -> Result<Response, ApiError> {
    serve(&s, &format!("en/indicators/{file}"), None).await
}

#[utoipa::path(get, path = "/zh/indicators/{file}", tag = "portal", params(("file" = String, Path)), responses((status = 200, description = "HTML"), (status = 404)))]
async fn zh_indicator(State(s): State<AppState>, Path(file): Path<String>) -> Result<Response, ApiError> {
    serve(&s, &format!("zh/indicators/{file}"), None).await
}

/// Open data: `{CODE}.csv`, `{CODE}.sdmx.csv` (SDMX-CSV 2.0), `{CODE}.sdmx.json` (SDMX-JSON
/// 1.0); `all.*` for every indicator. Withheld figures have no value and `OBS_STATUS` Q.
#[utoipa::path(get, path = "/data/{file}", tag = "portal", params(("file" = String, Path)), responses((status = 200, description = "CSV or JSON"), (status = 404), (status = 413, description = "More than 1,000,000 public figures match: narrow the query (one indicator, an area, periods)"), (status = 503, description = "Figures are being released: try again after Retry-After")))]
async fn download(State(s): State<AppState>, Path(file): Path<String>) -> Result<Response, ApiError> {
    serve(&s, &format!("data/{file}"), None).await
}

/// How much of each series a data query returns.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum DetailParam {
    Full,
    DataOnly,
    SeriesKeysOnly,
    NoData,
}

/// Where the observation dimension sits: TIME_PERIOD (series) or AllDimensions (a flat list).
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[allow(dead_code, non_camel_case_types)]
enum DimensionAtObservation {
    TIME_PERIOD,
    AllDimensions,
}

/// A data message's format by name, overriding the Accept header.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum FormatParam {
    Csv,
    Json,
    StructureSpecificData,
}

/// The parameters of an SDMX 2.1 REST data query (documentation: the handler reads the query
/// string itself, with `rightstat_portal::data::DataRequest`).
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, non_snake_case)]
struct DataParams {
    /// The first period wanted: a year (2020), a quarter (2020-Q1) or a month (2020-03).
    #[param(pattern = "^(19[0-9]{2}|20[0-9]{2}|2100)(-Q[1-4]|-(0[1-9]|1[0-2]))?$")]
    startPeriod: Option<String>,
    /// The last period wanted.
    #[param(pattern = "^(19[0-9]{2}|20[0-9]{2}|2100)(-Q[1-4]|-(0[1-9]|1[0-2]))?$")]
    endPeriod: Option<String>,
    /// Only figures released after this instant (RFC 3339, e.g. 2026-12-01T09:00:00+08:00).
    #[param(value_type = Option<String>, format = DateTime)]
    updatedAfter: Option<String>,
    /// Of each series, its first N observations.
    #[param(minimum = 1)]
    firstNObservations: Option<u32>,
    /// Of each series, its last N observations.
    #[param(minimum = 1)]
    lastNObservations: Option<u32>,
    #[param(inline)]
    dimensionAtObservation: Option<DimensionAtObservation>,
    #[param(inline)]
    detail: Option<DetailParam>,
    #[param(inline)]
    format: Option<FormatParam>,
}

/// SDMX REST query for every series of a dataflow (as `/sdmx/2.1/data/{flow}/all`).
#[utoipa::path(get, path = "/sdmx/2.1/data/{flow}", tag = "portal", params(("flow" = String, Path), DataParams),
    responses((status = 200, description = "SDMX-CSV 2.0, SDMX-JSON 1.0 or SDMX-ML 2.1 structure-specific data"), (status = 400), (status = 404, description = "No observation matches"), (status = 406, description = "A format this service does not write"), (status = 413, description = "More than 1,000,000 public figures match: narrow the query (one indicator, an area, periods)"), (status = 503, description = "Figures are being released: try again after Retry-After")))]
async fn sdmx_all(
    State(s): State<AppState>,
    Path(flow): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    sdmx(&s, &flow, "all", q.as_deref(), &headers).await
}

/// SDMX 2.1 REST data query: `flow` is `DF_RIGHTSTAT` (or `RIGHTSTAT,DF_RIGHTSTAT,1.0`); `key`
/// is the DSD's key, INDICATOR.REF_AREA.<dimensions in alphabetical order>, with `+` for several
/// codes and an empty part or `*` for any (`all` for every series). The format is chosen by the
/// `Accept` header — SDMX-CSV 2.0 (the default), SDMX-JSON 1.0 or SDMX-ML 2.1 structure-specific
/// data; anything else is refused with 406 — or by `format=csv|json|structurespecificdata`.
#[utoipa::path(get, path = "/sdmx/2.1/data/{flow}/{key}", tag = "portal", params(("flow" = String, Path), ("key" = String, Path), DataParams),
    responses((status = 200, description = "SDMX-CSV 2.0, SDMX-JSON 1.0 or SDMX-ML 2.1 structure-specific data"), (status = 400), (status = 404, description = "No observation matches"), (status = 406, description = "A format this service does not write"), (status = 413, description = "More than 1,000,000 public figures match: narrow the query (one indicator, an area, periods)"), (status = 503, description = "Figures are being released: try again after Retry-After")))]
async fn sdmx_data(
    State(s): State<AppState>,
    Path((flow, key)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    sdmx(&s, &flow, &key, q.as_deref(), &headers).await
}

/// The same, with the data provider (`all` or `RIGHTSTAT`, the one provider): the full form of
/// an SDMX 2.1 data query, as clients such as rsdmx write it.
#[utoipa::path(get, path = "/sdmx/2.1/data/{flow}/{key}/{provider}", tag = "portal", params(("flow" = String, Path), ("key" = String, Path), ("provider" = String, Path), DataParams),
    responses((status = 200, description = "SDMX-CSV 2.0, SDMX-JSON 1.0 or SDMX-ML 2.1 structure-specific data"), (status = 400), (status = 404, description = "No observation matches, or another provider"), (status = 406, description = "A format this service does not write"), (status = 413, description = "More than 1,000,000 public figures match: narrow the query (one indicator, an area, periods)"), (status = 503, description = "Figures are being released: try again after Retry-After")))]
async fn sdmx_data_provider(
    State(s): State<AppState>,
    Path((flow, key, provider)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if !matches!(provider.as_str(), "all" | "RIGHTSTAT" | "RIGHTSTAT,RIGHTSTAT") {
        return Err(ApiError::NotFound(format!("data provider {provider}: this service's one provider is RIGHTSTAT")));
    }
    sdmx(&s, &flow, &key, q.as_deref(), &headers).await
}

/// The parameters of an SDMX 2.1 REST structure query (documentation).
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct StructureParams {
    /// The structures to add: none, parents, parentsandsiblings, children, descendants or all.
    #[param(pattern = "^(none|parents|parentsandsiblings|children|descendants|all)$")]
    references: Option<String>,
    /// full, or stubs (identity and names) for all structures or for the referenced ones.
    #[param(pattern = "^(full|allstubs|referencestubs|allcompletestubs|referencecompletestubs|referencepartial)$")]
    detail: Option<String>,
}

/// SDMX 2.1 REST structure query, answered with an SDMX-ML 2.1 structure message: `resource`
/// is `dataflow` (`DF_RIGHTSTAT`), `datastructure` (`DSD_RIGHTSTAT`), `conceptscheme`
/// (`CS_RIGHTSTAT`), `codelist` (`CL_INDICATOR`, `CL_REF_AREA`, `CL_SEX` …) or
/// `contentconstraint` (`CC_AVAILABLE`: the codes with public data); `agency`
/// `RIGHTSTAT` or `all`; `id` or `all`; `version` `1.0`, `latest` or `all`; `references`
/// `none`, `parents`, `children`, `descendants` or `all`.
#[utoipa::path(get, path = "/sdmx/2.1/{resource}/{agency}/{id}/{version}", tag = "portal",
    params(("resource" = String, Path), ("agency" = String, Path), ("id" = String, Path), ("version" = String, Path), StructureParams),
    responses((status = 200, description = "SDMX-ML 2.1 structure message"), (status = 404, description = "No such structure")))]
async fn sdmx_structure(
    State(s): State<AppState>,
    Path((resource, agency, id, version)): Path<(String, String, String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    structure(&s, &resource, &agency, &id, &version, q.as_deref()).await
}

/// The same, for the latest version (`/sdmx/2.1/{resource}/{agency}/{id}`).
#[utoipa::path(get, path = "/sdmx/2.1/{resource}/{agency}/{id}", tag = "portal",
    params(("resource" = String, Path), ("agency" = String, Path), ("id" = String, Path), StructureParams),
    responses((status = 200, description = "SDMX-ML 2.1 structure message"), (status = 404, description = "No such structure")))]
async fn sdmx_structure_latest(
    State(s): State<AppState>,
    Path((resource, agency, id)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    structure(&s, &resource, &agency, &id, "latest", q.as_deref()).await
}

async fn structure(s: &AppState, resource: &str, agency: &str, id: &str, version: &str, raw: Option<&str>) -> Result<Response, ApiError> {
    use rightstat_portal::structure::{AGENCY, Resource, StructureError};
    let params: HashMap<String, String> =
        serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|e| ApiError::BadRequest(format!("query string: {e}")))?;
    if let Some(other) = params.keys().find(|k| !matches!(k.as_str(), "references" | "detail")) {
        return Err(ApiError::BadRequest(format!("unknown parameter {other:?}: expected references or detail")));
    }
    let site = s.portal.site(&s.store).await?;
    let xml = "application/vnd.sdmx.structure+xml; version=2.1; charset=utf-8";
    // The content constraint: which codes have public data, for the whole dataflow.
    if resource == "contentconstraint" {
        let any = |x: &str| matches!(x, "all" | "*" | "latest" | "~" | "1.0");
        if !(any(agency) || agency == AGENCY) || !(any(id) || id == "CC_AVAILABLE") || !any(version) {
            return Err(ApiError::NotFound(format!(
                "content constraint {agency},{id},{version}: this service has RIGHTSTAT,CC_AVAILABLE,1.0"
            )));
        }
        return match site.available_all() {
            Some(body) => Ok(([(header::CONTENT_TYPE, xml)], body).into_response()),
            None => Err(ApiError::NotFound("public observations".into())),
        };
    }
    let Some(resource) = Resource::parse(resource) else {
        return Err(ApiError::NotFound(format!(
            "SDMX resource {resource} (this service has dataflow, datastructure, conceptscheme, codelist and contentconstraint)"
        )));
    };
    let references = params.get("references").map_or("none", String::as_str);
    let detail = params.get("detail").map_or("full", String::as_str);
    match site.structure(resource, agency, id, version, references, detail) {
        Ok(body) => Ok(([(header::CONTENT_TYPE, xml)], body).into_response()),
        Err(e @ StructureError::NotFound(..)) => Err(ApiError::NotFound(e.to_string())),
        Err(e) => Err(ApiError::BadRequest(e.to_string())),
    }
}

/// SDMX 2.1 availability query: which codes of each dimension, and which period range, have
/// public observations among the series a (partial) key selects — as data explorers ask to
/// build their filters. An SDMX-ML 2.1 structure message with an actual content constraint.
#[utoipa::path(get, path = "/sdmx/2.1/availableconstraint/{flow}/{key}", tag = "portal",
    params(("flow" = String, Path), ("key" = String, Path), ("startPeriod" = Option<String>, Query), ("endPeriod" = Option<String>, Query)),
    responses((status = 200, description = "SDMX-ML 2.1 structure message with a ContentConstraint"), (status = 404, description = "No observation matches"), (status = 413, description = "More than 1,000,000 public figures match: narrow the query (one indicator, an area, periods)"), (status = 503, description = "Figures are being released: try again after Retry-After")))]
async fn sdmx_available(
    State(s): State<AppState>,
    Path((flow, key)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let params: HashMap<String, String> =
        serde_urlencoded::from_str(q.as_deref().unwrap_or("")).map_err(|e| ApiError::BadRequest(format!("query string: {e}")))?;
    if let Some(other) = params.keys().find(|k| !matches!(k.as_str(), "startPeriod" | "endPeriod" | "mode" | "references")) {
        return Err(ApiError::BadRequest(format!("unknown parameter {other:?}: expected startPeriod or endPeriod")));
    }
    let site = s.portal.site(&s.store).await?;
    let query = site
        .query(&flow, &key, params.get("startPeriod").map(String::as_str), params.get("endPeriod").map(String::as_str))
        .map_err(|e| match e {
            rightstat_portal::data::QueryError::UnknownFlow(_) => ApiError::NotFound(e.to_string()),
            _ => ApiError::BadRequest(e.to_string()),
        })?;
    match with_site(&s, |site| {
        let query = query.clone();
        async move { site.available(&query).await }
    })
    .await?
    {
        Some(xml) => Ok(([(header::CONTENT_TYPE, "application/vnd.sdmx.structure+xml; version=2.1; charset=utf-8")], xml).into_response()),
        None => Err(ApiError::NotFound(format!("observations for {flow}/{key}"))),
    }
}

async fn sdmx(s: &AppState, flow: &str, key: &str, raw: Option<&str>, headers: &HeaderMap) -> Result<Response, ApiError> {
    use rightstat_portal::data::{DataRequest, QueryError, RequestError};
    let params: HashMap<String, String> =
        serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|e| ApiError::BadRequest(format!("query string: {e}")))?;
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let request = match DataRequest::parse(&params, accept) {
        Ok(r) => r,
        Err(RequestError::NotAcceptable(m)) => return Err(ApiError::NotAcceptable(m)),
        Err(RequestError::BadRequest(m)) => return Err(ApiError::BadRequest(m)),
    };
    let site = s.portal.site(&s.store).await?;
    let query = site
        .query(flow, key, request.start.as_deref(), request.end.as_deref())
        .map_err(|e| match e {
            QueryError::UnknownFlow(_) => ApiError::NotFound(e.to_string()),
            _ => ApiError::BadRequest(e.to_string()),
        })?
        .updated_after(request.updated_after.clone());
    match with_site(s, |site| {
        let (query, request) = (query.clone(), request.clone());
        async move { site.data_message(&query, &request, key).await }
    })
    .await?
    {
        Some(file) => {
            let mut r = respond(file);
            r.headers_mut().insert(header::VARY, HeaderValue::from_static("accept"));
            Ok(r)
        }
        // SDMX REST answers 404 "No results" when nothing matches.
        None => Err(ApiError::NotFound(format!("observations for {flow}/{key}"))),
    }
}
