//! Evaluation of implementation and the benchmarks it is measured against. The evaluation is
//! computed from published figures only, so anyone may read it; benchmarks come from public
//! plans and targets and are read by anyone, set by administrators (the lead department).

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::pages::{self, PageLang, signed_in, v};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use rightstat_store::Visibility;
use rightstat_store::benchmarks::{BenchmarkImport, BenchmarkRow, benchmarks_csv};
use rightstat_store::evaluation::{ArticleEvaluation, evaluation_csv};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(evaluation))
        .routes(routes!(resources))
        .routes(routes!(sdg_evaluation))
        .routes(routes!(sdg_page))
        .routes(routes!(benchmarks, import_benchmarks))
        .routes(routes!(evaluation_page))
        .routes(routes!(article_page))
}

fn csv_response(name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct EvaluationQuery {
    /// ICESCR articles, comma-separated (1 to 15); default 11.
    #[param(pattern = "^([1-9]|1[0-5])(,([1-9]|1[0-5]))*$")]
    article: Option<String>,
    /// `json` (default) or `csv`.
    #[param(pattern = "^(json|csv)?$")]
    format: Option<String>,
}

fn articles(text: Option<&str>) -> ApiResult<Vec<u8>> {
    numbers(text, 11, 1..=15, "an article of the Covenant, 1 to 15", "article")
}

/// A comma-separated list of numbers in `range` (each once), `default` when absent.
fn numbers(text: Option<&str>, default: u8, range: std::ops::RangeInclusive<u8>, expected: &str, what: &str) -> ApiResult<Vec<u8>> {
    let Some(text) = text else { return Ok(vec![default]) };
    let mut out = Vec::new();
    for a in text.split(',') {
        match a.trim().parse::<u8>() {
            Ok(n) if range.contains(&n) => {
                if !out.contains(&n) {
                    out.push(n)
                }
            }
            _ => return Err(ApiError::BadRequest(format!("{what} {a:?}: expected {expected}"))),
        }
    }
    Ok(out)
}

/// Where the State stands on ICESCR articles, from the published national figures: every
/// series' progress (against its benchmark where one is set), a retrogressive latest step, and
/// the gaps between groups with their direction; each with the computation in words.
#[utoipa::path(get, path = "/api/v1/evaluation", tag = "evaluation", params(EvaluationQuery),
    responses((status = 200, description = "JSON, or CSV with format=csv", content((Vec<ArticleEvaluation> = "application/json"), (String = "text/csv"))), (status = 400, description = "Not an article, or an unknown format")))]
async fn evaluation(State(s): State<AppState>, Query(q): Query<EvaluationQuery>) -> ApiResult<Response> {
    let articles = articles(q.article.as_deref())?;
    let eval: Vec<ArticleEvaluation> =
        s.store.evaluate(&articles, &Visibility::Published).await?.into_iter().map(ArticleEvaluation::public).collect();
    match q.format.as_deref().filter(|f| !f.is_empty()).unwrap_or("json") {
        "json" => Ok(Json(eval).into_response()),
        "csv" => Ok(csv_response("evaluation.csv", evaluation_csv(&eval).map_err(|e| ApiError::Internal(e.to_string()))?)),
        other => Err(ApiError::BadRequest(format!("format {other:?}: expected json or csv"))),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct GoalQuery {
    /// SDG goals, comma-separated (1 to 17; a goal none of the catalogue's indicators serve
    /// has no series); default 1.
    #[param(pattern = "^([1-9]|1[0-7])(,([1-9]|1[0-7]))*$")]
    goal: Option<String>,
    /// `json` (default) or `csv`.
    #[param(pattern = "^(json|csv)?$")]
    format: Option<String>,
}

/// The goals asked for, 1 to 17.
fn goals(text: Option<&str>) -> ApiResult<Vec<u8>> {
    numbers(text, 1, 1..=17, "a Sustainable Development Goal, 1 to 17", "goal")
}

/// The same evaluation for the indicators of SDG goals (by their targets): every series'
/// progress, benchmark and retrogressive step, and the gaps between groups.
#[utoipa::path(get, path = "/api/v1/evaluation/sdg", tag = "evaluation", params(GoalQuery),
    responses((status = 200, description = "JSON, or CSV with format=csv", content((Vec<rightstat_store::evaluation::GoalEvaluation> = "application/json"), (String = "text/csv"))), (status = 400, description = "Not a goal (1 to 17), or an unknown format")))]
