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
    /// Replies to a list of issues: 10,700 words.
    ListOfIssuesReplies,
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
            Kind::ListOfIssuesReplies => Some(rightstat_core::dialogue::REPLIES_WORD_LIMIT),
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
    /// Where the author finds it, as the draft reads: "Article 2 › Measures taken, para. 5".
    pub place: Option<String>,
}

/// Where block `block` (1-based) stands in the draft as its reader sees it: the headings above
/// it and its paragraph number (or its table's caption).
pub fn place(doc: &Document, block: usize) -> String {
    let mut headings: Vec<(u8, String)> = Vec::new();
    let mut number = 0;
    for (i, b) in doc.blocks.iter().enumerate().take(block) {
        match b {
            Block::Heading { level, text } => {
                headings.retain(|(l, _)| l < level);
                headings.push((*level, text.clone()));
            }
            Block::Para { numbered: true, .. } => number += 1,
            _ => {}
        }
        if i + 1 == block {
            let section = headings.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>().join(" › ");
            let zh = doc.lang == crate::Lang::Zh;
            let at = match (b, zh) {
                (Block::Para { numbered: true, .. }, false) => format!("para. {number}"),
                (Block::Para { numbered: true, .. }, true) => format!("第{number}段"),
                (Block::Table(t), false) => format!("table \"{}\"", t.caption),
                (Block::Table(t), true) => format!("表“{}”", t.caption),
                (Block::Chart { caption, .. }, _) => format!("“{caption}”"),
                (Block::Heading { text, .. }, _) => format!("“{text}”"),
                (Block::Para { .. }, false) => format!("the paragraph after para. {number}"),
                (Block::Para { .. }, true) => format!("第{number}段之后的段落"),
            };
            return if section.is_empty() { at } else { format!("{section}, {at}") };
        }
    }
    format!("block {block}")
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
            place: None,
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
                place: Some(place(doc, i + 1)),
            });
        }
    }
    // A local term is footnoted by itself; the author acts only where the text could use the
    // Committee's wording instead (not where it already does).
    // In a Chinese draft the local term is the right word: the Committee's wording matters in
    // the English one.
    let english = doc.lang == crate::Lang::En;
    for t in terms.iter().filter(|t| {
        english && !t.preferred_en.eq_ignore_ascii_case(&t.found) && !t.preferred_en.to_lowercase().contains(&t.found.to_lowercase())
    }) {
        out.push(Finding {
            check: "local_term",
            message_en: format!(
                "\"{}\" ({}) is a local term, explained in a footnote: write the Committee's wording, \"{}\", or keep the term with its footnote",
                t.found, t.term, t.preferred_en
            ),
            message_zh: format!("“{}”为地方性用语，已加脚注解释：可改用国际人权法用语“{}”，或保留该用语及脚注", t.found, t.preferred_en),
            block: Some(t.block),
            place: Some(place(doc, t.block)),
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
    fn a_place_is_the_section_and_the_paragraph_number() {
        let mut d = Document::new("t", Lang::En);
        d.heading(1, "Article 2");
        d.numbered("one");
        d.heading(2, "Measures taken");
        d.numbered("two");
        d.numbered("three");
        d.heading(1, "Article 9");
        d.numbered("four");
        assert_eq!(place(&d, 5), "Article 2 › Measures taken, para. 3");
        assert_eq!(place(&d, 7), "Article 9, para. 4");
    }

    #[test]
    fn long_drafts_and_unsourced_tables_are_listed() {
        let mut d = Document::new("t", Lang::En);
        d.para("word ".repeat(10_701));
        d.table(Table { caption: "Rural poor population".into(), rows: vec![vec!["2019".into(), "551".into()]], ..Default::default() });
        let (words, f) = check(&d, Kind::UprNationalReport, &[]);
        assert!(words > 10_700);
        assert_eq!(f.iter().map(|x| x.check).collect::<Vec<_>>(), ["word_limit", "no_source"]);
        assert_eq!(f[1].block, Some(2));
        assert_eq!(f[1].place.as_deref(), Some("table \"Rural poor population\""));
        assert!(check(&d, Kind::PeriodicReport, &[]).1.iter().all(|x| x.check != "word_limit"));
    }
}
