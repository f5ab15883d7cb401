//! Parquet input gives exactly what CSV input gives.
#![cfg(feature = "parquet")]

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use rightstat_poverty::{Conventions, Dataset, Line, LoadSpec, Request, compute};
use std::path::Path;
use std::sync::Arc;

#[test]
fn parquet_and_csv_agree() {
    let csv_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/eusilc.csv");
    let spec = LoadSpec {
        welfare: Some("eqIncome".into()),
        weight: Some("rb050".into()),
        by: vec!["db040".into(), "rb090".into()],
        ..Default::default()
    };
    let from_csv = Dataset::load(&csv_path, &spec, &|_| {}).unwrap();
    // Write the same records to Parquet.
    let mut rdr = csv::Reader::from_path(&csv_path).unwrap();
    let (mut inc, mut w, mut region, mut sex, mut hh) = (vec![], vec![], vec![], vec![], vec![]);
    for r in rdr.records() {
        let r = r.unwrap();
        inc.push(r[0].parse::<f64>().unwrap());
        w.push(r[1].parse::<f64>().unwrap());
        region.push(r[2].to_string());
        sex.push(r[3].to_string());
        hh.push(r[4].parse::<i64>().unwrap());
    }
    let batch = RecordBatch::try_from_iter([
        ("eqIncome", Arc::new(Float64Array::from(inc)) as ArrayRef),
        ("rb050", Arc::new(Float64Array::from(w)) as ArrayRef),
        ("db040", Arc::new(StringArray::from(region)) as ArrayRef),
        ("rb090", Arc::new(StringArray::from(sex)) as ArrayRef),
        ("db030", Arc::new(Int64Array::from(hh)) as ArrayRef),
    ])
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pq = dir.path().join("eusilc.parquet");
    let mut writer = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&pq).unwrap(), batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    let from_pq = Dataset::load(&pq, &spec, &|_| {}).unwrap();
    let req = Request {
        measures: ["fgt0", "fgt1", "gini", "median", "arpr", "s80s20"].iter().map(|m| m.parse().unwrap()).collect(),
        line: Some(Line::Absolute(10_000.0)),
        conventions: Conventions::default(),
    };
    assert_eq!(compute(&from_csv, &req).unwrap(), compute(&from_pq, &req).unwrap());
    // A missing column is named.
    let bad = LoadSpec { welfare: Some("income".into()), ..Default::default() };
    let e = Dataset::load(&pq, &bad, &|_| {}).unwrap_err().to_string();
    assert!(e.contains("\"income\" not found") && e.contains("eqIncome"), "{e}");
}

/// Parquet and CSV refuse the same bad records, naming the place: NaN and infinite weights or
/// incomes, negative weights, household sizes that are not above 0.
#[test]
fn parquet_refuses_what_csv_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let spec = LoadSpec {
        welfare: Some("income".into()),
        weight: Some("weight".into()),
        size: Some("hhsize".into()),
        household_weighting: false,
        ..Default::default()
    };
    // (the column named in the refusal, incomes, weights, household sizes)
    type Case<'a> = (&'a str, [f64; 3], [f64; 3], [f64; 3]);
    let cases: [Case; 5] = [
        ("weight", [1.0, 1.0, 1.0], [1.0, f64::INFINITY, 1.0], [2.0, 2.0, 2.0]),
        ("weight", [1.0, 1.0, 1.0], [1.0, 1.0, f64::NAN], [2.0, 2.0, 2.0]),
        ("income", [f64::NAN, 1.0, 1.0], [1.0, 1.0, 1.0], [2.0, 2.0, 2.0]),
        ("weight", [1.0, 1.0, 1.0], [1.0, -2.0, 1.0], [2.0, 2.0, 2.0]),
        ("hhsize", [1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [2.0, -3.0, 2.0]),
    ];
    for (i, (column, income, weight, size)) in cases.into_iter().enumerate() {
        let batch = RecordBatch::try_from_iter([
            ("income", Arc::new(Float64Array::from(income.to_vec())) as ArrayRef),
            ("weight", Arc::new(Float64Array::from(weight.to_vec())) as ArrayRef),
            ("hhsize", Arc::new(Float64Array::from(size.to_vec())) as ArrayRef),
        ])
        .unwrap();
        let pq = dir.path().join(format!("bad{i}.parquet"));
        let mut writer = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&pq).unwrap(), batch.schema(), None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        let e = Dataset::load(&pq, &spec, &|_| {}).expect_err(column).to_string();
        assert!(e.contains(&format!("column {column}")) && e.contains("row"), "case {i}: {e}");
        // The same records as CSV.
        let csv: String = std::iter::once("income,weight,hhsize\n".to_string())
            .chain((0..3).map(|r| format!("{},{},{}\n", income[r], weight[r], size[r])))
            .collect();
        let e = Dataset::from_csv(csv.as_bytes(), "bad.csv", &spec).expect_err(column).to_string();
        assert!(e.contains(&format!("column {column}")), "case {i} as CSV: {e}");
    }
}
