//! The collection workflow as pages: my tasks, a task with its guidance and a form generated
//! from each indicator's required breakdowns (a grid of cells; sums shown as you type), upload
//! of the filled template, and review for the level above. Every way in ends in the same
//! `Store::submit` as the API and the CLI.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::pages::PageLang;
use crate::pages::{self, Lang, signed_in, v};
use crate::routes::rounds::may_see;
use axum::Extension;
use axum::extract::{Form, Multipart, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use rightstat_core::area::{AreaCode, AreaLevel};
use rightstat_core::policy::{Action, Role};
use rightstat_store::collection::{RoundRow, Submission, TaskRow};
use rightstat_store::formats::Format;
use rightstat_store::{Credential, ImportOptions};
use std::collections::BTreeSet;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tasks_page))
        .routes(routes!(task_page))
        .routes(routes!(form_submit))
        .routes(routes!(upload))
        .routes(routes!(review_form))
        .routes(routes!(form_script))
        .routes(routes!(rounds_page))
        .routes(routes!(round_page))
        .routes(routes!(close_round_form))
        .routes(routes!(release_form))
        .routes(routes!(question_form))
        .routes(routes!(answer_form))
}

/// The rounds.
#[utoipa::path(get, path = "/rounds", tag = "pages", responses((status = 200, description = "HTML")))]
async fn rounds_page(State(s): State<AppState>, Extension(caller): Extension<Caller>, PageLang(lang): PageLang) -> ApiResult<Response> {
    let rounds = s.store.rounds().await?;
    let who = signed_in(&caller);
    let may_create = caller.check(Action::Administer, None).is_ok();
    Ok(pages::render(
        "rounds.html",
        lang,
        minijinja::context! { rounds => v(&rounds), here => "/rounds", signed_in => who, may_create => may_create },
    ))
}

/// How many overdue tasks a round page names (the API lists them all).
const OVERDUE_LISTED: usize = 50;

/// A round: its items with guidance, completeness and timeliness by department, overdue tasks,
/// and the questions on the tasks the caller may see.
#[utoipa::path(get, path = "/rounds/{round}", tag = "pages", params(("round" = String, Path, description = "Id or code")), responses((status = 200, description = "HTML")))]
async fn round_page(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Path(code): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let lang = crate::pages::lang_of_request(raw.as_deref(), &headers);
    let Some(round) = s.store.round(&code).await? else {
        return Ok(pages::message(lang, "not_found", &format!("round {code}"), StatusCode::NOT_FOUND));
    };
    let cat = s.store.catalogue().await?;
    let guidance = s.store.round_guidance(round.id).await?;
    let mut items: Vec<serde_json::Value> = guidance
        .iter()
        .map(|(code, (en, zh))| {
            let name = cat.indicators.get(code).map(|(i, _)| lang.pick(&i.name_en, &i.name_zh).to_string()).unwrap_or_default();
            serde_json::json!({ "code": code, "name": name, "guidance": lang.pick(en, zh) })
        })
        .collect();
    items.sort_by(|a, b| a["code"].as_str().cmp(&b["code"].as_str()));
    let completeness = s.store.completeness(round.id, None).await?;
    // By area: the level asked for (?by=), else the level just above the round's task areas
    // (each prefecture's counties for a round over counties).
    #[derive(serde::Deserialize)]
    struct ByArea {
        by: Option<AreaLevel>,
    }
    let asked = serde_urlencoded::from_str::<ByArea>(raw.as_deref().unwrap_or("")).ok().and_then(|q| q.by);
    let by = match asked {
        Some(l) => Some(l),
        None => s
            .store
            .tasks(round.id, None, None)
            .await?
            .iter()
            .filter_map(|t| t.area_code.parse::<AreaCode>().ok())
            .map(|c| c.level())
            .max()
            .and_then(|l| l.parent()),
    };
    let by_area = match by {
        Some(level) => s.store.completeness(round.id, Some(level)).await?,
        None => Vec::new(),
    };
    let levels: Vec<&str> = AreaLevel::ALL[..4].iter().map(|l| l.as_str()).collect();
    // Overdue: the count of all, and the first of those the caller may see, by name.
    let late = s.store.overdue_tasks(round.id, &rightstat_store::now_rfc3339()[..10]).await?;
    let overdue = late.len();
    let idx = s.store.area_index().await?;
    let listed: Vec<&rightstat_store::collection::TaskRow> =
        late.iter().filter(|t| crate::routes::rounds::may_see_in(&caller, t, &idx)).take(OVERDUE_LISTED).collect();
    let names = s.store.area_names_of(&listed.iter().map(|t| t.area_code.clone()).collect::<Vec<_>>()).await?;
    let overdue_list: Vec<serde_json::Value> = listed
        .iter()
        .map(|t| serde_json::json!({ "id": t.id, "area": t.area_code, "name": names.get(&t.area_code), "department": t.department_code, "status": t.status }))
        .collect();
    let questions = crate::routes::rounds::visible_questions(&s, &caller, round.id).await?;
    let discrepancies: Vec<serde_json::Value> = crate::routes::rounds::visible_discrepancies(&s, &caller, round.id)
        .await?
        .into_iter()
        .map(|d| {
            let diff = match (d.differs, d.difference, d.difference_pct) {
                (false, _, _) => None,
                (true, Some(x), Some(p)) => Some(format!("{}{} ({p:+.1}%)", if x > 0.0 { "+" } else { "" }, pages::format_number(x))),
                (true, Some(x), None) => Some(format!("{}{}", if x > 0.0 { "+" } else { "" }, pages::format_number(x))),
                (true, None, _) => Some("—".into()),
            };
            serde_json::json!({
                "d": d, "official": pages::format_figure(d.preferred_value), "other": pages::format_figure(d.other_value), "diff": diff,
                "cell": pages::cell_label(&d.cell_key, &cat, lang),
            })
        })
        .collect();
    let may_release = crate::routes::rounds::may_release(&caller, &round);
    let releases: Vec<serde_json::Value> = s
        .store
        .release_queue(round.id)
        .await?
        .into_iter()
        .map(|i| {
            serde_json::json!({
                "name": lang.pick(&i.name_en, &i.name_zh), "approved_pct": i.approved_pct(),
                "last": i.last_release_at.as_deref().map(pages::local_time),
                "embargo": i.embargoed_until.as_deref().map(pages::local_time), "i": i,
            })
        })
        .collect();
    let release_rule = s.store.release_rule(round.id).await?;
    let who = signed_in(&caller);
    Ok(pages::render(
        "round.html",
        lang,
        minijinja::context! {
            round => v(&round), review_levels => round.review_levels().iter().map(|l| l.as_str()).collect::<Vec<_>>(),
            items => v(&items), completeness => v(&completeness), overdue => overdue, questions => v(&questions),
            overdue_list => v(&overdue_list), overdue_listed => OVERDUE_LISTED,
            by_area => v(&by_area), by => by.map(|l| l.as_str()), levels => levels,
            may_close => round.status == "open" && caller.check(Action::Administer, None).is_ok(), csrf => csrf(&caller),
            discrepancies => v(&discrepancies),
            releases => v(&releases), may_release => may_release, release_rule => release_rule,
            here => format!("/rounds/{}", round.code), signed_in => who,
        },
    ))
}

