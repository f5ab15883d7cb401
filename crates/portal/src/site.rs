//! The public snapshot: every published, current figure with disclosure control applied, and
//! the reference content the pages need. This is the only place the portal reads the store,
//! so no public output can show a figure this snapshot withheld.

use crate::PortalError;
use rightstat_core::cell::Cell;
use rightstat_core::disclosure::{Figure, Rules, Withheld, protect};
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
    /// Public figures by indicator, sorted by area, period and cell; withheld figures have no
    /// value, status `Q` and the reason as their footnote.
    pub(crate) figures: BTreeMap<String, Vec<ObservationRow>>,
    /// How many figures disclosure control withheld (beyond those withheld at source).
    pub(crate) withheld: usize,
    /// Why figures of each indicator are withheld (for the page's notes).
    pub(crate) reasons: HashMap<String, BTreeSet<Withheld>>,
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
    /// Files already made from this snapshot (each is a pure function of it).
    pub(crate) made: std::sync::Mutex<HashMap<String, crate::File>>,
    /// Served by the running server (pages link to sign-in and the API), not a static copy.
    pub(crate) live: bool,
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

impl Site {
    /// Reads the published figures and applies `rules` to them.
    pub async fn load(store: &Store, rules: Rules) -> Result<Site, PortalError> {
        let indicators: Vec<Indicator> = store.indicators().await?.into_iter().map(|r| r.indicator).collect();
        let rows = store.observations(&ObservationFilter { visibility: Visibility::Published, ..Default::default() }).await?;
        let areas = store.area_index().await?;
        let by_code: HashMap<&str, &Indicator> = indicators.iter().map(|d| (d.code.as_str(), d)).collect();
        let figures: Vec<Figure> = rows
            .iter()
            .map(|r| Figure {
                indicator: r.indicator.clone(),
                area: r.area.clone(),
                parent: areas.parent(&r.area).map(str::to_owned),
                period: r.period.clone(),
                cell: Cell::from_key(&r.cell_key).unwrap_or_default(),
                value: r.value,
                unit_mult: r.unit_mult as i32,
                // An unknown status is treated as confidential: nothing is shown by default.
                status: r.status.parse().unwrap_or(ObsStatus::Q),
            })
            .collect();
        let verdicts = protect(&figures, |c| by_code.get(c).copied(), &rules);
        let min = rules.min_count;
        let mut withheld = 0;
        let mut reasons: HashMap<String, BTreeSet<Withheld>> = HashMap::new();
        let mut out: BTreeMap<String, Vec<ObservationRow>> = BTreeMap::new();
        let mut as_of = String::new();
        for (mut r, verdict) in rows.into_iter().zip(verdicts) {
            // The public vintage may have been revised by a figure not yet released: that
            // revision is nobody's business outside until it is released.
            r.superseded_at = None;
            r.internal_note.clear();
            if let Some(why) = verdict {
                withheld += usize::from(why != Withheld::AtSource);
                reasons.entry(r.indicator.clone()).or_default().insert(why);
                r.value = None;
                r.status = "Q".into();
                r.footnote = reason(why, min);
            }
            if r.recorded_at > as_of {
                as_of.clone_from(&r.recorded_at);
            }
            out.entry(r.indicator.clone()).or_default().push(r);
        }
        for rows in out.values_mut() {
            rows.sort_by(|a, b| (&a.area, &a.period, &a.cell_key).cmp(&(&b.area, &b.period, &b.cell_key)));
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
            figures: out,
            withheld,
            reasons,
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
        })
    }

    /// Marks the snapshot as served by the running server: its pages also link to the sign-in
    /// page and the API, which a static copy does not have.
    pub fn live(mut self) -> Site {
        self.live = true;
        self
    }

    /// The public figures of one indicator (empty when none is published).
    pub fn figures(&self, indicator: &str) -> &[ObservationRow] {
        self.figures.get(indicator).map_or(&[], Vec::as_slice)
    }

    /// Every public figure, indicator by indicator.
    pub fn all_figures(&self) -> impl Iterator<Item = &ObservationRow> {
        self.figures.values().flatten()
    }

    /// The public version of one figure (withheld: no value, status `Q`), if it is public.
    pub fn public_figure(&self, indicator: &str, area: &str, period: &str, cell_key: &str) -> Option<&ObservationRow> {
        let rows = self.figures.get(indicator)?;
        rows.binary_search_by(|r| (r.area.as_str(), r.period.as_str(), r.cell_key.as_str()).cmp(&(area, period, cell_key)))
            .ok()
            .map(|i| &rows[i])
    }

    pub fn indicator(&self, code: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|d| d.code == code)
    }

    /// Indicators with at least one public figure, in catalogue order.
    pub fn published_indicators(&self) -> impl Iterator<Item = &Indicator> {
        self.indicators.iter().filter(|d| self.figures.contains_key(&d.code))
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
