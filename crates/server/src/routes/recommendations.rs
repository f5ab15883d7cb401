//! Recommendations and measures: the JSON API (with CSV export of any filtered list) and the
//! server-rendered pages in English and Chinese.
//!
//! Anyone may read recommendations, measures and the evidence from published figures; signed-in
//! users also see assessments and the figures their grants cover. Administrators import, link
//! and edit; a coordinator records government assessments for the recommendations assigned to
//! its department.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::pages::PageLang;
use crate::pages::{self, Lang, signed_in, v};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use rightstat_core::measure::Measure;
use rightstat_core::policy::Role;
use rightstat_core::recommendation::{Assessor, Cluster, ImplementationStatus, Response as Position};
use rightstat_store::RowError;
use rightstat_store::follow_up::{MeasureRow, NewAssessment, RecommendationFollowUp, follow_up_csv};
use rightstat_store::recommendations::{RecommendationFilter, RecommendationFormat, RecommendationImport};
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(detail))
        .routes(routes!(import))
        .routes(routes!(add_assessment))
        .routes(routes!(add_link))
        .routes(routes!(remove_link))
        .routes(routes!(clusters))
        .routes(routes!(measures))
        .routes(routes!(measure, put_measure))
        .routes(routes!(list_page))
        .routes(routes!(detail_page))
        .routes(routes!(measures_page))
        .routes(routes!(measure_page))
}

/// Filters shared by the API and the page. Empty values do not restrict.
#[derive(Debug, Default, Clone, Deserialize, Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecQuery {
    /// Words that must all occur in the text (case-insensitive).
    #[serde(default)]
    q: Option<String>,
    /// State under review: ISO 3166 code (CN, CHN) or name.
    #[serde(default)]
    country: Option<String>,
    /// UPR or a treaty body (CESCR, CEDAW, ...).
    #[serde(default)]
    mechanism: Option<String>,
    /// A UPR cycle: 1, 2, 3 …
    #[serde(default)]
    #[param(pattern = "^[0-9]{0,9}$")]
    cycle: Option<String>,
    /// UPR session number, or a treaty body's document symbol.
    #[serde(default)]
    session: Option<String>,
    /// A recommending State.
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    theme: Option<String>,
    /// SDG goal or target (`1` or `1.2`).
    #[serde(default)]
    sdg: Option<String>,
    /// Cluster code (see /api/v1/clusters).
    #[serde(default)]
    cluster: Option<String>,
    /// supported, supported_in_part or noted.
    #[serde(default)]
    #[param(pattern = "^(supported|supported_in_part|noted)?$")]
    response: Option<String>,
    /// Latest government assessment: not_assessed, not_started, in_progress, partially_implemented, implemented, not_implemented.
    #[serde(default)]
    #[param(pattern = "^(not_assessed|not_started|in_progress|partially_implemented|implemented|not_implemented)?$")]
    status: Option<String>,
    /// Lead or contributing department code.
    #[serde(default)]
    department: Option<String>,
    /// Answered by this measure (code).
    #[serde(default)]
    measure: Option<String>,
    /// json (the API's default) or csv; the page also takes html, its default.
    #[serde(default)]
    #[param(pattern = "^(json|csv|html)?$")]
    format: Option<String>,
    /// Page language: en or zh (anything else: the language cookie, then Accept-Language).
    #[serde(default)]
    lang: Option<String>,
}

fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl RecQuery {
    fn filter(&self) -> ApiResult<RecommendationFilter> {
        let response = match nonempty(&self.response) {
            Some(r) => Some(r.parse::<Position>().map_err(ApiError::BadRequest)?),
            None => None,
        };
        let cycle = match nonempty(&self.cycle) {
            Some(c) => Some(c.parse::<i64>().map_err(|_| ApiError::BadRequest(format!("cycle '{c}' is not a number")))?),
            None => None,
        };
        let status = match nonempty(&self.status) {
            Some(s) if s == "not_assessed" => Some(s),
            Some(s) => Some(s.parse::<ImplementationStatus>().map_err(ApiError::BadRequest)?.as_str().to_string()),
            None => None,
        };
        Ok(RecommendationFilter {
            uid: None,
            q: nonempty(&self.q),
            country: nonempty(&self.country),
            mechanism: nonempty(&self.mechanism),
            cycle,
            session: nonempty(&self.session),
            recommending_state: nonempty(&self.state),
            theme: nonempty(&self.theme),
            sdg: nonempty(&self.sdg),
            cluster: nonempty(&self.cluster),
            response,
            status,
            department: nonempty(&self.department),
            measure: nonempty(&self.measure),
        })
    }

    /// The same query without `lang` and `format`, for links.
    fn without_presentation(&self) -> String {
        let fields = [
            ("q", &self.q),
            ("country", &self.country),
            ("mechanism", &self.mechanism),
            ("cycle", &self.cycle),
            ("session", &self.session),
            ("state", &self.state),
            ("theme", &self.theme),
            ("sdg", &self.sdg),
            ("cluster", &self.cluster),
            ("response", &self.response),
            ("status", &self.status),
            ("department", &self.department),
            ("measure", &self.measure),
        ];
        let pairs: Vec<(&str, String)> = fields.into_iter().filter_map(|(k, v)| Some((k, nonempty(v)?))).collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

async fn find(s: &AppState, caller: &Caller, q: &RecQuery) -> ApiResult<Vec<RecommendationFollowUp>> {
    let rows = s.store.follow_up(&q.filter()?, &caller.visibility(), caller.principal.is_some()).await?;
    public_evidence(s, caller, rows).await
}

/// The public sees the evidence under the portal's disclosure control: a withheld figure is
/// no point of a series, no baseline and no latest value.
async fn public_evidence(s: &AppState, caller: &Caller, mut rows: Vec<RecommendationFollowUp>) -> ApiResult<Vec<RecommendationFollowUp>> {
    if caller.visibility() != rightstat_store::Visibility::Published {
        return Ok(rows);
    }
    let site = s.portal.site(&s.store).await?;
    let shown = |ev: &rightstat_store::follow_up::Evidence, p: &rightstat_store::follow_up::Point| {
        site.is_shown(&ev.indicator, &ev.area, &p.period, &ev.cell)
    };
    for ev in rows.iter_mut().flat_map(|r| r.evidence.iter_mut()) {
        let series = std::mem::take(&mut ev.series);
        ev.series = series.into_iter().filter(|p| shown(ev, p)).collect();
        if ev.baseline.as_ref().is_some_and(|p| !shown(ev, p)) {
            ev.baseline = None;
        }
        if ev.latest.as_ref().is_some_and(|p| !shown(ev, p)) {
            ev.latest = None;
        }
        if ev.baseline.is_none() || ev.latest.is_none() {
            ev.trend = rightstat_core::recommendation::Trend::NoData;
        }
    }
    Ok(rows)
}

fn csv_response(rows: &[RecommendationFollowUp]) -> ApiResult<Response> {
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"recommendations.csv\"")],
        follow_up_csv(rows)?,
    )
        .into_response())
}

/// Recommendations with their follow-up: departments, measures, links across cycles, evidence
/// computed from the figures the caller may see, and (signed in) assessments. `format=csv`
/// gives the same list as a spreadsheet.
#[utoipa::path(get, path = "/api/v1/recommendations", tag = "recommendations", params(RecQuery),
    responses((status = 200, description = "JSON, or CSV with format=csv", content((Vec<RecommendationFollowUp> = "application/json"), (String = "text/csv"))), (status = 303, description = "format=html: the same selection on the page /recommendations"), (status = 400, description = "Bad filter")))]
async fn list(State(s): State<AppState>, Extension(caller): Extension<Caller>, Query(q): Query<RecQuery>) -> ApiResult<Response> {
    if q.format.as_deref() == Some("html") {
        // The page shows the same selection: send the reader there.
        let query = q.without_presentation();
        let to = if query.is_empty() { "/recommendations".to_string() } else { format!("/recommendations?{query}") };
        return Ok(axum::response::Redirect::to(&to).into_response());
    }
    let rows = find(&s, &caller, &q).await?;
    match q.format.as_deref() {
        Some("csv") => csv_response(&rows),
        None | Some("json") | Some("") => Ok(Json(rows).into_response()),
        Some(f) => Err(ApiError::BadRequest(format!("format '{f}': expected json or csv (html is the page's, /recommendations)"))),
    }
}

