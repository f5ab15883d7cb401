//! Disclosure control for published results: primary suppression of cells resting on too
//! few records, then secondary suppression so that no suppressed cell can be recovered from
//! its margin and its siblings.

use crate::TOTAL;

/// A result cell: its keys (one per breakdown column, `_T` for a margin) and record count.
#[derive(Debug, Clone)]
pub struct Cell {
    pub keys: Vec<String>,
    pub n_obs: u64,
}

/// Returns, for each cell, whether it must be suppressed.
///
/// Primary: fewer than `min_records` records. Secondary: along every breakdown column, the
/// cells that differ only in that column and their margin (`_T` in that column) form a
/// line; a line with exactly one suppressed non-margin cell would let it be computed from
/// the margin and the others, so the smallest other cell of the line is suppressed too.
/// Repeated until nothing changes.
pub fn suppress(cells: &[Cell], min_records: u64) -> Vec<bool> {
    let mut out: Vec<bool> = cells.iter().map(|c| c.n_obs < min_records).collect();
    let k = cells.first().map_or(0, |c| c.keys.len());
    loop {
        let mut changed = false;
        for col in 0..k {
            // Group the cells into lines: same keys except in `col`.
            let mut lines: std::collections::HashMap<Vec<&str>, Vec<usize>> = Default::default();
            for (i, c) in cells.iter().enumerate() {
                let key: Vec<&str> = c.keys.iter().enumerate().map(|(j, s)| if j == col { "" } else { s.as_str() }).collect();
                lines.entry(key).or_default().push(i);
            }
            for members in lines.values() {
                let inner: Vec<usize> = members.iter().copied().filter(|&i| cells[i].keys[col] != TOTAL).collect();
                let has_margin = members.iter().any(|&i| cells[i].keys[col] == TOTAL);
                let suppressed = inner.iter().filter(|&&i| out[i]).count();
                if has_margin && suppressed == 1 && inner.len() > 1 {
                    if let Some(&j) = inner.iter().filter(|&&i| !out[i]).min_by_key(|&&i| cells[i].n_obs) {
                        out[j] = true;
                        changed = true;
                    }
                }
            }
        }
        if !changed {
            return out;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(keys: &[&str], n: u64) -> Cell {
        Cell { keys: keys.iter().map(|s| s.to_string()).collect(), n_obs: n }
    }

    #[test]
    fn a_lone_small_cell_takes_a_sibling_with_it() {
        let cells = [
            cell(&["A", "F"], 2),
            cell(&["A", "M"], 50),
            cell(&["A", "_T"], 52),
            cell(&["B", "F"], 40),
            cell(&["B", "M"], 45),
            cell(&["B", "_T"], 85),
            cell(&["_T", "F"], 42),
            cell(&["_T", "M"], 95),
            cell(&["_T", "_T"], 137),
        ];
        let s = suppress(&cells, 5);
        // A×F is small; A×M goes with it (row A), then B×F (column F), then B×M (row B).
        assert_eq!(s, [true, true, false, true, true, false, false, false, false]);
        // No line keeps exactly one suppressed inner cell.
        assert!(!suppress(&[cell(&["A"], 10), cell(&["_T"], 10)], 5).iter().any(|&x| x));
    }
}
