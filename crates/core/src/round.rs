//! Collection rounds: what a round asks for, the life of a task (not started → draft →
//! submitted → returned or approved; a correction after approval is a new submission with a
//! reason), and completeness and timeliness as DHIS2 defines them (received ÷ expected, on
//! time ÷ expected).

use serde::{Deserialize, Serialize};

/// A round as its lead department writes it (TOML or JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoundSpec {
    /// A short code, e.g. POV-2023.
    pub code: String,
    pub title_en: String,
    pub title_zh: String,
    /// Periods to report, e.g. ["2023"].
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub periods: Vec<String>,
    /// YYYY-MM-DD: submissions after it are late.
    pub deadline: String,
    pub lead_department: String,
    /// Release an item automatically once at least this share (%) of the tasks reporting it
    /// are approved; absent: the lead department releases by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_when_pct: Option<f64>,
    /// The levels that review a submission, one after the other, lowest first (e.g. township,
    /// then county): each level's reviewer checks it before the next sees it, and only the last
    /// approval locks and rolls up the figures. Levels not above a task's area are skipped.
    /// Empty: one review by any reviewer above the area.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub review_levels: Vec<crate::area::AreaLevel>,
    #[serde(rename = "item")]
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub items: Vec<RoundItem>,
    #[serde(rename = "assignment")]
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub assignments: Vec<Assignment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoundItem {
    pub indicator: String,
    /// Purpose, requirements, matters needing attention (the indicator's own guidance is shown too).
    #[serde(default)]
    pub guidance_en: String,
    #[serde(default)]
    pub guidance_zh: String,
    /// When several departments report this item for the same area: whose figures are the
    /// official series (the others' are kept and compared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_department: Option<String>,
}

/// Which department reports which items for which areas: `area` itself, or with `level`
/// every area at that level below it (e.g. every county of a province).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assignment {
    pub department: String,
    pub area: String,
    #[serde(default)]
    pub level: Option<crate::area::AreaLevel>,
    /// Items of the round (all when empty).
    #[serde(default)]
    pub indicators: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RoundError {
    #[error("round code '{0}' must be letters, digits, - and _")]
    BadCode(String),
    #[error("round {0}: a round asks for at least one item, one period and one assignment")]
    Empty(String),
    #[error("round {round}: deadline '{deadline}' is not a date (YYYY-MM-DD)")]
    BadDeadline { round: String, deadline: String },
    #[error("round {round}: period '{period}': {why}")]
    BadPeriod { round: String, period: String, why: String },
    #[error("round {round}: assignment for {department} in {area} names {indicator}, which is not an item of the round")]
    NotAnItem { round: String, department: String, area: String, indicator: String },
    #[error("round {round}: item {indicator} is listed twice")]
    DuplicateItem { round: String, indicator: String },
    #[error(
        "round {round}: {indicator} for area {area} is reported by {departments}: declare one of them as the item's preferred_department"
    )]
    NoPreferredSource { round: String, indicator: String, area: String, departments: String },
    #[error("round {round}: the preferred department {department} of {indicator} is not assigned that item")]
    PreferredNotAssigned { round: String, indicator: String, department: String },
    #[error("round {round}: release_when_pct {pct} must be a share of tasks above 0 and at most 100")]
    BadReleaseRule { round: String, pct: f64 },
    #[error("round {round}: review_levels must go up the hierarchy, lowest first, each once and below the country (e.g. township, county)")]
    BadReviewLevels { round: String },
}

