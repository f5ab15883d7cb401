//! Terminology: local policy terms a reader abroad needs explained, and the wording of
//! international human-rights law to use instead. The checker finds the first use of each term
//! in a text (Chinese: the Chinese term; English: its literal and usual local renderings) so that
//! a draft can explain it there, in a footnote, and lists the terms left unexplained.

use serde::{Deserialize, Serialize};

/// One glossary entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Term {
    /// The local term, in Chinese.
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub zh: String,
    /// A word-for-word English rendering.
    pub literal_en: String,
    /// Other English renderings found in translated texts.
    #[serde(default)]
    pub local_en: Vec<String>,
    /// The wording of international human-rights law to prefer.
    pub preferred_en: String,
    /// One sentence a reader abroad needs.
    pub explanation_en: String,
    pub explanation_zh: String,
    /// ICESCR articles the term bears on.
    #[serde(default)]
    pub articles: Vec<u8>,
    /// CESCR General Comments, e.g. "GC 19".
    #[serde(default)]
    pub general_comments: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GlossaryError {
    #[error("glossary term {0}: {1} is empty")]
    Empty(String, &'static str),
    #[error("glossary term {0} is listed twice")]
    Duplicate(String),
    #[error("glossary term {term}: article {article} is not an ICESCR article (1–31)")]
    BadArticle { term: String, article: u8 },
    #[error("glossary term {term:?}: field {field} holds U+{code:04X} at character {at}; text may hold no control characters")]
    ControlCharacter { term: String, field: &'static str, code: u32, at: usize },
}

/// Checks a glossary: every entry complete, no term twice.
pub fn check(terms: &[Term]) -> Result<(), GlossaryError> {
    let mut seen = std::collections::HashSet::new();
    for t in terms {
        for (field, v) in [
            ("zh", &t.zh),
            ("literal_en", &t.literal_en),
            ("preferred_en", &t.preferred_en),
            ("explanation_en", &t.explanation_en),
            ("explanation_zh", &t.explanation_zh),
        ] {
            if v.trim().is_empty() {
                return Err(GlossaryError::Empty(t.zh.clone(), field));
            }
        }
        let locals = t.local_en.iter().map(|l| ("local_en", l));
        let gcs = t.general_comments.iter().map(|g| ("general_comments", g));
        let fields = [
            ("zh", &t.zh),
            ("literal_en", &t.literal_en),
            ("preferred_en", &t.preferred_en),
            ("explanation_en", &t.explanation_en),
            ("explanation_zh", &t.explanation_zh),
        ];
        for (field, v) in fields.into_iter().chain(locals).chain(gcs) {
            if let Some((at, c)) = crate::text::first_unclean(v, false) {
                return Err(GlossaryError::ControlCharacter { term: t.zh.escape_debug().to_string(), field, code: c as u32, at });
            }
        }
        if !seen.insert(t.zh.as_str()) {
            return Err(GlossaryError::Duplicate(t.zh.clone()));
        }
        if let Some(&article) = t.articles.iter().find(|a| !(1..=31).contains(*a)) {
            return Err(GlossaryError::BadArticle { term: t.zh.clone(), article });
        }
    }
    Ok(())
}

#[cfg(test)]
mod clean_tests {
    #[test]
    fn a_control_character_in_any_field_is_refused_with_its_place() {
        let mut t = crate::reference::glossary().remove(0);
        t.literal_en.push('\u{1}');
        let e = super::check(&[t]).unwrap_err();
        assert!(matches!(e, super::GlossaryError::ControlCharacter { field: "literal_en", code: 1, .. }), "{e}");
    }
}

impl Term {
    /// The forms to look for in a text of `lang` ("zh" or "en").
    pub fn forms(&self, lang: &str) -> Vec<&str> {
        if lang == "zh" {
            vec![self.zh.as_str()]
        } else {
            std::iter::once(self.literal_en.as_str()).chain(self.local_en.iter().map(String::as_str)).collect()
        }
    }

    /// The footnote explaining the term, in `lang`.
    pub fn footnote(&self, lang: &str) -> String {
        let gc = if self.general_comments.is_empty() { String::new() } else { format!("; {}", self.general_comments.join(", ")) };
        let arts = self.articles.iter().map(u8::to_string).collect::<Vec<_>>().join(", ");
        if lang == "zh" {
            // A Chinese list: 第9、11条；第19号一般性意见 (an enumeration comma, a full-width semicolon).
            let arts = self.articles.iter().map(u8::to_string).collect::<Vec<_>>().join("、");
            let gc = if self.general_comments.is_empty() {
                String::new()
            } else {
                let named: Vec<String> = self
                    .general_comments
                    .iter()
                    .map(|g| g.strip_prefix("GC ").map_or_else(|| g.clone(), |n| format!("第{n}号一般性意见")))
                    .collect();
                format!("；{}", named.join("、"))
            };
            let arts = if arts.is_empty() { String::new() } else { format!("(《公约》第{arts}条{gc})") };
            format!("{}:{}国际人权法用语:{}。{arts}", self.zh, self.explanation_zh, self.preferred_en)
        } else {
            let arts = if arts.is_empty() { String::new() } else { format!(" (ICESCR art. {arts}{gc})") };
            format!(
                "{} ({}): {} In the terms of international human-rights law: {}.{arts}",
                self.literal_en, self.zh, self.explanation_en, self.preferred_en
            )
        }
    }
}

/// Where a term is first used in a text: byte range of the form found.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstUse<'t> {
    pub term: &'t Term,
    pub start: usize,
    pub end: usize,
}

/// The first use of each glossary term in `text` (English matched case-insensitively, on word
/// boundaries), in order of appearance. Where forms overlap ("dibao" inside "dibao standard"),
/// the longest match at a position wins, and a term found inside another's match is not counted.
/// `names` are proper names (an agency's name) inside which a term is not a use: "乡村振兴" in
/// "国家乡村振兴局" is the name of an administration, not the policy.
pub fn first_uses<'t>(text: &str, lang: &str, terms: &'t [Term], names: &[&str]) -> Vec<FirstUse<'t>> {
    let hay = if lang == "zh" { text.to_string() } else { text.to_lowercase() };
    // Lower-casing keeps byte offsets for the ASCII and CJK text of these terms; fall back to
    // the original when it does not (then English matching is case-sensitive).
    let hay = if hay.len() == text.len() { hay } else { text.to_string() };
    // Every occurrence of every form, then the longest at each place, left to right, without
    // overlaps; a term's first use is its first occurrence that survives.
    let mut all: Vec<(usize, usize, usize)> = Vec::new();
    // A name is a span that covers what it contains and is no use of any term (index past the terms).
    let forms = terms.iter().enumerate().flat_map(|(k, t)| t.forms(lang).into_iter().map(move |f| (k, f)));
    for (k, form) in forms.chain(names.iter().map(|n| (terms.len(), *n))) {
        let needle = if lang == "zh" { form.to_string() } else { form.to_lowercase() };
        if needle.is_empty() {
            continue;
        }
        let mut from = 0;
        while let Some(i) = hay[from..].find(&needle) {
            let (s, e) = (from + i, from + i + needle.len());
            if lang == "zh" || on_word_boundary(&hay, s, e) {
                all.push((s, e, k));
            }
            from = e;
        }
    }
    all.sort_by_key(|&(s, e, _)| (s, std::cmp::Reverse(e)));
    let mut covered = 0;
    let mut out: Vec<FirstUse<'t>> = Vec::new();
    for (start, end, k) in all {
        if start < covered {
            continue;
        }
        covered = end;
        if k < terms.len() && !out.iter().any(|u| std::ptr::eq(u.term, &terms[k])) {
            out.push(FirstUse { term: &terms[k], start, end });
        }
    }
    out
}

