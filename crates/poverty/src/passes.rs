//! Groups of a breakdown with all its margins, and the per-group running state.

use crate::data::Dataset;
use rustc_hash::FxHashMap;
use std::collections::HashMap;

/// Every group of every margin of a breakdown by k columns: 2^k subsets of the columns
/// (the full breakdown first, the grand total last), each with its groups.
///
/// A record's finest cell is its mixed-radix code over the breakdown columns, computed on
/// the fly when the number of possible cells is small (the usual case: no extra pass, no
/// extra memory); otherwise observed cells are numbered once. Groups without records are
/// left out of results.
pub struct Groups {
    /// Finest cell of each record (only when cells are numbered, see above).
    cell: Vec<u32>,
    /// Mixed-radix strides of the breakdown columns (dense numbering).
    strides: Vec<usize>,
    /// For each subset: the group of each cell (global group id).
    pub cell_to_group: Vec<Vec<u32>>,
    /// For each global group: the code of each by-column, `None` for a margin.
    pub keys: Vec<Vec<Option<u32>>>,
}

/// Cells are numbered densely (all combinations of codes) up to this many, or up to
/// [`DENSE_MAX`] when there are no more combinations than records (a village breakdown).
const DENSE_CELLS: u64 = 1 << 16;
const DENSE_MAX: u64 = 1 << 22;

impl Groups {
    pub fn new(ds: &Dataset) -> Groups {
        let k = ds.by.len();
        let cards: Vec<u64> = ds.by.iter().map(|c| c.labels.len().max(1) as u64).collect();
        let product = cards.iter().try_fold(1u64, |a, &c| a.checked_mul(c));
        let mut strides = vec![0usize; k];
        let mut s = 1usize;
        for j in (0..k).rev() {
            strides[j] = s;
            s = s.saturating_mul(cards[j] as usize);
        }
        // The codes of each cell, k per cell.
        let mut cell_codes: Vec<u32> = Vec::new();
        let mut cell = Vec::new();
        match product {
            Some(p) if p <= DENSE_CELLS || (p <= DENSE_MAX && p <= ds.n as u64) => {
                cell_codes.reserve(p as usize * k);
                for id in 0..p as usize {
                    cell_codes.extend((0..k).map(|j| ((id / strides[j]) % cards[j] as usize) as u32));
                }
            }
            Some(_) => {
                // Observed cells, numbered by their mixed-radix code (no allocation per record).
                let mut cells: FxHashMap<u64, u32> = FxHashMap::default();
                cell.reserve(ds.n);
                for i in 0..ds.n {
                    let code: u64 = ds.by.iter().zip(&strides).map(|(c, &s)| c.codes[i] as u64 * s as u64).sum();
                    let next = cells.len() as u32;
                    let id = *cells.entry(code).or_insert_with(|| {
                        cell_codes.extend(ds.by.iter().map(|c| c.codes[i]));
                        next
                    });
                    cell.push(id);
                }
            }
            None => {
                let mut cells: HashMap<Vec<u32>, u32> = HashMap::new();
                cell.reserve(ds.n);
                for i in 0..ds.n {
                    let codes: Vec<u32> = ds.by.iter().map(|c| c.codes[i]).collect();
                    let next = cells.len() as u32;
                    let id = *cells.entry(codes).or_insert_with_key(|codes| {
                        cell_codes.extend_from_slice(codes);
                        next
                    });
                    cell.push(id);
                }
            }
        }
        let labels: Vec<&[String]> = ds.by.iter().map(|c| c.labels.as_slice()).collect();
        Groups::assemble(&labels, cell_codes, cell, strides)
    }

    /// The groups of observed cells given by their codes (k per cell, `k` the number of
    /// breakdown columns, whose labels are given): for data read in pieces (streamed runs),
    /// where a record's cell is known as it is read.
    pub fn from_cells(labels: &[&[String]], cell_codes: Vec<u32>) -> Groups {
        Groups::assemble(labels, cell_codes, Vec::new(), Vec::new())
    }

