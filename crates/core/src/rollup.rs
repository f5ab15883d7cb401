//! The full roll-up of additive figures in memory: every leaf value added, in one pass, into
//! each of its ancestors (prefecture, province, nation) and each margin of its cell (totals over
//! sex, over urban/rural, over both). Dense arrays indexed by (ancestor, series, cell) make it
//! a few additions per leaf, with no hashing and no sorting — the reason it beats a SQL
//! `GROUP BY ROLLUP … CUBE` over the same rows (see BENCHMARKS.md).
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

    /// Output slots of an area's ancestors, nearest first.
    fn ancestors(&self, area: u32) -> Vec<u32> {
        let mut out = Vec::new();
        let mut a = self.parent[area as usize];
        while let Some(p) = a {
            out.extend(self.slot[p as usize]);
            a = self.parent[p as usize];
        }
        out
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

/// Adds every leaf into its ancestors and cell margins. `cell_margins[c]` lists the cells a leaf
/// in cell `c` contributes to (from [`CellSpace::margins`]).
pub fn rollup(h: &Hierarchy, series: usize, space: &CellSpace, leaves: &[Leaf]) -> RollupResult {
    let cells = space.len();
    let n = h.slots as usize * series * cells;
    let mut sums = vec![0.0; n];
    let mut counts = vec![0u32; n];
    // Per-area ancestor lists and per-cell margin lists, computed once.
    let mut anc: Vec<Option<Vec<u32>>> = vec![None; h.parent.len()];
    let margins: Vec<Vec<u32>> = (0..cells as u32).map(|c| space.margins(&decode(space, c))).collect();
    for l in leaves {
        let a = anc[l.area as usize].get_or_insert_with(|| h.ancestors(l.area));
        for &slot in a.iter() {
            let base = (slot as usize * series + l.series as usize) * cells;
            for &m in &margins[l.cell as usize] {
                sums[base + m as usize] += l.value;
                counts[base + m as usize] += 1;
            }
        }
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
}