fn on_word_boundary(s: &str, start: usize, end: usize) -> bool {
    let before = s[..start].chars().next_back();
    let after = s[end..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

/// Words in a text, as the treaty bodies count them for page limits: English words, plus each
/// Chinese character as one word (the UN counts the English translation; a character is a fair
/// proxy for a Chinese draft).
pub fn word_count(text: &str) -> usize {
    let cjk = text.chars().filter(|c| is_cjk(*c)).count();
    let latin = text.split(|c: char| c.is_whitespace() || is_cjk(c)).filter(|w| w.chars().any(char::is_alphanumeric)).count();
    cjk + latin
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0xF900..=0xFAFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms() -> Vec<Term> {
        crate::reference::glossary()
    }

    #[test]
    fn the_shipped_glossary_is_complete() {
        let t = terms();
        check(&t).unwrap();
        assert!(t.len() >= 40, "{} terms", t.len());
        for zh in ["精准扶贫", "两不愁三保障", "低保", "五保", "易地扶贫搬迁", "建档立卡", "返贫", "户籍", "乡村振兴", "驻村第一书记"]
        {
            assert!(t.iter().any(|x| x.zh == zh), "{zh} missing");
        }
    }

    #[test]
    fn first_uses_in_english_and_chinese() {
        let t = terms();
        let en = "Under Targeted Poverty Alleviation, every household got a file. The dibao standard rose; dibao covered 40 million. Hukou reform followed.";
        let uses = first_uses(en, "en", &t, &[]);
        let names: Vec<&str> = uses.iter().map(|u| u.term.zh.as_str()).collect();
        assert_eq!(
            names,
            ["精准扶贫", "低保标准", "低保", "户籍"],
            "the longest match wins; dibao inside 'dibao standard' is not its use: {names:?}"
        );
        assert_eq!(&en[uses[0].start..uses[0].end], "Targeted Poverty Alleviation");
        // "dibao" alone later is the first use of 低保.
        let en2 = "The dibao standard rose. Then dibao reached more people.";
        let u2 = first_uses(en2, "en", &t, &[]);
        assert!(u2.iter().any(|u| u.term.zh == "低保" && &en2[u.start..u.end] == "dibao" && u.start > 20), "{u2:?}");
        assert!(first_uses("Tibaoxyz and dibaos", "en", &t, &[]).iter().all(|u| u.term.zh != "低保"), "whole words only");
        let zh = "通过精准扶贫和易地扶贫搬迁,建档立卡贫困人口全部脱贫。";
        let names: Vec<&str> = first_uses(zh, "zh", &t, &[]).iter().map(|u| u.term.zh.as_str()).collect();
        assert_eq!(names, ["精准扶贫", "易地扶贫搬迁", "建档立卡"]);
        // Inside an agency's name a term is no use of it: the footnote goes to the policy.
        let zh = "国家乡村振兴局负责实施乡村振兴战略。";
        let uses = first_uses(zh, "zh", &t, &["国家乡村振兴局"]);
        let u = uses.iter().find(|u| u.term.zh == "乡村振兴").expect("the policy is a use");
        assert_eq!(&zh[u.end..], "战略。");
        assert!(first_uses("国家乡村振兴局", "zh", &t, &["国家乡村振兴局"]).is_empty());
    }

    #[test]
    fn footnotes_and_word_counts() {
        let t = terms();
        let dibao = t.iter().find(|x| x.zh == "低保").unwrap();
        let en = dibao.footnote("en");
        assert!(
            en.starts_with("low guarantee (低保): The means-tested")
                && en.contains("minimum income guarantee")
                && en.contains("ICESCR art. 9, 11; GC 19"),
            "{en}"
        );
        assert!(dibao.footnote("zh").contains("《公约》第9、11条"), "{}", dibao.footnote("zh"));
        assert!(!dibao.footnote("zh").contains("GC "), "{}", dibao.footnote("zh"));
        assert_eq!(word_count("The rural poor population fell to 5.51 million."), 8);
        assert_eq!(word_count("农村贫困人口 fell"), 7);
    }
}