async fn sdg_evaluation(State(s): State<AppState>, Query(q): Query<GoalQuery>) -> ApiResult<Response> {
    let goals = goals(q.goal.as_deref())?;
    let eval: Vec<rightstat_store::evaluation::GoalEvaluation> = s
        .store
        .evaluate_sdg(&goals, &Visibility::Published)
        .await?
        .into_iter()
        .map(rightstat_store::evaluation::GoalEvaluation::public)
        .collect();
    match q.format.as_deref().filter(|f| !f.is_empty()).unwrap_or("json") {
        "json" => Ok(Json(eval).into_response()),
        "csv" => Ok(csv_response(
            "evaluation-sdg.csv",
            rightstat_store::evaluation::goal_evaluation_csv(&eval).map_err(|e| ApiError::Internal(e.to_string()))?,
        )),
        other => Err(ApiError::BadRequest(format!("format {other:?}: expected json or csv"))),
    }
}

/// One SDG goal: its indicators' series with progress, benchmark and retrogression, and the
/// gaps between groups, as on an article's page.
#[utoipa::path(get, path = "/evaluation/sdg/{goal}", tag = "pages", params(("goal" = u8, Path, description = "An SDG goal the catalogue serves")),
    responses((status = 200, description = "HTML"), (status = 404, description = "Not a goal the catalogue serves")))]
async fn sdg_page(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Path(goal): Path<String>,
) -> ApiResult<Response> {
    let all = rightstat_core::reference::sdg_goals();
    let Some(g) = goal.parse::<u8>().ok().and_then(|n| all.iter().find(|x| x.goal == n)) else {
        return Ok(pages::message(lang, "not_found", &format!("/evaluation/sdg/{goal}"), axum::http::StatusCode::NOT_FOUND));
    };
    let e = s.store.evaluate_sdg(&[g.goal], &Visibility::Published).await?.remove(0);
    let ctx = minijinja::context! {
        heading => t_goal(lang, g.goal), title => lang.pick(&g.title_en, &g.title_zh),
        series => v(&series_rows(&e.series, lang)), gaps => v(&gap_rows(&e.gaps, lang)),
        data_href => format!("/api/v1/evaluation/sdg?goal={}", g.goal),
        here => format!("/evaluation/sdg/{}", g.goal), signed_in => signed_in(&caller),
    };
    Ok(pages::render("evaluation_article.html", lang, ctx))
}

fn t_goal(lang: rightstat_core::lang::Lang, goal: u8) -> String {
    match lang {
        rightstat_core::lang::Lang::En => format!("SDG {goal}"),
        rightstat_core::lang::Lang::Zh => format!("可持续发展目标{goal}"),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ResourcesQuery {
    /// ICESCR articles, comma-separated (1 to 15); default 11.
    #[param(pattern = "^([1-9]|1[0-5])(,([1-9]|1[0-5]))*$")]
    article: Option<String>,
}

/// Achievement against resources: for each indicator of the articles with published province
/// figures, each province's score against the frontier of what provinces of similar GDP per
/// capita achieve (as the SERF Index), in the latest year with enough provinces. GDP per capita
/// is computed from gross regional product and resident population where it is not published,
/// and the output says so.
#[utoipa::path(get, path = "/api/v1/evaluation/resources", tag = "evaluation", params(ResourcesQuery),
    responses((status = 200, body = Vec<rightstat_store::resources::ResourceEvaluation>), (status = 400, description = "Not an article")))]
