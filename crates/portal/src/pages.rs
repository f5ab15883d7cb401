//! The portal's pages: minijinja templates (auto-escaped) over views computed here from the
//! snapshot. Charts are SVG strings made by `rightstat_reports::chart` and `crate::map`,
//! which escape their own text; each comes with a sentence stating its data.

use crate::i18n::Messages;
use crate::map::{Shade, province_map};
use crate::site::Site;
use minijinja::{Environment, Value, context};
use rightstat_core::area::{AreaCode, AreaLevel};
use rightstat_core::codelist::TOTAL;
use rightstat_core::disclosure::Withheld;
use rightstat_core::indicator::Indicator;
use rightstat_core::unit::format_number;
use rightstat_reports::Lang;
use rightstat_reports::annex::unit_label;
use rightstat_reports::chart::{bars_svg, describe, line_svg};
use rightstat_reports::gaps::STANDARD_BREAKDOWNS;
use rightstat_store::ObservationRow;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

const TEMPLATES: [(&str, &str); 8] = [
    ("recommendations.html", include_str!("../templates/recommendations.html")),
    ("measures.html", include_str!("../templates/measures.html")),
    ("base.html", include_str!("../templates/base.html")),
    ("root.html", include_str!("../templates/root.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("indicator.html", include_str!("../templates/indicator.html")),
    ("status.html", include_str!("../templates/status.html")),
    ("search.html", include_str!("../templates/search.html")),
];
const MESSAGES: &str = include_str!("../templates/messages.toml");

fn messages() -> &'static Messages {
    static M: OnceLock<Messages> = OnceLock::new();
    M.get_or_init(|| crate::i18n::parse(MESSAGES).expect("templates/messages.toml is valid (tested)"))
}

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| crate::i18n::environment(&TEMPLATES, messages()))
}

/// Renders `name` with the context every page shares: the language, the relative way back to
/// the portal's root, and the same page in the other language.
fn render(site: &Site, name: &str, lang: Lang, page: &str, ctx: Value) -> String {
    let depth = page.matches('/').count() + 1;
    let root = "../".repeat(depth);
    let other = if lang == Lang::En { Lang::Zh } else { Lang::En };
    let common = context! {
        lang => lang.code(),
        other_lang => other.code(),
        // Built here from constants and catalogue codes: relative paths, not text to escape.
        other_page => Value::from_safe_string(format!("{root}{}/{page}", other.code())),
        root => Value::from_safe_string(root),
        as_of => site.as_of.get(..10).unwrap_or(""),
        min_count => format_number(site.rules.min_count),
        live => site.live,
        all_data => site.offers_all(),
        has_recommendations => !site.follow_up.recommendations.is_empty(),
        has_measures => !site.follow_up.measures.is_empty(),
    };
    env().get_template(name).and_then(|t| t.render(context! { ..ctx, ..common })).unwrap_or_else(|e| format!("template {name}: {e}"))
}

fn s<T: Serialize + ?Sized>(x: &T) -> Value {
    Value::from(minijinja::value::Serde(x))
}

/// The dimensions a figure is broken down by (its cell lists every dimension, `_T` for totals).
fn breakdown(r: &ObservationRow) -> impl Iterator<Item = (&String, &String)> {
    r.cell.iter().filter(|(_, c)| *c != TOTAL)
}

fn is_total(r: &ObservationRow) -> bool {
    breakdown(r).next().is_none()
}

/// A figure as the pages show it.
fn shown(r: &ObservationRow) -> String {
    let v = r.value.map_or_else(|| "—".into(), format_number);
    if r.is_partial() { format!("{v} p") } else { v }
}

