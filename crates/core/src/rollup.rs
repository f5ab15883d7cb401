//! The full roll-up of additive figures in memory: every leaf value added into each of its
//! ancestors (township, county, prefecture, province, nation) and each margin of its cell
//! (totals over sex, over urban/rural, over both). Dense arrays indexed by (area, series, cell)
//! and no hashing or sorting — the reason it beats a SQL `GROUP BY ROLLUP … CUBE` over the same
//! rows (see BENCHMARKS.md). Level by level: each leaf is added (with its margins) into its
//! parent's row only, by as many threads as there are cores over parts of the leaves; then each
//! area's row is added into its parent's, deepest areas first. A village's value so costs its
//! margins, not its margins times its five ancestors.
//!
//! Ratios are finished from the summed terms afterwards (never summed themselves).

/// Areas as a forest: parent of each area (by index), `None` for roots.
#[derive(Debug, Clone)]
pub struct Hierarchy {
    parent: Vec<Option<u32>>,
    /// Index of each area among the areas that have children (the output rows), if any.
    slot: Vec<Option<u32>>,
    slots: u32,
}

impl Hierarchy {
    pub fn new(parent: Vec<Option<u32>>) -> Hierarchy {
        let mut has_children = vec![false; parent.len()];
        for p in parent.iter().flatten() {
            has_children[*p as usize] = true;
        }
        let mut slot = vec![None; parent.len()];
        let mut n = 0;
        for (i, h) in has_children.iter().enumerate() {
            if *h {
                slot[i] = Some(n);
                n += 1;
            }
        }
        Hierarchy { parent, slot, slots: n }
    }

    /// The area of each output slot.
    pub fn slot_areas(&self) -> Vec<u32> {
        let mut out = vec![0; self.slots as usize];
        for (i, s) in self.slot.iter().enumerate() {
            if let Some(s) = s {
                out[*s as usize] = i as u32;
            }
        }
        out
    }
}

/// The cells of a breakdown by D dimensions with `sizes[d]` codes each: mixed-radix indices
/// over (code or total) per dimension; the total of a dimension is index `sizes[d]`.
#[derive(Debug, Clone)]
pub struct CellSpace {
    sizes: Vec<u32>,
}

impl CellSpace {
    pub fn new(sizes: Vec<u32>) -> Self {
        CellSpace { sizes }
    }

