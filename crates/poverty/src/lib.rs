//! Poverty and inequality measures from household or person microdata.
//!
//! The engine reads only the columns it needs (CSV or Parquet) into memory as plain vectors,
//! then computes every requested measure for every group of a breakdown and all its margins
//! in a few linear passes: one pass in file order for additive measures (FGT, Watts, mean,
//! Theil, MLD, rates) and one pass in welfare order for order statistics (quantiles, Gini).
//! Conventions are parameters, with the defaults of R `laeken` (Eurostat): poor if y < z,
//! Eurostat weighted quantiles, relative lines computed over the whole population.
//!
//! Files larger than memory (Parquet) are computed in passes over the file ([`stream`]),
//! with the same results.
//!
//! No I/O here beyond reading the input file: storing results is the caller's business.

mod csv_in;
pub mod data;
pub mod decompose;
pub mod disclosure;
pub mod measures;
pub mod mpi;
mod passes;
#[cfg(feature = "parquet")]
pub mod stream;
mod variance;

pub use data::{Dataset, LoadSpec, Negative};
pub use measures::{Conventions, Line, Measure, PoorIf, Request, ResultRow, compute};
pub use mpi::{Missing, MissingCount, MpiSpec, compute_mpi, compute_mpi_report};
pub use passes::weighted_quantiles;
#[cfg(feature = "parquet")]
pub use stream::{StreamReport, compute_streamed};

/// Errors from loading data or computing measures.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{file}: {message}")]
    Input { file: String, message: String },
    #[error("{file}, row {row}, column {column}: found {value:?}, expected {expected}")]
    Value { file: String, row: u64, column: String, value: String, expected: String },
    #[error("invalid request: {0}")]
    Request(String),
    #[error("invalid MPI specification: {0}")]
    Spec(String),
    #[error("cannot read {0}: {1}")]
    Io(String, std::io::Error),
}

pub type Result<T> = std::result::Result<T, EngineError>;

/// The code of a margin ("all values of this column") in results.
pub const TOTAL: &str = "_T";