async fn resources(
    State(s): State<AppState>,
    Query(q): Query<ResourcesQuery>,
) -> ApiResult<Json<Vec<rightstat_store::resources::ResourceEvaluation>>> {
    let articles = articles(q.article.as_deref())?;
    Ok(Json(s.store.resource_evaluation(&articles, &Visibility::Published).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct BenchmarkQuery {
    /// Every version, not only those in force.
    history: Option<bool>,
    /// `json` (default) or `csv` (the import's layout, then version, set_by, set_at).
    #[param(pattern = "^(json|csv)?$")]
    format: Option<String>,
}

/// The benchmarks in force (or every version with history=true).
#[utoipa::path(get, path = "/api/v1/benchmarks", tag = "evaluation", params(BenchmarkQuery),
    responses((status = 200, description = "JSON, or CSV with format=csv", content((Vec<BenchmarkRow> = "application/json"), (String = "text/csv"))), (status = 400, description = "Unknown format")))]
async fn benchmarks(State(s): State<AppState>, Query(q): Query<BenchmarkQuery>) -> ApiResult<Response> {
    let rows = s.store.benchmarks(q.history.unwrap_or(false)).await?;
    match q.format.as_deref().filter(|f| !f.is_empty()).unwrap_or("json") {
        "json" => Ok(Json(rows).into_response()),
        "csv" => Ok(csv_response("benchmarks.csv", benchmarks_csv(&rows))),
        other => Err(ApiError::BadRequest(format!("format {other:?}: expected json or csv"))),
    }
}

/// Sets benchmarks from a CSV with the columns indicator, area, cell, baseline_year,
/// baseline_value, target_year, target_value, source and (optional) note; all or nothing: 422
/// names every bad cell. A row equal to the
/// benchmark in force writes nothing; a changed one adds a version. Audited.
#[utoipa::path(post, path = "/api/v1/benchmarks", tag = "evaluation",
    request_body(content = String, description = "Benchmarks as CSV (UTF-8)", content_type = "text/csv"),
    responses((status = 200, body = BenchmarkImport), (status = 422, description = "Errors by row and column; nothing set")))]
async fn import_benchmarks(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<BenchmarkImport>> {
    let name = headers.get("x-file-name").and_then(|v| v.to_str().ok()).unwrap_or("upload").to_string();
    match s.store.import_benchmarks(&body, &name, &caller.actor()).await? {
        Ok(r) => Ok(Json(r)),
        Err(errors) => Err(ApiError::Unprocessable(crate::routes::recommendations::row_errors(&errors))),
    }
}

/// The words of a progress class on a page, and the badge it wears.
fn class_badge(class: rightstat_core::evaluation::ProgressClass) -> (&'static str, &'static str) {
    use rightstat_core::evaluation::ProgressClass as C;
    match class {
        C::TargetMet | C::OnTrack => ("good", "good"),
        C::NeedsAcceleration | C::LimitedProgress => ("warn", "warn"),
        C::Deterioration => ("bad", "bad"),
        C::InsufficientData => ("none", ""),
    }
}

fn class_key(class: rightstat_core::evaluation::ProgressClass, benchmark: bool) -> String {
    let name = class.as_str();
    match (name, benchmark) {
        ("on_track" | "needs_acceleration", false) => format!("eval_{name}_nobench"),
        ("deterioration", _) => "eval_deterioration_class".into(),
        _ => format!("eval_{name}"),
    }
}

/// The articles of the Covenant with published series, each with how many series stand in
/// each progress class and how many retrogressive steps are flagged.
#[utoipa::path(get, path = "/evaluation", tag = "pages", responses((status = 200, description = "HTML")))]
async fn evaluation_page(State(s): State<AppState>, Extension(caller): Extension<Caller>, PageLang(lang): PageLang) -> ApiResult<Response> {
    let all: Vec<u8> = (1..=15).collect();
    let eval = s.store.evaluate(&all, &Visibility::Published).await?;
    let titles = s.store.icescr_articles().await?;
    let rows: Vec<serde_json::Value> = eval
        .iter()
        .filter(|e| !e.series.is_empty())
        .map(|e| {
            let count = |f: &dyn Fn(&rightstat_store::evaluation::SeriesEvaluation) -> bool| e.series.iter().filter(|x| f(x)).count();
            let title =
                titles.iter().find(|a| a.number == e.article).map(|a| lang.pick(&a.title_en, &a.title_zh).to_string()).unwrap_or_default();
            serde_json::json!({
                "article": e.article,
                "title": title,
                "series": e.series.len(),
                "good": count(&|x| class_badge(x.assessment.class).0 == "good"),
                "warn": count(&|x| class_badge(x.assessment.class).0 == "warn"),
                "bad": count(&|x| class_badge(x.assessment.class).0 == "bad"),
                "unjudged": count(&|x| class_badge(x.assessment.class).0 == "none"),
                "benchmarks": count(&|x| x.benchmark.is_some()),
                "retrogression": count(&|x| x.retrogression.is_some()),
                "gaps": e.gaps.len(),
                "widening": e.gaps.iter().filter(|g| g.gap.converging == Some(false)).count(),
            })
        })
        .collect();
    let goals: Vec<u8> = rightstat_core::reference::sdg_goals().iter().map(|g| g.goal).collect();
    let goal_titles = rightstat_core::reference::sdg_goals();
    let goal_rows: Vec<serde_json::Value> = s
        .store
        .evaluate_sdg(&goals, &Visibility::Published)
        .await?
        .iter()
        .filter(|e| !e.series.is_empty())
        .map(|e| {
            let title =
                goal_titles.iter().find(|g| g.goal == e.goal).map(|g| lang.pick(&g.title_en, &g.title_zh).to_string()).unwrap_or_default();
            serde_json::json!({
                "goal": e.goal, "heading": t_goal(lang, e.goal), "title": title, "series": e.series.len(),
                "retrogression": e.series.iter().filter(|x| x.retrogression.is_some()).count(),
                "benchmarks": e.series.iter().filter(|x| x.benchmark.is_some()).count(),
            })
        })
        .collect();
    Ok(pages::render(
        "evaluation.html",
        lang,
        minijinja::context! { articles => v(&rows), goals => v(&goal_rows), here => "/evaluation", signed_in => signed_in(&caller) },
    ))
}

/// One article: each series with its latest figure, progress class, benchmark, retrogression
/// flag and the computation in words; the gaps between groups with their direction.
#[utoipa::path(get, path = "/evaluation/{article}", tag = "pages", params(("article" = u8, Path, minimum = 1, maximum = 15, description = "An article of the Covenant")),
    responses((status = 200, description = "HTML"), (status = 404, description = "Not an article of the Covenant")))]