impl RoundSpec {
    /// Checks what can be checked without the database (indicators, departments and areas are
    /// checked by the store).
    pub fn check(&self) -> Result<(), RoundError> {
        let round = || self.code.clone();
        if self.code.is_empty() || !self.code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(RoundError::BadCode(round()));
        }
        if self.items.is_empty() || self.periods.is_empty() || self.assignments.is_empty() {
            return Err(RoundError::Empty(round()));
        }
        if !crate::measure::is_iso_date(&self.deadline) {
            return Err(RoundError::BadDeadline { round: round(), deadline: self.deadline.clone() });
        }
        if let Some(p) = self.release_when_pct
            && !(p > 0.0 && p <= 100.0)
        {
            return Err(RoundError::BadReleaseRule { round: round(), pct: p });
        }
        if self.review_levels.windows(2).any(|w| w[0] <= w[1]) || self.review_levels.contains(&crate::area::AreaLevel::Country) {
            return Err(RoundError::BadReviewLevels { round: round() });
        }
        for p in &self.periods {
            p.parse::<crate::period::Period>().map_err(|e| RoundError::BadPeriod {
                round: round(),
                period: p.clone(),
                why: e.to_string(),
            })?;
        }
        let mut seen = std::collections::HashSet::new();
        for i in &self.items {
            if !seen.insert(i.indicator.as_str()) {
                return Err(RoundError::DuplicateItem { round: round(), indicator: i.indicator.clone() });
            }
        }
        for a in &self.assignments {
            if let Some(i) = a.indicators.iter().find(|i| !seen.contains(i.as_str())) {
                return Err(RoundError::NotAnItem {
                    round: round(),
                    department: a.department.clone(),
                    area: a.area.clone(),
                    indicator: i.clone(),
                });
            }
        }
        Ok(())
    }
}

/// Expanded assignments: (department, area) → the items that task reports.
pub type TaskItems = std::collections::BTreeMap<(String, String), std::collections::BTreeSet<String>>;

impl RoundSpec {
    /// For each task, the items it reports as a second source: where several departments
    /// report an item for one area, all but the item's preferred department. Refuses such an
    /// overlap without a preferred department, so the official series is never ambiguous.
    pub fn second_sources(&self, tasks: &TaskItems) -> Result<TaskItems, RoundError> {
        let mut reporters: std::collections::BTreeMap<(&str, &str), Vec<&str>> = Default::default();
        for ((dept, area), items) in tasks {
            for i in items {
                reporters.entry((i.as_str(), area.as_str())).or_default().push(dept.as_str());
            }
        }
        for item in &self.items {
            if let Some(p) = &item.preferred_department
                && !reporters.iter().any(|((i, _), ds)| *i == item.indicator && ds.contains(&p.as_str()))
            {
                return Err(RoundError::PreferredNotAssigned {
                    round: self.code.clone(),
                    indicator: item.indicator.clone(),
                    department: p.clone(),
                });
            }
        }
        let mut second = TaskItems::new();
        for ((indicator, area), depts) in reporters.into_iter().filter(|(_, ds)| ds.len() > 1) {
            let preferred = self.items.iter().find(|i| i.indicator == indicator).and_then(|i| i.preferred_department.as_deref());
            match preferred.filter(|p| depts.contains(p)) {
                Some(p) => {
                    for d in depts.into_iter().filter(|d| *d != p) {
                        second.entry((d.to_string(), area.to_string())).or_default().insert(indicator.to_string());
                    }
                }
                None => {
                    return Err(RoundError::NoPreferredSource {
                        round: self.code.clone(),
                        indicator: indicator.to_string(),
                        area: area.to_string(),
                        departments: depts.join(", "),
                    });
                }
            }
        }
        Ok(second)
    }
}

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TaskStatus {
    NotStarted,
    Draft,
    Submitted,
    Returned,
    Approved,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 5] =
        [TaskStatus::NotStarted, TaskStatus::Draft, TaskStatus::Submitted, TaskStatus::Returned, TaskStatus::Approved];
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::NotStarted => "not_started",
            TaskStatus::Draft => "draft",
            TaskStatus::Submitted => "submitted",
            TaskStatus::Returned => "returned",
            TaskStatus::Approved => "approved",
        }
    }
}

impl std::str::FromStr for TaskStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|x| x.as_str() == s).ok_or_else(|| format!("unknown task status '{s}'"))
    }
}

/// What someone does to a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskAction {
    SaveDraft,
    Submit,
    Return,
    Approve,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TransitionError {
    #[error("a {from} task cannot be {action}")]
    NotAllowed { from: &'static str, action: &'static str },
    #[error("a correction of approved figures needs a reason")]
    ReasonRequired,
    #[error("returning a submission needs a comment saying what to fix")]
    CommentRequired,
}

