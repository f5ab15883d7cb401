//! Reading the needed columns of a CSV file, on every core where the file allows it.
//!
//! The file is read in blocks of [`BLOCK`] bytes that end at a line end. A block without a
//! quote character is split at line ends into one part per core (without quotes, every line
//! end is a record end), and each part is parsed by its own `csv` reader into plain vectors
//! and part-local dictionaries, which are then joined in file order: codes, labels and row
//! numbers in errors are the ones a sequential read gives. From the first block with a quote
//! on, the rest of the file is read by one reader, since a quoted field may hold a line end.

use crate::data::{Categorical, Dataset, LoadSpec};
use crate::{EngineError, Result};
use rustc_hash::FxHashMap;
use std::io::Read;

/// Bytes read and split at a time: large enough that starting the parts costs nothing
/// measurable, small enough that the text never costs much memory beside the columns.
const BLOCK: usize = 32 << 20;
/// Below this many bytes a block is parsed on the calling thread.
const PARALLEL_MIN: usize = 1 << 20;

/// Where a needed column's values go.
#[derive(Clone, Copy)]
enum Target {
    Welfare,
    Weight,
    Size,
    /// The n-th categorical column: the breakdown's, then strata, PSU and the line key.
    Cat(usize),
    /// The n-th numeric (MPI indicator) column: empty cells are missing values.
    Indicator(usize),
}

struct Column {
    index: usize,
    name: String,
    target: Target,
}

/// A categorical column of one part, with the part's own dictionary.
#[derive(Default)]
struct LocalCat {
    codes: Vec<u32>,
    labels: Vec<Box<[u8]>>,
    index: FxHashMap<Box<[u8]>, u32>,
}

impl LocalCat {
    #[inline]
    fn push(&mut self, v: &[u8]) {
        let c = match self.index.get(v) {
            Some(&c) => c,
            None => {
                let c = self.labels.len() as u32;
                self.labels.push(v.into());
                self.index.insert(v.into(), c);
                c
            }
        };
        self.codes.push(c);
    }
}

/// What one part of the file holds.
#[derive(Default)]
struct Part {
    records: u64,
    welfare: Vec<f64>,
    /// Weight × size (person weighting) or the weight.
    weight: Vec<f64>,
    cats: Vec<LocalCat>,
    nums: Vec<Vec<f64>>,
}

/// A bad value, located within its part (the row is made global when parts are joined).
struct PartError {
    /// 1-based record within the part.
    record: u64,
    kind: PartErrorKind,
}

enum PartErrorKind {
    Value { column: String, value: String, expected: String },
    Fields { found: usize, expected: usize },
    Csv(String),
}

/// The columns a load needs, found in the header.
struct Plan {
    columns: Vec<Column>,
    n_cats: usize,
    n_nums: usize,
    n_fields: usize,
    has_welfare: bool,
    has_size: bool,
}

impl Plan {
    fn new(headers: &csv::ByteRecord, name: &str, spec: &LoadSpec) -> Result<Plan> {
        let names: Vec<String> = headers.iter().map(|h| String::from_utf8_lossy(h).trim_start_matches('\u{feff}').to_string()).collect();
        let find = |c: &str| -> Result<usize> {
            names.iter().position(|h| h == c).ok_or_else(|| EngineError::Input {
                file: name.into(),
                message: format!("column {c:?} not found (columns: {})", names.join(", ")),
            })
        };
        let mut columns = Vec::new();
        let mut add = |c: &str, target: Target| -> Result<()> {
            columns.push(Column { index: find(c)?, name: c.to_string(), target });
            Ok(())
        };
        if let Some(c) = &spec.welfare {
            add(c, Target::Welfare)?;
        }
        if let Some(c) = &spec.weight {
            add(c, Target::Weight)?;
        }
        let has_size = spec.size.is_some() && !spec.household_weighting;
        if let (Some(c), true) = (&spec.size, has_size) {
            add(c, Target::Size)?;
        }
        let mut n_cats = 0;
        for c in spec.by.iter().chain(&spec.strata).chain(&spec.psu).chain(&spec.line_key) {
            add(c, Target::Cat(n_cats))?;
            n_cats += 1;
        }
        for (k, c) in spec.numeric.iter().enumerate() {
            add(c, Target::Indicator(k))?;
        }
        Ok(Plan { columns, n_cats, n_nums: spec.numeric.len(), n_fields: names.len(), has_welfare: spec.welfare.is_some(), has_size })
    }

