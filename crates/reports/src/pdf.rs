//! PDF from a document, typeset by Typst (behind the `pdf` feature). Chinese needs a CJK font:
//! the Noto CJK fonts from Debian's `fonts-noto-cjk` are read from their usual place, or from
//! the directory in `RIGHTSTAT_FONTS`. Local terms get real footnotes at the foot of the page.
//!
//! Every piece of text enters the Typst source as a string literal (`#"…"`), so no character of
//! the data can be read as markup.

use crate::Lang;
use crate::doc::{Block, Document, Inline, Table};
use std::fmt::Write;
use std::path::PathBuf;

/// Where Debian puts the Noto CJK fonts.
pub const DEBIAN_FONTS: &str = "/usr/share/fonts/opentype/noto";
const FONT_FILES: [&str; 2] = ["NotoSerifCJK-Regular.ttc", "NotoSerifCJK-Bold.ttc"];

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("PDF needs the Noto CJK fonts ({0} not found): install Debian's fonts-noto-cjk, or set RIGHTSTAT_FONTS to a directory holding {files}", files = FONT_FILES.join(" and "))]
    Fonts(String),
    #[error("typesetting failed: {0}")]
    Typeset(String),
}

/// The directory of the CJK fonts: `RIGHTSTAT_FONTS`, else Debian's.
pub fn fonts_dir() -> PathBuf {
    std::env::var_os("RIGHTSTAT_FONTS").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(DEBIAN_FONTS))
}

/// A chart as PNG (twice its SVG size) with its size in pixels, for DOCX; `None` when it cannot
/// be drawn.
pub fn chart_png(svg: &str) -> Option<(Vec<u8>, u32, u32)> {
    use resvg::{tiny_skia, usvg};
    // The fonts are read once per process, not once per chart.
    static FONTDB: std::sync::OnceLock<std::sync::Arc<usvg::fontdb::Database>> = std::sync::OnceLock::new();
    let mut opt = usvg::Options::default();
    opt.fontdb = FONTDB
        .get_or_init(|| {
            let mut db = usvg::fontdb::Database::new();
            db.load_fonts_dir(fonts_dir());
            std::sync::Arc::new(db)
        })
        .clone();
    let tree = usvg::Tree::from_str(svg, &opt).ok()?;
    let scale = 2.0;
    let (w, h) = ((tree.size().width() * scale) as u32, (tree.size().height() * scale) as u32);
    let mut pix = tiny_skia::Pixmap::new(w, h)?;
    resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pix.as_mut());
    Some((pix.encode_png().ok()?, w, h))
}

/// The CJK fonts, read and parsed once per process (they are tens of megabytes).
fn fonts() -> Result<Vec<typst_library::text::Font>, PdfError> {
    use typst_as_lib::conversions::IntoFonts;
    static FONTS: std::sync::OnceLock<Result<Vec<typst_library::text::Font>, String>> = std::sync::OnceLock::new();
    FONTS
        .get_or_init(|| {
            let dir = fonts_dir();
            let mut fonts = Vec::new();
            for f in FONT_FILES {
                let p = dir.join(f);
                fonts.extend(std::fs::read(&p).map_err(|_| p.display().to_string())?.into_fonts());
            }
            Ok(fonts)
        })
        .clone()
        .map_err(PdfError::Fonts)
}

