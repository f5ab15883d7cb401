//! The API reference as a page: the OpenAPI document this server serves, rendered on the
//! server in the design every page has — operations by tag with their parameters, bodies and
//! answers, then the schemas. No script and nothing fetched from elsewhere, so it works
//! offline and under the content security policy; the document itself stays the truth
//! (`/api/v1/openapi.json`), this page only shows it.

use crate::AppState;
use axum::extract::State;
use axum::response::Html;
use rightstat_design::escape;
use serde_json::Value;
use std::fmt::Write;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(docs))
}

/// The API reference (the OpenAPI document as a page, in the portal's design).
#[utoipa::path(get, path = "/api/docs", tag = "system", responses((status = 200, description = "HTML")))]
async fn docs(State(s): State<AppState>) -> Html<String> {
    let doc = s.openapi.get().and_then(|d| serde_json::to_value(d).ok()).unwrap_or_default();
    Html(render(&doc))
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// An anchor id from free text (operation paths, schema names).
fn anchor(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect()
}

/// A schema in a line: `string (date-time)`, `array of Indicator`, `one of: full, dataonly`.
fn type_of(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("<a href=\"#schema-{}\">{}</a>", anchor(name), escape(name));
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let list: Vec<String> =
            values.iter().map(|v| format!("<code>{}</code>", escape(v.as_str().map_or(&v.to_string(), |s| s)))).collect();
        return format!("one of {}", list.join(", "));
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        if let Some(parts) = schema.get(combinator).and_then(Value::as_array) {
            let parts: Vec<String> = parts.iter().map(type_of).filter(|t| t != "null").collect();
            return parts.join(" or ");
        }
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let main = types.iter().copied().find(|t| *t != "null").unwrap_or("any");
    let mut out = match main {
        "array" => format!("array of {}", schema.get("items").map_or_else(|| "any".to_string(), type_of)),
        t => escape(t),
    };
    if let Some(f) = schema.get("format").and_then(Value::as_str) {
        let _ = write!(out, " ({})", escape(f));
    }
    match schema.get("pattern").and_then(Value::as_str) {
        // The query check every request passes, stated in words.
        Some(p) if p.starts_with("^[^") => out.push_str(if p.contains('\'') {
            ", text without quotes, semicolons, <code>\\ &lt; &gt; `</code> or control characters"
        } else {
            ", text without <code>\\ &lt; &gt; `</code> or control characters"
        }),
        Some(p) => {
            let _ = write!(out, ", matching <code>{}</code>", escape(p));
        }
        None => {}
    }
    if let Some(n) = schema.get("maxLength") {
        let _ = write!(out, ", at most {n} characters");
    }
    for (k, what) in [("minimum", "≥"), ("maximum", "≤")] {
        if let Some(v) = schema.get(k) {
            let _ = write!(out, " {what} {v}");
        }
    }
    if types.contains(&"null") {
        out.push_str(", or null");
    }
    out
}

fn text(v: Option<&Value>) -> String {
    v.and_then(Value::as_str).map(escape).unwrap_or_default()
}

/// The whole page.
pub fn render(doc: &Value) -> String {
    let info = &doc["info"];
    let mut body = String::new();
    let _ = write!(
        body,
        concat!(
            "<h1>接口文档 <span lang=\"en\">API reference</span></h1>",
            "<p class=\"meta\">{title} {version} · OpenAPI {openapi} · <a href=\"/api/v1/openapi.json\">openapi.json</a></p>",
            "<p>{description}</p>",
            "<div class=\"notice\" lang=\"en\"><p>Sign in with <code>POST /login</code> (a session cookie; writes carry its CSRF token) ",
            "or send a token an administrator issued: <code>Authorization: Bearer …</code>. Every error is JSON: ",
            "<code>{{\"error\": code, \"message\": text}}</code>. Public figures need no sign-in: the portal's downloads and the ",
            "SDMX 2.1 REST service under <code>/sdmx/2.1/</code>.</p></div>"
        ),
        title = text(info.get("title")),
        version = text(info.get("version")),
        openapi = text(doc.get("openapi")),
        description = text(info.get("description")),
    );
    // Operations by tag, in the document's tag order.
    let tags: Vec<(String, String)> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| (t["name"].as_str().unwrap_or("").to_string(), t["description"].as_str().unwrap_or("").to_string()))
        .collect();
    let mut by_tag: Vec<Vec<(String, &str, &Value)>> = vec![Vec::new(); tags.len() + 1];
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for m in METHODS {
                if let Some(op) = item.get(m) {
                    let tag = op["tags"][0].as_str().unwrap_or("");
                    let i = tags.iter().position(|(t, _)| t == tag).unwrap_or(tags.len());
                    by_tag[i].push((path.clone(), m, op));
                }
            }
        }
    }
    body.push_str("<nav aria-label=\"目录 Contents\" class=\"toc\"><h2>目录 <span lang=\"en\">Contents</span></h2><ul>");
    for (i, (tag, _)) in tags.iter().enumerate() {
        if !by_tag[i].is_empty() {
            let _ = write!(body, "<li><a href=\"#tag-{}\">{}</a> ({})</li>", anchor(tag), escape(tag), by_tag[i].len());
        }
    }
    body.push_str("<li><a href=\"#schemas\">Schemas</a></li></ul></nav>");
    for (i, ops) in by_tag.iter().enumerate() {
        if ops.is_empty() {
            continue;
        }
        let (tag, description) = tags.get(i).cloned().unwrap_or_else(|| ("other".into(), String::new()));
        let _ = write!(body, "<section id=\"tag-{}\"><h2>{}</h2><p>{}</p>", anchor(&tag), escape(&tag), escape(&description));
        for (path, method, op) in ops {
            operation(&mut body, path, method, op);
        }
        body.push_str("</section>");
    }
    schemas(&mut body, &doc["components"]["schemas"]);
    rightstat_design::page("zh", "接口文档 API reference", "", &body)
}