    fn part(&self) -> Part {
        Part {
            cats: (0..self.n_cats).map(|_| LocalCat::default()).collect(),
            nums: (0..self.n_nums).map(|_| Vec::new()).collect(),
            ..Default::default()
        }
    }

    /// Parses every record `rdr` yields into `part`.
    fn parse<R: Read>(&self, rdr: &mut csv::Reader<R>, part: &mut Part) -> std::result::Result<(), PartError> {
        let mut rec = csv::ByteRecord::new();
        loop {
            match rdr.read_byte_record(&mut rec) {
                Ok(false) => return Ok(()),
                Ok(true) => {}
                Err(e) => return Err(PartError { record: part.records + 1, kind: PartErrorKind::Csv(e.to_string()) }),
            }
            part.records += 1;
            let err = |kind| PartError { record: part.records, kind };
            if rec.len() != self.n_fields {
                return Err(err(PartErrorKind::Fields { found: rec.len(), expected: self.n_fields }));
            }
            let bad = |c: &Column, raw: &[u8], expected: &str| {
                err(PartErrorKind::Value {
                    column: c.name.clone(),
                    value: String::from_utf8_lossy(raw).into_owned(),
                    expected: expected.into(),
                })
            };
            let (mut weight, mut size) = (1.0, 1.0);
            for c in &self.columns {
                let raw = rec.get(c.index).unwrap_or_default();
                match c.target {
                    Target::Welfare => part.welfare.push(number(raw).ok_or_else(|| bad(c, raw, "a finite number"))?),
                    Target::Weight => {
                        weight = number(raw).ok_or_else(|| bad(c, raw, "a finite number"))?;
                        if weight < 0.0 {
                            return Err(bad(c, raw, "a weight ≥ 0"));
                        }
                    }
                    Target::Size => {
                        size = number(raw).ok_or_else(|| bad(c, raw, "a finite number"))?;
                        if size <= 0.0 {
                            return Err(bad(c, raw, "a household size above 0"));
                        }
                    }
                    Target::Cat(k) => part.cats[k].push(raw.trim_ascii()),
                    Target::Indicator(k) => {
                        let v = match raw.trim_ascii() {
                            b"" | b"NA" | b"." => f64::NAN,
                            t => number(t).ok_or_else(|| bad(c, raw, "a finite number, or an empty cell (NA, .) for a missing value"))?,
                        };
                        part.nums[k].push(v);
                    }
                }
            }
            part.weight.push(if self.has_size { weight * size } else { weight });
        }
    }
}

/// A finite number (`fast-float2`, correctly rounded: the same value as `str::parse`).
#[inline]
fn number(raw: &[u8]) -> Option<f64> {
    fast_float2::parse::<f64, _>(raw.trim_ascii()).ok().filter(|v| v.is_finite())
}

/// Reads up to `want` more bytes into `buf`, adding their count to `total`; returns false at
/// the end of the input.
fn fill<R: Read>(reader: &mut R, buf: &mut Vec<u8>, want: usize, total: &mut u64, name: &str) -> Result<bool> {
    let target = buf.len().saturating_add(want);
    while buf.len() < target {
        let start = buf.len();
        buf.resize(target.min(start + (8 << 20)), 0);
        match reader.read(&mut buf[start..]) {
            Ok(0) => {
                buf.truncate(start);
                return Ok(false);
            }
            Ok(n) => {
                buf.truncate(start + n);
                *total += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => buf.truncate(start),
            Err(e) => return Err(EngineError::Io(name.into(), e)),
        }
    }
    Ok(true)
}

/// Reads a CSV file's needed columns. `progress` receives the bytes read so far.
pub(crate) fn read<R: Read>(reader: R, name: &str, spec: &LoadSpec, progress: &dyn Fn(u64)) -> Result<Dataset> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(16);
    read_blocks(reader, name, spec, progress, Split { block: BLOCK, parallel_min: PARALLEL_MIN, threads })
}

