//! Creating a round from a web page: the lead department picks the catalogue's indicators,
//! writes the guidance for each, names the periods and the deadline, and assigns departments to
//! areas (a whole level below an area, such as every county of a province). The page builds
//! the same `RoundSpec` as the TOML file of `rightstat round create` and the JSON of the API.

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::pages::PageLang;
use crate::pages::{self, Lang, signed_in, v};
use crate::routes::task_pages::csrf;
use axum::Extension;
use axum::extract::{Form, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rightstat_core::area::AreaLevel;
use rightstat_core::round::{Assignment, RoundItem, RoundSpec};
use std::collections::HashMap;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Assignment rows the page offers (more can be added by the API or a TOML file).
const ASSIGNMENT_ROWS: usize = 4;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(new_round_page, create_round_form))
}

/// The form to create a round.
#[utoipa::path(get, path = "/rounds/new", tag = "pages", responses((status = 200, description = "HTML")))]
async fn new_round_page(State(s): State<AppState>, Extension(caller): Extension<Caller>, PageLang(lang): PageLang) -> ApiResult<Response> {
    render(&s, &caller, lang, &HashMap::new(), None, StatusCode::OK).await
}

/// Creates the round (and opens it when asked); refused input comes back with the form as typed.
#[utoipa::path(post, path = "/rounds/new", tag = "pages",
    request_body(content = String, description = "code, title_en, title_zh, periods, deadline, lead_department, item:{CODE}=on with guidance_en:/guidance_zh:/preferred:{CODE}, a{N}_department and a{N}_area, open=on", content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Created: to the round's page"), (status = 422, description = "Refused, with the form as typed")))]
async fn create_round_form(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Form(fields): Form<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let form: HashMap<String, String> = fields.into_iter().collect();
    let spec = match spec_from_form(&form) {
        Ok(spec) => spec,
        Err(why) => return render(&s, &caller, lang, &form, Some(why), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let id = match s.store.create_round(&spec, &caller.actor()).await {
        Ok(id) => id,
        Err(rightstat_store::StoreError::Invalid(why)) => {
            return render(&s, &caller, lang, &form, Some(why), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        Err(e) => return Err(e.into()),
    };
    if form.get("open").is_some_and(|x| x == "on") {
        s.store.open_round(id, &caller.actor()).await?;
    }
    let to = format!("/rounds/{}?lang={}", spec.code, lang.code());
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response())
}

/// The round the form describes, or what is missing.
fn spec_from_form(f: &HashMap<String, String>) -> Result<RoundSpec, String> {
    let get = |k: &str| f.get(k).map(|x| x.trim().to_string()).unwrap_or_default();
    let list = |k: &str| -> Vec<String> {
        get(k).split([',', ',', ' ', '|']).map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect()
    };
    let mut items: Vec<RoundItem> = f
        .iter()
        .filter(|(_, val)| val.as_str() == "on")
        .filter_map(|(k, _)| k.strip_prefix("item:"))
        .map(|code| RoundItem {
            indicator: code.to_string(),
            guidance_en: get(&format!("guidance_en:{code}")),
            guidance_zh: get(&format!("guidance_zh:{code}")),
            preferred_department: Some(get(&format!("preferred:{code}"))).filter(|d| !d.is_empty()),
        })
        .collect();
    items.sort_by(|a, b| a.indicator.cmp(&b.indicator));
    let mut assignments = Vec::new();
    for k in 0..ASSIGNMENT_ROWS {
        let (department, area) = (get(&format!("a{k}_department")), get(&format!("a{k}_area")));
        if department.is_empty() && area.is_empty() {
            continue;
        }
        if department.is_empty() || area.is_empty() {
            return Err(format!("assignment {}: give both the department and the area", k + 1));
        }
        let level = match get(&format!("a{k}_level")).as_str() {
            "" => None,
            l => Some(
                serde_json::from_value::<AreaLevel>(serde_json::Value::String(l.to_string()))
                    .map_err(|_| format!("assignment {}: level '{l}' is not an area level", k + 1))?,
            ),
        };
        assignments.push(Assignment { department, area, level, indicators: list(&format!("a{k}_indicators")) });
    }
    // The ticked review levels, lowest first (township before county).
    let mut review_levels: Vec<AreaLevel> =
        AreaLevel::ALL.into_iter().filter(|l| f.get(&format!("review:{}", l.as_str())).is_some_and(|v| v == "on")).collect();
    review_levels.reverse();
    if items.is_empty() {
        return Err("tick at least one indicator to collect".into());
    }
    if assignments.is_empty() {
        return Err("assign at least one department to an area".into());
    }
    Ok(RoundSpec {
        code: get("code"),
        title_en: get("title_en"),
        title_zh: get("title_zh"),
        periods: list("periods"),
        deadline: get("deadline"),
        lead_department: get("lead_department"),
        release_when_pct: None,
        review_levels,
        items,
        assignments,
    })
}

async fn render(
    s: &AppState,
    caller: &Caller,
    lang: Lang,
    form: &HashMap<String, String>,
    error: Option<String>,
    status: StatusCode,
) -> ApiResult<Response> {
    let cat = s.store.catalogue().await?;
    let mut indicators: Vec<serde_json::Value> = cat
        .indicators
        .values()
        .map(|(i, _)| serde_json::json!({ "code": i.code, "name": if lang == Lang::Zh { &i.name_zh } else { &i.name_en } }))
        .collect();
    indicators.sort_by(|a, b| a["code"].as_str().cmp(&b["code"].as_str()));
    let departments = s.store.departments().await?;
    let mut r = pages::render(
        "round_new.html",
        lang,
        minijinja::context! {
            indicators => v(&indicators), departments => v(&departments), f => v(form), error => error,
            rows => (0..ASSIGNMENT_ROWS).collect::<Vec<_>>(), levels => ["province", "prefecture", "county", "township", "village"],
            review_levels => ["township", "county", "prefecture", "province"],
            csrf => csrf(caller), here => "/rounds/new", signed_in => signed_in(caller),
        },
    );
    *r.status_mut() = status;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_becomes_a_round() {
        let f: HashMap<String, String> = [
            ("code", "POV-2024-HE"),
            ("title_en", "Poverty 2024"),
            ("title_zh", "2024年贫困统计"),
            ("periods", "2024, 2025"),
            ("deadline", "2025-03-31"),
            ("lead_department", "NBS"),
            ("item:CN_RURAL_POOR_POP", "on"),
            ("guidance_en:CN_RURAL_POOR_POP", " Count persons. "),
            ("preferred:CN_RURAL_POOR_POP", "NBS"),
            ("item:SI_POV_NAHC", "on"),
            ("preferred:SI_POV_NAHC", ""),
            ("a0_department", "NBS"),
            ("a0_area", "13"),
            ("a0_level", "county"),
            ("a1_department", "NRRA"),
            ("a1_area", "130102"),
            ("a1_indicators", "CN_RURAL_POOR_POP"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let spec = spec_from_form(&f).unwrap();
        assert_eq!(spec.periods, ["2024", "2025"]);
        assert_eq!(spec.items.len(), 2);
        assert_eq!(spec.items[0].indicator, "CN_RURAL_POOR_POP");
        assert_eq!(spec.items[0].guidance_en, "Count persons.");
        assert_eq!(spec.items[0].preferred_department.as_deref(), Some("NBS"));
        assert_eq!(spec.items[1].preferred_department, None);
        assert_eq!(spec.assignments[0].level, Some(AreaLevel::County));
        assert_eq!(spec.assignments[1].indicators, ["CN_RURAL_POOR_POP"]);
        assert_eq!(spec.check(), Ok(()));
        let mut half = f.clone();
        half.insert("a2_department".into(), "MCA".into());
        assert_eq!(spec_from_form(&half).unwrap_err(), "assignment 3: give both the department and the area");
        let mut bad = f;
        bad.insert("a0_level".into(), "galaxy".into());
        assert!(spec_from_form(&bad).unwrap_err().contains("galaxy"));
    }
}
