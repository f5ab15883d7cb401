//! The public snapshot: what the public pages show of the published, current figures, with
//! disclosure control applied, and the reference content the pages need. This is the only
//! place the portal reads the store, so no public output can show a figure this snapshot
//! withheld.
//!
//! **The snapshot grows with the pages, not with the data.** Disclosure control runs at load
//! over every public figure, one indicator at a time (with the base count a rate rests on);
//! the snapshot then keeps, of each indicator, only what its pages show — the nation's, the
//! provinces' and the lead area's figures — a summary of the rest (periods, breakdowns,
//! sources), and the keys of the figures it withheld. Everything else (downloads, SDMX data
//! queries, the public API) is read from the store when asked for and put in its public form
//! here ([`Site::public_rows`]), which checks that the public figures are still those the
//! snapshot was built from.

use crate::PortalError;
use rightstat_core::area::{AreaCode, AreaLevel};
use rightstat_core::cell::Cell;
use rightstat_core::codelist::TOTAL;
use rightstat_core::disclosure::{Figure, Rules, Withheld, base_of, protect};
use rightstat_core::indicator::Indicator;
use rightstat_core::observation::ObsStatus;
use rightstat_core::reference::Article;
use rightstat_store::{ObservationFilter, ObservationRow, Store, Visibility};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A name in both languages.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Names {
    pub en: String,
    pub zh: String,
}

/// Everything the public may see, as of one moment.
#[derive(Debug)]
pub struct Site {
    pub(crate) rules: Rules,
    /// The catalogue, in its order.
    pub(crate) indicators: Vec<Indicator>,
    /// What the pages show of each published indicator, sorted by area, period and cell: the
    /// nation's, the provinces' and the lead area's public figures; withheld figures have no
    /// value, status `Q` and the reason as their footnote.
    pub(crate) figures: BTreeMap<String, Vec<ObservationRow>>,
    /// Every published indicator, over all its public figures.
    pub(crate) summaries: BTreeMap<String, Summary>,
    /// The figures disclosure control withholds (at source too), by the hash of their key.
    withheld_keys: HashMap<u128, Withheld>,
    /// How many figures disclosure control withheld (beyond those withheld at source).
    pub(crate) withheld: usize,
    /// Public figures in all.
    pub(crate) total: usize,
    /// Why figures of each indicator are withheld (for the page's notes).
    pub(crate) reasons: HashMap<String, BTreeSet<Withheld>>,
    /// The areas with public figures: code → (English, Chinese) name.
    pub(crate) ref_areas: BTreeMap<String, (String, String)>,
    pub(crate) dimensions: HashMap<String, Names>,
    /// (dimension, code) → names.
    pub(crate) codes: HashMap<(String, String), Names>,
    /// Code order within each dimension.
    pub(crate) code_order: HashMap<String, Vec<String>>,
    pub(crate) units: HashMap<String, Names>,
    pub(crate) articles: BTreeMap<u8, Article>,
    /// Every dimension known, in a fixed order: the SDMX key after INDICATOR and REF_AREA.
    pub(crate) key_dimensions: Vec<String>,
    /// When the newest public figure was recorded (the snapshot's "data as of").
    pub(crate) as_of: String,
    /// The recommendations (UPR, concluding observations) each indicator helps to follow up.
    pub(crate) recommendations: HashMap<String, Vec<Recommendation>>,
    /// Every recommendation and measure, for the public pages that list them (both public
    /// documents: the recommendations are the UN's, the measures the State's own account).
    pub(crate) follow_up: FollowUp,
    /// Files already made from this snapshot (each is a pure function of it); pages and
    /// files up to [`KEPT_FILE`] bytes.
    pub(crate) made: std::sync::Mutex<HashMap<String, crate::File>>,
    /// Served by the running server (pages link to sign-in and the API), not a static copy.
    pub(crate) live: bool,
    /// Where the figures the snapshot does not hold are read, and the public version it was
    /// built at (`Store::public_version`).
    store: Store,
    version: String,
}

/// Files made from the snapshot are kept for the next request up to this size; larger
/// downloads are made again when asked for.
pub(crate) const KEPT_FILE: usize = 4 << 20;

/// Public figures an answer may hold: a data query or download selecting more is refused
/// (SDMX's 413, "response too large"), and `data/all.*` is offered only while the whole public
/// set is no larger.
pub const MAX_FIGURES: usize = 1_000_000;

