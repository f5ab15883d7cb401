//! Administration as pages: users with their grants, API tokens and the audit trail — what the
//! CLI's `user` and `token` commands and `GET /api/v1/audit` do, for the lead department's
//! administrators, with the same policy and the same audit records.
//!
//! Least privilege: an administrator manages only grants inside its own subtree of areas (and,
//! when its grant names a department, of that department); disabling a user or issuing a token
//! for one needs the same over every grant that user holds.

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::pages::{self, Lang, PageLang, signed_in, v};
use axum::Extension;
use axum::extract::{Form, Path, Query, State};
use axum::response::Response;
use rightstat_core::policy::{Grant, Role};
use rightstat_store::{AuditFilter, StoreError};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(admin_page))
        .routes(routes!(create_user))
        .routes(routes!(add_grant))
        .routes(routes!(set_disabled))
        .routes(routes!(create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(audit_page))
        .routes(routes!(publishing_page))
        .routes(routes!(publish_batch))
}

/// What an administration page says after an action: a message, and a token's secret once.
#[derive(Default)]
struct Outcome {
    done: Option<&'static str>,
    refusal: Option<String>,
    secret: Option<String>,
}

/// Whether `caller` may hand out (or act under) `grant`: it holds an administrator grant over
/// the grant's area, of the same department unless its own names none.
async fn may_manage(s: &AppState, caller: &Caller, grant: &Grant) -> ApiResult<bool> {
    let chain = s.store.area_chain(&grant.area).await?;
    Ok(caller
        .grants()
        .unwrap_or_default()
        .iter()
        .any(|g| g.role == Role::Administrator && chain.contains(&g.area) && (g.department.is_none() || g.department == grant.department)))
}

async fn may_manage_user(s: &AppState, caller: &Caller, username: &str) -> ApiResult<bool> {
    let users = s.store.users().await?;
    let Some(u) = users.iter().find(|u| u.username == username) else {
        return Err(ApiError::NotFound(format!("user {username}")));
    };
    for g in &u.grants {
        if !may_manage(s, caller, g).await? {
            return Ok(false);
        }
    }
    Ok(true)
}

