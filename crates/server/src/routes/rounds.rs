//! Collection rounds over HTTP: the lead department creates and opens rounds; assignees see
//! their own tasks, download templates and submit; reviewers approve or return.
//!
//! Area scoping: a task is visible and writable only within the caller's grants (and, for a
//! grant tied to a department, only that department's tasks); a reviewer acts on tasks in the
//! areas below its own.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use rightstat_core::area::AreaLevel;
use rightstat_core::policy::{Action, Role};
use rightstat_core::round::RoundSpec;
use rightstat_store::ImportOptions;
use rightstat_store::collection::{CompletenessRow, Question, RoundRow, TaskEvent, TaskRow};
use rightstat_store::drafts::TaskDraft;
use rightstat_store::formats::Format;
use rightstat_store::sources::Discrepancy;
use rightstat_store::value_history::ValueChange;
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_rounds, create_round))
        .routes(routes!(open_round))
        .routes(routes!(close_round))
        .routes(routes!(release_queue, release))
        .routes(routes!(round_tasks))
        .routes(routes!(completeness))
        .routes(routes!(discrepancies))
        .routes(routes!(get_draft, put_draft))
        .routes(routes!(task))
        .routes(routes!(template))
        .routes(routes!(submit))
        .routes(routes!(review))
        .routes(routes!(ask))
        .routes(routes!(questions))
        .routes(routes!(answer))
}

async fn round_id(s: &AppState, r: &str) -> ApiResult<i64> {
    Ok(s.store.round(r).await?.ok_or_else(|| ApiError::NotFound(format!("round {r}")))?.id)
}

/// Can the caller see this task? Administrators and analysts: all; others: tasks in their
/// areas, of their department where the grant names one.
pub(crate) fn may_see(caller: &Caller, t: &TaskRow, chain: &[String]) -> bool {
    caller.grants().unwrap_or_default().iter().any(|g| {
        matches!(g.role, Role::Administrator | Role::Analyst)
            || (chain.contains(&g.area) && g.department.as_ref().is_none_or(|d| *d == t.department_code))
    })
}

/// The same, for a task whose area chain comes from an area index (lists of tasks).
pub(crate) fn may_see_in(caller: &Caller, t: &TaskRow, idx: &rightstat_store::AreaIndex) -> bool {
    let chain: Vec<String> = idx.chain(&t.area_code).into_iter().map(String::from).collect();
    may_see(caller, t, &chain)
}

/// The questions of a round on the tasks the caller may see (the API and the round page).
pub(crate) async fn visible_questions(s: &AppState, caller: &Caller, round_id: i64) -> ApiResult<Vec<Question>> {
    let idx = s.store.area_index().await?;
    let tasks: std::collections::HashMap<i64, TaskRow> =
        s.store.tasks(round_id, None, None).await?.into_iter().map(|t| (t.id, t)).collect();
    Ok(s.store
        .round_questions(round_id)
        .await?
        .into_iter()
        .filter(|q| tasks.get(&q.task_id).is_some_and(|t| may_see_in(caller, t, &idx)))
        .collect())
}

pub(crate) async fn load_task(s: &AppState, caller: &Caller, id: i64) -> ApiResult<(TaskRow, Vec<String>)> {
    let t = s.store.task(id).await?.ok_or_else(|| ApiError::NotFound(format!("task {id}")))?;
    let chain = s.store.area_chain(&t.area_code).await?;
    if !may_see(caller, &t, &chain) {
        // Not found rather than forbidden: others' tasks are not disclosed.
        return Err(ApiError::NotFound(format!("task {id}")));
    }
    Ok((t, chain))
}

/// The rounds.
#[utoipa::path(get, path = "/api/v1/rounds", tag = "collection", responses((status = 200, body = Vec<RoundRow>)))]
async fn list_rounds(State(s): State<AppState>) -> ApiResult<Json<Vec<RoundRow>>> {
    Ok(Json(s.store.rounds().await?))
}

/// Creates a round as a draft, with one task per department and area of its assignments.
#[utoipa::path(post, path = "/api/v1/rounds", tag = "collection", request_body = RoundSpec,
    responses((status = 201, body = RoundRow), (status = 422, description = "Invalid round: the message says why")))]
