//! The catalogue as pages for the lead department: every indicator with the texts its readers
//! see (name, definition, purpose, guidance) in both languages, which are missing, and a form to
//! edit them. Each save is a new version of the definition, with its reason, audited; figures
//! keep the version they were recorded under.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::pages::{self, Lang, PageLang, signed_in, v};
use axum::Extension;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use rightstat_core::indicator::Indicator;
use rightstat_core::policy::Role;
use rightstat_store::StoreError;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(catalogue_page))
        .routes(routes!(indicator_page, save_indicator))
        .routes(routes!(glossary_page, save_term))
        .routes(routes!(codelists_page))
}

/// The texts a reader sees, as (field, English, Chinese).
fn texts(i: &Indicator) -> [(&'static str, &str, &str); 4] {
    [
        ("name", &i.name_en, &i.name_zh),
        ("definition", &i.definition_en, &i.definition_zh),
        ("purpose", &i.purpose_en, &i.purpose_zh),
        ("guidance", &i.guidance_en, &i.guidance_zh),
    ]
}

/// An administrator with no department, or with the indicator's, edits its texts.
fn may_edit(caller: &Caller, i: &Indicator) -> bool {
    caller
        .grants()
        .unwrap_or_default()
        .iter()
        .any(|g| g.role == Role::Administrator && g.department.as_ref().is_none_or(|d| *d == i.department))
}

/// Every indicator with its version and the texts missing in either language.
#[utoipa::path(get, path = "/admin/catalogue", tag = "pages", responses((status = 200, description = "HTML")))]
async fn catalogue_page(State(s): State<AppState>, Extension(caller): Extension<Caller>, PageLang(lang): PageLang) -> ApiResult<Response> {
    let rows: Vec<serde_json::Value> = s
        .store
        .indicators()
        .await?
        .into_iter()
        .map(|r| {
            let i = &r.indicator;
            let missing: Vec<String> = texts(i)
                .iter()
                .flat_map(|(f, en, zh)| [(*f, "en", en.trim().is_empty()), (*f, "zh", zh.trim().is_empty())])
                .filter(|(_, _, gone)| *gone)
                .map(|(f, l, _)| format!("{f}_{l}"))
                .collect();
            serde_json::json!({
                "code": i.code, "name": lang.pick(&i.name_en, &i.name_zh), "department": i.department,
                "version": r.version, "updated": r.version_created_at, "missing": missing, "editable": may_edit(&caller, i),
            })
        })
        .collect();
    let incomplete = rows.iter().filter(|r| r["missing"].as_array().is_some_and(|m| !m.is_empty())).count();
    Ok(pages::render(
        "admin_catalogue.html",
        lang,
        minijinja::context! { rows => v(&rows), incomplete => incomplete, here => "/admin/catalogue", signed_in => signed_in(&caller) },
    ))
}

async fn render_indicator(s: &AppState, caller: &Caller, lang: Lang, code: &str, outcome: pages::Outcome) -> ApiResult<Response> {
    let Some(row) = s.store.indicator(code, None).await? else {
        return Ok(pages::message(lang, "not_found", &format!("indicator {code}"), StatusCode::NOT_FOUND));
    };
    let versions: Vec<serde_json::Value> = s
        .store
        .indicator_versions(code)
        .await?
        .into_iter()
        .rev()
        .map(|r| serde_json::json!({ "version": r.version, "at": r.version_created_at, "reason": r.version_reason }))
        .collect();
    let fields: Vec<serde_json::Value> = texts(&row.indicator)
        .iter()
        .map(|(f, en, zh)| serde_json::json!({ "field": f, "en": en, "zh": zh, "long": *f != "name" }))
        .collect();
    Ok(pages::render_outcome(
        "admin_indicator.html",
        lang,
        minijinja::context! {
            i => v(&row.indicator), version => row.version, fields => v(&fields), versions => v(&versions),
            editable => may_edit(caller, &row.indicator),
            csrf => crate::routes::task_pages::csrf(caller), here => format!("/admin/catalogue/{code}"), signed_in => signed_in(caller),
        },
        outcome,
    ))
}

/// One indicator's texts in both languages, a form to edit them, and its versions.
#[utoipa::path(get, path = "/admin/catalogue/{code}", tag = "pages", params(("code" = String, Path)), responses((status = 200, description = "HTML"), (status = 404)))]
async fn indicator_page(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Path(code): Path<String>,
) -> ApiResult<Response> {
    render_indicator(&s, &caller, lang, &code, pages::Outcome::default()).await
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
struct TextsForm {
    name_en: String,
    name_zh: String,
    definition_en: String,
    definition_zh: String,
    purpose_en: String,
    purpose_zh: String,
    #[serde(default)]
    guidance_en: String,
    #[serde(default)]
    guidance_zh: String,
    /// Why the texts change (kept with the version).
    reason: String,
}

/// Saves the texts as a new version of the definition (nothing when they are unchanged).
#[utoipa::path(post, path = "/admin/catalogue/{code}", tag = "pages", params(("code" = String, Path)),
    request_body(content = TextsForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "HTML"), (status = 422, description = "Refused, with the reason")))]
