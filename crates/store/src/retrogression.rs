//! Retrogression cases: every retrogressive step the evaluation flags in a published national
//! series is a case for the indicator's responsible department, which answers the Committee's
//! questions of it ([`rightstat_core::retrogression`]). A case is not stored: it exists while
//! the figures show the step, so a revision that removes the step closes it and a new step opens
//! one. The answers are stored, versioned (never overwritten) and audited, and the evaluation
//! carries the latest answer to the drafts.

use crate::audit::{AuditEntry, append_audit};
use crate::evaluation::SeriesEvaluation;
use crate::{Actor, Backend, Result, Store, StoreError, Visibility, on_pool};
use rightstat_core::retrogression::Justification;
use serde::{Deserialize, Serialize};

/// Which step a case is about: a series (indicator, area, cell) and the year its figure went
/// back to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseKey {
    pub indicator: String,
    pub area: String,
    /// The cell key (`|URBANISATION=R|`); empty for the total.
    #[serde(default)]
    pub cell_key: String,
    pub to_year: i32,
}

/// A department's answer as the API, the CLI and (field by field) the page take it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnswerSubmission {
    pub key: CaseKey,
    pub justification: Justification,
}

/// One version of a department's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseAnswer {
    pub version: i64,
    /// The figures the answer was given for.
    pub from_year: i32,
    pub from_value: f64,
    pub to_value: f64,
    pub department: String,
    pub justification: Justification,
    pub answered_by: String,
    pub answered_at: String,
}

/// A retrogressive step and where its answer stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RetrogressionCase {
    pub key: CaseKey,
    pub name_en: String,
    pub name_zh: String,
    /// The responsible department (the indicator's).
    pub department: String,
    /// The ICESCR articles the indicator serves.
    pub articles: Vec<u8>,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<f64>))]
    pub from: (i32, f64),
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<f64>))]
    pub to: (i32, f64),
    /// How far it went back, in the indicator's unit (positive).
    pub by: f64,
    /// The series' evaluation in words.
    pub sentence_en: String,
    pub sentence_zh: String,
    /// The latest answer, if the department gave one.
    pub answer: Option<CaseAnswer>,
    /// The figures changed since the answer was given: it may need revisiting.
    pub figures_revised: bool,
}

#[derive(sqlx::FromRow)]
struct RawAnswer {
    indicator: String,
    area: String,
    cell_key: String,
    to_year: i64,
    version: i64,
    from_year: i64,
    from_value: f64,
    to_value: f64,
    department: String,
    justification: String,
    answered_by: String,
    answered_at: String,
}

fn from_raw(r: RawAnswer) -> Result<(CaseKey, CaseAnswer)> {
    let justification: Justification = serde_json::from_str(&r.justification)
        .map_err(|e| StoreError::Corrupt(format!("retrogression answer {} {} v{}: {e}", r.indicator, r.to_year, r.version)))?;
    Ok((
        CaseKey { indicator: r.indicator, area: r.area, cell_key: r.cell_key, to_year: r.to_year as i32 },
        CaseAnswer {
            version: r.version,
            from_year: r.from_year as i32,
            from_value: r.from_value,
            to_value: r.to_value,
            department: r.department,
            justification,
            answered_by: r.answered_by,
            answered_at: r.answered_at,
        },
    ))
}

impl Store {
    /// Every version of every answer, oldest first, or only the latest of each case.
    pub async fn retrogression_answers(&self, history: bool) -> Result<Vec<(CaseKey, CaseAnswer)>> {
        let sql = if history {
            "SELECT a.indicator, a.area, a.cell_key, a.to_year, a.version, a.from_year, a.from_value, a.to_value, a.department, a.justification, a.answered_by, a.answered_at \
             FROM retrogression_answer a ORDER BY a.indicator, a.area, a.cell_key, a.to_year, a.version"
        } else {
            "SELECT a.indicator, a.area, a.cell_key, a.to_year, a.version, a.from_year, a.from_value, a.to_value, a.department, a.justification, a.answered_by, a.answered_at \
             FROM retrogression_answer a WHERE a.version = (SELECT MAX(x.version) FROM retrogression_answer x \
             WHERE x.indicator = a.indicator AND x.area = a.area AND x.cell_key = a.cell_key AND x.to_year = a.to_year) \
             ORDER BY a.indicator, a.area, a.cell_key, a.to_year"
        };
        let rows: Vec<RawAnswer> = on_pool!(self, p => sqlx::query_as(sql).fetch_all(p).await?);
        rows.into_iter().map(from_raw).collect()
    }