async fn one(s: &AppState, caller: &Caller, uid: &str) -> ApiResult<RecommendationFollowUp> {
    let f = RecommendationFilter { uid: Some(uid.to_string()), ..Default::default() };
    let rows = s.store.follow_up(&f, &caller.visibility(), caller.principal.is_some()).await?;
    public_evidence(s, caller, rows).await?.pop().ok_or_else(|| ApiError::NotFound(format!("recommendation {uid}")))
}

/// One recommendation with its follow-up.
#[utoipa::path(get, path = "/api/v1/recommendations/{uid}", tag = "recommendations",
    params(("uid" = String, Path, description = "Stable identifier")),
    responses((status = 200, body = RecommendationFollowUp), (status = 404, description = "Unknown")))]
async fn detail(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(uid): Path<String>,
) -> ApiResult<Json<RecommendationFollowUp>> {
    Ok(Json(one(&s, &caller, &uid).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ImportQuery {
    /// upr-info, uhri, co or ohchr-matrix.
    #[param(pattern = "^(upr-info|uhri|co|ohchr-matrix)$")]
    format: String,
}

/// Imports a file of recommendations (the body), all or nothing. 422 lists every bad row.
#[utoipa::path(post, path = "/api/v1/recommendations/import", tag = "recommendations", params(ImportQuery),
    request_body(content = String, description = "The file: UPR Info CSV, UHRI .xlsx, concluding-observations CSV or OHCHR's UPR matrix .docx", content_type = "application/octet-stream"),
    responses((status = 200, body = RecommendationImport), (status = 422, description = "Errors by row and column; nothing imported")))]
async fn import(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<ImportQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<RecommendationImport>> {
    let format: RecommendationFormat = q.format.parse().map_err(ApiError::BadRequest)?;
    let name = headers.get("x-file-name").and_then(|v| v.to_str().ok()).unwrap_or("upload").to_string();
    match s.store.import_recommendations(format, &body, &name, &caller.actor()).await? {
        Ok(r) => Ok(Json(r)),
        Err(errors) => Err(ApiError::Unprocessable(row_errors(&errors))),
    }
}

pub(crate) fn row_errors(errors: &[RowError]) -> serde_json::Value {
    serde_json::json!({
        "errors": errors.iter().take(1000).map(|e| serde_json::json!({
            "file": e.file, "row": e.row, "column": e.column, "value": e.value, "expected": e.expected, "message": e.to_string()
        })).collect::<Vec<_>>(),
        "error_count": errors.len(),
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct AssessmentIn {
    /// government, nhri or civil_society.
    #[schema(pattern = "^(government|nhri|civil_society)$")]
    assessor: String,
    assessor_name: String,
    /// YYYY-MM-DD.
    #[schema(format = Date)]
    assessed_on: String,
    /// not_started, in_progress, partially_implemented, implemented, not_implemented.
    #[schema(pattern = "^(not_started|in_progress|partially_implemented|implemented|not_implemented)$")]
    status: String,
    #[serde(default)]
    text: String,
}

/// Records a dated assessment. Administrators record any; a coordinator records the
/// government's assessment of recommendations assigned to its department.
#[utoipa::path(post, path = "/api/v1/recommendations/{uid}/assessments", tag = "recommendations",
    params(("uid" = String, Path, description = "Stable identifier")), request_body = AssessmentIn,
    responses((status = 201, description = "Recorded; body {\"id\": n}"), (status = 400, description = "Not an assessor or a status"), (status = 422, description = "Invalid: the message says why"), (status = 403, description = "Not your department's")))]
async fn add_assessment(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(uid): Path<String>,
    Json(a): Json<AssessmentIn>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let assessor: Assessor = a.assessor.parse().map_err(ApiError::BadRequest)?;
    let status: ImplementationStatus = a.status.parse().map_err(ApiError::BadRequest)?;
    let r = one(&s, &caller, &uid).await?;
    let grants = caller.grants().unwrap_or_default();
    let admin = grants.iter().any(|g| g.role == Role::Administrator);
    if !admin {
        let mine = grants
            .iter()
            .filter(|g| g.role == Role::Coordinator)
            .filter_map(|g| g.department.as_deref())
            .any(|d| r.departments.iter().any(|x| x.code == d));
        if !mine || assessor != Assessor::Government {
            return Err(ApiError::Forbidden(
                "a coordinator records the government's assessment of recommendations assigned to its own department".into(),
            ));
        }
    }
    let new = NewAssessment { uid: &uid, assessor, assessor_name: &a.assessor_name, assessed_on: &a.assessed_on, status, text: &a.text };
    let id = s.store.add_assessment(&new, &caller.actor()).await.map_err(ApiError::refused)?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct LinkIn {
    /// indicator, measure or department.
    #[schema(pattern = "^(indicator|measure|department)$")]
    kind: String,
    /// The indicator, measure or department code.
    code: String,
    /// For an indicator: the breakdowns the recommendation asks for (recognised from the text when absent).
    #[serde(default)]
    breakdowns: Option<Vec<String>>,
    /// For a department: lead (true) or contributing.
    #[serde(default)]
    lead: bool,
}

/// Links a recommendation to an indicator, a measure or a department; a link a rule suggested
/// becomes confirmed by the caller.
#[utoipa::path(post, path = "/api/v1/recommendations/{uid}/links", tag = "recommendations",
    params(("uid" = String, Path, description = "Stable identifier")), request_body = LinkIn,
    responses((status = 204, description = "Linked"), (status = 400, description = "Invalid"), (status = 404, description = "Unknown recommendation or code")))]
async fn add_link(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(uid): Path<String>,
    Json(l): Json<LinkIn>,
) -> ApiResult<StatusCode> {
    let actor = caller.actor();
    match l.kind.as_str() {
        "indicator" => s.store.link_indicator(&uid, &l.code, l.breakdowns, &actor).await.map_err(ApiError::refused)?,
        "measure" => s.store.link_measure(&l.code, &uid, &actor).await.map_err(ApiError::refused)?,
        "department" => s.store.assign_department(&uid, &l.code, l.lead, &actor).await.map_err(ApiError::refused)?,
        k => return Err(ApiError::BadRequest(format!("kind '{k}': expected indicator, measure or department"))),
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a measure's or an indicator's link to a recommendation: a suggestion the expert
/// rejects, or a link made in error. Audited.
#[utoipa::path(delete, path = "/api/v1/recommendations/{uid}/links/{kind}/{code}", tag = "recommendations",
    params(("uid" = String, Path, description = "Stable identifier"), ("kind" = String, Path, description = "measure or indicator"), ("code" = String, Path, description = "The measure's or indicator's code")),
    responses((status = 204, description = "Removed"), (status = 404, description = "No such link (or not a kind of link)")))]
async fn remove_link(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((uid, kind, code)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    if !matches!(kind.as_str(), "measure" | "indicator") {
        return Err(ApiError::NotFound(format!("link kind '{kind}': expected measure or indicator")));
    }
    s.store.unlink(&uid, &kind, &code, &caller.actor()).await.map_err(ApiError::refused)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Thematic clusters and the rules that fill them.
#[utoipa::path(get, path = "/api/v1/clusters", tag = "recommendations", responses((status = 200, body = Vec<Cluster>)))]
async fn clusters() -> Json<Vec<Cluster>> {
    Json(rightstat_core::reference::clusters().0)
}

/// The measures register.
#[utoipa::path(get, path = "/api/v1/measures", tag = "recommendations", responses((status = 200, body = Vec<MeasureRow>)))]
async fn measures(State(s): State<AppState>) -> ApiResult<Json<Vec<MeasureRow>>> {
    Ok(Json(s.store.measures().await?))
}

/// One measure with the recommendations it answers.
#[utoipa::path(get, path = "/api/v1/measures/{code}", tag = "recommendations", params(("code" = String, Path, description = "Measure code")),
    responses((status = 200, body = MeasureRow), (status = 404, description = "Unknown")))]
async fn measure(State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<MeasureRow>> {
    s.store.measure(&code).await?.map(Json).ok_or_else(|| ApiError::NotFound(format!("measure {code}")))
}

/// Creates or replaces a measure (audited).
#[utoipa::path(put, path = "/api/v1/measures/{code}", tag = "recommendations", params(("code" = String, Path, description = "Measure code")),
    request_body = Measure, responses((status = 200, body = MeasureRow), (status = 422, description = "Invalid: the message says why")))]
async fn put_measure(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(code): Path<String>,
    Json(m): Json<Measure>,
) -> ApiResult<Json<MeasureRow>> {
    if m.code != code {
        return Err(ApiError::Refused(format!("the body's code {} differs from the path's {code}", m.code)));
    }
    s.store.put_measure(&m, &caller.actor()).await.map_err(ApiError::refused)?;
    s.store.measure(&code).await?.map(Json).ok_or_else(|| ApiError::Internal("measure vanished".into()))
}

// ---- pages -----------------------------------------------------------------------------

/// The recommendations page: filters, the list, and a CSV link for the same selection.
#[utoipa::path(get, path = "/recommendations", tag = "pages", params(RecQuery),
    responses((status = 200, description = "HTML; with format=csv or format=json, the list as the API gives it", content((String = "text/html"), (String = "text/csv"), (Vec<RecommendationFollowUp> = "application/json")))))]