async fn create_round(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(spec): Json<RoundSpec>,
) -> ApiResult<(StatusCode, Json<RoundRow>)> {
    let id = s.store.create_round(&spec, &caller.actor()).await.map_err(ApiError::refused)?;
    let r = s.store.round(&id.to_string()).await?.ok_or_else(|| ApiError::Internal("round vanished".into()))?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Opens a draft round.
#[utoipa::path(post, path = "/api/v1/rounds/{round}/open", tag = "collection", params(("round" = String, Path, description = "Id or code")),
    responses((status = 204, description = "Open"), (status = 400, description = "Not a draft")))]
async fn open_round(State(s): State<AppState>, Extension(caller): Extension<Caller>, Path(round): Path<String>) -> ApiResult<StatusCode> {
    let id = round_id(&s, &round).await?;
    s.store.open_round(id, &caller.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Closes an open round: no more submissions through it. Refused (400) while a submission
/// awaits review.
#[utoipa::path(post, path = "/api/v1/rounds/{round}/close", tag = "collection", params(("round" = String, Path, description = "Id or code")),
    responses((status = 204, description = "Closed"), (status = 400, description = "Not open, or submissions await review")))]
async fn close_round(State(s): State<AppState>, Extension(caller): Extension<Caller>, Path(round): Path<String>) -> ApiResult<StatusCode> {
    let id = round_id(&s, &round).await?;
    s.store.close_round(id, &caller.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a round has to release, its release rule and its past releases.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ReleasesBody {
    queue: Vec<rightstat_store::release::ReleaseItem>,
    releases: Vec<rightstat_store::release::ReleaseRow>,
    /// Release automatically once this share (%) of an item's tasks are approved.
    release_when_pct: Option<f64>,
}

/// The release queue: every item and period of the round with the approved values awaiting
/// release, the share of tasks approved, embargoes, and the releases made.
#[utoipa::path(get, path = "/api/v1/rounds/{round}/releases", tag = "collection", params(("round" = String, Path, description = "Id or code")),
    responses((status = 200, body = ReleasesBody), (status = 404, description = "No such round")))]
async fn release_queue(State(s): State<AppState>, Path(round): Path<String>) -> ApiResult<Json<ReleasesBody>> {
    let id = round_id(&s, &round).await?;
    Ok(Json(ReleasesBody {
        queue: s.store.release_queue(id).await?,
        releases: s.store.releases(id).await?,
        release_when_pct: s.store.release_rule(id).await?,
    }))
}

/// A release: the round's approved figures of one indicator and period, public now or at an
/// embargo instant.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReleaseRequest {
    indicator: String,
    period: String,
    /// RFC 3339 instant (e.g. 2026-12-01T09:00:00+08:00); absent: now.
    #[serde(default)]
    #[schema(format = DateTime)]
    at: Option<String>,
}

/// The lead department may release: an administrator whose grant is of no department or of
/// the round's lead department.
pub(crate) fn may_release(caller: &Caller, round: &RoundRow) -> bool {
    caller
        .grants()
        .unwrap_or_default()
        .iter()
        .any(|g| g.role == Role::Administrator && g.department.as_ref().is_none_or(|d| *d == round.lead_department))
}

/// Releases a round's approved figures of one indicator and period to the public (the lead
/// department). 400 when nothing awaits release or the time is not an instant.
#[utoipa::path(post, path = "/api/v1/rounds/{round}/releases", tag = "collection", params(("round" = String, Path, description = "Id or code")),
    request_body = ReleaseRequest,
    responses((status = 201, body = rightstat_store::release::ReleaseRow), (status = 400, description = "Nothing to release, or a bad time"),
        (status = 403, description = "Not the round's lead department"), (status = 404, description = "No such round")))]
