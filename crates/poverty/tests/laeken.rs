//! The engine against R laeken and survey on the eusilc data (golden values in `golden/`).

use rightstat_poverty::{Conventions, Dataset, Line, LoadSpec, Measure, Request, compute};
use std::collections::HashMap;
use std::path::Path;

fn golden() -> HashMap<(String, String), f64> {
    let mut rdr = csv::Reader::from_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/laeken_golden.csv")).unwrap();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            ((r[0].to_string(), r[1].to_string()), r[2].trim().parse().unwrap())
        })
        .collect()
}

fn eusilc(by: &str, design: bool) -> Dataset {
    let spec = LoadSpec {
        welfare: Some("eqIncome".into()),
        weight: Some("rb050".into()),
        by: vec![by.into()],
        strata: design.then(|| "db040".into()),
        psu: design.then(|| "db030".into()),
        ..Default::default()
    };
    Dataset::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/eusilc.csv"), &spec, &|_| {}).unwrap()
}

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-9 * want.abs().max(1.0)
}

#[test]
fn eurostat_indicators_match_laeken_overall_and_by_region() {
    let gold = golden();
    let ds = eusilc("db040", false);
    assert_eq!(ds.n, 14_827);
    let req = Request {
        measures: ["arpt", "arpr", "gini", "s80s20", "rmpg", "median"].iter().map(|m| m.parse().unwrap()).collect(),
        line: None,
        conventions: Conventions::default(),
    };
    let rows = compute(&ds, &req).unwrap();
    let mut checked = 0;
    for r in &rows {
        if let Some(&want) = gold.get(&(r.measure.clone(), r.keys[0].clone())) {
            assert!(close(r.value, want), "{} {}: engine {} laeken {}", r.measure, r.keys[0], r.value, want);
            checked += 1;
        }
    }
    // arpt overall; arpr, gini, s80s20, rmpg, median overall and for 9 regions.
    assert_eq!(checked, 1 + 5 * 10, "{checked} values compared");
}

#[test]
fn fgt_and_linearised_standard_errors_match_survey() {
    let gold = golden();
    let ds = eusilc("rb090", true);
    let req = Request {
        measures: vec![Measure::Fgt(0), Measure::Fgt(1), Measure::Fgt(2)],
        line: Some(Line::Absolute(10_000.0)),
        conventions: Conventions::default(),
    };
    let rows = compute(&ds, &req).unwrap();
    assert_eq!(rows.len(), 9);
    for r in &rows {
        let g = r.keys[0].clone();
        let want = gold[&(r.measure.clone(), g.clone())];
        let want_se = gold[&(format!("se_{}", r.measure), g.clone())];
        assert!(close(r.value, want), "{} {g}: {} vs {want}", r.measure, r.value);
        let se = r.se.expect("design given, so a standard error");
        assert!((se - want_se).abs() <= 1e-9, "se {} {g}: {se} vs {want_se}", r.measure);
    }
}

#[test]
fn mpi_headcount_and_its_standard_error_match_survey() {
    // An MPI whose only indicator is income below 10,000 (k = 1) is the FGT0 headcount, so
    // its H and standard error must equal survey's.
    let gold = golden();
    let spec = rightstat_poverty::MpiSpec::parse(
        "name = 'income only'\nk = 1.0\n[[indicator]]\nname = 'income'\ncolumn = 'eqIncome'\nop = '<'\ncutoff = 10000\nweight = 1.0\n",
    )
    .unwrap();
    let mut ds = eusilc("rb090", true);
    ds.numeric.insert("eqIncome".into(), ds.welfare.clone());
    let rows = rightstat_poverty::compute_mpi(&ds, &spec).unwrap();
    for g in ["female", "male", "_T"] {
        let h = rows.iter().find(|r| r.measure == "h" && r.keys[0] == g).unwrap();
        assert!(close(h.value, gold[&("fgt0".into(), g.into())]), "{g}");
        assert!((h.se.unwrap() - gold[&("se_fgt0".into(), g.into())]).abs() <= 1e-9, "{g}");
        let m0 = rows.iter().find(|r| r.measure == "m0" && r.keys[0] == g).unwrap();
        assert!(close(m0.value, h.value) && (m0.se.unwrap() - h.se.unwrap()).abs() < 1e-12);
    }
}

#[test]
fn mpi_with_dropped_records_matches_survey_on_the_subset() {
    // 300 synthetic records in 4 strata × 15 PSUs, x1 and x2 missing in about 10 % and 5 %
    // (rule "drop"): H and A with their standard errors equal R survey's svymean and svyratio on
    // subset(design, !is.na(x1) & !is.na(x2)) — the dropped records keep their PSUs in the design.
    // Values from golden/mpi_missing.R.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/");
    let spec = rightstat_poverty::MpiSpec::parse(
        "name = 't'\nk = 0.5\n\
         [[indicator]]\nname = 'x1'\ndimension = 'a'\ncolumn = 'x1'\nop = '=='\ncutoff = 1\nweight = 0.25\nmissing = 'drop'\n\
         [[indicator]]\nname = 'x2'\ndimension = 'a'\ncolumn = 'x2'\nop = '=='\ncutoff = 1\nweight = 0.25\nmissing = 'drop'\n\
         [[indicator]]\nname = 'y'\ndimension = 'b'\ncolumn = 'y'\nop = '=='\ncutoff = 1\nweight = 0.5\n",
    )
    .unwrap();
    let load = rightstat_poverty::LoadSpec {
        weight: Some("w".into()),
        strata: Some("strata".into()),
        psu: Some("psu".into()),
        numeric: spec.columns(),
        ..Default::default()
    };
    let ds = rightstat_poverty::Dataset::load(std::path::Path::new(&format!("{dir}mpi_missing.csv")), &load, &|_| {}).unwrap();
    let (rows, counts) = rightstat_poverty::compute_mpi_report(&ds, &spec).unwrap();
    let h = rows.iter().find(|r| r.measure == "h").unwrap();
    assert!((h.value - 0.486136805132681).abs() < 1e-12, "{}", h.value);
    assert!((h.se.unwrap() - 0.033796536803614).abs() < 1e-12, "{:?}", h.se);
    assert_eq!(h.n_obs, 246);
    // The intensity A, a ratio of two totals, and its standard error (svyratio).
    let a = rows.iter().find(|r| r.measure == "a").unwrap();
    assert!((a.value - 0.675552004648460).abs() < 1e-12, "{}", a.value);
    assert!((a.se.unwrap() - 0.016770993712309).abs() < 1e-12, "{:?}", a.se);
    // Every record missing x1 or x2 is dropped, and counted under each indicator it misses.
    assert!(counts[..2].iter().all(|c| c.records > 0 && c.dropped == c.records), "{counts:?}");
    assert_eq!((counts[2].records, counts[2].dropped), (0, 0));
}