/// How the input is cut: block size, the smallest block split into parts, the parts per block.
#[derive(Clone, Copy)]
struct Split {
    block: usize,
    parallel_min: usize,
    threads: usize,
}

fn read_blocks<R: Read>(mut reader: R, name: &str, spec: &LoadSpec, progress: &dyn Fn(u64), split: Split) -> Result<Dataset> {
    let Split { block: block_size, parallel_min, threads } = split;
    let mut buf: Vec<u8> = Vec::new();
    let mut read_bytes = 0u64;
    let mut more = fill(&mut reader, &mut buf, block_size, &mut read_bytes, name)?;
    // The header, read by the csv crate; the body starts where it stopped.
    let (plan, body_start) = {
        let mut rdr = csv::ReaderBuilder::new().from_reader(&buf[..]);
        let headers = rdr.byte_headers().map_err(|e| EngineError::Input { file: name.into(), message: e.to_string() })?.clone();
        (Plan::new(&headers, name, spec)?, rdr.position().byte() as usize)
    };
    buf.drain(..body_start.min(buf.len()));
    let mut parts: Vec<Part> = Vec::new();
    loop {
        // The block ends after the last line end; the rest waits for the next block.
        let end = if more { memchr::memrchr(b'\n', &buf).map_or(0, |i| i + 1) } else { buf.len() };
        if more && end == 0 {
            // A line longer than a block: read on.
            more = fill(&mut reader, &mut buf, block_size, &mut read_bytes, name)?;
            continue;
        }
        if memchr::memchr(b'"', &buf[..end]).is_some() {
            // Quoted fields: one reader for the rest of the file.
            let mut part = plan.part();
            let rest = std::io::Cursor::new(std::mem::take(&mut buf)).chain(&mut reader);
            let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).buffer_capacity(1 << 20).from_reader(rest);
            let res = plan.parse(&mut rdr, &mut part);
            parts.push(part);
            if let Err(e) = res {
                return Err(located(name, &parts, e));
            }
            break;
        }
        let block = &buf[..end];
        let n = if block.len() < parallel_min { 1 } else { threads };
        let mut bounds = vec![0usize];
        for k in 1..n {
            let target = (block.len() * k / n).max(*bounds.last().unwrap_or(&0));
            let cut = memchr::memchr(b'\n', &block[target..]).map_or(block.len(), |i| target + i + 1);
            if cut < block.len() && cut > *bounds.last().unwrap_or(&0) {
                bounds.push(cut);
            }
        }
        bounds.push(block.len());
        let parse = |bytes: &[u8]| {
            let mut part = plan.part();
            let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).buffer_capacity(1 << 16).from_reader(bytes);
            let res = plan.parse(&mut rdr, &mut part);
            (part, res)
        };
        let results: Vec<(Part, std::result::Result<(), PartError>)> = if bounds.len() == 2 {
            vec![parse(block)]
        } else {
            std::thread::scope(|s| {
                let handles: Vec<_> = bounds.windows(2).map(|b| s.spawn(move || parse(&block[b[0]..b[1]]))).collect();
                handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
            })
        };
        for (part, res) in results {
            parts.push(part);
            if let Err(e) = res {
                return Err(located(name, &parts, e));
            }
        }
        progress(read_bytes);
        if !more {
            break;
        }
        buf.drain(..end);
        more = fill(&mut reader, &mut buf, block_size, &mut read_bytes, name)?;
    }
    progress(read_bytes);
    join(plan, parts, name, spec)
}

/// The error of the last part, at its row in the file (row 1 is the header).
fn located(name: &str, parts: &[Part], e: PartError) -> EngineError {
    let before: u64 = parts[..parts.len() - 1].iter().map(|p| p.records).sum();
    let row = 1 + before + e.record;
    match e.kind {
        PartErrorKind::Value { column, value, expected } => EngineError::Value { file: name.into(), row, column, value, expected },
        PartErrorKind::Fields { found, expected } => {
            EngineError::Input { file: name.into(), message: format!("row {row}: {found} fields, expected {expected} as in the header") }
        }
        PartErrorKind::Csv(m) => EngineError::Input { file: name.into(), message: format!("row {row}: {m}") },
    }
}

