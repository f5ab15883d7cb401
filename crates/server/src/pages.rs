//! Server-rendered pages: templates (minijinja, auto-escaped), the interface language (English
//! or Chinese, chosen by `?lang=`, then the `rs_lang` cookie, then `Accept-Language`), and
//! small SVG charts drawn on the server so that pages read without JavaScript.

use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Environment, Value};
use std::sync::OnceLock;

const MESSAGES: &str = include_str!("../i18n/messages.toml");
pub const LANG_COOKIE: &str = "rs_lang";

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("recommendations.html", include_str!("../templates/recommendations.html")),
    ("recommendation.html", include_str!("../templates/recommendation.html")),
    ("measures.html", include_str!("../templates/measures.html")),
    ("measure.html", include_str!("../templates/measure.html")),
    ("evaluation.html", include_str!("../templates/evaluation.html")),
    ("evaluation_article.html", include_str!("../templates/evaluation_article.html")),
    ("retrogression.html", include_str!("../templates/retrogression.html")),
    ("benchmarks.html", include_str!("../templates/benchmarks.html")),
    ("retrogression_case.html", include_str!("../templates/retrogression_case.html")),
    ("message.html", include_str!("../templates/message.html")),
    ("tasks.html", include_str!("../templates/tasks.html")),
    ("task.html", include_str!("../templates/task.html")),
    ("round.html", include_str!("../templates/round.html")),
    ("rounds.html", include_str!("../templates/rounds.html")),
    ("round_new.html", include_str!("../templates/round_new.html")),
    ("reports.html", include_str!("../templates/reports.html")),
    ("report_checks.html", include_str!("../templates/report_checks.html")),
    ("admin.html", include_str!("../templates/admin.html")),
    ("admin_audit.html", include_str!("../templates/admin_audit.html")),
    ("admin_catalogue.html", include_str!("../templates/admin_catalogue.html")),
    ("admin_indicator.html", include_str!("../templates/admin_indicator.html")),
    ("admin_glossary.html", include_str!("../templates/admin_glossary.html")),
    ("admin_codelists.html", include_str!("../templates/admin_codelists.html")),
    ("admin_publishing.html", include_str!("../templates/admin_publishing.html")),
];

/// The interface language.
pub use rightstat_core::lang::Lang;

/// A page's language: `?lang=` first, then the cookie, then the browser's preference.
pub fn lang_from(query: Option<&str>, headers: &HeaderMap) -> Lang {
    let parse = |s: &str| match s.trim().get(..2) {
        Some(p) if p.eq_ignore_ascii_case("zh") => Some(Lang::Zh),
        Some(p) if p.eq_ignore_ascii_case("en") => Some(Lang::En),
        _ => None,
    };
    query
        .and_then(parse)
        .or_else(|| crate::auth::cookie(headers, LANG_COOKIE).as_deref().and_then(parse))
        .or_else(|| headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next()).and_then(parse))
        .unwrap_or(Lang::En)
}

/// The language of a page request: `lang` from its raw query string, then as [`lang_from`].
pub fn lang_of_request(raw_query: Option<&str>, headers: &HeaderMap) -> Lang {
    let pairs = serde_urlencoded::from_str::<Vec<(String, String)>>(raw_query.unwrap_or("")).unwrap_or_default();
    lang_from(pairs.into_iter().find(|(k, _)| k == "lang").map(|(_, v)| v).as_deref(), headers)
}

/// The language of a page request (`?lang=`, else Accept-Language), as an extractor.
pub struct PageLang(pub Lang);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PageLang(lang_of_request(parts.uri.query(), &parts.headers)))
    }
}

/// Who is signed in, for the page header: the name, and the token of the sign-out form.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SignedIn {
    pub name: String,
    pub csrf: String,
    /// An administrator: the navigation offers administration.
    pub admin: bool,
}

/// The signed-in user for the page header (none when signed out), as a template value.
pub fn signed_in(caller: &crate::auth::Caller) -> Value {
    v(&caller.principal.as_ref().map(|p| SignedIn {
        name: p.username.clone(),
        csrf: crate::routes::task_pages::csrf(caller),
        admin: p.grants.iter().any(|g| g.role == rightstat_core::policy::Role::Administrator),
    }))
}

use rightstat_portal::i18n::Messages;

