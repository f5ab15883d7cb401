//! The constructive dialogue with a treaty body: the list of issues the Committee sends before
//! it meets the delegation (or, under the simplified procedure, the list of issues prior to
//! reporting), read from a CSV or from the plain text of the UN document.
//!
//! The plain-text layout is what a UN document gives when saved as text or copied from its
//! PDF: the symbol (`E/C.12/CHN/Q/3`) on a line of its own, the title ("List of issues in
//! relation to the third periodic report of China"), section headings ("I. General
//! information", "Right to social security (art. 9)", "第九条 社会保障权"), and numbered
//! paragraphs ("3. With reference to …", "3.With reference …" as OHCHR's text export joins them,
//! "3．请提供…") whose sub-items start "(a)". Page furniture (the symbol repeated, "GE.21-…"
//! job numbers, page numbers, footnotes starting with `*`) is skipped; lines that wrap a
//! paragraph are joined to it.

/// The words the replies to a list of issues may run to: General Assembly resolution 68/268,
/// para. 16 (10,700 words).
pub const REPLIES_WORD_LIMIT: usize = 10_700;

/// One question of a list of issues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The paragraph number the Committee gave it (1, 2, …).
    pub paragraph: u32,
    /// The section it stands under, as the document words it ("Right to social security (art. 9)").
    pub heading: String,
    /// The Covenant articles its section (or the CSV) names.
    pub articles: Vec<u8>,
    /// The question; sub-items "(a) …" each on a line of their own.
    pub text: String,
}

/// A list of issues read from a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListOfIssues {
    /// The document symbol, when the text gives it.
    pub symbol: Option<String>,
    /// The title line ("List of issues in relation to …"), when found.
    pub title: String,
    pub questions: Vec<Question>,
}

/// What is wrong with one line (plain text) or row (CSV): 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: u64,
    pub column: String,
    pub value: String,
    pub expected: String,
}

fn error(line: u64, column: &str, value: &str, expected: &str) -> ParseError {
    ParseError { line, column: column.into(), value: value.chars().take(120).collect(), expected: expected.into() }
}

/// The treaty body a document symbol belongs to: `E/C.12/…` is the CESCR, `CEDAW/C/…` the
/// CEDAW, `CRC/C/…` the CRC, and so on (the first part of the symbol otherwise).
pub fn committee_of(symbol: &str) -> String {
    // "DEMO/E/C.12/…": a demonstration document in the CESCR's layout.
    if symbol.starts_with("E/C.12/") || symbol.starts_with("DEMO/E/C.12/") {
        return "CESCR".into();
    }
    symbol.split('/').next().unwrap_or(symbol).to_string()
}

/// Whether a line is a UN document symbol: no spaces, at least two `/`, starting with a capital.
pub fn is_symbol(line: &str) -> bool {
    let l = line.trim();
    l.starts_with(|c: char| c.is_ascii_uppercase())
        && l.matches('/').count() >= 2
        && l.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '-' | '*'))
        && !l.ends_with('/')
}

fn chinese_number(s: &str) -> Option<u8> {
    let digit = |c: char| "〇一二三四五六七八九".chars().position(|d| d == c).map(|p| p as u8);
    let c: Vec<char> = s.chars().collect();
    match c.as_slice() {
        ['十'] => Some(10),
        [d] => digit(*d),
        ['十', u] => Some(10 + digit(*u)?),
        [t, '十'] => Some(digit(*t)? * 10),
        [t, '十', u] => Some(digit(*t)? * 10 + digit(*u)?),
        _ => None,
    }
}