/// Closes the round from its page (administrators); the page again, with the outcome.
#[utoipa::path(post, path = "/rounds/{round}/close", tag = "pages", params(("round" = String, Path, description = "Id or code")), responses((status = 200, description = "HTML")))]
async fn close_round_form(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Path(code): Path<String>,
) -> ApiResult<Response> {
    caller.check(Action::Administer, None)?;
    let Some(round) = s.store.round(&code).await? else {
        return Ok(pages::message(lang, "not_found", &format!("round {code}"), StatusCode::NOT_FOUND));
    };
    back_to_round(s.store.close_round(round.id, &caller.actor()).await, &round.code, "", lang)
}

/// After an act on a round from its page: the page again (at `anchor`), or why it was refused.
fn back_to_round<T>(done: rightstat_store::Result<T>, code: &str, anchor: &str, lang: Lang) -> ApiResult<Response> {
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/rounds/{code}?lang={}{anchor}", lang.code())).into_response()),
        Err(rightstat_store::StoreError::Invalid(m)) => Ok(pages::message(lang, "refused", &m, StatusCode::UNPROCESSABLE_ENTITY)),
        Err(e) => Err(e.into()),
    }
}

/// The round `code` for an act only its lead department does (`does`: "releases", …): the
/// round, or the page saying there is no such round; anyone else is refused.
async fn lead_round(s: &AppState, caller: &Caller, code: &str, lang: Lang, does: &str) -> ApiResult<Result<RoundRow, Response>> {
    let Some(round) = s.store.round(code).await? else {
        return Ok(Err(pages::message(lang, "not_found", &format!("round {code}"), StatusCode::NOT_FOUND)));
    };
    if !crate::routes::rounds::may_release(caller, &round) {
        return Err(ApiError::Forbidden(format!("only the lead department ({}) {does} round {}", round.lead_department, round.code)));
    }
    Ok(Ok(round))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
struct ReleaseForm {
    indicator: String,
    period: String,
    /// From a datetime-local field: Beijing time (UTC+8), empty for now.
    #[serde(default)]
    at: String,
}

/// Releases one item and period from the round page (the lead department); the page again.
#[utoipa::path(post, path = "/rounds/{round}/release", tag = "pages", params(("round" = String, Path, description = "Id or code")), responses((status = 200, description = "HTML")))]
async fn release_form(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Path(code): Path<String>,
    Form(f): Form<ReleaseForm>,
) -> ApiResult<Response> {
    let round = match lead_round(&s, &caller, &code, lang, "releases").await? {
        Ok(round) => round,
        Err(page) => return Ok(page),
    };
    // A datetime-local value has no offset: the form states it is Beijing time.
    let at = f.at.trim();
    let at = match at.len() {
        0 => None,
        16 => Some(format!("{at}:00+08:00")),
        _ => Some(format!("{at}+08:00")),
    };
    back_to_round(s.store.release(round.id, &f.indicator, &f.period, at.as_deref(), &caller.actor()).await, &round.code, "#h-release", lang)
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
struct AnswerForm {
    answer: String,
    /// A ticked box (`on`): the answer is added to the item's guidance for every assignee.
    #[serde(default)]
    promote: Option<String>,
}

/// The lead department answers a question from the round page, and may promote the answer into
/// the item's guidance; the page again, at its questions.
#[utoipa::path(post, path = "/rounds/{round}/questions/{id}/answer", tag = "pages",
    params(("round" = String, Path, description = "Id or code"), ("id" = i64, Path, description = "Question id")),
    request_body(content = AnswerForm, content_type = "application/x-www-form-urlencoded"), responses((status = 303, description = "Back to the round page")))]
