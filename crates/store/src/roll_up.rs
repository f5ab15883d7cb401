//! The roll-up of accepted figures: each ancestor of the approved areas recomputed, level by
//! level to the nation, by each indicator's aggregation method, with the hierarchy in force in
//! each period; the derived figures written as one computation batch with their completeness.

use crate::audit::Actor;
use crate::collection::RollUp;
use crate::import::ImportOptions;
use crate::{Result, Store, StoreError};
use rightstat_core::aggregate::{affected, aggregate, compute, fits, order};
use rightstat_core::area::{AreaCode, AreaLevel};
use rightstat_core::ingest::AreaLookup;
use rightstat_core::observation::ProvenanceKind;
use rightstat_core::period::Period;
use std::collections::{BTreeMap, BTreeSet, HashMap};

impl Store {
    /// Recomputes the ancestors of `areas` for `indicators` and `periods`, level by level up to
    /// the root, by each indicator's aggregation method. Only accepted figures are read (the
    /// latest approved or published vintage of each key), so a submission or correction
    /// awaiting review never reaches a total. Values reported for a parent by a department are
    /// kept; derived values are written as a computation batch (revisions of earlier derived
    /// values, identical ones skipped) with their completeness, accepted but not public until
    /// released.
    pub async fn roll_up(&self, indicators: &[String], periods: &[String], areas: &[String], actor: &Actor) -> Result<RollUp> {
        self.roll_up_in(indicators, periods, areas, None, actor).await
    }

