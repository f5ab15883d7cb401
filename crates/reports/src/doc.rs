//! The document model every report is built in and every format is written from.

use crate::Lang;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    pub title: String,
    pub lang: Lang,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Block {
    Heading {
        level: u8,
        text: String,
    },
    /// `numbered`: a numbered paragraph, as UN documents number theirs.
    Para {
        numbered: bool,
        inlines: Vec<Inline>,
    },
    Table(Table),
    /// A chart: SVG, its caption, its data in words (the text alternative) and its source,
    /// which stands under it as under a table.
    Chart {
        svg: String,
        caption: String,
        alt: String,
        source: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Inline {
    Text(String),
    Strong(String),
    /// A footnote at this point.
    Footnote(String),
}

/// A table of figures: what every figure needs to be read correctly travels with it.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Table {
    pub caption: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// The unit and multiplier of the figures, spelled out ("10,000 persons").
    pub unit: Option<String>,
    pub source: Option<String>,
    pub notes: Vec<String>,
}

impl Document {
    pub fn new(title: impl Into<String>, lang: Lang) -> Self {
        Document { title: title.into(), lang, blocks: Vec::new() }
    }

    /// Every text of the document through `f` (titles, paragraphs, footnotes, tables, captions).
    pub fn map_text(&mut self, f: impl Fn(&str) -> String) {
        self.title = f(&self.title);
        for b in &mut self.blocks {
            match b {
                Block::Heading { text, .. } => *text = f(text),
                Block::Para { inlines, .. } => {
                    for i in inlines {
                        match i {
                            Inline::Text(t) | Inline::Strong(t) | Inline::Footnote(t) => *t = f(t),
                        }
                    }
                }
                Block::Table(t) => {
                    t.caption = f(&t.caption);
                    for cell in t.header.iter_mut().chain(t.rows.iter_mut().flatten()).chain(t.notes.iter_mut()) {
                        *cell = f(cell);
                    }
                    for x in t.unit.iter_mut().chain(t.source.iter_mut()) {
                        *x = f(x);
                    }
                }
                Block::Chart { caption, alt, source, .. } => {
                    *caption = f(caption);
                    *alt = f(alt);
                    if let Some(s) = source {
                        *s = f(s);
                    }
                }
            }
        }
    }

    pub fn heading(&mut self, level: u8, text: impl Into<String>) {
        self.blocks.push(Block::Heading { level, text: text.into() });
    }

    pub fn para(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Para { numbered: false, inlines: vec![Inline::Text(text.into())] });
    }

    pub fn numbered(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Para { numbered: true, inlines: vec![Inline::Text(text.into())] });
    }

    pub fn table(&mut self, t: Table) {
        self.blocks.push(Block::Table(t));
    }

    /// The running text (headings, paragraphs, captions and cells), for word counts.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for b in &self.blocks {
            match b {
                Block::Heading { text, .. } => out.push_str(text),
                Block::Para { inlines, .. } => {
                    for i in inlines {
                        match i {
                            Inline::Text(t) | Inline::Strong(t) | Inline::Footnote(t) => out.push_str(t),
                        }
                        out.push(' ');
                    }
                }
                Block::Chart { caption, .. } => out.push_str(caption),
                Block::Table(t) => {
                    out.push_str(&t.caption);
                    for r in std::iter::once(&t.header).chain(&t.rows) {
                        out.push(' ');
                        out.push_str(&r.join(" "));
                    }
                }
            }
            out.push('\n');
        }
        out
    }
}
