//! Streamed runs: the measures over a Parquet file larger than memory, exact.
//!
//! The first pass reads every record once, the row groups shared between the cores. It
//! numbers the labels of the breakdown columns and the cells observed, sums per cell what is
//! additive without a poverty line (records, population, welfare, the Theil and MLD sums),
//! and counts records and population in 2^20 welfare classes (the leading 20 bits of an
//! order-preserving key of each value: a sixteenth of a power of two wide at most).
//!
//! The welfare range is then cut, between classes, into pieces whose records fit the memory
//! budget. Each further pass reads the file again and keeps the records of one piece, which
//! are sorted (ties in file order) and walked in welfare order, continuing the running state
//! the pieces before it left (cumulative weight, quantile trackers, Gini sums). The pieces
//! follow one another in welfare order, so this is the in-memory walk cut into pieces: the
//! medians, other quantiles and Gini coefficients of every group are exact, by as many
//! passes as there are pieces, not approximated.
//!
//! What depends on the poverty line (FGT, Watts, the at-risk rate) is added while walking,
//! from each piece's records below the line. A line relative to the national median needs
//! the median before the first walk: the first piece's pass also keeps the records of the
//! median's class, and the median is found among them as the walk would find it; the walk
//! then finds it again and the two must agree.
//!
//! Sums are made in a different order than in memory (per core, and in welfare order for the
//! sums that depend on the line), so results agree with [`crate::compute`] to rounding
//! (about 1e-15 relative), not always to the bit.

use crate::data::LoadSpec;
use crate::data::parquet_in::{nums, reader};
use crate::measures::{Acc, Line, Measure, PoorIf, RelativeTo, Request, ResultRow, group_rows, ordered_walk, roll_up};
use crate::passes::{Groups, QuantileTracker, order_key, sort_parts, sort_records, threads};
use crate::{EngineError, Negative, Result, TOTAL};
use arrow_array::{Array, ArrayRef, cast::AsArray};
use arrow_schema::DataType;
use parquet::arrow::ProjectionMask;
use rustc_hash::FxHashMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Memory a record of a piece takes at the peak of its sort: its three columns (20 bytes),
/// the sort's two buffers and the merged run (24 bytes each).
pub const BYTES_PER_RECORD: usize = 96;

/// Welfare classes of the first pass: the leading bits of the order key.
const CLASS_BITS: u32 = 20;

/// What a streamed run did.
#[derive(Debug, Clone, Default)]
pub struct StreamReport {
    /// Records used (after negative values were handled).
    pub records: u64,
    /// Records with negative welfare (kept, set to zero or dropped as asked).
    pub negatives: u64,
    /// Passes over the file: one to count, one per piece.
    pub passes: usize,
    /// Pieces the welfare range was cut into, and the records of the largest.
    pub pieces: usize,
    pub largest_piece: u64,
    /// The poverty line applied (when one value for all records).
    pub line: Option<f64>,
}

/// The records of one Parquet batch, converted.
struct Piece<'a> {
    y: &'a [f64],
    w: &'a [f64],
    cell: &'a [u32],
}

/// Labels of the breakdown columns and the observed cells, numbered as first met.
#[derive(Default)]
struct Labels {
    labels: Vec<Vec<String>>,
    index: Vec<FxHashMap<String, u32>>,
    /// Cells of several columns: the codes packed in 32 bits each, and the codes per cell.
    cells: FxHashMap<u128, u32>,
    cell_codes: Vec<u32>,
    /// After the first pass no new label may appear.
    frozen: bool,
}

impl Labels {
    fn code(&mut self, j: usize, v: &str, file: &str, column: &str) -> Result<u32> {
        if let Some(&c) = self.index[j].get(v) {
            return Ok(c);
        }
        if self.frozen {
            return Err(EngineError::Input {
                file: file.into(),
                message: format!("column {column:?}: value {v:?} appeared on a later reading (was the file changed?)"),
            });
        }
        let c = self.labels[j].len() as u32;
        self.labels[j].push(v.to_string());
        self.index[j].insert(v.to_string(), c);
        Ok(c)
    }
}

