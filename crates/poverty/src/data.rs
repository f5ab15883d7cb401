//! Loading the needed columns of a CSV or Parquet file into memory.

use crate::{EngineError, Result};
use std::collections::HashMap;
use std::path::Path;

/// Which columns to read and what they mean.
#[derive(Debug, Clone, Default)]
pub struct LoadSpec {
    /// Welfare (income or consumption per person or per equivalent adult).
    pub welfare: Option<String>,
    /// Sampling or expansion weight; 1 for every record when absent (a full registry).
    pub weight: Option<String>,
    /// Household size: with person weighting a household record counts `size` persons.
    pub size: Option<String>,
    /// Columns of the breakdown (categorical; any text).
    pub by: Vec<String>,
    /// Survey design, for standard errors.
    pub strata: Option<String>,
    pub psu: Option<String>,
    /// Extra numeric columns (MPI indicators).
    pub numeric: Vec<String>,
    /// A categorical column whose value selects a poverty line from a line file.
    pub line_key: Option<String>,
    /// Weight households by persons (`size`) (default) or count each record once.
    pub household_weighting: bool,
}

/// A categorical column, dictionary-encoded.
#[derive(Debug, Clone, Default)]
pub struct Categorical {
    pub name: String,
    pub codes: Vec<u32>,
    pub labels: Vec<String>,
}

impl Categorical {
    fn new(name: &str) -> Self {
        Categorical { name: name.to_string(), ..Default::default() }
    }
}

/// Builds a categorical column value by value.
#[derive(Default)]
struct Dict {
    index: rustc_hash::FxHashMap<String, u32>,
}

impl Dict {
    fn code(&mut self, col: &mut Categorical, v: &str) -> u32 {
        if let Some(&c) = self.index.get(v) {
            return c;
        }
        let c = col.labels.len() as u32;
        col.labels.push(v.to_string());
        self.index.insert(v.to_string(), c);
        c
    }
}

/// Categorical columns under construction: the column and its dictionary.
type Building = Option<(Categorical, Dict)>;

/// What both loaders fill while reading, and how it becomes a [`Dataset`].
struct Builder {
    ds: Dataset,
    dicts: Vec<Dict>,
    strata: Building,
    psu: Building,
    key: Building,
    nums: Vec<Vec<f64>>,
}

impl Builder {
    fn new(spec: &LoadSpec, name: &str) -> Builder {
        let building = |c: &Option<String>| c.as_deref().map(|n| (Categorical::new(n), Dict::default()));
        Builder {
            ds: Dataset { source: name.into(), by: spec.by.iter().map(|c| Categorical::new(c)).collect(), ..Default::default() },
            dicts: spec.by.iter().map(|_| Dict::default()).collect(),
            strata: building(&spec.strata),
            psu: building(&spec.psu),
            key: building(&spec.line_key),
            nums: spec.numeric.iter().map(|_| Vec::new()).collect(),
        }
    }

    fn finish(self, spec: &LoadSpec, name: &str) -> Result<Dataset> {
        let mut ds = self.ds;
        ds.n = ds.weight.len();
        ds.strata = self.strata.map(|b| b.0);
        ds.psu = self.psu.map(|b| b.0);
        ds.line_key = self.key.map(|b| b.0);
        ds.numeric = spec.numeric.iter().cloned().zip(self.nums).collect();
        if ds.n == 0 {
            return Err(EngineError::Input { file: name.into(), message: "no records".into() });
        }
        Ok(ds)
    }
}

/// The records, column by column.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub n: usize,
    pub welfare: Vec<f64>,
    /// Population weight of each record (weight × size under person weighting).
    pub weight: Vec<f64>,
    pub by: Vec<Categorical>,
    pub strata: Option<Categorical>,
    pub psu: Option<Categorical>,
    pub numeric: HashMap<String, Vec<f64>>,
    pub line_key: Option<Categorical>,
    /// Where the data came from, for messages and provenance.
    pub source: String,
}

