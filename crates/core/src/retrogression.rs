//! A retrogression case: the questions the Committee on Economic, Social and Cultural Rights
//! asks of a retrogressive step, and the responsible department's answers as a structured form.
//!
//! The questions follow the Committee's statement on the evaluation of the obligation to take
//! steps to the "maximum of available resources" (E/C.12/2007/1, para. 10), General Comment
//! No. 3, para. 9 ("fully justified by reference to the totality of the rights provided for in
//! the Covenant and in the context of the full use of the maximum available resources") and the
//! Chairperson's letter of 16 May 2012 on austerity measures (temporary, necessary and
//! proportionate, non-discriminatory, protecting the minimum core). A figure can go back without
//! a deliberate measure (an economic shock, a change of method), so the form asks the cause first.

use crate::lang::Lang;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The longest explanation kept, in characters.
pub const MAX_EXPLANATION: usize = 4000;

/// What made the figure go back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Cause {
    /// A measure the State took (a cut, a change of eligibility, a reform).
    DeliberateMeasure,
    /// Circumstances beyond a measure: an economic shock, a disaster, an epidemic, prices.
    Circumstances,
    /// The figure: a change of method, coverage or survey, a sampling error.
    Measurement,
}

impl Cause {
    pub const ALL: [Cause; 3] = [Cause::DeliberateMeasure, Cause::Circumstances, Cause::Measurement];

    pub fn as_str(self) -> &'static str {
        match self {
            Cause::DeliberateMeasure => "deliberate_measure",
            Cause::Circumstances => "circumstances",
            Cause::Measurement => "measurement",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Cause::DeliberateMeasure, Lang::En) => "a measure the State took",
            (Cause::DeliberateMeasure, Lang::Zh) => "国家采取的措施",
            (Cause::Circumstances, Lang::En) => "circumstances beyond a measure (an economic shock, a disaster, an epidemic)",
            (Cause::Circumstances, Lang::Zh) => "措施以外的情况（经济冲击、灾害、疫情等）",
            (Cause::Measurement, Lang::En) => "the measurement (a change of method, coverage or survey)",
            (Cause::Measurement, Lang::Zh) => "统计原因（方法、口径或调查变化）",
        }
    }
}

impl FromStr for Cause {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Cause::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| format!("cause '{s}': expected deliberate_measure, circumstances or measurement"))
    }
}

/// The Committee's questions of a retrogressive step, in the order the form asks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Question {
    /// Justified by reference to the totality of the rights and the full use of resources.
    Totality,
    /// Alternatives comprehensively examined.
    Alternatives,
    /// Temporary, lasting only as long as the circumstances that caused it.
    Temporary,
    /// Necessary and proportionate.
    NecessaryProportionate,
    /// Neither directly nor indirectly discriminatory.
    NonDiscriminatory,
    /// The minimum core content of the right and the disadvantaged protected.
    MinimumCore,
    /// Genuine participation of the groups affected.
    Participation,
    /// An independent review at the national level.
    IndependentReview,
}

