//! Where the poverty engine's time goes: loading the needed columns, then computing the
//! profile of BENCHMARKS.md (FGT0-2, Watts, Gini and the weighted median by a breakdown with
//! every margin, line at 60 % of the national weighted median), each timed apart, best of three.
//!
//!     cargo run --release -p rightstat-poverty --example parts -- REGISTRY.(csv|parquet) [BY,BY]

use rightstat_poverty::{Conventions, Dataset, LoadSpec, Request, compute};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: parts REGISTRY.(csv|parquet) [BY,BY]");
    let by: Vec<String> = args.next().unwrap_or("province,urbanisation".into()).split(',').map(String::from).collect();
    let spec =
        LoadSpec { welfare: Some("income_pc".into()), weight: Some("weight".into()), size: Some("size".into()), by, ..Default::default() };
    let best = |f: &mut dyn FnMut() -> f64| (0..3).map(|_| f()).fold(f64::INFINITY, f64::min);
    let mut ds = None;
    let load = best(&mut || {
        let t = Instant::now();
        ds = Some(Dataset::load(std::path::Path::new(&path), &spec, &|_| {}).expect("load"));
        t.elapsed().as_secs_f64()
    });
    let ds = ds.expect("loaded");
    let run = |measures: &str, line: &str| {
        let req = Request {
            measures: measures.split(',').map(|m| m.parse().unwrap()).collect(),
            line: Some(line.parse().unwrap()),
            conventions: Conventions::default(),
        };
        let mut groups = 0;
        let s = best(&mut || {
            let t = Instant::now();
            groups = compute(&ds, &req).expect("compute").len();
            t.elapsed().as_secs_f64()
        });
        println!("  {measures:<40} line {line:<22} {s:.3} s ({groups} rows)");
    };
    println!("{} records, load {load:.3} s", ds.n);
    run("mean", "4000");
    run("fgt0,fgt1,fgt2,watts", "4000");
    run("gini", "4000");
    run("median", "4000");
    run("fgt0,fgt1,fgt2,watts,gini,median", "4000");
    run("fgt0,fgt1,fgt2,watts,gini,median", "relative:0.6:median");
}