async fn list_page(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Query(q): Query<RecQuery>,
) -> Response {
    let lang = crate::pages::lang_from(q.lang.as_deref(), &headers);
    let rows = match find(&s, &caller, &q).await {
        Ok(r) => r,
        Err(ApiError::BadRequest(m)) => return pages::message(lang, "bad_request", &m, StatusCode::BAD_REQUEST),
        Err(e) => return e.into_response(),
    };
    // The list itself, as the API gives it, from the page's own address (a download link).
    match q.format.as_deref() {
        None | Some("") | Some("html") => {}
        Some("csv") => return csv_response(&rows).unwrap_or_else(IntoResponse::into_response),
        Some("json") => return Json(rows).into_response(),
        Some(f) => {
            return pages::message(lang, "bad_request", &format!("format '{f}': expected html, csv or json"), StatusCode::BAD_REQUEST);
        }
    }
    let options = match page_options(&s).await {
        Ok(o) => o,
        Err(e) => return e.into_response(),
    };
    let query = q.without_presentation();
    let here = if query.is_empty() { "/recommendations".to_string() } else { format!("/recommendations?{query}") };
    let csv_url = format!("/api/v1/recommendations?{}{}format=csv", query, if query.is_empty() { "" } else { "&" });
    let view: Vec<serde_json::Value> = rows.iter().map(row_view).collect();
    pages::render(
        "recommendations.html",
        lang,
        minijinja::context! { rows => v(&view), f => v(&q), options => v(&options), here => here, csv_url => csv_url, signed_in => signed_in(&caller) },
    )
}