/// The file, the columns read, and how its row groups are shared between the cores.
struct Source<'a> {
    path: &'a Path,
    name: String,
    spec: &'a LoadSpec,
    negative: Negative,
    /// Negative welfare values met (counted in every pass).
    negatives: AtomicU64,
    leaves: Vec<usize>,
    /// Per core: its row groups (contiguous) and the file row of the first.
    shares: Vec<(Vec<usize>, u64)>,
}

impl<'a> Source<'a> {
    fn open(path: &'a Path, spec: &'a LoadSpec, negative: Negative) -> Result<Source<'a>> {
        let name = path.display().to_string();
        let err = |m: String| EngineError::Input { file: name.clone(), message: m };
        let f = std::fs::File::open(path).map_err(|e| EngineError::Io(name.clone(), e))?;
        let builder = reader(f, &spec.by).map_err(|e| err(e.to_string()))?;
        let schema = builder.schema().clone();
        let mut wanted: Vec<&String> = [&spec.welfare, &spec.weight, &spec.size].into_iter().flatten().collect();
        wanted.extend(spec.by.iter());
        for c in &wanted {
            if schema.index_of(c).is_err() {
                let cols: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                return Err(err(format!("column {c:?} not found (columns: {})", cols.join(", "))));
            }
        }
        let pschema = builder.parquet_schema();
        let leaves: Vec<usize> =
            (0..pschema.num_columns()).filter(|&i| wanted.iter().any(|w| pschema.column(i).name() == w.as_str())).collect();
        let groups: Vec<u64> = builder.metadata().row_groups().iter().map(|g| g.num_rows() as u64).collect();
        let total: u64 = groups.iter().sum();
        let t = threads().min(groups.len()).max(1);
        // Contiguous runs of row groups of about equal rows, in file order.
        let mut shares: Vec<(Vec<usize>, u64)> = Vec::new();
        let (mut row, mut current): (u64, Option<(Vec<usize>, u64)>) = (0, None);
        for (i, &n) in groups.iter().enumerate() {
            let share = current.get_or_insert_with(|| (Vec::new(), row));
            share.0.push(i);
            row += n;
            if row * t as u64 >= total * (shares.len() as u64 + 1) && shares.len() + 1 < t {
                shares.extend(current.take());
            }
        }
        shares.extend(current.take());
        Ok(Source { path, name, spec, negative, negatives: AtomicU64::new(0), leaves, shares })
    }

    /// Reads the whole file, each core its share of row groups in order; `each` sees every
    /// batch; the cores' states are returned in file order.
    fn scan<S: Send>(
        &self,
        labels: &Mutex<Labels>,
        read: &AtomicU64,
        init: impl Fn() -> S + Sync,
        each: impl Fn(&mut S, &Piece) + Sync,
    ) -> Result<Vec<S>> {
        let one = |(groups, first_row): &(Vec<usize>, u64)| -> Result<S> {
            let mut state = init();
            let err = |m: String| EngineError::Input { file: self.name.clone(), message: m };
            let f = std::fs::File::open(self.path).map_err(|e| EngineError::Io(self.name.clone(), e))?;
            let builder = reader(f, &self.spec.by).map_err(|e| err(e.to_string()))?;
            let mask = ProjectionMask::leaves(builder.parquet_schema(), self.leaves.iter().copied());
            let reader = builder
                .with_row_groups(groups.clone())
                .with_projection(mask)
                .with_batch_size(65_536)
                .build()
                .map_err(|e| err(e.to_string()))?;
            let (mut y, mut w, mut sz, mut codes, mut cell) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
            let mut row = *first_row;
            for batch in reader {
                let batch = batch.map_err(|e| err(e.to_string()))?;
                let n = batch.num_rows();
                let col = |c: &str| batch.column_by_name(c).cloned().ok_or_else(|| err(format!("column {c:?} missing")));
                let at = |e: EngineError| match e {
                    EngineError::Value { file, row: r, column, value, expected } => {
                        EngineError::Value { file, row: r + row, column, value, expected }
                    }
                    e => e,
                };
                y.clear();
                w.clear();
                sz.clear();
                if let Some(c) = &self.spec.welfare {
                    nums(&self.name, c, &col(c)?, &mut y).map_err(at)?;
                }
                match &self.spec.weight {
                    Some(c) => nums(&self.name, c, &col(c)?, &mut w).map_err(at)?,
                    None => w.resize(n, 1.0),
                }
                if let (Some(c), false) = (&self.spec.size, self.spec.household_weighting) {
                    nums(&self.name, c, &col(c)?, &mut sz).map_err(at)?;
                    for (i, (wi, s)) in w.iter_mut().zip(&sz).enumerate() {
                        if *s <= 0.0 {
                            // (values are finite: `nums` refuses NaN)
                            return Err(self.value(row + i as u64 + 1, c, *s, "a household size above 0"));
                        }
                        *wi *= s;
                    }
                }
                if let Some(i) = w.iter().position(|&x| x < 0.0) {
                    let c = self.spec.weight.clone().unwrap_or_default();
                    return Err(self.value(row + i as u64 + 1, &c, w[i], "a weight ≥ 0"));
                }
                codes.resize(self.spec.by.len(), Vec::new());
                for (j, c) in self.spec.by.iter().enumerate() {
                    self.codes(j, c, &col(c)?, labels, &mut codes[j])?;
                }
                cells(&codes, n, labels, &mut cell);
                let neg = y.iter().filter(|&&v| v < 0.0).count();
                self.negatives.fetch_add(neg as u64, Ordering::Relaxed);
                match self.negative {
                    Negative::Keep => {}
                    Negative::Zero => y.iter_mut().for_each(|v| *v = v.max(0.0)),
                    Negative::Drop => {
                        if neg > 0 {
                            let keep: Vec<bool> = y.iter().map(|&v| v >= 0.0).collect();
                            let mut k = keep.iter();
                            w.retain(|_| *k.next().unwrap_or(&true));
                            let mut k = keep.iter();
                            cell.retain(|_| *k.next().unwrap_or(&true));
                            y.retain(|&v| v >= 0.0);
                        }
                    }
                }
                each(&mut state, &Piece { y: &y, w: &w, cell: &cell });
                row += n as u64;
                read.fetch_add(n as u64, Ordering::Relaxed);
            }
            Ok(state)
        };
        if self.shares.len() < 2 {
            return self.shares.iter().map(one).collect();
        }
        std::thread::scope(|s| {
            let handles: Vec<_> = self.shares.iter().map(|share| s.spawn(move || one(share))).collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
        })
    }

    fn value(&self, row: u64, column: &str, v: f64, expected: &str) -> EngineError {
        EngineError::Value { file: self.name.clone(), row, column: column.into(), value: v.to_string(), expected: expected.into() }
    }

    /// The code of each value of a breakdown column in one batch: the batch's distinct values
    /// are looked up (or numbered) once, under the lock.
    fn codes(&self, j: usize, column: &str, a: &ArrayRef, labels: &Mutex<Labels>, out: &mut Vec<u32>) -> Result<()> {
        out.clear();
        let global = |distinct: &[String]| -> Result<Vec<u32>> {
            let mut l = labels.lock().unwrap_or_else(|p| p.into_inner());
            distinct.iter().map(|v| l.code(j, v, &self.name, column)).collect()
        };
        if let Some(d) = a.as_any_dictionary_opt() {
            let values = distinct_labels(&self.name, column, d.values())?;
            let map = global(&values)?;
            let empty = if d.keys().null_count() > 0 { global(&[String::new()])?[0] } else { 0 };
            let keys = d.normalized_keys();
            out.extend(keys.iter().enumerate().map(|(i, &k)| if d.keys().is_null(i) { empty } else { map[k] }));
            return Ok(());
        }
        let mut local: FxHashMap<String, u32> = FxHashMap::default();
        let mut distinct: Vec<String> = Vec::new();
        let mut local_codes = |v: &str, out: &mut Vec<u32>| {
            let c = match local.get(v) {
                Some(&c) => c,
                None => {
                    let c = distinct.len() as u32;
                    local.insert(v.to_string(), c);
                    distinct.push(v.to_string());
                    c
                }
            };
            out.push(c);
        };
        let owned: Vec<String>;
        match a.data_type() {
            DataType::Utf8 => {
                let s = a.as_string::<i32>();
                for i in 0..s.len() {
                    local_codes(if s.is_null(i) { "" } else { s.value(i) }, out);
                }
            }
            DataType::LargeUtf8 => {
                let s = a.as_string::<i64>();
                for i in 0..s.len() {
                    local_codes(if s.is_null(i) { "" } else { s.value(i) }, out);
                }
            }
            _ => {
                let mut v = Vec::new();
                nums(&self.name, column, a, &mut v)?;
                owned = v.iter().map(|x| format!("{x}")).collect();
                for s in &owned {
                    local_codes(s, out);
                }
            }
        }
        let map = global(&distinct)?;
        out.iter_mut().for_each(|c| *c = map[*c as usize]);
        Ok(())
    }
}