async fn release(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(round): Path<String>,
    Json(req): Json<ReleaseRequest>,
) -> ApiResult<(StatusCode, Json<rightstat_store::release::ReleaseRow>)> {
    let r = s.store.round(&round).await?.ok_or_else(|| ApiError::NotFound(format!("round {round}")))?;
    if !may_release(&caller, &r) {
        return Err(ApiError::Forbidden(format!("only the lead department ({}) releases round {}", r.lead_department, r.code)));
    }
    let row = s.store.release(r.id, &req.indicator, &req.period, req.at.as_deref(), &caller.actor()).await.map_err(ApiError::refused)?;
    Ok((StatusCode::CREATED, Json(row)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct TaskQuery {
    /// Only this status.
    status: Option<String>,
    /// Only this department.
    department: Option<String>,
    /// Only tasks not received although the deadline has passed.
    #[serde(default)]
    overdue: bool,
}

/// The caller's tasks in a round (all for administrators and analysts).
#[utoipa::path(get, path = "/api/v1/rounds/{round}/tasks", tag = "collection", params(("round" = String, Path, description = "Id or code"), TaskQuery),
    responses((status = 200, body = Vec<TaskRow>)))]
async fn round_tasks(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(round): Path<String>,
    Query(q): Query<TaskQuery>,
) -> ApiResult<Json<Vec<TaskRow>>> {
    let id = round_id(&s, &round).await?;
    let idx = s.store.area_index().await?;
    let mut tasks = s.store.tasks(id, q.department.as_deref(), None).await?;
    if q.overdue {
        let late: std::collections::HashSet<i64> =
            s.store.overdue_tasks(id, &rightstat_store::now_rfc3339()[..10]).await?.into_iter().map(|t| t.id).collect();
        tasks.retain(|t| late.contains(&t.id));
    }
    let visible =
        tasks.into_iter().filter(|t| q.status.as_ref().is_none_or(|st| &t.status == st)).filter(|t| may_see_in(&caller, t, &idx)).collect();
    Ok(Json(visible))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct CompletenessQuery {
    /// Also by area at this level (province, prefecture, county …): each area's tasks below it.
    by: Option<AreaLevel>,
}

/// Completeness (received ÷ expected) and timeliness (on time ÷ expected) by department, and
/// with `by` by area too.
#[utoipa::path(get, path = "/api/v1/rounds/{round}/completeness", tag = "collection", params(("round" = String, Path, description = "Id or code"), CompletenessQuery),
    responses((status = 200, body = Vec<CompletenessRowOut>)))]
async fn completeness(
    State(s): State<AppState>,
    Path(round): Path<String>,
    Query(q): Query<CompletenessQuery>,
) -> ApiResult<Json<Vec<CompletenessRowOut>>> {
    let id = round_id(&s, &round).await?;
    Ok(Json(s.store.completeness(id, q.by).await?.into_iter().map(CompletenessRowOut::from).collect()))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct CompletenessRowOut {
    department: String,
    /// Empty unless counted by area.
    area: String,
    area_name: String,
    expected: u64,
    received: u64,
    on_time: u64,
    approved: u64,
    completeness_pct: f64,
    timeliness_pct: f64,
}

impl From<CompletenessRow> for CompletenessRowOut {
    fn from(c: CompletenessRow) -> Self {
        let k = c.completeness;
        CompletenessRowOut {
            department: c.department,
            area: c.area,
            area_name: c.area_name,
            expected: k.expected,
            received: k.received,
            on_time: k.on_time,
            approved: k.approved,
            completeness_pct: c.completeness_pct,
            timeliness_pct: c.timeliness_pct,
        }
    }
}

/// The round's figures reported by a second department beside the preferred department's
/// (the official series), in the caller's areas: differing ones first.
#[utoipa::path(get, path = "/api/v1/rounds/{round}/discrepancies", tag = "collection", params(("round" = String, Path, description = "Id or code")),
    responses((status = 200, body = Vec<Discrepancy>)))]
async fn discrepancies(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(round): Path<String>,
) -> ApiResult<Json<Vec<Discrepancy>>> {
    let id = round_id(&s, &round).await?;
    Ok(Json(visible_discrepancies(&s, &caller, id).await?))
}

/// The discrepancies of a round in the areas whose unpublished figures the caller may see.
pub(crate) async fn visible_discrepancies(s: &AppState, caller: &Caller, round_id: i64) -> ApiResult<Vec<Discrepancy>> {
    let roots = match caller.visibility() {
        rightstat_store::Visibility::All => None,
        rightstat_store::Visibility::PublishedOrWithin(roots) => Some(roots),
        rightstat_store::Visibility::Published | rightstat_store::Visibility::Accepted => Some(Vec::new()),
    };
    Ok(s.store.discrepancies(round_id, roots.as_deref()).await?)
}

