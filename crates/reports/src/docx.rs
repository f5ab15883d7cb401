//! DOCX from a document (docx-rs): heading styles, numbered paragraphs, tables with unit and
//! source, and real Word footnotes. Chinese runs carry an East Asian font so that Word and
//! LibreOffice pick a CJK face. Charts are pictures when the build has the `pdf` feature (its
//! rasteriser draws them); they are always followed by their caption and data in words.

use crate::Lang;
use crate::doc::{Block, Document, Inline, Table};
use docx_rs::{AlignmentType, Docx, Footnote, Paragraph, Run, RunFonts, Style, StyleType, Table as DTable, TableCell, TableRow, WidthType};

const SERIF: &str = "Times New Roman";
const CJK: &str = "Noto Serif CJK SC";

fn fonts() -> RunFonts {
    RunFonts::new().ascii(SERIF).hi_ansi(SERIF).east_asia(CJK)
}

/// Every text of the document enters through here, made safe for XML: stored text holding a
/// control character must not make a file Word refuses.
fn text_run(s: &str) -> Run {
    Run::new().add_text(rightstat_core::text::xml_safe(s)).fonts(fonts())
}

fn para(s: &str) -> Paragraph {
    Paragraph::new().add_run(text_run(s))
}

/// The document as DOCX bytes.
pub fn docx(doc: &Document) -> Result<Vec<u8>, String> {
    let mut d = Docx::new().default_fonts(fonts()).default_size(22);
    for (id, name, size) in
        [("Title", "Title", 36), ("Heading1", "heading 1", 30), ("Heading2", "heading 2", 26), ("Heading3", "heading 3", 24)]
    {
        d = d.add_style(Style::new(id, StyleType::Paragraph).name(name).bold().size(size).fonts(fonts()));
    }
    d = d.add_style(Style::new("Caption", StyleType::Paragraph).name("caption").bold().size(20).fonts(fonts()));
    d = d.add_style(Style::new("Note", StyleType::Paragraph).name("Table note").size(18).fonts(fonts()));
    d = d.add_paragraph(para(&doc.title).style("Title"));
    let mut n = 0;
    for b in &doc.blocks {
        match b {
            Block::Heading { level, text } => {
                d = d.add_paragraph(para(text).style(&format!("Heading{}", (*level).clamp(1, 3))));
            }
            Block::Para { numbered, inlines } => {
                let mut p = Paragraph::new().align(AlignmentType::Both);
                if *numbered {
                    n += 1;
                    p = p.add_run(text_run(&format!("{n}.\t")));
                }
                for i in inlines {
                    p = match i {
                        Inline::Text(t) => p.add_run(text_run(t)),
                        Inline::Strong(t) => p.add_run(text_run(t).bold()),
                        Inline::Footnote(f) => {
                            let note = Footnote::new().add_content(para(f));
                            p.add_run(Run::new().add_footnote_reference(note))
                        }
                    };
                }
                d = d.add_paragraph(p);
            }
            Block::Table(t) => d = table(d, t, doc.lang),
            Block::Chart { svg, caption, alt, source } => {
                if let Some(pic) = picture(svg) {
                    d = d.add_paragraph(Paragraph::new().add_run(Run::new().add_image(pic)));
                }
                d = d.add_paragraph(para(caption).style("Caption"));
                d = d.add_paragraph(para(alt).style("Note"));
                if let Some(s) = source {
                    d = d.add_paragraph(para(&format!("{}{s}", doc.lang.pick("Source: ", "资料来源："))).style("Note"));
                }
            }
        }
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    d.build().pack(&mut buf).map_err(|e| e.to_string())?;
    typeset(&buf.into_inner())
}

/// The typography docx-rs cannot state, added to its package: footnote reference marks
/// superscript (a `FootnoteReference` character style), footnotes in a smaller size with their
/// number (a `FootnoteText` paragraph style and the `footnoteRef` mark), and each table's first
/// row repeated at the top of every page it runs onto (`tblHeader`).
fn typeset(package: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::{Read, Write};
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(package)).map_err(|e| e.to_string())?;
    let mut zout = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for i in 0..zin.len() {
        let mut f = zin.by_index(i).map_err(|e| e.to_string())?;
        let name = f.name().to_string();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
        let text = |b: Vec<u8>| String::from_utf8(b).map_err(|e| format!("{name}: {e}"));
        let bytes = match name.as_str() {
            "word/styles.xml" => text(bytes)?
                .replacen(
                    "</w:styles>",
                    concat!(
                        "<w:style w:type=\"character\" w:styleId=\"FootnoteReference\"><w:name w:val=\"footnote reference\" />",
                        "<w:rPr><w:vertAlign w:val=\"superscript\" /></w:rPr></w:style>",
                        "<w:style w:type=\"paragraph\" w:styleId=\"FootnoteText\"><w:name w:val=\"footnote text\" />",
                        "<w:pPr><w:spacing w:after=\"0\" /></w:pPr><w:rPr><w:sz w:val=\"18\" /><w:szCs w:val=\"18\" /></w:rPr></w:style>",
                        "</w:styles>"
                    ),
                    1,
                )
                .into_bytes(),
            "word/footnotes.xml" => footnote_marks(&text(bytes)?).into_bytes(),
            "word/document.xml" => header_rows(&text(bytes)?).into_bytes(),
            _ => bytes,
        };
        zout.start_file(name.clone(), options).map_err(|e| e.to_string())?;
        zout.write_all(&bytes).map_err(|e| e.to_string())?;
    }
    Ok(zout.finish().map_err(|e| e.to_string())?.into_inner())
}

