//! A task's change of status (submitted, returned, a review stage passed, approved), with its
//! event, its audit record and what goes with it (a second source's figures, the accepted
//! batches on approval, the draft dropped on submission), applied inside one transaction.
//!
//! A submission's move runs inside the import's transaction (`ImportOptions::task_move`): the
//! figures and the task's new status commit together or not at all, with one commit per form.

use crate::audit::Actor;
use crate::collection::TaskRow;
use crate::{Backend, Result, Store, on_pool};
use rightstat_core::ingest::CheckedObservation;
use rightstat_core::round::TaskStatus;
use std::collections::HashMap;

/// A task's move to `next`, having passed `stage` review stages (0 but for a stage's approval),
/// guarded by its old status and stage.
#[derive(Debug, Clone)]
pub(crate) struct TaskMove {
    pub task: TaskRow,
    pub next: TaskStatus,
    pub stage: i64,
    pub action: String,
    pub comment: String,
    pub actor: Actor,
    /// A second source's figures sent with the submission, and the task's current ones.
    pub second_source: Vec<CheckedObservation>,
    pub current: HashMap<(String, String, String), Option<f64>>,
}

/// Applies `$mv` (a [`TaskMove`]) with `$batch` on `$conn` inside an open transaction; evaluates
/// to the number of second-source figures changed. `$pg`: whether it is PostgreSQL.
macro_rules! apply_task_move {
    ($conn:expr, $pg:expr, $mv:expr, $batch:expr, $now:expr) => {{
        let c = $conn;
        let mv: &$crate::task_move::TaskMove = $mv;
        let batch: Option<i64> = $batch;
        let now: &str = $now;
        let (task, next, actor, comment) = (&mv.task, mv.next, &mv.actor, mv.comment.as_str());
        let submitted = (next == rightstat_core::round::TaskStatus::Submitted).then_some(now);
        let approved = (next == rightstat_core::round::TaskStatus::Approved).then_some(now);
        // Guarded by the old status and stage: two reviewers cannot both act on the same
        // submission at the same stage, nor two reporters both submit over the same status.
        let n = sqlx::query(
            "UPDATE round_task SET status = $2, batch_id = $3, submitted_at = COALESCE(submitted_at, $4), \
             approved_at = COALESCE($5, approved_at), updated_at = $6, review_stage = $8 \
             WHERE id = $1 AND status = $7 AND review_stage = $9",
        )
        .bind(task.id)
        .bind(next.as_str())
        .bind(batch)
        .bind(submitted)
        .bind(approved)
        .bind(now)
        .bind(&task.status)
        .bind(mv.stage)
        .bind(task.review_stage)
        .execute(&mut *c)
        .await?
        .rows_affected();
        if n == 0 {
            return Err($crate::StoreError::Invalid(format!("task {} changed meanwhile; reload it", task.id)));
        }
        sqlx::query("INSERT INTO task_event (task_id, at, actor, action, comment, batch_id) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(task.id)
            .bind(now)
            .bind(&actor.name)
            .bind(&mv.action)
            .bind(comment)
            .bind(batch)
            .execute(&mut *c)
            .await?;
        if mv.action == "submit" {
            sqlx::query("DELETE FROM task_draft WHERE task_id = $1").bind(task.id).execute(&mut *c).await?;
        }
        // A second source's figures: a changed value is a revision (the old one superseded).
        let mut changed = 0u64;
        for o in &mv.second_source {
            let key = (o.indicator.clone(), o.period.to_string(), o.cell.key());
            let old = mv.current.get(&key);
            if old.is_some_and(|v| *v == o.value) {
                continue;
            }
            if old.is_some() {
                sqlx::query(
                    "UPDATE source_value SET superseded_at = $2 WHERE task_id = $1 AND indicator_code = $3 AND period = $4 \
                             AND cell_key = $5 AND superseded_at IS NULL",
                )
                .bind(task.id)
                .bind(now)
                .bind(&key.0)
                .bind(&key.1)
                .bind(&key.2)
                .execute(&mut *c)
                .await?;
            }
            sqlx::query(
                "INSERT INTO source_value (task_id, indicator_code, area_code, period, cell_key, value, recorded_at, recorded_by, reason) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(task.id)
            .bind(&key.0)
            .bind(o.area.as_str())
            .bind(&key.1)
            .bind(&key.2)
            .bind(o.value)
            .bind(now)
            .bind(&actor.name)
            .bind(comment)
            .execute(&mut *c)
            .await?;
            changed += 1;
        }
        // Approval accepts the figures (the roll-up reads them) in the same transaction:
        // every batch of the task's submissions, since a resubmission leaves its unchanged
        // values in the batch that first recorded them. It makes nothing public: that is
        // the lead department's release.
        if next == rightstat_core::round::TaskStatus::Approved {
            // One statement marks them and names them. On PostgreSQL the task's batch ids are
            // an array first, so that the update is a primary-key lookup whatever the planner
            // believes of `batch` (a deadline's small imports leave its statistics stale, and
            // a join planned from `batch` scanned every unapproved batch: 2–5 ms an approval).
            let sql = if $pg {
                "UPDATE batch SET approved_at = $2 WHERE id = ANY(ARRAY(SELECT batch_id FROM task_event WHERE task_id = $1 AND batch_id IS NOT NULL)) \
                 AND approved_at IS NULL RETURNING id"
            } else {
                "UPDATE batch SET approved_at = $2 WHERE id IN (SELECT batch_id FROM task_event WHERE task_id = $1 AND batch_id IS NOT NULL) \
                 AND approved_at IS NULL RETURNING id"
            };
            let mut batches: Vec<(i64,)> = sqlx::query_as(sql).bind(task.id).bind(now).fetch_all(&mut *c).await?;
            batches.sort();
            for (b,) in batches {
                $crate::audit::append_audit!(
                    &mut *c,
                    $pg,
                    &$crate::audit::AuditEntry {
                        actor,
                        action: "batch.approve",
                        entity: "batch",
                        entity_id: &b.to_string(),
                        old_value: None,
                        new_value: Some(now.to_string()),
                        reason: "approved",
                    }
                );
            }
        }
        let stage_of =
            |status: &str, stage: i64| if stage > 0 { format!("{status} (review stage {stage} passed)") } else { status.to_string() };
        $crate::audit::append_audit!(
            &mut *c,
            $pg,
            &$crate::audit::AuditEntry {
                actor,
                action: "task.status",
                entity: "task",
                entity_id: &task.id.to_string(),
                old_value: Some(stage_of(&task.status, task.review_stage)),
                new_value: Some(stage_of(next.as_str(), mv.stage)),
                reason: comment,
            }
        );
        changed
    }};
}
pub(crate) use apply_task_move;

impl Store {
    /// The move of `task` to `next` having passed `stage` review stages, with the task's current
    /// second-source figures read for it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn task_move(
        &self,
        task: &TaskRow,
        next: TaskStatus,
        stage: i64,
        action: &str,
        comment: &str,
        actor: &Actor,
        second_source: &[&CheckedObservation],
    ) -> Result<TaskMove> {
        let current = if second_source.is_empty() { HashMap::new() } else { crate::sources::current_source_values(self, task.id).await? };
        Ok(TaskMove {
            task: task.clone(),
            next,
            stage,
            action: action.to_string(),
            comment: comment.to_string(),
            actor: actor.clone(),
            second_source: second_source.iter().map(|o| (*o).clone()).collect(),
            current,
        })
    }

    /// Moves a task (see [`TaskMove`]) with its event and audit record, in one transaction of
    /// its own; returns the number of second-source figures changed.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn move_task(
        &self,
        task: &TaskRow,
        next: TaskStatus,
        stage: i64,
        action: &str,
        comment: &str,
        batch: Option<i64>,
        actor: &Actor,
        second_source: &[&CheckedObservation],
    ) -> Result<u64> {
        let mv = self.task_move(task, next, stage, action, comment, actor, second_source).await?;
        let now = crate::now_rfc3339();
        let pg = self.backend() == Backend::Postgres;
        let changed = on_pool!(self, p => {
            let mut tx = p.begin().await?;
            let changed = apply_task_move!(&mut *tx, pg, &mv, batch, &now);
            tx.commit().await?;
            changed
        });
        Ok(changed)
    }
}