/// An indicator over all its public figures, for the pages that list indicators.
#[derive(Debug, Clone, Default)]
pub(crate) struct Summary {
    pub(crate) periods: BTreeSet<String>,
    /// The dimensions with at least one figure broken down by them that has a value.
    pub(crate) broken_down: BTreeSet<String>,
    pub(crate) sources: BTreeSet<String>,
    /// The codes of each dimension its figures use.
    pub(crate) cells: BTreeMap<String, BTreeSet<String>>,
}

/// A recommendation as the indicator page cites it (recommendations are public documents).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Recommendation {
    /// "UPR 31 (2018)" or "E/C.12/CHN/CO/2 para. 36".
    pub citation: String,
    pub text: String,
    /// Supported / noted (UPR), empty for treaty bodies.
    pub response: String,
    pub by: String,
}

/// The recommendations and the State's measures, as the public pages list them.
#[derive(Debug, Clone, Default)]
pub(crate) struct FollowUp {
    pub(crate) recommendations: Vec<PublicRecommendation>,
    pub(crate) measures: Vec<PublicMeasure>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct PublicRecommendation {
    pub(crate) uid: String,
    /// "UPR 2 (2013)" or "CESCR, E/C.12/CHN/CO/2": how the list groups them.
    pub(crate) source: String,
    pub(crate) citation: String,
    pub(crate) text: String,
    pub(crate) response: String,
    pub(crate) by: String,
    pub(crate) indicators: Vec<String>,
    pub(crate) measures: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct PublicMeasure {
    #[serde(flatten)]
    pub(crate) measure: rightstat_core::measure::Measure,
    pub(crate) recommendations: Vec<String>,
}

/// A 128-bit hash of a figure's key: two independent 64-bit SipHashes with fixed keys.
fn key_hash(indicator: &str, area: &str, period: &str, cell_key: &str) -> u128 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    let key = (indicator, area, period, cell_key);
    let a = BuildHasherDefault::<DefaultHasher>::default().hash_one(key);
    let b = BuildHasherDefault::<DefaultHasher>::default().hash_one((key, 0x5bd1_e995_u32));
    (u128::from(a) << 64) | u128::from(b)
}

fn is_total(r: &ObservationRow) -> bool {
    r.cell.values().all(|c| c == TOTAL)
}

fn is_upper(area: &str) -> bool {
    area.parse::<AreaCode>().is_ok_and(|c| matches!(c.level(), AreaLevel::Country | AreaLevel::Province))
}

/// The area an indicator's page leads with: the nation if it has figures, else the area with
/// the most total figures (the earliest code of those with as many).
fn lead_area(rows: &[ObservationRow]) -> Option<String> {
    if rows.iter().any(|r| r.area == AreaCode::COUNTRY) {
        return Some(AreaCode::COUNTRY.to_string());
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for r in rows.iter().filter(|r| is_total(r)) {
        *counts.entry(&r.area).or_default() += 1;
    }
    counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0))).map(|(a, _)| a.to_string())
}

impl Site {
    /// Reads the published figures and applies `rules` to them. A release while it reads
    /// makes it read again.
    pub async fn load(store: &Store, rules: Rules) -> Result<Site, PortalError> {
        for _ in 0..3 {
            let version = store.public_version().await?;
            let site = Site::read(store, rules.clone(), version).await?;
            if site.is_current().await? {
                return Ok(site);
            }
        }
        Err(PortalError::Stale)
    }

