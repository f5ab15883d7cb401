//! The measures, their conventions, and the computation over a breakdown with margins.
//!
//! Scales: FGT(α), Watts, decile shares and the quintile share ratio are proportions or
//! ratios; the at-risk-of-poverty rate and the relative median poverty gap are percentages
//! (as Eurostat and R `laeken` publish them); Gini, Theil and MLD are indices (Gini in [0, 1]).

use crate::data::Dataset;
use crate::passes::{Groups, QuantileTracker, sort_records, threads};
use crate::{EngineError, Result, TOTAL};
use serde::Serialize;
use std::collections::HashMap;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq)]
pub enum Measure {
    /// Foster-Greer-Thorbecke index of order α (0 headcount, 1 gap, 2 severity).
    Fgt(u8),
    Watts,
    Mean,
    Median,
    /// Weighted quantile at p (Eurostat definition).
    Quantile(f64),
    /// Share of total welfare held by each tenth of the population.
    DecileShares,
    /// Quintile share ratio S80/S20 (laeken `qsr`).
    S80S20,
    Gini,
    Theil,
    /// Mean log deviation (Theil L).
    Mld,
    /// At-risk-of-poverty rate, % (laeken `arpr`).
    Arpr,
    /// At-risk-of-poverty threshold (a fraction, default 60 %, of the median).
    Arpt,
    /// Relative median at-risk-of-poverty gap, % (laeken `rmpg`).
    Rmpg,
    /// The poverty line applied (mean over the group's records when lines vary).
    Line,
}

impl FromStr for Measure {
    type Err = EngineError;
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim().to_ascii_lowercase();
        Ok(match t.as_str() {
            "fgt0" | "headcount" => Measure::Fgt(0),
            "fgt1" | "gap" => Measure::Fgt(1),
            "fgt2" | "severity" => Measure::Fgt(2),
            "watts" => Measure::Watts,
            "mean" => Measure::Mean,
            "median" => Measure::Median,
            "deciles" | "decile_shares" => Measure::DecileShares,
            "s80s20" | "qsr" => Measure::S80S20,
            "gini" => Measure::Gini,
            "theil" => Measure::Theil,
            "mld" => Measure::Mld,
            "arpr" => Measure::Arpr,
            "arpt" => Measure::Arpt,
            "rmpg" => Measure::Rmpg,
            "line" => Measure::Line,
            q if q.starts_with('p') && q[1..].parse::<f64>().is_ok_and(|p| (0.0..=100.0).contains(&p)) => {
                Measure::Quantile(q[1..].parse::<f64>().unwrap_or(50.0) / 100.0)
            }
            _ => {
                return Err(EngineError::Request(format!(
                    "unknown measure {s:?}: expected fgt0, fgt1, fgt2, watts, mean, median, pNN (e.g. p10), deciles, s80s20, gini, theil, mld, arpr, arpt, rmpg or line"
                )));
            }
        })
    }
}

