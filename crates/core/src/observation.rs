//! Observation attributes: status (SDMX OBS_STATUS) and provenance.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// SDMX OBS_STATUS. `O` (missing) and `Q` (suppressed) carry no value; the others must.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ObsStatus {
    /// Normal value.
    A,
    /// Estimated.
    E,
    /// Provisional.
    P,
    /// Missing.
    O,
    /// Suppressed for confidentiality.
    Q,
}

impl ObsStatus {
    pub fn code(self) -> &'static str {
        match self {
            ObsStatus::A => "A",
            ObsStatus::E => "E",
            ObsStatus::P => "P",
            ObsStatus::O => "O",
            ObsStatus::Q => "Q",
        }
    }

    /// Whether an observation with this status must carry a value.
    pub fn needs_value(self) -> bool {
        !matches!(self, ObsStatus::O | ObsStatus::Q)
    }
}

impl FromStr for ObsStatus {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s.trim() {
            "" | "A" => Ok(ObsStatus::A),
            "E" => Ok(ObsStatus::E),
            "P" => Ok(ObsStatus::P),
            "O" => Ok(ObsStatus::O),
            "Q" => Ok(ObsStatus::Q),
            _ => Err(()),
        }
    }
}

impl fmt::Display for ObsStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What produced an observation: an import (file), a submission, a computation or the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProvenanceKind {
    Import,
    Submission,
    Computation,
    Reference,
}

impl ProvenanceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProvenanceKind::Import => "import",
            ProvenanceKind::Submission => "submission",
            ProvenanceKind::Computation => "computation",
            ProvenanceKind::Reference => "reference",
        }
    }
}