impl Question {
    pub const ALL: [Question; 8] = [
        Question::Totality,
        Question::Alternatives,
        Question::Temporary,
        Question::NecessaryProportionate,
        Question::NonDiscriminatory,
        Question::MinimumCore,
        Question::Participation,
        Question::IndependentReview,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Question::Totality => "totality",
            Question::Alternatives => "alternatives",
            Question::Temporary => "temporary",
            Question::NecessaryProportionate => "necessary_proportionate",
            Question::NonDiscriminatory => "non_discriminatory",
            Question::MinimumCore => "minimum_core",
            Question::Participation => "participation",
            Question::IndependentReview => "independent_review",
        }
    }

    /// The question as the form and the drafts ask it.
    pub fn text(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Question::Totality, Lang::En) => {
                "Was the step justified by reference to the totality of the rights in the Covenant and in the context of the full use of the maximum available resources?"
            }
            (Question::Totality, Lang::Zh) => "该倒退是否参照《公约》规定的全部权利、并在充分利用现有资源的前提下说明了理由？",
            (Question::Alternatives, Lang::En) => "Were the alternatives comprehensively examined?",
            (Question::Alternatives, Lang::Zh) => "是否全面研究了替代办法？",
            (Question::Temporary, Lang::En) => "Is it temporary, lasting only as long as the circumstances that caused it?",
            (Question::Temporary, Lang::Zh) => "是否为临时性的，仅在引起它的情况存续期间有效？",
            (Question::NecessaryProportionate, Lang::En) => "Was it necessary and proportionate?",
            (Question::NecessaryProportionate, Lang::Zh) => "是否必要且相称？",
            (Question::NonDiscriminatory, Lang::En) => "Is it free of direct and indirect discrimination?",
            (Question::NonDiscriminatory, Lang::Zh) => "是否不构成直接或间接歧视？",
            (Question::MinimumCore, Lang::En) => {
                "Were the minimum core content of the right and the disadvantaged and marginalised protected?"
            }
            (Question::MinimumCore, Lang::Zh) => "是否保障了该权利的最低核心内容，保护了弱势和边缘群体？",
            (Question::Participation, Lang::En) => "Did the groups affected take genuine part in examining the step and its alternatives?",
            (Question::Participation, Lang::Zh) => "受影响群体是否切实参与了对该措施及其替代办法的研究？",
            (Question::IndependentReview, Lang::En) => "Was the step reviewed independently at the national level?",
            (Question::IndependentReview, Lang::Zh) => "是否在国家层面接受了独立审查？",
        }
    }

    /// Where the Committee asks it.
    pub fn basis(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Question::Totality, Lang::En) => "General Comment No. 3, para. 9; E/C.12/2007/1, para. 10(a)",
            (Question::Totality, Lang::Zh) => "第3号一般性意见第9段；E/C.12/2007/1第10段(a)",
            (Question::Alternatives, Lang::En) => "E/C.12/2007/1, para. 10(b)",
            (Question::Alternatives, Lang::Zh) => "E/C.12/2007/1第10段(b)",
            (Question::Temporary | Question::NecessaryProportionate, Lang::En) => "CESCR letter to States parties of 16 May 2012",
            (Question::Temporary | Question::NecessaryProportionate, Lang::Zh) => "经济、社会及文化权利委员会2012年5月16日致缔约国的信",
            (Question::NonDiscriminatory, Lang::En) => "E/C.12/2007/1, para. 10(d); General Comment No. 20",
            (Question::NonDiscriminatory, Lang::Zh) => "E/C.12/2007/1第10段(d)；第20号一般性意见",
            (Question::MinimumCore, Lang::En) => "E/C.12/2007/1, para. 10(e); General Comment No. 3, para. 10",
            (Question::MinimumCore, Lang::Zh) => "E/C.12/2007/1第10段(e)；第3号一般性意见第10段",
            (Question::Participation, Lang::En) => "E/C.12/2007/1, para. 10(c)",
            (Question::Participation, Lang::Zh) => "E/C.12/2007/1第10段(c)",
            (Question::IndependentReview, Lang::En) => "E/C.12/2007/1, para. 10(f)",
            (Question::IndependentReview, Lang::Zh) => "E/C.12/2007/1第10段(f)",
        }
    }
}

impl FromStr for Question {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Question::ALL.into_iter().find(|q| q.as_str() == s.trim()).ok_or_else(|| {
            format!("question '{s}': expected one of {}", Question::ALL.iter().map(|q| q.as_str()).collect::<Vec<_>>().join(", "))
        })
    }
}

/// The department's short answer to a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Verdict {
    Yes,
    Partly,
    No,
    /// Only where the step was not a measure the State took.
    NotApplicable,
}

