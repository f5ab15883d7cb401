//! Who may do what, where: the single authorisation policy.
//!
//! A principal holds grants (role × optional department × area subtree). [`decide`] answers
//! one question — may this principal perform this action on a resource in this area? — from
//! the grants alone, so the server asks it for every request and tests can enumerate it.
//! The caller supplies the resource area's chain of ancestors (the area itself first), since
//! the hierarchy lives in the database.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Roles, from the lead department down to the public.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    /// The lead department: catalogue, rounds, users, publication, audit.
    Administrator,
    /// A department's tasks across its areas.
    Coordinator,
    /// Enters and submits data for its own department and areas only.
    Reporter,
    /// Approves or returns submissions from the areas below it.
    Reviewer,
    /// Human-rights experts and state organs: reads everything, including unpublished
    /// aggregates, but no microdata rows.
    Analyst,
    /// Published data only, no login.
    Public,
}

impl Role {
    pub const ALL: [Role; 6] = [Role::Administrator, Role::Coordinator, Role::Reporter, Role::Reviewer, Role::Analyst, Role::Public];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Coordinator => "coordinator",
            Role::Reporter => "reporter",
            Role::Reviewer => "reviewer",
            Role::Analyst => "analyst",
            Role::Public => "public",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| format!("unknown role '{s}': expected administrator, coordinator, reporter, reviewer, analyst or public"))
    }
}

/// One grant: a role over an area subtree, optionally for one department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Grant {
    pub role: Role,
    pub department: Option<String>,
    /// Root of the area subtree the grant covers (`CN` for the whole country).
    pub area: String,
}

/// What a request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Reference content and published figures.
    ReadPublic,
    /// Unpublished figures and import batches, within an area.
    ReadUnpublished,
    /// Load observations for an area (file upload or API).
    WriteObservations,
    /// Make figures public.
    Publish,
    /// Read or export the audit trail.
    ReadAudit,
    /// Change the catalogue, areas, users, recommendations and measures.
    Administer,
    /// Approve or return submissions from the areas below.
    Review,
    /// Read collection rounds and one's own tasks.
    ReadTasks,
    /// Record the follow-up of recommendations (assessments by the responsible department).
    FollowUp,
    /// Who am I, sign out: any signed-in user.
    Session,
}

/// The outcome, with the reason for the log and the error message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Not signed in and the action needs a signed-in user (HTTP 401).
    Unauthenticated,
    /// Signed in, but no grant allows it here (HTTP 403).
    Forbidden(String),
}

/// The roles that may perform an action at all (before looking at areas).
pub fn roles_for(action: Action) -> &'static [Role] {
    use Role::*;
    match action {
        Action::ReadPublic => &[Administrator, Coordinator, Reporter, Reviewer, Analyst, Public],
        Action::ReadUnpublished => &[Administrator, Coordinator, Reporter, Reviewer, Analyst],
        Action::WriteObservations => &[Administrator, Coordinator, Reporter],
        Action::Publish | Action::ReadAudit | Action::Administer => &[Administrator],
        Action::FollowUp => &[Administrator, Coordinator],
        Action::Review => &[Administrator, Reviewer],
        Action::ReadTasks => &[Administrator, Coordinator, Reporter, Reviewer, Analyst],
        Action::Session => &[Administrator, Coordinator, Reporter, Reviewer, Analyst],
    }
}