fn messages() -> &'static Messages {
    static M: OnceLock<Messages> = OnceLock::new();
    M.get_or_init(|| rightstat_portal::i18n::parse(MESSAGES).expect("i18n/messages.toml is valid (tested)"))
}

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        // t("key"): the message in the page's language (the key itself when missing, which a test forbids).
        let mut env = rightstat_portal::i18n::environment(TEMPLATES, messages());
        // Numbers as people read them: thousands separated, at most 2 decimals.
        env.add_filter("num", |v: f64| format_number(v));
        // Stored UTC instants as officials read them: Beijing time.
        env.add_filter("local_time", |v: String| local_time(&v));
        // A department's name in the page's language (民政部, Ministry of Civil Affairs), not its
        // code; the code itself for a department the shipped list does not know.
        env.add_filter("department", |state: &minijinja::State, code: String| {
            let zh = state.lookup("lang").is_some_and(|l| l.as_str() == Some("zh"));
            department_name(&code, if zh { Lang::Zh } else { Lang::En })
        });
        env
    })
}

pub use rightstat_core::unit::format_number;

/// A department's name from the shipped reference list, in `lang`; the code when unknown.
pub fn department_name(code: &str, lang: Lang) -> String {
    static DEPTS: OnceLock<Vec<rightstat_core::reference::Department>> = OnceLock::new();
    DEPTS
        .get_or_init(rightstat_core::reference::departments)
        .iter()
        .find(|d| d.code == code)
        .map_or(code.to_string(), |d| lang.pick(&d.name_en, &d.name_zh).to_string())
}

/// A figure that may be missing, as a table shows it ("—" when there is none).
pub fn format_figure(x: Option<f64>) -> String {
    x.map_or("—".to_string(), format_number)
}

/// A stored (UTC) instant as officials read it: Beijing time, to the minute.
pub fn local_time(stored: &str) -> String {
    format!("{} (UTC+8)", rightstat_store::beijing_time(stored))
}

/// A cell key (`|SEX=F|URBANISATION=R|`) in words of the page's language: "Sex: Female,
/// Urban or rural residence: Rural" / "性别：女，城乡：农村" (the key itself for unknown codes).
pub fn cell_label(key: &str, cat: &rightstat_core::ingest::Catalogue, lang: Lang) -> String {
    let Some(cell) = rightstat_core::Cell::from_key(key) else { return key.to_string() };
    let parts: Vec<String> = cell
        .iter()
        .map(|(d, c)| match cat.codelists.get(d) {
            Some(list) => {
                let code = list.codes.iter().find(|x| x.code == c).map_or(c.to_string(), |x| lang.pick(&x.name_en, &x.name_zh).to_string());
                match lang {
                    Lang::En => format!("{}: {code}", list.name_en),
                    Lang::Zh => format!("{}：{code}", list.name_zh),
                }
            }
            None => format!("{d}={c}"),
        })
        .collect();
    parts.join(lang.pick(", ", "，"))
}

/// Renders a page; `ctx` must be serialisable. Sets the language cookie so the choice sticks.
pub fn render(name: &str, lang: Lang, ctx: Value) -> Response {
    let tpl = match env().get_template(name) {
        Ok(t) => t,
        Err(e) => return crate::ApiError::Internal(e.to_string()).into_response(),
    };
    let ctx = minijinja::context! { lang => lang.code(), ..ctx };
    match tpl.render(ctx) {
        Ok(html) => ([(header::SET_COOKIE, format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", lang.code()))], Html(html))
            .into_response(),
        Err(e) => crate::ApiError::Internal(format!("template {name}: {e}")).into_response(),
    }
}

/// A small line chart of yearly values as inline SVG, with a text alternative that states the
/// data (first and last point), so that screen readers get the numbers too.
pub fn sparkline(points: &[(i32, f64)], label: &str) -> String {
    let (w, h, pad) = (240.0, 60.0, 6.0);
    if points.is_empty() {
        return String::new();
    }
    let (x0, x1) = (points[0].0 as f64, points[points.len() - 1].0 as f64);
    let (lo, hi) = points.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.1), b.max(p.1)));
    let sx = |x: f64| if x1 > x0 { pad + (x - x0) / (x1 - x0) * (w - 2.0 * pad) } else { w / 2.0 };
    let sy = |y: f64| if hi > lo { h - pad - (y - lo) / (hi - lo) * (h - 2.0 * pad) } else { h / 2.0 };
    let path: Vec<String> = points.iter().map(|(x, y)| format!("{:.1},{:.1}", sx(*x as f64), sy(*y))).collect();
    let dots: String = points
        .iter()
        .map(|(x, y)| {
            format!(
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2\" fill=\"#1f5c99\"><title>{x}: {}</title></circle>",
                sx(*x as f64),
                sy(*y),
                format_number(*y)
            )
        })
        .collect();
    let first = points[0];
    let last = points[points.len() - 1];
    let alt = format!("{label}: {} {} … {} {}", first.0, format_number(first.1), last.0, format_number(last.1));
    format!(
        "<svg class=\"spark\" role=\"img\" aria-label=\"{a}\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title>{a}</title><polyline fill=\"none\" stroke=\"#1f5c99\" stroke-width=\"2\" points=\"{p}\"/>{dots}</svg>",
        a = rightstat_design::escape(&alt),
        p = path.join(" ")
    )
}

