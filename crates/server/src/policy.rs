//! The route table: which policy action every route needs. The authorisation middleware looks
//! up each request here and asks `rightstat_core::policy::decide`; a route missing from this
//! table is refused (500) and fails the route × role test.

use axum::http::Method;
use rightstat_core::policy::Action;

/// (method, path template as in the router, action)
pub const ROUTES: &[(&str, &str, Action)] = &[
    ("GET", "/", Action::ReadPublic),
    ("GET", "/healthz", Action::ReadPublic),
    ("GET", "/login", Action::ReadPublic),
    ("POST", "/login", Action::ReadPublic),
    ("POST", "/logout", Action::Session),
    ("GET", "/api/v1/openapi.json", Action::ReadPublic),
    ("GET", "/api/docs", Action::ReadPublic),
    ("GET", "/api/v1/me", Action::Session),
    ("GET", "/api/v1/indicators", Action::ReadPublic),
    ("GET", "/api/v1/indicators/{code}", Action::ReadPublic),
    ("GET", "/api/v1/indicators/{code}/versions", Action::ReadPublic),
    ("GET", "/api/v1/areas/{code}", Action::ReadPublic),
    ("GET", "/api/v1/areas/{code}/children", Action::ReadPublic),
    ("GET", "/api/v1/areas/{code}/descendants", Action::ReadPublic),
    ("GET", "/api/v1/areas/{code}/tree", Action::ReadPublic),
    // Published figures for everyone; unpublished ones filtered by the caller's areas.
    ("GET", "/api/v1/observations", Action::ReadPublic),
    ("GET", "/api/v1/codelists", Action::ReadPublic),
    ("GET", "/api/v1/codelists/{id}", Action::ReadPublic),
    ("GET", "/api/v1/units", Action::ReadPublic),
    ("GET", "/api/v1/departments", Action::ReadPublic),
    ("GET", "/api/v1/icescr", Action::ReadPublic),
    ("GET", "/api/v1/glossary", Action::ReadPublic),
    ("PUT", "/api/v1/glossary", Action::Administer),
    ("GET", "/api/v1/sdg", Action::ReadPublic),
    ("POST", "/api/v1/imports", Action::WriteObservations),
    // Published batches for everyone; others within the caller's areas (checked in the handler).
    ("GET", "/api/v1/batches/{id}", Action::ReadPublic),
    ("POST", "/api/v1/batches/{id}/publish", Action::Publish),
    ("GET", "/api/v1/audit", Action::ReadAudit),
    // Recommendations are public documents; assessments are shown to signed-in users only
    // (decided in the handler), and a coordinator's assessments are checked against its department.
    ("GET", "/api/v1/recommendations", Action::ReadPublic),
    ("GET", "/api/v1/recommendations/{uid}", Action::ReadPublic),
    ("POST", "/api/v1/recommendations/import", Action::Administer),
    ("GET", "/api/v1/lists-of-issues", Action::ReadPublic),
    ("POST", "/api/v1/lists-of-issues", Action::Administer),
    // Evaluation from published figures only; benchmarks come from public plans and targets.
    ("GET", "/api/v1/evaluation", Action::ReadPublic),
    ("GET", "/api/v1/evaluation/resources", Action::ReadPublic),
    ("GET", "/api/v1/evaluation/sdg", Action::ReadPublic),
    ("GET", "/api/v1/benchmarks", Action::ReadPublic),
    ("POST", "/api/v1/benchmarks", Action::Administer),
    // Retrogression cases and the departments' answers are internal until a report carries
    // them; a coordinator's answer is checked against the indicator's department in the handler.
    ("GET", "/api/v1/retrogression-cases", Action::ReadTasks),
    ("POST", "/api/v1/retrogression-cases/answers", Action::FollowUp),
    ("POST", "/api/v1/recommendations/{uid}/assessments", Action::FollowUp),
    ("POST", "/api/v1/recommendations/{uid}/links", Action::Administer),
    ("DELETE", "/api/v1/recommendations/{uid}/links/{kind}/{code}", Action::Administer),
    ("GET", "/api/v1/clusters", Action::ReadPublic),
    ("GET", "/api/v1/measures", Action::ReadPublic),
    ("GET", "/api/v1/measures/{code}", Action::ReadPublic),
    ("PUT", "/api/v1/measures/{code}", Action::Administer),
    // Rounds: tasks are filtered (or 404) by the caller's areas and department in the handlers.
    ("GET", "/api/v1/rounds", Action::ReadTasks),
    ("POST", "/api/v1/rounds", Action::Administer),
    ("POST", "/api/v1/rounds/{round}/open", Action::Administer),
    ("POST", "/api/v1/rounds/{round}/close", Action::Administer),
    // Release: administrators, and of those the round's lead department (checked in the handler).
    ("GET", "/api/v1/rounds/{round}/releases", Action::ReadTasks),
    ("POST", "/api/v1/rounds/{round}/releases", Action::Publish),
    ("POST", "/rounds/{round}/release", Action::Publish),
    ("POST", "/rounds/{round}/questions/{id}/answer", Action::Administer),
    ("GET", "/api/v1/rounds/{round}/tasks", Action::ReadTasks),
    ("GET", "/api/v1/rounds/{round}/completeness", Action::ReadTasks),
    ("GET", "/api/v1/rounds/{round}/discrepancies", Action::ReadTasks),
    ("GET", "/api/v1/tasks/{id}/draft", Action::ReadTasks),
    ("PUT", "/api/v1/tasks/{id}/draft", Action::WriteObservations),
    ("GET", "/api/v1/tasks/{id}", Action::ReadTasks),
    ("GET", "/api/v1/tasks/{id}/template", Action::ReadTasks),
    ("POST", "/api/v1/tasks/{id}/submissions", Action::WriteObservations),
    ("POST", "/api/v1/tasks/{id}/review", Action::Review),
    ("POST", "/api/v1/tasks/{id}/questions", Action::ReadTasks),
    ("GET", "/api/v1/rounds/{round}/questions", Action::ReadTasks),
    ("POST", "/api/v1/questions/{id}/answer", Action::Administer),
    ("GET", "/rounds", Action::ReadTasks),
    // Drafts of the State's reports, from published figures: signed-in users.
    ("GET", "/reports", Action::ReadTasks),
    ("GET", "/reports/{kind}", Action::ReadTasks),
    ("GET", "/reports/{kind}/checks", Action::ReadTasks),
    ("GET", "/api/v1/reports/{kind}/checks", Action::ReadTasks),
    ("GET", "/rounds/new", Action::Administer),
    ("POST", "/rounds/new", Action::Administer),
    ("GET", "/rounds/{round}", Action::ReadTasks),
    ("POST", "/rounds/{round}/close", Action::Administer),
    ("GET", "/tasks", Action::ReadTasks),
    ("GET", "/tasks/{id}", Action::ReadTasks),
    ("POST", "/tasks/{id}/form", Action::WriteObservations),
    ("POST", "/tasks/{id}/upload", Action::WriteObservations),
    ("POST", "/tasks/{id}/review", Action::Review),
    ("POST", "/tasks/review", Action::Review),
    ("POST", "/tasks/{id}/question", Action::ReadTasks),
    ("GET", "/static/form.js", Action::ReadPublic),
    ("GET", "/recommendations", Action::ReadPublic),
    ("GET", "/evaluation", Action::ReadPublic),
    ("GET", "/evaluation/{article}", Action::ReadPublic),
    ("GET", "/evaluation/sdg/{goal}", Action::ReadPublic),
    ("GET", "/evaluation/benchmarks", Action::ReadPublic),
    ("POST", "/evaluation/benchmarks", Action::Administer),
    ("GET", "/retrogression", Action::ReadTasks),
    ("GET", "/retrogression/{indicator}/{year}", Action::ReadTasks),
    ("POST", "/retrogression/{indicator}/{year}", Action::FollowUp),
    ("GET", "/recommendations/{uid}", Action::ReadPublic),
    ("GET", "/measures", Action::ReadPublic),
    ("GET", "/measures/{code}", Action::ReadPublic),
    ("GET", "/rightstat.css", Action::ReadPublic),
    // Administration pages: users, grants, tokens (administrators, inside their own grants) and
    // the audit trail.
    ("GET", "/admin", Action::Administer),
    ("POST", "/admin/users", Action::Administer),
    ("POST", "/admin/grants", Action::Administer),
    ("POST", "/admin/users/{username}/disabled", Action::Administer),
    ("POST", "/admin/tokens", Action::Administer),
    ("POST", "/admin/tokens/{id}/revoke", Action::Administer),
    ("GET", "/admin/audit", Action::ReadAudit),
    ("GET", "/admin/catalogue", Action::Administer),
    ("GET", "/admin/catalogue/{code}", Action::Administer),
    ("POST", "/admin/catalogue/{code}", Action::Administer),
    ("GET", "/admin/glossary", Action::Administer),
    ("POST", "/admin/glossary", Action::Administer),
    ("GET", "/admin/codelists", Action::Administer),
    ("GET", "/admin/publishing", Action::Publish),
    ("POST", "/admin/batches/{id}/publish", Action::Publish),
    ("GET", "/portal.js", Action::ReadPublic),
    ("GET", "/en/{page}", Action::ReadPublic),
    ("GET", "/zh/{page}", Action::ReadPublic),
    ("GET", "/en/indicators/{file}", Action::ReadPublic),
    ("GET", "/zh/indicators/{file}", Action::ReadPublic),
    ("GET", "/data/{file}", Action::ReadPublic),
    ("GET", "/sdmx/2.1/data/{flow}", Action::ReadPublic),
    ("GET", "/sdmx/2.1/data/{flow}/{key}", Action::ReadPublic),
    ("GET", "/sdmx/2.1/data/{flow}/{key}/{provider}", Action::ReadPublic),
    ("GET", "/sdmx/2.1/{resource}/{agency}/{id}/{version}", Action::ReadPublic),
    ("GET", "/sdmx/2.1/{resource}/{agency}/{id}", Action::ReadPublic),
    ("GET", "/sdmx/2.1/availableconstraint/{flow}/{key}", Action::ReadPublic),
];

pub fn action_for(method: &Method, path: &str) -> Option<Action> {
    // HEAD is GET without the body.
    let method = if method == Method::HEAD { "GET" } else { method.as_str() };
    ROUTES.iter().find(|(m, p, _)| *m == method && *p == path).map(|(_, _, a)| *a)
}

/// The methods a route answers (for `Allow`): its declared ones, HEAD beside GET, and OPTIONS.
pub fn allowed_methods(path: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = ROUTES.iter().filter(|(_, p, _)| *p == path).map(|(m, _, _)| *m).collect();
    if out.contains(&"GET") {
        out.push("HEAD");
    }
    if !out.is_empty() {
        out.push("OPTIONS");
    }
    out
}