async fn answer_form(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Path((code, id)): Path<(String, i64)>,
    Form(f): Form<AnswerForm>,
) -> ApiResult<Response> {
    let round = match lead_round(&s, &caller, &code, lang, "answers the questions of").await? {
        Ok(round) => round,
        Err(page) => return Ok(page),
    };
    let q = s.store.round_questions(round.id).await?.into_iter().find(|q| q.id == id);
    if q.is_none() {
        return Ok(pages::message(lang, "not_found", &format!("question {id}"), StatusCode::NOT_FOUND));
    }
    let promote = f.promote.is_some_and(|p| !p.is_empty());
    back_to_round(s.store.answer_question(id, &f.answer, promote, &caller.actor()).await, &round.code, "#h-q", lang)
}

/// Who may review a submitted task now ([`rightstat_core::policy::decide_review`]): in a round
/// reviewed in stages, the reviewers of the current stage's area (a township's at the township
/// stage, a county's at the county stage); otherwise any reviewer above the task's area. A grant
/// on the task's own area never reviews it.
pub(crate) fn review_decision(
    grants: Option<&[rightstat_core::policy::Grant]>,
    round: &RoundRow,
    t: &TaskRow,
    chain: &[String],
) -> rightstat_core::policy::Decision {
    let above: Vec<&str> = chain.iter().skip(1).map(String::as_str).collect();
    let stage = rightstat_store::Store::review_stage(round, t, chain).ok().and_then(|st| st.at).map(|(_, area)| area);
    rightstat_core::policy::decide_review(grants, stage.as_deref().filter(|a| !a.is_empty()), &above)
}

/// A submitted task the caller may review now (see [`review_decision`]).
pub(crate) fn awaits_review_by(grants: &[rightstat_core::policy::Grant], round: &RoundRow, t: &TaskRow, chain: &[String]) -> bool {
    t.status == "submitted" && review_decision(Some(grants), round, t, chain) == rightstat_core::policy::Decision::Allow
}

/// Refuses a review the caller may not do now (401 or 403 with the reason).
pub(crate) fn check_review(caller: &Caller, round: &RoundRow, t: &TaskRow, chain: &[String]) -> ApiResult<()> {
    use rightstat_core::policy::Decision;
    match review_decision(caller.grants(), round, t, chain) {
        Decision::Allow => Ok(()),
        Decision::Unauthenticated => Err(ApiError::Unauthenticated),
        Decision::Forbidden(why) => Err(ApiError::Forbidden(format!("task {}: {why}", t.id))),
    }
}

pub(crate) fn csrf(caller: &Caller) -> String {
    match caller.principal.as_ref().map(|p| &p.credential) {
        Some(Credential::Session { csrf }) => csrf.clone(),
        _ => String::new(),
    }
}

/// The caller's tasks in open rounds.
#[utoipa::path(get, path = "/tasks", tag = "pages", responses((status = 200, description = "HTML")))]
async fn tasks_page(State(s): State<AppState>, Extension(caller): Extension<Caller>, PageLang(lang): PageLang) -> ApiResult<Response> {
    render_tasks(&s, &caller, lang, None).await
}

/// What a page says after an action on several tasks: the message key, whether it is bad news,
/// and the details (one line per task not done).
pub(crate) struct Notice {
    pub key: &'static str,
    pub count: usize,
    pub bad: bool,
    pub details: Vec<String>,
}