/// Any serialisable value for a template context.
pub fn v<T: serde::Serialize>(x: &T) -> Value {
    Value::from(minijinja::value::Serde(x))
}

/// What a page says after an action: the message key when it was done, the reason when it was
/// refused (`Ok` / `Err` of a result, the same).
#[derive(Debug, Default)]
pub struct Outcome {
    pub done: Option<&'static str>,
    pub refusal: Option<String>,
}

impl From<Result<&'static str, String>> for Outcome {
    fn from(r: Result<&'static str, String>) -> Self {
        match r {
            Ok(k) => Outcome { done: Some(k), refusal: None },
            Err(m) => Outcome { done: None, refusal: Some(m) },
        }
    }
}

/// Renders `name` after an action: `done` and `refusal` join its context, and a refusal
/// answers 422 (the form again, with why).
pub fn render_outcome(name: &str, lang: Lang, ctx: Value, out: Outcome) -> Response {
    let refused = out.refusal.is_some();
    let mut r = render(name, lang, minijinja::context! { done => out.done, refusal => out.refusal, ..ctx });
    if refused {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// A page for "not found" and similar, in the page language.
pub fn message(lang: Lang, title_key: &str, text: &str, status: axum::http::StatusCode) -> Response {
    let mut r = render("message.html", lang, minijinja::context! { title_key => title_key, text => text });
    *r.status_mut() = status;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_both_languages_and_templates_compile() {
        for (k, m) in messages() {
            assert!(m.get("en").is_some_and(|s| !s.is_empty()) && m.get("zh").is_some_and(|s| !s.is_empty()), "{k}");
            // Chinese text takes Chinese punctuation (，；：（）), not English half-width marks.
            let zh = m.get("zh").unwrap();
            if zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
                let c: Vec<char> = zh.chars().collect();
                let bad = (0..c.len()).find(|&i| match c[i] {
                    ',' => !(i > 0 && c[i - 1].is_ascii_digit() && c.get(i + 1).is_some_and(char::is_ascii_digit)),
                    ':' => c.get(i + 1) != Some(&'/'),
                    ';' | '(' | ')' => true,
                    _ => false,
                });
                assert!(bad.is_none(), "{k}: half-width punctuation in \"{zh}\"");
            }
        }
        let env = env();
        for (name, src) in TEMPLATES {
            env.get_template(name).unwrap();
            // Every literal t("…") key used in a template exists (t("trend_" ~ x) families are
            // checked by the page tests).
            for part in src.split("t(\"").skip(1) {
                let end = part.find('"').unwrap();
                if part[end + 1..].trim_start().starts_with('~') {
                    continue;
                }
                let key = &part[..end];
                assert!(messages().contains_key(key), "{name}: message {key} missing");
            }
        }
    }

    #[test]
    fn language_choice() {
        let mut h = HeaderMap::new();
        assert_eq!(lang_from(None, &h), Lang::En);
        h.insert(header::ACCEPT_LANGUAGE, "zh-CN,zh;q=0.9,en;q=0.8".parse().unwrap());
        assert_eq!(lang_from(None, &h), Lang::Zh);
        h.insert(header::COOKIE, "rs_lang=en".parse().unwrap());
        assert_eq!(lang_from(None, &h), Lang::En);
        assert_eq!(lang_from(Some("zh"), &h), Lang::Zh);
    }

    #[test]
    fn numbers_and_charts() {
        assert_eq!(
            (format_number(8249.0), format_number(1_234_567.891), format_number(0.4651), format_number(-12.5)),
            ("8,249".into(), "1,234,567.89".into(), "0.47".into(), "-12.5".into())
        );
        let svg = sparkline(&[(2010, 16567.0), (2013, 8249.0), (2019, 551.0)], "Rural poor <population>");
        assert!(svg.contains("aria-label=\"Rural poor &lt;population&gt;: 2010 16,567 … 2019 551\""), "{svg}");
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(sparkline(&[], "x").is_empty());
    }
}
