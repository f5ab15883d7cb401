//! Retrogression cases: each retrogressive step of a published national series, for the
//! responsible department to answer the Committee's questions of it. Officials and analysts read
//! them; an administrator or a coordinator of the indicator's department answers. Every answer
//! is a new, audited version; the drafts carry the latest.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::pages::{self, PageLang, signed_in, v};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form, Json};
use rightstat_core::lang::Lang;
use rightstat_core::policy::Role;
use rightstat_core::retrogression::{Answer, Cause, Explanation, Justification, Question, Verdict};
use rightstat_store::StoreError;
use rightstat_store::retrogression::{AnswerSubmission, CaseKey, RetrogressionCase};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(cases)).routes(routes!(answer)).routes(routes!(cases_page)).routes(routes!(case_page, save_case))
}

/// May the caller answer for `department`? Administrators for any; a coordinator for its own.
fn may_answer(caller: &Caller, department: &str) -> bool {
    caller
        .grants()
        .unwrap_or_default()
        .iter()
        .any(|g| g.role == Role::Administrator || (g.role == Role::Coordinator && g.department.as_deref() == Some(department)))
}

/// The open retrogression cases: every retrogressive step of a published national series, with
/// its responsible department and the latest answer.
#[utoipa::path(get, path = "/api/v1/retrogression-cases", tag = "evaluation",
    responses((status = 200, body = Vec<RetrogressionCase>), (status = 401, description = "Not signed in")))]
async fn cases(State(s): State<AppState>) -> ApiResult<Json<Vec<RetrogressionCase>>> {
    Ok(Json(s.store.retrogression_cases().await?))
}

/// Records the responsible department's answer to a case: the cause, and an answer (yes, partly,
/// no, or not applicable where the State took no measure) with an explanation in Chinese or
/// English to each of the Committee's questions. A new version each time; audited.
#[utoipa::path(post, path = "/api/v1/retrogression-cases/answers", tag = "evaluation", request_body = AnswerSubmission,
    responses((status = 201, description = "Recorded; body {\"version\": n}"), (status = 403, description = "Not your department's"),
        (status = 404, description = "The published figures show no such step"), (status = 422, description = "Incomplete: the message says what is missing")))]
async fn answer(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(a): Json<AnswerSubmission>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let Some(case) = s.store.retrogression_case(&a.key).await? else {
        return Err(ApiError::NotFound(format!(
            "retrogression case {} {}: the published figures show no such step",
            a.key.indicator, a.key.to_year
        )));
    };
    if !may_answer(&caller, &case.department) {
        return Err(ApiError::Forbidden(format!(
            "{} is answered by its department ({}): its coordinators or an administrator",
            a.key.indicator, case.department
        )));
    }
    let version = s.store.answer_retrogression(&a.key, &a.justification, &caller.actor()).await.map_err(ApiError::refused)?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "version": version }))))
}

fn status_of(c: &RetrogressionCase) -> &'static str {
    match &c.answer {
        None => "retro_awaiting",
        Some(_) if c.figures_revised => "retro_revised",
        Some(_) => "retro_answered",
    }
}

/// The cases, those of the caller's departments first.
#[utoipa::path(get, path = "/retrogression", tag = "pages", responses((status = 200, description = "HTML")))]
async fn cases_page(State(s): State<AppState>, Extension(caller): Extension<Caller>, PageLang(lang): PageLang) -> ApiResult<Response> {
    let mut list = s.store.retrogression_cases().await?;
    list.sort_by_key(|c| (!may_answer(&caller, &c.department), c.answer.is_some(), c.key.clone()));
    let n = rightstat_core::unit::format_number;
    let rows: Vec<serde_json::Value> = list
        .iter()
        .map(|c| {
            serde_json::json!({
                "href": case_href(&c.key, lang),
                "indicator": c.key.indicator,
                "name": lang.pick(&c.name_en, &c.name_zh),
                "from": n(c.from.1), "from_year": c.from.0, "to": n(c.to.1), "to_year": c.to.0,
                "articles": c.articles.iter().map(u8::to_string).collect::<Vec<_>>().join(lang.pick(", ", "、")),
                "department": c.department,
                "status": status_of(c),
                "mine": may_answer(&caller, &c.department),
                "answer": c.answer.as_ref().map(|a| serde_json::json!({"version": a.version, "by": a.answered_by, "at": a.answered_at})),
            })
        })
        .collect();
    Ok(pages::render(
        "retrogression.html",
        lang,
        minijinja::context! { cases => v(&rows), here => "/retrogression", signed_in => signed_in(&caller) },
    ))
}

