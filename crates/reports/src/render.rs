//! Markdown and HTML from a document. Footnotes are numbered in order of appearance.

use crate::doc::{Block, Document, Inline, Table};
use std::fmt::Write;

/// Markdown (CommonMark with the footnote and table extensions GitHub and pandoc read).
pub fn markdown(doc: &Document) -> String {
    let mut out = format!("# {}\n\n", doc.title);
    let mut notes: Vec<String> = Vec::new();
    let mut n = 0;
    for b in &doc.blocks {
        match b {
            Block::Heading { level, text } => {
                let _ = writeln!(out, "{} {}\n", "#".repeat(usize::from(*level) + 1), text);
            }
            Block::Para { numbered, inlines } => {
                if *numbered {
                    n += 1;
                    let _ = write!(out, "{n}.\u{a0}");
                }
                for i in inlines {
                    match i {
                        Inline::Text(t) => out.push_str(&md_escape(t)),
                        Inline::Strong(t) => {
                            let _ = write!(out, "**{}**", md_escape(t));
                        }
                        Inline::Footnote(f) => {
                            notes.push(f.clone());
                            let _ = write!(out, "[^{}]", notes.len());
                        }
                    }
                }
                out.push_str("\n\n");
            }
            Block::Table(t) => md_table(&mut out, t, doc.lang),
            Block::Chart { caption, alt, source, .. } => {
                let _ = writeln!(out, "*{}*\n\n{}\n", md_escape(caption), md_escape(alt));
                if let Some(s) = source {
                    let _ = writeln!(out, "{}{}\n", doc.lang.pick("Source: ", "资料来源："), md_escape(s));
                }
            }
        }
    }
    for (i, f) in notes.iter().enumerate() {
        let _ = writeln!(out, "[^{}]: {}", i + 1, md_escape(f));
    }
    out
}

fn md_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '`') {
            o.push('\\');
        }
        o.push(c);
    }
    o
}

fn md_table(out: &mut String, t: &Table, lang: crate::Lang) {
    let _ = writeln!(out, "**{}**\n", md_escape(&t.caption));
    if let Some(u) = &t.unit {
        let _ = writeln!(out, "{}{}\n", lang.pick("Unit: ", "单位："), md_escape(u));
    }
    let cells = |r: &[String]| r.iter().map(|c| md_escape(c)).collect::<Vec<_>>().join(" | ");
    let _ = writeln!(out, "| {} |", cells(&t.header));
    let _ = writeln!(out, "|{}|", vec!["---"; t.header.len()].join("|"));
    for r in &t.rows {
        let _ = writeln!(out, "| {} |", cells(r));
    }
    out.push('\n');
    if let Some(s) = &t.source {
        let _ = writeln!(out, "{}{}\n", lang.pick("Source: ", "资料来源："), md_escape(s));
    }
    for n in &t.notes {
        let _ = writeln!(out, "{}\n", md_escape(n));
    }
}

/// A standalone HTML file (escaped; no scripts), readable and printable as it is: the design
/// system's stylesheet is embedded, since a file has no server beside it.
pub fn html(doc: &Document) -> String {
    html_with(doc, &format!("<style>{}</style>", rightstat_design::STYLESHEET))
}

/// The same document as a page of the site, linking the site's one stylesheet (the server's
/// content security policy forbids inline styles).
pub fn html_page(doc: &Document) -> String {
    html_with(doc, &format!("<link rel=\"stylesheet\" href=\"/{}\">", rightstat_design::STYLESHEET_FILE))
}

/// Whether a table cell holds a figure (aligned right): a number with its grouping, sign,
/// decimals and a trailing flag or per cent, or the marks of a missing figure.
fn is_figure(c: &str) -> bool {
    let c = c.trim();
    !c.is_empty()
        && c.chars().any(|ch| ch.is_ascii_digit() || matches!(ch, '…' | '—' | '–'))
        && c.chars().all(|ch| {
            ch.is_ascii_digit() || matches!(ch, ',' | '.' | '-' | '−' | '+' | '%' | ' ' | 'p' | 'e' | '…' | '—' | '–' | '(' | ')')
        })
}