    fn assemble(labels: &[&[String]], cell_codes: Vec<u32>, cell: Vec<u32>, strides: Vec<usize>) -> Groups {
        let k = labels.len();
        let cards: Vec<u64> = labels.iter().map(|l| l.len().max(1) as u64).collect();
        let product = cards.iter().try_fold(1u64, |a, &c| a.checked_mul(c));
        let n_cells = cell_codes.len().checked_div(k).unwrap_or(1);
        // Each label's rank in label order, per column: groups are numbered in label order.
        let ranks: Vec<Vec<u32>> = labels
            .iter()
            .map(|labels| {
                let order = label_order(labels);
                let mut rank = vec![0u32; labels.len()];
                for (r, &code) in order.iter().enumerate() {
                    rank[code as usize] = r as u32;
                }
                rank
            })
            .collect();
        // Subsets from the full breakdown down to the grand total.
        let mut subsets: Vec<u32> = (0..(1u32 << k)).collect();
        subsets.sort_by_key(|s| std::cmp::Reverse((s.count_ones(), *s)));
        let mut keys: Vec<Vec<Option<u32>>> = Vec::new();
        let mut cell_to_group = Vec::new();
        for s in subsets {
            let in_subset = |j: usize| s >> (k - 1 - j) & 1 == 1;
            // Cells in the label order of the subset's columns: ranks compared column by column,
            // as one mixed-radix number when the combinations fit in 64 bits.
            let order: Vec<u32> = if product.is_some() {
                let mut order: Vec<(u64, u32)> = (0..n_cells)
                    .map(|ci| {
                        let key = (0..k)
                            .filter(|&j| in_subset(j))
                            .fold(0u64, |a, j| a * cards[j] + ranks[j][cell_codes[ci * k + j] as usize] as u64);
                        (key, ci as u32)
                    })
                    .collect();
                order.sort_unstable();
                order.into_iter().map(|(_, ci)| ci).collect()
            } else {
                let rank_key = |ci: usize| -> Vec<u32> {
                    (0..k).filter(|&j| in_subset(j)).map(|j| ranks[j][cell_codes[ci * k + j] as usize]).collect()
                };
                let mut order: Vec<(Vec<u32>, u32)> = (0..n_cells).map(|ci| (rank_key(ci), ci as u32)).collect();
                order.sort_unstable();
                order.into_iter().map(|(_, ci)| ci).collect()
            };
            let same_group = |a: usize, b: usize| (0..k).all(|j| !in_subset(j) || cell_codes[a * k + j] == cell_codes[b * k + j]);
            let mut map = vec![0u32; n_cells];
            let mut previous: Option<usize> = None;
            for &ci in &order {
                let ci = ci as usize;
                if !previous.is_some_and(|p| same_group(p, ci)) {
                    keys.push((0..k).map(|j| in_subset(j).then(|| cell_codes[ci * k + j])).collect());
                    previous = Some(ci);
                }
                map[ci] = (keys.len() - 1) as u32;
            }
            cell_to_group.push(map);
        }
        Groups { cell, strides, cell_to_group, keys }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn n_cells(&self) -> usize {
        self.cell_to_group.first().map_or(0, Vec::len)
    }

    /// The finest cell of record `i`.
    #[inline]
    pub fn cell_of(&self, ds: &Dataset, i: usize) -> usize {
        if self.cell.is_empty() {
            let mut c = 0;
            for (col, &s) in ds.by.iter().zip(&self.strides) {
                c += col.codes[i] as usize * s;
            }
            c
        } else {
            self.cell[i] as usize
        }
    }

    /// The groups record `i` belongs to, one per subset.
    #[inline]
    pub fn of<'a>(&'a self, ds: &Dataset, i: usize) -> impl Iterator<Item = usize> + 'a {
        let c = self.cell_of(ds, i);
        self.cell_to_group.iter().map(move |m| m[c] as usize)
    }
}