    async fn read(store: &Store, rules: Rules, version: String) -> Result<Site, PortalError> {
        let indicators: Vec<Indicator> = store.indicators().await?.into_iter().map(|r| r.indicator).collect();
        let areas = store.area_index().await?;
        let by_code: HashMap<&str, &Indicator> = indicators.iter().map(|d| (d.code.as_str(), d)).collect();
        let min = rules.min_count;
        let (mut withheld, mut total) = (0, 0);
        let mut withheld_keys = HashMap::new();
        let mut reasons: HashMap<String, BTreeSet<Withheld>> = HashMap::new();
        let mut figures: BTreeMap<String, Vec<ObservationRow>> = BTreeMap::new();
        let mut summaries: BTreeMap<String, Summary> = BTreeMap::new();
        let mut ref_areas = BTreeMap::new();
        let mut as_of = String::new();
        let published =
            |code: &str| ObservationFilter { indicators: vec![code.to_string()], visibility: Visibility::Published, ..Default::default() };
        let figure = |r: &ObservationRow| Figure {
            indicator: r.indicator.clone(),
            area: r.area.clone(),
            parent: areas.parent(&r.area).map(str::to_owned),
            period: r.period.clone(),
            cell: Cell::from_key(&r.cell_key).unwrap_or_default(),
            value: r.value,
            unit_mult: r.unit_mult as i32,
            // An unknown status is treated as confidential: nothing is shown by default.
            status: r.status.parse().unwrap_or(ObsStatus::Q),
        };
        // One indicator at a time, with the base count its rates rest on: disclosure control
        // never looks across other indicators, so the verdicts are those over the whole set.
        for d in &indicators {
            let rows = store.observations(&published(&d.code)).await?;
            if rows.is_empty() {
                continue;
            }
            let mut all: Vec<Figure> = rows.iter().map(figure).collect();
            if let Some(base) = base_of(d).filter(|b| *b != d.code) {
                all.extend(store.observations(&published(base)).await?.iter().map(figure));
            }
            let verdicts = protect(&all, |c| by_code.get(c).copied(), &rules);
            drop(all);
            let lead = lead_area(&rows);
            let mut summary = Summary::default();
            let mut cell_keys: std::collections::HashSet<String> = std::collections::HashSet::new();
            let mut kept = Vec::new();
            for (mut r, verdict) in rows.into_iter().zip(verdicts) {
                total += 1;
                if let Some(why) = verdict {
                    withheld += usize::from(why != Withheld::AtSource);
                    reasons.entry(r.indicator.clone()).or_default().insert(why);
                    withheld_keys.insert(key_hash(&r.indicator, &r.area, &r.period, &r.cell_key), why);
                }
                if r.recorded_at > as_of {
                    as_of.clone_from(&r.recorded_at);
                }
                if !summary.periods.contains(&r.period) {
                    summary.periods.insert(r.period.clone());
                }
                if verdict.is_none() && r.value.is_some() {
                    for (dim, code) in &r.cell {
                        if code != TOTAL && !summary.broken_down.contains(dim) {
                            summary.broken_down.insert(dim.clone());
                        }
                    }
                }
                if !cell_keys.contains(&r.cell_key) {
                    cell_keys.insert(r.cell_key.clone());
                    for (dim, code) in &r.cell {
                        summary.cells.entry(dim.clone()).or_default().insert(code.clone());
                    }
                }
                if !r.source.is_empty() && !summary.sources.contains(&r.source) {
                    summary.sources.insert(r.source.clone());
                }
                if !ref_areas.contains_key(&r.area) {
                    ref_areas
                        .insert(r.area.clone(), (r.area_name_en.clone().unwrap_or_else(|| r.area_name_zh.clone()), r.area_name_zh.clone()));
                }
                if is_upper(&r.area) || lead.as_deref() == Some(r.area.as_str()) {
                    public_form(&mut r, verdict, min);
                    kept.push(r);
                }
            }
            kept.sort_by(|a, b| (&a.area, &a.period, &a.cell_key).cmp(&(&b.area, &b.period, &b.cell_key)));
            figures.insert(d.code.clone(), kept);
            summaries.insert(d.code.clone(), summary);
        }
        let mut dimensions = HashMap::new();
        let mut codes = HashMap::new();
        let mut code_order = HashMap::new();
        let mut key_dimensions = Vec::new();
        for list in store.codelists().await? {
            key_dimensions.push(list.id.clone());
            code_order.insert(list.id.clone(), list.codes.iter().map(|c| c.code.clone()).collect());
            for c in &list.codes {
                codes.insert((list.id.clone(), c.code.clone()), Names { en: c.name_en.clone(), zh: c.name_zh.clone() });
            }
            dimensions.insert(list.id.clone(), Names { en: list.name_en, zh: list.name_zh });
        }
        key_dimensions.sort();
        let units = store.units().await?.0.into_iter().map(|u| (u.code, Names { en: u.name_en, zh: u.name_zh })).collect();
        let articles = store.icescr_articles().await?.into_iter().map(|a| (a.number, a)).collect();
        let recommendations = recommendations(store).await?;
        let follow_up = follow_up(store).await?;
        Ok(Site {
            rules,
            indicators,
            figures,
            summaries,
            withheld_keys,
            withheld,
            total,
            reasons,
            ref_areas,
            dimensions,
            codes,
            code_order,
            units,
            articles,
            key_dimensions,
            as_of,
            recommendations,
            follow_up,
            made: Default::default(),
            live: false,
            store: store.clone(),
            version,
        })
    }

