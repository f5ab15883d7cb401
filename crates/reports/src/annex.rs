//! The statistical annex: one table per indicator with national figures, generated from the
//! published observations, each with its unit and multiplier spelled out, its sources, the
//! status of provisional or estimated figures, and the footnotes recorded with the values.

use crate::doc::{Document, Table};
use crate::{Lang, ReportError};
use rightstat_store::{ObservationFilter, ObservationRow, Store, Visibility};
use std::collections::{BTreeMap, BTreeSet};

/// Years shown per table: the latest this many with figures.
pub const YEARS: usize = 10;

/// "10,000 persons" / "万人": the unit as a reader needs it, multiplier included.
pub use rightstat_core::unit::label as unit_label;

/// The annex for the indicators linked to `articles`, national figures (`national` area).
pub async fn document(store: &Store, articles: &[u8], lang: Lang) -> Result<Document, ReportError> {
    let cat = store.catalogue().await?;
    let (units, _) = store.units().await?;
    let national = store.national_area().await?;
    let mut inds: Vec<_> =
        cat.indicators.values().map(|(i, _)| i).filter(|i| i.icescr_articles.iter().any(|a| articles.contains(a))).collect();
    inds.sort_by(|a, b| a.code.cmp(&b.code));
    let f = ObservationFilter {
        indicators: inds.iter().map(|i| i.code.clone()).collect(),
        area: Some(national.clone()),
        visibility: Visibility::Published,
        ..Default::default()
    };
    let mut by_ind: BTreeMap<String, Vec<ObservationRow>> = BTreeMap::new();
    for o in store.observations(&f).await?.into_iter().filter(|o| o.area == national && o.value.is_some()) {
        by_ind.entry(o.indicator.clone()).or_default().push(o);
    }
    let t = |en: &str, zh: &str| lang.pick(en, zh).to_string();
    let mut d = Document::new(t("Statistical annex", "统计附件"), lang);
    d.para(t(
        "Figures for the country as a whole, as published in RightStat. Each table gives the unit and multiplier of its figures and their sources; e marks an estimate, p a provisional figure.",
        "全国数据,取自RightStat已发布数据。各表注明数据的单位、倍数和来源;e表示估计数,p表示初步数。",
    ));
    let dim_name = |d: &str, code: &str| {
        cat.codelists
            .get(d)
            .and_then(|l| l.codes.iter().find(|c| c.code == code))
            .map_or(code.to_string(), |c| lang.pick(&c.name_en, &c.name_zh).to_string())
    };
    let mut n = 0;
    let mut by_article: BTreeMap<u8, Vec<&rightstat_core::indicator::Indicator>> = BTreeMap::new();
    for i in inds.iter().filter(|i| by_ind.contains_key(&i.code)) {
        if let Some(a) = i.icescr_articles.iter().find(|a| articles.contains(a)) {
            by_article.entry(*a).or_default().push(i);
        }
    }
    for (article, list) in by_article {
        d.heading(
            1,
            match lang {
                Lang::En => format!("Article {article}"),
                Lang::Zh => format!("第{article}条"),
            },
        );
        for ind in list {
            n += 1;
            d.table(series_table(ind, &by_ind[&ind.code], &units, &dim_name, lang, n));
        }
    }
    Ok(d)
}