    /// [`Store::roll_up`] on behalf of a round: its computation batch belongs to the round, so
    /// the round's release releases it.
    pub async fn roll_up_in(
        &self,
        indicators: &[String],
        periods: &[String],
        areas: &[String],
        round: Option<i64>,
        actor: &Actor,
    ) -> Result<RollUp> {
        // One roll-up at a time, from its first read to the commit of its totals: two
        // approvals' roll-ups must not both compute a total from figures without the other's.
        let _turn = self.roll_up_turn().await?;
        // The catalogue and area index read once, for the computation and its import.
        let reference = self.reference().await?;
        let (cat, idx) = (&reference.catalogue, &reference.areas);
        let children = idx.children_by_parent();
        // The indicators to compute (those changed and those computed from them), plus the
        // weights and ratio terms they read.
        let indicators = affected(indicators, cat.indicators.values().map(|x| &x.0));
        let mut inds: Vec<&rightstat_core::indicator::Indicator> =
            indicators.iter().filter_map(|c| cat.indicators.get(c).map(|x| &x.0)).collect();
        order(&mut inds);
        let mut read: BTreeSet<String> = indicators.iter().cloned().collect();
        for i in &inds {
            read.extend(i.aggregation.terms());
        }
        let read: Vec<String> = read.into_iter().collect();
        let mut report = RollUp::default();
        // Values computed in this roll-up, read by the level above before they are written:
        // one import (and one batch) for the whole roll-up.
        let mut derived: Vec<DerivedValue> = Vec::new();
        let mut overlay: HashMap<(String, String, String, String), f64> = HashMap::new();
        // First the areas themselves: a total (or any margin) of an additive indicator that was not
        // reported is the sum of the cells reported for every code of one dimension.
        // Their own figures, named one by one (a plan that cannot go wrong on stale statistics),
        // a thousand areas a query.
        let named: Vec<&str> = areas.iter().map(String::as_str).collect();
        let mut own_of: HashMap<String, Vec<crate::observations::AcceptedValue>> = HashMap::new();
        for o in self.accepted_values(&read, &named).await? {
            own_of.entry(o.area.clone()).or_default().push(o);
        }
        for area in areas {
            let own = own_of.remove(area.as_str()).unwrap_or_default();
            let mut have: HashMap<(String, String, String), f64> = own
                .iter()
                .filter(|o| &o.area == area)
                .filter_map(|o| Some(((o.indicator.clone(), o.period.clone(), o.cell_key.clone()), o.value?)))
                .collect();
            let computed_before: BTreeSet<(String, String, String)> = own
                .iter()
                .filter(|o| &o.area == area && o.provenance == ProvenanceKind::Computation.as_str())
                .map(|o| (o.indicator.clone(), o.period.clone(), o.cell_key.clone()))
                .collect();
            for ind in inds.iter().filter(|i| matches!(i.aggregation, rightstat_core::indicator::Aggregation::Sum)) {
                for _pass in 0..ind.dimensions.len() {
                    let mut found: Vec<((String, String, String), f64, String)> = Vec::new();
                    for d in &ind.dimensions {
                        let codes: Vec<String> =
                            cat.codelists.get(d).map(|l| l.codes.iter().map(|c| c.code.clone()).collect()).unwrap_or_default();
                        // Margins over d: group the cells that have a code of d by the rest of their key.
                        let mut groups: BTreeMap<(String, String), Vec<(String, f64)>> = BTreeMap::new();
                        for ((i, period, cell), v) in &have {
                            let Some(c) = rightstat_core::cell::Cell::from_key(cell) else { continue };
                            let code = c.get(d).to_string();
                            if i != &ind.code || code.is_empty() || code == rightstat_core::codelist::TOTAL {
                                continue;
                            }
                            let mut rest = c.clone();
                            rest.set(d, rightstat_core::codelist::TOTAL);
                            groups.entry((period.clone(), rest.key())).or_default().push((code, *v));
                        }
                        for ((period, rest), parts) in groups {
                            let key = (ind.code.clone(), period.clone(), rest.clone());
                            let complete = codes.iter().all(|c| parts.iter().any(|(x, _)| x == c));
                            if complete && (!have.contains_key(&key) || computed_before.contains(&key)) && !found.iter().any(|f| f.0 == key)
                            {
                                let sum: f64 = parts.iter().map(|p| p.1).sum();
                                found.push((key, sum, format!("sum of the {} {d} cells reported", parts.len())));
                            }
                        }
                    }
                    let mut changed = false;
                    for ((i, period, cell), v, note) in found {
                        let okey = (i.clone(), area.clone(), period.clone(), cell.clone());
                        if overlay.contains_key(&okey) {
                            continue;
                        }
                        overlay.insert(okey, v);
                        derived.push(DerivedValue::own(&i, area, &period, &cell, v, note));
                        have.insert((i, period, cell), v);
                        changed = true;
                    }
                    if !changed {
                        break;
                    }
                }
            }
            // Computed indicators from the area's own terms (reported or just derived), where
            // the area did not report the figure itself.
            let keys: BTreeSet<(String, String)> =
                have.keys().filter(|(_, p, _)| periods.contains(p)).map(|(_, p, c)| (p.clone(), c.clone())).collect();
            for ind in inds.iter().filter(|i| i.aggregation.is_computed()) {
                for (period, cell) in keys.iter().filter(|(_, c)| fits(ind, c)) {
                    let key = (ind.code.clone(), period.clone(), cell.clone());
                    if have.contains_key(&key) && !computed_before.contains(&key) {
                        continue;
                    }
                    let value = |i: &str| have.get(&(i.to_string(), period.clone(), cell.clone())).copied();
                    let Some((v, note)) = compute(ind, &value) else { continue };
                    overlay.insert((ind.code.clone(), area.clone(), period.clone(), cell.clone()), v);
                    derived.push(DerivedValue::own(&ind.code, area, period, cell, v, note));
                    have.insert(key, v);
                }
            }
        }
        let mut frontier: BTreeSet<String> = areas.iter().cloned().collect();
        loop {
            let parents: BTreeSet<String> = frontier.iter().filter_map(|a| idx.parent(a).map(String::from)).collect();
            if parents.is_empty() {
                break;
            }
            for parent in &parents {
                report.areas += 1;
                let kids_all: Vec<&str> = children.get(parent.as_str()).into_iter().flatten().map(String::as_str).collect();
                let Some(level) = kids_all.first().and_then(|k| k.parse::<AreaCode>().ok()).map(|c| c.level()) else { continue };
                // The children named one by one (from the area index): a plan that cannot go
                // wrong on stale statistics.
                let obs = self.accepted_values(&read, &kids_all).await?;
                let own = self.accepted_values(&read, &[parent.as_str()]).await?;
                // (indicator, period, cell) → area → value
                let mut vals: HashMap<(String, String, String), HashMap<String, f64>> = HashMap::new();
                for o in &obs {
                    if let Some(v) = o.value {
                        vals.entry((o.indicator.clone(), o.period.clone(), o.cell_key.clone())).or_default().insert(o.area.clone(), v);
                    }
                }
                for ((ind, area, period, cell), v) in &overlay {
                    if kids_all.contains(&area.as_str()) {
                        vals.entry((ind.clone(), period.clone(), cell.clone())).or_default().insert(area.clone(), *v);
                    }
                }
                let reported: BTreeSet<(String, String, String)> = own
                    .iter()
                    .filter(|o| o.area == *parent && o.provenance != ProvenanceKind::Computation.as_str())
                    .map(|o| (o.indicator.clone(), o.period.clone(), o.cell_key.clone()))
                    .collect();
                for period in periods {
                    let Ok(p) = period.parse::<Period>() else { continue };
                    // The hierarchy in force in this period.
                    let kids: Vec<&str> = kids_all
                        .iter()
                        .copied()
                        .filter(|k| k.parse::<AreaCode>().ok().and_then(|c| idx.in_force(&c, Some(p))).unwrap_or(false))
                        .collect();
                    let cells: BTreeSet<String> = vals.keys().filter(|(_, per, _)| per == period).map(|(_, _, c)| c.clone()).collect();
                    for cell in &cells {
                        let mut computed: HashMap<String, f64> = HashMap::new();
                        for ind in inds.iter().filter(|i| fits(i, cell)) {
                            let key = (ind.code.clone(), period.clone(), cell.clone());
                            if reported.contains(&key) {
                                report.reported_kept += 1;
                                continue;
                            }
                            let child =
                                |i: &str, a: &str| vals.get(&(i.to_string(), period.clone(), cell.clone())).and_then(|m| m.get(a)).copied();
                            let parent_val = |i: &str| {
                                computed.get(i).copied().or_else(|| {
                                    own.iter()
                                        .find(|o| o.area == *parent && o.indicator == i && &o.period == period && &o.cell_key == cell)
                                        .and_then(|o| o.value)
                                })
                            };
                            if let Some(d) = aggregate(ind, &kids, &child, &parent_val) {
                                computed.insert(ind.code.clone(), d.value);
                                overlay.insert((ind.code.clone(), parent.clone(), period.clone(), cell.clone()), d.value);
                                derived.push(DerivedValue {
                                    children: Some((d.used as i64, d.expected as i64)),
                                    ..DerivedValue::own(&ind.code, parent, period, cell, d.value, d.note(level_name(level)))
                                });
                            }
                        }
                    }
                }
            }
            frontier = parents;
        }
        if !derived.is_empty() {
            let csv = derived_csv(&derived, cat)?;
            let mut opts = ImportOptions::new(format!("roll-up from {} areas", areas.len()), crate::formats::Format::Csv);
            opts.kind = ProvenanceKind::Computation;
            opts.actor = actor.clone();
            opts.reason = "automatic aggregation after approval".into();
            opts.round_id = round;
            opts.reference = Some(reference.clone());
            opts.coverage = derived
                .iter()
                .filter_map(|d| {
                    let (reporting, expected) = d.children?;
                    Some((d.indicator.clone(), d.area.clone(), d.period.clone(), d.cell.clone(), reporting, expected))
                })
                .collect();
            let r = self.import_observations(std::io::Cursor::new(csv.into_bytes()), opts).await?;
            if !r.is_ok() {
                return Err(StoreError::Invalid(format!(
                    "roll-up rejected: {}",
                    r.errors.first().map(|e| e.to_string()).unwrap_or_default()
                )));
            }
            report.batch_id = r.batch_id;
            report.written += r.inserted;
            report.unchanged += r.unchanged;
        }
        Ok(report)
    }
}