async fn render_admin(s: &AppState, caller: &Caller, lang: Lang, out: Outcome) -> ApiResult<Response> {
    let users = s.store.users().await?;
    let tokens = s.store.tokens().await?;
    let departments = s.store.departments().await?;
    let audit = s.store.verify_audit().await?;
    let depts: Vec<serde_json::Value> =
        departments.iter().map(|d| serde_json::json!({ "code": d.code, "name": lang.pick(&d.name_en, &d.name_zh) })).collect();
    let dept_name = |code: &Option<String>| {
        code.as_ref()
            .map(|c| departments.iter().find(|d| &d.code == c).map_or(c.clone(), |d| lang.pick(&d.name_en, &d.name_zh).to_string()))
    };
    let mut area_names = std::collections::HashMap::new();
    for g in users.iter().flat_map(|u| u.grants.iter()).chain(tokens.iter().map(|t| &t.grant)) {
        if !area_names.contains_key(&g.area) {
            let name = s
                .store
                .area(&g.area)
                .await?
                .map(|a| if lang == Lang::Zh { a.name_zh } else { a.name_en.unwrap_or(a.name_zh) })
                .unwrap_or_default();
            area_names.insert(g.area.clone(), name);
        }
    }
    let grant_json = |g: &Grant| {
        serde_json::json!({
            "role": g.role.as_str(), "department": g.department, "department_name": dept_name(&g.department),
            "area": g.area, "area_name": area_names.get(&g.area).cloned().unwrap_or_default(),
        })
    };
    let users: Vec<serde_json::Value> = users
        .iter()
        .map(|u| {
            serde_json::json!({
                "username": u.username, "display_name": u.display_name, "disabled": u.disabled, "locked_until": u.locked_until,
                "grants": u.grants.iter().map(grant_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    let tokens: Vec<serde_json::Value> = tokens
        .iter()
        .map(|t| {
            serde_json::json!({
                "id": t.id, "username": t.username, "name": t.name, "grant": grant_json(&t.grant),
                "created_at": t.created_at, "expires_at": t.expires_at, "revoked_at": t.revoked_at,
            })
        })
        .collect();
    let roles: Vec<&str> = Role::ALL.iter().filter(|r| **r != Role::Public).map(|r| r.as_str()).collect();
    Ok(pages::render_outcome(
        "admin.html",
        lang,
        minijinja::context! {
            users => v(&users), tokens => v(&tokens), departments => v(&depts), roles => v(&roles),
            audit_records => audit.records, audit_broken => v(&audit.broken), secret => out.secret,
            csrf => crate::routes::task_pages::csrf(caller), here => "/admin", signed_in => signed_in(caller),
        },
        pages::Outcome { done: out.done, refusal: out.refusal },
    ))
}

/// The outcome of a store call: done, or refused with the store's reason (the page again).
fn outcome<T>(r: rightstat_store::Result<T>, done: &'static str) -> ApiResult<Outcome> {
    match r {
        Ok(_) => Ok(Outcome { done: Some(done), ..Default::default() }),
        Err(StoreError::Invalid(m) | StoreError::NotFound(m)) => Ok(Outcome { refusal: Some(m), ..Default::default() }),
        Err(e) => Err(e.into()),
    }
}

fn refused(m: impl Into<String>) -> Outcome {
    Outcome { refusal: Some(m.into()), ..Default::default() }
}

/// Users with their grants, API tokens, and the state of the audit trail.
#[utoipa::path(get, path = "/admin", tag = "pages", responses((status = 200, description = "HTML"), (status = 403, description = "Administrators only")))]
async fn admin_page(State(s): State<AppState>, Extension(caller): Extension<Caller>, PageLang(lang): PageLang) -> ApiResult<Response> {
    render_admin(&s, &caller, lang, Outcome::default()).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct NewUser {
    username: String,
    display_name: String,
    password: String,
}

/// Creates a user (it has no grant until one is added).
#[utoipa::path(post, path = "/admin/users", tag = "pages", request_body(content = NewUser, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "HTML"), (status = 422, description = "Refused, with the reason")))]
async fn create_user(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Form(f): Form<NewUser>,
) -> ApiResult<Response> {
    let out = if f.password.chars().count() < 12 {
        refused(lang.pick("a password needs at least 12 characters", "密码至少需要12个字符"))
    } else {
        outcome(s.store.create_user(f.username.trim(), f.display_name.trim(), &f.password, &caller.actor()).await, "admin_user_created")?
    };
    render_admin(&s, &caller, lang, out).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct GrantForm {
    username: String,
    /// administrator, coordinator, reporter, reviewer or analyst.
    #[schema(pattern = "^(administrator|coordinator|reporter|reviewer|analyst)$")]
    role: String,
    #[serde(default)]
    department: String,
    area: String,
}

impl GrantForm {
    fn grant(&self) -> Result<Grant, String> {
        let role: Role = self.role.parse()?;
        let department = Some(self.department.trim().to_string()).filter(|d| !d.is_empty());
        Ok(Grant { role, department, area: self.area.trim().to_string() })
    }
}

/// Grants a role over an area (and a department) to a user, inside the administrator's own.
#[utoipa::path(post, path = "/admin/grants", tag = "pages", request_body(content = GrantForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "HTML"), (status = 422, description = "Refused, with the reason")))]
async fn add_grant(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Form(f): Form<GrantForm>,
) -> ApiResult<Response> {
    let out = match f.grant() {
        Err(e) => refused(e),
        Ok(g) if s.store.area(&g.area).await?.is_none() => refused(format!("area {}: {}", g.area, lang.pick("not found", "未找到"))),
        Ok(g) if !may_manage(&s, &caller, &g).await? => refused(lang.pick(
            "outside your own grants: an administrator grants only within its areas and department",
            "超出您的权限：管理员只能在本人负责的地区和部门范围内授权",
        )),
        Ok(g) => outcome(s.store.grant(f.username.trim(), &g, &caller.actor()).await, "admin_granted")?,
    };
    render_admin(&s, &caller, lang, out).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct DisabledForm {
    /// `true` disables, `false` enables.
    disabled: bool,
}

/// Disables (or enables again) a user: its sessions and tokens stop working.
#[utoipa::path(post, path = "/admin/users/{username}/disabled", tag = "pages", params(("username" = String, Path)),
    request_body(content = DisabledForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "HTML"), (status = 422, description = "Refused, with the reason")))]
async fn set_disabled(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Path(username): Path<String>,
    Form(f): Form<DisabledForm>,
) -> ApiResult<Response> {
    let me = caller.principal.as_ref().map(|p| p.username.as_str());
    let out = if me == Some(username.as_str()) {
        refused(lang.pick("you cannot disable yourself", "不能停用自己的账号"))
    } else if !may_manage_user(&s, &caller, &username).await? {
        refused(lang.pick("this user holds grants outside yours", "该用户持有超出您权限范围的授权"))
    } else {
        outcome(
            s.store.set_user_disabled(&username, f.disabled, &caller.actor()).await,
            if f.disabled { "admin_disabled" } else { "admin_enabled" },
        )?
    };
    render_admin(&s, &caller, lang, out).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct TokenForm {
    username: String,
    /// What the token is for, e.g. "provincial ETL".
    #[schema(min_length = 1)]
    name: String,
    /// administrator, coordinator, reporter, reviewer or analyst.
    #[schema(pattern = "^(administrator|coordinator|reporter|reviewer|analyst)$")]
    role: String,
    #[serde(default)]
    department: String,
    area: String,
    /// Days until it expires (1 to 366).
    #[schema(minimum = 1, maximum = 366)]
    days: i64,
}

/// Issues an API token carrying one grant of a user; its secret is shown once, on this page.
#[utoipa::path(post, path = "/admin/tokens", tag = "pages", request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "HTML, with the secret"), (status = 422, description = "Refused, with the reason")))]
async fn create_token(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Form(f): Form<TokenForm>,
) -> ApiResult<Response> {
    let form = GrantForm { username: f.username.clone(), role: f.role.clone(), department: f.department.clone(), area: f.area.clone() };
    let out = match form.grant() {
        Err(e) => refused(e),
        Ok(_) if !(1..=366).contains(&f.days) => refused(lang.pick("days: expected 1 to 366", "有效天数：应为1至366")),
        Ok(g) if s.store.area(&g.area).await?.is_none() => refused(format!("area {}: {}", g.area, lang.pick("not found", "未找到"))),
        Ok(g) if !may_manage(&s, &caller, &g).await? => refused(lang.pick("outside your own grants", "超出您的权限范围")),
        Ok(g) => match s.store.create_token(f.username.trim(), f.name.trim(), &g, f.days, &caller.actor()).await {
            Ok((_, secret)) => Outcome { done: Some("admin_token_created"), secret: Some(secret), ..Default::default() },
            Err(e) => outcome::<()>(Err(e), "")?,
        },
    };
    render_admin(&s, &caller, lang, out).await
}

/// Revokes an API token.
#[utoipa::path(post, path = "/admin/tokens/{id}/revoke", tag = "pages", params(("id" = i64, Path)),
    responses((status = 200, description = "HTML"), (status = 422, description = "Refused, with the reason")))]
async fn revoke_token(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let token = s.store.tokens().await?.into_iter().find(|t| t.id == id).ok_or_else(|| ApiError::NotFound(format!("token {id}")))?;
    let signed_with = caller.principal.as_ref().map(|p| &p.credential) == Some(&rightstat_store::Credential::Token { id });
    let out = if signed_with {
        // A program revoking the token it runs on would lock itself out mid-task: another
        // session revokes it.
        refused(
            lang.pick("this request is signed with that token: revoke it from another session", "本次请求正使用该令牌：请在其他会话中撤销"),
        )
    } else if may_manage(&s, &caller, &token.grant).await? {
        outcome(s.store.revoke_token(id, &caller.actor()).await, "admin_token_revoked")?
    } else {
        refused(lang.pick("outside your own grants", "超出您的权限范围"))
    };
    render_admin(&s, &caller, lang, out).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    actor: Option<String>,
    /// e.g. observations.import, user.grant, round.release
    action: Option<String>,
    entity: Option<String>,
    /// From this day (YYYY-MM-DD) or instant.
    from: Option<String>,
}

/// The audit trail, newest first (200 records), filtered; whether its hash chain is intact.
#[utoipa::path(get, path = "/admin/audit", tag = "pages", params(AuditQuery), responses((status = 200, description = "HTML"), (status = 403, description = "Administrators only")))]
async fn audit_page(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Response> {
    let some = |x: &Option<String>| x.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let filter = AuditFilter {
        actor: some(&q.actor),
        action: some(&q.action),
        entity: some(&q.entity),
        from: some(&q.from),
        to: None,
        limit: Some(200),
    };
    let rows = s.store.audit_log(&filter).await?;
    let check = s.store.verify_audit().await?;
    Ok(pages::render(
        "admin_audit.html",
        lang,
        minijinja::context! {
            rows => v(&rows), records => check.records, broken => v(&check.broken),
            q_actor => filter.actor, q_action => filter.action, q_entity => filter.entity, q_from => filter.from,
            here => "/admin/audit", signed_in => signed_in(&caller),
        },
    ))
}

async fn render_publishing(s: &AppState, caller: &Caller, lang: Lang, done: Option<i64>) -> ApiResult<Response> {
    let batches = s.store.unpublished_batches().await?;
    let mut rows = Vec::new();
    for b in &batches {
        let area = match &b.scope_area {
            Some(code) => s.store.area(code).await?.map(|a| if lang == Lang::Zh { a.name_zh } else { a.name_en.unwrap_or(a.name_zh) }),
            None => None,
        };
        rows.push(serde_json::json!({ "b": b, "area": area }));
    }
    Ok(pages::render(
        "admin_publishing.html",
        lang,
        minijinja::context! {
            rows => v(&rows), done => done, csrf => crate::routes::task_pages::csrf(caller),
            here => "/admin/publishing", signed_in => signed_in(caller),
        },
    ))
}

/// Imports waiting to be made public (outside collection rounds, whose figures are released
/// from each round's queue): source, rows, who loaded them and where, with a button each.
#[utoipa::path(get, path = "/admin/publishing", tag = "pages", responses((status = 200, description = "HTML")))]
async fn publishing_page(State(s): State<AppState>, Extension(caller): Extension<Caller>, PageLang(lang): PageLang) -> ApiResult<Response> {
    render_publishing(&s, &caller, lang, None).await
}

/// Publishes one imported batch (as `POST /api/v1/batches/{id}/publish`); the page again.
#[utoipa::path(post, path = "/admin/batches/{id}/publish", tag = "pages", params(("id" = i64, Path)), responses((status = 200, description = "HTML")))]
async fn publish_batch(
    State(s): State<AppState>,
    Extension(caller): Extension<Caller>,
    PageLang(lang): PageLang,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    s.store.publish_batch(id, &caller.actor()).await?;
    render_publishing(&s, &caller, lang, Some(id)).await
}