/// The labels of a dictionary's values.
fn distinct_labels(file: &str, column: &str, values: &ArrayRef) -> Result<Vec<String>> {
    Ok(match values.data_type() {
        DataType::Utf8 => values.as_string::<i32>().iter().map(|v| v.unwrap_or("").to_string()).collect(),
        DataType::LargeUtf8 => values.as_string::<i64>().iter().map(|v| v.unwrap_or("").to_string()).collect(),
        _ => {
            let mut v = Vec::new();
            nums(file, column, values, &mut v)?;
            v.iter().map(|x| format!("{x}")).collect()
        }
    })
}

/// Each record's cell from its codes: the code itself for one column, else the cell numbered
/// when its combination was first met.
fn cells(codes: &[Vec<u32>], n: usize, labels: &Mutex<Labels>, out: &mut Vec<u32>) {
    out.clear();
    match codes.len() {
        0 => out.resize(n, 0),
        1 => out.extend_from_slice(&codes[0]),
        k => {
            let key = |i: usize| codes.iter().fold(0u128, |a, c| a << 32 | c[i] as u128);
            let mut local: FxHashMap<u128, u32> = FxHashMap::default();
            let mut distinct: Vec<u128> = Vec::new();
            for i in 0..n {
                let next = local.len() as u32;
                out.push(*local.entry(key(i)).or_insert_with(|| {
                    distinct.push(key(i));
                    next
                }));
            }
            let mut l = labels.lock().unwrap_or_else(|p| p.into_inner());
            let map: Vec<u32> = distinct
                .iter()
                .map(|&key| {
                    let next = l.cells.len() as u32;
                    *l.cells.entry(key).or_insert_with(|| next)
                })
                .collect();
            for (&key, &c) in distinct.iter().zip(&map) {
                if c as usize * k == l.cell_codes.len() {
                    l.cell_codes.extend((0..k).rev().map(|j| (key >> (32 * j)) as u32));
                }
            }
            out.iter_mut().for_each(|c| *c = map[*c as usize]);
        }
    }
}

