//! Lists of issues for the constructive dialogue: imported question by question, in English and
//! in Chinese (each language a separate import of the same document), all or nothing, audited.
//! The replies and the delegation's briefing book are drafted from them (crate `reports`).

use crate::audit::{Actor, AuditEntry, append_audit};
use crate::import::RowError;
use crate::lists::{join, split};
use crate::recommendations::row_error;
use crate::{Backend, Result, Store, on_pool};
use rightstat_core::dialogue::{self, Question, committee_of, is_symbol};
use rightstat_core::lang::Lang;
use serde::Serialize;
use std::collections::BTreeMap;

/// The layouts a list of issues is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoiFormat {
    /// `paragraph,question[,heading][,articles]`.
    Csv,
    /// The plain text of the UN document.
    UnText,
}

impl std::str::FromStr for LoiFormat {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "csv" => Ok(Self::Csv),
            "un-text" | "text" => Ok(Self::UnText),
            _ => Err(format!("unknown format '{s}': expected csv or un-text")),
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoiImport {
    pub symbol: String,
    pub committee: String,
    /// en or zh: the language of the text imported.
    pub lang: String,
    pub questions: u64,
    /// Questions whose text in this language was empty before.
    pub new: u64,
    /// Questions whose text in this language changed (the old text is in the audit trail).
    pub revised: u64,
}

/// One question, in the languages imported.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssueQuestionRow {
    pub paragraph: i64,
    pub heading_en: String,
    pub heading_zh: String,
    pub articles: Vec<u8>,
    pub text_en: String,
    pub text_zh: String,
}

/// A list of issues with its questions in paragraph order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListOfIssuesRow {
    pub symbol: String,
    pub committee: String,
    pub title: String,
    pub source_name: String,
    pub imported_at: String,
    pub imported_by: String,
    pub questions: Vec<IssueQuestionRow>,
}

type RawQuestion = (String, i64, String, String, String, String, String);

fn mostly_chinese(questions: &[Question]) -> bool {
    let text: String = questions.iter().map(|q| q.text.as_str()).collect();
    let cjk = text.chars().filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c)).count();
    let letters = text.chars().filter(|c| c.is_ascii_alphabetic()).count();
    cjk > letters
}