/// Does the principal's role set allow the action somewhere, regardless of area?
/// (Analysts and administrators act everywhere; others within their grants.)
pub fn decide(grants: Option<&[Grant]>, action: Action, area_chain: Option<&[&str]>) -> Decision {
    let allowed = roles_for(action);
    let Some(grants) = grants else {
        return if allowed.contains(&Role::Public) { Decision::Allow } else { Decision::Unauthenticated };
    };
    if allowed.contains(&Role::Public) {
        return Decision::Allow;
    }
    let fitting: Vec<&Grant> = grants.iter().filter(|g| allowed.contains(&g.role)).collect();
    if fitting.is_empty() {
        return Decision::Forbidden(format!(
            "no role allows this; it needs one of: {}",
            allowed.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    let Some(chain) = area_chain else { return Decision::Allow };
    // Analysts read everywhere; everyone else only inside the subtree of a grant.
    let covers = |g: &&Grant| (g.role == Role::Analyst && action == Action::ReadUnpublished) || chain.contains(&g.area.as_str());
    if fitting.iter().any(covers) {
        Decision::Allow
    } else {
        Decision::Forbidden(format!("area {} is outside your areas of responsibility", chain.first().copied().unwrap_or("?")))
    }
}

/// May the principal review a submission now? `stage_area` is the area whose reviewers act at
/// the current stage of a round reviewed in stages (None: one review by any reviewer above);
/// `above` is the chain of areas above the submission's own, nearest first. A stage belongs to
/// its own area's reviewers (a county's reviewer neither pre-empts the township's check nor
/// repeats it); the lead department's administrators may act at any stage above the area.
pub fn decide_review(grants: Option<&[Grant]>, stage_area: Option<&str>, above: &[&str]) -> Decision {
    if above.is_empty() {
        return Decision::Forbidden("no level above this area reviews it".into());
    }
    let Some(stage) = stage_area else { return decide(grants, Action::Review, Some(above)) };
    match decide(grants, Action::Review, Some(&[stage])) {
        Decision::Forbidden(_)
            if grants.is_some_and(|gs| gs.iter().any(|g| g.role == Role::Administrator && above.contains(&g.area.as_str()))) =>
        {
            Decision::Allow
        }
        Decision::Forbidden(_) => Decision::Forbidden(format!("this review stage belongs to the reviewers of area {stage}")),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(role: Role, area: &str) -> Grant {
        Grant { role, department: None, area: area.into() }
    }

    const COUNTY: &[&str] = &["130102", "1301", "13", "CN"];
    const OTHER: &[&str] = &["110101", "1101", "11", "CN"];

    #[test]
    fn a_review_stage_belongs_to_its_own_level() {
        const ABOVE_VILLAGE: &[&str] = &["130104001", "130104", "1301", "13", "CN"];
        let township = [g(Role::Reviewer, "130104001")];
        let county = [g(Role::Reviewer, "130104")];
        let admin = [g(Role::Administrator, "CN")];
        // The township's stage: its reviewer, not the county's; the lead department may act.
        assert_eq!(decide_review(Some(&township), Some("130104001"), ABOVE_VILLAGE), Decision::Allow);
        assert!(matches!(decide_review(Some(&county), Some("130104001"), ABOVE_VILLAGE), Decision::Forbidden(_)));
        assert_eq!(decide_review(Some(&admin), Some("130104001"), ABOVE_VILLAGE), Decision::Allow);
        // The county's stage: the county's reviewer, not the township's.
        assert_eq!(decide_review(Some(&county), Some("130104"), &ABOVE_VILLAGE[1..]), Decision::Allow);
        assert!(matches!(decide_review(Some(&township), Some("130104"), &ABOVE_VILLAGE[1..]), Decision::Forbidden(_)));
        // One review: any reviewer above; the whole country's task has no level above.
        assert_eq!(decide_review(Some(&county), None, ABOVE_VILLAGE), Decision::Allow);
        assert!(matches!(decide_review(Some(&admin), None, &[]), Decision::Forbidden(_)));
        assert_eq!(decide_review(None, Some("130104001"), ABOVE_VILLAGE), Decision::Unauthenticated);
    }

    #[test]
    fn reporters_act_only_in_their_subtree() {
        let r = [g(Role::Reporter, "130102")];
        assert_eq!(decide(Some(&r), Action::WriteObservations, Some(COUNTY)), Decision::Allow);
        assert!(matches!(decide(Some(&r), Action::WriteObservations, Some(OTHER)), Decision::Forbidden(_)));
        assert!(matches!(decide(Some(&r), Action::ReadUnpublished, Some(OTHER)), Decision::Forbidden(_)));
        assert!(matches!(decide(Some(&r), Action::Publish, None), Decision::Forbidden(_)));
    }

    #[test]
    fn reviewers_read_below_their_province_but_do_not_write() {
        let r = [g(Role::Reviewer, "13")];
        assert_eq!(decide(Some(&r), Action::ReadUnpublished, Some(COUNTY)), Decision::Allow);
        assert!(matches!(decide(Some(&r), Action::WriteObservations, Some(COUNTY)), Decision::Forbidden(_)));
    }

    #[test]
    fn analysts_read_everywhere_and_the_public_reads_published_only() {
        let a = [g(Role::Analyst, "CN")];
        assert_eq!(decide(Some(&a), Action::ReadUnpublished, Some(OTHER)), Decision::Allow);
        assert!(matches!(decide(Some(&a), Action::WriteObservations, Some(OTHER)), Decision::Forbidden(_)));
        assert_eq!(decide(None, Action::ReadPublic, None), Decision::Allow);
        assert_eq!(decide(None, Action::ReadUnpublished, Some(COUNTY)), Decision::Unauthenticated);
        assert_eq!(decide(None, Action::Session, None), Decision::Unauthenticated);
    }
}
