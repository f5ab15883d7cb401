//! The FGT pass against a plain scan of the same columns, on data already in memory.
//!
//!     cargo run --release -p rightstat-poverty --example scan_vs_fgt -- REGISTRY.parquet
//!
//! "Plain scan": sum welfare and weight per finest cell (province × urban/rural) — the
//! least any grouped computation over these columns must do. "FGT pass": `compute` for
//! FGT0, FGT1, FGT2 and Watts with every margin. Best of five runs each.

use rightstat_poverty::{Conventions, Dataset, Line, LoadSpec, Request, compute};
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("usage: scan_vs_fgt REGISTRY.parquet");
    let spec = LoadSpec {
        welfare: Some("income_pc".into()),
        weight: Some("weight".into()),
        size: Some("size".into()),
        by: vec!["province".into(), "urbanisation".into()],
        ..Default::default()
    };
    let t = Instant::now();
    let ds = Dataset::load(std::path::Path::new(&path), &spec, &|_| {}).expect("load");
    let load = t.elapsed().as_secs_f64();
    let best = |f: &mut dyn FnMut() -> f64| (0..5).map(|_| f()).fold(f64::INFINITY, f64::min);
    let mut sink = 0.0;
    let scan = best(&mut || {
        let t = Instant::now();
        let cards = ds.by[1].labels.len();
        let mut sums = vec![(0.0f64, 0.0f64); ds.by[0].labels.len() * cards];
        for i in 0..ds.n {
            let c = ds.by[0].codes[i] as usize * cards + ds.by[1].codes[i] as usize;
            sums[c].0 += ds.weight[i];
            sums[c].1 += ds.weight[i] * ds.welfare[i];
        }
        sink += sums.iter().map(|s| s.1 / s.0).sum::<f64>();
        t.elapsed().as_secs_f64()
    });
    let req = Request {
        measures: ["fgt0", "fgt1", "fgt2", "watts"].iter().map(|m| m.parse().unwrap()).collect(),
        line: Some(Line::Absolute(4000.0)),
        conventions: Conventions::default(),
    };
    let fgt = best(&mut || {
        let t = Instant::now();
        sink += compute(&ds, &req).expect("compute").len() as f64;
        t.elapsed().as_secs_f64()
    });
    println!("{} records: load {load:.2} s; plain scan {scan:.3} s; FGT pass {fgt:.3} s; ratio {:.2} ({sink:.0})", ds.n, fgt / scan);
}