/// The Covenant articles a heading names: "(art. 9)", "(arts. 10 and 11)", "Article 2 (2)",
/// "articles 6 and 7", "第九条", "第10和11条". Numbers outside 1–31 are not articles.
pub fn articles_in(heading: &str) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::new();
    let mut push = |n: u8| {
        if (1..=31).contains(&n) && !out.contains(&n) {
            out.push(n);
        }
    };
    let lower = heading.to_lowercase();
    for key in ["arts.", "art.", "articles", "article"] {
        let mut rest = lower.as_str();
        while let Some(i) = rest.find(key) {
            rest = &rest[i + key.len()..];
            // The numbers that follow: "10 and 11", "6, 7 and 8", "2 (2)" (the paragraph is not an article).
            let mut tail = rest.trim_start();
            loop {
                let n: String = tail.chars().take_while(char::is_ascii_digit).collect();
                let Ok(v) = n.parse::<u8>() else { break };
                push(v);
                tail = tail[n.len()..].trim_start();
                if let Some(t) = tail.strip_prefix('(') {
                    // "2 (2)": skip the paragraph.
                    tail = t.split_once(')').map_or("", |(_, r)| r).trim_start();
                }
                let Some(t) = tail.strip_prefix(',').or_else(|| tail.strip_prefix("and ")).or_else(|| tail.strip_prefix('-')) else {
                    break;
                };
                tail = t.trim_start();
            }
        }
    }
    // Chinese: 第九条, 第10条, 第十和第十一条, 第10和11条.
    let mut rest = heading;
    while let Some(i) = rest.find('第') {
        rest = &rest[i + '第'.len_utf8()..];
        let Some(end) = rest.find('条') else { break };
        let inside = &rest[..end];
        if inside.chars().count() <= 12 {
            for part in inside.split(['和', '、', '至', '第']) {
                let p = part.trim();
                if let Ok(v) = p.parse::<u8>() {
                    push(v);
                } else if let Some(v) = chinese_number(p) {
                    push(v);
                }
            }
        }
    }
    out
}

/// "12. Please …", "12.Please …", "12．请…" → (12, "Please …").
fn numbered(line: &str) -> Option<(u32, &str)> {
    let digits = line.find(|c: char| !c.is_ascii_digit())?;
    if digits == 0 || digits > 3 {
        return None;
    }
    let rest = &line[digits..];
    let rest = rest.strip_prefix('.').or_else(|| rest.strip_prefix('．'))?;
    let text = rest.trim_start();
    // "2.5 million" is not a paragraph: the number is followed by text.
    if text.is_empty() || text.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some((line[..digits].parse().ok()?, text))
}

fn is_sub_item(line: &str) -> bool {
    let l = line.trim_start();
    let inner = l.strip_prefix('(').or_else(|| l.strip_prefix('（'));
    inner.is_some_and(|r| {
        let close = r.find([')', '）']);
        close.is_some_and(|c| c > 0 && c <= 4 && r[..c].chars().all(|x| x.is_ascii_lowercase()))
    })
}

/// A section heading: "I. General information", "B. Issues relating to …", "Right to social
/// security (art. 9)", "Article 2 (2) – Non-discrimination", "一、一般资料", "第九条 社会保障权".
fn is_heading(line: &str) -> bool {
    let l = line.trim();
    if l.is_empty() || l.chars().count() > 160 || l.ends_with(['.', '?', ';', ',', '。', '？', '；', '，']) {
        return false;
    }
    let roman = l.split_once('.').is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| "IVX".contains(c)));
    let letter = l.len() > 2 && l.as_bytes()[0].is_ascii_uppercase() && l.as_bytes()[1] == b'.' && l.as_bytes()[2] != b'.';
    let chinese = l.split_once('、').is_some_and(|(n, _)| chinese_number(n).is_some());
    roman || letter || chinese || !articles_in(l).is_empty()
}

fn is_furniture(line: &str, symbol: Option<&str>) -> bool {
    let l = line.trim();
    l.starts_with('*')
        || l.starts_with("GE.")
        || (!l.is_empty() && l.chars().all(|c| c.is_ascii_digit()))
        || symbol.is_some_and(|s| l == s)
        || l.starts_with("Distr.")
        || l.starts_with("Original:")
}