    /// Whether the store's public figures are still those this snapshot was built from.
    pub async fn is_current(&self) -> Result<bool, PortalError> {
        Ok(self.store.public_version().await? == self.version)
    }

    /// The public version the snapshot was built at.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Marks the snapshot as served by the running server: its pages also link to the sign-in
    /// page and the API, which a static copy does not have.
    pub fn live(mut self) -> Site {
        self.live = true;
        self
    }

    /// What the pages show of one indicator's public figures: the nation's, the provinces'
    /// and the lead area's (empty when none is published).
    pub fn figures(&self, indicator: &str) -> &[ObservationRow] {
        self.figures.get(indicator).map_or(&[], Vec::as_slice)
    }

    /// Public figures in all.
    pub fn total(&self) -> usize {
        self.total
    }

    /// The public figures `filter` selects (its visibility is set to the public's), in their
    /// public form: a withheld figure without its value, status `Q` and the reason as its
    /// footnote. [`PortalError::Stale`] when figures were released since the snapshot was
    /// built (load it again), [`PortalError::TooLarge`] past `max` figures.
    pub async fn public_rows(&self, filter: &ObservationFilter, max: usize) -> Result<Vec<ObservationRow>, PortalError> {
        let mut f = filter.clone();
        f.visibility = Visibility::Published;
        f.as_of = None;
        f.all_vintages = false;
        let cap = max.saturating_add(1).min(i64::MAX as usize) as i64;
        f.limit = Some(f.limit.map_or(cap, |l| l.min(cap)));
        let mut rows = self.store.observations(&f).await?;
        if rows.len() > max {
            return Err(PortalError::TooLarge { max });
        }
        if !self.is_current().await? {
            return Err(PortalError::Stale);
        }
        for r in &mut rows {
            let verdict = self.verdict(&r.indicator, &r.area, &r.period, &r.cell_key);
            public_form(r, verdict, self.rules.min_count);
        }
        Ok(rows)
    }

    /// Why the public figure of this key is withheld, or `None` when it is shown (figures of
    /// an indicator not in the catalogue are withheld: nothing is shown by default).
    fn verdict(&self, indicator: &str, area: &str, period: &str, cell_key: &str) -> Option<Withheld> {
        if self.indicator(indicator).is_none() {
            return Some(Withheld::AtSource);
        }
        self.withheld_keys.get(&key_hash(indicator, area, period, cell_key)).copied()
    }

    /// Whether the public figure of this key (as the public reads it from the store) is
    /// shown with its value; false when disclosure control withholds it.
    pub fn is_shown(&self, indicator: &str, area: &str, period: &str, cell_key: &str) -> bool {
        self.verdict(indicator, area, period, cell_key).is_none()
    }

    pub fn indicator(&self, code: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|d| d.code == code)
    }

    /// Indicators with at least one public figure, in catalogue order.
    pub fn published_indicators(&self) -> impl Iterator<Item = &Indicator> {
        self.indicators.iter().filter(|d| self.summaries.contains_key(&d.code))
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Figures withheld by disclosure control (not counting those withheld at source).
    pub fn withheld(&self) -> usize {
        self.withheld
    }

    pub fn code_name(&self, dimension: &str, code: &str) -> Option<&Names> {
        self.codes.get(&(dimension.to_string(), code.to_string()))
    }
}

/// Puts figures in indicator, area, period and cell order (the order of every download and
/// data message).
pub(crate) fn in_key_order(rows: &mut [ObservationRow]) {
    rows.sort_by(|a, b| (&a.indicator, &a.area, &a.period, &a.cell_key).cmp(&(&b.indicator, &b.area, &b.period, &b.cell_key)));
}