/// What to do with negative welfare values (losses of self-employed households, say).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Negative {
    /// Use them as they are (laeken, wbpip): a negative income has a poverty gap above 1.
    #[default]
    Keep,
    /// Set them to zero: a gap of at most 1.
    Zero,
    /// Leave those records out.
    Drop,
}

impl Dataset {
    /// Applies a convention for negative welfare values; returns how many records it touched.
    pub fn handle_negative(&mut self, how: Negative) -> usize {
        let neg: Vec<bool> = self.welfare.iter().map(|&y| y < 0.0).collect();
        let count = neg.iter().filter(|&&b| b).count();
        match how {
            Negative::Keep => {}
            Negative::Zero => self.welfare.iter_mut().for_each(|y| *y = y.max(0.0)),
            Negative::Drop if count > 0 => {
                fn keep<T: Copy>(v: &mut Vec<T>, neg: &[bool]) {
                    let mut i = 0;
                    v.retain(|_| {
                        i += 1;
                        !neg[i - 1]
                    });
                }
                keep(&mut self.welfare, &neg);
                keep(&mut self.weight, &neg);
                for c in self.by.iter_mut().chain(self.strata.iter_mut()).chain(self.psu.iter_mut()).chain(self.line_key.iter_mut()) {
                    keep(&mut c.codes, &neg);
                }
                for v in self.numeric.values_mut() {
                    keep(v, &neg);
                }
                self.n = self.weight.len();
            }
            Negative::Drop => {}
        }
        count
    }
}

impl Dataset {
    /// Loads from `.csv` or `.parquet` (by extension). `progress` receives bytes (CSV) or
    /// rows (Parquet) read so far.
    pub fn load(path: &Path, spec: &LoadSpec, progress: &dyn Fn(u64)) -> Result<Dataset> {
        let name = path.display().to_string();
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("parquet") | Some("pq") => {
                #[cfg(feature = "parquet")]
                {
                    crate::data::parquet_in::load(path, spec, progress)
                }
                #[cfg(not(feature = "parquet"))]
                {
                    let _ = progress;
                    Err(EngineError::Input { file: name, message: "this build cannot read Parquet (feature `parquet` is off)".into() })
                }
            }
            _ => {
                let f = std::fs::File::open(path).map_err(|e| EngineError::Io(name.clone(), e))?;
                crate::csv_in::read(f, &name, spec, progress)
            }
        }
    }

    /// Loads from CSV text (row numbers in errors count the header as row 1).
    pub fn from_csv<R: std::io::Read>(reader: R, name: &str, spec: &LoadSpec) -> Result<Dataset> {
        crate::csv_in::read(reader, name, spec, &|_| {})
    }
}

#[cfg(feature = "parquet")]
pub(crate) mod parquet_in {
    use super::*;
    use arrow_array::{Array, ArrayRef, cast::AsArray};
    use arrow_schema::DataType;
    use parquet::arrow::ProjectionMask;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    pub(crate) fn nums(file: &str, col: &str, a: &ArrayRef, out: &mut Vec<f64>) -> Result<()> {
        nums_with(file, col, a, out, false)
    }