/// A recommendation as the templates read it: the record flattened, with a status.
fn row_view(r: &RecommendationFollowUp) -> serde_json::Value {
    serde_json::to_value(r).unwrap_or_default()
}

async fn page_options(s: &AppState) -> ApiResult<serde_json::Value> {
    let all = s.store.find_recommendations(&RecommendationFilter::default()).await?;
    let mut mechanisms: Vec<String> = all.iter().map(|r| r.mechanism.clone()).collect();
    mechanisms.sort();
    mechanisms.dedup();
    let mut cycles: Vec<String> = all.iter().filter_map(|r| r.cycle.map(|c| c.to_string())).collect();
    cycles.sort();
    cycles.dedup();
    let mut themes: Vec<String> = all.iter().flat_map(|r| r.themes.iter().cloned()).collect();
    themes.sort();
    themes.dedup();
    let departments = s.store.departments().await?;
    Ok(serde_json::json!({
        "mechanisms": mechanisms, "cycles": cycles, "themes": themes,
        "clusters": rightstat_core::reference::clusters().0, "departments": departments,
    }))
}

/// A recommendation's page: its measures, the evidence with a small chart per indicator, and
/// (signed in) the assessments side by side.
#[utoipa::path(get, path = "/recommendations/{uid}", tag = "pages", params(("uid" = String, Path, description = "Stable identifier")),
    responses((status = 200, description = "HTML"), (status = 404, description = "Unknown")))]
