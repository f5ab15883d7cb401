//! Disclosure control for published results: primary suppression of cells resting on too
//! few records, then secondary suppression so that no suppressed cell can be recovered from
//! its margin and its siblings.

use crate::TOTAL;
use rightstat_core::disclosure::{Line, secondary};
use std::collections::HashMap;

/// A result cell: its keys (one per breakdown column, `_T` for a margin) and record count.
#[derive(Debug, Clone)]
pub struct Cell {
    pub keys: Vec<String>,
    pub n_obs: u64,
}

/// Returns, for each cell, whether it must be suppressed.
///
/// Primary: fewer than `min_records` records. Secondary: along every breakdown column, the
/// cells that differ only in that column add up to their margin (`_T` in that column); the
/// shared rule (`rightstat_core::disclosure::secondary`) withholds more cells until no line
/// lets a suppressed one be computed.
pub fn suppress(cells: &[Cell], min_records: u64) -> Vec<bool> {
    let mut out: Vec<bool> = cells.iter().map(|c| c.n_obs < min_records).collect();
    let k = cells.first().map_or(0, |c| c.keys.len());
    let index: HashMap<&[String], usize> = cells.iter().enumerate().map(|(i, c)| (c.keys.as_slice(), i)).collect();
    let mut lines: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut all = Vec::new();
    for col in 0..k {
        lines.clear();
        for (i, c) in cells.iter().enumerate().filter(|(_, c)| c.keys[col] != TOTAL) {
            let mut margin = c.keys.clone();
            margin[col] = TOTAL.to_string();
            if let Some(&m) = index.get(margin.as_slice()) {
                lines.entry(m).or_default().push(i);
            }
        }
        all.extend(lines.drain().filter(|(_, members)| members.len() > 1).map(|(margin, members)| Line { margin, members }));
    }
    all.sort_by_key(|l| l.margin);
    let size: Vec<f64> = cells.iter().map(|c| c.n_obs as f64).collect();
    secondary(&all, &size, &mut out);
    out
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
