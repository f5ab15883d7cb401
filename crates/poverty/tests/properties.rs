//! Properties every correct implementation has, on many random data sets.

use rightstat_poverty::{Conventions, Dataset, Line, LoadSpec, MpiSpec, Request, compute, compute_mpi};

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn dataset(seed: u64, n: usize) -> Dataset {
    let mut r = Rng(seed | 1);
    let mut csv = String::from("y,w,region,sex\n");
    for _ in 0..n {
        let y = (r.next() * 3.0).exp() * 1000.0 * if r.next() < 0.05 { 0.0 } else { 1.0 };
        let w = 1.0 + (r.next() * 100.0).floor();
        let region = ["east", "west", "centre"][(r.next() * 3.0) as usize % 3];
        let sex = if r.next() < 0.5 { "F" } else { "M" };
        csv.push_str(&format!("{y},{w},{region},{sex}\n"));
    }
    let spec =
        LoadSpec { welfare: Some("y".into()), weight: Some("w".into()), by: vec!["region".into(), "sex".into()], ..Default::default() };
    Dataset::from_csv(csv.as_bytes(), "random", &spec).unwrap()
}

fn request(z: f64) -> Request {
    Request {
        measures: ["fgt0", "fgt1", "fgt2", "watts", "gini", "median", "mean", "theil", "mld", "s80s20", "arpr"]
            .iter()
            .map(|m| m.parse().unwrap())
            .collect(),
        line: Some(Line::Absolute(z)),
        conventions: Conventions::default(),
    }
}

fn permute(ds: &Dataset, seed: u64) -> Dataset {
    let mut r = Rng(seed);
    let mut idx: Vec<usize> = (0..ds.n).collect();
    for i in (1..idx.len()).rev() {
        idx.swap(i, (r.next() * (i + 1) as f64) as usize % (i + 1));
    }
    let mut p = ds.clone();
    p.welfare = idx.iter().map(|&i| ds.welfare[i]).collect();
    p.weight = idx.iter().map(|&i| ds.weight[i]).collect();
    for (c, src) in p.by.iter_mut().zip(&ds.by) {
        c.codes = idx.iter().map(|&i| src.codes[i]).collect();
    }
    p
}

#[test]
fn permuting_records_changes_nothing() {
    for seed in 1..20 {
        let ds = dataset(seed, 300);
        let a = compute(&ds, &request(2000.0)).unwrap();
        let b = compute(&permute(&ds, seed * 7 + 3), &request(2000.0)).unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert_eq!((&x.keys, &x.measure), (&y.keys, &y.measure));
            assert!((x.value - y.value).abs() <= 1e-9 * x.value.abs().max(1.0) || (x.value.is_nan() && y.value.is_nan()), "{x:?} vs {y:?}");
        }
    }
}

#[test]
fn scaling_incomes_and_line_together_leaves_fgt_unchanged() {
    for seed in 1..20 {
        let ds = dataset(seed, 200);
        let mut scaled = ds.clone();
        scaled.welfare.iter_mut().for_each(|y| *y *= 7.5);
        let a = compute(&ds, &request(2000.0)).unwrap();
        let b = compute(&scaled, &request(15_000.0)).unwrap();
        for (x, y) in a.iter().zip(&b).filter(|(x, _)| x.measure.starts_with("fgt") || x.measure == "watts" || x.measure == "gini") {
            assert!((x.value - y.value).abs() < 1e-12, "{x:?} vs {y:?}");
        }
    }
}

#[test]
fn fgt_of_the_whole_is_the_population_weighted_fgt_of_its_groups() {
    for seed in 1..20 {
        let rows = compute(&dataset(seed, 250), &request(2500.0)).unwrap();
        for m in ["fgt0", "fgt1", "fgt2", "watts", "mean"] {
            let total = rows.iter().find(|r| r.measure == m && r.keys == ["_T", "_T"]).unwrap();
            let parts: Vec<_> = rows.iter().filter(|r| r.measure == m && r.keys[0] != "_T" && r.keys[1] == "_T").collect();
            let weighted: f64 = parts.iter().map(|r| r.value * r.sum_weight).sum::<f64>() / parts.iter().map(|r| r.sum_weight).sum::<f64>();
            assert!((weighted - total.value).abs() < 1e-12 * total.value.abs().max(1.0), "{m}: {weighted} vs {}", total.value);
        }
    }
}

