//! Reports from a web page: the list of drafts, each built on request from the data and
//! registers in English or Chinese as HTML, Markdown or DOCX, and the checks for the author.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::pages::PageLang;
use crate::pages::{self, Lang, signed_in, v};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use rightstat_reports::{ReportKind, ReportOptions};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(reports_page))
        .routes(routes!(report_file))
        .routes(routes!(report_checks))
        .routes(routes!(checks_page))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ReportQuery {
    /// en (default) or zh.
    lang: Option<String>,
    /// html (default), md, docx or pdf (when built with the `pdf` feature).
    format: Option<String>,
    /// ICESCR articles, comma-separated (default 2,6,9,10,11,12,13).
    articles: Option<String>,
}

fn options(kind: &str, q: &ReportQuery) -> ApiResult<(ReportKind, ReportOptions)> {
    let kind = ReportKind::parse(kind).ok_or_else(|| ApiError::NotFound(format!("report {kind}")))?;
    let lang = match q.lang.as_deref() {
        None => Lang::En,
        Some(l) => Lang::parse(l).ok_or_else(|| ApiError::BadRequest(format!("lang '{l}': expected en or zh")))?,
    };
    let articles = match &q.articles {
        None => rightstat_reports::gaps::DEFAULT_ARTICLES.to_vec(),
        Some(a) => a
            .split(',')
            .map(|x| x.trim().parse::<u8>().ok().filter(|n| (1..=31).contains(n)))
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| ApiError::BadRequest(format!("articles '{a}': expected ICESCR article numbers, comma-separated")))?,
    };
    Ok((kind, ReportOptions { lang, articles }))
}

async fn build(s: &AppState, kind: ReportKind, opts: &ReportOptions) -> ApiResult<rightstat_reports::Built> {
    rightstat_reports::build(&s.store, kind, opts).await.map_err(|e| match e {
        rightstat_reports::ReportError::Store(e) => ApiError::from(e),
    })
}

/// The reports RightStat drafts, with links to build each.
#[utoipa::path(get, path = "/reports", tag = "pages", responses((status = 200, description = "HTML")))]
async fn reports_page(Extension(caller): Extension<Caller>, PageLang(lang): PageLang) -> ApiResult<Response> {
    let kinds: Vec<serde_json::Value> =
        ReportKind::ALL.iter().map(|k| serde_json::json!({ "code": k.as_str(), "title": lang.pick(k.title().0, k.title().1) })).collect();
    Ok(pages::render("reports.html", lang, minijinja::context! { kinds => v(&kinds), here => "/reports", signed_in => signed_in(&caller) }))
}

/// A report built now from the data: HTML to read, Markdown or DOCX to edit.
#[utoipa::path(get, path = "/reports/{kind}", tag = "pages", params(("kind" = String, Path, description = "cescr, upr, upr-midterm, annex, gaps, loi-replies or briefing"), ReportQuery),
    responses((status = 200, description = "HTML, Markdown or DOCX"), (status = 404, description = "Unknown report")))]
async fn report_file(State(s): State<AppState>, Path(kind): Path<String>, Query(q): Query<ReportQuery>) -> ApiResult<Response> {
    let (kind, opts) = options(&kind, &q)?;
    let built = build(&s, kind, &opts).await?;
    let name = format!("rightstat-{}-{}", kind.as_str(), opts.lang.code());
    Ok(match q.format.as_deref() {
        None | Some("html") => {
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], rightstat_reports::render::html_page(&built.doc)).into_response()
        }
        Some("md") => (
            [
                (header::CONTENT_TYPE, "text/markdown; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.md\"")),
            ],
            rightstat_reports::render::markdown(&built.doc),
        )
            .into_response(),
        Some("docx") => (
            [
                (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.wordprocessingml.document".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.docx\"")),
            ],
            rightstat_reports::docx::docx(&built.doc).map_err(ApiError::Internal)?,
        )
            .into_response(),
        Some("pdf") => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.pdf\"")),
            ],
            rightstat_reports::to_pdf(&built.doc).map_err(ApiError::BadRequest)?,
        )
            .into_response(),
        Some(f) => return Err(ApiError::BadRequest(format!("format '{f}': expected html, md, docx or pdf"))),
    })
}

/// The checks of a draft as a page: its length and each thing to look at, with a link to the
/// draft and its Word file.
#[utoipa::path(get, path = "/reports/{kind}/checks", tag = "pages", params(("kind" = String, Path, description = "cescr, upr, upr-midterm, annex, gaps, loi-replies or briefing")),
    responses((status = 200, description = "HTML"), (status = 404, description = "Unknown report")))]
async fn checks_page(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Path(kind): Path<String>,
) -> ApiResult<Response> {
    let Some(k) = ReportKind::parse(&kind) else {
        return Ok(pages::message(lang, "not_found", &format!("report {kind}"), axum::http::StatusCode::NOT_FOUND));
    };
    let opts = ReportOptions { lang, articles: rightstat_reports::gaps::DEFAULT_ARTICLES.to_vec() };
    let built = build(&s, k, &opts).await?;
    let findings: Vec<serde_json::Value> = built
        .findings
        .iter()
        .map(|f| serde_json::json!({ "check": f.check, "message": lang.pick(&f.message_en, &f.message_zh), "block": f.block, "place": f.place }))
        .collect();
    Ok(pages::render(
        "report_checks.html",
        lang,
        minijinja::context! {
            code => k.as_str(), title => lang.pick(k.title().0, k.title().1), words => built.words, findings => v(&findings),
            here => format!("/reports/{}/checks", k.as_str()), signed_in => signed_in(&caller)
        },
    ))
}

/// What the author must check in a report: words against the limit, tables without a source,
/// local terms, articles with progress but no measures.
#[utoipa::path(get, path = "/api/v1/reports/{kind}/checks", tag = "reports", params(("kind" = String, Path, description = "cescr, upr, upr-midterm, annex, gaps, loi-replies or briefing"), ReportQuery),
    responses((status = 200, description = "{\"words\": n, \"findings\": [...]}")))]
async fn report_checks(
    State(s): State<AppState>,
    Path(kind): Path<String>,
    Query(q): Query<ReportQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let (kind, opts) = options(&kind, &q)?;
    let built = build(&s, kind, &opts).await?;
    Ok(Json(serde_json::json!({ "report": kind.as_str(), "words": built.words, "findings": built.findings })))
}