/// The welfare class of a value.
#[inline]
fn class(y: f64) -> usize {
    (order_key(y) >> (64 - CLASS_BITS)) as usize
}

/// Checks that a request can be streamed; the measures needing group quantiles before an
/// additive pass (deciles, S80/S20, RMPG), lines per group or per key and standard errors
/// need the records in memory.
fn check(spec: &LoadSpec, req: &Request) -> Result<()> {
    if let Some(m) = req.measures.iter().find(|m| matches!(m, Measure::DecileShares | Measure::S80S20 | Measure::Rmpg)) {
        return Err(EngineError::Request(format!(
            "{m:?} is not computed in streamed runs (it needs each group's quantiles before a further pass): run it in memory"
        )));
    }
    if req.conventions.relative_per_group {
        return Err(EngineError::Request("lines relative to each group are not computed in streamed runs: run them in memory".into()));
    }
    if matches!(req.line, Some(Line::PerKey(_))) || spec.line_key.is_some() {
        return Err(EngineError::Request("lines from a line file are not computed in streamed runs: run them in memory".into()));
    }
    if spec.strata.is_some() || spec.psu.is_some() {
        return Err(EngineError::Request("standard errors are not computed in streamed runs: run them in memory".into()));
    }
    if spec.by.len() > 4 {
        return Err(EngineError::Request("streamed runs break down by at most 4 columns".into()));
    }
    if spec.welfare.is_none() {
        return Err(EngineError::Request("no welfare column".into()));
    }
    Ok(())
}

