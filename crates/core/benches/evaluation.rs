//! The evaluation of every series of a national data set at county level, against DuckDB
//! computing the same classes with SQL window functions, in one run.
//!
//! Data: the real 2,978 counties (NBS division codes, 2023) × 30 indicators × 10 years
//! (2013–2022) × 9 cells (the total, sex, urban/rural and their crossings) = 804,060 series,
//! 8,040,600 figures, published with one decimal. Half the indicators are better higher, half
//! lower; one has a break in series in 2018 (status B: only 2018–2022 compare); one falls to
//! zero in many counties (growth rates fail there: differences are used); ten carry a benchmark
//! for every county's total (2013 baseline, 2025 target), 29,780 benchmarks. For every series:
//! its progress class by [`rightstat_core::evaluation::assess`], a retrogressive latest step
//! (tolerance half a unit of the last decimal); for every county and indicator but the count
//! falling to zero: the rural ÷ urban and women ÷ men gaps and their direction (172,724 gaps).
//! DuckDB computes the same from the same rows (loading not timed) and the class counts, the
//! number of retrogressions and of converging gaps must be equal, or the bench fails.
//!
//!     cargo bench -p rightstat-core --bench evaluation
//!
//! DuckDB through `python3 benches/evaluation/duckdb_peer.py` (pip install duckdb);
//! RIGHTSTAT_SKIP_DUCKDB=1 runs RightStat alone.

use rightstat_core::area::AreaLevel;
use rightstat_core::evaluation::{self as ev, Benchmark, Point, ProgressClass};
use rightstat_core::recommendation::Better;
use std::io::Write;
use std::time::Instant;

const INDICATORS: usize = 30;
const YEARS: std::ops::Range<i32> = 2013..2023;
const CELLS: [&str; 9] = ["", "F", "M", "U", "R", "FU", "FR", "MU", "MR"];
/// The indicator with a break in series before 2018.
const BREAK: usize = 7;
const BREAK_YEAR: i32 = 2018;
/// The indicator that falls to zero (a count: no gaps between groups are read in it).
const ZERO: usize = 11;
/// Indicators with a benchmark on every county's total.
fn benchmarked(ind: usize) -> bool {
    ind < 11 && ind != BREAK
}
fn better(ind: usize) -> Better {
    if ind % 2 == 0 { Better::Higher } else { Better::Lower }
}

struct Data {
    counties: Vec<String>,
    /// [county][indicator][cell][year]
    values: Vec<f64>,
    /// [county][indicator] for the total, where benchmarked.
    benchmarks: Vec<Option<Benchmark>>,
}

const NY: usize = (YEARS.end - YEARS.start) as usize;

fn idx(c: usize, i: usize, cell: usize) -> usize {
    ((c * INDICATORS + i) * CELLS.len() + cell) * NY
}

fn data() -> Data {
    let counties: Vec<String> =
        rightstat_core::reference::areas().iter().filter(|a| a.level == AreaLevel::County).map(|a| a.code.to_string()).collect();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut values = vec![0.0; counties.len() * INDICATORS * CELLS.len() * NY];
    let mut benchmarks = vec![None; counties.len() * INDICATORS];
    for c in 0..counties.len() {
        for i in 0..INDICATORS {
            for cell in 0..CELLS.len() {
                let base = 10.0 + 100.0 * rnd();
                let growth = -0.03 + 0.08 * rnd();
                let at = idx(c, i, cell);
                for t in 0..NY {
                    let v = if i == ZERO {
                        (base * 0.2 - base * 0.03 * t as f64 + 2.0 * (rnd() - 0.5)).max(0.0)
                    } else {
                        base * (1.0 + growth).powi(t as i32) * (1.0 + 0.04 * (rnd() - 0.5))
                    };
                    values[at + t] = (v * 10.0).round() / 10.0;
                }
            }
            if benchmarked(i) {
                let v0 = values[idx(c, i, 0)];
                let target = if better(i) == Better::Higher { v0 * 1.3 } else { v0 * 0.7 };
                benchmarks[c * INDICATORS + i] = Some(Benchmark {
                    baseline_year: YEARS.start,
                    baseline_value: v0,
                    target_year: 2025,
                    target_value: (target * 10.0).round() / 10.0,
                });
            }
        }
    }
    Data { counties, values, benchmarks }
}

#[derive(Default, Debug, PartialEq, Clone, Copy)]
struct Counts {
    classes: [u64; 6],
    retrogressions: u64,
    gaps: u64,
    converging: u64,
}

fn class_index(c: ProgressClass) -> usize {
    match c {
        ProgressClass::TargetMet => 0,
        ProgressClass::OnTrack => 1,
        ProgressClass::NeedsAcceleration => 2,
        ProgressClass::LimitedProgress => 3,
        ProgressClass::Deterioration => 4,
        ProgressClass::InsufficientData => 5,
    }
}

/// A series' points into `buf` (reused: the loop allocates nothing per series).
fn points(buf: &mut Vec<Point>, d: &Data, c: usize, i: usize, cell: usize) {
    let at = idx(c, i, cell);
    buf.clear();
    buf.extend(YEARS.enumerate().map(|(t, year)| Point { year, value: d.values[at + t], break_before: i == BREAK && year == BREAK_YEAR }));
}

