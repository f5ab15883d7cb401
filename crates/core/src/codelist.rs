//! Codelists (SDMX style) used as disaggregation dimensions: SEX, AGE, URBANISATION, ...
//!
//! Codelists are data, loaded from `reference/codelists.toml` or added by administrators;
//! no code here names a particular dimension. Every codelist implicitly contains the total
//! `_T`, and `_Z` (not applicable).

use serde::{Deserialize, Serialize};

/// The SDMX code for "total over this dimension".
pub const TOTAL: &str = "_T";
/// The SDMX code for "not applicable".
pub const NOT_APPLICABLE: &str = "_Z";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Code {
    pub code: String,
    pub name_en: String,
    pub name_zh: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Codelist {
    /// The dimension's id, e.g. `SEX`; also the CSV column header for it.
    pub id: String,
    pub name_en: String,
    pub name_zh: String,
    #[serde(default)]
    pub description: String,
    pub codes: Vec<Code>,
}

impl Codelist {
    /// Does the list accept `code`? The total and not-applicable codes always are.
    pub fn accepts(&self, code: &str) -> bool {
        code == TOTAL || code == NOT_APPLICABLE || self.codes.iter().any(|c| c.code == code)
    }

    /// A short description of the allowed codes for error messages.
    pub fn expected(&self) -> String {
        let mut codes: Vec<&str> = self.codes.iter().map(|c| c.code.as_str()).collect();
        if codes.len() > 12 {
            let n = codes.len();
            codes.truncate(10);
            return format!("one of {}, ... ({n} codes) or {TOTAL}", codes.join(", "));
        }
        codes.push(TOTAL);
        format!("one of {}", codes.join(", "))
    }
}

/// Checks that ids and codes are unique and well formed.
pub fn check_codelists(lists: &[Codelist]) -> Result<(), String> {
    let mut ids = std::collections::HashSet::new();
    for l in lists {
        if !ids.insert(&l.id) {
            return Err(format!("codelist {} defined twice", l.id));
        }
        if l.id.is_empty() || !l.id.bytes().all(|b| b.is_ascii_uppercase() || b == b'_' || b.is_ascii_digit()) {
            return Err(format!("codelist id {:?} must be upper-case letters, digits and _", l.id));
        }
        let mut codes = std::collections::HashSet::new();
        for c in &l.codes {
            if c.code == TOTAL || c.code.contains(['|', '=', ' ']) || c.code.is_empty() {
                return Err(format!("codelist {}: code {:?} is reserved or malformed", l.id, c.code));
            }
            if !codes.insert(&c.code) {
                return Err(format!("codelist {}: code {} defined twice", l.id, c.code));
            }
        }
    }
    Ok(())
}