/// Each table's first row marked as its header, repeated at the top of every page.
fn header_rows(xml: &str) -> String {
    let mut parts = xml.split("<w:tbl>");
    let mut out = parts.next().unwrap_or_default().to_string();
    for table in parts {
        out.push_str("<w:tbl>");
        out.push_str(&table.replacen("<w:tr><w:trPr />", "<w:tr><w:trPr><w:tblHeader /></w:trPr>", 1));
    }
    out
}

/// Each footnote's paragraph in the footnote style, opening with its number.
fn footnote_marks(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len() + 256);
    let mut rest = xml;
    while let Some(at) = rest.find("<w:footnote w:id=\"") {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let id: i64 = from[18..].split('"').next().and_then(|n| n.parse().ok()).unwrap_or(0);
        let end = from.find("</w:footnote>").map_or(from.len(), |e| e + "</w:footnote>".len());
        let mut note = from[..end].to_string();
        // Ids below 1 are the separators Word draws, not notes.
        if id >= 1
            && let Some(p) = note.find("<w:pPr>")
        {
            note.insert_str(p + "<w:pPr>".len(), "<w:pStyle w:val=\"FootnoteText\" />");
            if let Some(q) = note.find("</w:pPr>") {
                note.insert_str(
                    q + "</w:pPr>".len(),
                    "<w:r><w:rPr><w:rStyle w:val=\"FootnoteReference\" /></w:rPr><w:footnoteRef /></w:r><w:r><w:t xml:space=\"preserve\"> </w:t></w:r>",
                );
            }
        }
        out.push_str(&note);
        rest = &from[end..];
    }
    out.push_str(rest);
    out
}

/// A cell that holds a figure: digits with separators, a sign, a per cent sign.
pub(crate) fn is_figure(s: &str) -> bool {
    let t = s.trim().trim_start_matches(['-', '−', '+']).trim_end_matches(['%', '‰']).trim();
    !t.is_empty()
        && t.chars().any(|c| c.is_ascii_digit())
        && t.chars().all(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | ' ' | '\u{2009}'))
}

/// A cell that says there is no figure (a dash, an ellipsis, nothing).
fn is_blank(s: &str) -> bool {
    matches!(s.trim(), "" | "—" | "–" | "-" | "…" | "..")
}

/// The chart as a picture 15 cm wide, when this build can draw it (the `pdf` feature).
fn picture(svg: &str) -> Option<docx_rs::Pic> {
    #[cfg(feature = "pdf")]
    {
        let (png, w, h) = crate::pdf::chart_png(svg)?;
        let width_emu: u32 = 5_400_000;
        Some(docx_rs::Pic::new_with_dimensions(png, w, h).size(width_emu, (width_emu as u64 * h as u64 / w.max(1) as u64) as u32))
    }
    #[cfg(not(feature = "pdf"))]
    {
        let _ = svg;
        None
    }
}