fn operation(out: &mut String, path: &str, method: &str, op: &Value) {
    let id = anchor(&format!("{method} {path}"));
    let _ = write!(
        out,
        "<section class=\"operation\" id=\"op-{id}\" lang=\"en\"><h3><span class=\"badge\">{}</span> <code>{}</code></h3>",
        method.to_uppercase(),
        escape(path)
    );
    for k in ["summary", "description"] {
        if let Some(t) = op.get(k).and_then(Value::as_str).filter(|t| !t.is_empty()) {
            for para in t.split("\n\n") {
                let _ = write!(out, "<p>{}</p>", escape(para));
            }
        }
    }
    if let Some(params) = op.get("parameters").and_then(Value::as_array).filter(|p| !p.is_empty()) {
        out.push_str("<div class=\"scroll\"><table class=\"full\"><caption>Parameters</caption><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">In</th><th scope=\"col\">Type</th><th scope=\"col\">Required</th><th scope=\"col\">Description</th></tr></thead><tbody>");
        for p in params {
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                text(p.get("name")),
                text(p.get("in")),
                p.get("schema").map(type_of).unwrap_or_default(),
                if p["required"].as_bool().unwrap_or(false) { "yes" } else { "no" },
                text(p.get("description")),
            );
        }
        out.push_str("</tbody></table></div>");
    }
    if let Some(content) = op["requestBody"]["content"].as_object() {
        out.push_str("<p>Body: ");
        let kinds: Vec<String> = content
            .iter()
            .map(|(mime, c)| format!("<code>{}</code> {}", escape(mime), c.get("schema").map(type_of).unwrap_or_default()))
            .collect();
        out.push_str(&kinds.join("; "));
        out.push_str("</p>");
    }
    if let Some(responses) = op["responses"].as_object() {
        out.push_str("<div class=\"scroll\"><table class=\"full\"><caption>Answers</caption><thead><tr><th scope=\"col\">Status</th><th scope=\"col\">Meaning</th><th scope=\"col\">Body</th></tr></thead><tbody>");
        for (status, r) in responses {
            let body: Vec<String> = r["content"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(mime, c)| {
                    let schema = c.get("schema").map(type_of).unwrap_or_default();
                    format!("<code>{}</code> {schema}", escape(mime))
                })
                .collect();
            let _ = write!(out, "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", escape(status), text(r.get("description")), body.join("; "));
        }
        out.push_str("</tbody></table></div>");
    }
    out.push_str("</section>");
}

fn schemas(out: &mut String, schemas: &Value) {
    out.push_str("<section id=\"schemas\" lang=\"en\"><h2>数据结构 <span lang=\"en\">Schemas</span></h2>");
    for (name, schema) in schemas.as_object().into_iter().flatten() {
        let _ = write!(out, "<section id=\"schema-{}\"><h3>{}</h3>", anchor(name), escape(name));
        if let Some(d) = schema.get("description").and_then(Value::as_str) {
            let _ = write!(out, "<p>{}</p>", escape(d));
        }
        match schema.get("properties").and_then(Value::as_object) {
            Some(props) => {
                let required: Vec<&str> = schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                out.push_str("<div class=\"scroll\"><table class=\"full\"><thead><tr><th scope=\"col\">Field</th><th scope=\"col\">Type</th><th scope=\"col\">Required</th><th scope=\"col\">Description</th></tr></thead><tbody>");
                for (field, p) in props {
                    let _ = write!(
                        out,
                        "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        escape(field),
                        type_of(p),
                        if required.contains(&field.as_str()) { "yes" } else { "no" },
                        text(p.get("description")),
                    );
                }
                out.push_str("</tbody></table></div>");
            }
            None => {
                let _ = write!(out, "<p>{}</p>", type_of(schema));
            }
        }
        out.push_str("</section>");
    }
    out.push_str("</section>");
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_shows_operations_parameters_answers_and_schemas_escaped() {
        let doc = serde_json::json!({
            "openapi": "3.1.0",
            "info": {"title": "RightStat API", "version": "0.1.0", "description": "Figures <and> rights"},
            "tags": [{"name": "catalogue", "description": "The list"}],
            "paths": {"/api/v1/indicators/{code}": {"get": {
                "tags": ["catalogue"], "summary": "One indicator",
                "parameters": [{"name": "code", "in": "path", "required": true, "schema": {"type": "string"}},
                               {"name": "detail", "in": "query", "schema": {"type": "string", "enum": ["full", "nodata"]}}],
                "responses": {"200": {"description": "Found", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Indicator"}}}},
                              "404": {"description": "No such indicator"}}
            }}},
            "components": {"schemas": {"Indicator": {"type": "object", "required": ["code"],
                "properties": {"code": {"type": "string", "description": "SDG-style code"}, "since": {"type": ["string", "null"], "format": "date"}}}}}
        });
        let page = super::render(&doc);
        assert!(page.contains("Figures &lt;and&gt; rights"));
        assert!(page.contains("id=\"op-get--api-v1-indicators--code-\""));
        assert!(page.contains("<code>/api/v1/indicators/{code}</code>"));
        assert!(page.contains("one of <code>full</code>, <code>nodata</code>"));
        assert!(page.contains("<a href=\"#schema-indicator\">Indicator</a>"));
        assert!(page.contains("id=\"schema-indicator\""));
        assert!(page.contains("string (date), or null"));
        assert!(page.contains("No such indicator"));
        assert!(!page.contains("<script"));
    }
}