/// Joins a wrapped line to what it continues: with a space, except between Chinese characters.
fn join(text: &mut String, more: &str) {
    let cjk = |c: char| ('\u{3000}'..='\u{9fff}').contains(&c) || ('\u{ff00}'..='\u{ffef}').contains(&c);
    if !(text.is_empty() || text.ends_with('\n') || text.ends_with(cjk) && more.starts_with(cjk)) {
        text.push(' ');
    }
    text.push_str(more.trim());
}

/// Reads a list of issues from the plain text of the UN document. Every question found, or
/// every line that breaks the layout (a paragraph out of sequence, an empty question, no
/// question at all).
pub fn parse_un_text(text: &str) -> Result<ListOfIssues, Vec<ParseError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut symbol: Option<String> = None;
    let mut title = String::new();
    let mut heading = String::new();
    let mut questions: Vec<(u64, Question)> = Vec::new();
    let mut errors = Vec::new();
    let mut in_title = false;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i as u64 + 1;
        let line = raw.trim();
        if let Some((at, c)) = crate::text::first_unclean(line, false) {
            errors.push(error(line_no, "text", line, &format!("text without control characters (U+{:04X} at character {at})", c as u32)));
            continue;
        }
        if line.is_empty() {
            in_title = false;
            continue;
        }
        if symbol.is_none() && questions.is_empty() && is_symbol(line) {
            symbol = Some(line.trim_end_matches('*').to_string());
            continue;
        }
        if is_furniture(line, symbol.as_deref()) {
            continue;
        }
        let expected = questions.last().map_or(1, |(_, q)| q.paragraph + 1);
        if let Some((n, rest)) = numbered(line) {
            in_title = false;
            if n == expected {
                questions.push((
                    line_no,
                    Question { paragraph: n, heading: heading.clone(), articles: articles_in(&heading), text: rest.to_string() },
                ));
                continue;
            }
            // A number out of sequence where a paragraph could start is an error, not text.
            if questions.last().is_none_or(|(_, q)| q.text.ends_with(['.', ':', '?', ';', '。', '：', '？', '；'])) {
                errors.push(error(
                    line_no,
                    "paragraph",
                    &n.to_string(),
                    &format!("paragraph {expected} (the paragraphs of a list of issues run 1, 2, 3, …)"),
                ));
                continue;
            }
        }
        if questions.is_empty() {
            // Before the first question: the title, and the headings above it.
            let lower = line.to_lowercase();
            if title.is_empty()
                && (lower.starts_with("list of issues")
                    || line.starts_with("关于") && line.contains("问题清单")
                    || line.starts_with("问题清单"))
            {
                title = line.trim_end_matches(['*', ',', ' ']).to_string();
                in_title = true;
            } else if in_title && !is_heading(line) {
                join(&mut title, line.trim_end_matches(['*', ',', ' ']));
            } else if is_heading(line) {
                in_title = false;
                heading = line.to_string();
            }
            continue;
        }
        if is_heading(line) {
            heading = line.to_string();
            continue;
        }
        let (_, q) = questions.last_mut().expect("a question");
        if is_sub_item(line) {
            q.text.push('\n');
            q.text.push_str(line);
        } else {
            join(&mut q.text, line);
        }
    }
    if questions.is_empty() && errors.is_empty() {
        errors.push(error(1, "paragraph", "", "numbered questions such as \"1. Please provide information on …\""));
    }
    for (line, q) in &questions {
        if q.text.trim().is_empty() {
            errors.push(error(*line, "question", "", "the text of the question after its number"));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ListOfIssues { symbol, title, questions: questions.into_iter().map(|(_, q)| q).collect() })
}