/// What a figure derived from part of the areas below says next to it, in the page's language.
pub(crate) fn partial_note(r: &ObservationRow, lang: Lang) -> Option<String> {
    let (Some(reporting), Some(expected)) = (r.children_reporting, r.children_expected) else { return None };
    if reporting >= expected {
        return None;
    }
    let below = r.area.parse::<AreaCode>().ok().and_then(|c| c.level().child());
    let (en, zh) = match below {
        Some(AreaLevel::Province) => ("provinces", "省级地区"),
        Some(AreaLevel::Prefecture) => ("prefectures", "地级地区"),
        Some(AreaLevel::County) => ("counties", "县级地区"),
        Some(AreaLevel::Township) => ("townships", "乡级地区"),
        _ => ("areas", "下级地区"),
    };
    let area = Site::area_name(r, lang);
    Some(match lang {
        Lang::En => format!(
            "{area}, {}: provisional (p), the sum of the {reporting} of {expected} {en} that have reported; not yet a figure for the whole of {area}.",
            r.period
        ),
        Lang::Zh => format!("{area}{}年：暂定数（p），为{expected}个{zh}中已报送的{reporting}个之和，尚不代表{area}全部。", r.period),
    })
}

#[derive(Serialize)]
struct Card {
    code: String,
    name: String,
    value: String,
    unit: String,
    period: String,
    area: String,
    outcome: bool,
    /// Set when the figure is a provisional total of part of the areas below.
    note: Option<String>,
}

#[derive(Serialize)]
struct Row {
    label: String,
    cells: Vec<(String, String)>,
}

#[derive(Serialize)]
struct Chart {
    svg: String,
    alt: String,
}

impl Site {
    fn unit(&self, d: &Indicator, lang: Lang) -> String {
        let names = self.units.get(&d.unit).cloned().unwrap_or_default();
        unit_label(&names.en, &names.zh, i64::from(d.unit_mult), lang)
    }

    fn area_name(r: &ObservationRow, lang: Lang) -> String {
        match lang {
            Lang::En => r.area_name_en.clone().unwrap_or_else(|| r.area_name_zh.clone()),
            Lang::Zh => r.area_name_zh.clone(),
        }
    }

    fn code_label(&self, dimension: &str, code: &str, lang: Lang) -> String {
        if code == TOTAL {
            return lang.pick("Total", "合计").to_string();
        }
        self.code_name(dimension, code).map_or_else(|| code.into(), |n| lang.pick(&n.en, &n.zh).to_string())
    }

