//! Generates census-size person records for the streamed engine's benchmark: one row per
//! person with the household's per-capita income, a weight (1: a full count), province,
//! county, urban/rural and sex. Persons per province follow NBS's 2020 population by province
//! (`data/provinces/nbs-population-by-province-2000-2022.csv`), scaled to the total asked;
//! each household (1 to 5 persons) lies in one of its province's counties of NBS's 2023
//! division codes (`data/admin-divisions-cn-2023/areas.csv`, its 2,978 county-level units),
//! urban with a share rising with the province's income level; incomes are
//! log-normal by province and urban/rural. Categorical columns are dictionary-encoded, row
//! groups hold 1,048,576 rows; written as it goes, in bounded memory. Deterministic.
//!
//!     cargo run --release -p rightstat-poverty --example gen_census -- PERSONS OUT.parquet
//!
//! (1,412,120,000 persons, the 2020 census count, make a file of about 13 GB.)

use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, DictionaryArray, Float64Array, Int32Array, RecordBatch, StringArray};
use std::sync::Arc;

#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

const ROWS: usize = 1 << 20;

/// A dictionary-encoded column of `keys` into `values`.
fn dict(keys: &[i32], values: &Arc<StringArray>) -> ArrayRef {
    Arc::new(DictionaryArray::<Int32Type>::try_new(Int32Array::from(keys.to_vec()), values.clone() as ArrayRef).expect("keys in range"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let total: f64 = args.get(1).and_then(|s| s.parse().ok()).expect("usage: gen_census PERSONS OUT.parquet");
    let out = args.get(2).expect("output .parquet path");
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data");
    // Province codes in NBS order and their 2020 population (10,000 persons).
    let pop = std::fs::read_to_string(format!("{root}/provinces/nbs-population-by-province-2000-2022.csv")).expect("population file");
    let pop2020: Vec<f64> =
        pop.lines().skip(1).map(|l| l.split(',').nth(3).and_then(|v| v.trim().parse().ok()).expect("2020 population")).collect();
    let areas = std::fs::read_to_string(format!("{root}/admin-divisions-cn-2023/areas.csv")).expect("areas file");
    let mut provinces: Vec<String> = Vec::new();
    let mut counties: Vec<Vec<i32>> = Vec::new(); // per province, indices into county labels
    let mut county_labels: Vec<String> = Vec::new();
    for l in areas.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let (code, prov) = (f[0], f[f.len() - 1]);
        if provinces.last().map(String::as_str) != Some(prov) {
            provinces.push(prov.to_string());
            counties.push(Vec::new());
        }
        counties.last_mut().expect("a province").push(county_labels.len() as i32);
        county_labels.push(code.to_string());
    }
    assert_eq!(provinces.len(), pop2020.len(), "31 provinces in both files");
    let scale = total / (pop2020.iter().sum::<f64>() * 1e4);
    let prov_values = Arc::new(StringArray::from(provinces.clone()));
    let county_values = Arc::new(StringArray::from(county_labels.clone()));
    let urban_values = Arc::new(StringArray::from(vec!["urban", "rural"]));
    let sex_values = Arc::new(StringArray::from(vec!["F", "M"]));
    let schema_batch = |y: &[f64], p: &[i32], c: &[i32], u: &[i32], s: &[i32]| {
        RecordBatch::try_from_iter([
            ("income_pc", Arc::new(Float64Array::from(y.to_vec())) as ArrayRef),
            ("weight", Arc::new(Float64Array::from(vec![1.0; y.len()])) as ArrayRef),
            ("province", dict(p, &prov_values)),
            ("county", dict(c, &county_values)),
            ("urbanisation", dict(u, &urban_values)),
            ("sex", dict(s, &sex_values)),
        ])
        .expect("batch")
    };
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROWS))
        .build();
    let first = schema_batch(&[], &[], &[], &[], &[]);
    let mut writer = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(out).expect("create output"), first.schema(), Some(props))
        .expect("writer");
    let mut rng = Rng(0x9E3779B97F4A7C15);
    let (mut y, mut p, mut c, mut u, mut s) = (vec![], vec![], vec![], vec![], vec![]);
    let mut written = 0u64;
    for (pi, &pop) in pop2020.iter().enumerate() {
        let persons = (pop * 1e4 * scale).round() as u64;
        let level = 9.6 + 0.5 * ((pi * 7 % 31) as f64 / 31.0) - if pi >= 22 { 0.3 } else { 0.0 };
        let urban_share = 0.45 + 0.4 * ((pi * 7 % 31) as f64 / 31.0);
        let mut made = 0u64;
        while made < persons {
            let size = (1 + (rng.u() * 5.0) as u64).min(persons - made);
            let urban = rng.u() < urban_share;
            let county = counties[pi][(rng.u() * counties[pi].len() as f64) as usize];
            let inc = ((level + if urban { 0.45 } else { -0.2 } + 0.75 * rng.normal()).exp() * 100.0).round() / 100.0;
            for _ in 0..size {
                y.push(inc);
                p.push(pi as i32);
                c.push(county);
                u.push(if urban { 0 } else { 1 });
                s.push(if rng.u() < 0.488 { 0 } else { 1 });
                if y.len() == ROWS {
                    writer.write(&schema_batch(&y, &p, &c, &u, &s)).expect("write");
                    written += y.len() as u64;
                    y.clear();
                    p.clear();
                    c.clear();
                    u.clear();
                    s.clear();
                }
            }
            made += size;
        }
        eprintln!("{}: {persons} persons ({} written so far)", provinces[pi], written + y.len() as u64);
    }
    if !y.is_empty() {
        written += y.len() as u64;
        writer.write(&schema_batch(&y, &p, &c, &u, &s)).expect("write");
    }
    writer.close().expect("close");
    eprintln!("{written} persons written to {out}");
}