async fn detail_page(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Path(uid): Path<String>,
) -> Response {
    let r = match one(&s, &caller, &uid).await {
        Ok(r) => r,
        Err(ApiError::NotFound(m)) => return pages::message(lang, "not_found", &m, StatusCode::NOT_FOUND),
        Err(e) => return e.into_response(),
    };
    let (units, cat) = match (s.store.units().await, s.store.catalogue().await) {
        (Ok((u, _)), Ok(c)) => (u, c),
        (Err(e), _) | (_, Err(e)) => return ApiError::from(e).into_response(),
    };
    // Dimension ids as words in the page's language.
    let dim_names = |dims: &[String]| -> Vec<String> {
        dims.iter().map(|d| cat.codelists.get(d).map_or(d.clone(), |l| lang.pick(&l.name_en, &l.name_zh).to_string())).collect()
    };
    let mut view = row_view(&r);
    if let Some(list) = view.get_mut("evidence").and_then(|v| v.as_array_mut()) {
        for (e, ev) in list.iter_mut().zip(&r.evidence) {
            let name = if lang == Lang::Zh { &ev.label_zh } else { &ev.label_en };
            let pts: Vec<(i32, f64)> = ev.series.iter().map(|p| (p.year, p.value)).collect();
            let unit = units.iter().find(|u| u.code == ev.unit);
            let unit_name = unit.map_or(ev.unit.clone(), |u| lang.pick(&u.name_en, &u.name_zh).to_string());
            let label = if ev.unit_mult == 0 {
                unit_name
            } else {
                format!("{} × {}", unit_name, rightstat_core::unit::multiplier_label(ev.unit_mult))
            };
            e["chart"] = pages::sparkline(&pts, name).into();
            e["unit_label"] = label.into();
            e["breakdowns_missing"] = dim_names(&ev.breakdowns_missing).into();
        }
    }
    let clusters = rightstat_core::reference::clusters().0;
    let cluster_names: Vec<String> = r
        .recommendation
        .clusters
        .iter()
        .map(|c| clusters.iter().find(|x| &x.code == c).map_or(c.clone(), |x| lang.pick(&x.name_en, &x.name_zh).to_string()))
        .collect();
    let here = format!("/recommendations/{uid}");
    pages::render(
        "recommendation.html",
        lang,
        minijinja::context! { r => v(&view), cluster_names => cluster_names, here => here, signed_in => signed_in(&caller) },
    )
}

/// The measures register as a page.
#[utoipa::path(get, path = "/measures", tag = "pages", responses((status = 200, description = "HTML")))]
async fn measures_page(State(s): State<AppState>, Extension(caller): Extension<Caller>, PageLang(lang): PageLang) -> Response {
    match s.store.measures().await {
        Ok(list) => {
            let view: Vec<serde_json::Value> = list.iter().map(|m| serde_json::to_value(m).unwrap_or_default()).collect();
            pages::render(
                "measures.html",
                lang,
                minijinja::context! { measures => v(&view), here => "/measures", signed_in => signed_in(&caller) },
            )
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// A measure's page: the local term explained, legal basis, indicators and the recommendations it answers.
#[utoipa::path(get, path = "/measures/{code}", tag = "pages", params(("code" = String, Path, description = "Measure code")),
    responses((status = 200, description = "HTML"), (status = 404, description = "Unknown")))]
async fn measure_page(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Path(code): Path<String>,
) -> Response {
    let result: ApiResult<Response> = async {
        let Some(m) = s.store.measure(&code).await? else {
            return Ok(pages::message(lang, "not_found", &format!("measure {code}"), StatusCode::NOT_FOUND));
        };
        let dept = match &m.measure.department {
            Some(d) => s
                .store
                .departments()
                .await?
                .into_iter()
                .find(|x| &x.code == d)
                .map(|x| if lang == Lang::Zh { x.name_zh } else { x.name_en }),
            None => None,
        };
        let cat = s.store.catalogue().await?;
        let indicators: Vec<serde_json::Value> = m
            .measure
            .indicators
            .iter()
            .filter_map(|c| cat.indicators.get(c))
            .map(|(i, _)| serde_json::json!({ "code": i.code, "name_en": i.name_en, "name_zh": i.name_zh }))
            .collect();
        let recs = s.store.find_recommendations(&RecommendationFilter { measure: Some(code.clone()), ..Default::default() }).await?;
        Ok(pages::render(
            "measure.html",
            lang,
            minijinja::context! {
                m => v(&m.measure), department => dept, indicators => v(&indicators),
                recommendations => v(&recs), here => format!("/measures/{code}"), signed_in => signed_in(&caller)
            },
        ))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}
