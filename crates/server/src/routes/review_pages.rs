//! The reviewer's side of the working pages: beside each figure of a task, last period's value,
//! the change and where it falls among the sibling areas' figures; and approving or returning
//! several submissions of the review queue at once, each checked and audited as one by one.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::pages::{self, Lang, PageLang};
use crate::routes::task_pages::{Notice, render_tasks};
use axum::Extension;
use axum::extract::{Form, State};
use axum::response::Response;
use rightstat_store::StoreError;
use rightstat_store::collection::TaskRow;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(review_many))
}

/// The comparisons of a task's figures, for the task page, in the units the form uses (the
/// units a clerk counts), with the cells and flags in words of the page's language.
pub(crate) async fn comparisons(
    s: &AppState,
    t: &TaskRow,
    cat: &rightstat_core::ingest::Catalogue,
    lang: Lang,
) -> ApiResult<Vec<serde_json::Value>> {
    let figures = s.store.review_context(t).await?;
    let shown = |x: f64, mult: i32| pages::format_number(x * 10f64.powi(mult));
    Ok(figures
        .into_iter()
        .map(|f| {
            let (name, mult) = cat
                .indicators
                .get(&f.indicator)
                .map_or((f.indicator.clone(), 0), |(i, _)| (lang.pick(&i.name_en, &i.name_zh).to_string(), i.unit_mult));
            let cell =
                if f.cell_key.is_empty() { lang.pick("Total", "合计").to_string() } else { pages::cell_label(&f.cell_key, cat, lang) };
            serde_json::json!({
                "indicator": f.indicator, "name": name, "cell": cell, "period": f.period,
                "value": shown(f.value, mult),
                "previous": f.previous.as_ref().map(|(p, v)| serde_json::json!({ "period": p, "value": shown(*v, mult) })),
                "change": f.change_pct.map(|c| format!("{}{:.1}%", if c > 0.0 { "+" } else { "" }, c)),
                "siblings": f.siblings,
                "median": f.sibling_median.map(|m| shown(m, mult)),
                "min": f.sibling_min.map(|m| shown(m, mult)),
                "max": f.sibling_max.map(|m| shown(m, mult)),
                "rank": f.rank, "flags": f.flags,
            })
        })
        .collect())
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
struct ReviewMany {
    /// `approve` or `return`.
    #[schema(pattern = "^(approve|return)$")]
    decision: String,
    #[serde(default)]
    comment: String,
}

/// Approves (or returns) every task ticked in the review queue, one by one with the same checks
/// and audit as on each task's page; the tasks page again, saying how many were done and why
/// any was not. A return needs a comment, as on the task page.
#[utoipa::path(post, path = "/tasks/review", tag = "pages",
    request_body(content = ReviewMany, description = "decision, comment and one `task` field per task ticked", content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "HTML")))]
async fn review_many(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Form(fields): Form<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let field = |k: &str| fields.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let form = ReviewMany { decision: field("decision"), comment: field("comment") };
    let approve = match form.decision.as_str() {
        "approve" => true,
        "return" => false,
        other => return Err(ApiError::BadRequest(format!("decision '{other}': expected approve or return"))),
    };
    let ids: Vec<i64> = fields.iter().filter(|(k, _)| k == "task").filter_map(|(_, v)| v.parse().ok()).collect();
    if ids.is_empty() {
        let notice = Notice { key: "review_none_ticked", count: 0, bad: true, details: Vec::new() };
        return render_tasks(&s, &caller, lang, Some(notice)).await;
    }
    let (mut done, mut details) = (0, Vec::new());
    for id in ids {
        let Some(t) = s.store.task(id).await? else {
            details.push(format!("{id}: {}", lang.pick("no such task", "无此任务")));
            continue;
        };
        let chain = s.store.area_chain(&t.area_code).await?;
        let round = s.store.round_of(&t).await?;
        if crate::routes::task_pages::check_review(&caller, &round, &t, &chain).is_err() {
            details.push(format!("{}: {}", t.area_code, lang.pick("outside the areas you review", "不在您的审核范围内")));
            continue;
        }
        match s.store.review(id, approve, &form.comment, &caller.actor()).await {
            Ok(_) => done += 1,
            Err(StoreError::Invalid(m)) => details.push(format!("{}: {m}", t.area_code)),
            Err(e) => return Err(e.into()),
        }
    }
    let key = if approve { "review_many_approved" } else { "review_many_returned" };
    let bad = !details.is_empty();
    render_tasks(&s, &caller, lang, Some(Notice { key, count: done, bad, details })).await
}