impl Verdict {
    pub const ALL: [Verdict; 4] = [Verdict::Yes, Verdict::Partly, Verdict::No, Verdict::NotApplicable];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Yes => "yes",
            Verdict::Partly => "partly",
            Verdict::No => "no",
            Verdict::NotApplicable => "not_applicable",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Verdict::Yes, Lang::En) => "yes",
            (Verdict::Yes, Lang::Zh) => "是",
            (Verdict::Partly, Lang::En) => "partly",
            (Verdict::Partly, Lang::Zh) => "部分",
            (Verdict::No, Lang::En) => "no",
            (Verdict::No, Lang::Zh) => "否",
            (Verdict::NotApplicable, Lang::En) => "not applicable",
            (Verdict::NotApplicable, Lang::Zh) => "不适用",
        }
    }
}

impl FromStr for Verdict {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Verdict::ALL
            .into_iter()
            .find(|v| v.as_str() == s.trim())
            .ok_or_else(|| format!("answer '{s}': expected yes, partly, no or not_applicable"))
    }
}

/// An explanation in Chinese, English or both; the drafts take the language they are written in
/// and mark the answers that still need translating.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Explanation {
    #[serde(default)]
    pub zh: String,
    #[serde(default)]
    pub en: String,
}

impl Explanation {
    /// The text in `lang`, or in the other language when it is missing (with `false`).
    pub fn pick(&self, lang: Lang) -> (&str, bool) {
        let (want, other) = match lang {
            Lang::En => (&self.en, &self.zh),
            Lang::Zh => (&self.zh, &self.en),
        };
        if want.trim().is_empty() { (other.trim(), false) } else { (want.trim(), true) }
    }

