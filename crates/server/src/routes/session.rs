//! Signing in and out (a server-rendered form with a CSRF token) and "who am I".

use crate::AppState;
use crate::auth::{CSRF_COOKIE, CSRF_FIELD, Caller, SESSION_COOKIE, set_cookie};
use crate::error::{ApiError, ApiResult};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Json};
use rightstat_core::policy::Grant;
use rightstat_store::LoginError;
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login_form, login)).routes(routes!(logout)).routes(routes!(me))
}

use rightstat_design::escape;

/// Where a sign-in goes on: `next` when it is a path of this site, else the work of the user's
/// role (reporters, coordinators and reviewers: their tasks; the lead department — an
/// administrator of a department — the rounds with their release queues; an administrator of no
/// department: administration; analysts: the report drafts).
fn landing(next: Option<&str>, grants: &[Grant]) -> String {
    if let Some(n) = next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && !n.starts_with("/login")) {
        return n.to_string();
    }
    use rightstat_core::policy::Role;
    let has = |r: Role| grants.iter().any(|g| g.role == r);
    if has(Role::Reporter) || has(Role::Coordinator) || has(Role::Reviewer) {
        "/tasks".into()
    } else if grants.iter().any(|g| g.role == Role::Administrator && g.department.is_some()) {
        "/rounds".into()
    } else if has(Role::Administrator) {
        "/admin".into()
    } else if has(Role::Analyst) {
        "/reports".into()
    } else {
        "/".into()
    }
}

