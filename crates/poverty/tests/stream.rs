//! Streamed runs (a Parquet file read in passes, a few records held at a time) give what the
//! in-memory engine gives, however small the memory budget.
#![cfg(feature = "parquet")]

use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, DictionaryArray, Float64Array, RecordBatch, StringArray};
use rightstat_poverty::stream::BYTES_PER_RECORD;
use rightstat_poverty::{Conventions, Dataset, Line, LoadSpec, Negative, Request, ResultRow, compute, compute_streamed};
use std::path::Path;
use std::sync::Arc;

/// SplitMix64: a reproducible stream of pseudo-random numbers.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn unit(i: u64, k: u64) -> f64 {
    (mix(i * 7 + k) >> 11) as f64 / (1u64 << 53) as f64
}

/// `n` person records in row groups of 10,000: income (rounded to whole yuan, so ties are
/// many; a few negative), a fractional weight, a household size, a province (text), the
/// urban/rural status (dictionary-encoded) and sex. `bad_weight` puts a negative weight on
/// that (1-based) row.
fn write(path: &Path, n: usize, bad_weight: Option<usize>) {
    let mut y = Vec::with_capacity(n);
    let (mut w, mut size, mut prov, mut urban, mut sex) = (vec![], vec![], vec![], vec![], vec![]);
    for i in 0..n as u64 {
        let p = (mix(i) % 31) as usize;
        let u = unit(i, 1) < 0.6;
        // Log-normal-ish: the exponential of a sum of uniforms, higher in towns.
        let z: f64 = (0..4).map(|k| unit(i, 10 + k)).sum::<f64>() - 2.0;
        let mut inc = ((if u { 9.6 } else { 8.9 }) + 0.08 * p as f64 / 31.0 + 1.3 * z).exp().round();
        if unit(i, 3) < 0.002 {
            inc = -inc / 10.0;
        }
        y.push(inc);
        w.push(if bad_weight == Some(i as usize + 1) { -1.0 } else { 0.5 + 2.0 * unit(i, 4) });
        size.push(1.0 + (mix(i + 99) % 5) as f64);
        prov.push(format!("P{p:02}"));
        urban.push(if u { "urban" } else { "rural" });
        sex.push(if unit(i, 5) < 0.51 { "F" } else { "M" });
    }
    let urban: DictionaryArray<Int32Type> = urban.into_iter().collect();
    let batch = RecordBatch::try_from_iter([
        ("income", Arc::new(Float64Array::from(y)) as ArrayRef),
        ("weight", Arc::new(Float64Array::from(w)) as ArrayRef),
        ("size", Arc::new(Float64Array::from(size)) as ArrayRef),
        ("province", Arc::new(StringArray::from(prov)) as ArrayRef),
        ("urban", Arc::new(urban) as ArrayRef),
        ("sex", Arc::new(StringArray::from(sex)) as ArrayRef),
    ])
    .unwrap();
    let props = parquet::file::properties::WriterProperties::builder().set_max_row_group_row_count(Some(10_000)).build();
    let mut writer = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(path).unwrap(), batch.schema(), Some(props)).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

fn request(measures: &str, line: &str) -> Request {
    Request {
        measures: measures.split(',').map(|m| m.parse().unwrap()).collect(),
        line: Some(line.parse::<Line>().unwrap()),
        conventions: Conventions::default(),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1e-3)
}

fn assert_same(memory: &[ResultRow], streamed: &[ResultRow]) {
    assert_eq!(memory.len(), streamed.len());
    for (m, s) in memory.iter().zip(streamed) {
        assert_eq!((&m.keys, &m.measure, m.n_obs), (&s.keys, &s.measure, s.n_obs));
        assert!(close(m.sum_weight, s.sum_weight), "{m:?} vs {s:?}");
        // Order statistics are exact; sums agree to rounding.
        if m.measure == "median" || m.measure.starts_with('p') || m.measure == "arpt" {
            assert_eq!(m.value.to_bits(), s.value.to_bits(), "{m:?} vs {s:?}");
        }
        assert!(close(m.value, s.value), "{m:?} vs {s:?}");
    }
}

