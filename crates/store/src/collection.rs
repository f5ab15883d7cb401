//! Collection rounds: creating a round and its tasks from assignments, templates for each task,
//! submissions (validated, all or nothing), review, and the roll-up of approved figures to the
//! nation.
//!
//! A submission goes through the same row checks and rules as `rightstat validate`; errors
//! refuse it, warnings need the submitter's comment. Approval locks the figures (a correction
//! is a new submission with a reason, recorded as a revision) and rolls them up at once: only
//! the ancestors of the approved area are recomputed, with the hierarchy in force in each period.

use crate::audit::{Actor, AuditEntry, append_audit};
use crate::import::{ImportOptions, ImportReport, RowError};
use crate::validation::ValidationReport;
use crate::{Backend, ObservationFilter, Result, Store, StoreError, Visibility, on_pool};
use rightstat_core::area::{AreaCode, AreaLevel};
use rightstat_core::ingest::CheckedObservation;
use rightstat_core::observation::ProvenanceKind;
use rightstat_core::period::Period;
use rightstat_core::round::{Completeness, RoundSpec, TaskAction, TaskItems, TaskStatus, transition};
use rightstat_core::validation::RuleSet;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoundRow {
    pub id: i64,
    pub code: String,
    pub title_en: String,
    pub title_zh: String,
    /// '|'-separated.
    pub periods: String,
    pub deadline: String,
    pub lead_department: String,
    pub status: String,
    pub created_at: String,
    pub opened_at: Option<String>,
    /// The levels that review submissions, lowest first ('|'-separated; empty: one review).
    pub review_levels: String,
}

impl RoundRow {
    pub fn review_levels(&self) -> Vec<AreaLevel> {
        crate::lists::split(&self.review_levels).iter().filter_map(|l| l.parse().ok()).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskRow {
    pub id: i64,
    pub round_id: i64,
    pub department_code: String,
    pub area_code: String,
    /// '|'-separated indicator codes.
    pub indicators: String,
    pub status: String,
    pub batch_id: Option<i64>,
    pub submitted_at: Option<String>,
    pub approved_at: Option<String>,
    pub updated_at: String,
    /// Items this task reports as a second source ('|'-separated): kept and compared with the
    /// preferred department's figures, not written to the official series.
    pub second_source: String,
    /// Review stages the current submission has passed (see [`RoundRow::review_levels`]).
    pub review_stage: i64,
}

/// The columns of [`TaskRow`].
pub(crate) const TASK_COLS: &str = "id, round_id, department_code, area_code, indicators, status, batch_id, submitted_at, approved_at, updated_at, second_source, review_stage";

impl TaskRow {
    pub fn indicator_list(&self) -> Vec<String> {
        crate::lists::split(&self.indicators)
    }
    pub fn second_source_list(&self) -> Vec<String> {
        crate::lists::split(&self.second_source)
    }
    fn status(&self) -> Result<TaskStatus> {
        self.status.parse().map_err(StoreError::Corrupt)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskEvent {
    pub id: i64,
    pub task_id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub comment: String,
    pub batch_id: Option<i64>,
}

/// A question on an item of a task, and the lead department's answer.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Question {
    pub id: i64,
    pub task_id: i64,
    pub indicator_code: String,
    pub question: String,
    pub asked_by: String,
    pub asked_at: String,
    pub answer: Option<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<String>,
    /// The answer was added to the item's guidance for everyone.
    pub promoted: i64,
}

/// The outcome of a submission: the findings, and the import when it was accepted.
#[derive(Debug, Clone, Serialize)]
pub struct Submission {
    pub validation: ValidationReport,
    /// The figures written to the official series (none when refused, a dry run, or when the
    /// task reports only as a second source).
    pub import: Option<ImportReport>,
    /// Figures of items this task reports as a second source, kept apart (new or changed).
    pub second_source_values: u64,
    /// Saved: the task moved on.
    pub accepted: bool,
    pub status: String,
    pub dry_run: bool,
}

/// The area of a chain (an area and its ancestors) at `level`.
fn at_level<S: AsRef<str>>(chain: &[S], level: AreaLevel) -> Option<&str> {
    chain.iter().map(AsRef::as_ref).find(|a| a.parse::<AreaCode>().is_ok_and(|c| c.level() == level))
}

/// Where a submission stands in a round reviewed in stages.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewStage {
    /// Stages passed by the current submission.
    pub passed: usize,
    /// Stages in all (0: one review by any reviewer above the area).
    pub stages: usize,
    /// The level whose reviewer acts now and the area at that level above the task.
    pub at: Option<(AreaLevel, String)>,
}

/// What a roll-up recomputed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RollUp {
    /// Ancestor areas recomputed, by level.
    pub areas: u64,
    /// Derived values written (new or revised).
    pub written: u64,
    /// Values unchanged.
    pub unchanged: u64,
    /// Parents with a figure reported by a department, which the roll-up leaves alone.
    pub reported_kept: u64,
    /// The computation batch written (accepted, not public until released).
    pub batch_id: Option<i64>,
}

/// Completeness of one department (or area) in a round.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompletenessRow {
    pub department: String,
    /// The area whose tasks are counted, when counted by area (empty: every area of the round).
    pub area: String,
    pub area_name: String,
    pub completeness: Completeness,
    pub completeness_pct: f64,
    pub timeliness_pct: f64,
}