    /// The open cases: each retrogressive step of a published national series of any article,
    /// once (an indicator under several articles is one case), with its latest answer.
    pub async fn retrogression_cases(&self) -> Result<Vec<RetrogressionCase>> {
        let cat = self.catalogue().await?;
        let mut cases = Vec::new();
        for s in self.series_evaluations(&Visibility::Published).await?.into_values() {
            let Some(r) = s.retrogression else { continue };
            let ind = cat.indicators.get(&s.indicator).map(|(i, _)| i);
            let department = ind.map(|i| i.department.clone()).unwrap_or_default();
            // The articles it is evaluated under, in order.
            let mut articles: Vec<u8> =
                ind.map(|i| i.icescr_articles.iter().copied().filter(|a| (1..=15).contains(a)).collect()).unwrap_or_default();
            articles.sort_unstable();
            articles.dedup();
            let figures_revised =
                s.justification.as_ref().is_some_and(|a| a.from_year != r.from.0 || a.from_value != r.from.1 || a.to_value != r.to.1);
            let SeriesEvaluation { indicator, area, cell, name_en, name_zh, sentence_en, sentence_zh, justification, .. } = s;
            cases.push(RetrogressionCase {
                key: CaseKey { indicator, area, cell_key: cell, to_year: r.to.0 },
                name_en,
                name_zh,
                department,
                articles,
                from: r.from,
                to: r.to,
                by: r.by,
                sentence_en,
                sentence_zh,
                answer: justification,
                figures_revised,
            });
        }
        Ok(cases)
    }

    /// One open case, or `None` when the published figures show no such step.
    pub async fn retrogression_case(&self, key: &CaseKey) -> Result<Option<RetrogressionCase>> {
        Ok(self.retrogression_cases().await?.into_iter().find(|c| &c.key == key))
    }