/// A Typst string literal.
fn lit(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// The Typst source of a document.
pub fn typst_source(doc: &Document) -> String {
    let lang = if doc.lang == Lang::Zh { "zh" } else { "en" };
    let mut s = String::new();
    let _ = writeln!(s, "#set document(title: {})", lit(&doc.title));
    let _ = writeln!(s, "#set page(paper: \"a4\", margin: 2.2cm, numbering: \"1\")");
    let _ = writeln!(s, "#set text(font: \"Noto Serif CJK SC\", size: 10.5pt, lang: \"{lang}\")");
    let _ = writeln!(s, "#set par(justify: true)");
    let _ = writeln!(s, "#show heading: set block(above: 1.2em, below: 0.6em)");
    let _ = writeln!(s, "#align(center, text(15pt, weight: \"bold\", {}))\n", lit(&doc.title));
    let mut n = 0;
    for b in &doc.blocks {
        match b {
            Block::Heading { level, text } => {
                let _ = writeln!(s, "#heading(level: {}, {})\n", level.clamp(&1, &4), lit(text));
            }
            Block::Para { numbered, inlines } => {
                if *numbered {
                    n += 1;
                    let _ = write!(s, "#\"{n}.\"#h(0.6em)");
                }
                for i in inlines {
                    match i {
                        Inline::Text(t) => {
                            let _ = write!(s, "#{}", lit(t));
                        }
                        Inline::Strong(t) => {
                            let _ = write!(s, "#strong({})", lit(t));
                        }
                        Inline::Footnote(f) => {
                            let _ = write!(s, "#footnote({})", lit(f));
                        }
                    }
                }
                s.push_str("\n\n");
            }
            Block::Table(t) => table(&mut s, t, doc.lang),
            Block::Chart { svg, caption, alt, source } => {
                let _ = writeln!(
                    s,
                    "#figure(image(bytes({}), format: \"svg\", width: 85%, alt: {}), caption: {})\n",
                    lit(svg),
                    lit(alt),
                    lit(caption)
                );
                if let Some(src) = source {
                    let _ = writeln!(s, "#text(9pt, {})\n", lit(&format!("{}{src}", doc.lang.pick("Source: ", "资料来源："))));
                }
            }
        }
    }
    s
}

fn table(s: &mut String, t: &Table, lang: Lang) {
    let _ = writeln!(s, "#block(breakable: true)[#text(weight: \"bold\", {})]", lit(&t.caption));
    if let Some(u) = &t.unit {
        let _ = writeln!(s, "#text(9pt, {})\n", lit(&format!("{}{u}", lang.pick("Unit: ", "单位："))));
    }
    let cols = t.header.len().max(1);
    let _ = write!(s, "#table(columns: {cols}, stroke: 0.5pt + gray, inset: 4pt, table.header(");
    let head: Vec<String> = t.header.iter().map(|h| format!("strong({})", lit(h))).collect();
    let _ = write!(s, "{})", head.join(", "));
    for r in &t.rows {
        for c in r.iter().chain(std::iter::repeat_n(&String::new(), cols.saturating_sub(r.len()))).take(cols) {
            let _ = write!(s, ", {}", lit(c));
        }
    }
    s.push_str(")\n");
    if let Some(src) = &t.source {
        let _ = writeln!(s, "#text(9pt, {})\n", lit(&format!("{}{src}", lang.pick("Source: ", "资料来源："))));
    }
    for note in &t.notes {
        let _ = writeln!(s, "#text(9pt, {})\n", lit(note));
    }
}

/// The document as PDF bytes.
pub fn pdf(doc: &Document) -> Result<Vec<u8>, PdfError> {
    let fonts = fonts()?;
    let engine = typst_as_lib::TypstEngine::builder().main_file(typst_source(doc)).fonts(fonts).build();
    let compiled: typst_layout::PagedDocument = engine.compile().output.map_err(|e| PdfError::Typeset(format!("{e:?}")))?;
    typst_pdf::pdf(&compiled, &typst_pdf::PdfOptions::default()).map_err(|e| PdfError::Typeset(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_become_markup() {
        assert_eq!(lit("a \"b\" \\ #c $d$ *e* [f]"), "\"a \\\"b\\\" \\\\ #c $d$ *e* [f]\"");
        let mut d = Document::new("T", Lang::En);
        d.numbered("= not a heading");
        let src = typst_source(&d);
        assert!(src.contains("#\"1.\"#h(0.6em)#\"= not a heading\""), "{src}");
    }
}

/// Chinese text must come out as glyphs, not boxes: two different texts typeset and rendered to
/// PNG (poppler's `pdftoppm`) must differ, and the text must be extractable again. Skips only
/// where the renderer is absent, and never when RIGHTSTAT_REQUIRE_PDF is set (CI sets it).
#[cfg(test)]
mod glyphs {
    use super::*;
    use std::process::Command;

    fn have(tool: &str) -> bool {
        Command::new(tool).arg("-v").output().is_ok()
    }

    fn page_png(dir: &std::path::Path, name: &str, body: &str) -> (Vec<u8>, String) {
        let mut d = Document::new("人权", Lang::Zh);
        d.para(body);
        let pdf = pdf(&d).expect("typeset");
        assert!(pdf.starts_with(b"%PDF"));
        let path = dir.join(format!("{name}.pdf"));
        std::fs::write(&path, pdf).unwrap();
        let out = dir.join(name);
        let st =
            Command::new("pdftoppm").args(["-r", "60", "-png", "-f", "1", "-l", "1", "-singlefile"]).arg(&path).arg(&out).status().unwrap();
        assert!(st.success());
        let text = Command::new("pdftotext").arg(&path).arg("-").output().unwrap();
        (std::fs::read(out.with_extension("png")).unwrap(), String::from_utf8_lossy(&text.stdout).into_owned())
    }

    #[test]
    fn chinese_is_glyphs_not_boxes() {
        let required = std::env::var_os("RIGHTSTAT_REQUIRE_PDF").is_some();
        if !have("pdftoppm") || !have("pdftotext") {
            assert!(!required, "RIGHTSTAT_REQUIRE_PDF is set but poppler-utils (pdftoppm, pdftotext) is missing");
            eprintln!("skipped: poppler-utils is not installed");
            return;
        }
        if let Err(e) = fonts() {
            assert!(!required, "RIGHTSTAT_REQUIRE_PDF is set but {e}");
            eprintln!("skipped: {e}");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let (a, ta) = page_png(dir.path(), "a", "农村贫困人口全部脱贫");
        let (b, tb) = page_png(dir.path(), "b", "经济社会文化权利公约");
        assert!(a.starts_with(b"\x89PNG") && b.starts_with(b"\x89PNG"));
        assert_ne!(a, b, "two different Chinese texts render alike: boxes, not glyphs");
        assert!(ta.contains("农村贫困人口全部脱贫") && tb.contains("经济社会文化权利公约"), "{ta} / {tb}");
    }
}