#[test]
fn streamed_runs_give_what_memory_gives_in_any_number_of_pieces() {
    let dir = tempfile::tempdir().unwrap();
    let pq = dir.path().join("persons.parquet");
    write(&pq, 120_000, None);
    let spec = LoadSpec {
        welfare: Some("income".into()),
        weight: Some("weight".into()),
        size: Some("size".into()),
        by: vec!["province".into(), "urban".into(), "sex".into()],
        ..Default::default()
    };
    let all = "fgt0,fgt1,fgt2,watts,mean,median,p10,p90,gini,theil,mld,arpr,arpt,line";
    let cases = [
        (all, "relative:0.6:median", Negative::Keep),
        ("fgt0,fgt2,gini,median", "relative:0.5:mean", Negative::Zero),
        ("fgt0,fgt1,watts,gini,p25", "6000", Negative::Drop),
    ];
    for (measures, line, negative) in cases {
        let req = request(measures, line);
        let mut ds = Dataset::load(&pq, &spec, &|_| {}).unwrap();
        let negatives = ds.handle_negative(negative);
        let memory = compute(&ds, &req).unwrap();
        // From everything in one piece down to pieces of 3,000 records (with ties, a piece is
        // whole welfare classes, so some are larger).
        for budget in [usize::MAX / 2, 20_000 * BYTES_PER_RECORD, 3_000 * BYTES_PER_RECORD] {
            let (streamed, report) = compute_streamed(&pq, &spec, &req, negative, budget, &|_, _, _| {}).unwrap();
            assert_same(&memory, &streamed);
            assert_eq!(report.negatives as usize, negatives);
            assert_eq!(report.passes, report.pieces + 1);
            if budget < 20_000 * BYTES_PER_RECORD {
                assert!(report.pieces >= 20, "{report:?}");
            }
        }
    }
    // One breakdown column, and none.
    for by in [vec!["province".to_string()], vec![]] {
        let spec = LoadSpec { by, ..spec.clone() };
        let req = request(all, "relative:0.6:median");
        let memory = compute(&Dataset::load(&pq, &spec, &|_| {}).unwrap(), &req).unwrap();
        let (streamed, _) = compute_streamed(&pq, &spec, &req, Negative::Keep, 5_000 * BYTES_PER_RECORD, &|_, _, _| {}).unwrap();
        assert_same(&memory, &streamed);
    }
}

#[test]
fn streamed_runs_name_the_bad_row_and_what_they_cannot_compute() {
    let dir = tempfile::tempdir().unwrap();
    let pq = dir.path().join("bad.parquet");
    // In the fourth row group.
    write(&pq, 50_000, Some(34_567));
    let spec =
        LoadSpec { welfare: Some("income".into()), weight: Some("weight".into()), by: vec!["province".into()], ..Default::default() };
    let e = compute_streamed(&pq, &spec, &request("fgt0", "6000"), Negative::Keep, 1 << 30, &|_, _, _| {}).unwrap_err().to_string();
    assert!(e.contains("row 34567") && e.contains("column weight") && e.contains("-1"), "{e}");
    let e = compute_streamed(&pq, &spec, &request("deciles", "6000"), Negative::Keep, 1 << 30, &|_, _, _| {}).unwrap_err().to_string();
    assert!(e.contains("not computed in streamed runs"), "{e}");
    // No records at all, or none left once negative incomes are dropped.
    let empty = dir.path().join("empty.parquet");
    write(&empty, 0, None);
    let e = compute_streamed(&empty, &spec, &request("fgt0", "6000"), Negative::Keep, 1 << 30, &|_, _, _| {}).unwrap_err().to_string();
    assert!(e.contains("no records"), "{e}");
    let missing = LoadSpec { welfare: Some("revenu".into()), ..spec };
    let e = compute_streamed(&pq, &missing, &request("fgt0", "6000"), Negative::Keep, 1 << 30, &|_, _, _| {}).unwrap_err().to_string();
    assert!(e.contains("\"revenu\" not found") && e.contains("income"), "{e}");
}