/// The task's next status, or why the action is not allowed now.
pub fn transition(from: TaskStatus, action: TaskAction, text: &str) -> Result<TaskStatus, TransitionError> {
    use TaskAction::*;
    use TaskStatus::*;
    let verb = match action {
        SaveDraft => "saved as a draft",
        Submit => "submitted",
        Return => "returned",
        Approve => "approved",
    };
    match (from, action) {
        (NotStarted | Draft | Returned, SaveDraft) => Ok(Draft),
        (NotStarted | Draft | Returned, Submit) => Ok(Submitted),
        // Approved figures are locked: a correction is a new submission, with a reason.
        (Approved, Submit) if text.trim().is_empty() => Err(TransitionError::ReasonRequired),
        (Approved, Submit) => Ok(Submitted),
        (Submitted, Return) if text.trim().is_empty() => Err(TransitionError::CommentRequired),
        (Submitted, Return) => Ok(Returned),
        (Submitted, Approve) => Ok(Approved),
        _ => Err(TransitionError::NotAllowed { from: from.as_str(), action: verb }),
    }
}

/// The review stages of a task in an area at `level`: the round's review levels above it, lowest
/// first. Empty: one review by any reviewer above the area.
pub fn review_stages(review_levels: &[crate::area::AreaLevel], level: crate::area::AreaLevel) -> Vec<crate::area::AreaLevel> {
    review_levels.iter().copied().filter(|l| *l < level).collect()
}

/// Where a reviewer's decision leaves a submitted task that has passed `passed` of its `stages`
/// review stages: approving a stage before the last keeps it submitted for the next level (the
/// figures stay unaccepted); the last approval accepts it; a return sends it back to the
/// reporter and the stages start again with the resubmission.
pub fn review_outcome(passed: usize, stages: usize, approve: bool, comment: &str) -> Result<(TaskStatus, usize), TransitionError> {
    if approve && passed + 1 < stages {
        return Ok((TaskStatus::Submitted, passed + 1));
    }
    let action = if approve { TaskAction::Approve } else { TaskAction::Return };
    Ok((transition(TaskStatus::Submitted, action, comment)?, 0))
}

/// Reports received and on time against those expected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Completeness {
    pub expected: u64,
    /// Submitted or approved.
    pub received: u64,
    /// Received by the deadline.
    pub on_time: u64,
    pub approved: u64,
}

impl Completeness {
    /// Adds one task; `submitted_on` is the first submission's date (YYYY-MM-DD).
    pub fn add(&mut self, status: TaskStatus, submitted_on: Option<&str>, deadline: &str) {
        self.expected += 1;
        if matches!(status, TaskStatus::Submitted | TaskStatus::Approved) {
            self.received += 1;
            if submitted_on.is_some_and(|d| d <= deadline) {
                self.on_time += 1;
            }
        }
        if status == TaskStatus::Approved {
            self.approved += 1;
        }
    }

    pub fn completeness(&self) -> f64 {
        if self.expected == 0 { 0.0 } else { self.received as f64 / self.expected as f64 * 100.0 }
    }