/// A column's labels and their codes, as the parts are joined.
type Dictionary = FxHashMap<Box<[u8]>, u32>;

/// Joins the parts in file order into one dataset, with one dictionary per column.
fn join(plan: Plan, parts: Vec<Part>, name: &str, spec: &LoadSpec) -> Result<Dataset> {
    let n: usize = parts.iter().map(|p| p.records as usize).sum();
    if n == 0 {
        return Err(EngineError::Input { file: name.into(), message: "no records".into() });
    }
    let cat_names: Vec<&String> = spec.by.iter().chain(&spec.strata).chain(&spec.psu).chain(&spec.line_key).collect();
    let mut cats: Vec<(Categorical, Dictionary)> = cat_names
        .iter()
        .map(|c| {
            let mut col = Categorical { name: (*c).clone(), ..Default::default() };
            col.codes.reserve(n);
            (col, FxHashMap::default())
        })
        .collect();
    let mut ds = Dataset { n, source: name.into(), ..Default::default() };
    ds.welfare.reserve(if plan.has_welfare { n } else { 0 });
    ds.weight.reserve(n);
    let mut nums: Vec<Vec<f64>> = (0..plan.n_nums).map(|_| Vec::with_capacity(n)).collect();
    for part in parts {
        ds.welfare.extend_from_slice(&part.welfare);
        ds.weight.extend_from_slice(&part.weight);
        for (local, (col, index)) in part.cats.into_iter().zip(cats.iter_mut()) {
            let mut remap = Vec::with_capacity(local.labels.len());
            for label in local.labels {
                let code = match index.get(&label) {
                    Some(&c) => c,
                    None => {
                        let text = std::str::from_utf8(&label).map_err(|_| EngineError::Input {
                            file: name.into(),
                            message: format!(
                                "column {:?} has a value that is not UTF-8 text: {}",
                                col.name,
                                String::from_utf8_lossy(&label)
                            ),
                        })?;
                        let c = col.labels.len() as u32;
                        col.labels.push(text.to_string());
                        index.insert(label, c);
                        c
                    }
                };
                remap.push(code);
            }
            col.codes.extend(local.codes.iter().map(|&c| remap[c as usize]));
        }
        for (out, v) in nums.iter_mut().zip(part.nums) {
            out.extend_from_slice(&v);
        }
    }
    let mut cats = cats.into_iter().map(|(c, _)| c);
    ds.by = spec.by.iter().map_while(|_| cats.next()).collect();
    ds.strata = spec.strata.as_ref().and_then(|_| cats.next());
    ds.psu = spec.psu.as_ref().and_then(|_| cats.next());
    ds.line_key = spec.line_key.as_ref().and_then(|_| cats.next());
    ds.numeric = spec.numeric.iter().cloned().zip(nums).collect();
    Ok(ds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> LoadSpec {
        LoadSpec {
            welfare: Some("income".into()),
            weight: Some("weight".into()),
            size: Some("size".into()),
            by: vec!["province".into(), "area".into()],
            psu: Some("psu".into()),
            numeric: vec!["x1".into()],
            ..Default::default()
        }
    }

    fn text(rows: usize, quote_at: Option<usize>, crlf: bool) -> String {
        let mut s = String::from("\u{feff}province,area,income,weight,size,psu,x1,note");
        s.push_str(if crlf { "\r\n" } else { "\n" });
        let mut x = 7u64;
        for i in 0..rows {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let p = ["11", "13", "44", "65", "五十"][(x >> 33) as usize % 5];
            let a = if (x >> 40).is_multiple_of(3) { "R" } else { "U" };
            let note = if quote_at == Some(i) { "\"a, \nquoted\"" } else { "n" };
            let x1 = if i % 17 == 0 { String::new() } else { format!("{}", (x >> 50) % 2) };
            s.push_str(&format!(
                "{p},{a},{}.{:02},{}, {} ,{},{x1},{note}",
                (x >> 20) % 100000,
                (x >> 10) % 100,
                1 + (x >> 45) % 3,
                1 + (x >> 30) % 6,
                (x >> 25) % 40
            ));
            s.push_str(if crlf { "\r\n" } else { "\n" });
        }
        s
    }

    fn same(a: &Dataset, b: &Dataset) {
        assert_eq!(a.n, b.n);
        assert_eq!(a.welfare, b.welfare);
        assert_eq!(a.weight, b.weight);
        for (x, y) in a.by.iter().zip(&b.by).chain(a.psu.iter().zip(&b.psu)) {
            assert_eq!((&x.name, &x.labels, &x.codes), (&y.name, &y.labels, &y.codes));
        }
        let (x, y) = (&a.numeric["x1"], &b.numeric["x1"]);
        assert_eq!(x.len(), y.len());
        assert!(x.iter().zip(y).all(|(p, q)| p == q || (p.is_nan() && q.is_nan())));
    }

    const ONE: Split = Split { block: usize::MAX, parallel_min: usize::MAX, threads: 1 };
    const SMALL: Split = Split { block: 4096, parallel_min: 0, threads: 3 };

    fn load(t: &str, split: Split) -> Result<Dataset> {
        read_blocks(t.as_bytes(), "t.csv", &spec(), &|_| {}, split)
    }

    #[test]
    fn parts_join_into_what_one_reader_reads() {
        for (quote_at, crlf) in [(None, false), (None, true), (Some(3000), false), (Some(0), true)] {
            let t = text(5000, quote_at, crlf);
            let (one, many) = (load(&t, ONE).unwrap(), load(&t, SMALL).unwrap());
            same(&one, &many);
            assert_eq!(one.n, 5000);
            assert_eq!(one.by[0].labels.len(), 5);
            assert!(one.numeric["x1"][0].is_nan());
            // Person weight = weight × size; the size cell " 3 " is trimmed.
            assert!(one.weight.iter().all(|w| *w >= 1.0));
        }
        // Against the csv crate's own reading of the same text.
        let t = text(2000, None, false);
        let ds = load(&t, SMALL).unwrap();
        let mut rdr = csv::Reader::from_reader(t.as_bytes());
        for (i, r) in rdr.records().enumerate() {
            let r = r.unwrap();
            assert_eq!(ds.welfare[i], r[2].parse::<f64>().unwrap());
            assert_eq!(ds.by[0].labels[ds.by[0].codes[i] as usize], &r[0]);
        }
    }

    #[test]
    fn errors_name_the_row_in_the_file_whatever_the_part() {
        let edit = |rows: usize, at: usize, f: &dyn Fn(&str) -> String| -> String {
            let t = text(rows, None, false);
            t.lines().enumerate().map(|(i, l)| if i == at { f(l) } else { l.to_string() } + "\n").collect()
        };
        for split in [ONE, SMALL] {
            // Line 3,001 of the file (row 3001, the header being row 1).
            let t = edit(4000, 3000, &|l| l.replacen(',', ",x", 2).replacen(",x", ",", 1));
            let e = load(&t, split).unwrap_err().to_string();
            assert!(e.starts_with("t.csv, row 3001, column income: found \"x"), "{e}");
            let t = edit(4000, 3500, &|l| format!("{l},extra"));
            let e = load(&t, split).unwrap_err().to_string();
            assert_eq!(e, "t.csv: row 3501: 9 fields, expected 8 as in the header");
            let t = edit(4000, 2222, &|l| {
                let mut f: Vec<&str> = l.split(',').collect();
                f[4] = "0";
                f.join(",")
            });
            let e = load(&t, split).unwrap_err().to_string();
            assert_eq!(e, "t.csv, row 2223, column size: found \"0\", expected a household size above 0");
        }
        let e = load("province,area\n", ONE).unwrap_err().to_string();
        assert!(e.contains("column \"income\" not found (columns: province, area)"), "{e}");
        let e = load("province,area,income,weight,size,psu,x1,note\n", ONE).unwrap_err().to_string();
        assert!(e.contains("no records"), "{e}");
    }
}
