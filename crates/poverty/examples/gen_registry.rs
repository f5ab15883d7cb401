//! Generates a synthetic national poverty registry for benchmarks: households with province,
//! urban/rural, sex of head, ethnicity, disability, size, per-capita income (log-normal, by
//! province and urban/rural), a weight, and survey-style strata/PSU, and the county and village
//! of the household (about 96 counties per province, and one village per five households up
//! to the 620,573 villages of NBS's codes; drawn from a hash of the row, so the other columns
//! are the same as without them). Deterministic.
//!
//!     cargo run --release -p rightstat-poverty --example gen_registry -- HOUSEHOLDS OUT.parquet [OUT.csv]

use arrow_array::{ArrayRef, Float64Array, Int32Array, RecordBatch, StringArray};
use std::io::Write;
use std::sync::Arc;

#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

const PROVINCES: [&str; 31] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44", "45", "46", "50",
    "51", "52", "53", "54", "61", "62", "63", "64", "65",
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).expect("usage: gen_registry HOUSEHOLDS OUT.parquet [OUT.csv]");
    let out = args.get(2).expect("output .parquet path");
    let csv_out = args.get(3);
    let mut rng = Rng(0x9E3779B97F4A7C15);
    // Province income levels (log scale): richer east, poorer west.
    let level: Vec<f64> = (0..31).map(|i| 9.6 + 0.5 * ((i * 7 % 31) as f64 / 31.0) - if i >= 22 { 0.3 } else { 0.0 }).collect();
    let ethnic_codes: Vec<String> = (1..=56).map(|c| format!("{c:02}")).collect();
    let file = std::fs::File::create(out).expect("create parquet");
    let per_province = (n / 5).clamp(31, 620_573) / 31;
    let schema_batch = |first: usize, len: usize, rng: &mut Rng| -> RecordBatch {
        let (mut prov, mut urb, mut sex, mut eth, mut dis, mut size, mut inc, mut w, mut strata, mut psu) =
            (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        let (mut county, mut village) = (vec![], vec![]);
        for row in first..first + len {
            let p = (rng.u() * 31.0) as usize % 31;
            // SplitMix64 of the row: the village within the province, its county from it.
            let mut h = (row as u64).wrapping_add(0x9E3779B97F4A7C15);
            h = (h ^ (h >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
            h = (h ^ (h >> 27)).wrapping_mul(0x94D049BB133111EB);
            let v = (h ^ (h >> 31)) as usize % per_province;
            let c = v * 96 / per_province;
            county.push(format!("{}{:04}", PROVINCES[p], c));
            village.push(format!("{}{:04}{:06}", PROVINCES[p], c, v));
            let rural = rng.u() < 0.45;
            let s = 1 + (rng.u() * 5.6) as i32;
            let mu = level[p] + if rural { -0.7 } else { 0.0 };
            let female = rng.u() < 0.22;
            let y = (mu + 0.75 * rng.normal() - if female { 0.08 } else { 0.0 }).exp();
            let e = if rng.u() < 0.91 { 0 } else { 1 + (rng.u() * 55.0) as usize % 55 };
            prov.push(PROVINCES[p]);
            urb.push(if rural { "R" } else { "U" });
            sex.push(if female { "F" } else { "M" });
            eth.push(ethnic_codes[e].as_str());
            dis.push(if rng.u() < 0.06 { "PD" } else { "NPD" });
            size.push(s);
            inc.push((y * 100.0).round() / 100.0);
            w.push(1.0);
            strata.push(p as i32);
            psu.push((rng.u() * 200.0) as i32);
        }
        RecordBatch::try_from_iter([
            ("province", Arc::new(StringArray::from(prov)) as ArrayRef),
            ("urbanisation", Arc::new(StringArray::from(urb)) as ArrayRef),
            ("head_sex", Arc::new(StringArray::from(sex)) as ArrayRef),
            ("ethnicity", Arc::new(StringArray::from(eth)) as ArrayRef),
            ("disability", Arc::new(StringArray::from(dis)) as ArrayRef),
            ("size", Arc::new(Int32Array::from(size)) as ArrayRef),
            ("income_pc", Arc::new(Float64Array::from(inc)) as ArrayRef),
            ("weight", Arc::new(Float64Array::from(w)) as ArrayRef),
            ("stratum", Arc::new(Int32Array::from(strata)) as ArrayRef),
            ("psu", Arc::new(Int32Array::from(psu)) as ArrayRef),
            ("county", Arc::new(StringArray::from(county)) as ArrayRef),
            ("village", Arc::new(StringArray::from(village)) as ArrayRef),
        ])
        .expect("batch")
    };
    let first = schema_batch(0, 0, &mut rng);
    let props = parquet::file::properties::WriterProperties::builder().set_compression(parquet::basic::Compression::SNAPPY).build();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, first.schema(), Some(props)).expect("writer");
    let mut csv = csv_out.map(|p| std::io::BufWriter::with_capacity(1 << 22, std::fs::File::create(p).expect("create csv")));
    if let Some(c) = csv.as_mut() {
        writeln!(c, "province,urbanisation,head_sex,ethnicity,disability,size,income_pc,weight,stratum,psu,county,village").expect("csv");
    }
    let mut done = 0;
    while done < n {
        let len = (n - done).min(1 << 20);
        let batch = schema_batch(done, len, &mut rng);
        if let Some(c) = csv.as_mut() {
            use arrow_array::cast::AsArray;
            let cols: Vec<_> = batch.columns().to_vec();
            for i in 0..len {
                let s = |k: usize| cols[k].as_string::<i32>().value(i).to_string();
                let n32 = |k: usize| cols[k].as_primitive::<arrow_array::types::Int32Type>().value(i);
                let f64v = |k: usize| cols[k].as_primitive::<arrow_array::types::Float64Type>().value(i);
                writeln!(
                    c,
                    "{},{},{},{},{},{},{},{},{},{},{},{}",
                    s(0),
                    s(1),
                    s(2),
                    s(3),
                    s(4),
                    n32(5),
                    f64v(6),
                    f64v(7),
                    n32(8),
                    n32(9),
                    s(10),
                    s(11)
                )
                .expect("csv");
            }
        }
        writer.write(&batch).expect("write");
        done += len;
    }
    writer.close().expect("close");
    eprintln!("{n} households written to {out}");
}