/// The tasks page: the review queue first (with approval of several at once), then my tasks.
pub(crate) async fn render_tasks(s: &AppState, caller: &Caller, lang: Lang, notice: Option<Notice>) -> ApiResult<Response> {
    let idx = s.store.area_index().await?;
    let grants = caller.grants().unwrap_or_default();
    // Read from the database only what may be the caller's: the tasks in the areas they report
    // for, and the submitted tasks below any of their areas (the policy then decides).
    let mut own_roots: Vec<String> =
        grants.iter().filter(|g| matches!(g.role, Role::Reporter | Role::Coordinator)).map(|g| g.area.clone()).collect();
    let mut any_roots: Vec<String> = grants.iter().map(|g| g.area.clone()).collect();
    for roots in [&mut own_roots, &mut any_roots] {
        roots.sort();
        roots.dedup();
    }
    let mut rows = Vec::new();
    let mut unlisted = 0i64;
    for r in s.store.rounds().await?.into_iter().filter(|r| r.status == "open") {
        let (own, own_total) = s.store.tasks_within(r.id, &own_roots, None).await?;
        let (submitted, submitted_total) = s.store.tasks_within(r.id, &any_roots, Some("submitted")).await?;
        unlisted += (own_total - own.len() as i64) + (submitted_total - submitted.len() as i64);
        let mut candidates: std::collections::BTreeMap<i64, rightstat_store::collection::TaskRow> = Default::default();
        candidates.extend(own.into_iter().chain(submitted).map(|t| (t.id, t)));
        let codes: Vec<String> = candidates.values().map(|t| t.area_code.clone()).collect();
        let names = s.store.area_names_of(&codes).await?;
        for t in candidates.into_values() {
            let chain: Vec<String> = idx.chain(&t.area_code).into_iter().map(String::from).collect();
            // My tasks: those I report (my area, my department), not everything an analyst may read.
            let mine = grants.iter().any(|g| {
                matches!(g.role, Role::Reporter | Role::Coordinator)
                    && chain.contains(&g.area)
                    && g.department.as_ref().is_none_or(|d| *d == t.department_code)
            });
            let review = awaits_review_by(grants, &r, &t, &chain);
            if mine || review {
                let name = names.get(&t.area_code).cloned().unwrap_or_default();
                let stage = (t.status == "submitted")
                    .then(|| rightstat_store::Store::review_stage(&r, &t, &chain).ok().and_then(|st| st.at.map(|(l, _)| l.as_str())))
                    .flatten();
                rows.push(serde_json::json!({
                    "id": t.id, "area_code": t.area_code, "area_name": name, "department_code": t.department_code, "status": t.status, "stage": stage,
                    "round_title": if lang == Lang::Zh { &r.title_zh } else { &r.title_en }, "deadline": r.deadline,
                    "review": review && !mine,
                }));
            }
        }
    }
    let who = signed_in(caller);
    let (notice_key, notice_count, notice_bad, notice_details) =
        notice.map_or((None, 0, false, Vec::new()), |n| (Some(n.key), n.count, n.bad, n.details));
    Ok(pages::render(
        "tasks.html",
        lang,
        minijinja::context! {
            tasks => v(&rows), unlisted => unlisted, here => "/tasks", signed_in => who, csrf => csrf(caller),
            notice_key => notice_key, notice_count => notice_count, notice_bad => notice_bad, notice_details => notice_details,
        },
    ))
}

struct View {
    message_key: Option<&'static str>,
    refused: bool,
    /// Why the store refused the submission as a whole (a correction without a reason, a
    /// closed round): shown on the task page with the typed values kept.
    refusal: Option<String>,
    submission: Option<Submission>,
    comment: String,
    values: std::collections::HashMap<String, String>,
    /// The form field each data row of the submitted file came from (row 2 is the first), so a
    /// finding about a row is shown beside its field.
    rows: Vec<String>,
}

/// A stored value in the units a clerk counts in: `0.52` (10,000 persons) is `5200` (persons).
fn to_entry_units(value: f64, mult: i32) -> String {
    let v = value * 10f64.powi(mult);
    let rounded = (v * 1e6).round() / 1e6;
    format!("{rounded}")
}

/// A typed value in the catalogue's unit: `5200` or `5,200` (persons) is `0.52` (10,000
/// persons). Text that is not a number is left as typed, for the checks to name it.
fn to_stored_units(typed: &str, mult: i32) -> String {
    let t = typed.trim();
    let grouped = t.contains(',') && {
        let int = t.split('.').next().unwrap_or_default().trim_start_matches('-');
        let groups: Vec<&str> = int.split(',').collect();
        !groups[0].is_empty()
            && groups[0].len() <= 3
            && groups[1..].iter().all(|g| g.len() == 3)
            && int.chars().all(|c| c.is_ascii_digit() || c == ',')
    };
    let plain = if grouped { t.replace(',', "") } else { t.to_string() };
    match plain.parse::<f64>() {
        Ok(v) if mult != 0 && v.is_finite() => format!("{}", v / 10f64.powi(mult)),
        Ok(_) if grouped => plain,
        _ => typed.to_string(),
    }
}