impl Store {
    /// Creates a round (as a draft) and one task per department and area its assignments cover.
    pub async fn create_round(&self, spec: &RoundSpec, actor: &Actor) -> Result<i64> {
        spec.check().map_err(|e| StoreError::Invalid(e.to_string()))?;
        let cat = self.catalogue().await?;
        if let Some(i) = spec.items.iter().find(|i| !cat.indicators.contains_key(&i.indicator)) {
            return Err(StoreError::Invalid(format!("round {}: item {} is not in the catalogue", spec.code, i.indicator)));
        }
        let depts = self.departments().await?;
        let preferred = spec.items.iter().filter_map(|i| i.preferred_department.as_ref());
        for d in std::iter::once(&spec.lead_department).chain(spec.assignments.iter().map(|a| &a.department)).chain(preferred) {
            if !depts.iter().any(|x| &x.code == d) {
                return Err(StoreError::Invalid(format!("round {}: department {d} is not known", spec.code)));
            }
        }
        let periods: Vec<Period> = spec.periods.iter().filter_map(|p| p.parse().ok()).collect();
        let (first, last) = (periods.iter().min().map(|p| p.start()), periods.iter().max().map(|p| p.end()));
        let during = first.as_deref().zip(last.as_deref());
        // Expand assignments: (department, area) → indicators.
        let all_items: Vec<String> = spec.items.iter().map(|i| i.indicator.clone()).collect();
        let mut tasks = TaskItems::new();
        for a in &spec.assignments {
            if self.area(&a.area).await?.is_none() {
                return Err(StoreError::Invalid(format!("round {}: area {} is not known", spec.code, a.area)));
            }
            let areas: Vec<String> = match a.level {
                Some(level) => self.descendants(&a.area, level, during).await?.into_iter().map(|r| r.code).collect(),
                None => vec![a.area.clone()],
            };
            if areas.is_empty() {
                return Err(StoreError::Invalid(format!("round {}: no {:?} areas below {}", spec.code, a.level, a.area)));
            }
            let inds = if a.indicators.is_empty() { &all_items } else { &a.indicators };
            for area in areas {
                tasks.entry((a.department.clone(), area)).or_default().extend(inds.iter().cloned());
            }
        }
        let second = spec.second_sources(&tasks).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let review_levels = spec.review_levels.iter().map(|l| l.as_str()).collect::<Vec<_>>().join("|");
        let now = crate::now_rfc3339();
        let pg = self.backend() == Backend::Postgres;
        let summary = format!(
            "{} items, {} periods, {} tasks ({} reporting some items as a second source)",
            spec.items.len(),
            spec.periods.len(),
            tasks.len(),
            second.len()
        );
        let id = on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO collection_round (code, title_en, title_zh, periods, deadline, lead_department, status, created_by, created_at, release_when_pct, review_levels) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $8, $9, $10) RETURNING id")
                .bind(&spec.code).bind(&spec.title_en).bind(&spec.title_zh).bind(spec.periods.join("|")).bind(&spec.deadline)
                .bind(&spec.lead_department).bind(&actor.name).bind(&now).bind(spec.release_when_pct).bind(&review_levels).fetch_one(&mut *tx).await?;
            for i in &spec.items {
                sqlx::query("INSERT INTO round_item (round_id, indicator_code, guidance_en, guidance_zh, preferred_department) VALUES ($1, $2, $3, $4, $5)")
                    .bind(id).bind(&i.indicator).bind(&i.guidance_en).bind(&i.guidance_zh).bind(i.preferred_department.as_deref())
                    .execute(&mut *tx).await?;
            }
            for (key, inds) in &tasks {
                let inds: Vec<String> = inds.iter().cloned().collect();
                let second: Vec<String> = second.get(key).map(|s| s.iter().cloned().collect()).unwrap_or_default();
                sqlx::query("INSERT INTO round_task (round_id, department_code, area_code, indicators, status, updated_at, second_source) \
                             VALUES ($1, $2, $3, $4, 'not_started', $5, $6)")
                    .bind(id).bind(&key.0).bind(&key.1).bind(crate::lists::join(&inds)).bind(&now).bind(crate::lists::join(&second))
                    .execute(&mut *tx).await?;
            }
            append_audit!(&mut *tx, pg, &AuditEntry {
                actor, action: "round.create", entity: "round", entity_id: &spec.code, old_value: None, new_value: Some(summary), reason: "",
            });
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// The guidance of each item of a round: indicator → (English, Chinese).
    pub async fn round_guidance(&self, round_id: i64) -> Result<HashMap<String, (String, String)>> {
        let rows: Vec<(String, String, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT indicator_code, guidance_en, guidance_zh FROM round_item WHERE round_id = $1").bind(round_id).fetch_all(p).await?);
        Ok(rows.into_iter().map(|(c, en, zh)| (c, (en, zh))).collect())
    }

    /// The current values of a task's indicators in its area and round periods:
    /// (indicator, period, cell key) → value.
    pub async fn task_values(&self, t: &TaskRow) -> Result<HashMap<(String, String, String), f64>> {
        let f = ObservationFilter {
            indicators: t.indicator_list(),
            area: Some(t.area_code.clone()),
            visibility: Visibility::All,
            ..Default::default()
        };
        let second = t.second_source_list();
        let mut values: HashMap<(String, String, String), f64> = self
            .observations(&f)
            .await?
            .into_iter()
            .filter(|o| o.area == t.area_code && !second.contains(&o.indicator))
            .filter_map(|o| Some(((o.indicator, o.period, o.cell_key), o.value?)))
            .collect();
        let kept = crate::sources::current_source_values(self, t.id).await?;
        values.extend(kept.into_iter().filter_map(|(k, v)| Some((k, v?))));
        Ok(values)
    }

    /// The round a task belongs to.
    pub async fn round_of(&self, task: &TaskRow) -> Result<RoundRow> {
        self.round(&task.round_id.to_string()).await?.ok_or_else(|| StoreError::Corrupt(format!("task {} without round", task.id)))
    }

    /// A round by id or code.
    pub async fn round(&self, id_or_code: &str) -> Result<Option<RoundRow>> {
        let id: i64 = id_or_code.parse().unwrap_or(-1);
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT id, code, title_en, title_zh, periods, deadline, lead_department, status, created_at, opened_at, review_levels \
             FROM collection_round WHERE id = $1 OR code = $2").bind(id).bind(id_or_code).fetch_optional(p).await?))
    }

    pub async fn rounds(&self) -> Result<Vec<RoundRow>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT id, code, title_en, title_zh, periods, deadline, lead_department, status, created_at, opened_at, review_levels \
             FROM collection_round ORDER BY id").fetch_all(p).await?))
    }