    /// The area whose series the page leads with: the nation if it has figures, else the
    /// area with the most total figures.
    fn lead_area<'a>(&self, rows: &'a [ObservationRow]) -> Option<&'a str> {
        if rows.iter().any(|r| r.area == AreaCode::COUNTRY) {
            return Some(AreaCode::COUNTRY);
        }
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for r in rows.iter().filter(|r| is_total(r)) {
            *counts.entry(&r.area).or_default() += 1;
        }
        counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0))).map(|(a, _)| a)
    }

    pub(crate) fn root_page(&self) -> String {
        let published = self.published_indicators().count();
        env()
            .get_template("root.html")
            .and_then(|t| t.render(context! { published => published, as_of => self.as_of.get(..10).unwrap_or(""), live => self.live, all_data => self.offers_all(), has_recommendations => !self.follow_up.recommendations.is_empty() }))
            .unwrap_or_else(|e| format!("template root.html: {e}"))
    }

    pub(crate) fn home_page(&self, lang: Lang) -> String {
        let mut cards = Vec::new();
        for d in self.published_indicators() {
            let rows = self.figures(&d.code);
            let Some(area) = self.lead_area(rows) else { continue };
            if let Some(latest) =
                rows.iter().filter(|r| r.area == area && is_total(r) && r.value.is_some()).max_by(|a, b| a.period.cmp(&b.period))
            {
                cards.push(Card {
                    code: d.code.clone(),
                    name: lang.pick(&d.name_en, &d.name_zh).to_string(),
                    value: shown(latest),
                    unit: self.unit(d, lang),
                    period: latest.period.clone(),
                    area: Self::area_name(latest, lang),
                    outcome: d.ohchr_type == rightstat_core::indicator::OhchrType::Outcome,
                    note: partial_note(latest, lang),
                });
            }
        }
        let by_article = self.by_article(lang, self.published_indicators());
        // Headlines: outcome indicators (the enjoyment of the rights) first, the latest first.
        cards.sort_by(|a, b| b.outcome.cmp(&a.outcome).then(b.period.cmp(&a.period)));
        let headline: Vec<&Card> = cards.iter().take(6).collect();
        let total = self.published_indicators().count();
        render(self, "home.html", lang, "index.html", context! { headline => s(&headline), by_article => by_article, total => total })
    }

    /// Indicators grouped under the first ICESCR article each serves.
    fn by_article<'a>(&self, lang: Lang, indicators: impl Iterator<Item = &'a Indicator>) -> Vec<(String, Vec<(String, String)>)> {
        let mut groups: BTreeMap<u8, Vec<(String, String)>> = BTreeMap::new();
        for d in indicators {
            let article = d.icescr_articles.first().copied().unwrap_or(0);
            groups.entry(article).or_default().push((d.code.clone(), lang.pick(&d.name_en, &d.name_zh).to_string()));
        }
        groups
            .into_iter()
            .map(|(n, list)| {
                let title = match self.articles.get(&n) {
                    Some(a) if lang == Lang::En => format!("Article {n}: {}", a.title_en),
                    Some(a) => format!("第{n}条：{}", a.title_zh),
                    None => lang.pick("Other indicators", "其他指标").to_string(),
                };
                (title, list)
            })
            .collect()
    }

    pub(crate) fn indicator_page(&self, lang: Lang, d: &Indicator) -> String {
        let rows = self.figures(&d.code);
        let unit = self.unit(d, lang);
        let title = lang.pick(&d.name_en, &d.name_zh).to_string();
        let area = self.lead_area(rows).unwrap_or(AreaCode::COUNTRY);
        let area_rows: Vec<&ObservationRow> = rows.iter().filter(|r| r.area == area).collect();
        let area_name = area_rows.first().map(|r| Self::area_name(r, lang)).unwrap_or_default();

        // The series: the area's totals. A provisional total of part of the areas below is not
        // drawn beside complete ones (one county's 0.52 after a nation's 4,426 is no fall); the
        // table and the note beside it give it.
        let points: Vec<(String, f64)> =
            area_rows.iter().filter(|r| is_total(r) && !r.is_partial()).filter_map(|r| r.value.map(|v| (r.period.clone(), v))).collect();
        let series_title = format!("{title} — {area_name}");
        let series = (points.len() > 1)
            .then(|| Chart { svg: line_svg(&points, &series_title, &unit), alt: describe(&points, &series_title, &unit) });

        // Breakdowns: for each dimension, the latest period with a figure for each of its codes.
        let mut breakdowns = Vec::new();
        let mut columns: Vec<(String, String)> = vec![(String::new(), lang.pick("Total", "合计").to_string())];
        for dim in &d.dimensions {
            let single: Vec<&&ObservationRow> =
                area_rows.iter().filter(|r| breakdown(r).count() == 1 && r.cell.get(dim).is_some_and(|c| c != TOTAL)).collect();
            let Some(latest) = single.iter().map(|r| r.period.as_str()).max() else { continue };
            let mut codes: Vec<&String> = single.iter().map(|r| &r.cell[dim]).collect::<BTreeSet<_>>().into_iter().collect();
            let order = self.code_order.get(dim);
            codes.sort_by_key(|c| order.and_then(|o| o.iter().position(|x| x == *c)).unwrap_or(usize::MAX));
            for c in &codes {
                columns.push((format!("{dim}={c}"), self.code_label(dim, c, lang)));
            }
            let bars: Vec<(String, f64)> = codes
                .iter()
                .filter_map(|c| {
                    single
                        .iter()
                        .find(|r| r.period == latest && &r.cell[dim] == *c)
                        .and_then(|r| r.value)
                        .map(|v| (self.code_label(dim, c, lang), v))
                })
                .collect();
            if !bars.is_empty() {
                let dim_name = self.dimensions.get(dim).map_or_else(|| dim.clone(), |n| lang.pick(&n.en, &n.zh).to_string());
                let provisional = single.iter().any(|r| r.period == latest && r.is_partial());
                let mark = if provisional { lang.pick(" (provisional, p)", "（暂定数，p）") } else { "" };
                let t = format!("{title} — {area_name}, {latest}: {dim_name}{mark}");
                breakdowns.push(Chart { svg: bars_svg(&bars, &t, &unit), alt: describe(&bars, &t, &unit) });
            }
        }

        // The table: the area's periods × (total and each single breakdown).
        let mut by_period: BTreeMap<&str, HashMap<String, String>> = BTreeMap::new();
        for r in &area_rows {
            let key = match breakdown(r).count() {
                0 => String::new(),
                1 => breakdown(r).map(|(k, v)| format!("{k}={v}")).collect(),
                _ => continue,
            };
            by_period.entry(&r.period).or_default().insert(key, shown(r));
        }
        let table: Vec<Row> = by_period
            .iter()
            .rev()
            .map(|(p, cells)| Row {
                label: (*p).to_string(),
                cells: columns.iter().map(|(k, _)| (k.clone(), cells.get(k).cloned().unwrap_or_default())).collect(),
            })
            .collect();

        // The map: provinces' totals in the latest period any province has.
        let provinces: Vec<&ObservationRow> =
            rows.iter().filter(|r| is_total(r) && r.area.parse::<AreaCode>().is_ok_and(|c| c.level() == AreaLevel::Province)).collect();
        let (map, province_table) = match provinces.iter().map(|r| r.period.as_str()).max() {
            Some(latest) => {
                let these: Vec<&&ObservationRow> = provinces.iter().filter(|r| r.period == latest).collect();
                let shades: HashMap<String, Shade> =
                    these.iter().map(|r| (r.area.clone(), Shade { name: Self::area_name(r, lang), value: r.value })).collect();
                let t = format!("{title}, {latest}");
                let missing = lang.pick("no public figure", "无公开数字").to_string();
                let pts: Vec<(String, f64)> = these.iter().filter_map(|r| r.value.map(|v| (Self::area_name(r, lang), v))).collect();
                let table: Vec<(String, String)> = these.iter().map(|r| (Self::area_name(r, lang), shown(r))).collect();
                (Some(Chart { svg: province_map(&shades, &t, &unit, &missing), alt: describe(&pts, &t, &unit) }), table)
            }
            None => (None, Vec::new()),
        };

        // Provisional totals of part of the areas below, said next to the table and the map.
        let partial: Vec<String> = rows
            .iter()
            .filter(|r| r.area == area || r.area.parse::<AreaCode>().is_ok_and(|c| c.level() == AreaLevel::Province))
            .filter(|r| is_total(r) || r.area == area)
            .filter_map(|r| partial_note(r, lang))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let sources: BTreeSet<String> = self.summaries.get(&d.code).map(|s| s.sources.clone()).unwrap_or_default();
        let notes: Vec<&str> = self
            .reasons
            .get(&d.code)
            .into_iter()
            .flatten()
            .map(|w| match w {
                Withheld::AtSource => "withheld_at_source",
                Withheld::SmallCount => "withheld_small_count",
                Withheld::SmallBase => "withheld_small_base",
                Withheld::Secondary => "withheld_secondary",
            })
            .collect();
        let articles: Vec<String> = d
            .icescr_articles
            .iter()
            .map(|n| match (self.articles.get(n), lang) {
                (Some(a), Lang::En) => format!("Article {n} ({})", a.title_en),
                (Some(a), Lang::Zh) => format!("第{n}条（{}）", a.title_zh),
                (None, _) => n.to_string(),
            })
            .collect();
        let page = format!("indicators/{}.html", d.code);
        render(
            self,
            "indicator.html",
            lang,
            &page,
            context! {
                code => d.code.clone(), title => title, unit => unit,
                definition => lang.pick(&d.definition_en, &d.definition_zh).to_string(),
                purpose => lang.pick(&d.purpose_en, &d.purpose_zh).to_string(),
                ohchr_type => s(&d.ohchr_type),
                articles => articles, sdg => d.sdg_targets.clone(),
                sources => sources, notes => notes,
                area_name => area_name, series => s(&series), breakdowns => s(&breakdowns),
                columns => columns, table => s(&table),
                map => s(&map), province_table => province_table,
                count => rows.len(), partial => partial,
                recommendations => s(&self.recommendations.get(&d.code).cloned().unwrap_or_default()),
            },
        )
    }

    /// Every recommendation, grouped by source, with the State's response, the indicators that
    /// follow it up (linked to their pages when published) and the measures taken.
    pub(crate) fn recommendations_page(&self, lang: Lang) -> String {
        let published: BTreeSet<&str> = self.published_indicators().map(|d| d.code.as_str()).collect();
        let name = |code: &str| self.indicator(code).map_or(code.to_string(), |d| lang.pick(&d.name_en, &d.name_zh).to_string());
        let measure_name = |code: &str| {
            self.follow_up
                .measures
                .iter()
                .find(|m| m.measure.code == code)
                .map_or(code.to_string(), |m| lang.pick(&m.measure.name_en, &m.measure.name_zh).to_string())
        };
        let mut groups: Vec<(String, Vec<serde_json::Value>)> = Vec::new();
        for r in &self.follow_up.recommendations {
            let item = serde_json::json!({
                "r": r,
                "indicators": r.indicators.iter().map(|c| serde_json::json!({ "code": c, "name": name(c), "published": published.contains(c.as_str()) })).collect::<Vec<_>>(),
                "measures": r.measures.iter().map(|c| serde_json::json!({ "code": c, "name": measure_name(c) })).collect::<Vec<_>>(),
            });
            match groups.last_mut() {
                Some((source, items)) if *source == r.source => items.push(item),
                _ => groups.push((r.source.clone(), vec![item])),
            }
        }
        let followed = self.follow_up.recommendations.iter().filter(|r| !r.indicators.is_empty() || !r.measures.is_empty()).count();
        render(
            self,
            "recommendations.html",
            lang,
            "recommendations.html",
            context! {
                groups => s(&groups), total => self.follow_up.recommendations.len(), followed => followed,
            },
        )
    }

    /// The State's measures: what each is, its legal basis, the department responsible, the
    /// indicators that show its effect and the recommendations it answers.
    pub(crate) fn measures_page(&self, lang: Lang) -> String {
        let published: BTreeSet<&str> = self.published_indicators().map(|d| d.code.as_str()).collect();
        let departments = rightstat_core::reference::departments();
        let department = |code: &Option<String>| {
            code.as_ref()
                .map(|c| departments.iter().find(|d| &d.code == c).map_or(c.clone(), |d| lang.pick(&d.name_en, &d.name_zh).to_string()))
        };
        let list: Vec<serde_json::Value> = self
            .follow_up
            .measures
            .iter()
            .map(|m| {
                let x = &m.measure;
                serde_json::json!({
                    "code": x.code, "name": lang.pick(&x.name_en, &x.name_zh), "local_term": x.local_term,
                    "description": if lang == Lang::Zh && !x.description_zh.is_empty() { &x.description_zh } else { &x.description_en },
                    "legal_basis": if lang == Lang::Zh && !x.legal_basis_zh.is_empty() { &x.legal_basis_zh } else { &x.legal_basis }, "department": department(&x.department), "start": x.start_date, "end": x.end_date,
                    "indicators": x.indicators.iter().map(|c| serde_json::json!({
                        "code": c, "published": published.contains(c.as_str()),
                        "name": self.indicator(c).map_or(c.to_string(), |d| lang.pick(&d.name_en, &d.name_zh).to_string()),
                    })).collect::<Vec<_>>(),
                    "recommendations": m.recommendations.len(),
                })
            })
            .collect();
        render(self, "measures.html", lang, "measures.html", context! { list => s(&list) })
    }

    pub(crate) fn status_page(&self, lang: Lang) -> String {
        #[derive(Serialize)]
        struct Status {
            code: String,
            name: String,
            published: bool,
            periods: String,
            present: Vec<String>,
            missing: Vec<String>,
        }
        let list: Vec<Status> = self
            .indicators
            .iter()
            .map(|d| {
                let summary = self.summaries.get(&d.code);
                let periods: BTreeSet<&str> = summary.into_iter().flat_map(|s| s.periods.iter().map(String::as_str)).collect();
                let have: BTreeSet<&str> = summary.into_iter().flat_map(|s| s.broken_down.iter().map(String::as_str)).collect();
                let wanted: BTreeSet<&str> = d.required_dimensions.iter().map(String::as_str).chain(STANDARD_BREAKDOWNS).collect();
                let label = |dim: &&str| self.dimensions.get(*dim).map_or_else(|| dim.to_string(), |n| lang.pick(&n.en, &n.zh).to_string());
                Status {
                    code: d.code.clone(),
                    name: lang.pick(&d.name_en, &d.name_zh).to_string(),
                    published: summary.is_some(),
                    periods: match (periods.first(), periods.last()) {
                        (Some(a), Some(b)) if a == b => (*a).to_string(),
                        (Some(a), Some(b)) => format!("{a}–{b}"),
                        _ => String::new(),
                    },
                    present: wanted.iter().filter(|w| have.contains(*w)).map(label).collect(),
                    missing: wanted.iter().filter(|w| !have.contains(*w)).map(label).collect(),
                }
            })
            .collect();
        let published = list.iter().filter(|s| s.published).count();
        render(self, "status.html", lang, "status.html", context! { list => s(&list), published => published, withheld => self.withheld })
    }

    pub(crate) fn search_page(&self, lang: Lang, q: &str) -> String {
        let needle = q.trim().to_lowercase();
        let hits: Vec<&Indicator> = self
            .published_indicators()
            .filter(|d| {
                needle.is_empty()
                    || [&d.code, &d.name_en, &d.name_zh, &d.definition_en, &d.definition_zh]
                        .iter()
                        .any(|f| f.to_lowercase().contains(&needle))
            })
            .collect();
        let by_article = self.by_article(lang, hits.iter().copied());
        // What the static copy's in-browser filter searches besides the names and codes.
        let definitions: BTreeMap<&str, String> =
            hits.iter().map(|d| (d.code.as_str(), format!("{} {}", d.definition_en, d.definition_zh).to_lowercase())).collect();
        render(
            self,
            "search.html",
            lang,
            "search.html",
            context! { q => q, hits => hits.len(), by_article => by_article, definitions => definitions },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_compile_and_every_message_has_both_languages() {
        for (name, _) in TEMPLATES {
            assert!(env().get_template(name).is_ok(), "{name}");
        }
        for (key, m) in messages() {
            assert!(m.get("en").is_some_and(|s| !s.is_empty()) && m.get("zh").is_some_and(|s| !s.is_empty()), "{key}");
        }
        // Keys chosen in code.
        for key in ["withheld_at_source", "withheld_small_count", "withheld_small_base", "withheld_secondary"] {
            assert!(messages().contains_key(key), "{key}");
        }
        // Every t("…") used by a template is defined.
        for (name, src) in TEMPLATES {
            for part in src.split("t(\"").skip(1) {
                let key = &part[..part.find('"').expect("closing quote")];
                // A prefix completed at run time (`t("ohchr_" ~ type)`): every variant is defined.
                if let Some(prefix) = key.strip_suffix('_') {
                    let variants: &[&str] = match prefix {
                        "response" => &["supported", "supported_in_part", "noted"],
                        _ => &["structural", "process", "outcome"],
                    };
                    assert!(variants.iter().all(|v| messages().contains_key(&format!("{prefix}_{v}"))), "{key}");
                    continue;
                }
                assert!(messages().contains_key(key), "{name} uses undefined message {key}");
            }
        }
    }
}
