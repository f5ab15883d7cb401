//! The RightStat domain model and its rules.
//!
//! Everything here is pure: no files, sockets or databases. Storage, the HTTP server and the
//! CLI build on these types, so a rule written here (an area code's shape, a period's
//! syntax, which aggregation an indicator may use) holds wherever data enters the system.

pub mod aggregate;
pub mod area;
pub mod cell;
pub mod codelist;
pub mod dialogue;
pub mod disclosure;
pub mod evaluation;
pub mod glossary;
pub mod indicator;
pub mod ingest;
pub mod lang;
pub mod measure;
pub mod observation;
pub mod period;
pub mod policy;
pub mod recommendation;
pub mod reference;
pub mod relevance;
pub mod retrogression;
pub mod rollup;
pub mod round;
pub mod text;
pub mod unit;
pub mod validation;

pub use area::{AreaCode, AreaLevel};
pub use cell::Cell;
pub use indicator::{Aggregation, Indicator, OhchrType, ValueType};
pub use observation::ObsStatus;
pub use period::{Period, Periodicity};