async fn render_task(s: &AppState, caller: &Caller, id: i64, lang: Lang, view: View) -> ApiResult<Response> {
    let t = s.store.task(id).await?.ok_or_else(|| ApiError::NotFound(format!("task {id}")))?;
    let chain = s.store.area_chain(&t.area_code).await?;
    if !may_see(caller, &t, &chain) {
        return Ok(pages::message(lang, "not_found", &format!("task {id}"), StatusCode::NOT_FOUND));
    }
    let round = s.store.round_of(&t).await?;
    let cat = s.store.catalogue().await?;
    let (units, _) = s.store.units().await?;
    let guidance = s.store.round_guidance(round.id).await?;
    let current = s.store.task_values(&t).await?;
    // What to show in the form: what was just posted, else the saved draft, else the figures.
    let draft = s.store.draft(t.id).await?;
    let (shown, comment) = match (&draft, view.values.is_empty()) {
        (Some(d), true) => (d.values.iter().map(|(k, v)| (format!("v:{k}"), v.clone())).collect(), d.comment.clone()),
        _ => (view.values.clone(), view.comment.clone()),
    };
    // Findings beside the fields they concern: by the row of the form's file, else by the cell.
    let mut beside: std::collections::HashMap<String, Vec<serde_json::Value>> = Default::default();
    if let Some(sub) = &view.submission {
        for e in &sub.validation.row_errors {
            if let Some(field) = view.rows.get((e.row as usize).wrapping_sub(2)) {
                let what = format!("“{}” — {}", e.value, e.expected);
                beside.entry(field.clone()).or_default().push(serde_json::json!({ "severity": "error", "message": what }));
            }
        }
        for f in &sub.validation.findings {
            let field = f
                .row
                .and_then(|r| view.rows.get((r as usize).wrapping_sub(2)).cloned())
                .or_else(|| (f.area == t.area_code).then(|| format!("v:{}|{}|{}", f.indicator, f.period, f.cell)));
            if let Some(field) = field {
                let severity = if f.severity == rightstat_core::validation::Severity::Error { "error" } else { "warning" };
                beside
                    .entry(field)
                    .or_default()
                    .push(serde_json::json!({ "severity": severity, "message": lang.pick(&f.message_en, &f.message_zh) }));
            }
        }
    }
    let mut groups = Vec::new();
    for code in t.indicator_list() {
        let Some((ind, _)) = cat.indicators.get(&code) else { continue };
        let mult = ind.unit_mult;
        for period in round.periods.split('|') {
            let key = format!("{code}|{period}");
            let mut cells = vec![(String::new(), String::new(), String::new())];
            for d in &ind.required_dimensions {
                let list = cat.codelists.get(d);
                for c in list.map(|l| l.codes.clone()).unwrap_or_default() {
                    let dim_name = list.map_or(d.clone(), |l| lang.pick(&l.name_en, &l.name_zh).to_string());
                    let code_name = lang.pick(&c.name_en, &c.name_zh).to_string();
                    let colon = if lang == Lang::Zh { "：" } else { ": " };
                    cells.push((d.clone(), c.code.clone(), format!("{dim_name}{colon}{code_name}")));
                }
            }
            // "10,000 persons" / 万人, as the unit is spoken; the clerk types in the unit counted
            // (persons), and the page converts.
            let (unit, entry_unit) = match units.iter().find(|u| u.code == ind.unit) {
                Some(u) => (
                    rightstat_reports::annex::unit_label(&u.name_en, &u.name_zh, i64::from(mult), lang),
                    rightstat_reports::annex::unit_label(&u.name_en, &u.name_zh, 0, lang),
                ),
                None => (ind.unit.clone(), ind.unit.clone()),
            };
            let cells: Vec<serde_json::Value> = cells
                .into_iter()
                .enumerate()
                .map(|(i, (dim, c, label))| {
                    let cell_key = if dim.is_empty() { String::new() } else { format!("|{dim}={c}|") };
                    let name = format!("v:{code}|{period}|{cell_key}");
                    let value = shown
                        .get(&name)
                        .cloned()
                        .or_else(|| current.get(&(code.clone(), period.to_string(), cell_key.clone())).map(|v| to_entry_units(*v, mult)))
                        .unwrap_or_default();
                    let findings = beside.remove(&name).unwrap_or_default();
                    serde_json::json!({
                        "name": name, "field_id": format!("f-{}-{}-{i}", code, period), "label": if dim.is_empty() { pages_total(lang) } else { label },
                        "dimension": dim, "is_total": dim.is_empty(), "value": value, "findings": findings,
                    })
                })
                .collect();
            let g = guidance
                .get(&code)
                .map(|(en, zh)| if lang == Lang::Zh && !zh.is_empty() { zh.clone() } else { en.clone() })
                .unwrap_or_default();
            groups.push(serde_json::json!({
                "indicator": code, "key": key.replace('|', "-"), "period": period, "unit": unit, "guidance": g,
                "entry_unit": entry_unit, "mult": mult,
                "name": if lang == Lang::Zh { &ind.name_zh } else { &ind.name_en }, "cells": cells,
                // Only cells of an additive indicator add up to its total (no Σ of an average).
                "additive": matches!(ind.aggregation, rightstat_core::indicator::Aggregation::Sum),
            }));
        }
    }
    let grants = caller.grants().unwrap_or_default();
    let can_submit = round.status == "open"
        && matches!(t.status.as_str(), "not_started" | "draft" | "returned" | "approved")
        && rightstat_core::policy::decide(
            Some(grants),
            Action::WriteObservations,
            Some(&chain.iter().map(String::as_str).collect::<Vec<_>>()),
        ) == rightstat_core::policy::Decision::Allow;
    let can_review = awaits_review_by(grants, &round, &t, &chain);
    let area_name = s.store.area(&t.area_code).await?.map(|a| a.name_zh).unwrap_or_default();
    // In a round reviewed in stages: which level's reviewer acts now.
    let stage = match rightstat_store::Store::review_stage(&round, &t, &chain)? {
        rightstat_store::collection::ReviewStage { passed, stages, at: Some((level, area)) } => {
            let name = s.store.area(&area).await?.map(|a| a.name_zh).unwrap_or_default();
            Some(serde_json::json!({ "passed": passed, "stages": stages, "level": level.as_str(), "area": area, "area_name": name }))
        }
        _ => None,
    };
    let (findings, row_errors) = match &view.submission {
        Some(sub) => (v(&sub.validation.findings), v(&sub.validation.row_errors)),
        None => (v(&Vec::<()>::new()), v(&Vec::<()>::new())),
    };
    let history = s.store.task_events(t.id).await?;
    let questions: Vec<_> = s.store.round_questions(t.round_id).await?.into_iter().filter(|q| q.task_id == t.id).collect();
    let items: Vec<serde_json::Value> = t
        .indicator_list()
        .into_iter()
        .map(|code| {
            let name = cat.indicators.get(&code).map(|(i, _)| lang.pick(&i.name_en, &i.name_zh).to_string()).unwrap_or_default();
            serde_json::json!({ "code": code, "name": name })
        })
        .collect();
    let changes = s.store.task_value_history(&t, &history).await?;
    // After an approval: how many values were recorded since (a correction awaiting review).
    let last_approval = history.iter().filter(|e| e.action == "approve").map(|e| e.at.as_str()).max();
    let changed_since_approval = last_approval.map(|at| changes.iter().filter(|c| c.recorded_at.as_str() > at).count());
    let comparisons = crate::routes::review_pages::comparisons(s, &t, &cat, lang).await?;
    let values: Vec<serde_json::Value> = changes
        .into_iter()
        .map(|c| {
            serde_json::json!({
                "c": c, "value": pages::format_figure(c.value), "previous": c.previous.map(pages::format_number),
                "cell": pages::cell_label(&c.cell_key, &cat, lang),
            })
        })
        .collect();
    Ok(pages::render(
        "task.html",
        lang,
        minijinja::context! {
            task => v(&t), round => v(&round), area_name => area_name, groups => v(&groups), csrf => csrf(caller),
            can_submit => can_submit, can_review => can_review, message_key => view.message_key, refused => view.refused,
            findings => findings, row_errors => row_errors, refusal => view.refusal, comment => comment, history => v(&history), values => v(&values), draft => v(&draft),
            questions => v(&questions), items => v(&items),
            comparisons => v(&comparisons), changed_since_approval => changed_since_approval, stage => v(&stage),
            here => format!("/tasks/{}", t.id), signed_in => signed_in(caller),
        },
    ))
}