/// Reads questions from a CSV: `paragraph,question` and optionally `heading` and `articles`
/// (Covenant article numbers separated by `;`; taken from the heading when empty). Row 1 is
/// the header.
pub fn parse_csv(text: &str) -> Result<Vec<Question>, Vec<ParseError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![error(1, "-", "", &format!("a CSV header ({e})"))]),
    };
    let col = |n: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(n));
    let mut errors: Vec<ParseError> = ["paragraph", "question"]
        .iter()
        .filter(|c| col(c).is_none())
        .map(|c| error(1, c, "", "a column of the list-of-issues layout (paragraph, question, heading, articles)"))
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let (p, q, h, a) = (col("paragraph").unwrap_or(0), col("question").unwrap_or(1), col("heading"), col("articles"));
    let mut out: Vec<Question> = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = i as u64 + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(error(row, "-", "", &format!("a CSV row with {} fields ({e})", headers.len())));
                continue;
            }
        };
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("").trim().to_string();
        let para = get(Some(p));
        let text = get(Some(q));
        let heading = get(h);
        let Some(n) = para.parse::<u32>().ok().filter(|n| *n >= 1) else {
            errors.push(error(row, "paragraph", &para, "the paragraph number, a whole number from 1"));
            continue;
        };
        if out.iter().any(|x| x.paragraph == n) {
            errors.push(error(row, "paragraph", &para, "a paragraph number not used on an earlier row"));
            continue;
        }
        if text.is_empty() {
            errors.push(error(row, "question", "", "the text of the question"));
            continue;
        }
        if let Some(f) = crate::text::check_clean("question", &text, true).or_else(|| crate::text::check_clean("heading", &heading, false))
        {
            errors.push(error(row, &f.column, &f.value, &f.expected));
            continue;
        }
        let listed = get(a);
        let articles = if listed.is_empty() {
            articles_in(&heading)
        } else {
            match listed.split(';').map(|x| x.trim().parse::<u8>().ok().filter(|n| (1..=31).contains(n))).collect::<Option<Vec<u8>>>() {
                Some(v) => v,
                None => {
                    errors.push(error(row, "articles", &listed, "Covenant article numbers (1–31) separated by ';', e.g. 9;11"));
                    continue;
                }
            }
        };
        out.push(Question { paragraph: n, heading, articles, text });
    }
    if out.is_empty() && errors.is_empty() {
        errors.push(error(2, "-", "", "at least one question"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    out.sort_by_key(|q| q.paragraph);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "United Nations\nE/C.12/XYZ/Q/2\nEconomic and Social Council\nDistr.: General\n1 March 2030\nOriginal: English\n\
Committee on Economic, Social and Cultural Rights\nList of issues in relation to the second periodic report\nof Xyzland *\n\n\
I.General information\n1.Please provide information on the measures taken\nto incorporate the Covenant.\n\
2.Please provide information on:\n(a)The legislative measures taken;\n(b)The budget allocated.\n\
GE.30-01234(E)\n2\nE/C.12/XYZ/Q/2\nRight to social security (art. 9)\n3. Please provide statistical data, disaggregated by sex,\nage and urban/rural residence, on the coverage of social assistance.\n\
Right to an adequate standard of living (arts. 10 and 11)\n4. Please indicate the poverty line.\n* Adopted by the pre-sessional working group.\n";

    #[test]
    fn the_un_layout_gives_each_question_under_its_section() {
        let l = parse_un_text(TEXT).unwrap();
        assert_eq!(l.symbol.as_deref(), Some("E/C.12/XYZ/Q/2"));
        assert_eq!(l.title, "List of issues in relation to the second periodic report of Xyzland");
        assert_eq!(l.questions.len(), 4);
        assert_eq!(l.questions[0].text, "Please provide information on the measures taken to incorporate the Covenant.");
        assert_eq!(l.questions[1].text, "Please provide information on:\n(a)The legislative measures taken;\n(b)The budget allocated.");
        assert_eq!(l.questions[2].heading, "Right to social security (art. 9)");
        assert_eq!(l.questions[2].articles, vec![9]);
        assert!(l.questions[2].text.ends_with("on the coverage of social assistance."), "page furniture skipped: {}", l.questions[2].text);
        assert_eq!(l.questions[3].articles, vec![10, 11]);
        assert_eq!(committee_of("E/C.12/XYZ/Q/2"), "CESCR");
    }

    #[test]
    fn chinese_headings_and_paragraphs() {
        let l = parse_un_text("E/C.12/XYZ/Q/2\n关于第二次定期报告的问题清单\n一、一般资料\n1．请提供资料，说明\n所采取的措施。\n第九条 社会保障权\n2. 请提供按性别分列的数据。\n").unwrap();
        assert_eq!(l.questions[0].text, "请提供资料，说明所采取的措施。");
        assert_eq!(l.questions[1].articles, vec![9]);
        assert_eq!(articles_in("第十和第十一条"), vec![10, 11]);
        assert_eq!(articles_in("Article 2 (2) – Non-discrimination"), vec![2]);
        assert_eq!(articles_in("Rights to work (arts. 6, 7 and 8)"), vec![6, 7, 8]);
        assert!(articles_in("I. General information").is_empty());
    }

    #[test]
    fn a_paragraph_out_of_sequence_is_named_by_line() {
        let e = parse_un_text("X/C/Q/1\n1. Please explain.\n3. Please explain more.\n").unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].line, e[0].column.as_str(), e[0].value.as_str()), (3, "paragraph", "3"));
        assert!(e[0].expected.contains("paragraph 2"));
        let none = parse_un_text("Some text\nwith no question\n").unwrap_err();
        assert!(none[0].expected.contains("numbered questions"));
        // A wrapped line that starts with a number is text, not a paragraph.
        let l = parse_un_text("X/C/Q/1\n1. Please explain why the budget fell by\n12. per cent in 2019.\n").unwrap();
        assert_eq!(l.questions.len(), 1);
    }

    #[test]
    fn the_csv_layout_names_every_bad_row() {
        let q =
            parse_csv("paragraph,question,heading,articles\n2,Explain dibao.,Right to social security (art. 9),\n1,General.,,\n").unwrap();
        assert_eq!(q[0].paragraph, 1);
        assert_eq!(q[1].articles, vec![9]);
        let e = parse_csv("paragraph,question,articles\nx,Q,\n1,,\n2,Q,9;40\n2,Q,\n").unwrap_err();
        let cols: Vec<(u64, &str)> = e.iter().map(|e| (e.line, e.column.as_str())).collect();
        assert_eq!(cols, [(2, "paragraph"), (3, "question"), (4, "articles")]);
        let e = parse_csv("number,text\n1,Q\n").unwrap_err();
        assert_eq!(e.len(), 2);
        let dup = parse_csv("paragraph,question\n1,Q\n1,R\n").unwrap_err();
        assert_eq!(dup[0].line, 3);
    }

    /// The demonstration list of issues shipped with RightStat reads in both languages, with the
    /// same paragraphs under the same articles.
    #[test]
    fn the_demo_list_of_issues_in_both_languages() {
        let en = parse_un_text(include_str!("../../../reference/dialogue/demo-list-of-issues-en.txt")).unwrap();
        let zh = parse_un_text(include_str!("../../../reference/dialogue/demo-list-of-issues-zh.txt")).unwrap();
        assert_eq!(en.symbol.as_deref(), Some("DEMO/E/C.12/CHN/Q/1"));
        assert_eq!(zh.symbol, en.symbol);
        assert_eq!(committee_of("DEMO/E/C.12/CHN/Q/1"), "CESCR");
        assert_eq!(en.questions.len(), 8);
        assert_eq!(zh.questions.len(), 8);
        for (e, z) in en.questions.iter().zip(&zh.questions) {
            assert_eq!((e.paragraph, &e.articles), (z.paragraph, &z.articles), "{e:?} {z:?}");
        }
        let arts: Vec<Vec<u8>> = en.questions.iter().map(|q| q.articles.clone()).collect();
        assert_eq!(arts, [vec![], vec![2], vec![9], vec![9], vec![11], vec![11], vec![11], vec![12]]);
        assert!(en.title.starts_with("List of issues in relation to the next periodic report of China"), "{}", en.title);
        assert!(zh.title.starts_with("关于中国下一次定期报告的问题清单"), "{}", zh.title);
        assert!(en.questions[4].text.contains("rural population living below the national poverty line, disaggregated"));
    }
}
