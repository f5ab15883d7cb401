//! Reading a round's tasks: all of them, a department's, those within some areas, those a
//! caller works on (scoped in the database, so that "my tasks" of a village clerk reads one task
//! of a round over 54,145 villages, not all of them), one task and its events.

use crate::collection::{TASK_COLS, TaskEvent, TaskRow};
use crate::{Result, Store, StoreError, on_pool};

/// At most this many tasks of one round are listed for one caller (a province's coordinator
/// of a village round would otherwise get tens of thousands: the round page summarises those).
pub const LISTED_TASKS: i64 = 1000;

impl Store {
    /// The tasks of a round, optionally of one department or within some areas' subtrees.
    pub async fn tasks(&self, round_id: i64, department: Option<&str>, within: Option<&[String]>) -> Result<Vec<TaskRow>> {
        let sql = format!(
            "SELECT {TASK_COLS} FROM round_task WHERE round_id = $1 AND ($2 IS NULL OR department_code = $2) ORDER BY department_code, area_code"
        );
        let rows: Vec<TaskRow> = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(round_id).bind(department).fetch_all(p).await?);
        match within {
            None => Ok(rows),
            Some(roots) => {
                let idx = self.area_index().await?;
                Ok(rows.into_iter().filter(|t| idx.within(&t.area_code, roots)).collect())
            }
        }
    }

    /// Tasks not yet received (neither submitted nor approved) although the round's deadline
    /// has passed on `today` (YYYY-MM-DD).
    pub async fn overdue_tasks(&self, round_id: i64, today: &str) -> Result<Vec<TaskRow>> {
        let round = self.round(&round_id.to_string()).await?.ok_or_else(|| StoreError::NotFound(format!("round {round_id}")))?;
        if today <= round.deadline.as_str() {
            return Ok(Vec::new());
        }
        Ok(self.tasks(round_id, None, None).await?.into_iter().filter(|t| !matches!(t.status.as_str(), "submitted" | "approved")).collect())
    }

    pub async fn task(&self, id: i64) -> Result<Option<TaskRow>> {
        let sql = format!("SELECT {TASK_COLS} FROM round_task WHERE id = $1");
        Ok(on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(id).fetch_optional(p).await?))
    }

    pub async fn task_events(&self, task_id: i64) -> Result<Vec<TaskEvent>> {
        Ok(on_pool!(self, p => sqlx::query_as(
            "SELECT id, task_id, at, actor, action, comment, batch_id FROM task_event WHERE task_id = $1 ORDER BY id")
            .bind(task_id).fetch_all(p).await?))
    }

    /// The tasks of a round in the subtrees of `roots` (followed by parent links in the
    /// database), optionally only those with `status`; the first [`LISTED_TASKS`] by area
    /// code, and how many there are in all.
    pub async fn tasks_within(&self, round_id: i64, roots: &[String], status: Option<&str>) -> Result<(Vec<TaskRow>, i64)> {
        if roots.is_empty() {
            return Ok((Vec::new(), 0));
        }
        // The roots as one bound JSON array (any number of grants, one statement).
        let roots = serde_json::to_string(roots).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let cols = TASK_COLS.split(", ").map(|c| format!("t.{c}")).collect::<Vec<_>>().join(", ");
        let list = match self.backend() {
            crate::Backend::Postgres => "SELECT jsonb_array_elements_text(CAST($1 AS jsonb))",
            crate::Backend::Sqlite => "SELECT value FROM json_each($1)",
        };
        let tree = format!(
            "WITH RECURSIVE sub (code) AS (SELECT code FROM area WHERE code IN ({list}) \
             UNION SELECT a.code FROM area a JOIN sub ON a.parent_code = sub.code)"
        );
        let rows_sql = format!(
            "{tree} SELECT {cols} FROM round_task t JOIN sub ON sub.code = t.area_code \
             WHERE t.round_id = $2 AND ($3 IS NULL OR t.status = $3) ORDER BY t.area_code LIMIT {LISTED_TASKS}"
        );
        let count_sql = format!(
            "{tree} SELECT COUNT(*) FROM round_task t JOIN sub ON sub.code = t.area_code WHERE t.round_id = $2 AND ($3 IS NULL OR t.status = $3)"
        );
        let rows: Vec<TaskRow> = on_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(rows_sql.as_str()))
            .bind(&roots).bind(round_id).bind(status).fetch_all(p).await?);
        let total: i64 = if (rows.len() as i64) < LISTED_TASKS {
            rows.len() as i64
        } else {
            on_pool!(self, p => sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql.as_str()))
                .bind(&roots).bind(round_id).bind(status).fetch_one(p).await?)
        };
        Ok((rows, total))
    }
}