/// The task's saved draft (404 when none).
#[utoipa::path(get, path = "/api/v1/tasks/{id}/draft", tag = "collection", params(("id" = i64, Path, description = "Task id")),
    responses((status = 200, body = TaskDraft), (status = 404, description = "No draft, or not your task")))]
async fn get_draft(State(s): State<AppState>, Extension(caller): Extension<Caller>, Path(id): Path<i64>) -> ApiResult<Json<TaskDraft>> {
    load_task(&s, &caller, id).await?;
    Ok(Json(s.store.draft(id).await?.ok_or_else(|| ApiError::NotFound(format!("draft of task {id}")))?))
}

/// Saves a draft of the task's figures (as typed: nothing is checked until it is submitted);
/// the task becomes a draft.
#[utoipa::path(put, path = "/api/v1/tasks/{id}/draft", tag = "collection", params(("id" = i64, Path, description = "Task id")), request_body = TaskDraft,
    responses((status = 204, description = "Saved"), (status = 422, description = "Not an item of the task, or the task is submitted or approved")))]
async fn put_draft(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    Json(d): Json<TaskDraft>,
) -> ApiResult<StatusCode> {
    let (_, chain) = load_task(&s, &caller, id).await?;
    caller.check(Action::WriteObservations, Some(&chain.iter().map(String::as_str).collect::<Vec<_>>()))?;
    s.store.save_draft(id, &d, &caller.actor()).await.map_err(ApiError::refused)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct TaskOut {
    #[serde(flatten)]
    task: TaskRow,
    history: Vec<TaskEvent>,
    /// Every value recorded for the task's figures: when, by whom, replacing what, and why.
    values: Vec<ValueChange>,
}

/// A task with its history and the history of each of its figures.
#[utoipa::path(get, path = "/api/v1/tasks/{id}", tag = "collection", params(("id" = i64, Path, description = "Task id")),
    responses((status = 200, body = TaskOut), (status = 404, description = "Unknown or not yours")))]
async fn task(State(s): State<AppState>, Extension(caller): Extension<Caller>, Path(id): Path<i64>) -> ApiResult<Json<TaskOut>> {
    let (task, _) = load_task(&s, &caller, id).await?;
    let history = s.store.task_events(id).await?;
    Ok(Json(TaskOut { values: s.store.task_value_history(&task, &history).await?, history, task }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct TemplateQuery {
    /// csv (default) or xlsx.
    #[param(pattern = "^(csv|xlsx)?$")]
    format: Option<String>,
}

/// The task's template: one row per indicator, period and required cell.
#[utoipa::path(get, path = "/api/v1/tasks/{id}/template", tag = "collection", params(("id" = i64, Path, description = "Task id"), TemplateQuery),
    responses((status = 200, description = "CSV or XLSX")))]
async fn template(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    Query(q): Query<TemplateQuery>,
) -> ApiResult<Response> {
    let (t, _) = load_task(&s, &caller, id).await?;
    let name = format!("task-{}-{}", t.id, t.area_code);
    Ok(match q.format.as_deref() {
        None | Some("") | Some("csv") => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.csv\"")),
            ],
            s.store.task_template_csv(id).await?,
        )
            .into_response(),
        Some("xlsx") => (
            [
                (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.xlsx\"")),
            ],
            s.store.task_template_xlsx(id).await?,
        )
            .into_response(),
        Some(f) => return Err(ApiError::BadRequest(format!("format '{f}': expected csv or xlsx"))),
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SubmitQuery {
    /// Check and report without saving.
    #[serde(default)]
    dry_run: bool,
    /// Explains warnings, or the reason of a correction after approval.
    #[serde(default)]
    comment: String,
    /// csv (default), xlsx (the template filled in) or sdmx-csv.
    #[param(pattern = "^(csv|xlsx|sdmx-csv)?$")]
    format: Option<String>,
}

/// Submits the task's figures (the body: the template filled in). All or nothing: errors
/// refuse the file (422, with every finding and its place); warnings need `comment`.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/submissions", tag = "collection", params(("id" = i64, Path, description = "Task id"), SubmitQuery),
    request_body(content = String, description = "The template filled in: CSV, or the XLSX workbook", content_type = "text/csv"),
    responses((status = 200, description = "Accepted, or the dry run's findings"), (status = 422, description = "Refused: findings")))]