/// A value the roll-up derived: where, how much, how (its footnote) and, for a parent computed
/// from its children, how many of them reported of those expected.
struct DerivedValue {
    indicator: String,
    area: String,
    period: String,
    cell: String,
    value: f64,
    note: String,
    children: Option<(i64, i64)>,
}

impl DerivedValue {
    /// A value derived from an area's own figures (a margin or a computed indicator).
    fn own(indicator: &str, area: &str, period: &str, cell: &str, value: f64, note: String) -> Self {
        DerivedValue {
            indicator: indicator.into(),
            area: area.into(),
            period: period.into(),
            cell: cell.into(),
            value,
            note,
            children: None,
        }
    }
}

/// Derived values as an import file: one column per dimension used (`_T` where the indicator
/// has the dimension but the cell is its total, empty where it does not have it).
/// A figure from fewer children than expected is provisional (OBS_STATUS P) until the rest report.
fn derived_csv(rows: &[DerivedValue], cat: &rightstat_core::ingest::Catalogue) -> Result<String> {
    let cells: Vec<Option<rightstat_core::cell::Cell>> = rows.iter().map(|r| rightstat_core::cell::Cell::from_key(&r.cell)).collect();
    let dims: BTreeSet<String> = cells.iter().flatten().flat_map(|c| c.iter().map(|(d, _)| d.to_string()).collect::<Vec<_>>()).collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| StoreError::Invalid(e.to_string());
    let mut header: Vec<String> = ["indicator", "area", "period"].map(String::from).to_vec();
    header.extend(dims.iter().cloned());
    header.extend(["value", "status", "source", "footnote"].map(String::from));
    w.write_record(&header).map_err(io)?;
    for (r, cell) in rows.iter().zip(&cells) {
        let ind = cat.indicators.get(&r.indicator).map(|x| &x.0);
        let mut rec = vec![r.indicator.clone(), r.area.clone(), r.period.clone()];
        for d in &dims {
            let code = cell.as_ref().map(|c| c.get(d).to_string()).filter(|c| !c.is_empty() && c != rightstat_core::codelist::TOTAL);
            rec.push(match code {
                Some(c) => c,
                None if ind.is_some_and(|i| i.has_dimension(d)) => rightstat_core::codelist::TOTAL.into(),
                None => String::new(),
            });
        }
        let partial = r.children.is_some_and(|(reporting, expected)| reporting < expected);
        rec.extend([r.value.to_string(), if partial { "P" } else { "A" }.into(), "RightStat roll-up".into(), r.note.clone()]);
        w.write_record(&rec).map_err(io)?;
    }
    crate::formats::csv_into_string(w)
}

fn level_name(l: AreaLevel) -> &'static str {
    match l {
        AreaLevel::Country => "national",
        AreaLevel::Province => "province",
        AreaLevel::Prefecture => "prefecture",
        AreaLevel::County => "county",
        AreaLevel::Township => "township",
        AreaLevel::Village => "village",
    }
}
