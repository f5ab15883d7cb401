//! Who is calling, and may they: the middleware every routed request passes through.
//!
//! In order: reject malformed query strings; resolve the caller from an API token
//! (`Authorization: Bearer rst_...`) or a session cookie; look the route up in
//! [`crate::policy::ROUTES`] and ask the policy; for state-changing requests not made with
//! an API token, check the CSRF token (the session's, or before sign-in the `rs_csrf`
//! cookie's) against the `X-CSRF-Token` header or the form field `csrf_token`.

use crate::AppState;
use crate::error::ApiError;
use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rightstat_core::policy::{Action, Decision, Grant, Role, decide};
use rightstat_store::{Actor, Credential, Principal};

pub const SESSION_COOKIE: &str = "rs_session";
pub const CSRF_COOKIE: &str = "rs_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "csrf_token";
/// Longest query string and query value accepted.
pub const MAX_QUERY: usize = 2048;
pub const MAX_QUERY_VALUE: usize = 256;
/// Largest form body read for its CSRF field.
const MAX_FORM: usize = 64 * 1024;

/// The caller of a request, as the handlers see it.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Option<Principal>,
    pub ip: Option<String>,
    /// The session cookie's value, to end the session on sign-out.
    pub session_secret: Option<String>,
}

impl Caller {
    pub fn grants(&self) -> Option<&[Grant]> {
        self.principal.as_ref().map(|p| p.grants.as_slice())
    }

    pub fn actor(&self) -> Actor {
        Actor::new(self.principal.as_ref().map_or("anonymous", |p| p.username.as_str()), self.ip.clone())
    }

    /// Asks the policy about an action on a resource in an area (its chain of ancestors).
    pub fn check(&self, action: Action, area_chain: Option<&[&str]>) -> Result<(), ApiError> {
        match decide(self.grants(), action, area_chain) {
            Decision::Allow => Ok(()),
            Decision::Unauthenticated => Err(ApiError::Unauthenticated),
            Decision::Forbidden(why) => Err(ApiError::Forbidden(why)),
        }
    }

    /// Which unpublished figures the caller may see: the public none; signed-in users those in
    /// their areas; analysts and administrators everything.
    pub fn visibility(&self) -> rightstat_store::Visibility {
        use rightstat_store::Visibility;
        match self.grants() {
            None => Visibility::Published,
            Some(grants) => match self.roots(&[Role::Coordinator, Role::Reporter, Role::Reviewer, Role::Administrator]) {
                None => Visibility::All,
                Some(_) if grants.iter().any(|g| g.role == Role::Analyst) => Visibility::All,
                Some(roots) => Visibility::PublishedOrWithin(roots),
            },
        }
    }