#[test]
fn gini_lies_in_zero_to_one() {
    for seed in 1..30 {
        for r in compute(&dataset(seed, 150), &request(2000.0)).unwrap().iter().filter(|r| r.measure == "gini") {
            assert!((0.0..1.0).contains(&r.value), "{r:?}");
        }
    }
    // Perfect equality: 0.
    let ds = Dataset::from_csv(
        "y,w\n5,1\n5,2\n5,3\n".as_bytes(),
        "eq",
        &LoadSpec { welfare: Some("y".into()), weight: Some("w".into()), ..Default::default() },
    )
    .unwrap();
    let g = compute(&ds, &Request { measures: vec!["gini".parse().unwrap()], line: None, conventions: Conventions::default() }).unwrap();
    assert!(g[0].value.abs() < 1e-15);
}

fn small(csv: &str, by: &[&str], numeric: &[&str]) -> Dataset {
    let spec = LoadSpec {
        welfare: Some("y".into()),
        weight: Some("w".into()),
        by: by.iter().map(|s| s.to_string()).collect(),
        numeric: numeric.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    Dataset::from_csv(csv.as_bytes(), "hand", &spec).unwrap()
}

#[test]
fn hand_checked_small_case() {
    // Four people, line 10: incomes 2, 6, 10, 20 with weights 1, 1, 2, 1.
    let ds = small("y,w\n2,1\n6,1\n10,2\n20,1\n", &[], &[]);
    let req = Request {
        measures: ["fgt0", "fgt1", "fgt2", "watts", "mean", "median", "gini", "line"].iter().map(|m| m.parse().unwrap()).collect(),
        line: Some(Line::Absolute(10.0)),
        conventions: Conventions::default(),
    };
    let v: std::collections::HashMap<String, f64> = compute(&ds, &req).unwrap().into_iter().map(|r| (r.measure, r.value)).collect();
    assert_eq!(v["fgt0"], 2.0 / 5.0); // 2 and 6 are below 10; 10 is not (strict)
    assert!((v["fgt1"] - (0.8 + 0.4) / 5.0).abs() < 1e-15);
    assert!((v["fgt2"] - (0.64 + 0.16) / 5.0).abs() < 1e-15);
    assert!((v["watts"] - ((10.0f64 / 2.0).ln() + (10.0f64 / 6.0).ln()) / 5.0).abs() < 1e-15);
    assert_eq!(v["mean"], 48.0 / 5.0);
    assert_eq!(v["median"], 10.0); // cumulative shares .2 .4 .8 1: first above .5 is 10
    // Gini by the formula: sorted 2(1) 6(1) 10(2) 20(1); C = 1 2 4 5; W = 5; T = 48.
    let g = (2.0 * 1.0 * (2.0 - 1.0) + 6.0 * (4.0 - 1.0) + 20.0 * (8.0 - 2.0) + 20.0 * (10.0 - 1.0)) / (5.0 * 48.0) - 1.0;
    assert!((v["gini"] - g).abs() < 1e-15);
    assert_eq!(v["line"], 10.0);
    // y <= z counts the person at the line.
    let mut le = req.clone();
    le.conventions.poor_if = rightstat_poverty::PoorIf::AtOrBelow;
    let fgt0 = compute(&ds, &le).unwrap().into_iter().find(|r| r.measure == "fgt0").unwrap().value;
    assert_eq!(fgt0, 4.0 / 5.0);
    // A relative line: 60 % of the median (10) = 6; strictly below: only 2.
    let mut rel = req.clone();
    rel.line = Some("relative:0.6:median".parse().unwrap());
    let rows = compute(&ds, &rel).unwrap();
    assert_eq!(rows.iter().find(|r| r.measure == "line").unwrap().value, 6.0);
    assert_eq!(rows.iter().find(|r| r.measure == "fgt0").unwrap().value, 1.0 / 5.0);
}

#[test]
fn mpi_hand_checked() {
    // Three indicators weighted 1/2, 1/4, 1/4; k = 1/2.
    let spec = MpiSpec::parse(
        r#"name = "test"
k = 0.5
[[indicator]]
name = "edu"
column = "school_years"
op = "<"
cutoff = 6
weight = 0.5
[[indicator]]
name = "water"
column = "water"
op = "=="
cutoff = 0
weight = 0.25
[[indicator]]
name = "housing"
column = "housing"
op = "=="
cutoff = 0
weight = 0.25
"#,
    )
    .unwrap();
    // person: edu water housing -> score: p1 1,1,1 = 1; p2 0,1,1 = .5; p3 1,0,0 = .5; p4 0,1,0 = .25
    let ds =
        small("y,w,school_years,water,housing\n0,1,3,0,0\n0,1,9,0,0\n0,2,2,1,1\n0,1,9,0,1\n", &[], &["school_years", "water", "housing"]);
    let v: std::collections::HashMap<String, f64> = compute_mpi(&ds, &spec).unwrap().into_iter().map(|r| (r.measure, r.value)).collect();
    // Weights 1,1,2,1 (W = 5). Poor: p1, p2, p3 (weight 4). H = 4/5; M0 = (1 + .5 + 2*.5)/5 = .5; A = .625.
    assert!((v["h"] - 0.8).abs() < 1e-15);
    assert!((v["m0"] - 0.5).abs() < 1e-15);
    assert!((v["a"] - 0.625).abs() < 1e-15);
    assert!((v["uncensored_water"] - 3.0 / 5.0).abs() < 1e-15);
    assert!((v["censored_water"] - 2.0 / 5.0).abs() < 1e-15, "p4 is deprived in water but not poor");
    let contrib: f64 = ["edu", "water", "housing"].iter().map(|n| v[&format!("contribution_{n}")]).sum();
    assert!((contrib - 1.0).abs() < 1e-12, "contributions sum to 1");
    assert!(
        MpiSpec::parse("name='x'\nk=0.5\n[[indicator]]\nname='a'\ncolumn='a'\nop='<'\ncutoff=1\nweight=0.7\n").is_err(),
        "weights must sum to 1"
    );
}

#[test]
fn lines_per_year_and_relative_lines_per_group() {
    let spec = LoadSpec {
        welfare: Some("y".into()),
        weight: Some("w".into()),
        by: vec!["year".into()],
        line_key: Some("year".into()),
        ..Default::default()
    };
    let ds = Dataset::from_csv("y,w,year\n2000,1,2012\n2700,1,2012\n2700,1,2013\n3000,1,2013\n".as_bytes(), "panel", &spec).unwrap();
    let lines: std::collections::HashMap<String, f64> = [("2012".to_string(), 2625.0), ("2013".to_string(), 2736.0)].into();
    let req = Request {
        measures: vec!["fgt0".parse().unwrap(), "line".parse().unwrap()],
        line: Some(Line::PerKey(lines)),
        conventions: Conventions::default(),
    };
    let rows = compute(&ds, &req).unwrap();
    let get = |year: &str, m: &str| rows.iter().find(|r| r.keys[0] == year && r.measure == m).unwrap().value;
    assert_eq!((get("2012", "fgt0"), get("2013", "fgt0"), get("_T", "fgt0")), (0.5, 0.5, 0.5));
    assert_eq!((get("2012", "line"), get("2013", "line")), (2625.0, 2736.0));
    // Relative lines: national median by default, each group's own when asked.
    let ds = small("y,w,g\n1,1,a\n2,1,a\n3,1,a\n10,1,b\n20,1,b\n30,1,b\n", &["g"], &[]);
    let mut req = Request {
        measures: vec!["fgt0".parse().unwrap(), "line".parse().unwrap()],
        line: Some("relative:0.5:median".parse().unwrap()),
        conventions: Conventions::default(),
    };
    let national = compute(&ds, &req).unwrap();
    assert!(national.iter().filter(|r| r.measure == "line").all(|r| r.value == 5.0), "half the national median (10) everywhere");
    req.conventions.relative_per_group = true;
    let own = compute(&ds, &req).unwrap();
    let line_a = own.iter().find(|r| r.keys[0] == "a" && r.measure == "line").unwrap().value;
    assert_eq!(line_a, 1.0, "half of group a's median (2)");
}

#[test]
fn the_fast_fgt_path_agrees_with_the_general_one() {
    for seed in 1..10 {
        let ds = dataset(seed, 500);
        for poor_if in [rightstat_poverty::PoorIf::Below, rightstat_poverty::PoorIf::AtOrBelow] {
            let conventions = Conventions { poor_if, ..Default::default() };
            let fast = Request {
                measures: ["fgt0", "fgt1", "fgt2", "watts", "mean", "line"].iter().map(|m| m.parse().unwrap()).collect(),
                line: Some(Line::Absolute(2000.0)),
                conventions: conventions.clone(),
            };
            let mut general = fast.clone();
            general.measures.push("gini".parse().unwrap()); // needs ordering: the general path
            let a = compute(&ds, &fast).unwrap();
            let b: Vec<_> = compute(&ds, &general).unwrap().into_iter().filter(|r| r.measure != "gini").collect();
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(&b) {
                assert_eq!((&x.keys, &x.measure, x.n_obs), (&y.keys, &y.measure, y.n_obs));
                assert!((x.value - y.value).abs() <= 1e-12 * x.value.abs().max(1.0), "{x:?} vs {y:?}");
            }
        }
    }
}

#[test]
fn negative_incomes_kept_zeroed_or_dropped() {
    let load = || small("y,w\n-500,1\n500,1\n2000,1\n", &[], &[]);
    let req = Request {
        measures: vec!["fgt0".parse().unwrap(), "fgt1".parse().unwrap()],
        line: Some(Line::Absolute(1000.0)),
        conventions: Conventions::default(),
    };
    let v = |ds: &Dataset| compute(ds, &req).unwrap().iter().map(|r| r.value).collect::<Vec<_>>();
    let mut keep = load();
    assert_eq!(keep.handle_negative(rightstat_poverty::Negative::Keep), 1);
    assert!((v(&keep)[1] - (1.5 + 0.5) / 3.0).abs() < 1e-15, "a gap of 1.5 for -500");
    let mut zero = load();
    zero.handle_negative(rightstat_poverty::Negative::Zero);
    assert!((v(&zero)[1] - (1.0 + 0.5) / 3.0).abs() < 1e-15);
    let mut drop = load();
    drop.handle_negative(rightstat_poverty::Negative::Drop);
    assert_eq!(drop.n, 2);
    assert_eq!(v(&drop), [0.5, 0.25]);
}

/// The records of `ds` for which `keep` holds, without a breakdown.
fn subset(ds: &Dataset, keep: impl Fn(usize) -> bool) -> Dataset {
    let idx: Vec<usize> = (0..ds.n).filter(|&i| keep(i)).collect();
    Dataset {
        n: idx.len(),
        welfare: idx.iter().map(|&i| ds.welfare[i]).collect(),
        weight: idx.iter().map(|&i| ds.weight[i]).collect(),
        source: "subset".into(),
        ..Default::default()
    }
}

#[test]
fn every_core_computes_what_each_group_alone_gives() {
    // Large enough for the sort, the gather and the ordered walk to be shared between cores
    // (2^18 records and up); each group alone is below that and runs on one core.
    let ds = dataset(11, 300_000);
    let mut req = request(2000.0);
    req.measures.extend(["p10", "p90", "deciles"].iter().map(|m| m.parse().unwrap()));
    // The at-risk-of-poverty threshold from each group's own median, as a group alone has it.
    req.conventions.relative_per_group = true;
    let all = compute(&ds, &req).unwrap();
    let label = |j: usize, i: usize| ds.by[j].labels[ds.by[j].codes[i] as usize].clone();
    let mut checked = 0;
    for region in ["east", "west", "centre", "_T"] {
        for sex in ["F", "M", "_T"] {
            let alone = subset(&ds, |i| (region == "_T" || label(0, i) == region) && (sex == "_T" || label(1, i) == sex));
            let rows = compute(&alone, &req).unwrap();
            for r in rows {
                let x = all.iter().find(|a| a.keys == [region, sex] && a.measure == r.measure).expect("group present");
                assert_eq!(x.n_obs, r.n_obs);
                assert!(
                    (x.value - r.value).abs() <= 1e-12 * r.value.abs().max(1.0),
                    "{region} {sex} {}: {} vs {}",
                    r.measure,
                    x.value,
                    r.value
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 12 * 23);
}

/// `n` records in `villages` villages, by region and sex as in [`dataset`].
fn village_dataset(n: usize, villages: u64, by: &[&str]) -> Dataset {
    let mut r = Rng(77);
    let mut csv = String::from("y,w,village,region,sex\n");
    for _ in 0..n {
        let y = (r.next() * 3.0).exp() * 1000.0;
        let w = 1.0 + (r.next() * 10.0).floor();
        let village = (r.next() * villages as f64) as u64;
        let region = ["east", "west", "centre"][(r.next() * 3.0) as usize % 3];
        let sex = if r.next() < 0.5 { "F" } else { "M" };
        csv.push_str(&format!("{y},{w},v{village:06},{region},{sex}\n"));
    }
    let spec = LoadSpec {
        welfare: Some("y".into()),
        weight: Some("w".into()),
        by: by.iter().map(|c| c.to_string()).collect(),
        ..Default::default()
    };
    Dataset::from_csv(csv.as_bytes(), "villages", &spec).unwrap()
}

#[test]
fn village_breakdowns_give_what_each_village_alone_gives() {
    let mut req = request(2000.0);
    req.conventions.relative_per_group = true;
    // 300,000 records in 40,000 villages: every combination numbered, records sorted on every
    // core, the village subset walked group by group; then village × region × sex, whose
    // 240,000 combinations outnumber the 100,000 records, so only the observed ones are numbered.
    for (ds, wanted) in
        [(village_dataset(300_000, 40_000, &["village"]), 1), (village_dataset(100_000, 40_000, &["village", "region", "sex"]), 3)]
    {
        let all = compute(&ds, &req).unwrap();
        let villages = all.iter().filter(|r| r.measure == "gini" && r.keys.iter().skip(1).all(|k| k == "_T") && r.keys[0] != "_T").count();
        assert!(villages > 30_000, "{villages} villages");
        let index: std::collections::HashMap<(&[String], &str), &rightstat_poverty::ResultRow> =
            all.iter().map(|r| ((r.keys.as_slice(), r.measure.as_str()), r)).collect();
        let mut labels = ds.by[0].labels.clone();
        labels.sort();
        for v in [&labels[0], &labels[labels.len() / 2], &labels[labels.len() - 1]] {
            let code = ds.by[0].labels.iter().position(|l| l == v).expect("village drawn") as u32;
            let alone = compute(&subset(&ds, |i| ds.by[0].codes[i] == code), &req).unwrap();
            let mut key = vec![v.to_string()];
            key.extend(std::iter::repeat_n("_T".to_string(), wanted - 1));
            assert_eq!(alone.len(), 11);
            for r in alone {
                let x = index[&(key.as_slice(), r.measure.as_str())];
                assert_eq!(x.n_obs, r.n_obs);
                assert!((x.value - r.value).abs() <= 1e-12 * r.value.abs().max(1.0), "{v} {}: {} vs {}", r.measure, x.value, r.value);
            }
        }
        // The full breakdown comes first, its groups in label order.
        let full: Vec<&Vec<String>> =
            all.iter().filter(|r| r.measure == "gini").map(|r| &r.keys).take_while(|k| !k.iter().any(|c| c == "_T")).collect();
        assert!(full.len() >= villages && full.windows(2).all(|w| w[0] < w[1]));
    }
}