fn pages_total(lang: Lang) -> String {
    if lang == Lang::Zh { "合计".into() } else { "Total".into() }
}

fn empty_view() -> View {
    View {
        message_key: None,
        refused: false,
        refusal: None,
        submission: None,
        comment: String::new(),
        values: Default::default(),
        rows: Vec::new(),
    }
}

/// A task: guidance, the form, the upload, the review and the history.
#[utoipa::path(get, path = "/tasks/{id}", tag = "pages", params(("id" = i64, Path, description = "Task id")), responses((status = 200, description = "HTML")))]
async fn task_page(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    render_task(&s, &caller, id, lang, empty_view()).await
}

/// The form's cells as an import file, and the field each of its data rows came from. Values
/// are typed in the units a clerk counts and written in the catalogue's (`mult` of each
/// indicator: 4 for 10,000 persons).
fn form_csv(t: &TaskRow, fields: &[(String, String)], mult: &dyn Fn(&str) -> i32) -> (String, Vec<String>) {
    let mut rows: Vec<(String, String, String, String)> = Vec::new();
    let mut names = Vec::new();
    let mut dims = BTreeSet::new();
    for (k, val) in fields {
        let Some(rest) = k.strip_prefix("v:") else { continue };
        let mut parts = rest.splitn(3, '|');
        let (Some(ind), Some(period), Some(cell)) = (parts.next(), parts.next(), parts.next()) else { continue };
        let cell = if cell.is_empty() { String::new() } else { format!("|{cell}") };
        if val.trim().is_empty() {
            continue;
        }
        for kv in cell.trim_matches('|').split('|').filter(|x| !x.is_empty()) {
            if let Some((d, _)) = kv.split_once('=') {
                dims.insert(d.to_string());
            }
        }
        rows.push((ind.to_string(), period.to_string(), cell, to_stored_units(val, mult(ind))));
        names.push(k.clone());
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["indicator".to_string(), "area".into(), "period".into()];
    header.extend(dims.iter().cloned());
    header.push("value".into());
    let _ = w.write_record(&header);
    for (ind, period, cell, val) in rows {
        let mut r = vec![ind, t.area_code.clone(), period];
        for d in &dims {
            let code = cell.trim_matches('|').split('|').find_map(|kv| kv.strip_prefix(&format!("{d}="))).unwrap_or("");
            r.push(code.to_string());
        }
        r.push(val);
        let _ = w.write_record(&r);
    }
    (String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default(), names)
}

/// What a page sends: the file (or the form as a file), its name, the comment, whether to only
/// check, and the typed values to show again if it is refused.
struct Upload {
    bytes: Vec<u8>,
    name: String,
    comment: String,
    dry_run: bool,
    values: std::collections::HashMap<String, String>,
    rows: Vec<String>,
}

async fn do_submit(s: &AppState, caller: &Caller, id: i64, lang: Lang, u: Upload) -> ApiResult<Response> {
    let Upload { bytes, name, comment, dry_run, values, rows } = u;
    if let Some(refusal) = refuse_writer(s, caller, id, lang).await? {
        return Ok(refusal);
    }
    let mut opts = ImportOptions::new(name, Format::Csv);
    opts.actor = caller.actor();
    opts.max_rows = Some(s.max_upload_rows);
    let (message_key, refused, submission, refusal) = match s.store.submit(id, bytes, opts, &comment, dry_run).await {
        Ok(sub) if sub.validation.has_errors() => ("refused", true, Some(sub), None),
        // A check says what it found, and that it found nothing when it did.
        Ok(sub) if dry_run && sub.validation.findings.is_empty() => ("checked_clean", false, Some(sub), None),
        Ok(sub) if dry_run => ("checked_warnings", false, Some(sub), None),
        Ok(sub) => ("submitted_ok", false, Some(sub), None),
        Err(rightstat_store::StoreError::Invalid(m)) => ("refused", true, None, Some(m)),
        Err(e) => return Err(e.into()),
    };
    let view = View { message_key: Some(message_key), refused, refusal, submission, comment, values, rows };
    let mut r = render_task(s, caller, id, lang, view).await?;
    if refused {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// A page refusing `caller` as a writer of task `id` (404 when the task is not theirs to see),
/// or an error when they may see it but not write.
async fn refuse_writer(s: &AppState, caller: &Caller, id: i64, lang: Lang) -> ApiResult<Option<Response>> {
    let t = s.store.task(id).await?.ok_or_else(|| ApiError::NotFound(format!("task {id}")))?;
    let chain = s.store.area_chain(&t.area_code).await?;
    if !may_see(caller, &t, &chain) {
        return Ok(Some(pages::message(lang, "not_found", &format!("task {id}"), StatusCode::NOT_FOUND)));
    }
    caller.check(Action::WriteObservations, Some(&chain.iter().map(String::as_str).collect::<Vec<_>>()))?;
    Ok(None)
}

/// Submits, checks, or saves as a draft the figures typed into the form.
#[utoipa::path(post, path = "/tasks/{id}/form", tag = "pages", params(("id" = i64, Path, description = "Task id")), responses((status = 200, description = "HTML")))]
async fn form_submit(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let t = s.store.task(id).await?.ok_or_else(|| ApiError::NotFound(format!("task {id}")))?;
    let field = |k: &str| fields.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let cat = s.store.catalogue().await?;
    let (csv, rows) = form_csv(&t, &fields, &|code| cat.indicators.get(code).map_or(0, |(i, _)| i.unit_mult));
    let values: std::collections::HashMap<String, String> = fields.iter().filter(|(k, _)| k.starts_with("v:")).cloned().collect();
    if field("action") == "draft" {
        if let Some(refusal) = refuse_writer(&s, &caller, id, lang).await? {
            return Ok(refusal);
        }
        let draft = rightstat_store::drafts::TaskDraft {
            values: values.iter().filter_map(|(k, v)| Some((k.strip_prefix("v:")?.to_string(), v.clone()))).collect(),
            comment: field("comment"),
            ..Default::default()
        };
        return match s.store.save_draft(id, &draft, &caller.actor()).await {
            Ok(()) => render_task(&s, &caller, id, lang, View { message_key: Some("draft_saved"), ..empty_view() }).await,
            Err(rightstat_store::StoreError::Invalid(m)) => Ok(pages::message(lang, "refused", &m, StatusCode::UNPROCESSABLE_ENTITY)),
            Err(e) => Err(e.into()),
        };
    }
    let u = Upload {
        bytes: csv.into_bytes(),
        name: format!("task {id} web form"),
        comment: field("comment"),
        dry_run: field("action") == "check",
        values,
        rows,
    };
    do_submit(&s, &caller, id, lang, u).await
}

/// The upload form (documentation: the handler reads the parts itself and refuses others).
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct UploadForm {
    /// The page's CSRF token (signed in with a session).
    csrf: Option<String>,
    /// The task's template filled in: CSV or XLSX.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Why, when the checks warn.
    comment: Option<String>,
}

/// Submits an uploaded file (the task's template, filled in).
#[utoipa::path(post, path = "/tasks/{id}/upload", tag = "pages", params(("id" = i64, Path, description = "Task id")),
    request_body(content = UploadForm, content_type = "multipart/form-data"), responses((status = 200, description = "HTML")))]
async fn upload(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Path(id): Path<i64>,
    mut mp: Multipart,
) -> ApiResult<Response> {
    let (mut bytes, mut name, mut comment) = (Vec::new(), String::from("upload"), String::new());
    while let Some(field) = mp.next_field().await.map_err(|e| ApiError::BadRequest(format!("upload: {e}")))? {
        match field.name() {
            Some("file") => {
                name = field.file_name().unwrap_or("upload").to_string();
                bytes = field.bytes().await.map_err(|e| ApiError::BadRequest(format!("upload: {e}")))?.to_vec();
            }
            Some("comment") => comment = field.text().await.unwrap_or_default(),
            Some("csrf") => {}
            other => {
                return Err(ApiError::BadRequest(format!(
                    "upload: unexpected part {:?}: expected file, comment and csrf",
                    other.unwrap_or("")
                )));
            }
        }
    }
    do_submit(&s, &caller, id, lang, Upload { bytes, name, comment, dry_run: false, values: Default::default(), rows: Vec::new() }).await
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
struct QuestionForm {
    indicator: String,
    question: String,
}

/// Asks the lead department about an item of the task, from the task page; the page again,
/// with the question among the task's questions.
#[utoipa::path(post, path = "/tasks/{id}/question", tag = "pages", params(("id" = i64, Path, description = "Task id")),
    request_body(content = QuestionForm, content_type = "application/x-www-form-urlencoded"), responses((status = 200, description = "HTML")))]