/// Label codes in label (byte) order: sorted on their first 16 bytes as one number, then
/// runs sharing those bytes by the whole label (a village breakdown has 100,000s of labels).
fn label_order(labels: &[String]) -> Vec<u32> {
    let prefix = |s: &str| {
        let (b, mut k) = (s.as_bytes(), [0u8; 16]);
        let n = b.len().min(16);
        k[..n].copy_from_slice(&b[..n]);
        u128::from_be_bytes(k)
    };
    let mut keyed: Vec<(u128, u32)> = labels.iter().enumerate().map(|(i, l)| (prefix(l), i as u32)).collect();
    keyed.sort_unstable();
    let mut start = 0;
    while start < keyed.len() {
        let end = start + keyed[start..].iter().take_while(|k| k.0 == keyed[start].0).count();
        if end - start > 1 {
            keyed[start..end].sort_unstable_by(|a, b| labels[a.1 as usize].cmp(&labels[b.1 as usize]));
        }
        start = end;
    }
    keyed.into_iter().map(|k| k.1).collect()
}

/// The cores the engine uses (at most 8: the passes are memory-bound beyond that).
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(8)
}

/// Below this many records an ordered pass runs on one core.
const PARALLEL_MIN: usize = 1 << 18;

/// An order-preserving key: unsigned order of the keys is `f64::total_cmp` order.
#[inline]
pub(crate) fn order_key(y: f64) -> u64 {
    let b = y.to_bits();
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
}

/// Record indices in ascending welfare order (ties in file order).
pub fn welfare_order(welfare: &[f64]) -> Vec<u32> {
    let index: Vec<u32> = (0..welfare.len() as u32).collect();
    sort_records(welfare, &vec![0.0; welfare.len()], &index).into_iter().map(|r| r.2).collect()
}

/// `(welfare, weight, tag)` of every record, in ascending welfare order (ties in file order).
///
/// An LSD radix sort on the order-preserving bit pattern of each value (six 11-bit digits,
/// all counted in one reading; a digit every record shares is skipped) that moves the weight and the tag (the record's cell)
/// with the key, so that the ordered passes read memory sequentially and nothing is gathered
/// from the columns at random afterwards. With several cores, each sorts a contiguous share
/// of the records and the sorted shares are merged (ties go to the earlier share, so the
/// order is the one one core gives).
pub fn sort_records(welfare: &[f64], weight: &[f64], tag: &[u32]) -> Vec<(f64, f64, u32)> {
    let n = welfare.len();
    let t = threads();
    let runs: Vec<Vec<Rec>> = if t < 2 || n < PARALLEL_MIN {
        vec![radix_sort(welfare, weight, tag)]
    } else {
        let share = n.div_ceil(t);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..t)
                .map(|k| {
                    let (lo, hi) = ((k * share).min(n), ((k + 1) * share).min(n));
                    s.spawn(move || radix_sort(&welfare[lo..hi], &weight[lo..hi], &tag[lo..hi]))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
        })
    };
    merge_runs(runs)
}

