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
fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3000}'..='\u{303f}' | '\u{ff00}'..='\u{ffef}' | '\u{3400}'..='\u{4dbf}')
}

/// Chinese text with Chinese punctuation: the half-width `,` `;` `:` `(` `)` of English next to
/// Chinese characters become `，` `；` `：` `（` `）` (and the spaces English puts after them go);
/// a comma or colon between digits (12,238; 12:00), a URL's `://`, and brackets around English
/// text stay as they are. A `)` follows its `(`.
pub fn zh_punctuation(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let neighbour = |i: usize, step: isize| -> Option<char> {
        let mut j = i as isize + step;
        while j >= 0 && (j as usize) < c.len() {
            if c[j as usize] != ' ' {
                return Some(c[j as usize]);
            }
            j += step;
        }
        None
    };
    // Before: what has been written (a bracket just made Chinese counts); after: the text.
    let near_cjk =
        |out: &str, i: usize| out.trim_end_matches(' ').chars().next_back().is_some_and(is_cjk) || neighbour(i, 1).is_some_and(is_cjk);
    let digit_at = |j: Option<usize>| j.and_then(|j| c.get(j)).is_some_and(char::is_ascii_digit);
    // In a Chinese text, figures are listed the Chinese way too ("2012：33.0；2016：30.1").
    let chinese = c.iter().copied().any(is_cjk);
    let by_figure = |out: &str, i: usize| {
        chinese
            && (out.trim_end_matches(' ').chars().next_back().is_some_and(|p| p.is_ascii_digit())
                || neighbour(i, 1).is_some_and(|n| n.is_ascii_digit()))
    };
    let mut out = String::with_capacity(text.len());
    let mut opened: Vec<bool> = Vec::new();
    let mut skip_spaces = false;
    for i in 0..c.len() {
        let ch = c[i];
        if skip_spaces && ch == ' ' {
            continue;
        }
        skip_spaces = false;
        let between_digits = digit_at(i.checked_sub(1)) && digit_at(Some(i + 1));
        let full = match ch {
            ',' if !between_digits && near_cjk(&out, i) => Some('，'),
            ';' if near_cjk(&out, i) || by_figure(&out, i) => Some('；'),
            ':' if !between_digits && c.get(i + 1) != Some(&'/') && (near_cjk(&out, i) || by_figure(&out, i)) => Some('：'),
            '(' => {
                // Its contents: up to the matching ')'. Brackets around figures or Chinese in a
                // Chinese text are Chinese brackets; around English words they stay English.
                let mut depth = 0;
                let close = (i..c.len()).find(|&j| {
                    match c[j] {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                });
                let inner = close.map_or(&c[i + 1..], |j| &c[i + 1..j]);
                let english = inner.iter().any(char::is_ascii_alphabetic) && !inner.iter().copied().any(is_cjk);
                let conv = neighbour(i, -1).is_some_and(is_cjk)
                    || c.get(i + 1).copied().is_some_and(is_cjk)
                    || (c.iter().copied().any(is_cjk) && !english && !inner.is_empty());
                opened.push(conv);
                conv.then_some('（')
            }
            ')' => match opened.pop() {
                Some(conv) => conv.then_some('）'),
                None => near_cjk(&out, i).then_some('）'),
            },
            _ => None,
        };
        match full {
            Some(f) => {
                if f == '（' {
                    while out.ends_with(' ') {
                        out.pop();
                    }
                }
                out.push(f);
                skip_spaces = true;
            }
            None => out.push(ch),
        }
    }
    out
}

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

    #[test]
    fn chinese_text_gets_chinese_punctuation() {
        use super::zh_punctuation as z;
        assert_eq!(z("数据缺口报告:条约机构要求的分类数据"), "数据缺口报告：条约机构要求的分类数据");
        assert_eq!(z("居民人均可支配收入基尼系数(CN_GINI_INCOME)"), "居民人均可支配收入基尼系数（CN_GINI_INCOME）");
        assert_eq!(z("主题; 平等与弱势群体, 减贫"), "主题；平等与弱势群体，减贫");
        assert_eq!(z("农村贫困人口: 8,249 (2013)"), "农村贫困人口：8,249（2013）");
        assert_eq!(z("表1 基尼系数(CN_GINI_INCOME),2012—2015年"), "表1 基尼系数（CN_GINI_INCOME），2012—2015年");
        assert_eq!(z("恩格尔系数(%): 2012: 33.0; 2016: 30.1"), "恩格尔系数（%）：2012：33.0；2016：30.1");
        // English inside Chinese keeps its own punctuation; numbers, times and URLs too.
        assert_eq!(z("法律依据:Guiding opinions (2016)。"), "法律依据：Guiding opinions（2016）。");
        assert_eq!(z("见 Guiding opinions (State Council, 2016)"), "见 Guiding opinions (State Council, 2016)");
        assert_eq!(z("12:00, https://x.org/a:b"), "12:00, https://x.org/a:b");
        assert_eq!(z("Plain English (a, b; c: d)."), "Plain English (a, b; c: d).");
    }
}