async fn save_indicator(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Path(code): Path<String>,
    Form(f): Form<TextsForm>,
) -> ApiResult<Response> {
    let Some(row) = s.store.indicator(&code, None).await? else {
        return Ok(pages::message(lang, "not_found", &format!("indicator {code}"), StatusCode::NOT_FOUND));
    };
    if !may_edit(&caller, &row.indicator) {
        return Err(ApiError::Forbidden(format!("{code} belongs to {}: its administrators edit it", row.indicator.department)));
    }
    let mut ind = row.indicator.clone();
    for (to, from) in [
        (&mut ind.name_en, &f.name_en),
        (&mut ind.name_zh, &f.name_zh),
        (&mut ind.definition_en, &f.definition_en),
        (&mut ind.definition_zh, &f.definition_zh),
        (&mut ind.purpose_en, &f.purpose_en),
        (&mut ind.purpose_zh, &f.purpose_zh),
        (&mut ind.guidance_en, &f.guidance_en),
        (&mut ind.guidance_zh, &f.guidance_zh),
    ] {
        *to = from.trim().to_string();
    }
    let outcome = if ind == row.indicator {
        Ok("catalogue_unchanged")
    } else if [&ind.name_en, &ind.name_zh, &ind.definition_en, &ind.definition_zh, &ind.purpose_en, &ind.purpose_zh]
        .iter()
        .any(|t| t.is_empty())
    {
        Err(lang.pick("the name, definition and purpose are needed in both languages", "名称、定义和目的须有中英文两种语言").to_string())
    } else if f.reason.trim().is_empty() {
        Err(lang.pick("say why the texts change: the reason is kept with the version", "请说明修改原因：原因随版本保存").to_string())
    } else {
        match s.store.put_indicator(&ind, f.reason.trim(), &caller.actor()).await {
            Ok(_) => Ok("catalogue_saved"),
            Err(StoreError::Invalid(m)) => Err(m),
            Err(e) => return Err(e.into()),
        }
    };
    render_indicator(&s, &caller, lang, &code, outcome.into()).await
}

async fn render_glossary(s: &AppState, caller: &Caller, lang: Lang, outcome: pages::Outcome) -> ApiResult<Response> {
    let terms = s.store.glossary().await?;
    Ok(pages::render_outcome(
        "admin_glossary.html",
        lang,
        minijinja::context! {
            terms => v(&terms),
            csrf => crate::routes::task_pages::csrf(caller), here => "/admin/glossary", signed_in => signed_in(caller),
        },
        outcome,
    ))
}

/// The glossary the drafts explain local terms with: each term with its literal rendering, the
/// wording of international human-rights law to prefer and its explanation in both languages,
/// each editable; and a form to add a term.
#[utoipa::path(get, path = "/admin/glossary", tag = "pages", responses((status = 200, description = "HTML")))]
async fn glossary_page(State(s): State<AppState>, Extension(caller): Extension<Caller>, PageLang(lang): PageLang) -> ApiResult<Response> {
    render_glossary(&s, &caller, lang, pages::Outcome::default()).await
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
struct TermForm {
    zh: String,
    literal_en: String,
    preferred_en: String,
    explanation_en: String,
    explanation_zh: String,
    /// Other English renderings, separated by semicolons.
    #[serde(default)]
    local_en: String,
    /// ICESCR article numbers, separated by commas.
    #[serde(default)]
    articles: String,
}

/// Adds a term or replaces one (keyed by its Chinese form), audited.
#[utoipa::path(post, path = "/admin/glossary", tag = "pages", request_body(content = TermForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "HTML"), (status = 422, description = "Refused, with the reason")))]
async fn save_term(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Form(f): Form<TermForm>,
) -> ApiResult<Response> {
    let articles: Result<Vec<u8>, _> =
        f.articles.split([',', '，', ' ']).filter(|a| !a.trim().is_empty()).map(|a| a.trim().parse::<u8>()).collect();
    let Ok(articles) = articles else {
        return render_glossary(
            &s,
            &caller,
            lang,
            Err(format!(
                "articles '{}': {}",
                f.articles,
                lang.pick("expected article numbers separated by commas", "应为以逗号分隔的条款号")
            ))
            .into(),
        )
        .await;
    };
    let old = s.store.glossary().await?.into_iter().find(|t| t.zh == f.zh.trim());
    let term = rightstat_core::glossary::Term {
        zh: f.zh.trim().to_string(),
        literal_en: f.literal_en.trim().to_string(),
        local_en: f.local_en.split([';', '；']).map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect(),
        preferred_en: f.preferred_en.trim().to_string(),
        explanation_en: f.explanation_en.trim().to_string(),
        explanation_zh: f.explanation_zh.trim().to_string(),
        articles,
        general_comments: old.map(|t| t.general_comments).unwrap_or_default(),
    };
    let outcome = match s.store.put_glossary(std::slice::from_ref(&term), &caller.actor()).await {
        Ok(u) if u.added > 0 => Ok("glossary_added"),
        Ok(u) if u.changed > 0 => Ok("glossary_changed"),
        Ok(_) => Ok("catalogue_unchanged"),
        Err(StoreError::Invalid(m)) => Err(m),
        Err(e) => return Err(e.into()),
    };
    render_glossary(&s, &caller, lang, outcome.into()).await
}

/// The codelists: every dimension a figure may be broken down by, with its codes in both
/// languages.
#[utoipa::path(get, path = "/admin/codelists", tag = "pages", responses((status = 200, description = "HTML")))]
async fn codelists_page(State(s): State<AppState>, Extension(caller): Extension<Caller>, PageLang(lang): PageLang) -> ApiResult<Response> {
    let lists = s.store.codelists().await?;
    Ok(pages::render(
        "admin_codelists.html",
        lang,
        minijinja::context! { lists => v(&lists), here => "/admin/codelists", signed_in => signed_in(&caller) },
    ))
}