    /// Opens a draft round: its tasks become visible to the assignees.
    pub async fn open_round(&self, round_id: i64, actor: &Actor) -> Result<()> {
        if !self.set_round_status(round_id, "draft", "open", actor).await? {
            return Err(StoreError::Invalid(format!("round {round_id} is not a draft round")));
        }
        Ok(())
    }

    /// Closes an open round: no more submissions, drafts or corrections through it (a later
    /// correction is an ordinary import with a reason). Refused while a submission awaits
    /// review, so that nothing is left half-way.
    pub async fn close_round(&self, round_id: i64, actor: &Actor) -> Result<()> {
        if self.set_round_status(round_id, "open", "closed", actor).await? {
            return Ok(());
        }
        let round = self.round(&round_id.to_string()).await?.ok_or_else(|| StoreError::NotFound(format!("round {round_id}")))?;
        if round.status != "open" {
            return Err(StoreError::Invalid(format!("round {} is {}, not open", round.code, round.status)));
        }
        let waiting = self.tasks(round_id, None, None).await?.iter().filter(|t| t.status == TaskStatus::Submitted.as_str()).count();
        Err(StoreError::Invalid(format!(
            "round {}: {waiting} submission(s) await review; approve or return them before closing",
            round.code
        )))
    }

    /// Moves a round from one status to the next, audited; false when it was not in `from` (or,
    /// for closing, a submission still awaits review).
    async fn set_round_status(&self, round_id: i64, from: &str, to: &str, actor: &Actor) -> Result<bool> {
        let now = crate::now_rfc3339();
        let pg = self.backend() == Backend::Postgres;
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE collection_round SET status = $3, opened_at = CASE WHEN $3 = 'open' THEN $4 ELSE opened_at END \
                 WHERE id = $1 AND status = $2 \
                 AND ($3 <> 'closed' OR NOT EXISTS (SELECT 1 FROM round_task WHERE round_id = $1 AND status = 'submitted'))")
                .bind(round_id).bind(from).bind(to).bind(&now).execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Ok(false);
            }
            append_audit!(&mut *tx, pg, &AuditEntry {
                actor, action: if to == "open" { "round.open" } else { "round.close" }, entity: "round",
                entity_id: &round_id.to_string(), old_value: Some(from.into()), new_value: Some(to.into()), reason: "",
            });
            tx.commit().await?;
        });
        Ok(true)
    }

    /// A CSV template for a task: one row per indicator, period and cell its definition
    /// requires (every code of each required dimension, and the total), value left empty.
    pub async fn task_template_csv(&self, task_id: i64) -> Result<String> {
        let (header, rows) = self.task_template(task_id).await?;
        let mut w = csv::Writer::from_writer(Vec::new());
        let io = |e: csv::Error| StoreError::Invalid(e.to_string());
        w.write_record(&header).map_err(io)?;
        for r in rows {
            w.write_record(&r).map_err(io)?;
        }
        crate::formats::csv_into_string(w)
    }

    /// The same template as an Excel workbook (the header frozen, the value column to fill in).
    pub async fn task_template_xlsx(&self, task_id: i64) -> Result<Vec<u8>> {
        let (header, rows) = self.task_template(task_id).await?;
        let xe = |e: rust_xlsxwriter::XlsxError| StoreError::Invalid(format!("cannot write the workbook: {e}"));
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name("data").map_err(xe)?;
        let bold = rust_xlsxwriter::Format::new().set_bold();
        for (c, h) in header.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, h, &bold).map_err(xe)?;
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    sheet.write_string(r as u32 + 1, c as u16, v).map_err(xe)?;
                }
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(xe)?;
        book.save_to_buffer().map_err(xe)
    }

    async fn task_template(&self, task_id: i64) -> Result<(Vec<String>, Vec<Vec<String>>)> {
        let task = self.task(task_id).await?.ok_or_else(|| StoreError::NotFound(format!("task {task_id}")))?;
        let round = self.round_of(&task).await?;
        let cat = self.catalogue().await?;
        let inds: Vec<_> = task.indicator_list().iter().filter_map(|c| cat.indicators.get(c).map(|x| x.0.clone())).collect();
        let mut dims: Vec<String> = inds.iter().flat_map(|i| i.required_dimensions.clone()).collect();
        dims.sort();
        dims.dedup();
        let mut header: Vec<String> = ["indicator", "area", "period"].map(String::from).to_vec();
        header.extend(dims.iter().cloned());
        header.extend(["value", "unit_mult", "footnote"].map(String::from));
        let mut rows = Vec::new();
        for ind in &inds {
            for period in crate::lists::split(&round.periods) {
                // The total, then each code of each required dimension (others at the total).
                let mut cells: Vec<Vec<(String, String)>> = vec![vec![]];
                for d in &ind.required_dimensions {
                    for c in cat.codelists.get(d).map(|l| l.codes.clone()).unwrap_or_default() {
                        cells.push(vec![(d.clone(), c.code)]);
                    }
                }
                for cell in cells {
                    let mut r = vec![ind.code.clone(), task.area_code.clone(), period.clone()];
                    for d in &dims {
                        let code = cell.iter().find(|(x, _)| x == d).map(|(_, c)| c.clone());
                        r.push(match code {
                            Some(c) => c,
                            None if ind.has_dimension(d) => "_T".into(),
                            None => String::new(),
                        });
                    }
                    r.extend([String::new(), ind.unit_mult.to_string(), String::new()]);
                    rows.push(r);
                }
            }
        }
        Ok((header, rows))
    }

    /// Submits a file for a task (or, with `dry_run`, only checks it). All or nothing: any
    /// error refuses the whole file; warnings need `comment`. A correction of approved figures
    /// needs `comment` as its reason and is recorded as a revision.
    pub async fn submit(&self, task_id: i64, bytes: Vec<u8>, opts: ImportOptions, comment: &str, dry_run: bool) -> Result<Submission> {
        let task = self.task(task_id).await?.ok_or_else(|| StoreError::NotFound(format!("task {task_id}")))?;
        self.submit_task(task, bytes, opts, comment, dry_run).await
    }

    /// [`Store::submit`] for a task the caller has just read (the API reads it to check who
    /// may see it): the same checks, one read of the task fewer. Its move is guarded by the
    /// status read here, so a task changed meanwhile is refused, not overwritten.
    pub async fn submit_task(
        &self,
        task: TaskRow,
        bytes: Vec<u8>,
        opts: ImportOptions,
        comment: &str,
        dry_run: bool,
    ) -> Result<Submission> {
        let round = self.round_of(&task).await?;
        if round.status != "open" {
            return Err(StoreError::Invalid(format!("round {} is {}, not open", round.code, round.status)));
        }
        let next = transition(task.status()?, TaskAction::Submit, comment).map_err(|e| StoreError::Invalid(e.to_string()))?;
        if !dry_run {
            self.refuse_when_queue_full("submitted")?;
        }
        let file = opts.source_name.clone();
        // A filled-in XLSX template is read as the CSV it stands for (same rows, same checks).
        let bytes = crate::spreadsheet::as_csv(bytes, &file)?;
        let actor = opts.actor.clone();
        // The catalogue and area index once for the whole request: the checks and the import.
        let (opts, reference) = self.with_reference(opts).await?;
        let mut read_opts = opts.clone();
        read_opts.allowed_areas = Some(vec![task.area_code.clone()]);
        let (rows, mut row_errors, n) = self.read_observations(std::io::Cursor::new(bytes.clone()), read_opts).await?;
        let asked = HashMap::from([(task.area_code.clone(), task.indicator_list())]);
        row_errors.extend(outside_round(&rows, &file, &asked, &crate::lists::split(&round.periods), "this task"));
        row_errors.sort_by_key(|e| e.row);
        // The shipped rules, parsed once per process (they are compiled in).
        static SHIPPED: std::sync::OnceLock<std::result::Result<RuleSet, String>> = std::sync::OnceLock::new();
        let rules = SHIPPED
            .get_or_init(|| RuleSet::parse(rightstat_core::reference::VALIDATION_RULES).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| StoreError::Corrupt(e.clone()))?;
        let second = task.second_source_list();
        let mut validation = self.validate_rows(&rows, row_errors, n, &file, rules, &second, &reference).await?.in_columns(opts.format);
        if !validation.has_errors() && validation.warnings() > 0 && comment.trim().is_empty() {
            validation.row_errors.push(RowError {
                file: file.clone(),
                row: 0,
                column: "comment".into(),
                value: String::new(),
                expected: format!("a comment explaining the {} warning(s)", validation.warnings()),
            });
        }
        if validation.has_errors() || dry_run {
            return Ok(Submission { validation, import: None, second_source_values: 0, accepted: false, status: task.status, dry_run });
        }
        // A second source's figures are kept apart; the rest goes to the official series.
        let kept: Vec<&CheckedObservation> = rows.iter().map(|(_, o)| o).filter(|o| second.contains(&o.indicator)).collect();
        // The figures and the task's move to "submitted" commit together, in the import's
        // transaction.
        let (report, second_source_values) = if kept.len() < rows.len() {
            let mut import_opts = opts;
            import_opts.kind = ProvenanceKind::Submission;
            import_opts.allowed_areas = Some(vec![task.area_code.clone()]);
            import_opts.reason = comment.to_string();
            import_opts.skip_indicators = second;
            import_opts.round_id = Some(task.round_id);
            import_opts.task_move = Some(self.task_move(&task, next, 0, "submit", comment, &actor, &kept).await?);
            let report = self.import_observations(std::io::Cursor::new(bytes), import_opts).await?;
            if !report.is_ok() {
                return Err(StoreError::Invalid(format!(
                    "the import refused a validated file: {}",
                    report.errors.first().map(|e| e.to_string()).unwrap_or_default()
                )));
            }
            let changed = report.second_source_values;
            (Some(report), changed)
        } else {
            (None, self.move_task(&task, next, 0, "submit", comment, None, &actor, &kept).await?)
        };
        Ok(Submission { validation, import: report, second_source_values, accepted: true, status: next.as_str().into(), dry_run })
    }

    /// Checks a file as a submission to `round` would be checked (`rightstat validate --round`),
    /// without a task: every row must be an item asked of its area in a period of the round,
    /// then the same row checks and rules. Nothing is saved.
    pub async fn validate_for_round(
        &self,
        round: &RoundRow,
        bytes: Vec<u8>,
        opts: ImportOptions,
        declared: &RuleSet,
    ) -> Result<ValidationReport> {
        let file = opts.source_name.clone();
        let bytes = crate::spreadsheet::as_csv(bytes, &file)?;
        let mut asked: HashMap<String, Vec<String>> = HashMap::new();
        for t in self.tasks(round.id, None, None).await? {
            asked.entry(t.area_code.clone()).or_default().extend(t.indicator_list());
        }
        let format = opts.format;
        let (opts, reference) = self.with_reference(opts).await?;
        let (rows, mut row_errors, n) = self.read_observations(std::io::Cursor::new(bytes), opts).await?;
        row_errors.extend(outside_round(&rows, &file, &asked, &crate::lists::split(&round.periods), &format!("round {}", round.code)));
        row_errors.sort_by_key(|e| e.row);
        Ok(self.validate_rows(&rows, row_errors, n, &file, declared, &[], &reference).await?.in_columns(format))
    }

    /// The review stage a submitted task awaits: the level whose reviewer acts now and the
    /// task area's ancestor at that level (None: a round with one review, by any reviewer above
    /// the area), and how many stages there are. The chain is the task area's, itself first.
    pub fn review_stage(round: &RoundRow, task: &TaskRow, chain: &[String]) -> Result<ReviewStage> {
        let level = task.area_code.parse::<AreaCode>().map(|c| c.level()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let stages = rightstat_core::round::review_stages(&round.review_levels(), level);
        let passed = usize::try_from(task.review_stage).unwrap_or(0).min(stages.len().saturating_sub(1));
        let at = stages.get(passed).map(|l| (*l, at_level(chain, *l).unwrap_or_default().to_string()));
        Ok(ReviewStage { passed, stages: stages.len(), at })
    }

    /// Approves (figures locked and rolled up) or returns (with a comment) a submitted task.
    /// In a round reviewed in stages, approving a stage before the last passes the submission
    /// to the next level's reviewer (nothing is accepted yet), and no one approves two stages
    /// of the same submission. Who may act at which stage is the caller's check
    /// ([`Store::review_stage`] says which area's reviewer acts now).
    pub async fn review(&self, task_id: i64, approve: bool, comment: &str, actor: &Actor) -> Result<(TaskStatus, Option<RollUp>)> {
        let task = self.task(task_id).await?.ok_or_else(|| StoreError::NotFound(format!("task {task_id}")))?;
        let round = self.round_of(&task).await?;
        if task.status()? != TaskStatus::Submitted {
            let action = if approve { TaskAction::Approve } else { TaskAction::Return };
            let why = transition(task.status()?, action, comment)
                .err()
                .map_or_else(|| format!("task {task_id} is {}", task.status), |e| e.to_string());
            return Err(StoreError::Invalid(why));
        }
        let stage = Self::review_stage(&round, &task, &self.area_chain(&task.area_code).await?)?;
        let (next, passed) = rightstat_core::round::review_outcome(stage.passed, stage.stages, approve, comment)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        if approve && stage.passed > 0 && self.approved_a_stage(&task, &actor.name).await? {
            return Err(StoreError::Invalid(format!(
                "task {task_id}: you approved an earlier stage of this submission; another reviewer approves the next"
            )));
        }
        if next == TaskStatus::Approved {
            self.refuse_when_queue_full("approved")?;
        }
        let action = match (approve, next) {
            (false, _) => "return",
            (true, TaskStatus::Approved) => "approve",
            (true, _) => "approve_stage",
        };
        self.move_task(&task, next, passed as i64, action, comment, task.batch_id, actor, &[]).await?;
        if next != TaskStatus::Approved {
            return Ok((next, None));
        }
        // The approval is committed: its roll-up runs to the end even if the caller goes away
        // (a dropped request would otherwise leave approved figures out of the totals).
        let (store, actor) = (self.clone(), actor.clone());
        let rolled = tokio::spawn(async move {
            let periods = crate::lists::split(&round.periods);
            let rolled = store
                .roll_up_in(&task.indicator_list(), &periods, std::slice::from_ref(&task.area_code), Some(task.round_id), &actor)
                .await?;
            store.release_by_rule(task.round_id, &actor).await?;
            Ok::<_, StoreError>(rolled)
        })
        .await
        .map_err(|e| StoreError::Corrupt(format!("the roll-up after approval stopped: {e}")))??;
        Ok((next, Some(rolled)))
    }

    /// Did `who` approve a stage of the task's current submission (since its last submission)?
    async fn approved_a_stage(&self, task: &TaskRow, who: &str) -> Result<bool> {
        let (n,): (i64,) = on_pool!(self, p => sqlx::query_as(
            "SELECT COUNT(*) FROM task_event WHERE task_id = $1 AND action = 'approve_stage' AND actor = $2 \
             AND id > COALESCE((SELECT MAX(id) FROM task_event WHERE task_id = $1 AND action = 'submit'), 0)")
            .bind(task.id).bind(who).fetch_one(p).await?);
        Ok(n > 0)
    }

    /// Asks the lead department a question on one item of a task (technical advice, at any time).
    pub async fn ask_question(&self, task_id: i64, indicator: &str, question: &str, actor: &Actor) -> Result<i64> {
        let task = self.task(task_id).await?.ok_or_else(|| StoreError::NotFound(format!("task {task_id}")))?;
        if !task.indicator_list().iter().any(|i| i == indicator) {
            return Err(StoreError::Invalid(format!("{indicator} is not an item of task {task_id}")));
        }
        if question.trim().is_empty() {
            return Err(StoreError::Invalid("the question is empty".into()));
        }
        let now = crate::now_rfc3339();
        let pg = self.backend() == Backend::Postgres;
        Ok(on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO round_question (task_id, indicator_code, question, asked_by, asked_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                .bind(task_id).bind(indicator).bind(question.trim()).bind(&actor.name).bind(&now).fetch_one(&mut *tx).await?;
            append_audit!(&mut *tx, pg, &AuditEntry {
                actor, action: "question.ask", entity: "task", entity_id: &task_id.to_string(), old_value: None, new_value: Some(question.trim().to_string()), reason: "",
            });
            tx.commit().await?;
            id
        }))
    }

    /// Answers a question; `promote` adds the question and answer to the item's guidance, so
    /// every assignee of the round sees it.
    pub async fn answer_question(&self, id: i64, answer: &str, promote: bool, actor: &Actor) -> Result<Question> {
        let q = self.question(id).await?.ok_or_else(|| StoreError::NotFound(format!("question {id}")))?;
        if answer.trim().is_empty() {
            return Err(StoreError::Invalid("the answer is empty".into()));
        }
        let task = self.task(q.task_id).await?.ok_or_else(|| StoreError::Corrupt("question without task".into()))?;
        let now = crate::now_rfc3339();
        let pg = self.backend() == Backend::Postgres;
        let faq = format!("\nQ: {} A: {}", q.question, answer.trim());
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE round_question SET answer = $2, answered_by = $3, answered_at = $4, promoted = $5 WHERE id = $1")
                .bind(id).bind(answer.trim()).bind(&actor.name).bind(&now).bind(i64::from(promote)).execute(&mut *tx).await?;
            if promote {
                sqlx::query("UPDATE round_item SET guidance_en = guidance_en || $3, guidance_zh = guidance_zh || $3 WHERE round_id = $1 AND indicator_code = $2")
                    .bind(task.round_id).bind(&q.indicator_code).bind(&faq).execute(&mut *tx).await?;
            }
            append_audit!(&mut *tx, pg, &AuditEntry {
                actor, action: if promote { "question.answer_promoted" } else { "question.answer" }, entity: "question", entity_id: &id.to_string(),
                old_value: None, new_value: Some(answer.trim().to_string()), reason: "",
            });
            tx.commit().await?;
        });
        self.question(id).await?.ok_or_else(|| StoreError::Corrupt("question vanished".into()))
    }

    pub async fn question(&self, id: i64) -> Result<Option<Question>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT id, task_id, indicator_code, question, asked_by, asked_at, answer, answered_by, answered_at, promoted FROM round_question WHERE id = $1")
            .bind(id).fetch_optional(p).await?))
    }

    /// The questions of a round, oldest first.
    pub async fn round_questions(&self, round_id: i64) -> Result<Vec<Question>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT q.id, q.task_id, q.indicator_code, q.question, q.asked_by, q.asked_at, q.answer, q.answered_by, q.answered_at, q.promoted \
             FROM round_question q JOIN round_task t ON t.id = q.task_id WHERE t.round_id = $1 ORDER BY q.id").bind(round_id).fetch_all(p).await?))
    }

    /// Completeness and timeliness of a round by department, and with `by` a level, by area at
    /// that level too (e.g. each prefecture's counties): DHIS2's reporting rate by org unit.
    pub async fn completeness(&self, round_id: i64, by: Option<AreaLevel>) -> Result<Vec<CompletenessRow>> {
        let round = self.round(&round_id.to_string()).await?.ok_or_else(|| StoreError::NotFound(format!("round {round_id}")))?;
        let by_area = match by {
            Some(level) => Some((level, self.area_index().await?)),
            None => None,
        };
        let mut by_key: BTreeMap<(String, String), Completeness> = BTreeMap::new();
        for t in self.tasks(round_id, None, None).await? {
            // The task's area's ancestor at the level asked for (the area itself when it is at
            // that level or above it).
            let area = match &by_area {
                Some((level, idx)) => at_level(&idx.chain(&t.area_code), *level).unwrap_or(&t.area_code).to_string(),
                None => String::new(),
            };
            let day = t.submitted_at.as_deref().map(|s| &s[..10.min(s.len())]);
            by_key.entry((t.department_code.clone(), area)).or_default().add(t.status()?, day, &round.deadline);
        }
        let names = match by {
            Some(level) => self.area_names_at(level).await?,
            None => HashMap::new(),
        };
        Ok(by_key
            .into_iter()
            .map(|((department, area), c)| CompletenessRow {
                department,
                area_name: names.get(&area).cloned().unwrap_or_default(),
                area,
                completeness_pct: c.completeness(),
                timeliness_pct: c.timeliness(),
                completeness: c,
            })
            .collect())
    }
}

/// Rows a round did not ask for: an indicator not asked of the row's area (`asked`: area →
/// items), or a period not of the round. `scope` names what was asked ("this task", "round X").
fn outside_round(
    rows: &[(u64, CheckedObservation)],
    file: &str,
    asked: &HashMap<String, Vec<String>>,
    periods: &[String],
    scope: &str,
) -> Vec<RowError> {
    let mut errors = Vec::new();
    let mut err = |row: u64, column: &str, value: String, expected: String| {
        errors.push(RowError { file: file.to_string(), row, column: column.into(), value, expected })
    };
    for (line, o) in rows {
        let area = o.area.to_string();
        match asked.get(&area) {
            None => err(*line, "area", area, format!("an area with a task in {scope}")),
            Some(wanted) if !wanted.contains(&o.indicator) => {
                err(*line, "indicator", o.indicator.clone(), format!("an item {scope} asks of area {area} ({})", wanted.join(", ")))
            }
            Some(_) => {}
        }
        if !periods.contains(&o.period.to_string()) {
            err(*line, "period", o.period.to_string(), format!("a period of {scope} ({})", periods.join(", ")));
        }
    }
    errors
}