    /// Area roots where the caller holds one of `roles`; `None` means everywhere
    /// (administrators, and analysts for reading).
    pub fn roots(&self, roles: &[Role]) -> Option<Vec<String>> {
        let grants = self.grants().unwrap_or_default();
        if grants.iter().any(|g| g.role == Role::Administrator && g.area == "CN") {
            return None;
        }
        Some(grants.iter().filter(|g| roles.contains(&g.role)).map(|g| g.area.clone()).collect())
    }
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Rejects over-long query strings and values with characters no parameter needs (quotes,
/// semicolons, angle brackets, backslashes, control characters), before any handler runs.
/// Free text (`q`, a search) may hold quotes and semicolons, as prose does ("children's
/// rights"); it is bound as a parameter and escaped on output like everything else.
fn check_query(query: Option<&str>) -> Result<(), ApiError> {
    let Some(q) = query else { return Ok(()) };
    if q.len() > MAX_QUERY {
        return Err(ApiError::BadRequest(format!("query string longer than {MAX_QUERY} bytes")));
    }
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(q).map_err(|e| ApiError::BadRequest(format!("malformed query string: {e}")))?;
    for (k, v) in pairs {
        if v.chars().count() > MAX_QUERY_VALUE || k.len() > 64 {
            return Err(ApiError::BadRequest(format!("parameter {k:.64}: longer than {MAX_QUERY_VALUE} characters")));
        }
        let forbidden = if k == "q" { "\\<>`" } else { "'\";\\<>`" };
        if let Some(c) = k.chars().chain(v.chars()).find(|c| c.is_control() || forbidden.contains(*c)) {
            return Err(ApiError::BadRequest(format!("parameter {k:.64}: character {c:?} is not allowed")));
        }
    }
    Ok(())
}

fn is_safe(m: &Method) -> bool {
    matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

pub async fn middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // A method the route does not declare: 405 with `Allow` (OPTIONS: 204 with `Allow`), not
    // an internal error.
    let matched = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string()).unwrap_or_default();
    if crate::policy::action_for(req.method(), &matched).is_none() {
        let allow = crate::policy::allowed_methods(&matched).join(", ");
        if req.method() == axum::http::Method::OPTIONS {
            let preflight = req.headers().contains_key(header::ORIGIN) && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
            if preflight {
                // A browser asking whether another site's page may read this: CORS answers.
                return next.run(req).await;
            }
            return (axum::http::StatusCode::NO_CONTENT, [(header::ALLOW, allow)]).into_response();
        }
        let body = serde_json::json!({
            "error": "method_not_allowed",
            "message": format!("{} is not a method of {matched}: use {allow}", req.method()),
        });
        return (axum::http::StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, allow)], axum::Json(body)).into_response();
    }
    // A path parameter the contract says is a whole number (an id) that is not one: 400 before
    // anything else, signed in or not, rather than a detour through the sign-in page.
    if let Some(message) = malformed_integer_parameter(&state, &req, &matched) {
        return ApiError::BadRequest(message).into_response();
    }
    // A signed-out visit to a working page goes to sign-in, and back there afterwards; the API
    // answers 401 as before.
    let page = (req.method() == axum::http::Method::GET && !req.uri().path().starts_with("/api/"))
        .then(|| req.uri().path_and_query().map_or_else(|| req.uri().path().to_string(), |p| p.as_str().to_string()));
    match authorize(&state, req).await {
        Ok(req) => next.run(req).await,
        Err(ApiError::Unauthenticated) if page.is_some() => {
            let back = percent_encoding::utf8_percent_encode(page.as_deref().unwrap_or("/"), PATH_IN_QUERY);
            (axum::http::StatusCode::SEE_OTHER, [(header::LOCATION, format!("/login?next={back}"))]).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// The first path parameter of `req` that the OpenAPI document types as an integer and that
/// does not parse as one, described for the caller.
fn malformed_integer_parameter(state: &AppState, req: &Request, matched: &str) -> Option<String> {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::schema::{Schema, SchemaType};
    use utoipa::openapi::{RefOr, Type};
    let item = state.openapi.get()?.paths.paths.get(matched)?;
    let op = match *req.method() {
        axum::http::Method::POST => item.post.as_ref(),
        _ => item.get.as_ref(),
    }?;
    let integers: Vec<&str> = op
        .parameters
        .iter()
        .flatten()
        .filter_map(|p| match p {
            RefOr::T(p) => Some(p),
            RefOr::Ref(_) => None,
        })
        .filter(|p| p.parameter_in == ParameterIn::Path)
        .filter(|p| matches!(&p.schema, Some(RefOr::T(Schema::Object(o))) if matches!(&o.schema_type, SchemaType::Type(Type::Integer))))
        .map(|p| p.name.as_str())
        .collect();
    if integers.is_empty() {
        return None;
    }
    let names: Vec<&str> = matched.split('/').collect();
    let values: Vec<&str> = req.uri().path().split('/').collect();
    names.iter().zip(&values).find_map(|(name, value)| {
        let name = name.strip_prefix('{')?.strip_suffix('}')?;
        (integers.contains(&name) && value.parse::<i64>().is_err()).then(|| format!("{name} {value:?}: expected a whole number (an id)"))
    })
}

/// What a path keeps unencoded as a query value: unreserved characters and `/`.
pub(crate) const PATH_IN_QUERY: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b'/');

async fn authorize(state: &AppState, req: Request) -> Result<Request, ApiError> {
    check_query(req.uri().query())?;
    let path = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string()).unwrap_or_default();
    let action = crate::policy::action_for(req.method(), &path)
        .ok_or_else(|| ApiError::Internal(format!("no policy for {} {path}", req.method())))?;
    let ip = req.extensions().get::<ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string());
    let headers = req.headers().clone();
    let bearer = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let session_secret = cookie(&headers, SESSION_COOKIE);
    let principal = match (bearer, &session_secret) {
        (Some(token), _) => Some(state.store.token_principal(token.trim()).await?.ok_or(ApiError::BadToken)?),
        (None, Some(s)) => state.store.session_principal(s).await?,
        (None, None) => None,
    };
    let caller = Caller { principal, ip, session_secret };
    caller.check(action, None)?;
    let mut req = req;
    if !is_safe(req.method()) {
        let expected = match caller.principal.as_ref().map(|p| &p.credential) {
            Some(Credential::Token { .. }) => None,
            Some(Credential::Session { csrf }) => Some(Some(csrf.clone())),
            None => Some(cookie(&headers, CSRF_COOKIE)),
        };
        if let Some(expected) = expected {
            let mut provided = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).map(String::from);
            let form = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
            let boundary = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).and_then(|v| multer::parse_boundary(v).ok());
            if provided.is_none()
                && let Some(boundary) = boundary
            {
                // A file upload from a page: the token is one of the parts.
                let (parts, body) = req.into_parts();
                let bytes = axum::body::to_bytes(body, state.max_body_bytes)
                    .await
                    .map_err(|_| ApiError::BadRequest(format!("upload larger than {} bytes", state.max_body_bytes)))?;
                let stream = futures_util::stream::once(std::future::ready(Ok::<_, std::io::Error>(bytes.clone())));
                let mut mp = multer::Multipart::new(stream, boundary);
                while let Ok(Some(field)) = mp.next_field().await {
                    if field.name() == Some(CSRF_FIELD) {
                        provided = field.text().await.ok();
                        break;
                    }
                }
                req = Request::from_parts(parts, Body::from(bytes));
            } else if provided.is_none() && form {
                let (parts, body) = req.into_parts();
                let bytes = axum::body::to_bytes(body, MAX_FORM)
                    .await
                    .map_err(|_| ApiError::BadRequest(format!("form larger than {MAX_FORM} bytes")))?;
                let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
                provided = fields.into_iter().find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v);
                req = Request::from_parts(parts, Body::from(bytes));
            }
            match (expected, provided) {
                (Some(e), Some(p)) if !e.is_empty() && constant_time_eq(e.as_bytes(), p.as_bytes()) => {}
                _ => return Err(ApiError::Forbidden("missing or invalid CSRF token".into())),
            }
        }
    }
    req.extensions_mut().insert(caller);
    Ok(req)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure when served over TLS.
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}", if secure { "; Secure" } else { "" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_guard() {
        assert!(check_query(Some("indicator=SI_POV_NAHC&area=CN&as_of=2026-01-01T00:00:00Z")).is_ok());
        assert!(check_query(Some("q=%E8%B4%AB%E5%9B%B0")).is_ok(), "Chinese text is fine");
        assert!(check_query(Some("q=children%27s%20rights%3B%20%22dibao%22")).is_ok(), "prose in a search");
        for bad in ["area=CN'%20OR%20'1'='1", "area=a;DROP%20TABLE%20area", "q=%3Cscript%3E", "x=%3Cscript%3E", "q=a%00b"] {
            assert!(check_query(Some(bad)).is_err(), "{bad}");
        }
        assert!(check_query(Some(&format!("q={}", "a".repeat(300)))).is_err());
        assert!(check_query(Some(&"a=b&".repeat(600))).is_err());
    }

    #[test]
    fn cookies_parse() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; rs_session=rss_x; b=2".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("rss_x"));
        assert_eq!(cookie(&h, CSRF_COOKIE), None);
    }
}
