//! A disaggregation cell: one code per dimension of an indicator.
//!
//! Totals (`_T`) are left out, so the cell of a national total is empty and an indicator
//! that gains a dimension later keeps the keys of its old observations. The canonical key
//! `|SEX=F|URBANISATION=R|` (dimensions sorted) is what storage indexes and filters on.

use crate::codelist::TOTAL;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Cell(BTreeMap<String, String>);

impl Cell {
    pub fn total() -> Self {
        Cell::default()
    }

    /// Sets a dimension's code; `_T` removes it (totals are implicit).
    pub fn set(&mut self, dimension: &str, code: &str) {
        if code == TOTAL {
            self.0.remove(dimension);
        } else {
            self.0.insert(dimension.to_string(), code.to_string());
        }
    }

    pub fn with(mut self, dimension: &str, code: &str) -> Self {
        self.set(dimension, code);
        self
    }

    /// The code for a dimension, `_T` when not broken down by it.
    pub fn get(&self, dimension: &str) -> &str {
        self.0.get(dimension).map_or(TOTAL, String::as_str)
    }

    pub fn is_total(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The canonical storage key: empty for the total, else `|DIM=CODE|...|`.
    pub fn key(&self) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        let mut k = String::from("|");
        for (d, c) in &self.0 {
            k.push_str(d);
            k.push('=');
            k.push_str(c);
            k.push('|');
        }
        k
    }

    /// Parses a key made by [`Cell::key`].
    pub fn from_key(key: &str) -> Option<Self> {
        let mut cell = Cell::default();
        for part in key.split('|').filter(|p| !p.is_empty()) {
            let (d, c) = part.split_once('=')?;
            cell.set(d, c);
        }
        Some(cell)
    }

    /// The fragment a key contains when the cell has `code` for `dimension` (not for `_T`).
    pub fn key_fragment(dimension: &str, code: &str) -> String {
        format!("|{dimension}={code}|")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_canonical_and_omits_totals() {
        let a = Cell::total().with("URBANISATION", "R").with("SEX", "F").with("AGE", "_T");
        let b = Cell::total().with("SEX", "F").with("URBANISATION", "R");
        assert_eq!(a.key(), "|SEX=F|URBANISATION=R|");
        assert_eq!(a, b);
        assert_eq!(Cell::from_key(&a.key()).unwrap(), a);
        assert_eq!(Cell::total().key(), "");
        assert_eq!(a.get("AGE"), "_T");
        assert!(a.key().contains(&Cell::key_fragment("SEX", "F")));
    }
}
