//! The constructive dialogue: the Committee's lists of issues, imported for the replies and the
//! briefing book (both drafted on `/reports`). A list of issues is a public UN document: anyone
//! may read it; administrators import it.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::{Extension, Json};
use rightstat_core::lang::Lang;
use rightstat_store::dialogue::{ListOfIssuesRow, LoiFormat, LoiImport};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, import))
}

/// Every list of issues held, the latest imported first, with its questions in both languages.
#[utoipa::path(get, path = "/api/v1/lists-of-issues", tag = "dialogue", responses((status = 200, body = [ListOfIssuesRow])))]
async fn list(State(s): State<AppState>) -> ApiResult<Json<Vec<ListOfIssuesRow>>> {
    Ok(Json(s.store.lists_of_issues().await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ImportQuery {
    /// un-text (the plain text of the UN document) or csv (paragraph,question[,heading][,articles]).
    #[param(pattern = "^(un-text|csv)$")]
    format: String,
    /// The document symbol: needed for a CSV, checked against the text otherwise.
    #[param(max_length = 60)]
    symbol: Option<String>,
    /// The language of the file (en or zh); detected when not given.
    #[param(pattern = "^(en|zh)$")]
    lang: Option<String>,
}

/// Imports one language of a list of issues (the body), all or nothing. A second language must
/// have the same paragraphs; a changed text is a revision, audited. 422 lists every bad line.
#[utoipa::path(post, path = "/api/v1/lists-of-issues", tag = "dialogue", params(ImportQuery),
    request_body(content = String, description = "The list of issues: plain text (UTF-8) or CSV", content_type = "text/plain"),
    responses((status = 200, body = LoiImport), (status = 400, description = "Unknown format or language"), (status = 422, description = "Errors by line and column; nothing imported")))]
async fn import(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<ImportQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<LoiImport>> {
    let format: LoiFormat = q.format.parse().map_err(ApiError::BadRequest)?;
    let lang = match q.lang.as_deref() {
        None => None,
        Some(l) => Some(Lang::parse(l).ok_or_else(|| ApiError::BadRequest(format!("unknown language '{l}': expected en or zh")))?),
    };
    let name = headers.get("x-file-name").and_then(|v| v.to_str().ok()).unwrap_or("upload").to_string();
    match s.store.import_list_of_issues(format, &body, &name, q.symbol.as_deref(), lang, &caller.actor()).await? {
        Ok(r) => Ok(Json(r)),
        Err(errors) => Err(ApiError::Unprocessable(crate::routes::recommendations::row_errors(&errors))),
    }
}
