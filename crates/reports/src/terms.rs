//! Local policy terms in a draft: the first use of each glossary term gets a footnote with the
//! explanation and the wording of international human-rights law; every term found is listed
//! for the author (who may prefer to rephrase).

use crate::doc::{Block, Document, Inline};
use rightstat_core::glossary::{Term, first_uses};
use serde::Serialize;

/// A local term found in a draft.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TermUse {
    /// The Chinese term (the glossary's key).
    pub term: String,
    /// The words found in the draft.
    pub found: String,
    /// The preferred wording.
    pub preferred_en: String,
    /// 1-based number of the block (heading, paragraph or table) of its first use.
    pub block: usize,
}

/// Adds a footnote after the first use of each term in the draft's paragraphs; returns every
/// term found, in order of first use. Inside `names` (agencies' names) a term is no use.
pub fn explain(doc: &mut Document, glossary: &[Term], names: &[&str]) -> Vec<TermUse> {
    let lang = doc.lang.code();
    let mut seen: Vec<TermUse> = Vec::new();
    for (b, block) in doc.blocks.iter_mut().enumerate() {
        let Block::Para { inlines, .. } = block else { continue };
        let mut out: Vec<Inline> = Vec::with_capacity(inlines.len());
        for inline in inlines.drain(..) {
            let Inline::Text(text) = inline else {
                out.push(inline);
                continue;
            };
            let mut rest_from = 0;
            for u in first_uses(&text, lang, glossary, names) {
                if seen.iter().any(|s| s.term == u.term.zh) {
                    continue;
                }
                seen.push(TermUse {
                    term: u.term.zh.clone(),
                    found: text[u.start..u.end].to_string(),
                    preferred_en: u.term.preferred_en.clone(),
                    block: b + 1,
                });
                out.push(Inline::Text(text[rest_from..u.end].to_string()));
                out.push(Inline::Footnote(u.term.footnote(lang)));
                rest_from = u.end;
            }
            if rest_from < text.len() {
                out.push(Inline::Text(text[rest_from..].to_string()));
            }
        }
        *inlines = out;
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;

    #[test]
    fn the_first_use_of_each_term_is_footnoted_once() {
        let g = rightstat_core::reference::glossary();
        let mut d = Document::new("t", Lang::En);
        d.numbered("Targeted poverty alleviation reached every county; dibao covered the rest.");
        d.numbered("Dibao standards rose again, and targeted poverty alleviation ended in 2020.");
        let uses = explain(&mut d, &g, &[]);
        assert_eq!(uses.iter().map(|u| u.term.as_str()).collect::<Vec<_>>(), ["精准扶贫", "低保"]);
        let Block::Para { inlines, .. } = &d.blocks[0] else { panic!() };
        assert_eq!(inlines[0], Inline::Text("Targeted poverty alleviation".into()));
        assert!(matches!(&inlines[1], Inline::Footnote(f) if f.contains("identified every poor household")));
        assert_eq!(inlines[2], Inline::Text(" reached every county; dibao".into()));
        assert!(matches!(&inlines[3], Inline::Footnote(f) if f.starts_with("low guarantee (低保)")));
        assert_eq!(inlines[4], Inline::Text(" covered the rest.".into()));
        let Block::Para { inlines, .. } = &d.blocks[1] else { panic!() };
        assert_eq!(inlines.len(), 1, "second uses are not footnoted again");
    }
}