    /// Records the department's answer to an open case as a new version (an answer equal to the
    /// latest writes nothing and returns its version), audited with the figures it answers.
    /// Refused when the justification is incomplete or the figures show no such step.
    pub async fn answer_retrogression(&self, key: &CaseKey, justification: &Justification, actor: &Actor) -> Result<i64> {
        justification.check().map_err(|e| StoreError::Invalid(e.to_string()))?;
        let Some(case) = self.retrogression_case(key).await? else {
            return Err(StoreError::NotFound(format!(
                "a retrogression of {} in {} ({}) to {}: the published figures show no such step",
                key.indicator,
                key.area,
                if key.cell_key.is_empty() { "total" } else { &key.cell_key },
                key.to_year
            )));
        };
        if let Some(a) = &case.answer
            && &a.justification == justification
            && !case.figures_revised
        {
            return Ok(a.version);
        }
        let version = case.answer.as_ref().map_or(1, |a| a.version + 1);
        let json = serde_json::to_string(justification).expect("a justification serialises");
        let now = crate::now_rfc3339();
        let pg = self.backend() == Backend::Postgres;
        let id =
            format!("{} {} {} {}", key.indicator, key.area, key.cell_key, key.to_year).split_whitespace().collect::<Vec<_>>().join(" ");
        let summary = |j: &Justification| {
            let verdicts: Vec<String> = j.ordered().iter().map(|a| format!("{}={}", a.question.as_str(), a.verdict.as_str())).collect();
            format!("cause={}; {}", j.cause.as_str(), verdicts.join(", "))
        };
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO retrogression_answer (indicator, area, cell_key, to_year, version, from_year, from_value, to_value, department, justification, answered_by, answered_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(&key.indicator).bind(&key.area).bind(&key.cell_key).bind(i64::from(key.to_year)).bind(version)
            .bind(i64::from(case.from.0)).bind(case.from.1).bind(case.to.1)
            .bind(&case.department).bind(&json).bind(&actor.name).bind(&now)
            .execute(&mut *tx).await?;
            let reason = format!("{} {} → {} {}", case.from.0, case.from.1, case.to.0, case.to.1);
            append_audit!(&mut *tx, pg, &AuditEntry {
                actor, action: "retrogression.answer", entity: "retrogression_case", entity_id: &id,
                old_value: case.answer.as_ref().map(|a| summary(&a.justification)),
                new_value: Some(summary(justification)),
                reason: &reason,
            });
            tx.commit().await?;
        });
        Ok(version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rightstat_core::retrogression::{Answer, Cause, Explanation, Question, Verdict};

    pub(crate) fn engel_answer() -> Justification {
        Justification {
            cause: Cause::Circumstances,
            cause_explanation: Explanation {
                zh: "2022年疫情期间食品价格上涨，食品支出占比随之上升；并非国家措施所致。".into(),
                en:
                    "Food prices rose during the 2022 epidemic and the food share of spending with them; no measure of the State caused it."
                        .into(),
            },
            answers: Question::ALL
                .iter()
                .map(|q| Answer {
                    question: *q,
                    verdict: if *q == Question::MinimumCore { Verdict::Yes } else { Verdict::NotApplicable },
                    explanation: Explanation {
                        zh: format!("{}：见说明。", q.as_str()),
                        en: if *q == Question::MinimumCore {
                            "Dibao and temporary assistance were raised for households whose food spending rose.".into()
                        } else {
                            String::new()
                        },
                    },
                })
                .collect(),
        }
    }

    #[tokio::test]
    async fn cases_open_from_the_figures_and_answers_are_versioned_and_audited() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::connect(&crate::testing::fresh_sqlite_url(dir.path())).await.unwrap();
        s.seed_reference().await.unwrap();
        s.load_demo().await.unwrap();
        let cases = s.retrogression_cases().await.unwrap();
        // The Engel coefficient's real step, 29.8 % (2021) → 30.5 % (2022): one case, for the
        // indicator's department, under each article it serves.
        let engel = cases.iter().find(|c| c.key.indicator == "CN_ENGEL_COEF" && c.key.cell_key.is_empty()).expect("a case");
        assert_eq!((engel.from, engel.to, engel.key.to_year), ((2021, 29.8), (2022, 30.5), 2022));
        assert!(!engel.department.is_empty() && engel.articles.contains(&11) && engel.answer.is_none());
        assert_eq!(cases.iter().filter(|c| c.key == engel.key).count(), 1);

        let actor = Actor::new("nbs-coordinator", None);
        // Incomplete: refused, nothing written.
        let mut partial = engel_answer();
        partial.answers.pop();
        let e = s.answer_retrogression(&engel.key, &partial, &actor).await.unwrap_err();
        assert!(e.to_string().contains("independent_review: not answered"), "{e}");
        // A step the figures do not show: refused.
        let wrong = CaseKey { to_year: 2021, ..engel.key.clone() };
        let e = s.answer_retrogression(&wrong, &engel_answer(), &actor).await.unwrap_err();
        assert!(matches!(e, StoreError::NotFound(_)), "{e}");
        assert!(s.retrogression_answers(true).await.unwrap().is_empty());

        assert_eq!(s.answer_retrogression(&engel.key, &engel_answer(), &actor).await.unwrap(), 1);
        // The same answer again writes nothing; a changed one is version 2; the first is kept.
        assert_eq!(s.answer_retrogression(&engel.key, &engel_answer(), &actor).await.unwrap(), 1);
        let mut revised = engel_answer();
        revised.answers[0].verdict = Verdict::Partly;
        assert_eq!(s.answer_retrogression(&engel.key, &revised, &actor).await.unwrap(), 2);
        let history = s.retrogression_answers(true).await.unwrap();
        assert_eq!(history.iter().map(|(_, a)| a.version).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(history[0].1.justification, engel_answer());
        let audit =
            s.audit_log(&crate::audit::AuditFilter { entity: Some("retrogression_case".into()), ..Default::default() }).await.unwrap();
        assert_eq!(audit.len(), 2);
        let last = audit.iter().find(|a| a.new_value.as_deref().is_some_and(|v| v.contains("totality=partly"))).expect("audited");
        assert_eq!(last.actor, "nbs-coordinator");
        assert_eq!(last.old_value.as_deref().map(|v| v.contains("totality=not_applicable")), Some(true));
        assert_eq!(last.reason, "2021 29.8 → 2022 30.5");

        // The evaluation carries the latest answer to the drafts.
        let e = s.evaluate(&[11], &Visibility::Published).await.unwrap().remove(0);
        let series = e.series.iter().find(|x| x.indicator == "CN_ENGEL_COEF" && x.cell.is_empty()).unwrap();
        assert_eq!(series.justification.as_ref().map(|a| a.version), Some(2));
        let case = s.retrogression_case(&engel.key).await.unwrap().unwrap();
        assert_eq!(case.answer.as_ref().map(|a| a.justification.answers[0].verdict), Some(Verdict::Partly));
        assert!(!case.figures_revised);
    }
}