fn html_with(doc: &Document, style: &str) -> String {
    let lang = if doc.lang == crate::Lang::Zh { "zh-CN" } else { "en" };
    let mut out = format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title>\n{style}</head><body><main class=\"doc\">\n<h1>{}</h1>\n",
        esc(&doc.title),
        esc(&doc.title)
    );
    let mut notes: Vec<String> = Vec::new();
    let mut n = 0;
    for b in &doc.blocks {
        match b {
            Block::Heading { level, text } => {
                let h = (level + 1).min(6);
                let _ = writeln!(out, "<h{h}>{}</h{h}>", esc(text));
            }
            Block::Para { numbered, inlines } => {
                if *numbered {
                    n += 1;
                    let _ = write!(out, "<p class=\"num\" id=\"para-{n}\"><span class=\"n\">{n}.</span> ");
                } else {
                    out.push_str("<p>");
                }
                for i in inlines {
                    match i {
                        Inline::Text(t) => out.push_str(&esc(t)),
                        Inline::Strong(t) => {
                            let _ = write!(out, "<strong>{}</strong>", esc(t));
                        }
                        Inline::Footnote(f) => {
                            notes.push(f.clone());
                            let k = notes.len();
                            let _ = write!(out, "<sup><a href=\"#fn-{k}\" id=\"ref-{k}\">{k}</a></sup>");
                        }
                    }
                }
                out.push_str("</p>\n");
            }
            Block::Chart { svg, caption, alt, source } => {
                // The SVG is built by `chart::line_svg`, which escapes its text.
                let source = source
                    .as_ref()
                    .map(|s| format!("<br><span class=\"source\">{}{}</span>", doc.lang.pick("Source: ", "资料来源："), esc(s)))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "<figure role=\"figure\" aria-label=\"{}\">{svg}<figcaption>{}{source}</figcaption></figure>",
                    esc(alt),
                    esc(caption)
                );
            }
            Block::Table(t) => {
                let _ = write!(out, "<table><caption>{}", esc(&t.caption));
                if let Some(u) = &t.unit {
                    let _ = write!(out, "<br><span class=\"unit\">{}{}</span>", doc.lang.pick("Unit: ", "单位："), esc(u));
                }
                out.push_str("</caption>\n<thead><tr>");
                for h in &t.header {
                    let _ = write!(out, "<th scope=\"col\">{}</th>", esc(h));
                }
                out.push_str("</tr></thead>\n<tbody>\n");
                for r in &t.rows {
                    out.push_str("<tr>");
                    for (i, c) in r.iter().enumerate() {
                        let tag = if i == 0 {
                            "th scope=\"row\""
                        } else if is_figure(c) {
                            "td class=\"num\""
                        } else {
                            "td"
                        };
                        let _ = write!(out, "<{tag}>{}</{}>", esc(c), if i == 0 { "th" } else { "td" });
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</tbody></table>\n");
                if let Some(s) = &t.source {
                    let _ = writeln!(out, "<p class=\"source\">{}{}</p>", doc.lang.pick("Source: ", "资料来源："), esc(s));
                }
                for note in &t.notes {
                    let _ = writeln!(out, "<p class=\"note\">{}</p>", esc(note));
                }
            }
        }
    }
    if !notes.is_empty() {
        out.push_str("<hr><ol class=\"footnotes\">\n");
        for (i, f) in notes.iter().enumerate() {
            let k = i + 1;
            let _ = writeln!(out, "<li id=\"fn-{k}\">{} <a href=\"#ref-{k}\">↩</a></li>", esc(f));
        }
        out.push_str("</ol>\n");
    }
    out.push_str("</main></body></html>\n");
    out
}

/// Escapes text for HTML and XML (SVG): the design system's escaping, which every page uses.
pub use rightstat_design::escape as esc;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;

    #[test]
    fn both_formats_number_paragraphs_footnotes_and_escape() {
        let mut d = Document::new("Gaps <draft>", Lang::En);
        d.heading(1, "Article 11");
        d.blocks
            .push(Block::Para { numbered: true, inlines: vec![Inline::Text("Dibao".into()), Inline::Footnote("minimum income".into())] });
        d.numbered("Second *point*.");
        d.table(Table {
            caption: "Rural poor".into(),
            header: vec!["Year".into(), "Persons".into()],
            rows: vec![vec!["2019".into(), "551".into()]],
            unit: Some("10,000 persons".into()),
            source: Some("NBS".into()),
            notes: vec![],
        });
        let md = markdown(&d);
        assert!(
            md.contains("1.\u{a0}Dibao[^1]") && md.contains("2.\u{a0}Second \\*point\\*.") && md.contains("[^1]: minimum income"),
            "{md}"
        );
        assert!(md.contains("| 2019 | 551 |") && md.contains("Unit: 10,000 persons") && md.contains("Source: NBS"), "{md}");
        let h = html(&d);
        assert!(h.contains("<title>Gaps &lt;draft&gt;</title>") && h.contains("<h2>Article 11</h2>"), "{h}");
        assert!(h.contains("<sup><a href=\"#fn-1\" id=\"ref-1\">1</a></sup>") && h.contains("<li id=\"fn-1\">minimum income"), "{h}");
        assert!(h.contains("<th scope=\"row\">2019</th><td class=\"num\">551</td>"));
    }
}