impl Store {
    /// Imports a list of issues (one language of it), all or nothing. The symbol comes from the
    /// text or from `symbol` (a CSV has none); the language is detected unless given. A second
    /// language must have the same paragraphs as the first; a changed text is a revision.
    pub async fn import_list_of_issues(
        &self,
        format: LoiFormat,
        bytes: &[u8],
        file: &str,
        symbol: Option<&str>,
        lang: Option<Lang>,
        actor: &Actor,
    ) -> Result<std::result::Result<LoiImport, Vec<RowError>>> {
        let err = |row: u64, column: &str, value: &str, expected: &str| row_error(file, row, column, value, expected);
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Ok(Err(vec![err(1, "-", "", "UTF-8 text (save the document as plain text, UTF-8)")]));
        };
        let to_rows =
            |e: Vec<dialogue::ParseError>| e.into_iter().map(|e| err(e.line, &e.column, &e.value, &e.expected)).collect::<Vec<_>>();
        let (found_symbol, title, questions) = match format {
            LoiFormat::Csv => match dialogue::parse_csv(text) {
                Ok(q) => (None, String::new(), q),
                Err(e) => return Ok(Err(to_rows(e))),
            },
            LoiFormat::UnText => match dialogue::parse_un_text(text) {
                Ok(l) => (l.symbol, l.title, l.questions),
                Err(e) => return Ok(Err(to_rows(e))),
            },
        };
        let given = symbol.map(str::trim).filter(|s| !s.is_empty());
        if let (Some(g), Some(f)) = (given, found_symbol.as_deref())
            && g != f
        {
            return Ok(Err(vec![err(1, "symbol", f, &format!("the symbol given ({g}), or no --symbol"))]));
        }
        let symbol = match given.or(found_symbol.as_deref()) {
            Some(s) if is_symbol(s) => s.to_string(),
            Some(s) => return Ok(Err(vec![err(1, "symbol", s, "a UN document symbol such as E/C.12/CHN/Q/3")])),
            None => {
                return Ok(Err(vec![err(1, "symbol", "", "the document symbol (E/C.12/CHN/Q/3): in the text, or given with the import")]));
            }
        };
        let lang = lang.unwrap_or(if mostly_chinese(&questions) { Lang::Zh } else { Lang::En });
        let existing = self.list_of_issues(&symbol).await?;
        if let Some(l) = existing.as_ref().filter(|l| !l.questions.is_empty()) {
            let before: Vec<i64> = l.questions.iter().map(|q| q.paragraph).collect();
            let now: Vec<i64> = questions.iter().map(|q| i64::from(q.paragraph)).collect();
            let mut errors: Vec<RowError> = now
                .iter()
                .filter(|p| !before.contains(p))
                .map(|p| err(1, "paragraph", &p.to_string(), &format!("a paragraph of {symbol} as already imported (1–{})", before.len())))
                .collect();
            errors.extend(before.iter().filter(|p| !now.contains(p)).map(|p| {
                err(
                    1,
                    "paragraph",
                    &p.to_string(),
                    &format!("paragraph {p} of {symbol}, which the text already imported has and this one lacks"),
                )
            }));
            if !errors.is_empty() {
                return Ok(Err(errors));
            }
        }
        let old: BTreeMap<i64, &IssueQuestionRow> = existing.iter().flat_map(|l| l.questions.iter()).map(|q| (q.paragraph, q)).collect();
        let zh = lang == Lang::Zh;
        let committee = committee_of(&symbol);
        let now = crate::now_rfc3339();
        let pg = self.backend() == Backend::Postgres;
        let (mut new, mut revised) = (0u64, 0u64);
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            if existing.is_none() {
                sqlx::query("INSERT INTO list_of_issues (symbol, committee, title, source_name, imported_at, imported_by) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(&symbol).bind(&committee).bind(&title).bind(file).bind(&now).bind(&actor.name).execute(&mut *tx).await?;
            } else if !title.is_empty() && !zh {
                sqlx::query("UPDATE list_of_issues SET title = $2 WHERE symbol = $1").bind(&symbol).bind(&title).execute(&mut *tx).await?;
            }
            for q in &questions {
                let para = i64::from(q.paragraph);
                let before = old.get(&para);
                let old_text = before.map(|b| if zh { b.text_zh.as_str() } else { b.text_en.as_str() }).unwrap_or("");
                if old_text == q.text {
                    continue;
                }
                let articles = {
                    let mut a: Vec<u8> = before.map(|b| b.articles.clone()).unwrap_or_default();
                    for x in &q.articles {
                        if !a.contains(x) {
                            a.push(*x);
                        }
                    }
                    join(&a.iter().map(|x| x.to_string()).collect::<Vec<_>>())
                };
                let sql = if zh {
                    "INSERT INTO issue_question (symbol, paragraph, heading_zh, articles, text_zh) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (symbol, paragraph) DO UPDATE SET heading_zh = excluded.heading_zh, articles = excluded.articles, text_zh = excluded.text_zh"
                } else {
                    "INSERT INTO issue_question (symbol, paragraph, heading_en, articles, text_en) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (symbol, paragraph) DO UPDATE SET heading_en = excluded.heading_en, articles = excluded.articles, text_en = excluded.text_en"
                };
                sqlx::query(sql).bind(&symbol).bind(para).bind(&q.heading).bind(&articles).bind(&q.text).execute(&mut *tx).await?;
                if old_text.is_empty() {
                    new += 1;
                } else {
                    revised += 1;
                }
                let id = format!("{symbol} para. {para} ({})", lang.code());
                append_audit!(&mut *tx, pg, &AuditEntry {
                    actor, action: "list_of_issues.question", entity: "list_of_issues", entity_id: &id,
                    old_value: (!old_text.is_empty()).then(|| old_text.to_string()), new_value: Some(q.text.clone()), reason: file,
                });
            }
            tx.commit().await?;
        });
        Ok(Ok(LoiImport { symbol, committee, lang: lang.code().into(), questions: questions.len() as u64, new, revised }))
    }

    /// Every list of issues, the latest imported first.
    pub async fn lists_of_issues(&self) -> Result<Vec<ListOfIssuesRow>> {
        let heads: Vec<(String, String, String, String, String, String)> = on_pool!(self, p => sqlx::query_as(
            "SELECT symbol, committee, title, source_name, imported_at, imported_by FROM list_of_issues ORDER BY imported_at DESC, symbol").fetch_all(p).await?);
        let qs: Vec<RawQuestion> = on_pool!(self, p => sqlx::query_as(
            "SELECT symbol, paragraph, heading_en, heading_zh, articles, text_en, text_zh FROM issue_question ORDER BY symbol, paragraph").fetch_all(p).await?);
        Ok(heads
            .into_iter()
            .map(|(symbol, committee, title, source_name, imported_at, imported_by)| ListOfIssuesRow {
                questions: qs
                    .iter()
                    .filter(|q| q.0 == symbol)
                    .map(|q| IssueQuestionRow {
                        paragraph: q.1,
                        heading_en: q.2.clone(),
                        heading_zh: q.3.clone(),
                        articles: split(&q.4).iter().filter_map(|a| a.parse().ok()).collect(),
                        text_en: q.5.clone(),
                        text_zh: q.6.clone(),
                    })
                    .collect(),
                symbol,
                committee,
                title,
                source_name,
                imported_at,
                imported_by,
            })
            .collect())
    }

    pub async fn list_of_issues(&self, symbol: &str) -> Result<Option<ListOfIssuesRow>> {
        Ok(self.lists_of_issues().await?.into_iter().find(|l| l.symbol == symbol))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EN: &str = "X/C.1/XYZ/Q/1\nList of issues\nI. General information\n1. Please provide data disaggregated by sex.\nRight to social security (art. 9)\n2. Please explain the dibao.\n";
    const ZH: &str = "X/C.1/XYZ/Q/1\n问题清单\n一、一般资料\n1. 请提供按性别分列的数据。\n社会保障权（第九条）\n2. 请说明低保制度。\n";

    #[tokio::test]
    async fn both_languages_of_one_list_all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::connect(&crate::testing::fresh_sqlite_url(dir.path())).await.unwrap();
        let a = Actor::system();
        let r = s.import_list_of_issues(LoiFormat::UnText, EN.as_bytes(), "q.txt", None, None, &a).await.unwrap().unwrap();
        assert_eq!((r.symbol.as_str(), r.lang.as_str(), r.questions, r.new), ("X/C.1/XYZ/Q/1", "en", 2, 2));
        let again = s.import_list_of_issues(LoiFormat::UnText, EN.as_bytes(), "q.txt", None, None, &a).await.unwrap().unwrap();
        assert_eq!((again.new, again.revised), (0, 0), "a re-import adds nothing");
        let zh = s.import_list_of_issues(LoiFormat::UnText, ZH.as_bytes(), "q-zh.txt", None, None, &a).await.unwrap().unwrap();
        assert_eq!((zh.lang.as_str(), zh.new), ("zh", 2));
        let l = s.list_of_issues("X/C.1/XYZ/Q/1").await.unwrap().unwrap();
        assert_eq!(l.questions[1].text_zh, "请说明低保制度。");
        assert_eq!(l.questions[1].articles, vec![9]);
        assert_eq!(l.questions[1].heading_en, "Right to social security (art. 9)");
        // A text with another paragraph set is refused whole, naming the paragraphs.
        let bad = "X/C.1/XYZ/Q/1\n1. A.\n2. B.\n3. C.\n";
        let e = s.import_list_of_issues(LoiFormat::UnText, bad.as_bytes(), "bad.txt", None, Some(Lang::En), &a).await.unwrap().unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].value, "3");
        assert_eq!(
            s.list_of_issues("X/C.1/XYZ/Q/1").await.unwrap().unwrap().questions[0].text_en,
            "Please provide data disaggregated by sex."
        );
        // A CSV needs the symbol given.
        let csv = "paragraph,question\n1,Q\n";
        let e = s.import_list_of_issues(LoiFormat::Csv, csv.as_bytes(), "q.csv", None, None, &a).await.unwrap().unwrap_err();
        assert_eq!(e[0].column, "symbol");
        let ok = s.import_list_of_issues(LoiFormat::Csv, csv.as_bytes(), "q.csv", Some("E/C.12/XYZ/Q/9"), None, &a).await.unwrap().unwrap();
        assert_eq!(ok.committee, "CESCR");
        // A revision is audited with the old text.
        let rev = EN.replace("explain the dibao", "explain the minimum living guarantee");
        let r = s.import_list_of_issues(LoiFormat::UnText, rev.as_bytes(), "q2.txt", None, None, &a).await.unwrap().unwrap();
        assert_eq!(r.revised, 1);
        assert_eq!(s.lists_of_issues().await.unwrap().len(), 2);
    }
}