async fn submit(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    Query(q): Query<SubmitQuery>,
    body: Bytes,
) -> ApiResult<Response> {
    let (t, chain) = load_task(&s, &caller, id).await?;
    let refs: Vec<&str> = chain.iter().map(String::as_str).collect();
    caller.check(Action::WriteObservations, Some(&refs))?;
    let format = match q.format.as_deref() {
        // An .xlsx body is recognised by its content and read as the CSV template.
        None | Some("") | Some("csv") | Some("xlsx") => Format::Csv,
        Some("sdmx-csv") => Format::SdmxCsv,
        Some(f) => return Err(ApiError::BadRequest(format!("format '{f}': expected csv, xlsx or sdmx-csv"))),
    };
    let mut opts = ImportOptions::new(format!("task {} upload", t.id), format);
    opts.actor = caller.actor();
    opts.max_rows = Some(s.max_upload_rows);
    let out = s.store.submit_task(t, body.to_vec(), opts, &q.comment, q.dry_run).await?;
    if out.validation.has_errors() {
        // The refusal in the error format every error has, with the findings beside it.
        let mut body = serde_json::to_value(&out).map_err(|e| ApiError::Internal(e.to_string()))?;
        if let Some(o) = body.as_object_mut() {
            o.insert("error".into(), "invalid_data".into());
            o.insert("message".into(), "the file has errors: nothing was submitted".into());
        }
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response());
    }
    Ok((StatusCode::OK, Json(out)).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct ReviewIn {
    approve: bool,
    /// Required when returning: what to fix.
    #[serde(default)]
    comment: String,
}

/// Approves (figures locked and rolled up to the nation at once) or returns a submission.
/// Reviewers act on tasks in the areas below their own.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/review", tag = "collection", params(("id" = i64, Path, description = "Task id")), request_body = ReviewIn,
    responses((status = 200, description = "New status and the roll-up"), (status = 400, description = "Not submitted, or a return without comment"), (status = 403, description = "Not above this area")))]
async fn review(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    Json(r): Json<ReviewIn>,
) -> ApiResult<Json<serde_json::Value>> {
    let (t, chain) = load_task(&s, &caller, id).await?;
    let round = s.store.round_of(&t).await?;
    crate::routes::task_pages::check_review(&caller, &round, &t, &chain)?;
    let (status, rolled) = s.store.review(id, r.approve, &r.comment, &caller.actor()).await.map_err(ApiError::refused)?;
    Ok(Json(serde_json::json!({ "status": status.as_str(), "roll_up": rolled })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct QuestionIn {
    indicator: String,
    question: String,
}

/// Asks the lead department about an item of one's task (technical advice, at any time).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/questions", tag = "collection", params(("id" = i64, Path, description = "Task id")), request_body = QuestionIn,
    responses((status = 201, description = "Asked; body {\"id\": n}"), (status = 422, description = "Not an item of the task")))]
async fn ask(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    Json(q): Json<QuestionIn>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    load_task(&s, &caller, id).await?;
    let qid = s.store.ask_question(id, &q.indicator, &q.question, &caller.actor()).await.map_err(ApiError::refused)?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": qid }))))
}

/// The questions of a round on the tasks the caller may see, with their answers.
#[utoipa::path(get, path = "/api/v1/rounds/{round}/questions", tag = "collection", params(("round" = String, Path, description = "Id or code")),
    responses((status = 200, body = Vec<Question>)))]
async fn questions(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(round): Path<String>,
) -> ApiResult<Json<Vec<Question>>> {
    let id = round_id(&s, &round).await?;
    let visible = visible_questions(&s, &caller, id).await?;
    Ok(Json(visible))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct AnswerIn {
    answer: String,
    /// Add the question and answer to the item's guidance for every assignee.
    #[serde(default)]
    promote: bool,
}

/// The lead department answers a question (and may promote it into the guidance).
#[utoipa::path(post, path = "/api/v1/questions/{id}/answer", tag = "collection", params(("id" = i64, Path, description = "Question id")), request_body = AnswerIn,
    responses((status = 200, body = Question), (status = 404, description = "Unknown")))]
async fn answer(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    Json(a): Json<AnswerIn>,
) -> ApiResult<Json<Question>> {
    Ok(Json(s.store.answer_question(id, &a.answer, a.promote, &caller.actor()).await.map_err(ApiError::refused)?))
}