fn case_href(k: &CaseKey, lang: Lang) -> String {
    let cell = if k.cell_key.is_empty() {
        String::new()
    } else {
        format!("&cell={}", percent_encoding::utf8_percent_encode(&k.cell_key, crate::auth::PATH_IN_QUERY))
    };
    format!("/retrogression/{}/{}?lang={}{cell}", k.indicator, k.to_year, lang.code())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct CaseQuery {
    /// The cell key (`|URBANISATION=R|`); absent for the total.
    cell: Option<String>,
}

/// What the form shows: the answers given (or being given), per field.
fn form_of(j: Option<&Justification>, fields: Option<&[(String, String)]>) -> serde_json::Value {
    let field = |k: &str| fields.and_then(|f| f.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone()));
    let cause = field("cause").or_else(|| j.map(|j| j.cause.as_str().to_string())).unwrap_or_default();
    let text = |k: &str, e: Option<&Explanation>, zh: bool| {
        field(k).or_else(|| e.map(|e| if zh { e.zh.clone() } else { e.en.clone() })).unwrap_or_default()
    };
    let questions: Vec<serde_json::Value> = Question::ALL
        .iter()
        .map(|q| {
            let a = j.and_then(|j| j.answers.iter().find(|a| a.question == *q));
            let k = q.as_str();
            serde_json::json!({
                "key": k,
                "verdict": field(&format!("{k}_verdict")).or_else(|| a.map(|a| a.verdict.as_str().to_string())).unwrap_or_default(),
                "zh": text(&format!("{k}_zh"), a.map(|a| &a.explanation), true),
                "en": text(&format!("{k}_en"), a.map(|a| &a.explanation), false),
            })
        })
        .collect();
    serde_json::json!({
        "cause": cause,
        "cause_zh": text("cause_zh", j.map(|j| &j.cause_explanation), true),
        "cause_en": text("cause_en", j.map(|j| &j.cause_explanation), false),
        "questions": questions,
    })
}

/// The justification the form's fields give, or what is wrong with them.
fn justification_of(fields: &[(String, String)], lang: Lang) -> Result<Justification, String> {
    let field = |k: &str| fields.iter().find(|(x, _)| x == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let cause: Cause = match field("cause").as_str() {
        "" => return Err(lang.pick("say what caused the step", "请选择倒退的原因").into()),
        c => c.parse().map_err(|e: String| e)?,
    };
    let mut answers = Vec::new();
    for q in Question::ALL {
        let k = q.as_str();
        let verdict: Verdict = match field(&format!("{k}_verdict")).as_str() {
            "" => return Err(format!("{}{}{}", q.text(lang), lang.pick(": ", "："), lang.pick("choose an answer", "请选择答复"))),
            x => x.parse()?,
        };
        answers.push(Answer {
            question: q,
            verdict,
            explanation: Explanation { zh: field(&format!("{k}_zh")), en: field(&format!("{k}_en")) },
        });
    }
    let j = Justification { cause, cause_explanation: Explanation { zh: field("cause_zh"), en: field("cause_en") }, answers };
    j.check().map_err(|e| explain(&e, lang))?;
    Ok(j)
}

/// A refusal in the page's language, naming the question as the form shows it.
fn explain(e: &rightstat_core::retrogression::JustificationError, lang: Lang) -> String {
    use rightstat_core::retrogression::JustificationError as E;
    let q = |name: &str| name.parse::<Question>().map_or_else(|_| lang.pick("The cause", "原因").to_string(), |q| q.text(lang).to_string());
    let sep = lang.pick(" — ", "——");
    match (e, lang) {
        (E::Empty { field }, Lang::Zh) => format!("{}{sep}请用中文或英文作出说明", q(field)),
        (E::TooLong { field, length }, Lang::Zh) => {
            format!("{}{sep}说明共{length}字，最多{}字", q(field), rightstat_core::retrogression::MAX_EXPLANATION)
        }
        (E::NotApplicableToMeasure { question }, Lang::Zh) => {
            format!("{}{sep}倒退由国家措施引起时，须答“是”“部分”或“否”，不能答“不适用”", q(question))
        }
        (E::Empty { field }, Lang::En) => format!("{}{sep}an explanation is needed, in Chinese or English", q(field)),
        (E::NotApplicableToMeasure { question }, Lang::En) => {
            format!("{}{sep}a measure the State took answers yes, partly or no, not with not applicable", q(question))
        }
        _ => e.to_string(),
    }
}

async fn render_case(
    s: &AppState,
    caller: &Caller,
    lang: Lang,
    key: &CaseKey,
    fields: Option<&[(String, String)]>,
    outcome: pages::Outcome,
) -> ApiResult<Response> {
    let Some(c) = s.store.retrogression_case(key).await? else {
        return Ok(pages::message(lang, "not_found", &format!("{} {}", key.indicator, key.to_year), StatusCode::NOT_FOUND));
    };
    let n = rightstat_core::unit::format_number;
    let history: Vec<serde_json::Value> = s
        .store
        .retrogression_answers(true)
        .await?
        .into_iter()
        .filter(|(k, _)| k == key)
        .rev()
        .map(|(_, a)| serde_json::json!({ "version": a.version, "by": a.answered_by, "at": a.answered_at, "from": n(a.from_value), "to": n(a.to_value) }))
        .collect();
    let questions: Vec<serde_json::Value> =
        Question::ALL.iter().map(|q| serde_json::json!({ "key": q.as_str(), "text": q.text(lang), "basis": q.basis(lang) })).collect();
    let causes: Vec<serde_json::Value> =
        Cause::ALL.iter().map(|c| serde_json::json!({ "key": c.as_str(), "label": c.label(lang) })).collect();
    let verdicts: Vec<serde_json::Value> =
        Verdict::ALL.iter().map(|x| serde_json::json!({ "key": x.as_str(), "label": x.label(lang) })).collect();
    let answer = c.answer.as_ref().map(|a| {
        let j = &a.justification;
        serde_json::json!({
            "version": a.version, "by": a.answered_by, "at": a.answered_at,
            "cause": j.cause.label(lang), "cause_text": j.cause_explanation.pick(lang).0,
            "answers": j.ordered().iter().map(|x| serde_json::json!({
                "question": x.question.text(lang), "verdict": x.verdict.label(lang), "text": x.explanation.pick(lang).0,
                "translated": x.explanation.pick(lang).1,
            })).collect::<Vec<_>>(),
        })
    });
    let cat = s.store.catalogue().await?;
    let ctx = minijinja::context! {
        name => lang.pick(&c.name_en, &c.name_zh),
        indicator => c.key.indicator.clone(),
        cell => pages::cell_label(&c.key.cell_key, &cat, lang),
        from => n(c.from.1), from_year => c.from.0, to => n(c.to.1), to_year => c.to.0,
        sentence => lang.pick(&c.sentence_en, &c.sentence_zh),
        department => c.department.clone(),
        articles => c.articles.clone(),
        status => status_of(&c),
        answer => v(&answer),
        editable => may_answer(caller, &c.department),
        form => v(&form_of(c.answer.as_ref().map(|a| &a.justification), fields)),
        questions => v(&questions), causes => v(&causes), verdicts => v(&verdicts),
        history => v(&history),
        action => case_href(key, lang),
        csrf => crate::routes::task_pages::csrf(caller),
        here => case_href(key, lang), signed_in => signed_in(caller),
    };
    Ok(pages::render_outcome("retrogression_case.html", lang, ctx, outcome))
}

async fn key_of(s: &AppState, indicator: String, year: &str, q: &CaseQuery) -> ApiResult<Option<CaseKey>> {
    let Ok(to_year) = year.parse::<i32>() else { return Ok(None) };
    let area = s.store.national_area().await?;
    Ok(Some(CaseKey { indicator, area, cell_key: q.cell.clone().unwrap_or_default(), to_year }))
}

/// One case: the step, the series' evaluation, the department's answers (a form for the
/// department), and every version given.
#[utoipa::path(get, path = "/retrogression/{indicator}/{year}", tag = "pages",
    params(("indicator" = String, Path), ("year" = String, Path, description = "The year the figure went back to (2022); anything else is not found"), CaseQuery),
    responses((status = 200, description = "HTML"), (status = 404, description = "No such step in the published figures")))]