    /// As `nums`; with `nulls_missing`, a null is a missing value (NaN) rather than an error
    /// (MPI indicators, whose missing values the specification's rules handle).
    fn nums_with(file: &str, col: &str, a: &ArrayRef, out: &mut Vec<f64>, nulls_missing: bool) -> Result<()> {
        use arrow_array::types::*;
        macro_rules! push {
            ($t:ty) => {{
                let arr = a.as_primitive::<$t>();
                for i in 0..arr.len() {
                    if arr.is_null(i) {
                        if nulls_missing {
                            out.push(f64::NAN);
                            continue;
                        }
                        return Err(EngineError::Input { file: file.into(), message: format!("column {col:?} has a missing value") });
                    }
                    let v = arr.value(i) as f64;
                    // NaN and infinities are no data: the CSV reader refuses them too.
                    if !v.is_finite() {
                        return Err(EngineError::Value {
                            file: file.into(),
                            row: out.len() as u64 + 1,
                            column: col.into(),
                            value: v.to_string(),
                            expected: "a finite number".into(),
                        });
                    }
                    out.push(v);
                }
            }};
        }
        match a.data_type() {
            DataType::Float64 => push!(Float64Type),
            DataType::Float32 => push!(Float32Type),
            DataType::Int64 => push!(Int64Type),
            DataType::Int32 => push!(Int32Type),
            DataType::Int16 => push!(Int16Type),
            DataType::Int8 => push!(Int8Type),
            DataType::UInt32 => push!(UInt32Type),
            DataType::UInt8 => push!(UInt8Type),
            t => return Err(EngineError::Input { file: file.into(), message: format!("column {col:?} is {t}, expected a number") }),
        }
        Ok(())
    }

    fn cats(file: &str, col: &str, a: &ArrayRef, cat: &mut Categorical, dict: &mut Dict) -> Result<()> {
        use arrow_array::types::*;
        match a.data_type() {
            DataType::Utf8 => {
                let s = a.as_string::<i32>();
                for i in 0..s.len() {
                    let c = dict.code(cat, if s.is_null(i) { "" } else { s.value(i) });
                    cat.codes.push(c);
                }
            }
            DataType::LargeUtf8 => {
                let s = a.as_string::<i64>();
                for i in 0..s.len() {
                    let c = dict.code(cat, if s.is_null(i) { "" } else { s.value(i) });
                    cat.codes.push(c);
                }
            }
            DataType::Dictionary(k, v) if **k == DataType::Int32 && **v == DataType::Utf8 => {
                let d = a.as_dictionary::<Int32Type>();
                let values = d.values().as_string::<i32>();
                let local: Vec<u32> = (0..values.len()).map(|j| dict.code(cat, values.value(j))).collect();
                for i in 0..d.len() {
                    let c = if d.is_null(i) { dict.code(cat, "") } else { local[d.keys().value(i) as usize] };
                    cat.codes.push(c);
                }
            }
            _ => {
                let mut v = Vec::new();
                nums(file, col, a, &mut v)?;
                for x in v {
                    let c = dict.code(cat, &format!("{x}"));
                    cat.codes.push(c);
                }
            }
        }
        Ok(())
    }

