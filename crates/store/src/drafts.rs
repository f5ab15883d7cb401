//! Drafts: what an assignee typed into the form, saved before it is submitted. Kept as typed
//! (text, not yet numbers) so that nothing is lost; checks run when it is submitted. One draft
//! per task; a submission deletes it.

use crate::audit::Actor;
use crate::{Result, Store, StoreError, on_pool};
use rightstat_core::round::{TaskAction, transition};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The form as last saved.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskDraft {
    /// "indicator|period|cell key" → the text typed.
    pub values: BTreeMap<String, String>,
    #[serde(default)]
    pub comment: String,
    /// Who saved it and when (filled in by the store).
    #[serde(default)]
    pub saved_by: String,
    #[serde(default)]
    pub saved_at: String,
}

impl Store {
    /// Saves the form of an open round's task as a draft (the task becomes a draft).
    pub async fn save_draft(&self, task_id: i64, draft: &TaskDraft, actor: &Actor) -> Result<()> {
        let task = self.task(task_id).await?.ok_or_else(|| StoreError::NotFound(format!("task {task_id}")))?;
        let round = self.round_of(&task).await?;
        if round.status != "open" {
            return Err(StoreError::Invalid(format!("round {} is {}, not open", round.code, round.status)));
        }
        let status = task.status.parse().map_err(StoreError::Corrupt)?;
        let next = transition(status, TaskAction::SaveDraft, "").map_err(|e| StoreError::Invalid(e.to_string()))?;
        let allowed = task.indicator_list();
        if let Some(k) = draft.values.keys().find(|k| !allowed.iter().any(|i| k.split('|').next() == Some(i.as_str()))) {
            return Err(StoreError::Invalid(format!("draft value '{k}' is not for an item of task {task_id}")));
        }
        let now = crate::now_rfc3339();
        let body = serde_json::to_string(&TaskDraft { saved_by: String::new(), saved_at: String::new(), ..draft.clone() })
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        on_pool!(self, p => sqlx::query(
            "INSERT INTO task_draft (task_id, body, saved_by, saved_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (task_id) DO UPDATE SET body = excluded.body, saved_by = excluded.saved_by, saved_at = excluded.saved_at")
            .bind(task_id).bind(&body).bind(&actor.name).bind(&now).execute(p).await?.rows_affected());
        if task.status != next.as_str() {
            self.move_task(&task, next, 0, "save_draft", "", task.batch_id, actor, &[]).await?;
        }
        Ok(())
    }

    /// The task's saved draft, if any.
    pub async fn draft(&self, task_id: i64) -> Result<Option<TaskDraft>> {
        let row: Option<(String, String, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT body, saved_by, saved_at FROM task_draft WHERE task_id = $1").bind(task_id).fetch_optional(p).await?);
        row.map(|(body, saved_by, saved_at)| {
            let d: TaskDraft = serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("draft of task {task_id}: {e}")))?;
            Ok(TaskDraft { saved_by, saved_at, ..d })
        })
        .transpose()
    }
}