/// The sign-in page, in both languages (the user's language is not known before signing in),
/// in the frame every page has.
fn page(csrf: &str, username: &str, message: Option<&str>, next: &str) -> String {
    let body = format!(
        concat!(
            "<h1>登录 <span lang=\"en\">Sign in</span></h1>",
            "<p class=\"lead\">填报、审核与发布人权统计数据。<span lang=\"en\">Report, review and release human-rights statistics.</span></p>{}",
            "<form method=\"post\" action=\"/login\">",
            "<input type=\"hidden\" name=\"{}\" value=\"{}\"><input type=\"hidden\" name=\"next\" value=\"{}\">",
            "<p class=\"field\"><label for=\"username\">用户名 <span lang=\"en\">User name</span></label>",
            "<input id=\"username\" name=\"username\" autocomplete=\"username\" required value=\"{}\"></p>",
            "<p class=\"field\"><label for=\"password\">密码 <span lang=\"en\">Password</span></label>",
            "<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required></p>",
            "<p class=\"actions\"><button type=\"submit\">登录 <span lang=\"en\">Sign in</span></button></p></form>",
            "<p class=\"meta\"><a href=\"/\">公开数据 <span lang=\"en\">Public figures</span></a></p>"
        ),
        message.map(|m| format!("<p role=\"alert\" class=\"notice bad\">{}</p>", escape(m))).unwrap_or_default(),
        CSRF_FIELD,
        escape(csrf),
        escape(next),
        escape(username)
    );
    rightstat_design::page("zh", "登录 Sign in", "narrow", &body)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Next {
    /// Where to go after signing in (a path of this site).
    next: Option<String>,
}

/// The sign-in form. Sets the pre-session CSRF cookie the form's token must match.
#[utoipa::path(get, path = "/login", tag = "session", responses((status = 200, description = "HTML form")))]
async fn login_form(State(s): State<AppState>, headers: HeaderMap, Query(q): Query<Next>) -> ApiResult<Response> {
    let csrf = match crate::auth::cookie(&headers, CSRF_COOKIE) {
        Some(c) if c.len() == 64 => c,
        _ => rightstat_store::accounts::new_secret("")?,
    };
    let next = q.next.unwrap_or_default();
    Ok(([(header::SET_COOKIE, set_cookie(CSRF_COOKIE, &csrf, 3600, s.secure_cookies))], Html(page(&csrf, "", None, &next))).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct LoginForm {
    username: String,
    password: String,
    #[allow(dead_code)]
    csrf_token: String,
    /// Where to go on (a path of this site); otherwise the work of the user's role.
    #[serde(default)]
    next: Option<String>,
}

/// Signs in with a password; on success sets the session cookie and redirects to `/`.
/// Wrong passwords are counted: the sixth within a minute locks the account for 15 minutes.
#[utoipa::path(post, path = "/login", tag = "session", request_body(content = LoginForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Signed in"), (status = 401, description = "Wrong user name or password"), (status = 423, description = "Account locked")))]
async fn login(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> ApiResult<Response> {
    let csrf = crate::auth::cookie(&headers, CSRF_COOKIE).unwrap_or_default();
    match s.store.authenticate(f.username.trim(), &f.password, caller.ip.as_deref()).await? {
        Ok(p) => {
            let (secret, _) = s.store.create_session(p.user_id, caller.ip.as_deref()).await?;
            Ok((
                StatusCode::SEE_OTHER,
                [
                    (header::LOCATION, landing(f.next.as_deref(), &p.grants)),
                    (header::SET_COOKIE, set_cookie(SESSION_COOKIE, &secret, rightstat_store::accounts::SESSION_SECS, s.secure_cookies)),
                ],
            )
                .into_response())
        }
        Err(e) => {
            let status = match e {
                LoginError::Locked(_) => StatusCode::LOCKED,
                LoginError::BadCredentials | LoginError::Disabled => StatusCode::UNAUTHORIZED,
            };
            Ok((status, Html(page(&csrf, &f.username, Some(&e.to_string()), f.next.as_deref().unwrap_or("")))).into_response())
        }
    }
}

/// Ends the session (form post with the CSRF token, or `X-CSRF-Token`).
#[utoipa::path(post, path = "/logout", tag = "session", responses((status = 303, description = "Signed out")))]
async fn logout(State(s): State<AppState>, Extension(caller): Extension<Caller>) -> ApiResult<Response> {
    if let Some(secret) = &caller.session_secret {
        s.store.end_session(secret, &caller.actor()).await?;
    }
    Ok((
        StatusCode::SEE_OTHER,
        [(header::LOCATION, "/".to_string()), (header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0, s.secure_cookies))],
    )
        .into_response())
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Me {
    username: String,
    display_name: String,
    grants: Vec<Grant>,
    /// For browser sessions: the token to send as `X-CSRF-Token` on state-changing requests.
    csrf_token: Option<String>,
}

/// The signed-in user and the grants in force for this request.
#[utoipa::path(get, path = "/api/v1/me", tag = "session", responses((status = 200, body = Me), (status = 401, description = "Not signed in")))]
async fn me(Extension(caller): Extension<Caller>) -> ApiResult<Json<Me>> {
    let p = caller.principal.ok_or(ApiError::Unauthenticated)?;
    let csrf_token = match p.credential {
        rightstat_store::Credential::Session { csrf } => Some(csrf),
        rightstat_store::Credential::Token { .. } => None,
    };
    Ok(Json(Me { username: p.username, display_name: p.display_name, grants: p.grants, csrf_token }))
}

#[cfg(test)]
mod tests {
    use super::landing;
    use rightstat_core::policy::{Grant, Role};

    fn g(role: Role, department: Option<&str>) -> Grant {
        Grant { role, department: department.map(String::from), area: "CN".into() }
    }

    #[test]
    fn each_role_lands_on_its_work() {
        assert_eq!(landing(None, &[g(Role::Reporter, Some("MCA"))]), "/tasks");
        assert_eq!(landing(None, &[g(Role::Reviewer, None)]), "/tasks");
        assert_eq!(landing(None, &[g(Role::Administrator, Some("NBS"))]), "/rounds", "the lead department: its rounds");
        assert_eq!(landing(None, &[g(Role::Administrator, None)]), "/admin", "an administrator of no department: administration");
        assert_eq!(landing(None, &[g(Role::Analyst, None)]), "/reports");
        assert_eq!(landing(Some("/tasks/3?lang=zh"), &[g(Role::Analyst, None)]), "/tasks/3?lang=zh");
        for bad in ["//evil.example/", "https://evil.example/", "/login?next=/x", "/\\evil"] {
            assert_ne!(landing(Some(bad), &[g(Role::Analyst, None)]), bad, "{bad}");
        }
    }
}