/// One indicator's national series as a table: a row per year (the latest [`YEARS`]), the total
/// and each single breakdown as columns, unit and sources spelled out.
pub fn series_table(
    ind: &rightstat_core::indicator::Indicator,
    obs: &[ObservationRow],
    units: &[rightstat_core::unit::Unit],
    dim_name: &dyn Fn(&str, &str) -> String,
    lang: Lang,
    n: usize,
) -> Table {
    let t = |en: &str, zh: &str| lang.pick(en, zh).to_string();
    let mut years: Vec<&str> = obs.iter().map(|o| o.period.as_str()).collect::<BTreeSet<_>>().into_iter().collect();
    years = years.split_off(years.len().saturating_sub(YEARS));
    // Columns: the total first, then each cell with one non-total code, as reported.
    let mut cols: Vec<String> = obs.iter().map(|o| o.cell_key.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    cols.retain(|c| is_total(c) || single_breakdown(c));
    cols.sort_by_key(|c| (!is_total(c), c.clone()));
    let header: Vec<String> = std::iter::once(t("Year", "年份"))
        .chain(cols.iter().map(|c| if is_total(c) { t("Total", "合计") } else { cell_label(c, dim_name) }))
        .collect();
    let mut notes: Vec<String> = Vec::new();
    let mut sources: BTreeSet<String> = BTreeSet::new();
    let mut rows = Vec::new();
    for y in &years {
        let mut row = vec![y.to_string()];
        for c in &cols {
            let o = obs.iter().find(|o| o.period == *y && &o.cell_key == c);
            row.push(match o {
                None => "..".into(),
                Some(o) => {
                    if !o.source.is_empty() {
                        sources.insert(o.source.clone());
                    }
                    if !o.footnote.is_empty() && !notes.iter().any(|n| n.ends_with(&o.footnote)) {
                        notes.push(format!("{y}: {}", o.footnote));
                    }
                    let flag = match o.status.as_str() {
                        "E" => " e",
                        "P" => " p",
                        _ => "",
                    };
                    format!("{}{flag}", number(o.value.unwrap_or_default()))
                }
            });
        }
        rows.push(row);
    }
    let unit = units.iter().find(|u| u.code == ind.unit);
    let unit = unit_label(unit.map_or(&ind.unit, |u| &u.name_en), unit.map_or(&ind.unit, |u| &u.name_zh), ind.unit_mult as i64, lang);
    notes.push(t(".. : not available.", ".. :无数据。"));
    let (first, last) = (years.first().copied().unwrap_or_default(), years.last().copied().unwrap_or_default());
    Table {
        caption: match lang {
            Lang::En => format!("Table {n}. {} ({}), {first}–{last}", ind.name_en, ind.code),
            Lang::Zh => format!("表{n} {}({}),{first}—{last}年", ind.name_zh, ind.code),
        },
        header,
        rows,
        unit: Some(unit),
        source: Some(sources.into_iter().collect::<Vec<_>>().join("; ")).filter(|s| !s.is_empty()),
        notes,
    }
}

/// A cell key with no breakdown (every dimension at its total).
pub(crate) fn is_total(key: &str) -> bool {
    key.trim_matches('|').split('|').filter(|kv| !kv.is_empty()).all(|kv| kv.ends_with("=_T"))
}

fn single_breakdown(key: &str) -> bool {
    key.trim_matches('|').split('|').filter(|kv| !kv.is_empty() && !kv.ends_with("=_T")).count() == 1
}

pub(crate) fn cell_label(key: &str, name: &dyn Fn(&str, &str) -> String) -> String {
    key.trim_matches('|')
        .split('|')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(_, c)| *c != "_T")
        .map(|(d, c)| name(d, c))
        .collect::<Vec<_>>()
        .join(", ")
}

pub use rightstat_core::unit::format_number as number;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_spelled_out() {
        assert_eq!(unit_label("Persons", "人", 4, Lang::En), "10,000 persons");
        assert_eq!(unit_label("Persons", "人", 4, Lang::Zh), "万人");
        assert_eq!(unit_label("Percent", "%", 0, Lang::En), "Percent");
        assert_eq!(number(8249.0), "8,249");
        assert_eq!(number(-0.5), "-0.5");
        assert!(is_total("") && is_total("|SEX=_T|URBANISATION=_T|") && !is_total("|URBANISATION=R|"));
    }

    #[tokio::test]
    async fn the_demo_annex_has_the_rural_poverty_series_with_its_unit() {
        let dir = tempfile::tempdir().unwrap();
        let url = rightstat_store::testing::fresh_sqlite_url(dir.path());
        let s = Store::connect(&url).await.unwrap();
        s.seed_reference().await.unwrap();
        s.load_demo().await.unwrap();
        let d = document(&s, &[11], Lang::En).await.unwrap();
        let t = d
            .blocks
            .iter()
            .find_map(|b| match b {
                crate::doc::Block::Table(t) if t.caption.contains("CN_RURAL_POOR_POP") => Some(t),
                _ => None,
            })
            .expect("a table of the rural poor population");
        assert_eq!(t.unit.as_deref(), Some("10,000 persons"));
        assert!(t.source.as_deref().is_some_and(|s| !s.is_empty()), "{t:?}");
        assert_eq!(t.rows.len(), YEARS);
        let r2019 = t.rows.iter().find(|r| r[0] == "2019").unwrap();
        assert_eq!(r2019[1], "551", "{t:?}");
    }
}