    pub fn timeliness(&self) -> f64 {
        if self.expected == 0 { 0.0 } else { self.on_time as f64 / self.expected as f64 * 100.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TaskAction::*;
    use TaskStatus::*;

    #[test]
    fn the_life_of_a_task() {
        assert_eq!(transition(NotStarted, SaveDraft, ""), Ok(Draft));
        assert_eq!(transition(Draft, Submit, ""), Ok(Submitted));
        assert_eq!(transition(Submitted, Return, ""), Err(TransitionError::CommentRequired));
        assert_eq!(transition(Submitted, Return, "row 12: the total is wrong"), Ok(Returned));
        assert_eq!(transition(Returned, Submit, ""), Ok(Submitted));
        assert_eq!(transition(Submitted, Approve, ""), Ok(Approved));
        assert!(matches!(transition(Approved, SaveDraft, ""), Err(TransitionError::NotAllowed { .. })));
        assert_eq!(transition(Approved, Submit, ""), Err(TransitionError::ReasonRequired));
        assert_eq!(transition(Approved, Submit, "census revision"), Ok(Submitted));
        assert!(matches!(transition(Draft, Approve, ""), Err(TransitionError::NotAllowed { from: "draft", .. })));
    }

    #[test]
    fn review_by_township_then_county() {
        use crate::area::AreaLevel::*;
        let levels = [Township, County];
        assert_eq!(review_stages(&levels, Village), [Township, County]);
        // A township's own task is reviewed by its county only; a county's by any reviewer above.
        assert_eq!(review_stages(&levels, Township), [County]);
        assert!(review_stages(&levels, County).is_empty());
        assert_eq!(review_outcome(0, 2, true, ""), Ok((Submitted, 1)));
        assert_eq!(review_outcome(1, 2, true, ""), Ok((Approved, 0)));
        assert_eq!(review_outcome(0, 0, true, ""), Ok((Approved, 0)));
        assert_eq!(review_outcome(1, 2, false, ""), Err(TransitionError::CommentRequired));
        assert_eq!(review_outcome(1, 2, false, "row 3 is last year's"), Ok((Returned, 0)));
    }

    #[test]
    fn completeness_and_timeliness() {
        let mut c = Completeness::default();
        c.add(Approved, Some("2024-03-01"), "2024-03-31");
        c.add(Submitted, Some("2024-04-02"), "2024-03-31");
        c.add(Draft, None, "2024-03-31");
        c.add(NotStarted, None, "2024-03-31");
        assert_eq!((c.expected, c.received, c.on_time, c.approved), (4, 2, 1, 1));
        assert_eq!((c.completeness(), c.timeliness()), (50.0, 25.0));
    }

    #[test]
    fn round_checks() {
        let spec: RoundSpec = toml::from_str(
            r#"code = "POV-2023"
title_en = "Annual poverty statistics 2023"
title_zh = "2023年度贫困统计"
periods = ["2023"]
deadline = "2024-03-31"
lead_department = "NBS"
[[item]]
indicator = "CN_RURAL_POOR_POP"
[[assignment]]
department = "NBS"
area = "13"
level = "county"
indicators = ["CN_RURAL_POOR_POP"]
"#,
        )
        .unwrap();
        assert_eq!(spec.check(), Ok(()));
        let mut bad = spec.clone();
        bad.assignments[0].indicators = vec!["CN_DIBAO_STANDARD".into()];
        assert!(matches!(bad.check(), Err(RoundError::NotAnItem { .. })));
        let mut bad = spec.clone();
        bad.periods = vec!["FY23".into()];
        assert!(matches!(bad.check(), Err(RoundError::BadPeriod { .. })));
        let mut bad = spec.clone();
        bad.deadline = "31/03/2024".into();
        assert!(matches!(bad.check(), Err(RoundError::BadDeadline { .. })));
        use crate::area::AreaLevel::*;
        let mut staged = spec;
        staged.review_levels = vec![Township, County];
        assert_eq!(staged.check(), Ok(()));
        for wrong in [vec![County, Township], vec![County, County], vec![Province, Country]] {
            staged.review_levels = wrong;
            assert!(matches!(staged.check(), Err(RoundError::BadReviewLevels { .. })));
        }
    }

    #[test]
    fn two_departments_reporting_one_figure_need_a_preferred_source() {
        let item = |i: &str, p: Option<&str>| RoundItem {
            indicator: i.into(),
            guidance_en: String::new(),
            guidance_zh: String::new(),
            preferred_department: p.map(String::from),
        };
        let mut spec = RoundSpec {
            code: "R".into(),
            title_en: String::new(),
            title_zh: String::new(),
            periods: vec!["2023".into()],
            deadline: "2024-03-31".into(),
            lead_department: "NBS".into(),
            release_when_pct: None,
            review_levels: vec![],
            items: vec![item("POOR", None), item("INCIDENCE", None)],
            assignments: vec![],
        };
        let mut tasks = TaskItems::new();
        tasks.insert(("NBS".into(), "130102".into()), ["POOR".to_string(), "INCIDENCE".to_string()].into());
        tasks.insert(("NRRA".into(), "130102".into()), ["POOR".to_string()].into());
        tasks.insert(("NRRA".into(), "130104".into()), ["POOR".to_string()].into());
        assert!(
            matches!(spec.second_sources(&tasks), Err(RoundError::NoPreferredSource { ref departments, .. }) if departments == "NBS, NRRA")
        );
        spec.items[0].preferred_department = Some("NBS".into());
        let second = spec.second_sources(&tasks).unwrap();
        // NRRA is the second source only where NBS reports too.
        assert_eq!(second.len(), 1);
        assert_eq!(second[&("NRRA".to_string(), "130102".to_string())], ["POOR".to_string()].into());
        spec.items[1].preferred_department = Some("MCA".into());
        assert!(matches!(spec.second_sources(&tasks), Err(RoundError::PreferredNotAssigned { .. })));
    }
}