/// A public figure as the public sees it: nothing of an unreleased revision or of internal
/// notes; withheld, no value, status `Q` and the reason as its footnote.
fn public_form(r: &mut ObservationRow, verdict: Option<Withheld>, min: f64) {
    // The public vintage may have been revised by a figure not yet released: that revision
    // is nobody's business outside until it is released.
    r.superseded_at = None;
    r.internal_note.clear();
    if let Some(why) = verdict {
        r.value = None;
        r.status = "Q".into();
        r.footnote = reason(why, min);
    }
}

/// Linked recommendations by indicator, oldest first.
async fn recommendations(store: &Store) -> Result<HashMap<String, Vec<Recommendation>>, PortalError> {
    let links = store.recommendation_indicator_links().await?;
    if links.is_empty() {
        return Ok(HashMap::new());
    }
    let all: HashMap<String, rightstat_store::recommendations::RecommendationRow> =
        store.find_recommendations(&Default::default()).await?.into_iter().map(|r| (r.uid.clone(), r)).collect();
    let mut out: HashMap<String, Vec<Recommendation>> = HashMap::new();
    for (uid, indicator) in links {
        let Some(r) = all.get(&uid) else { continue };
        let citation = match (&r.document_symbol, &r.paragraph) {
            (Some(doc), Some(para)) if r.mechanism != "UPR" => format!("{doc}, para. {para}"),
            _ => format!("{} {}{}", r.mechanism, r.session, r.year.map(|y| format!(" ({y})")).unwrap_or_default()),
        };
        out.entry(indicator).or_default().push(Recommendation {
            citation,
            text: r.text.clone(),
            response: r.response.clone().unwrap_or_default(),
            by: r.recommending_states.join(", "),
        });
    }
    Ok(out)
}

/// Every recommendation with the indicators and measures linked to it, grouped by source in
/// the order of the register; every measure with its recommendations.
async fn follow_up(store: &Store) -> Result<FollowUp, PortalError> {
    let links = store.recommendation_indicator_links().await?;
    let measures = store.measures().await?;
    let mut by_rec: HashMap<String, Vec<String>> = HashMap::new();
    for (uid, indicator) in links {
        by_rec.entry(uid).or_default().push(indicator);
    }
    let mut measures_of: HashMap<String, Vec<String>> = HashMap::new();
    for m in &measures {
        for uid in &m.recommendations {
            measures_of.entry(uid.clone()).or_default().push(m.measure.code.clone());
        }
    }
    let mut recs: Vec<PublicRecommendation> = store
        .find_recommendations(&Default::default())
        .await?
        .into_iter()
        .map(|r| {
            let source = match &r.document_symbol {
                Some(doc) if r.mechanism != "UPR" => format!("{}, {doc}", r.mechanism),
                _ => format!(
                    "UPR {}{}",
                    r.cycle.map(|c| format!("cycle {c}")).unwrap_or_else(|| r.session.clone()),
                    r.year.map(|y| format!(" ({y})")).unwrap_or_default()
                ),
            };
            let citation = match (&r.document_symbol, &r.paragraph) {
                (Some(doc), Some(para)) => format!("{doc}, para. {para}"),
                _ => format!("{} {}", r.mechanism, r.session),
            };
            PublicRecommendation {
                indicators: by_rec.remove(&r.uid).unwrap_or_default(),
                measures: measures_of.remove(&r.uid).unwrap_or_default(),
                uid: r.uid,
                source,
                citation,
                text: r.text,
                response: r.response.unwrap_or_default(),
                by: r.recommending_states.join(", "),
            }
        })
        .collect();
    recs.sort_by(|a, b| (&a.source, &a.citation, &a.uid).cmp(&(&b.source, &b.citation, &b.uid)));
    let measures = measures.into_iter().map(|m| PublicMeasure { recommendations: m.recommendations, measure: m.measure }).collect();
    Ok(FollowUp { recommendations: recs, measures })
}

/// The footnote a withheld figure carries instead of its own (which might state the value).
fn reason(why: Withheld, min: f64) -> String {
    match why {
        Withheld::AtSource => "Confidential at source. 来源单位标注为保密。".into(),
        Withheld::SmallCount => format!("Withheld: fewer than {min} persons or households. 少于{min}人（户），不予公布。"),
        Withheld::SmallBase => format!("Withheld: rests on fewer than {min} persons or households. 基数少于{min}人（户），不予公布。"),
        Withheld::Secondary => "Withheld so that another withheld figure cannot be derived. 为保护其他不予公布的数字而隐去。".into(),
    }
}