async fn case_page(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Path((indicator, year)): Path<(String, String)>,
    Query(q): Query<CaseQuery>,
) -> ApiResult<Response> {
    let Some(key) = key_of(&s, indicator.clone(), &year, &q).await? else {
        return Ok(pages::message(lang, "not_found", &format!("{indicator} {year}"), StatusCode::NOT_FOUND));
    };
    render_case(&s, &caller, lang, &key, None, pages::Outcome::default()).await
}

/// Saves the department's answers as a new version; the form again with what is missing when
/// it is incomplete (422), nothing saved.
#[utoipa::path(post, path = "/retrogression/{indicator}/{year}", tag = "pages",
    params(("indicator" = String, Path), ("year" = String, Path, description = "The year the figure went back to"), CaseQuery),
    request_body(content = String, description = "cause, cause_zh, cause_en and, per question, {question}_verdict, {question}_zh, {question}_en", content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "HTML"), (status = 403, description = "Not your department's"), (status = 422, description = "Incomplete, with what is missing")))]
async fn save_case(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Path((indicator, year)): Path<(String, String)>,
    Query(q): Query<CaseQuery>,
    Form(fields): Form<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let Some(key) = key_of(&s, indicator.clone(), &year, &q).await? else {
        return Ok(pages::message(lang, "not_found", &format!("{indicator} {year}"), StatusCode::NOT_FOUND));
    };
    let Some(case) = s.store.retrogression_case(&key).await? else {
        return Ok(pages::message(lang, "not_found", &format!("{indicator} {year}"), StatusCode::NOT_FOUND));
    };
    if !may_answer(&caller, &case.department) {
        return Err(ApiError::Forbidden(format!(
            "{indicator} is answered by its department ({}): its coordinators or an administrator",
            case.department
        )));
    }
    let outcome = match justification_of(&fields, lang) {
        Err(m) => Err(m),
        Ok(j) => match s.store.answer_retrogression(&key, &j, &caller.actor()).await {
            Ok(_) => Ok("retro_saved"),
            Err(StoreError::Invalid(m)) => Err(m),
            Err(e) => return Err(e.into()),
        },
    };
    let keep = outcome.is_err().then_some(fields.as_slice());
    render_case(&s, &caller, lang, &key, keep, outcome.into()).await
}