async fn article_page(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Path(article): Path<String>,
) -> ApiResult<Response> {
    let Some(article) = article.parse::<u8>().ok().filter(|a| (1..=15).contains(a)) else {
        return Ok(pages::message(lang, "not_found", &format!("/evaluation/{article}"), axum::http::StatusCode::NOT_FOUND));
    };
    let e = s.store.evaluate(&[article], &Visibility::Published).await?.remove(0);
    let titles = s.store.icescr_articles().await?;
    let title = titles.iter().find(|a| a.number == article).map(|a| lang.pick(&a.title_en, &a.title_zh).to_string()).unwrap_or_default();
    let n = rightstat_core::unit::format_number;
    let series = series_rows(&e.series, lang);
    let gaps = gap_rows(&e.gaps, lang);
    // The breakdowns General Comment 20 names (and recommendations ask) that the published
    // figures of the article's indicators lack, beside the gaps they would show.
    let names = rightstat_reports::gaps::dimension_names(&s.store).await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let missing: Vec<serde_json::Value> = rightstat_reports::gaps::gather(&s.store, &[article])
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .into_iter()
        .filter(|g| !g.years.is_empty())
        .filter_map(|g| {
            let lacking: Vec<String> = g
                .breakdowns
                .iter()
                .filter(|b| b.missing())
                .map(|b| names.get(&b.dimension).map_or(b.dimension.clone(), |(en, zh)| lang.pick(en, zh).to_string()))
                .collect();
            (!lacking.is_empty()).then(|| {
                serde_json::json!({ "indicator": g.code, "name": lang.pick(&g.name_en, &g.name_zh), "lacking": lacking.join(lang.pick(", ", "、")) })
            })
        })
        .collect();
    // Achievement against resources (the SERF-style frontier across provinces).
    let resources: Vec<serde_json::Value> = s
        .store
        .resource_evaluation(&[article], &Visibility::Published)
        .await?
        .into_iter()
        .map(|r| {
            serde_json::json!({
                "indicator": r.indicator,
                "name": lang.pick(&r.name_en, &r.name_zh),
                "year": r.year,
                "sentence": lang.pick(&r.sentence_en, &r.sentence_zh),
                "areas": r.areas.iter().map(|a| serde_json::json!({
                    "area": a.area,
                    "name": lang.pick(&a.name_en, &a.name_zh),
                    "gdp_pc": n(a.gdp_per_capita.round()),
                    "achievement": n(a.achievement),
                    "feasible": n(a.feasible.round()),
                    "score": format!("{:.0}", a.score),
                    "tone": if a.score >= 100.0 { "good" } else if a.score >= 90.0 { "" } else { "warn" },
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let heading = match lang {
        rightstat_core::lang::Lang::En => format!("Article {article}"),
        rightstat_core::lang::Lang::Zh => format!("第{article}条"),
    };
    let ctx = minijinja::context! {
        article => article, heading => heading, data_href => format!("/api/v1/evaluation?article={article}"), title => title, series => v(&series), gaps => v(&gaps), missing => v(&missing), resources => v(&resources),
        here => format!("/evaluation/{article}"), signed_in => signed_in(&caller),
    };
    Ok(pages::render("evaluation_article.html", lang, ctx))
}

/// The series of an evaluation for a page, those that need the expert's eye first.
fn series_rows(all: &[rightstat_store::evaluation::SeriesEvaluation], lang: rightstat_core::lang::Lang) -> Vec<serde_json::Value> {
    let n = rightstat_core::unit::format_number;
    // What needs the expert's eye first: retrogression, deterioration, slow progress; then
    // progress, then what is not judged.
    let rank = |x: &rightstat_store::evaluation::SeriesEvaluation| {
        use rightstat_core::evaluation::ProgressClass as C;
        let r = match x.assessment.class {
            C::Deterioration => 1,
            C::LimitedProgress => 2,
            C::NeedsAcceleration => 3,
            C::OnTrack => 4,
            C::TargetMet => 5,
            C::InsufficientData => 6,
        };
        if x.retrogression.is_some() { 0 } else { r }
    };
    let mut ordered: Vec<&rightstat_store::evaluation::SeriesEvaluation> = all.iter().collect();
    ordered.sort_by_key(|x| rank(x));
    ordered
        .into_iter()
        .map(|x| {
            let a = &x.assessment;
            let (tone, badge) = class_badge(a.class);
            serde_json::json!({
                "indicator": x.indicator,
                "name": lang.pick(&x.name_en, &x.name_zh),
                "latest": x.latest.map(|(y, v)| serde_json::json!({"year": y, "value": n(v)})),
                "class": class_key(a.class, x.benchmark.is_some()),
                "tone": tone,
                "badge": badge,
                "benchmark": x.benchmark.as_ref().map(|b| serde_json::json!({
                    "target": n(b.target_value), "year": b.target_year, "baseline": n(b.baseline_value), "baseline_year": b.baseline_year, "source": b.source,
                })),
                "retrogression": x.retrogression.map(|r| serde_json::json!({
                    "from": n(r.from.1), "from_year": r.from.0, "to": n(r.to.1), "to_year": r.to.0,
                })),
                "sentence": lang.pick(&x.sentence_en, &x.sentence_zh),
            })
        })
        .collect()
}

/// The gaps between groups of an evaluation for a page.
fn gap_rows(all: &[rightstat_store::evaluation::GapEvaluation], lang: rightstat_core::lang::Lang) -> Vec<serde_json::Value> {
    all.iter()
        .filter_map(|g| {
            let (first, last) = (g.gap.ratio.first()?, g.gap.ratio.last()?);
            Some(serde_json::json!({
                "indicator": g.indicator,
                "name": lang.pick(&g.name_en, &g.name_zh),
                "pair": format!("{} ÷ {}", lang.pick(&g.group_en, &g.group_zh), lang.pick(&g.reference_en, &g.reference_zh)),
                "first": format!("{first:.3}"), "first_year": g.gap.years.first(),
                "last": format!("{last:.3}"), "last_year": g.gap.years.last(),
                "converging": g.gap.converging,
            }))
        })
        .collect()
}