    /// A reader of the file that returns the text columns among `categorical` as dictionary
    /// arrays (the values of each page once, then a code per record): a breakdown by village
    /// then hashes each village's name once per batch, not once per record.
    pub(crate) fn reader(
        f: std::fs::File,
        categorical: &[String],
    ) -> std::result::Result<ParquetRecordBatchReaderBuilder<std::fs::File>, parquet::errors::ParquetError> {
        use arrow_schema::{Field, Schema};
        use parquet::arrow::arrow_reader::ArrowReaderOptions;
        let plain = ParquetRecordBatchReaderBuilder::try_new(f.try_clone()?)?;
        let schema = plain.schema();
        if !schema.fields().iter().any(|f| categorical.contains(f.name()) && *f.data_type() == DataType::Utf8) {
            return Ok(plain);
        }
        let fields: Vec<Field> = schema
            .fields()
            .iter()
            .map(|f| {
                if categorical.contains(f.name()) && *f.data_type() == DataType::Utf8 {
                    Field::new(f.name(), DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)), f.is_nullable())
                } else {
                    f.as_ref().clone()
                }
            })
            .collect();
        let hinted = Schema::new_with_metadata(fields, schema.metadata().clone());
        ParquetRecordBatchReaderBuilder::try_new_with_options(f, ArrowReaderOptions::new().with_schema(std::sync::Arc::new(hinted)))
    }

    pub fn load(path: &Path, spec: &LoadSpec, progress: &dyn Fn(u64)) -> Result<Dataset> {
        let name = path.display().to_string();
        let err = |m: String| EngineError::Input { file: name.clone(), message: m };
        let f = std::fs::File::open(path).map_err(|e| EngineError::Io(name.clone(), e))?;
        let categorical: Vec<String> = spec.by.iter().chain(&spec.strata).chain(&spec.psu).chain(&spec.line_key).cloned().collect();
        let builder = reader(f, &categorical).map_err(|e| err(e.to_string()))?;
        let schema = builder.schema().clone();
        let mut wanted: Vec<String> = Vec::new();
        for c in [&spec.welfare, &spec.weight, &spec.size, &spec.strata, &spec.psu, &spec.line_key].into_iter().flatten() {
            wanted.push(c.clone());
        }
        wanted.extend(spec.by.iter().cloned());
        wanted.extend(spec.numeric.iter().cloned());
        for c in &wanted {
            if schema.index_of(c).is_err() {
                let cols: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                return Err(err(format!("column {c:?} not found (columns: {})", cols.join(", "))));
            }
        }
        let leaves: Vec<usize> = {
            let pschema = builder.parquet_schema();
            (0..pschema.num_columns()).filter(|&i| wanted.iter().any(|w| pschema.column(i).name() == w)).collect()
        };
        let mask = ProjectionMask::leaves(builder.parquet_schema(), leaves);
        let reader = builder.with_projection(mask).with_batch_size(65_536).build().map_err(|e| err(e.to_string()))?;
        let mut b = Builder::new(spec, &name);
        let (mut w, mut sz) = (Vec::new(), Vec::new());
        for batch in reader {
            let batch = batch.map_err(|e| err(e.to_string()))?;
            let col = |c: &str| batch.column_by_name(c).cloned().ok_or_else(|| err(format!("column {c:?} missing")));
            if let Some(c) = &spec.welfare {
                nums(&name, c, &col(c)?, &mut b.ds.welfare)?;
            }
            match &spec.weight {
                Some(c) => nums(&name, c, &col(c)?, &mut w)?,
                None => w.extend(std::iter::repeat_n(1.0, batch.num_rows())),
            }
            match &spec.size {
                Some(c) if !spec.household_weighting => nums(&name, c, &col(c)?, &mut sz)?,
                _ => sz.extend(std::iter::repeat_n(1.0, batch.num_rows())),
            }
            for (k, c) in spec.by.iter().enumerate() {
                cats(&name, c, &col(c)?, &mut b.ds.by[k], &mut b.dicts[k])?;
            }
            for (building, c) in [(&mut b.strata, &spec.strata), (&mut b.psu, &spec.psu), (&mut b.key, &spec.line_key)] {
                if let (Some((cat, dict)), Some(c)) = (building.as_mut(), c) {
                    cats(&name, c, &col(c)?, cat, dict)?;
                }
            }
            for (k, c) in spec.numeric.iter().enumerate() {
                nums_with(&name, c, &col(c)?, &mut b.nums[k], true)?;
            }
            progress(w.len() as u64);
        }
        let bad = |values: &[f64], column: &Option<String>, ok: fn(f64) -> bool, expected: &str| -> Result<()> {
            match values.iter().position(|&x| !ok(x)) {
                Some(i) => Err(EngineError::Value {
                    file: name.clone(),
                    row: i as u64 + 1,
                    column: column.clone().unwrap_or_default(),
                    value: values[i].to_string(),
                    expected: expected.into(),
                }),
                None => Ok(()),
            }
        };
        bad(&w, &spec.weight, |x| x >= 0.0, "a weight ≥ 0")?;
        bad(&sz, &spec.size, |x| x > 0.0, "a household size above 0")?;
        b.ds.weight = w.iter().zip(&sz).map(|(a, b)| a * b).collect();
        b.finish(spec, &name)
    }
}