    fn is_empty(&self) -> bool {
        self.zh.trim().is_empty() && self.en.trim().is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Answer {
    pub question: Question,
    pub verdict: Verdict,
    pub explanation: Explanation,
}

/// The department's justification of a retrogressive step: the cause and an answer to every
/// question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Justification {
    pub cause: Cause,
    pub cause_explanation: Explanation,
    pub answers: Vec<Answer>,
}

/// Why a justification is refused; the field names the form's field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JustificationError {
    #[error("{field}: an explanation is needed, in Chinese or English")]
    Empty { field: String },
    #[error("{field}: {length} characters; at most {MAX_EXPLANATION}")]
    TooLong { field: String, length: usize },
    #[error("{question}: not answered; every question of the Committee needs an answer")]
    Unanswered { question: &'static str },
    #[error("{question}: answered twice")]
    Twice { question: &'static str },
    #[error("{question}: 'not applicable' is for a step the State did not take; a measure the State took answers yes, partly or no")]
    NotApplicableToMeasure { question: &'static str },
}

impl Justification {
    /// Every question answered once, in the form's order, with an explanation of reasonable size;
    /// "not applicable" only where the cause is not a measure the State took.
    pub fn check(&self) -> Result<(), JustificationError> {
        let text = |field: String, e: &Explanation| {
            if e.is_empty() {
                return Err(JustificationError::Empty { field });
            }
            for t in [&e.zh, &e.en] {
                let length = t.chars().count();
                if length > MAX_EXPLANATION {
                    return Err(JustificationError::TooLong { field, length });
                }
            }
            Ok(())
        };
        text("cause".into(), &self.cause_explanation)?;
        for q in Question::ALL {
            let mut these = self.answers.iter().filter(|a| a.question == q);
            let Some(a) = these.next() else { return Err(JustificationError::Unanswered { question: q.as_str() }) };
            if these.next().is_some() {
                return Err(JustificationError::Twice { question: q.as_str() });
            }
            if a.verdict == Verdict::NotApplicable && self.cause == Cause::DeliberateMeasure {
                return Err(JustificationError::NotApplicableToMeasure { question: q.as_str() });
            }
            text(q.as_str().into(), &a.explanation)?;
        }
        Ok(())
    }

    /// The answers in the form's order (after [`Justification::check`] every question has one).
    pub fn ordered(&self) -> Vec<&Answer> {
        Question::ALL.iter().filter_map(|q| self.answers.iter().find(|a| a.question == *q)).collect()
    }

    /// Does every explanation exist in `lang`?
    pub fn complete_in(&self, lang: Lang) -> bool {
        self.cause_explanation.pick(lang).1 && self.answers.iter().all(|a| a.explanation.pick(lang).1)
    }
}

impl fmt::Display for Question {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zh(t: &str) -> Explanation {
        Explanation { zh: t.into(), en: String::new() }
    }

    fn full(cause: Cause, verdict: Verdict) -> Justification {
        Justification {
            cause,
            cause_explanation: zh("新冠疫情期间食品价格上涨"),
            answers: Question::ALL.iter().map(|q| Answer { question: *q, verdict, explanation: zh("说明") }).collect(),
        }
    }

    #[test]
    fn every_question_answered_once_with_an_explanation() {
        assert_eq!(full(Cause::DeliberateMeasure, Verdict::Yes).check(), Ok(()));
        let mut j = full(Cause::Circumstances, Verdict::NotApplicable);
        assert_eq!(j.check(), Ok(()));
        j.answers.retain(|a| a.question != Question::Participation);
        assert_eq!(j.check(), Err(JustificationError::Unanswered { question: "participation" }));
        let mut j = full(Cause::Circumstances, Verdict::Partly);
        j.answers.push(j.answers[0].clone());
        assert_eq!(j.check(), Err(JustificationError::Twice { question: "totality" }));
        let mut j = full(Cause::Circumstances, Verdict::No);
        j.answers[3].explanation = Explanation { zh: "  ".into(), en: String::new() };
        assert_eq!(j.check(), Err(JustificationError::Empty { field: "necessary_proportionate".into() }));
        let mut j = full(Cause::Circumstances, Verdict::No);
        j.cause_explanation = Explanation::default();
        assert_eq!(j.check(), Err(JustificationError::Empty { field: "cause".into() }));
        let mut j = full(Cause::Measurement, Verdict::No);
        j.answers[0].explanation.en = "x".repeat(MAX_EXPLANATION + 1);
        assert!(matches!(j.check(), Err(JustificationError::TooLong { length, .. }) if length == MAX_EXPLANATION + 1));
    }

    #[test]
    fn a_measure_the_state_took_answers_every_question() {
        let e = full(Cause::DeliberateMeasure, Verdict::NotApplicable).check().unwrap_err();
        assert_eq!(e, JustificationError::NotApplicableToMeasure { question: "totality" });
        assert!(e.to_string().contains("yes, partly or no"), "{e}");
    }

    #[test]
    fn explanations_fall_back_to_the_other_language_and_say_so() {
        let mut j = full(Cause::Circumstances, Verdict::Yes);
        assert_eq!(j.cause_explanation.pick(Lang::En), ("新冠疫情期间食品价格上涨", false));
        assert!(j.complete_in(Lang::Zh) && !j.complete_in(Lang::En));
        j.cause_explanation.en = "Food prices rose during the pandemic".into();
        for a in &mut j.answers {
            a.explanation.en = "Explained".into();
        }
        assert!(j.complete_in(Lang::En));
        assert_eq!(j.ordered().iter().map(|a| a.question).collect::<Vec<_>>(), Question::ALL.to_vec());
    }

    #[test]
    fn names_parse_back() {
        for q in Question::ALL {
            assert_eq!(q.as_str().parse::<Question>(), Ok(q));
            assert_eq!(serde_json::to_value(q).unwrap(), serde_json::json!(q.as_str()));
        }
        for v in Verdict::ALL {
            assert_eq!(v.as_str().parse::<Verdict>(), Ok(v));
            assert_eq!(serde_json::to_value(v).unwrap(), serde_json::json!(v.as_str()));
        }
        for c in Cause::ALL {
            assert_eq!(c.as_str().parse::<Cause>(), Ok(c));
            assert_eq!(serde_json::to_value(c).unwrap(), serde_json::json!(c.as_str()));
        }
        assert!("maybe".parse::<Verdict>().unwrap_err().contains("expected yes, partly, no or not_applicable"));
    }
}
