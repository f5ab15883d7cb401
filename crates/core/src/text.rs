//! Clean text: what may be stored in a text field so that every output made from it (DOCX,
//! XLSX, SDMX-ML, HTML) stays well-formed. XML 1.0 allows no control character other than tab,
//! line feed and carriage return, and no U+FFFE or U+FFFF.

use crate::ingest::Finding;

/// The first character that may not be stored in a text field, with its position (in
/// characters, 1-based). Line breaks are allowed only where `line_breaks` is true; a tab always.
pub fn first_unclean(text: &str, line_breaks: bool) -> Option<(usize, char)> {
    text.chars().enumerate().find(|&(_, c)| !allowed(c, line_breaks)).map(|(i, c)| (i + 1, c))
}

fn allowed(c: char, line_breaks: bool) -> bool {
    match c {
        '\t' => true,
        '\n' | '\r' => line_breaks,
        '\u{FFFE}' | '\u{FFFF}' => false,
        c => !c.is_control(),
    }
}

/// The finding for a text field holding a character it may not hold.
pub fn check_clean(column: &str, text: &str, line_breaks: bool) -> Option<Finding> {
    let (at, c) = first_unclean(text, line_breaks)?;
    Some(Finding {
        column: column.to_string(),
        value: text.escape_debug().to_string(),
        expected: format!(
            "text without control characters (found U+{:04X} at character {at}; only tab{} may appear)",
            c as u32,
            if line_breaks { " and line breaks" } else { "" }
        ),
    })
}

/// Text made safe for XML whatever was stored: every character XML 1.0 forbids is dropped.
/// The last line of defence of every writer of XML-based files (DOCX, XLSX, SDMX-ML).
/// A value as a message shows it: whole when short, else its first 80 characters and how long
/// it was (a 10 MB cell is not echoed back whole).
pub fn shown(value: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 80;
    match value.char_indices().nth(MAX) {
        None => value.into(),
        Some((cut, _)) => format!("{}… ({} characters)", &value[..cut], value.chars().count()).into(),
    }
}

pub fn xml_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if first_unclean(text, true).is_none() {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(text.chars().filter(|&c| allowed(c, true)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_and_named() {
        assert_eq!(first_unclean("精准扶贫\ttab", false), None);
        assert_eq!(first_unclean("a\nb", true), None);
        assert_eq!(first_unclean("a\nb", false), Some((2, '\n')));
        assert_eq!(first_unclean("ab\u{0}", true), Some((3, '\u{0}')));
        for c in ['\u{1}', '\u{8}', '\u{b}', '\u{1b}', '\u{7f}', '\u{85}', '\u{FFFF}'] {
            assert!(first_unclean(&format!("x{c}"), true).is_some(), "{:?}", c);
        }
        let f = check_clean("source", "NBS\u{8}", false).unwrap();
        assert!(f.expected.contains("U+0008 at character 4"), "{}", f.expected);
    }

    #[test]
    fn xml_safe_drops_only_what_xml_forbids() {
        assert_eq!(xml_safe("a\u{0}b\u{1}c\td\ne"), "abc\td\ne");
        assert!(matches!(xml_safe("clean 文本"), std::borrow::Cow::Borrowed(_)));
    }
}