/// As [`sort_records`], for records kept in parts (in file order, one per core): each part is
/// sorted on its own core and freed, then the sorted parts are merged.
pub(crate) fn sort_parts(parts: Vec<(Vec<f64>, Vec<f64>, Vec<u32>)>) -> Vec<(f64, f64, u32)> {
    let runs: Vec<Vec<Rec>> = std::thread::scope(|s| {
        let handles: Vec<_> = parts.into_iter().map(|(y, w, t)| s.spawn(move || radix_sort(&y, &w, &t))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    });
    merge_runs(runs)
}

/// Merges sorted runs (in file order) into one, as tuples.
fn merge_runs(mut runs: Vec<Vec<Rec>>) -> Vec<(f64, f64, u32)> {
    // Merge neighbouring runs until one is left, the merges of a round side by side.
    while runs.len() > 1 {
        let mut pairs = Vec::new();
        let mut rest = runs.into_iter();
        while let Some(a) = rest.next() {
            pairs.push((a, rest.next()));
        }
        runs = std::thread::scope(|s| {
            let handles: Vec<_> = pairs.into_iter().map(|(a, b)| s.spawn(move || if let Some(b) = b { merge(a, b) } else { a })).collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
        });
    }
    let sorted = runs.pop().unwrap_or_default();
    sorted.into_iter().map(|r| (from_order_key(r.key), r.weight, r.tag)).collect()
}

/// A record in the sort: the order key of its welfare, its weight and its tag.
#[derive(Clone, Copy, Default)]
struct Rec {
    key: u64,
    weight: f64,
    tag: u32,
}

/// The welfare value of an order key.
#[inline]
fn from_order_key(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// Merges two sorted runs; on equal keys the first run's record comes first.
fn merge(a: Vec<Rec>, b: Vec<Rec>) -> Vec<Rec> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if b[j].key < a[i].key {
            out.push(b[j]);
            j += 1;
        } else {
            out.push(a[i]);
            i += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Sorts one share of the records by welfare (stable).
fn radix_sort(welfare: &[f64], weight: &[f64], tag: &[u32]) -> Vec<Rec> {
    let n = welfare.len();
    let mut recs: Vec<Rec> =
        welfare.iter().zip(weight).zip(tag).map(|((&y, &weight), &tag)| Rec { key: order_key(y), weight, tag }).collect();
    if n < 1 << 16 {
        recs.sort_by_key(|r| r.key); // stable
        return recs;
    }
    // Every digit's counts in one reading, then one scatter per digit the keys do not share.
    const BITS: u32 = 11;
    const DIGITS: usize = 64usize.div_ceil(BITS as usize);
    const MASK: u64 = (1 << BITS) - 1;
    let mut counts = vec![[0usize; 1 << BITS]; DIGITS];
    for r in &recs {
        for (d, c) in counts.iter_mut().enumerate() {
            c[((r.key >> (d as u32 * BITS)) & MASK) as usize] += 1;
        }
    }
    let mut other = vec![Rec::default(); n];
    for (d, count) in counts.iter_mut().enumerate() {
        if count.contains(&n) {
            continue; // every key has the same digit here: nothing to move
        }
        let shift = d as u32 * BITS;
        let mut pos = 0;
        for c in count.iter_mut() {
            let next = pos + *c;
            *c = pos;
            pos = next;
        }
        for r in &recs {
            let k = ((r.key >> shift) & MASK) as usize;
            other[count[k]] = *r;
            count[k] += 1;
        }
        std::mem::swap(&mut recs, &mut other);
    }
    recs
}

/// Weighted quantiles as R `laeken::weightedQuantile` computes them (the reference for
/// Eurostat indicators), found while walking a group's records in ascending order: for p in
/// (0, 1), the first value whose cumulative weight share exceeds p; for p = 0 the smallest
/// value, for p = 1 the largest. (laeken's code also has a branch averaging two values when
/// the share equals p exactly, but it can never be reached after its strict comparison.)
#[derive(Debug, Clone)]
pub struct QuantileTracker {
    next: usize,
    cum: f64,
    /// Below this cumulative weight the next quantile is certainly not reached, so the exact
    /// test (a division, as laeken makes it) is skipped.
    bound: f64,
    first: bool,
    pub values: Vec<f64>,
    last: f64,
}

impl QuantileTracker {
    pub fn new(n_probs: usize) -> Self {
        QuantileTracker { next: 0, cum: 0.0, bound: 0.0, first: true, values: vec![f64::NAN; n_probs], last: f64::NAN }
    }

    /// A cumulative weight at or under which `cum / total > p` is false for the next p: p × total
    /// less a margin far above the rounding of the product and the quotient.
    fn bound(&self, probs: &[f64], total: f64) -> f64 {
        match probs.get(self.next) {
            Some(&p) if p < 1.0 => p * total * (1.0 - 1e-12),
            _ => f64::INFINITY,
        }
    }

    #[inline]
    pub fn push(&mut self, probs: &[f64], total: f64, y: f64, w: f64) {
        if self.first {
            self.first = false;
            while self.next < probs.len() && probs[self.next] == 0.0 {
                self.values[self.next] = y;
                self.next += 1;
            }
            self.bound = self.bound(probs, total);
        }
        self.cum += w;
        self.last = y;
        if self.cum <= self.bound {
            return;
        }
        let rw = self.cum / total;
        while self.next < probs.len() && probs[self.next] < 1.0 && rw > probs[self.next] {
            self.values[self.next] = y;
            self.next += 1;
        }
        self.bound = self.bound(probs, total);
    }

    /// Fills p = 1 (the largest value) at the end of the group.
    pub fn finish(&mut self, probs: &[f64]) {
        for (i, &p) in probs.iter().enumerate() {
            if p == 1.0 || (self.values[i].is_nan() && !self.last.is_nan()) {
                self.values[i] = self.last;
            }
        }
    }
}

/// Weighted quantiles of a whole vector (tests and small inputs).
pub fn weighted_quantiles(x: &[f64], w: &[f64], probs: &[f64]) -> Vec<f64> {
    let order = welfare_order(x);
    let total: f64 = w.iter().sum();
    let mut t = QuantileTracker::new(probs.len());
    for &i in &order {
        t.push(probs, total, x[i as usize], w[i as usize]);
    }
    t.finish(probs);
    t.values
}

#[cfg(test)]
mod tests {
    #[test]
    fn labels_order_as_their_bytes() {
        let labels: Vec<String> =
            ["b", "a", "abcdefghijklmnopqrs", "abcdefghijklmnopq", "", "a\u{0}", "abcdefghijklmnopqr", "中", "Z", "aa"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        let mut expected: Vec<u32> = (0..labels.len() as u32).collect();
        expected.sort_by(|&a, &b| labels[a as usize].cmp(&labels[b as usize]));
        assert_eq!(super::label_order(&labels), expected);
    }

    use super::*;

    #[test]
    fn radix_order_equals_comparison_order() {
        let mut x = 0x1234_5678_9abc_def0u64;
        let ys: Vec<f64> = (0..300_000)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                match i % 7 {
                    0 => -((x % 1000) as f64),
                    1 => 0.0,
                    2 => (x % 50) as f64, // many ties
                    _ => (x % 1_000_000) as f64 / 7.0,
                }
            })
            .collect();
        let mut expected: Vec<u32> = (0..ys.len() as u32).collect();
        expected.sort_by(|&a, &b| ys[a as usize].total_cmp(&ys[b as usize]).then(a.cmp(&b)));
        assert_eq!(welfare_order(&ys), expected);
        // The values come back from their keys bit for bit (negative, zero, fractions).
        let tags: Vec<u32> = (0..ys.len() as u32).collect();
        let sorted = sort_records(&ys, &ys, &tags);
        assert!(sorted.iter().zip(&expected).all(|(r, &i)| r.0.to_bits() == ys[i as usize].to_bits() && r.1 == ys[i as usize] && r.2 == i));
    }

    #[test]
    fn quantiles_follow_laeken() {
        // Values from R: laeken::weightedMedian(1:4) == 3; weightedMedian(1:3, c(1, 1, 2)) == 3.
        assert_eq!(weighted_quantiles(&[1.0, 2.0, 3.0, 4.0], &[1.0; 4], &[0.5]), [3.0]);
        assert_eq!(weighted_quantiles(&[3.0, 1.0, 2.0], &[1.0; 3], &[0.5]), [2.0]);
        assert_eq!(weighted_quantiles(&[1.0, 2.0, 3.0], &[1.0, 1.0, 2.0], &[0.5]), [3.0]);
        assert_eq!(weighted_quantiles(&[1.0, 2.0, 3.0], &[1.0, 1.0, 5.0], &[0.0, 0.5, 1.0]), [1.0, 3.0, 3.0]);
        assert_eq!(weighted_quantiles(&[5.0, 1.0, 4.0, 2.0, 3.0], &[1.0; 5], &[0.2, 0.8]), [2.0, 5.0]);
    }
}