async fn question_form(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Path(id): Path<i64>,
    Form(f): Form<QuestionForm>,
) -> ApiResult<Response> {
    crate::routes::rounds::load_task(&s, &caller, id).await?;
    match s.store.ask_question(id, &f.indicator, &f.question, &caller.actor()).await {
        Ok(_) => render_task(&s, &caller, id, lang, View { message_key: Some("question_asked"), ..empty_view() }).await,
        Err(rightstat_store::StoreError::Invalid(m)) => {
            let view = View { message_key: Some("refused"), refused: true, refusal: Some(m), ..empty_view() };
            render_task(&s, &caller, id, lang, view).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
struct ReviewForm {
    /// `approve` or `return`.
    #[schema(pattern = "^(approve|return)$")]
    decision: String,
    #[serde(default)]
    comment: String,
}

/// Approves or returns from the task page.
#[utoipa::path(post, path = "/tasks/{id}/review", tag = "pages", params(("id" = i64, Path, description = "Task id")),
    request_body(content = ReviewForm, content_type = "application/x-www-form-urlencoded"), responses((status = 200, description = "HTML")))]
async fn review_form(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Path(id): Path<i64>,
    Form(f): Form<ReviewForm>,
) -> ApiResult<Response> {
    let t = s.store.task(id).await?.ok_or_else(|| ApiError::NotFound(format!("task {id}")))?;
    let chain = s.store.area_chain(&t.area_code).await?;
    let round = s.store.round_of(&t).await?;
    check_review(&caller, &round, &t, &chain)?;
    let approve = f.decision == "approve";
    match s.store.review(id, approve, &f.comment, &caller.actor()).await {
        Ok((status, _)) => {
            let key = match (approve, status) {
                (false, _) => "returned_ok",
                (true, rightstat_core::round::TaskStatus::Approved) => "approved_ok",
                (true, _) => "approved_stage_ok",
            };
            render_task(&s, &caller, id, lang, View { message_key: Some(key), ..empty_view() }).await
        }
        Err(rightstat_store::StoreError::Invalid(m)) => Ok(pages::message(lang, "refused", &m, StatusCode::UNPROCESSABLE_ENTITY)),
        Err(e) => Err(e.into()),
    }
}

/// The form's script (sums as you type).
#[utoipa::path(get, path = "/static/form.js", tag = "pages", responses((status = 200, description = "JavaScript")))]
async fn form_script() -> impl IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("../../templates/form.js"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clerk_types_persons_and_ten_thousands_are_stored() {
        assert_eq!(to_stored_units("5200", 4), "0.52");
        assert_eq!(to_stored_units(" 5,200 ", 4), "0.52");
        assert_eq!(to_stored_units("12,345,678", 4), "1234.5678");
        assert_eq!(to_stored_units("1.25", 0), "1.25");
        assert_eq!(to_stored_units("1,234", 0), "1234");
        // Not a number, or a decimal comma: left as typed for the checks to name.
        assert_eq!(to_stored_units("abc", 4), "abc");
        assert_eq!(to_stored_units("1,5", 4), "1,5");
        assert_eq!(to_entry_units(0.52, 4), "5200");
        assert_eq!(to_entry_units(1234.5678, 4), "12345678");
        assert_eq!(to_entry_units(1660.0, 0), "1660");
    }
}
