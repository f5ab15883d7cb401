//! What the author of a draft must look at before it goes out: listed, never silently fixed.

use crate::doc::{Block, Document};
use crate::terms::TermUse;
use serde::Serialize;

/// The kinds of report with a word limit set by the General Assembly (resolution 68/268) or the
/// Human Rights Council (UPR).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Kind {
    /// A treaty periodic report: 21,200 words.
    PeriodicReport,
    /// A UPR national report: 10,700 words.
    UprNationalReport,
    /// A common core document: 42,400 words.
    CommonCoreDocument,
    /// Annexes and working papers: no limit.
    Unlimited,
}

impl Kind {
    pub fn word_limit(self) -> Option<usize> {
        match self {
            Kind::PeriodicReport => Some(21_200),
            Kind::UprNationalReport => Some(10_700),
            Kind::CommonCoreDocument => Some(42_400),
            Kind::Unlimited => None,
        }
    }
}

/// One thing for the author to look at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// word_limit, no_source, local_term
    pub check: &'static str,
    pub message_en: String,
    pub message_zh: String,
    /// 1-based block number, when the finding has a place.
    pub block: Option<usize>,
}

/// The checks on every draft: length, figures without a source, local terms found.
pub fn check(doc: &Document, kind: Kind, terms: &[TermUse]) -> (usize, Vec<Finding>) {
    let words = rightstat_core::glossary::word_count(&doc.text());
    let mut out = Vec::new();
    if let Some(limit) = kind.word_limit().filter(|l| words > *l) {
        out.push(Finding {
            check: "word_limit",
            message_en: format!("{words} words: over the limit of {limit} for this kind of report by {}", words - limit),
            message_zh: format!("共{words}词,超过此类报告{limit}词的上限{}词", words - limit),
            block: None,
        });
    }
    for (i, b) in doc.blocks.iter().enumerate() {
        if let Block::Table(t) = b
            && t.source.as_deref().is_none_or(|s| s.trim().is_empty())
        {
            out.push(Finding {
                check: "no_source",
                message_en: format!("table \"{}\" has figures but no source", t.caption),
                message_zh: format!("表“{}”有数据但未注明来源", t.caption),
                block: Some(i + 1),
            });
        }
    }
    for t in terms {
        out.push(Finding {
            check: "local_term",
            message_en: format!(
                "local term \"{}\" ({}) explained in a footnote at its first use; consider \"{}\"",
                t.found, t.term, t.preferred_en
            ),
            message_zh: format!("地方性用语“{}”已在首次出现处加脚注解释;可考虑国际人权法用语“{}”", t.found, t.preferred_en),
            block: Some(t.block),
        });
    }
    (words, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;
    use crate::doc::Table;

    #[test]
    fn long_drafts_and_unsourced_tables_are_listed() {
        let mut d = Document::new("t", Lang::En);
        d.para("word ".repeat(10_701));
        d.table(Table { caption: "Rural poor population".into(), rows: vec![vec!["2019".into(), "551".into()]], ..Default::default() });
        let (words, f) = check(&d, Kind::UprNationalReport, &[]);
        assert!(words > 10_700);
        assert_eq!(f.iter().map(|x| x.check).collect::<Vec<_>>(), ["word_limit", "no_source"]);
        assert_eq!(f[1].block, Some(2));
        assert!(check(&d, Kind::PeriodicReport, &[]).1.iter().all(|x| x.check != "word_limit"));
    }
}