fn table(mut d: Docx, t: &Table, lang: Lang) -> Docx {
    d = d.add_paragraph(para(&t.caption).style("Caption"));
    if let Some(u) = &t.unit {
        d = d.add_paragraph(para(&format!("{}{u}", lang.pick("Unit: ", "单位："))).style("Note"));
    }
    // Columns of figures (after the first, which names the rows) align right, header included,
    // so that units, tens and thousands stand under each other.
    let figures: Vec<bool> = (0..t.header.len())
        .map(|c| {
            c > 0
                && t.rows.iter().any(|r| r.get(c).is_some_and(|v| is_figure(v)))
                && t.rows.iter().all(|r| r.get(c).is_none_or(|v| is_figure(v) || is_blank(v)))
        })
        .collect();
    // Each column as wide as its longest line wants (CJK characters count double), within
    // bounds: the names of the rows are not squeezed into the width of a year.
    let want = |s: &str| s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum::<usize>().clamp(4, 36);
    let weights: Vec<usize> = (0..t.header.len())
        .map(|c| {
            let w = t.rows.iter().chain([&t.header]).filter_map(|r| r.get(c)).map(|v| want(v)).max().unwrap_or(4);
            // A figure keeps its digits on one line.
            if figures[c] { w.max(9) } else { w.min(if c == 0 { 36 } else { 16 }) }
        })
        .collect();
    let total: usize = weights.iter().sum::<usize>().max(1);
    const TEXT_WIDTH: usize = 9_000; // twips: A4 less the margins
    let widths: Vec<usize> = weights.iter().map(|w| TEXT_WIDTH * w / total).collect();
    let cell = |s: &str, bold: bool, column: usize| {
        let r = if bold { text_run(s).bold() } else { text_run(s) };
        let mut p = Paragraph::new().add_run(r);
        if figures.get(column).copied().unwrap_or(false) {
            p = p.align(AlignmentType::Right);
        }
        TableCell::new().add_paragraph(p).width(widths.get(column).copied().unwrap_or(1_000), WidthType::Dxa)
    };
    let mut rows = vec![TableRow::new(t.header.iter().enumerate().map(|(i, h)| cell(h, true, i)).collect())];
    rows.extend(t.rows.iter().map(|r| TableRow::new(r.iter().enumerate().map(|(i, c)| cell(c, false, i)).collect())));
    d = d.add_table(DTable::new(rows).set_grid(widths.clone()).width(TEXT_WIDTH, WidthType::Dxa));
    if let Some(s) = &t.source {
        d = d.add_paragraph(para(&format!("{}{s}", lang.pick("Source: ", "资料来源："))).style("Note"));
    }
    for note in &t.notes {
        d = d.add_paragraph(para(note).style("Note"));
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use rightstat_store::Store;

    /// Whatever text a document holds — every control character, NUL, U+FFFE/U+FFFF, markup
    /// characters, very long strings, CJK — each XML part of the DOCX parses.
    #[test]
    fn fuzzed_text_never_makes_a_docx_that_fails_to_parse() {
        let mut rng = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let alphabet: Vec<char> = (0u32..0x20)
            .chain([0x7f, 0x85, 0xFFFE, 0xFFFF, 0x2028, 0xFEFF])
            .filter_map(char::from_u32)
            .chain("<>&\"' ]]>贫困人口 abc".chars())
            .collect();
        for round in 0..40 {
            let mut text = |n: usize| -> String { (0..n).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]).collect() };
            let long = if round % 10 == 0 { 100_000 } else { 40 };
            let mut doc = Document::new(text(20), if round % 2 == 0 { Lang::En } else { Lang::Zh });
            doc.blocks.push(Block::Heading { level: 1, text: text(30) });
            doc.blocks.push(Block::Para {
                numbered: true,
                inlines: vec![Inline::Text(text(long)), Inline::Strong(text(10)), Inline::Footnote(text(50))],
            });
            doc.blocks.push(Block::Table(Table {
                caption: text(20),
                header: vec![text(5), text(5)],
                rows: vec![vec![text(8), text(8)]],
                unit: Some(text(6)),
                source: Some(text(30)),
                notes: vec![text(30)],
            }));
            let bytes = docx(&doc).unwrap();
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
            for i in 0..zip.len() {
                let mut f = zip.by_index(i).unwrap();
                if !f.name().ends_with(".xml") && !f.name().ends_with(".rels") {
                    continue;
                }
                let mut xml = String::new();
                std::io::Read::read_to_string(&mut f, &mut xml).unwrap();
                if let Err(e) = roxmltree::Document::parse(&xml) {
                    panic!("round {round}: {} is not well-formed: {e}", f.name());
                }
            }
        }
    }

    /// Reads the DOCX back (as Word would) and finds the article headings, the rural poverty
    /// table with its unit, and the footnoted explanation of a local term.
    #[tokio::test]
    async fn the_cescr_draft_as_docx_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::connect(&rightstat_store::testing::fresh_sqlite_url(dir.path())).await.unwrap();
        s.seed_reference().await.unwrap();
        s.load_demo().await.unwrap();
        s.load_demo_follow_up().await.unwrap();
        for lang in [Lang::En, Lang::Zh] {
            let opts = crate::ReportOptions { lang, articles: crate::gaps::DEFAULT_ARTICLES.to_vec() };
            let built = crate::build(&s, crate::ReportKind::Cescr, &opts).await.unwrap();
            let bytes = docx(&built.doc).unwrap();
            assert_eq!(&bytes[..2], b"PK");
            // The parts as Word reads them: the body, the footnotes, the styles.
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip package");
            let mut part = |name: &str| {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut zip.by_name(name).unwrap_or_else(|_| panic!("{name} missing")), &mut s).unwrap();
                s
            };
            let (body, notes, styles) = (part("word/document.xml"), part("word/footnotes.xml"), part("word/styles.xml"));
            let (heading, table, unit, note) = match lang {
                Lang::En => (
                    "Article 11. ",
                    "Rural population below the national poverty line (CN_RURAL_POOR_POP)",
                    "Unit: 10,000 persons",
                    "identified every poor household",
                ),
                Lang::Zh => ("第11条", "农村贫困人口", "单位：万人", "逐户识别贫困户"),
            };
            assert!(
                body.contains(heading) && body.contains("w:val=\"Heading1\"") && styles.contains("w:styleId=\"Heading1\""),
                "{lang:?}: article headings"
            );
            assert!(
                body.contains(table) && body.contains(unit) && body.contains("<w:t xml:space=\"preserve\">12,238</w:t>"),
                "{lang:?}: the rural poverty table"
            );
            assert!(body.contains("<w:footnoteReference") && notes.contains(note), "{lang:?}: the footnoted local term");
            assert!(body.contains("w:eastAsia=\"Noto Serif CJK SC\""), "Chinese runs name a CJK font");
            #[cfg(feature = "pdf")]
            if crate::pdf::fonts_dir().exists() {
                let png = (0..zip.len())
                    .filter_map(|i| zip.by_index(i).ok().map(|f| f.name().to_string()))
                    .find(|n| n.starts_with("word/media/"));
                assert!(png.is_some() && body.contains("<w:drawing>"), "{lang:?}: charts as pictures");
            }
        }
    }

    /// Every draft, in both languages, keeps the typographic rules in its XML: figures aligned
    /// right in their columns, table headers repeated on each page, footnote marks superscript,
    /// footnotes smaller than the text and opening with their number.
    #[tokio::test]
    async fn every_draft_keeps_the_typography() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::connect(&rightstat_store::testing::fresh_sqlite_url(dir.path())).await.unwrap();
        s.seed_reference().await.unwrap();
        s.load_demo().await.unwrap();
        s.load_demo_follow_up().await.unwrap();
        use crate::ReportKind::*;
        for kind in crate::ReportKind::ALL {
            for lang in [Lang::En, Lang::Zh] {
                let opts = crate::ReportOptions { lang, articles: crate::gaps::DEFAULT_ARTICLES.to_vec() };
                let built = crate::build(&s, kind, &opts).await.unwrap();
                // A caption and a source with every table and every chart.
                for b in &built.doc.blocks {
                    match b {
                        Block::Table(t) => assert!(
                            !t.caption.is_empty() && t.source.as_deref().is_some_and(|s| !s.trim().is_empty()),
                            "{kind:?} {lang:?}: table {:?} without a caption or a source",
                            t.caption
                        ),
                        Block::Chart { caption, source, .. } => assert!(
                            !caption.is_empty() && source.as_deref().is_some_and(|s| !s.trim().is_empty()),
                            "{kind:?} {lang:?}: chart {caption:?} without a caption or a source"
                        ),
                        _ => {}
                    }
                }
                let bytes = docx(&built.doc).unwrap();
                let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
                let mut part = |name: &str| {
                    let mut x = String::new();
                    if let Ok(mut f) = zip.by_name(name) {
                        std::io::Read::read_to_string(&mut f, &mut x).unwrap();
                    }
                    x
                };
                let (body, notes, styles) = (part("word/document.xml"), part("word/footnotes.xml"), part("word/styles.xml"));
                let what = format!("{kind:?} {lang:?}");
                let w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
                let doc = roxmltree::Document::parse(&body).unwrap();
                let val = |n: roxmltree::Node, tag: &str| {
                    n.descendants().find(|d| d.has_tag_name((w, tag))).and_then(|d| d.attribute((w, "val"))).map(String::from)
                };
                let mut figures = 0;
                for table in doc.descendants().filter(|n| n.has_tag_name((w, "tbl"))) {
                    let rows: Vec<_> = table.children().filter(|n| n.has_tag_name((w, "tr"))).collect();
                    assert!(rows[0].descendants().any(|n| n.has_tag_name((w, "tblHeader"))), "{what}: a table's header row repeats");
                    // Each column of figures (all its cells figures or blanks) stands right-aligned.
                    let cells: Vec<Vec<(String, Option<String>)>> = rows[1..]
                        .iter()
                        .map(|row| {
                            row.children()
                                .filter(|n| n.has_tag_name((w, "tc")))
                                .map(|cell| {
                                    let text: String =
                                        cell.descendants().filter(|n| n.has_tag_name((w, "t"))).filter_map(|n| n.text()).collect();
                                    (text, val(cell, "jc"))
                                })
                                .collect()
                        })
                        .collect();
                    let width = cells.iter().map(Vec::len).max().unwrap_or(0);
                    for c in 1..width {
                        let column: Vec<&(String, Option<String>)> = cells.iter().filter_map(|r| r.get(c)).collect();
                        if column.iter().any(|(t, _)| is_figure(t)) && column.iter().all(|(t, _)| is_figure(t) || is_blank(t)) {
                            for (t, jc) in column {
                                figures += 1;
                                assert_eq!(jc.as_deref(), Some("right"), "{what}: {t:?} in a column of figures is not aligned right");
                            }
                        }
                    }
                }
                if matches!(kind, Cescr | Annex) {
                    assert!(figures > 20, "{what}: {figures} figures in tables");
                }
                // Footnote marks in the text and in the notes: the superscript style; the notes smaller.
                for r in doc.descendants().filter(|n| n.has_tag_name((w, "footnoteReference"))) {
                    assert_eq!(val(r.parent().unwrap(), "rStyle").as_deref(), Some("FootnoteReference"), "{what}");
                }
                if body.contains("footnoteReference") {
                    let st = roxmltree::Document::parse(&styles).unwrap();
                    let style = |id: &str| {
                        st.descendants()
                            .find(|n| n.attribute((w, "styleId")) == Some(id))
                            .unwrap_or_else(|| panic!("{what}: no {id} style"))
                    };
                    assert_eq!(val(style("FootnoteReference"), "vertAlign").as_deref(), Some("superscript"), "{what}");
                    let small: u32 = val(style("FootnoteText"), "sz").unwrap().parse().unwrap();
                    assert!(small < 22, "{what}: footnotes at {small} half-points, the text at 22");
                    let nd = roxmltree::Document::parse(&notes).unwrap();
                    for note in nd.descendants().filter(|n| n.has_tag_name((w, "footnote"))) {
                        if note.attribute((w, "id")).and_then(|i| i.parse::<i64>().ok()).unwrap_or(0) >= 1 {
                            assert_eq!(val(note, "pStyle").as_deref(), Some("FootnoteText"), "{what}");
                            assert!(note.descendants().any(|n| n.has_tag_name((w, "footnoteRef"))), "{what}: a note opens with its number");
                        }
                    }
                }
            }
        }
    }
}