/// The state the first pass sums: per cell, and per welfare class.
struct Counts {
    cells: Vec<Acc>,
    class_w: Vec<f64>,
    class_n: Vec<u64>,
}

/// Computes the measures over a Parquet file in passes, holding at most about `memory` bytes
/// of records at a time (see the module's documentation). `progress` gets the pass (from 1),
/// the passes planned (0 until known) and the records read in that pass.
pub fn compute_streamed(
    path: &Path,
    spec: &LoadSpec,
    req: &Request,
    negative: Negative,
    memory: usize,
    progress: &(dyn Fn(usize, usize, u64) + Sync),
) -> Result<(Vec<ResultRow>, StreamReport)> {
    check(spec, req)?;
    let needs_line = req.measures.iter().any(|m| matches!(m, Measure::Fgt(_) | Measure::Watts | Measure::Line));
    if needs_line && req.line.is_none() {
        return Err(EngineError::Request("FGT, Watts and line need a poverty line (--line)".into()));
    }
    let src = Source::open(path, spec, negative)?;
    let k = spec.by.len();
    let labels = Mutex::new(Labels { labels: vec![Vec::new(); k], index: vec![FxHashMap::default(); k], ..Default::default() });
    let want_theil = req.measures.iter().any(|m| matches!(m, Measure::Theil | Measure::Mld));
    let read = AtomicU64::new(0);
    let mut report = StreamReport::default();

    // Pass 1: labels, cells, the additive sums without a line, welfare classes.
    let counted = std::thread::scope(|s| {
        let watcher = s.spawn(|| watch(&read, || progress(1, 0, read.load(Ordering::Relaxed))));
        let r = src.scan(
            &labels,
            &read,
            || Counts { cells: Vec::new(), class_w: vec![0.0; 1 << CLASS_BITS], class_n: vec![0; 1 << CLASS_BITS] },
            |c, p| {
                for ((&yi, &wi), &cell) in p.y.iter().zip(p.w).zip(p.cell) {
                    let cell = cell as usize;
                    if cell >= c.cells.len() {
                        c.cells.resize(cell + 1, Acc::default());
                    }
                    let a = &mut c.cells[cell];
                    a.count(yi, wi);
                    if want_theil {
                        a.add_theil(yi, wi);
                    }
                    let k = class(yi);
                    c.class_w[k] += wi;
                    c.class_n[k] += 1;
                }
            },
        );
        read.store(u64::MAX, Ordering::Relaxed);
        let _ = watcher.join();
        r
    })?;
    if counted.iter().all(|c| c.cells.iter().all(|a| a.n == 0)) {
        return Err(EngineError::Input { file: src.name.clone(), message: "no records".into() });
    }
    let mut labels = labels.into_inner().unwrap_or_else(|p| p.into_inner());
    labels.frozen = true;
    if k == 1 {
        labels.cell_codes = (0..labels.labels[0].len() as u32).collect();
    }
    let label_refs: Vec<&[String]> = labels.labels.iter().map(|l| l.as_slice()).collect();
    let groups = Groups::from_cells(&label_refs, std::mem::take(&mut labels.cell_codes));
    let g_total = groups.len() - 1;
    let mut cells = vec![Acc::default(); groups.n_cells()];
    let (mut class_w, mut class_n) = (vec![0.0f64; 1 << CLASS_BITS], vec![0u64; 1 << CLASS_BITS]);
    for c in &counted {
        for (a, b) in cells.iter_mut().zip(&c.cells) {
            a.add(b);
        }
        class_w.iter_mut().zip(&c.class_w).for_each(|(a, b)| *a += b);
        class_n.iter_mut().zip(&c.class_n).for_each(|(a, b)| *a += b);
    }
    drop(counted);
    report.negatives = src.negatives.load(Ordering::Relaxed);
    let mut acc = vec![Acc::default(); groups.len()];
    roll_up(&cells, &groups, &mut acc);
    report.records = acc[g_total].n;
    let total_w = acc[g_total].w;

    // Quantiles the measures need (as in memory).
    let relative_median = matches!(req.line, Some(Line::Relative { of: RelativeTo::Median, .. }));
    let mut probs: Vec<f64> = Vec::new();
    if req.measures.iter().any(|m| matches!(m, Measure::Median | Measure::Arpr | Measure::Arpt)) || relative_median {
        probs.push(0.5);
    }
    for m in &req.measures {
        if let Measure::Quantile(p) = m {
            probs.push(*p);
        }
    }
    probs.sort_by(f64::total_cmp);
    probs.dedup();
    let need_walk = !probs.is_empty() || req.measures.iter().any(|m| matches!(m, Measure::Gini));
    let want_arpr = req.measures.iter().any(|m| matches!(m, Measure::Arpr | Measure::Arpt));
    let median_first = relative_median || want_arpr;
    let line_sums = needs_line || want_arpr;

    // The pieces: runs of welfare classes of at most `cap` records (a class alone may be more).
    let cap = (memory / BYTES_PER_RECORD).max(1) as u64;
    let mut pieces: Vec<(usize, usize)> = Vec::new();
    let mut count = 0u64;
    for (k, &n) in class_n.iter().enumerate() {
        if n == 0 {
            continue;
        }
        match pieces.last_mut() {
            Some(last) if count + n <= cap => {
                last.1 = k;
                count += n;
            }
            _ => {
                pieces.push((k, k));
                count = n;
            }
        }
    }
    if !(need_walk || line_sums) {
        pieces.clear();
    }
    report.pieces = pieces.len();
    report.passes = 1 + pieces.len();
    report.largest_piece = pieces.iter().map(|&(lo, hi)| class_n[lo..=hi].iter().sum::<u64>()).max().unwrap_or(0);
    // The class of the national median, and the population below it.
    let median_class = if median_first {
        let mut cum = 0.0;
        let mut found = None;
        for (k, &wk) in class_w.iter().enumerate() {
            if class_n[k] > 0 && (cum + wk) / total_w > 0.5 {
                found = Some((k, cum));
                break;
            }
            cum += wk;
        }
        found.or_else(|| class_n.iter().rposition(|&n| n > 0).map(|k| (k, cum - class_w[k])))
    } else {
        None
    };

    // Lines and thresholds, once known.
    let mut line = match req.line {
        Some(Line::Absolute(z)) => Some(z),
        Some(Line::Relative { fraction, of: RelativeTo::Mean }) => Some(fraction * acc[g_total].t / total_w),
        _ => None,
    };
    let mut arpt = f64::NAN;
    let mut median_before = f64::NAN;

    // Passes 2...: each piece read, sorted and walked in welfare order.
    let mut trackers: Vec<QuantileTracker> = vec![QuantileTracker::new(probs.len()); groups.len()];
    let mut cum_gini = vec![(0.0f64, 0.0f64); groups.len()];
    let mut line_cells = vec![Acc::default(); groups.n_cells()];
    let lookup = Mutex::new(labels);
    let n_passes = report.passes;
    for (p, &(lo, hi)) in pieces.iter().enumerate() {
        let extra = match median_class {
            Some((m, _)) if p == 0 && !(lo..=hi).contains(&m) => Some(m),
            _ => None,
        };
        read.store(0, Ordering::Relaxed);
        type Kept = (Vec<f64>, Vec<f64>, Vec<u32>, Vec<f64>, Vec<f64>);
        let kept: Vec<Kept> = std::thread::scope(|s| {
            let watcher = s.spawn(|| watch(&read, || progress(p + 2, n_passes, read.load(Ordering::Relaxed))));
            let r = src.scan(
                &lookup,
                &read,
                || (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new()),
                |(y, w, c, my, mw): &mut Kept, piece| {
                    for ((&yi, &wi), &cell) in piece.y.iter().zip(piece.w).zip(piece.cell) {
                        let k = class(yi);
                        if k >= lo && k <= hi {
                            y.push(yi);
                            w.push(wi);
                            c.push(cell);
                        } else if Some(k) == extra {
                            my.push(yi);
                            mw.push(wi);
                        }
                    }
                },
            );
            read.store(u64::MAX, Ordering::Relaxed);
            let _ = watcher.join();
            r
        })?;
        let (mut parts, mut my, mut mw) = (Vec::new(), Vec::new(), Vec::new());
        for (a, b, d, e, f) in kept {
            parts.push((a, b, d));
            my.extend(e);
            mw.extend(f);
        }
        if let (0, Some((m, below))) = (p, median_class) {
            // The national median, found as the walk will find it.
            if extra.is_none() {
                for (y, w, _) in &parts {
                    for (&yi, &wi) in y.iter().zip(w) {
                        if class(yi) == m {
                            my.push(yi);
                            mw.push(wi);
                        }
                    }
                }
            }
            let sorted = sort_records(&my, &mw, &vec![0; my.len()]);
            let mut t = QuantileTracker::new(1);
            t.push(&[0.5], total_w, f64::NEG_INFINITY, below);
            for &(yi, wi, _) in &sorted {
                t.push(&[0.5], total_w, yi, wi);
            }
            t.finish(&[0.5]);
            median_before = t.values[0];
            if let Some(Line::Relative { fraction, of: RelativeTo::Median }) = req.line {
                line = Some(fraction * median_before);
            }
            arpt = req.conventions.arpt_fraction * median_before;
        }
        drop((my, mw));
        let sorted = sort_parts(parts);
        if need_walk {
            ordered_walk(&sorted, &groups, &acc, &probs, &mut trackers, &mut cum_gini);
        }
        if line_sums {
            let z = line.unwrap_or(f64::NAN);
            let strict = req.conventions.poor_if == PoorIf::Below;
            // Records are in welfare order: those at or above both the line and the
            // threshold end the piece's part in these sums.
            let upto = |yi: f64| yi < z || (!strict && yi == z) || (want_arpr && yi < arpt);
            for &(yi, wi, cell) in sorted.iter().take_while(|r| upto(r.0)) {
                let a = &mut line_cells[cell as usize];
                if needs_line && (yi < z || (!strict && yi == z)) {
                    a.add_poor(yi, wi, z);
                }
                if want_arpr && yi < arpt {
                    a.arpr += wi;
                }
            }
        }
    }
    for t in &mut trackers {
        t.finish(&probs);
    }
    if let Some(z) = line {
        for (a, cell) in line_cells.iter_mut().zip(&cells) {
            a.line_w = z * cell.w;
        }
    }
    roll_up(&line_cells, &groups, &mut acc);
    let q_index = |p: f64| probs.iter().position(|&x| x == p);
    if median_first {
        let walked = q_index(0.5).map_or(f64::NAN, |i| trackers[g_total].values[i]);
        if walked.to_bits() != median_before.to_bits() {
            return Err(EngineError::Request(format!(
                "internal error: the national median found before the walk ({median_before}) differs from the walk's ({walked})"
            )));
        }
    }
    report.line = line;

    let labels = lookup.into_inner().unwrap_or_else(|p| p.into_inner());
    let mut rows = Vec::new();
    let names: Vec<Vec<String>> = req.measures.iter().map(Measure::names).collect();
    for (g, key) in groups.keys.iter().enumerate() {
        let a = &acc[g];
        if a.n == 0 {
            continue;
        }
        let keys: Vec<String> =
            key.iter().enumerate().map(|(j, c)| c.map_or(TOTAL.to_string(), |c| labels.labels[j][c as usize].clone())).collect();
        let q = |p: f64| q_index(p).map_or(f64::NAN, |i| trackers[g].values[i]);
        group_rows(&mut rows, req, &names, keys, a, &q, cum_gini[g].1, arpt, f64::NAN, |_| None);
    }
    Ok((rows, report))
}

/// Calls `tick` every second until `read` is set to `u64::MAX`.
fn watch(read: &AtomicU64, tick: impl Fn()) {
    let mut n = 0;
    while read.load(Ordering::Relaxed) != u64::MAX {
        std::thread::sleep(std::time::Duration::from_millis(50));
        n += 1;
        if n % 20 == 0 {
            tick();
        }
    }
}