/// Evaluates the counties `range`: every series, then the gaps.
fn evaluate(d: &Data, range: std::ops::Range<usize>) -> Counts {
    let tolerance = ev::precision_tolerance(1);
    let mut n = Counts::default();
    let (mut pts, mut other) = (Vec::with_capacity(NY), Vec::with_capacity(NY));
    for c in range {
        for i in 0..INDICATORS {
            let b = better(i);
            for cell in 0..CELLS.len() {
                points(&mut pts, d, c, i, cell);
                let bench = if cell == 0 { d.benchmarks[c * INDICATORS + i] } else { None };
                let a = ev::assess(&pts, Some(b), bench.as_ref());
                n.classes[class_index(a.class)] += 1;
                n.retrogressions += u64::from(ev::retrogression(&pts, b, tolerance).is_some());
            }
            if i == ZERO {
                continue;
            }
            for (group, reference) in [(4, 3), (1, 2)] {
                points(&mut pts, d, c, i, group);
                points(&mut other, d, c, i, reference);
                let g = ev::gap(&pts, &other);
                n.gaps += 1;
                n.converging += u64::from(g.converging == Some(true));
            }
        }
    }
    n
}

fn add(a: Counts, b: Counts) -> Counts {
    let mut out = a;
    for k in 0..6 {
        out.classes[k] += b.classes[k];
    }
    out.retrogressions += b.retrogressions;
    out.gaps += b.gaps;
    out.converging += b.converging;
    out
}

fn best_of_three(f: impl Fn() -> Counts) -> (f64, Counts) {
    let mut best = f64::MAX;
    let mut out = Counts::default();
    for _ in 0..3 {
        let t = Instant::now();
        out = f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best, out)
}

fn main() {
    let d = data();
    let series = d.counties.len() * INDICATORS * CELLS.len();
    println!(
        "{} counties × {INDICATORS} indicators × {NY} years × {} cells = {series} series, {} figures",
        d.counties.len(),
        CELLS.len(),
        series * NY
    );
    let all = 0..d.counties.len();
    let (one, counts) = best_of_three(|| evaluate(&d, all.clone()));
    let (two, counts2) = best_of_three(|| {
        let half = d.counties.len() / 2;
        std::thread::scope(|s| {
            let h = s.spawn(|| evaluate(&d, 0..half));
            let b = evaluate(&d, half..d.counties.len());
            add(h.join().expect("a worker"), b)
        })
    });
    assert_eq!(counts, counts2, "one thread and two agree");
    println!("RightStat, one thread:  {one:.3} s");
    println!("RightStat, two threads: {two:.3} s");
    println!(
        "classes: target met {}, on track {}, needs acceleration {}, limited progress {}, deterioration {}, not judged {}; retrogressions {}; gaps {} of which converging {}",
        counts.classes[0],
        counts.classes[1],
        counts.classes[2],
        counts.classes[3],
        counts.classes[4],
        counts.classes[5],
        counts.retrogressions,
        counts.gaps,
        counts.converging
    );
    if std::env::var("RIGHTSTAT_SKIP_DUCKDB").is_ok_and(|v| v == "1") {
        return;
    }
    // The same rows for DuckDB: observations, benchmarks and the indicators' declarations.
    let dir = std::env::temp_dir().join(format!("rightstat-eval-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let obs = dir.join("obs.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&obs).unwrap());
    writeln!(w, "area,ind,cell,year,value").unwrap();
    for (c, code) in d.counties.iter().enumerate() {
        for i in 0..INDICATORS {
            for (k, cell) in CELLS.iter().enumerate() {
                let at = idx(c, i, k);
                for (t, year) in YEARS.enumerate() {
                    writeln!(w, "{code},{i},{cell},{year},{}", d.values[at + t]).unwrap();
                }
            }
        }
    }
    w.flush().unwrap();
    drop(w);
    let bench = dir.join("benchmarks.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&bench).unwrap());
    writeln!(w, "area,ind,baseline_year,target_year,target_value").unwrap();
    for (c, code) in d.counties.iter().enumerate() {
        for i in 0..INDICATORS {
            if let Some(b) = d.benchmarks[c * INDICATORS + i] {
                writeln!(w, "{code},{i},{},{},{}", b.baseline_year, b.target_year, b.target_value).unwrap();
            }
        }
    }
    w.flush().unwrap();
    drop(w);
    let ind = dir.join("indicators.csv");
    let mut text = "ind,sign,break_year,gaps\n".to_string();
    for i in 0..INDICATORS {
        let sign = if better(i) == Better::Higher { 1 } else { -1 };
        let brk = if i == BREAK { BREAK_YEAR } else { 0 };
        text.push_str(&format!("{i},{sign},{brk},{}\n", i != ZERO));
    }
    std::fs::write(&ind, text).unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = std::process::Command::new("python3")
        .current_dir(&root)
        .args(["benches/evaluation/duckdb_peer.py", &obs.to_string_lossy(), &bench.to_string_lossy(), &ind.to_string_lossy()])
        .output()
        .expect("python3");
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success(), "DuckDB peer failed: {}", String::from_utf8_lossy(&out.stderr));
    let line = String::from_utf8_lossy(&out.stdout);
    let f: Vec<f64> = line.split_whitespace().map(|x| x.parse().unwrap()).collect();
    let duck = f[0];
    let peer = Counts {
        classes: [f[1] as u64, f[2] as u64, f[3] as u64, f[4] as u64, f[5] as u64, 0],
        retrogressions: f[6] as u64,
        gaps: f[7] as u64,
        converging: f[8] as u64,
    };
    assert_eq!(peer, counts, "DuckDB and RightStat must classify alike");
    println!("DuckDB (in memory, 2 threads, same classes): {duck:.3} s");
    println!("DuckDB ÷ RightStat (two threads): {:.1}×", duck / two);
}
