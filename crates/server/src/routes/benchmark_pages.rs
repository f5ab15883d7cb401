//! The benchmarks page: the benchmarks in force with every earlier version, and for the lead
//! department a form that sets one — the same checks, versioning and audit as a CSV import
//! (`Store::set_benchmarks`), a refusal naming each field that is wrong.

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::pages::{self, PageLang, signed_in, v};
use axum::extract::State;
use axum::response::Response;
use axum::{Extension, Form};
use rightstat_core::lang::Lang;
use rightstat_core::policy::{Action, Role};
use rightstat_store::benchmarks::BenchmarkInput;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(benchmarks_page, set_benchmark))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
struct BenchmarkForm {
    indicator: String,
    #[serde(default)]
    area: String,
    #[serde(default)]
    cell: String,
    baseline_year: String,
    baseline_value: String,
    target_year: String,
    target_value: String,
    source: String,
    #[serde(default)]
    note: String,
}

async fn render(s: &AppState, caller: &Caller, lang: Lang, form: &BenchmarkForm, outcome: pages::Outcome) -> ApiResult<Response> {
    let history = s.store.benchmarks(true).await?;
    let cat = s.store.catalogue().await?;
    let n = rightstat_core::unit::format_number;
    let name = |code: &str| cat.indicators.get(code).map_or(code.to_string(), |(i, _)| lang.pick(&i.name_en, &i.name_zh).to_string());
    let in_force = s.store.benchmarks(false).await?;
    let rows: Vec<serde_json::Value> = in_force
        .iter()
        .map(|b| {
            let earlier: Vec<serde_json::Value> = history
                .iter()
                .filter(|h| h.indicator == b.indicator && h.area == b.area && h.cell_key == b.cell_key && h.version < b.version)
                .rev()
                .map(|h| {
                    serde_json::json!({ "version": h.version, "target": n(h.target_value), "year": h.target_year, "by": h.set_by, "at": h.set_at, "source": h.source })
                })
                .collect();
            serde_json::json!({
                "indicator": b.indicator, "name": name(&b.indicator), "area": b.area,
                "cell": pages::cell_label(&b.cell_key, &cat, lang),
                "baseline": n(b.baseline_value), "baseline_year": b.baseline_year,
                "target": n(b.target_value), "target_year": b.target_year,
                "source": b.source, "note": b.note, "version": b.version, "by": b.set_by, "at": b.set_at,
                "earlier": earlier,
            })
        })
        .collect();
    // Indicators a benchmark can be set for: those with a declared better direction.
    let mut choices: Vec<serde_json::Value> = cat
        .indicators
        .values()
        .filter(|(i, _)| i.better.is_some())
        .map(|(i, _)| serde_json::json!({ "code": i.code, "name": lang.pick(&i.name_en, &i.name_zh) }))
        .collect();
    choices.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    let editable = caller.grants().unwrap_or_default().iter().any(|g| g.role == Role::Administrator);
    let ctx = minijinja::context! {
        benchmarks => v(&rows), choices => v(&choices), editable => editable,
        form => v(&serde_json::json!({
            "indicator": form.indicator, "area": if form.area.is_empty() { "CN" } else { form.area.as_str() }, "cell": form.cell,
            "baseline_year": form.baseline_year, "baseline_value": form.baseline_value,
            "target_year": form.target_year, "target_value": form.target_value, "source": form.source, "note": form.note,
        })),
        csrf => crate::routes::task_pages::csrf(caller), here => "/evaluation/benchmarks", signed_in => signed_in(caller),
    };
    Ok(pages::render_outcome("benchmarks.html", lang, ctx, outcome))
}

/// The benchmarks in force, each with its earlier versions; for administrators, the form that
/// sets one.
#[utoipa::path(get, path = "/evaluation/benchmarks", tag = "pages", responses((status = 200, description = "HTML")))]
async fn benchmarks_page(State(s): State<AppState>, Extension(caller): Extension<Caller>, PageLang(lang): PageLang) -> ApiResult<Response> {
    render(&s, &caller, lang, &BenchmarkForm::default(), pages::Outcome::default()).await
}

/// Sets a benchmark from the form (a new version if one is in force for the series); the page
/// again, with each wrong field named (422) and nothing set.
#[utoipa::path(post, path = "/evaluation/benchmarks", tag = "pages",
    request_body(content = BenchmarkForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "HTML"), (status = 422, description = "Refused, with each wrong field")))]
async fn set_benchmark(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Form(f): Form<BenchmarkForm>,
) -> ApiResult<Response> {
    caller.check(Action::Administer, None)?;
    let mut wrong = Vec::new();
    let year = |field: &str, v: &str, wrong: &mut Vec<String>| match v.trim().parse::<i32>() {
        Ok(y) if (1900..=2100).contains(&y) => y,
        _ => {
            wrong.push(format!("{field}: {v:?} — {}", lang.pick("a year such as 2020", "应为年份，如2020")));
            0
        }
    };
    let number = |field: &str, v: &str, wrong: &mut Vec<String>| match v.trim().replace(',', "").parse::<f64>() {
        Ok(x) if x.is_finite() => x,
        _ => {
            wrong.push(format!("{field}: {v:?} — {}", lang.pick("a number", "应为数字")));
            0.0
        }
    };
    let input = BenchmarkInput {
        indicator: f.indicator.trim().to_string(),
        area: if f.area.trim().is_empty() { "CN".into() } else { f.area.trim().to_string() },
        cell: f.cell.trim().to_string(),
        baseline_year: year("baseline_year", &f.baseline_year, &mut wrong),
        baseline_value: number("baseline_value", &f.baseline_value, &mut wrong),
        target_year: year("target_year", &f.target_year, &mut wrong),
        target_value: number("target_value", &f.target_value, &mut wrong),
        source: f.source.trim().to_string(),
        note: f.note.trim().to_string(),
    };
    let outcome: Result<&'static str, String> = if !wrong.is_empty() {
        Err(wrong.join("; "))
    } else {
        match s.store.set_benchmarks(&[(1, input)], "form", &caller.actor()).await? {
            Ok(r) if r.unchanged > 0 => Ok("bench_unchanged"),
            Ok(_) => Ok("bench_saved"),
            Err(errors) => {
                Err(errors.iter().map(|e| format!("{}: {:?} — {}", e.column, e.value, e.expected)).collect::<Vec<_>>().join("; "))
            }
        }
    };
    let keep = if outcome.is_err() { f } else { BenchmarkForm::default() };
    render(&s, &caller, lang, &keep, outcome.into()).await
}