impl Measure {
    pub(crate) fn names(&self) -> Vec<String> {
        match self {
            Measure::Fgt(a) => vec![format!("fgt{a}")],
            Measure::Watts => vec!["watts".into()],
            Measure::Mean => vec!["mean".into()],
            Measure::Median => vec!["median".into()],
            Measure::Quantile(p) => vec![format!("p{}", p * 100.0)],
            Measure::DecileShares => (1..=10).map(|d| format!("decile_share_{d}")).collect(),
            Measure::S80S20 => vec!["s80s20".into()],
            Measure::Gini => vec!["gini".into()],
            Measure::Theil => vec!["theil".into()],
            Measure::Mld => vec!["mld".into()],
            Measure::Arpr => vec!["arpr".into()],
            Measure::Arpt => vec!["arpt".into()],
            Measure::Rmpg => vec!["rmpg".into()],
            Measure::Line => vec!["line".into()],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelativeTo {
    Median,
    Mean,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// One line for everyone.
    Absolute(f64),
    /// A line per value of the dataset's line-key column (a year, an area).
    PerKey(HashMap<String, f64>),
    /// A fraction of the median or mean.
    Relative { fraction: f64, of: RelativeTo },
}

impl FromStr for Line {
    type Err = EngineError;
    /// `2300`, `relative:0.6:median`, `relative:0.5:mean`.
    fn from_str(s: &str) -> Result<Self> {
        let bad = || EngineError::Request(format!("line {s:?}: expected a number, relative:FRACTION:median or relative:FRACTION:mean"));
        if let Some(rest) = s.strip_prefix("relative:") {
            let (f, of) = rest.split_once(':').ok_or_else(bad)?;
            let fraction: f64 = f.parse().map_err(|_| bad())?;
            let of = match of {
                "median" => RelativeTo::Median,
                "mean" => RelativeTo::Mean,
                _ => return Err(bad()),
            };
            if !(fraction > 0.0 && fraction.is_finite()) {
                return Err(bad());
            }
            return Ok(Line::Relative { fraction, of });
        }
        let z: f64 = s.parse().map_err(|_| bad())?;
        if !(z > 0.0 && z.is_finite()) {
            return Err(EngineError::Request(format!("line {s:?}: must be a positive number")));
        }
        Ok(Line::Absolute(z))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoorIf {
    /// y < z (World Bank, Eurostat / laeken: the default).
    Below,
    /// y ≤ z (R convey).
    AtOrBelow,
}

#[derive(Debug, Clone)]
pub struct Conventions {
    pub poor_if: PoorIf,
    /// Relative lines (and the at-risk-of-poverty threshold) from each group's own median or
    /// mean, instead of the whole population's (the default).
    pub relative_per_group: bool,
    /// Fraction of the median defining the at-risk-of-poverty threshold (Eurostat: 0.6).
    pub arpt_fraction: f64,
}

impl Default for Conventions {
    fn default() -> Self {
        Conventions { poor_if: PoorIf::Below, relative_per_group: false, arpt_fraction: 0.6 }
    }
}

#[derive(Debug, Clone)]
pub struct Request {
    pub measures: Vec<Measure>,
    pub line: Option<Line>,
    pub conventions: Conventions,
}

/// One measure for one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultRow {
    /// One value per breakdown column; `_T` where the row is a margin over that column.
    pub keys: Vec<String>,
    pub measure: String,
    /// NaN when undefined (an empty group, no positive incomes for Theil...).
    pub value: f64,
    /// Records in the group (unweighted).
    pub n_obs: u64,
    /// Population the group represents (sum of weights).
    pub sum_weight: f64,
    /// Linearised standard error (survey design given, FGT only).
    pub se: Option<f64>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Acc {
    pub(crate) n: u64,
    pub(crate) w: f64,
    pub(crate) t: f64,
    pub(crate) poor: [f64; 3],
    pub(crate) watts: f64,
    pub(crate) pos_w: f64,
    pub(crate) pos_t: f64,
    pub(crate) s_ylny: f64,
    pub(crate) s_lny: f64,
    pub(crate) line_w: f64,
    pub(crate) arpr: f64,
    pub(crate) bottom20: f64,
    pub(crate) top20: f64,
    pub(crate) deciles: [f64; 10],
}

impl Acc {
    /// Counts a record: its number, population and welfare total.
    #[inline]
    pub(crate) fn count(&mut self, yi: f64, wi: f64) {
        self.n += 1;
        self.w += wi;
        self.t += wi * yi;
    }

    /// Adds a poor record's FGT and Watts terms under line `z`.
    #[inline]
    pub(crate) fn add_poor(&mut self, yi: f64, wi: f64, z: f64) {
        let gap = ((z - yi) / z).max(0.0);
        self.poor[0] += wi;
        self.poor[1] += wi * gap;
        self.poor[2] += wi * gap * gap;
        if yi > 0.0 && yi < z {
            self.watts += wi * (z / yi).ln();
        }
    }

    /// Adds a record's terms of Theil's T and the MLD (positive incomes only).
    #[inline]
    pub(crate) fn add_theil(&mut self, yi: f64, wi: f64) {
        if yi > 0.0 {
            self.pos_w += wi;
            self.pos_t += wi * yi;
            let l = yi.ln();
            self.s_lny += wi * l;
            self.s_ylny += wi * yi * l;
        }
    }

    /// Adds a cell's sums into a group's.
    pub(crate) fn add(&mut self, o: &Acc) {
        self.n += o.n;
        self.w += o.w;
        self.t += o.t;
        for k in 0..3 {
            self.poor[k] += o.poor[k];
        }
        self.watts += o.watts;
        self.pos_w += o.pos_w;
        self.pos_t += o.pos_t;
        self.s_ylny += o.s_ylny;
        self.s_lny += o.s_lny;
        self.line_w += o.line_w;
        self.arpr += o.arpr;
        self.bottom20 += o.bottom20;
        self.top20 += o.top20;
        for k in 0..10 {
            self.deciles[k] += o.deciles[k];
        }
    }
}

/// Adds per-cell sums into every group containing the cell.
pub(crate) fn roll_up(cells: &[Acc], groups: &Groups, acc: &mut [Acc]) {
    for (c, a) in cells.iter().enumerate() {
        for map in &groups.cell_to_group {
            acc[map[c] as usize].add(a);
        }
    }
}

impl Request {
    fn has(&self, f: impl Fn(&Measure) -> bool) -> bool {
        self.measures.iter().any(f)
    }
}

/// Computes every requested measure for every group of the breakdown and its margins.
pub fn compute(ds: &Dataset, req: &Request) -> Result<Vec<ResultRow>> {
    if ds.welfare.len() != ds.n {
        return Err(EngineError::Request("no welfare column loaded".into()));
    }
    let needs_line = req.has(|m| matches!(m, Measure::Fgt(_) | Measure::Watts | Measure::Line));
    if needs_line && req.line.is_none() {
        return Err(EngineError::Request("FGT, Watts and line need a poverty line (--line)".into()));
    }
    let groups = Groups::new(ds);
    let g_total = groups.len() - 1;
    let (y, w) = (&ds.welfare, &ds.weight);

    let n_cells = groups.n_cells();
    let mut acc = vec![Acc::default(); groups.len()];

    // Which quantiles the requested measures need.
    let mut probs: Vec<f64> = Vec::new();
    let relative_median = matches!(req.line, Some(Line::Relative { of: RelativeTo::Median, .. }));
    if req.has(|m| matches!(m, Measure::Median | Measure::Arpr | Measure::Arpt | Measure::Rmpg)) || relative_median {
        probs.push(0.5);
    }
    if req.has(|m| matches!(m, Measure::S80S20)) {
        probs.extend([0.2, 0.8]);
    }
    if req.has(|m| matches!(m, Measure::DecileShares)) {
        probs.extend((1..10).map(|d| d as f64 / 10.0));
    }
    for m in &req.measures {
        if let Measure::Quantile(p) = m {
            probs.push(*p);
        }
    }
    probs.sort_by(f64::total_cmp);
    probs.dedup();
    let q_index = |p: f64| probs.iter().position(|&x| x == p);

    // Pass A: sizes and totals, per finest cell, then rolled up to every margin. Not needed
    // before pass C when nothing is ordered: pass C then counts them itself.
    let need_sorted = !probs.is_empty() || req.has(|m| matches!(m, Measure::Gini));
    let pass_a = need_sorted || req.has(|m| matches!(m, Measure::Rmpg)) || matches!(req.line, Some(Line::Relative { .. }));
    // Each record's cell, kept for the ordered passes (reading one array at random beats
    // recomputing it from every breakdown column).
    let mut record_cell: Vec<u32> = Vec::new();
    if pass_a {
        let mut cells = vec![Acc::default(); n_cells];
        record_cell.reserve(ds.n);
        for i in 0..ds.n {
            let c = groups.cell_of(ds, i);
            record_cell.push(c as u32);
            let a = &mut cells[c];
            a.count(y[i], w[i]);
        }
        roll_up(&cells, &groups, &mut acc);
    }

    // Pass B, in welfare order: quantiles and the Gini sum.
    // The records in welfare order, with their weight and cell, so that the ordered passes
    // read memory sequentially.
    let sorted = if pass_a { sort_records(y, w, &record_cell) } else { Vec::new() };
    let mut trackers: Vec<QuantileTracker> = vec![QuantileTracker::new(probs.len()); groups.len()];
    let mut cum_gini = vec![(0.0f64, 0.0f64); groups.len()];
    if need_sorted {
        ordered_walk(&sorted, &groups, &acc, &probs, &mut trackers, &mut cum_gini);
        for t in &mut trackers {
            t.finish(&probs);
        }
    }
    let quantile = |g: usize, p: f64| q_index(p).map_or(f64::NAN, |k| trackers[g].values[k]);
    let means: Vec<f64> = acc.iter().map(|a| a.t / a.w).collect();
    let mean = |g: usize| means[g];

    // Lines: per record (absolute, per key, relative to the whole population) or per group.
    let relative_line = |g: usize, fraction: f64, of: RelativeTo| match of {
        RelativeTo::Median => fraction * quantile(g, 0.5),
        RelativeTo::Mean => fraction * mean(g),
    };
    let key_lines: Option<Vec<f64>> = match (&req.line, &ds.line_key) {
        (Some(Line::PerKey(map)), Some(key)) => Some(
            key.labels
                .iter()
                .map(|l| {
                    map.get(l)
                        .copied()
                        .ok_or_else(|| EngineError::Request(format!("no poverty line for {} = {l:?} in the line file", key.name)))
                })
                .collect::<Result<_>>()?,
        ),
        (Some(Line::PerKey(_)), None) => {
            return Err(EngineError::Request("a line file needs the column that selects the line (--line-key)".into()));
        }
        _ => None,
    };
    let line_of = |i: usize, g: usize| -> f64 {
        match &req.line {
            None => f64::NAN,
            Some(Line::Absolute(z)) => *z,
            Some(Line::PerKey(_)) => {
                key_lines.as_ref().map_or(f64::NAN, |k| ds.line_key.as_ref().map_or(f64::NAN, |c| k[c.codes[i] as usize]))
            }
            Some(Line::Relative { fraction, of }) => {
                relative_line(if req.conventions.relative_per_group { g } else { g_total }, *fraction, *of)
            }
        }
    };
    let arpt = |g: usize| req.conventions.arpt_fraction * quantile(if req.conventions.relative_per_group { g } else { g_total }, 0.5);
    let poor = |yi: f64, z: f64| match req.conventions.poor_if {
        PoorIf::Below => yi < z,
        PoorIf::AtOrBelow => yi <= z,
    };

    // Pass C, in file order: everything additive given lines and quantiles.
    let want_deciles = req.has(|m| matches!(m, Measure::DecileShares));
    let want_qsr = req.has(|m| matches!(m, Measure::S80S20));
    let want_arpr = req.has(|m| matches!(m, Measure::Arpr | Measure::Rmpg));
    let want_theil = req.has(|m| matches!(m, Measure::Theil | Measure::Mld));
    let arpts: Vec<f64> = (0..groups.len()).map(|g| if want_arpr { arpt(g) } else { f64::NAN }).collect();
    let deciles: Vec<[f64; 9]> = (0..groups.len())
        .map(|g| {
            let mut d = [f64::NAN; 9];
            if want_deciles {
                for (k, v) in d.iter_mut().enumerate() {
                    *v = quantile(g, (k + 1) as f64 / 10.0);
                }
            }
            d
        })
        .collect();
    let qsr_bounds: Vec<(f64, f64)> =
        (0..groups.len()).map(|g| if want_qsr { (quantile(g, 0.2), quantile(g, 0.8)) } else { (f64::NAN, f64::NAN) }).collect();
    // When nothing depends on the group (lines and thresholds are the same for all groups,
    // no group quantiles are needed), sums are made per finest cell and rolled up, so the
    // pass costs the same however many margins there are.
    let per_cell = !req.conventions.relative_per_group && !want_qsr && !want_deciles;
    let add_record = |a: &mut Acc, i: usize, g: usize| {
        let (yi, wi) = (y[i], w[i]);
        if !pass_a {
            a.count(yi, wi);
        }
        if needs_line {
            let z = line_of(i, g);
            a.line_w += wi * z;
            if poor(yi, z) {
                a.add_poor(yi, wi, z);
            }
        }
        if want_theil {
            a.add_theil(yi, wi);
        }
        if want_arpr && yi < arpts[g] {
            a.arpr += wi;
        }
        if want_qsr {
            let (lo, hi) = qsr_bounds[g];
            if yi <= lo {
                a.bottom20 += wi * yi;
            }
            if yi > hi {
                a.top20 += wi * yi;
            }
        }
        if want_deciles {
            let d = deciles[g].iter().take_while(|&&b| yi > b).count();
            a.deciles[d] += wi * yi;
        }
    };
    let simple = per_cell && !pass_a && !want_theil && !want_arpr && matches!(req.line, Some(Line::Absolute(_)));
    if let (true, Some(Line::Absolute(z))) = (simple, &req.line) {
        // The common case (FGT and Watts with one absolute line), as a tight loop.
        let (z, strict) = (*z, req.conventions.poor_if == PoorIf::Below);
        let mut cells = vec![Acc::default(); n_cells];
        for i in 0..ds.n {
            let (yi, wi) = (y[i], w[i]);
            let a = &mut cells[groups.cell_of(ds, i)];
            a.count(yi, wi);
            if yi < z || (!strict && yi == z) {
                let gap = (z - yi) / z;
                a.poor[0] += wi;
                a.poor[1] += wi * gap;
                a.poor[2] += wi * gap * gap;
                if yi > 0.0 {
                    a.watts += wi * (z / yi).ln();
                }
            }
        }
        for a in &mut cells {
            a.line_w = z * a.w;
        }
        roll_up(&cells, &groups, &mut acc);
    } else if per_cell {
        let mut cells = vec![Acc::default(); n_cells];
        for i in 0..ds.n {
            add_record(&mut cells[groups.cell_of(ds, i)], i, g_total);
        }
        roll_up(&cells, &groups, &mut acc);
    } else {
        for i in 0..ds.n {
            for g in groups.of(ds, i) {
                add_record(&mut acc[g], i, g);
            }
        }
    }

    // Pass D, in welfare order: the median income of those below the threshold (RMPG).
    let mut rmpg_median = vec![f64::NAN; groups.len()];
    if req.has(|m| matches!(m, Measure::Rmpg)) {
        let mut t: Vec<QuantileTracker> = vec![QuantileTracker::new(1); groups.len()];
        for &(yi, wi, cell) in &sorted {
            for map in &groups.cell_to_group {
                let g = map[cell as usize] as usize;
                if yi < arpts[g] {
                    t[g].push(&[0.5], acc[g].arpr, yi, wi);
                }
            }
        }
        for (g, t) in t.iter_mut().enumerate() {
            t.finish(&[0.5]);
            rmpg_median[g] = t.values[0];
        }
    }

    // Standard errors of FGT by linearisation, when the design is known.
    let fgt_se: HashMap<(usize, u8), f64> = match (&ds.strata, &ds.psu) {
        (Some(_), Some(_)) | (None, Some(_)) => {
            let mut out = HashMap::new();
            for m in &req.measures {
                if let Measure::Fgt(alpha) = m {
                    let se = crate::variance::ratio_se(ds, &groups, |i, g| {
                        let z = line_of(i, g);
                        if poor(y[i], z) { ((z - y[i]) / z).max(0.0).powi(*alpha as i32) } else { 0.0 }
                    })?;
                    for (g, s) in se.into_iter().enumerate() {
                        out.insert((g, *alpha), s);
                    }
                }
            }
            out
        }
        _ => HashMap::new(),
    };

    let mut rows = Vec::new();
    let names: Vec<Vec<String>> = req.measures.iter().map(Measure::names).collect();
    for (g, key) in groups.keys.iter().enumerate() {
        let a = &acc[g];
        if a.n == 0 {
            continue; // a combination of codes no record has
        }
        let keys: Vec<String> =
            key.iter().enumerate().map(|(j, c)| c.map_or(TOTAL.to_string(), |c| ds.by[j].labels[c as usize].clone())).collect();
        let q = |p: f64| quantile(g, p);
        group_rows(&mut rows, req, &names, keys, a, &q, cum_gini[g].1, arpt(g), rmpg_median[g], |alpha| fgt_se.get(&(g, alpha)).copied());
    }
    Ok(rows)
}

/// The rows of one group: every requested measure from the group's sums, its quantiles, its
/// Gini sum, its at-risk threshold and the median below it (RMPG), and FGT standard errors.
#[allow(clippy::too_many_arguments)]
pub(crate) fn group_rows(
    rows: &mut Vec<ResultRow>,
    req: &Request,
    names: &[Vec<String>],
    keys: Vec<String>,
    a: &Acc,
    quantile: &dyn Fn(f64) -> f64,
    gini_sum: f64,
    arpt: f64,
    rmpg_median: f64,
    fgt_se: impl Fn(u8) -> Option<f64>,
) {
    let mu = a.t / a.w;
    // The keys are cloned for every row but the group's last, which takes them.
    let mut left = names.iter().map(Vec::len).sum::<usize>();
    let mut keys = Some(keys);
    for (m, names) in req.measures.iter().zip(names) {
        let values: Vec<f64> = match m {
            Measure::Fgt(alpha) => vec![a.poor[*alpha as usize] / a.w],
            Measure::Watts => vec![a.watts / a.w],
            Measure::Mean => vec![mu],
            Measure::Median => vec![quantile(0.5)],
            Measure::Quantile(p) => vec![quantile(*p)],
            Measure::DecileShares => a.deciles.iter().map(|d| d / a.t).collect(),
            Measure::S80S20 => vec![a.top20 / a.bottom20],
            Measure::Gini => vec![gini_sum / (a.w * a.t) - 1.0],
            Measure::Theil => vec![a.s_ylny / a.pos_t - (a.pos_t / a.pos_w).ln()],
            Measure::Mld => vec![(a.pos_t / a.pos_w).ln() - a.s_lny / a.pos_w],
            Measure::Arpr => vec![100.0 * a.arpr / a.w],
            Measure::Arpt => vec![arpt],
            Measure::Rmpg => vec![100.0 * (arpt - rmpg_median) / arpt],
            Measure::Line => vec![a.line_w / a.w],
        };
        for (name, value) in names.iter().zip(values) {
            let se = match m {
                Measure::Fgt(alpha) => fgt_se(*alpha),
                _ => None,
            };
            left -= 1;
            let keys = if left == 0 { keys.take().unwrap_or_default() } else { keys.clone().unwrap_or_default() };
            rows.push(ResultRow { keys, measure: name.clone(), value, n_obs: a.n, sum_weight: a.w, se });
        }
    }
}

/// Above this many groups a subset is walked group by group.
const MANY_GROUPS: usize = 4096;

/// The ordered walk of one subset, group after group: the records (in welfare order) are
/// first placed group by group, keeping their order (a counting sort), then each group's
/// records are walked with its state in registers. Same arithmetic in the same order as the
/// walk over all records, so the same results to the bit.
fn walk_by_group(sorted: &[(f64, f64, u32)], s: SubsetWalk, acc: &[Acc], probs: &[f64]) {
    let n_groups = s.trackers.len();
    let mut start = vec![0usize; n_groups + 1];
    for &(_, _, cell) in sorted {
        start[s.map[cell as usize] as usize - s.start + 1] += 1;
    }
    for g in 0..n_groups {
        start[g + 1] += start[g];
    }
    let mut next = start.clone();
    let mut placed = vec![(0.0f64, 0.0f64); sorted.len()];
    for &(yi, wi, cell) in sorted {
        let g = s.map[cell as usize] as usize - s.start;
        placed[next[g]] = (yi, wi);
        next[g] += 1;
    }
    for (g, (tracker, gini_sum)) in s.trackers.iter_mut().zip(s.gini.iter_mut()).enumerate() {
        let total = acc[s.start + g].w;
        let (mut cum, mut gini) = *gini_sum; // from earlier pieces of a streamed run
        for &(yi, wi) in &placed[start[g]..start[g + 1]] {
            tracker.push(probs, total, yi, wi);
            cum += wi;
            gini += wi * yi * (2.0 * cum - wi);
        }
        *gini_sum = (cum, gini);
    }
}

/// One subset's groups in the ordered walk: the group of each cell, the first group's id, and
/// the groups' running state.
struct SubsetWalk<'a> {
    map: &'a [u32],
    start: usize,
    trackers: &'a mut [QuantileTracker],
    gini: &'a mut [(f64, f64)],
}

/// Pass B: every group's quantiles and Gini sum, walking the records in welfare order. The
/// groups of each subset of the breakdown are a contiguous range of group ids, so the subsets
/// are shared out between the cores, each walking all records for its own subsets.
pub(crate) fn ordered_walk(
    sorted: &[(f64, f64, u32)],
    groups: &Groups,
    acc: &[Acc],
    probs: &[f64],
    trackers: &mut [QuantileTracker],
    cum_gini: &mut [(f64, f64)],
) {
    // Each subset with its first group and its share of the running state.
    let starts: Vec<usize> = groups.cell_to_group.iter().map(|m| m.iter().copied().min().unwrap_or(0) as usize).collect();
    let mut work: Vec<SubsetWalk> = Vec::new();
    let (mut tr, mut cg) = (trackers, cum_gini);
    for (j, map) in groups.cell_to_group.iter().enumerate() {
        let end = starts.get(j + 1).copied().unwrap_or(groups.len());
        let len = end - starts[j];
        let (a, b) = std::mem::take(&mut tr).split_at_mut(len);
        let (c, d) = std::mem::take(&mut cg).split_at_mut(len);
        work.push(SubsetWalk { map, start: starts[j], trackers: a, gini: c });
        (tr, cg) = (b, d);
    }
    let walk = |mine: Vec<SubsetWalk>| {
        // Subsets with many groups (villages, say) are walked group by group: their state
        // would not stay in cache while walking all records at once.
        let (many, mut few): (Vec<SubsetWalk>, Vec<SubsetWalk>) = mine.into_iter().partition(|s| s.trackers.len() > MANY_GROUPS);
        for s in many {
            walk_by_group(sorted, s, acc, probs);
        }
        if few.is_empty() {
            return;
        }
        for &(yi, wi, cell) in sorted {
            for s in few.iter_mut() {
                let g = s.map[cell as usize] as usize;
                s.trackers[g - s.start].push(probs, acc[g].w, yi, wi);
                let (cum, gini) = &mut s.gini[g - s.start];
                *cum += wi;
                *gini += wi * yi * (2.0 * *cum - wi);
            }
        }
    };
    let t = threads().min(work.len());
    if t < 2 || sorted.len() < 1 << 18 {
        walk(work);
        return;
    }
    let mut shares: Vec<Vec<_>> = (0..t).map(|_| Vec::new()).collect();
    for (k, item) in work.into_iter().enumerate() {
        shares[k % t].push(item);
    }
    std::thread::scope(|s| {
        for share in shares {
            s.spawn(move || walk(share));
        }
    });
}