    pub fn len(&self) -> usize {
        self.sizes.iter().map(|s| (s + 1) as usize).product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Index of a cell from its codes (`sizes[d]` for the total over d).
    pub fn index(&self, codes: &[u32]) -> u32 {
        codes.iter().zip(&self.sizes).fold(0, |acc, (c, s)| acc * (s + 1) + c)
    }

    /// The cell and every margin it contributes to (2^D cells for a fully broken-down leaf).
    pub fn margins(&self, codes: &[u32]) -> Vec<u32> {
        let d = self.sizes.len();
        let mut out = Vec::with_capacity(1 << d);
        for mask in 0u32..(1 << d) {
            let c: Vec<u32> = (0..d).map(|i| if mask & (1 << i) != 0 { self.sizes[i] } else { codes[i] }).collect();
            out.push(self.index(&c));
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// One leaf value: area index, series (e.g. indicator × period), cell codes by index.
#[derive(Debug, Clone, Copy)]
pub struct Leaf {
    pub area: u32,
    pub series: u32,
    pub cell: u32,
    pub value: f64,
}

/// Sums and contributing-leaf counts per (slot, series, cell).
#[derive(Debug, Clone)]
pub struct RollupResult {
    pub series: usize,
    pub cells: usize,
    pub sums: Vec<f64>,
    pub counts: Vec<u32>,
}

impl RollupResult {
    pub fn get(&self, slot: u32, series: u32, cell: u32) -> Option<f64> {
        let i = (slot as usize * self.series + series as usize) * self.cells + cell as usize;
        (self.counts[i] > 0).then(|| self.sums[i])
    }
}

/// Adds every leaf into its ancestors and cell margins (see the module's description).
pub fn rollup(h: &Hierarchy, series: usize, space: &CellSpace, leaves: &[Leaf]) -> RollupResult {
    let cells = space.len();
    let row = series * cells;
    let n = h.slots as usize * row;
    let margins: Vec<Vec<u32>> = (0..cells as u32).map(|c| space.margins(&decode(space, c))).collect();
    // 1. Each leaf into its parent's row, the leaves shared out between threads (each with
    //    rows of its own, added together afterwards).
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).clamp(1, 8).min(leaves.len().div_ceil(1 << 20).max(1));
    let direct = |part: &[Leaf]| {
        let mut sums = vec![0.0; n];
        let mut counts = vec![0u32; n];
        for l in part {
            let Some(p) = h.parent[l.area as usize] else { continue };
            let Some(slot) = h.slot[p as usize] else { continue };
            let base = slot as usize * row + l.series as usize * cells;
            for &m in &margins[l.cell as usize] {
                sums[base + m as usize] += l.value;
                counts[base + m as usize] += 1;
            }
        }
        (sums, counts)
    };
    let (mut sums, mut counts) = if threads == 1 {
        direct(leaves)
    } else {
        let parts: Vec<(Vec<f64>, Vec<u32>)> = std::thread::scope(|sc| {
            let hs: Vec<_> = leaves.chunks(leaves.len().div_ceil(threads)).map(|part| sc.spawn(move || direct(part))).collect();
            hs.into_iter().map(|h| h.join().expect("roll-up thread")).collect()
        });
        let mut it = parts.into_iter();
        let (mut sums, mut counts) = it.next().unwrap_or_else(|| (vec![0.0; n], vec![0; n]));
        for (s, c) in it {
            sums.iter_mut().zip(&s).for_each(|(a, b)| *a += b);
            counts.iter_mut().zip(&c).for_each(|(a, b)| *a += b);
        }
        (sums, counts)
    };
    // 2. Each area's row into its parent's, deepest first (a child's row is complete before
    //    it is added).
    let slot_areas = h.slot_areas();
    let depth = |mut a: u32| {
        let mut d = 0u32;
        while let Some(p) = h.parent[a as usize] {
            d += 1;
            a = p;
        }
        d
    };
    let mut order: Vec<(u32, u32)> = slot_areas.iter().enumerate().map(|(slot, &area)| (depth(area), slot as u32)).collect();
    order.sort_unstable_by(|a, b| b.cmp(a));
    for (_, slot) in order {
        let area = slot_areas[slot as usize];
        let Some(p) = h.parent[area as usize] else { continue };
        let Some(ps) = h.slot[p as usize] else { continue };
        let (from, to) = (slot as usize * row, ps as usize * row);
        // Distinct rows of one array: split it so that both can be borrowed.
        let (src_s, dst_s, src_c, dst_c) = if from < to {
            let (a, b) = sums.split_at_mut(to);
            let (c, d) = counts.split_at_mut(to);
            (&a[from..from + row], &mut b[..row], &c[from..from + row], &mut d[..row])
        } else {
            let (a, b) = sums.split_at_mut(from);
            let (c, d) = counts.split_at_mut(from);
            (&b[..row], &mut a[to..to + row], &d[..row], &mut c[to..to + row])
        };
        dst_s.iter_mut().zip(src_s).for_each(|(d, s)| *d += s);
        dst_c.iter_mut().zip(src_c).for_each(|(d, s)| *d += s);
    }
    RollupResult { series, cells, sums, counts }
}

fn decode(space: &CellSpace, mut c: u32) -> Vec<u32> {
    let mut out = vec![0; space.sizes.len()];
    for (i, s) in space.sizes.iter().enumerate().rev() {
        out[i] = c % (s + 1);
        c /= s + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_reach_every_ancestor_and_margin() {
        // nation 0 ← provinces 1, 2 ← counties 3, 4 (in 1) and 5 (in 2)
        let h = Hierarchy::new(vec![None, Some(0), Some(0), Some(1), Some(1), Some(2)]);
        let space = CellSpace::new(vec![2, 2]); // sex (F, M) × urban/rural (U, R)
        assert_eq!(space.len(), 9);
        assert_eq!(space.margins(&[0, 1]), vec![space.index(&[0, 1]), space.index(&[0, 2]), space.index(&[2, 1]), space.index(&[2, 2])]);
        let leaves = [
            Leaf { area: 3, series: 0, cell: space.index(&[0, 0]), value: 1.0 },
            Leaf { area: 3, series: 0, cell: space.index(&[1, 0]), value: 2.0 },
            Leaf { area: 4, series: 0, cell: space.index(&[0, 1]), value: 4.0 },
            Leaf { area: 5, series: 1, cell: space.index(&[1, 1]), value: 8.0 },
        ];
        let r = rollup(&h, 2, &space, &leaves);
        let slots = h.slot_areas();
        let slot = |area: u32| slots.iter().position(|a| *a == area).unwrap() as u32;
        let total = space.index(&[2, 2]);
        assert_eq!(r.get(slot(1), 0, total), Some(7.0));
        assert_eq!(r.get(slot(0), 0, total), Some(7.0));
        assert_eq!(r.get(slot(0), 0, space.index(&[0, 2])), Some(5.0), "women, both areas");
        assert_eq!(r.get(slot(0), 1, total), Some(8.0));
        assert_eq!(r.get(slot(2), 0, total), None, "nothing reported under province 2 for series 0");
        assert_eq!(r.get(slot(1), 0, space.index(&[1, 1])), None);
    }

    /// Five levels below the nation (as villages under townships, counties, prefectures and
    /// provinces), leaves at villages and at some higher areas, enough leaves for several
    /// threads: every sum and count equals the one added leaf by leaf into every ancestor.
    #[test]
    fn level_by_level_equals_every_ancestor_one_by_one() {
        let mut parent = vec![None];
        let mut level = vec![0u32];
        for depth in 1..=5u32 {
            let above: Vec<u32> = (0..parent.len() as u32).filter(|a| level[*a as usize] == depth - 1).collect();
            for (i, p) in above.iter().enumerate() {
                for _ in 0..(2 + (i % 3)) {
                    parent.push(Some(*p));
                    level.push(depth);
                }
            }
        }
        let h = Hierarchy::new(parent.clone());
        let space = CellSpace::new(vec![2, 2]);
        let series = 7;
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let areas = parent.len() as u64;
        let leaves: Vec<Leaf> = (0..2_500_000)
            .map(|_| Leaf {
                area: (next() % areas) as u32,
                series: (next() % series as u64) as u32,
                cell: space.index(&[(next() % 3) as u32, (next() % 3) as u32]),
                value: (next() % 10_000) as f64 / 100.0,
            })
            .collect();
        let r = rollup(&h, series, &space, &leaves);
        // Leaf by leaf into every ancestor.
        let cells = space.len();
        let mut sums = vec![0.0; h.slots as usize * series * cells];
        let mut counts = vec![0u32; sums.len()];
        for l in &leaves {
            let margins = space.margins(&decode(&space, l.cell));
            let mut a = parent[l.area as usize];
            while let Some(p) = a {
                let base = (h.slot[p as usize].unwrap() as usize * series + l.series as usize) * cells;
                for m in &margins {
                    sums[base + *m as usize] += l.value;
                    counts[base + *m as usize] += 1;
                }
                a = parent[p as usize];
            }
        }
        assert_eq!(r.counts, counts);
        for (got, want) in r.sums.iter().zip(&sums) {
            assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0), "{got} vs {want}");
        }
        assert!(counts[0] > 0);
    }
}
