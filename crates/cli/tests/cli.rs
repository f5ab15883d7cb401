//! The `rightstat` binary driven as a user would: commands, files, exit codes and messages.

use rightstat_store::testing;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn rightstat(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rightstat")).arg("--db").arg(db).args(args).output().expect("run rightstat")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

async fn dbs(dir: &Path) -> Vec<String> {
    testing::fresh_urls(dir).await
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p.display().to_string()
}

#[test]
fn a_department_answers_a_retrogression_case_and_the_draft_carries_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = testing::fresh_sqlite_url(dir.path());
    assert!(rightstat(&db, &["init", "--demo"]).status.success());
    let list = text(&rightstat(&db, &["retrogression", "list"]).stdout);
    assert!(list.contains("CN_ENGEL_COEF CN: 29.8 (2021) → 30.5 (2022); NBS; awaiting the department's answer"), "{list}");
    // An incomplete answer is refused whole.
    let answer = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/engel-answer.json");
    let full = std::fs::read_to_string(answer).unwrap();
    let partial = dir.path().join("partial.json");
    std::fs::write(&partial, full.replace(r#""verdict": "no""#, r#""verdict": "maybe""#)).unwrap();
    let bad = rightstat(&db, &["retrogression", "answer", partial.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("not an answer"), "{}", text(&bad.stderr));
    let ok = rightstat(&db, &["retrogression", "answer", answer]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert!(text(&ok.stdout).contains("answer recorded as version 1"), "{}", text(&ok.stdout));
    let list = text(&rightstat(&db, &["retrogression", "list"]).stdout);
    assert!(list.contains("CN_ENGEL_COEF CN: 29.8 (2021) → 30.5 (2022); NBS; answered (version 1)"), "{list}");
    // The draft carries the cause and every answer, in both languages.
    for (lang, cause, answer) in [
        (
            "en",
            "attributes the step to circumstances beyond a measure",
            "Minimum living guarantee standards and temporary price subsidies were raised with prices.",
        ),
        ("zh", "倒退的原因是措施以外的情况", "和临时价格补贴随物价上调。"),
    ] {
        let out = dir.path().join(format!("cescr-{lang}.md"));
        let r = rightstat(&db, &["report", "cescr", "--lang", lang, "--format", "md", "--out", out.to_str().unwrap()]);
        assert!(r.status.success(), "{}", text(&r.stderr));
        let md = std::fs::read_to_string(&out).unwrap();
        assert!(md.contains(cause) && md.contains(answer), "{lang}: {md}");
    }
}

#[test]
fn poverty_decomposes_inequality_between_and_within_groups() {
    let dir = tempfile::tempdir().unwrap();
    let db = testing::fresh_sqlite_url(dir.path());
    let args =
        ["poverty", EUSILC, "--welfare", "eqIncome", "--weight", "rb050", "--by", "db040", "--measures", "theil,mld", "--format", "csv"];
    let out = rightstat(&db, &[&args[..], &["--decompose"]].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    // The measures, then the decomposition by region.
    let value = |prefix: &str, col: usize| -> f64 {
        csv.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix}: {csv}"))
            .split(',')
            .nth(col)
            .unwrap()
            .parse()
            .unwrap()
    };
    for index in ["theil", "mld"] {
        let total = value(&format!("_T,{index},"), 2);
        let (within, between, whole) = (
            value(&format!("{index},db040,_within,"), 6),
            value(&format!("{index},db040,_between,"), 6),
            value(&format!("{index},db040,_T,"), 6),
        );
        assert!((whole - total).abs() < 1e-12, "{index}: {whole} vs the engine's {total}");
        assert!((within + between - total).abs() < 1e-12, "{index}");
        // Austria's nine regions differ little in mean income: most inequality is within them.
        assert!(between > 0.0 && between < 0.1 * total, "{index}: between {between} of {total}");
    }
    assert_eq!(csv.lines().filter(|l| l.starts_with("theil,db040,") && !l.contains(",_")).count(), 9, "one row per region");
    let bad = rightstat(&db, &["poverty", EUSILC, "--welfare", "eqIncome", "--measures", "theil", "--decompose"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("--decompose needs a breakdown (--by)"), "{}", text(&bad.stderr));
}

#[tokio::test]
async fn import_then_export_on_every_backend() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        dir.path(),
        "good.csv",
        "indicator,area,period,URBANISATION,value,source\n\
         CN_RURAL_POOR_POP,CN,2012,,9899,NBS\n\
         SI_POV_NAHC,CN,2012,R,10.2,NBS\n\
         CN_DIBAO_STANDARD,13,2015,R,3177.6,MCA\n",
    );
    // The last row is per year: say so, and it is converted.
    let good = {
        let t = std::fs::read_to_string(&good).unwrap().replace("source\n", "source,unit\n");
        let t = t
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i == 0 {
                    l.to_string()
                } else if l.contains("DIBAO") {
                    format!("{l},CNY_PP_YEAR")
                } else {
                    format!("{l},")
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        write(dir.path(), "good2.csv", &t)
    };
    for db in dbs(dir.path()).await {
        let init = rightstat(&db, &["init"]);
        assert!(init.status.success(), "{}", text(&init.stderr));
        assert!(text(&init.stdout).contains("county 2978"));
        let out = rightstat(&db, &["import", "observations", &good]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains("3 rows imported: 3 new values, 0 revisions, 0 unchanged (batch"), "{}", text(&out.stdout));
        let out = rightstat(&db, &["export", "observations", "--indicator", "CN_DIBAO_STANDARD", "--format", "sdmx-csv"]);
        let csv = text(&out.stdout);
        assert!(csv.starts_with("STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,REF_AREA,URBANISATION,TIME_PERIOD,OBS_VALUE"), "{csv}");
        assert!(csv.contains(",13,R,2015,264.8,CNY_PP_MONTH,0,A,MCA,converted from 3177.6 CNY_PP_YEAR to CNY_PP_MONTH"), "{csv}");
        let json = rightstat(&db, &["export", "observations", "--area", "CN", "--format", "json"]);
        let rows: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        assert_eq!(rows.as_array().unwrap().len(), 2);
    }
}

#[tokio::test]
async fn a_malformed_file_changes_nothing_and_every_bad_row_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.csv",
        "indicator,area,period,SEX,value\n\
         CN_RURAL_POOR_POP,CN,2012,F,4800\n\
         CN_RURAL_POOR_POP,CN,2012,W,4800\n\
         CN_RURAL_POOR_POP,CN,twenty,_T,1\n\
         SI_POV_NAHC,CN,2013,_T,-3\n",
    );
    for db in dbs(dir.path()).await {
        rightstat(&db, &["init"]);
        let out = rightstat(&db, &["import", "observations", &bad]);
        assert_eq!(out.status.code(), Some(1));
        let err = text(&out.stderr);
        for expected in [
            "bad.csv: row 3, column SEX: found \"W\", expected one of F, M, _T",
            "bad.csv: row 4, column period: found \"twenty\"",
            "bad.csv: row 5, column value: found \"-3\", expected a percent value from 0 to 100",
            "3 error(s) in 4 rows; nothing was imported",
        ] {
            assert!(err.contains(expected), "missing {expected:?} in\n{err}");
        }
        let export = rightstat(&db, &["export", "observations"]);
        assert_eq!(text(&export.stdout).lines().count(), 1, "only the header: the good row was not applied");
        // A dry run of a good file writes nothing either.
        let good = write(dir.path(), "ok.csv", "indicator,area,period,value\nCN_RURAL_POOR_POP,CN,2012,9899\n");
        let out = rightstat(&db, &["import", "observations", &good, "--dry-run"]);
        assert!(text(&out.stdout).contains("dry run"), "{}", text(&out.stdout));
        assert_eq!(text(&rightstat(&db, &["export", "observations"]).stdout).lines().count(), 1);
    }
}

#[test]
fn every_command_explains_itself() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["init", "--help"],
        vec!["import", "observations", "--help"],
        vec!["export", "observations", "--help"],
        vec!["catalog", "list", "--help"],
        vec!["catalog", "show", "--help"],
        vec!["areas", "import", "--help"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_rightstat")).args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(text(&out.stdout).len() > 200, "{args:?}: {}", text(&out.stdout));
    }
}

#[test]
fn catalogue_and_townships_from_the_shipped_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = testing::fresh_sqlite_url(dir.path());
    let out = rightstat(&db, &["catalog", "show", "CN_RURAL_POOR_POP"]);
    let show = text(&out.stdout);
    assert!(show.contains("农村贫困人口") && show.contains("multiplier 4 (values × 10,000)"), "{show}");
    let list = text(&rightstat(&db, &["catalog", "list"]).stdout);
    assert!(list.lines().count() > 40);
    assert_eq!(rightstat(&db, &["catalog", "show", "NOPE"]).status.code(), Some(1));
    let streets = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/admin-divisions-cn-2023/streets.csv");
    let out = rightstat(&db, &["areas", "import", streets, "--level", "township"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("41352 township areas loaded"), "{}", text(&out.stdout));
    let show = text(&rightstat(&db, &["areas", "show", "110101"]).stdout);
    assert!(show.contains("110101001 东华门街道"), "{show}");
}

#[test]
fn serve_demo_answers_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let db = testing::fresh_sqlite_url(dir.path());
    let mut child = Command::new(env!("CARGO_BIN_EXE_rightstat"))
        .args(["--db", &db, "serve", "--demo", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap().trim_end_matches('/').to_string();
    let body = ureq::get(&format!("{base}/api/v1/observations?indicator=CN_RURAL_POOR_POP&area=CN"))
        .call()
        .map(|mut r| r.body_mut().read_to_string().unwrap());
    child.kill().unwrap();
    let _ = child.wait();
    let v: serde_json::Value = serde_json::from_str(&body.unwrap()).unwrap();
    let y2012 = v["observations"].as_array().unwrap().iter().find(|o| o["period"] == "2012").unwrap().clone();
    assert_eq!((y2012["value"].as_f64(), y2012["unit_mult"].as_i64()), (Some(9899.0), Some(4)));
}

/// Edits one audit record directly in the database.
async fn tamper(db: &str) {
    use sqlx::Connection;
    let sql = "UPDATE audit_log SET new_value = 'nothing happened' WHERE seq = 2";
    if db.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(db).await.unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
    } else {
        let mut c = sqlx::SqliteConnection::connect(&db.replace("sqlite://", "sqlite:")).await.unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
    }
}

fn rightstat_stdin(db: &str, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_rightstat"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("RIGHTSTAT_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn accounts_tokens_and_a_tampered_audit_trail() {
    let dir = tempfile::tempdir().unwrap();
    for db in dbs(dir.path()).await {
        assert!(rightstat(&db, &["init"]).status.success());
        let out = rightstat_stdin(&db, &["user", "add", "chen", "--name", "Chen, Hebei civil affairs"], "a long enough password\n");
        assert!(out.status.success(), "{}", text(&out.stderr));
        let out = rightstat(&db, &["user", "grant", "chen", "--role", "reporter", "--area", "130102", "--department", "MCA"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(
            rightstat(&db, &["user", "grant", "chen", "--role", "emperor", "--area", "CN"]).status.code(),
            Some(2),
            "bad role is a usage error"
        );
        let list = text(&rightstat(&db, &["user", "list"]).stdout);
        assert!(list.contains("reporter@130102 (MCA)"), "{list}");
        let out = rightstat(
            &db,
            &["token", "create", "--user", "chen", "--name", "etl", "--role", "reporter", "--area", "130102", "--department", "MCA"],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        let secret = text(&out.stdout).trim().to_string();
        assert!(secret.starts_with("rst_") && secret.len() > 60);
        assert!(!text(&rightstat(&db, &["token", "list"]).stdout).contains(&secret), "secrets are never shown again");
        assert!(rightstat(&db, &["token", "revoke", "1"]).status.success());
        assert!(text(&rightstat(&db, &["token", "list"]).stdout).contains("revoked"));

        let ok = rightstat(&db, &["audit", "verify"]);
        assert!(ok.status.success(), "{}", text(&ok.stderr));
        let log = text(&rightstat(&db, &["audit", "list", "--action", "token.create"]).stdout);
        assert!(log.contains("token.create"), "{log}");
        tamper(&db).await;
        let bad = rightstat(&db, &["audit", "verify"]);
        assert_eq!(bad.status.code(), Some(1));
        assert!(text(&bad.stderr).contains("BROKEN at record 2"), "{}", text(&bad.stderr));
    }
}

const EUSILC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../poverty/tests/golden/eusilc.csv");

/// `poverty --stream` reads a Parquet file in passes (here in pieces of about a thousand
/// records) and prints what the in-memory run prints, to rounding.
#[test]
fn poverty_streams_a_parquet_file_to_the_same_results() {
    use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let db = testing::fresh_sqlite_url(dir.path());
    let mut rdr = csv::Reader::from_path(EUSILC).unwrap();
    let (mut inc, mut w, mut region, mut sex) = (vec![], vec![], vec![], vec![]);
    for r in rdr.records() {
        let r = r.unwrap();
        inc.push(r[0].parse::<f64>().unwrap());
        w.push(r[1].parse::<f64>().unwrap());
        region.push(r[2].to_string());
        sex.push(r[3].to_string());
    }
    let batch = RecordBatch::try_from_iter([
        ("eqIncome", Arc::new(Float64Array::from(inc)) as ArrayRef),
        ("rb050", Arc::new(Float64Array::from(w)) as ArrayRef),
        ("db040", Arc::new(StringArray::from(region)) as ArrayRef),
        ("rb090", Arc::new(StringArray::from(sex)) as ArrayRef),
    ])
    .unwrap();
    let pq = dir.path().join("eusilc.parquet");
    let props = parquet::file::properties::WriterProperties::builder().set_max_row_group_row_count(Some(2_000)).build();
    let mut writer = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&pq).unwrap(), batch.schema(), Some(props)).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    let pq = pq.to_str().unwrap();
    let args = [
        "poverty",
        pq,
        "--welfare",
        "eqIncome",
        "--weight",
        "rb050",
        "--by",
        "db040,rb090",
        "--line",
        "relative:0.6:median",
        "--measures",
        "fgt0,fgt1,fgt2,watts,mean,median,p90,gini,theil,arpr,line",
        "--format",
        "csv",
    ];
    let memory = rightstat(&db, &args);
    assert!(memory.status.success(), "{}", text(&memory.stderr));
    // 100 KB: pieces of about a thousand records.
    let streamed = rightstat(&db, &[&args[..], &["--stream", "--memory-gib", "0.0001"]].concat());
    assert!(streamed.status.success(), "{}", text(&streamed.stderr));
    let note = text(&streamed.stderr);
    let passes: usize = note.split(" passes").next().and_then(|s| s.rsplit(' ').next()).and_then(|n| n.parse().ok()).unwrap_or(0);
    assert!(note.contains("streamed: 14827 records in") && passes > 10, "{note}");
    let (a, b) = (text(&memory.stdout), text(&streamed.stdout));
    assert_eq!(a.lines().count(), b.lines().count());
    assert!(a.lines().count() > 11 * 30, "{a}");
    for (x, y) in a.lines().zip(b.lines()) {
        for (f, g) in x.split(',').zip(y.split(',')) {
            match (f.parse::<f64>(), g.parse::<f64>()) {
                (Ok(u), Ok(v)) => assert!((u - v).abs() <= 1e-12 * u.abs().max(1.0), "{x} vs {y}"),
                _ => assert_eq!(f, g, "{x} vs {y}"),
            }
        }
    }
    // What a streamed run cannot do is said before anything is read.
    let bad = rightstat(&db, &["poverty", EUSILC, "--welfare", "eqIncome", "--measures", "mean", "--stream"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("--stream reads Parquet files"), "{}", text(&bad.stderr));
    let bad = rightstat(&db, &["poverty", pq, "--welfare", "eqIncome", "--measures", "deciles", "--stream"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("not computed in streamed runs"), "{}", text(&bad.stderr));
}

#[test]
fn poverty_csv_follows_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let db = testing::fresh_sqlite_url(dir.path());
    let out = rightstat(
        &db,
        &[
            "poverty",
            EUSILC,
            "--welfare",
            "eqIncome",
            "--weight",
            "rb050",
            "--by",
            "db040,rb090",
            "--line",
            "relative:0.6:median",
            "--measures",
            "fgt0,gini",
            "--format",
            "csv",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("db040,rb090,measure,value,n_obs,sum_weight"));
    // 9 regions × 2 sexes + 9 region margins + 2 sex margins + the total, 2 measures each.
    assert_eq!(lines.clone().count(), (18 + 9 + 2 + 1) * 2);
    let total = lines.find(|l| l.starts_with("_T,_T,fgt0,")).unwrap();
    assert!(total.contains(",14827,"), "{total}");
    // The at-risk rate equals fgt0 with a line at 60 % of the national median.
    let fgt0: f64 = total.split(',').nth(3).unwrap().parse().unwrap();
    assert!((fgt0 * 100.0 - 14.444_218_167_533_55).abs() < 1e-9);
    let bad = rightstat(&db, &["poverty", EUSILC, "--welfare", "income", "--line", "1"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("column \"income\" not found"), "{}", text(&bad.stderr));
}

#[tokio::test]
async fn mpi_and_publishing_with_suppression() {
    let dir = tempfile::tempdir().unwrap();
    // Households of a registry: urban/rural, the 2a3g indicators, sizes.
    let mut csv = String::from(
        "hh,URBANISATION,size,income_pc,food_insecure,clothing_insecure,child_out_of_school,no_medical_insurance,unsafe_housing,unsafe_water\n",
    );
    for i in 0..400 {
        let urb = if i % 50 == 0 { "U" } else { "R" }; // only 8 urban households: a small cell
        let income = 2000 + (i * 37) % 6000;
        csv.push_str(&format!(
            "{i},{urb},{},{income},{},0,{},0,{},0\n",
            1 + i % 5,
            (i % 17 == 0) as u8,
            (i % 23 == 0) as u8,
            (i % 11 == 0) as u8
        ));
    }
    let file = write(dir.path(), "registry.csv", &csv);
    for db in dbs(dir.path()).await {
        let out = rightstat(&db, &["mpi", &file, "--spec", "china-2a3g", "--size", "size", "--by", "URBANISATION", "--format", "csv"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let res = text(&out.stdout);
        assert!(res.starts_with("URBANISATION,measure,value,n_obs,sum_weight"), "{res}");
        assert!(res.contains("_T,contribution_income,"));
        // Publish the income-poverty headcount by urban/rural; the urban cell is too small.
        let out = rightstat(
            &db,
            &[
                "poverty",
                &file,
                "--welfare",
                "income_pc",
                "--size",
                "size",
                "--by",
                "URBANISATION",
                "--line",
                "4000",
                "--measures",
                "fgt0",
                "--publish-as",
                "SI_POV_NAHC",
                "--area",
                "CN",
                "--period",
                "2019",
                "--min-cell",
                "10",
            ],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains("3 values of SI_POV_NAHC stored (2 suppressed)"), "{}", text(&out.stdout));
        let export = text(&rightstat(&db, &["export", "observations", "--indicator", "SI_POV_NAHC", "--format", "csv"]).stdout);
        let rows: Vec<&str> = export.lines().skip(1).collect();
        assert_eq!(rows.len(), 3, "{export}");
        let urban = rows.iter().find(|l| l.contains(",U,")).unwrap();
        assert!(urban.contains(",,PERCENT,0,Q,"), "suppressed: empty value, status Q: {urban}");
        // Rural is suppressed too, or the urban cell could be recovered from it and the total.
        assert!(rows.iter().find(|l| l.contains(",R,")).unwrap().contains(",Q,"));
        let total = rows.iter().find(|l| l.contains(",_T,")).unwrap();
        assert!(total.contains(",PERCENT,0,A,") && total.contains("computed: fgt0 from registry.csv (sha256 "), "{total}");
    }
}

#[test]
fn upr_recommendations_import_from_the_shipped_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = testing::fresh_sqlite_url(dir.path());
    let upr = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/upr_china.csv");
    let out = rightstat(&db, &["recommendations", "import", upr, "--format", "upr-info"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("422 rows, 420 recommendations (422 counted per recommending State): 420 new"),
        "{}",
        text(&out.stdout)
    );
    let list = text(&rightstat(&db, &["recommendations", "list", "--session", "17", "--response", "supported", "--q", "poverty"]).stdout);
    assert!(list.lines().count() > 3 && list.contains("[supported|not assessed]"), "{list}");
    // Mac Roman, as the original UPR Info export: decoded, not rejected.
    let mut bytes = b"cycle,session,year,state_under_review,recommending_state,recommendation,response\n1,4,2009,China,C".to_vec();
    bytes.extend(b"\x99te d\xd5Ivoire,A recommendation from a legacy file,Accepted\n");
    let legacy = dir.path().join("legacy.csv");
    std::fs::write(&legacy, bytes).unwrap();
    assert!(rightstat(&db, &["recommendations", "import", legacy.to_str().unwrap(), "--format", "upr-info"]).status.success());
    let json: serde_json::Value =
        serde_json::from_slice(&rightstat(&db, &["recommendations", "list", "--q", "from a legacy file", "--format", "json"]).stdout)
            .unwrap();
    assert_eq!(json[0]["recommending_states"][0], "Côte d’Ivoire");
}

#[test]
fn ohchr_matrix_imports_and_merges_with_upr_info() {
    let dir = tempfile::tempdir().unwrap();
    let db = testing::fresh_sqlite_url(dir.path());
    let upr = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/upr_china.csv");
    let matrix = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/un/upr-china-cycle2-2013-ohchr-matrix.docx");
    assert!(rightstat(&db, &["recommendations", "import", upr, "--format", "upr-info"]).status.success());
    let out = rightstat(&db, &["recommendations", "import", matrix, "--format", "ohchr-matrix"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("252 rows, 286 recommendations (286 counted per recommending State): 4 new, 282 already known"),
        "{}",
        text(&out.stdout)
    );
    // A file that is not OHCHR's matrix: refused with the reason, nothing imported.
    let out = rightstat(&db, &["recommendations", "import", upr, "--format", "ohchr-matrix"]);
    assert!(!out.status.success() && text(&out.stderr).contains("Word document"), "{}", text(&out.stderr));
}

#[test]
fn recommendations_are_clustered_linked_assessed_and_exported() {
    let dir = tempfile::tempdir().unwrap();
    let db = testing::fresh_sqlite_url(dir.path());
    let upr = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/upr_china.csv");
    let measures = concat!(env!("CARGO_MANIFEST_DIR"), "/../../reference/measures.toml");
    assert!(rightstat(&db, &["recommendations", "import", upr, "--format", "upr-info"]).status.success());
    let out = rightstat(&db, &["measures", "import", measures]);
    assert!(out.status.success() && text(&out.stdout).contains("11 measures"), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&rightstat(&db, &["recommendations", "cluster"]).stdout).contains("recommendations gained a cluster"));
    let json: serde_json::Value = serde_json::from_slice(
        &rightstat(&db, &["recommendations", "list", "--cluster", "poverty", "--q", "eradicate poverty", "--format", "json"]).stdout,
    )
    .unwrap();
    let uid = json[0]["uid"].as_str().unwrap().to_string();
    for args in [
        vec!["recommendations", "link", &uid, "--indicator", "CN_RURAL_POOR_POP", "--breakdowns", "SEX,ETHNICITY"],
        vec!["recommendations", "link", &uid, "--measure", "TARGETED_POVERTY_ALLEVIATION", "--department", "NRRA", "--lead"],
        vec!["recommendations", "assess", &uid, "--by", "nhri", "--name", "An NHRI", "--date", "2019-05-01", "--status", "in-progress"],
    ] {
        let out = rightstat(&db, &args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    }
    let bad = rightstat(
        &db,
        &["recommendations", "assess", &uid, "--by", "nhri", "--name", "X", "--date", "1 May 2019", "--status", "implemented"],
    );
    assert!(!bad.status.success() && text(&bad.stderr).contains("YYYY-MM-DD"), "{}", text(&bad.stderr));
    let show = text(&rightstat(&db, &["recommendations", "show", &uid]).stdout);
    assert!(show.contains("measure: TARGETED_POVERTY_ALLEVIATION") && show.contains("department (lead): NRRA"), "{show}");
    assert!(show.contains("evidence: CN_RURAL_POOR_POP") && show.contains("breakdowns missing: SEX, ETHNICITY"), "{show}");
    assert!(show.contains("assessment 2019-05-01 nhri (An NHRI): in_progress"), "{show}");
    assert!(!show.contains("[suggested"), "links a person made are confirmed: {show}");
    let out = rightstat(&db, &["recommendations", "unlink", &uid, "--measure", "TARGETED_POVERTY_ALLEVIATION"]);
    assert!(out.status.success() && text(&out.stdout).contains("measure TARGETED_POVERTY_ALLEVIATION unlinked"), "{}", text(&out.stderr));
    let again = rightstat(&db, &["recommendations", "unlink", &uid, "--measure", "TARGETED_POVERTY_ALLEVIATION"]);
    assert!(
        !again.status.success() && text(&again.stderr).contains("no measure TARGETED_POVERTY_ALLEVIATION linked"),
        "{}",
        text(&again.stderr)
    );
    assert!(rightstat(&db, &["recommendations", "link", &uid, "--measure", "TARGETED_POVERTY_ALLEVIATION"]).status.success());
    let csv = text(&rightstat(&db, &["recommendations", "list", "--department", "NRRA", "--format", "csv"]).stdout);
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(&rdr.headers().unwrap()[0], "uid");
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][0], uid.as_str());
    assert_eq!(&rows[0][19], "CN_RURAL_POOR_POP: SEX, ETHNICITY");
}

#[test]
fn validate_lists_each_finding_with_its_place_and_fails_on_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = testing::fresh_sqlite_url(dir.path());
    let bad = dir.path().join("county-2023.csv");
    std::fs::write(
        &bad,
        "indicator,area,period,URBANISATION,value\n\
         CN_RURAL_POOR_POP,130102,2023,,30\n\
         CN_RURAL_POP_MONITORED,130102,2023,,1000\n\
         SI_POV_NAHC,130102,2023,R,3.5\n\
         SI_POV_NAHC,130104,2023,R,130\n\
         CN_RURAL_POOR_POP,130104,2023,,abc\n",
    )
    .unwrap();
    let out = rightstat(&db, &["validate", bad.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("row 5, column value: found \"130\"") && stdout.contains("row 6, column value"), "{stdout}");
    assert!(
        stdout.contains("row 2, column value, CN_RURAL_POOR_POP,CN_RURAL_POP_MONITORED,SI_POV_NAHC 130102 2023")
            && stdout.contains("[incidence-agrees-with-counts]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("warning: ")
            && stdout.contains("row 2, CN_RURAL_POOR_POP 130102 2023 |SEX=…|")
            && stdout.contains("(expected data gap: values for SEX = F, M)"),
        "{stdout}"
    );
    assert!(stdout.contains("农村贫困人口除以农村监测人口须与农村贫困发生率"), "messages in both languages: {stdout}");
    assert!(!stdout.contains("plausible"), "national plausible ranges do not apply to counties: {stdout}");
    let json: serde_json::Value =
        serde_json::from_slice(&rightstat(&db, &["validate", bad.to_str().unwrap(), "--format", "json"]).stdout).unwrap();
    assert_eq!(json["row_errors"][1]["row"], 6);
    assert!(json["findings"].as_array().unwrap().iter().all(|f| f["row"].as_u64().is_some()));

    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        "indicator,area,period,SEX,URBANISATION,value\n\
         CN_RURAL_POOR_POP,130102,2023,_T,,80\nCN_RURAL_POOR_POP,130102,2023,F,,38\nCN_RURAL_POOR_POP,130102,2023,M,,42\n\
         CN_RURAL_POP_MONITORED,130102,2023,_T,,1000\n\
         SI_POV_NAHC,130102,2023,_T,_T,8\nSI_POV_NAHC,130102,2023,_T,R,8\nSI_POV_NAHC,130102,2023,_T,U,0\n",
    )
    .unwrap();
    let out = rightstat(&db, &["validate", good.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("7 rows, 0 error(s), 0 warning(s)"), "{}", text(&out.stdout));
    // Nothing was written.
    let export = text(&rightstat(&db, &["export", "observations", "--indicator", "CN_RURAL_POOR_POP", "--area", "130102"]).stdout);
    assert!(!export.contains(",2023,"), "{export}");
}

#[test]
fn a_bulk_import_of_county_figures_rolls_up_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let db = testing::fresh_sqlite_url(dir.path());
    let file = write(
        dir.path(),
        "counties.csv",
        "indicator,area,period,value\n\
         CN_RURAL_POOR_POP,130102,2023,12\nCN_RURAL_POP_MONITORED,130102,2023,200\n\
         CN_RURAL_POOR_POP,130104,2023,30\nCN_RURAL_POP_MONITORED,130104,2023,300\n",
    );
    let out = text(&rightstat(&db, &["import", "observations", &file]).stdout);
    let batch = out.split("rightstat publish ").nth(1).and_then(|s| s.split('`').next()).unwrap_or_else(|| panic!("{out}")).to_string();
    // Unpublished figures never reach a total.
    let r = rightstat(
        &db,
        &["rollup", "--indicator", "CN_RURAL_POOR_POP", "--indicator", "CN_RURAL_POP_MONITORED", "--period", "2023", "--area", "13"],
    );
    assert!(text(&r.stdout).contains("0 values written"), "{}{}", text(&r.stdout), text(&r.stderr));
    assert!(rightstat(&db, &["publish", &batch]).status.success());
    let r = rightstat(
        &db,
        &["rollup", "--indicator", "CN_RURAL_POOR_POP", "--indicator", "CN_RURAL_POP_MONITORED", "--period", "2023", "--area", "13"],
    );
    let said = text(&r.stdout);
    assert!(
        r.status.success() && said.contains("county areas rolled up") && said.contains("3 areas above recomputed"),
        "{said}{}",
        text(&r.stderr)
    );
    let national = text(&rightstat(&db, &["export", "observations", "--indicator", "SI_POV_NAHC", "--area", "CN"]).stdout);
    assert!(national.lines().any(|l| l.contains(",CN,") && l.contains(",2023,") && l.contains(",8.4,")), "42 / 500 × 100: {national}");
    assert!(!rightstat(&db, &["rollup", "--indicator", "CN_RURAL_POOR_POP", "--period", "2023", "--area", "99"]).status.success());
}

#[test]
fn a_round_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = testing::fresh_sqlite_url(dir.path());
    let spec = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/round-poverty-2023-hebei.toml");
    let out = rightstat(&db, &["round", "create", spec]);
    assert!(out.status.success() && text(&out.stdout).contains("created as a draft with"), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(rightstat(&db, &["round", "open", "POV-2023-HE"]).status.success());
    let tasks = text(&rightstat(&db, &["round", "tasks", "POV-2023-HE"]).stdout);
    let line = tasks.lines().find(|l| l.contains(" 130102 ")).unwrap();
    let task = line.split_whitespace().next().unwrap().to_string();
    let template = dir.path().join("t.xlsx");
    assert!(rightstat(&db, &["round", "template", &task, "--format", "xlsx", "--out", template.to_str().unwrap()]).status.success());
    assert!(std::fs::metadata(&template).unwrap().len() > 1000);
    // The workbook checked against the round before it is filled in: every empty figure at its
    // row of the sheet, in the value column; exit status 1.
    let v = rightstat(&db, &["validate", template.to_str().unwrap(), "--round", "POV-2023-HE"]);
    let out = text(&v.stdout);
    assert_eq!(v.status.code(), Some(1), "{out}{}", text(&v.stderr));
    assert!(out.contains("t.xlsx: row 2, column value: found \"\"") && out.contains("row 8, column value"), "{out}");
    // Figures the round does not ask for, each with its place.
    let stray = dir.path().join("stray.csv");
    std::fs::write(
        &stray,
        "indicator,area,period,SEX,value\nCN_RURAL_POOR_POP,130102,2022,_T,12\nCN_DIBAO_STANDARD,130102,2023,,7000\nCN_RURAL_POOR_POP,310101,2023,_T,3\n",
    )
    .unwrap();
    let out = text(&rightstat(&db, &["validate", stray.to_str().unwrap(), "--round", "POV-2023-HE"]).stdout);
    assert!(out.contains("row 2, column period: found \"2022\", expected a period of round POV-2023-HE (2023)"), "{out}");
    assert!(out.contains("row 3, column indicator: found \"CN_DIBAO_STANDARD\""), "{out}");
    assert!(out.contains("row 4, column area: found \"310101\", expected an area with a task in round POV-2023-HE"), "{out}");
    assert!(!rightstat(&db, &["validate", stray.to_str().unwrap(), "--round", "NO-SUCH"]).status.success());
    let file = dir.path().join("a.csv");
    std::fs::write(&file, "indicator,area,period,SEX,URBANISATION,value\nCN_RURAL_POOR_POP,130102,2023,_T,,12\nCN_RURAL_POOR_POP,130102,2023,F,,6\nCN_RURAL_POOR_POP,130102,2023,M,,5\nCN_RURAL_POP_MONITORED,130102,2023,_T,,200\nSI_POV_NAHC,130102,2023,_T,_T,6\nSI_POV_NAHC,130102,2023,_T,R,6\nSI_POV_NAHC,130102,2023,_T,U,0\n").unwrap();
    let bad = rightstat(&db, &["round", "submit", &task, file.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stdout).contains("does not add up") && text(&bad.stdout).contains("refused, nothing saved"), "{}", text(&bad.stdout));
    std::fs::write(&file, std::fs::read_to_string(&file).unwrap().replace("M,,5", "M,,6")).unwrap();
    let ok = rightstat(&db, &["round", "submit", &task, file.to_str().unwrap()]);
    assert!(ok.status.success() && text(&ok.stdout).contains("submitted (7 values recorded"), "{}", text(&ok.stdout));
    let review = text(&rightstat(&db, &["round", "review", &task, "--approve"]).stdout);
    assert!(review.contains("approved (3 areas above recomputed"), "{review}");
    let history = text(&rightstat(&db, &["round", "history", &task]).stdout);
    assert!(history.lines().any(|l| l.contains(" submit ")) && history.lines().any(|l| l.contains(" approve ")), "{history}");
    assert!(history.lines().any(|l| l.contains("CN_RURAL_POOR_POP 2023 |SEX=M|") && l.contains(" 6 [submission]")), "{history}");
    let national = text(&rightstat(&db, &["export", "observations", "--indicator", "CN_RURAL_POOR_POP", "--area", "CN"]).stdout);
    assert!(national.lines().any(|l| l.contains(",CN,") && l.contains(",2023,") && l.contains(",12,")), "{national}");
    // The example's deadline (2024-03-31) has passed: every task but the one reported is overdue.
    let late = text(&rightstat(&db, &["round", "tasks", "POV-2023-HE", "--overdue"]).stdout);
    assert!(!late.lines().any(|l| l.contains(" NBS ") && l.contains(" 130102 ")) && late.lines().count() > 100, "{late}");
    let by = text(&rightstat(&db, &["round", "completeness", "POV-2023-HE", "--by", "prefecture"]).stdout);
    assert!(by.lines().any(|l| l.starts_with("NBS") && l.contains("1301 石家庄市") && l.contains(" 1 ")), "{by}");
    let c = text(&rightstat(&db, &["round", "completeness", "POV-2023-HE"]).stdout);
    assert!(c.lines().any(|l| l.starts_with("NBS") && l.contains(" 1 ")), "{c}");

    // The registration's count from NRRA, kept beside the survey's and compared.
    let line = tasks.lines().find(|l| l.contains(" 130102 ") && l.contains("NRRA")).unwrap();
    let nrra = line.split_whitespace().next().unwrap().to_string();
    let file = dir.path().join("nrra.csv");
    std::fs::write(&file, "indicator,area,period,SEX,value\nCN_RURAL_POOR_POP,130102,2023,_T,14\nCN_RURAL_POOR_POP,130102,2023,F,7\nCN_RURAL_POOR_POP,130102,2023,M,7\n").unwrap();
    let sub = rightstat(&db, &["round", "submit", &nrra, file.to_str().unwrap()]);
    assert!(text(&sub.stdout).contains("3 kept as a second source"), "{}{}", text(&sub.stdout), text(&sub.stderr));
    let d = text(&rightstat(&db, &["round", "discrepancies", "POV-2023-HE", "--differing"]).stdout);
    let total = d
        .lines()
        .find(|l| l.starts_with("CN_RURAL_POOR_POP") && l.contains(" 130102 ") && l.contains("+16.7"))
        .unwrap_or_else(|| panic!("{d}"));
    assert!(total.contains("12 NBS") && total.contains("14 NRRA"), "{total}");
    assert!(d.contains("3 figures from a second source, 3 differ"), "{d}");
    let csv = text(&rightstat(&db, &["round", "discrepancies", "POV-2023-HE", "--csv"]).stdout);
    assert!(csv.starts_with("indicator,area,period,cell,preferred_department") && csv.lines().count() == 4, "{csv}");
    let national = text(&rightstat(&db, &["export", "observations", "--indicator", "CN_RURAL_POOR_POP", "--area", "CN"]).stdout);
    assert!(
        national.lines().any(|l| l.contains(",CN,") && l.contains(",2023,") && l.contains(",12,")),
        "the official series is NBS's: {national}"
    );
}

#[test]
fn a_data_gap_report_from_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let db = testing::fresh_sqlite_url(dir.path());
    let init = rightstat(&db, &["init", "--demo"]);
    assert!(init.status.success(), "{}", text(&init.stderr));
    let md = dir.path().join("gaps.md");
    let out = rightstat(&db, &["report", "gaps", "--lang", "en", "--format", "md", "--out", md.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("words,"), "{}", text(&out.stdout));
    let md = std::fs::read_to_string(&md).unwrap();
    for dim in ["Ethnic group", "Disability status", "Sex"] {
        for code in ["CN\\_RURAL\\_POOR\\_POP", "SI\\_POV\\_NAHC"] {
            assert!(
                md.lines().any(|l| l.contains(code) && l.contains(&format!("| {dim} | — |")) && l.contains("| missing |")),
                "{code} {dim}\n{md}"
            );
        }
    }
    let html = dir.path().join("gaps.html");
    let out = rightstat(&db, &["report", "gaps", "--lang", "zh", "--out", html.to_str().unwrap(), "--articles", "11"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let html = std::fs::read_to_string(&html).unwrap();
    assert!(html.contains("<html lang=\"zh-CN\">") && html.contains("<h2>第11条</h2>") && !html.contains("第9条"), "{html}");
    assert!(html.contains("民族") && html.contains("缺失"), "{html}");
}

#[test]
fn an_edited_glossary_term_reaches_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let db = testing::fresh_sqlite_url(dir.path());
    assert!(rightstat(&db, &["init", "--demo"]).status.success());
    let list = text(&rightstat(&db, &["glossary", "list"]).stdout);
    assert!(list.lines().count() >= 40 && list.contains("低保\tlow guarantee\t"), "{list}");
    let file = dir.path().join("g.toml");
    std::fs::write(
        &file,
        "[[term]]\nzh = \"精准扶贫\"\nliteral_en = \"precise poverty alleviation\"\nlocal_en = [\"targeted poverty alleviation\"]\n\
         preferred_en = \"poverty reduction targeted at each household\"\nexplanation_en = \"EDITED EXPLANATION.\"\nexplanation_zh = \"已修改。\"\n",
    )
    .unwrap();
    let out = rightstat(&db, &["glossary", "import", file.to_str().unwrap()]);
    assert!(text(&out.stdout).contains("0 added, 1 changed"), "{}{}", text(&out.stdout), text(&out.stderr));
    std::fs::write(
        &file,
        "[[term]]\nzh = \"x\"\nliteral_en = \"\"\npreferred_en = \"p\"\nexplanation_en = \"e\"\nexplanation_zh = \"e\"\n",
    )
    .unwrap();
    let bad = rightstat(&db, &["glossary", "import", file.to_str().unwrap()]);
    assert!(!bad.status.success() && text(&bad.stderr).contains("literal_en is empty"), "{}", text(&bad.stderr));
    let md = dir.path().join("c.md");
    assert!(rightstat(&db, &["report", "cescr", "--format", "md", "--out", md.to_str().unwrap()]).status.success());
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(
        md.contains("EDITED EXPLANATION.") && md.contains("poverty reduction targeted at each household"),
        "the report uses the edited term"
    );
}

#[tokio::test]
async fn publish_writes_the_portal_as_a_static_site() {
    let dir = tempfile::tempdir().unwrap();
    let db = testing::fresh_sqlite_url(dir.path());
    let store = rightstat_store::Store::connect(&db).await.unwrap();
    testing::load_disclosure_fixture(&store).await;
    drop(store);
    let out = dir.path().join("site");
    let o = rightstat(&db, &["publish", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("2 figures withheld by disclosure control"), "{}", text(&o.stdout));
    for f in ["index.html", "rightstat.css", "en/index.html", "zh/status.html", "en/indicators/CN_POOR_DROPOUTS.html", "data/all.sdmx.json"]
    {
        assert!(out.join(f).is_file(), "{f}");
    }
    let csv = std::fs::read_to_string(out.join("data/CN_POOR_DROPOUTS.csv")).unwrap();
    assert!(csv.contains("4321") && !csv.contains("4317") && !csv.contains("98765"), "{csv}");
    // A lower threshold shows Beijing's 4 (and so Hebei's figure too).
    let o = rightstat(&db, &["publish", "--out", out.to_str().unwrap(), "--min-count", "3"]);
    assert!(o.status.success() && text(&o.stdout).contains("0 figures withheld"), "{}", text(&o.stdout));
    assert!(std::fs::read_to_string(out.join("data/CN_POOR_DROPOUTS.csv")).unwrap().contains("4317"));
    // Neither a batch nor --out: a usage error.
    assert_eq!(rightstat(&db, &["publish"]).status.code(), Some(2));
}

/// The static copy of the demo is the whole public site: a styled entry page in both
/// languages, the recommendations with their follow-up and the State's measures, and every
/// relative link of those pages leads to a file of the copy.
#[test]
fn the_static_copy_holds_recommendations_and_measures() {
    let dir = tempfile::tempdir().unwrap();
    let db = testing::fresh_sqlite_url(dir.path());
    assert!(rightstat(&db, &["init", "--demo"]).status.success());
    let out = dir.path().join("site");
    let o = rightstat(&db, &["publish", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let entry = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(entry.contains("rightstat.css") && entry.contains("zh/recommendations.html") && entry.contains("人权与减贫统计"), "{entry}");
    let recs = std::fs::read_to_string(out.join("en/recommendations.html")).unwrap();
    assert!(
        recs.contains("UPR cycle 2 (2013)") && recs.contains("supported") && recs.contains("measures.html#"),
        "{}",
        &recs[..2000.min(recs.len())]
    );
    let zh = std::fs::read_to_string(out.join("zh/measures.html")).unwrap();
    assert!(zh.contains("国家采取的措施") && zh.contains("民政部"), "measures in Chinese, departments by name");
    for page in ["en/recommendations.html", "zh/recommendations.html", "en/measures.html", "zh/measures.html"] {
        let html = std::fs::read_to_string(out.join(page)).unwrap();
        let base = out.join(page).parent().unwrap().to_path_buf();
        for link in html.split("href=\"").skip(1).map(|s| &s[..s.find('"').unwrap()]) {
            let file = link.split('#').next().unwrap();
            if file.is_empty() || link.starts_with("http") || link.starts_with('/') {
                continue;
            }
            assert!(base.join(file).is_file(), "{page}: the link {link} leads nowhere");
        }
    }
}

/// `validate`, `import --dry-run` and `import` tell one story: the product's own export of the
/// rural poor population (no breakdown by sex) is accepted by all three with the same data-gap
/// warnings; the dry run counts what the real run records; revising the official 2012 figure
/// 9,899 to 989.9 needs a reason, warns of the change and names the released figure it revises;
/// the source paper's Table 3 as printed (the poor in thousands) is refused naming both figures.
#[test]
fn validate_dry_run_and_import_tell_one_story() {
    let dir = tempfile::tempdir().unwrap();
    let db = testing::fresh_sqlite_url(dir.path());
    assert!(rightstat(&db, &["init", "--demo"]).status.success());
    let export = dir.path().join("poor.csv");
    let e = rightstat(&db, &["export", "observations", "--indicator", "CN_RURAL_POOR_POP", "--out", export.to_str().unwrap()]);
    assert!(e.status.success(), "{}", text(&e.stderr));
    let f = export.to_str().unwrap();
    let v = rightstat(&db, &["validate", f]);
    let validated = text(&v.stdout);
    assert_eq!(v.status.code(), Some(0), "validate refuses the product's own export: {validated}");
    let gaps = |s: &str| s.lines().filter(|l| l.starts_with("warning:") && l.contains("data gap")).count();
    assert!(gaps(&validated) > 0, "{validated}");
    let dry = rightstat(&db, &["import", "observations", f, "--dry-run"]);
    let real = rightstat(&db, &["import", "observations", f]);
    let (dry, real) = (text(&dry.stdout), text(&real.stdout));
    assert_eq!(gaps(&dry), gaps(&validated), "{dry}");
    assert_eq!(gaps(&real), gaps(&validated), "{real}");
    // "N new values, N revisions, N unchanged", from each run's summary line.
    let counts = |s: &str| {
        let line = s.lines().find(|l| l.contains(" new values")).unwrap_or_else(|| panic!("no summary: {s}")).to_string();
        line.split(": ").nth(2).unwrap().split(" (").next().unwrap().to_string()
    };
    assert_eq!(counts(&dry), counts(&real), "{dry}\n{real}");

    // The official 2012 figure revised by a factor of ten.
    let wrong = write(dir.path(), "wrong.csv", "indicator,area,period,value\nCN_RURAL_POOR_POP,CN,2012,989.9\n");
    let dry = rightstat(&db, &["import", "observations", &wrong, "--dry-run"]);
    assert!(!dry.status.success() && text(&dry.stderr).contains("give the reason"), "{}{}", text(&dry.stdout), text(&dry.stderr));
    let out = rightstat(&db, &["import", "observations", &wrong, "--reason", "typo check"]);
    let printed = text(&out.stdout);
    assert!(out.status.success(), "{printed}{}", text(&out.stderr));
    assert!(printed.contains("warning:") && printed.contains("[poor-population-change]"), "no warning of a -90% change: {printed}");
    assert!(printed.contains("CN_RURAL_POOR_POP CN 2012 9899 → 989.9 (batch"), "the released figure revised is named: {printed}");

    // Table 3 of the source paper as printed: the poor population in thousands.
    let table3 = write(
        dir.path(),
        "table3.csv",
        "indicator,area,period,URBANISATION,value,unit_mult\n\
         CN_RURAL_POOR_POP,CN,2013,,8249,3\n\
         CN_RURAL_POP_MONITORED,CN,2013,,97047,4\n\
         SI_POV_NAHC,CN,2013,R,8.5,0\n",
    );
    let out = rightstat(&db, &["import", "observations", &table3, "--reason", "annex"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}{err}", text(&out.stdout));
    assert!(
        err.contains("[incidence-agrees-with-counts]")
            && err.contains("CN_RURAL_POOR_POP = 824.9")
            && err.contains("SI_POV_NAHC[URBANISATION=R] = 8.5"),
        "{err}"
    );
}

/// Small things a clerk meets at the command line: an empty file is called empty; a file with
/// only its header, or the same figures again, records no batch and no audit entry; the audit
/// names the operating-system user even when `USER` is not set; a log to a file has no colour
/// codes; a row repeated is reported without a column.
#[test]
fn the_command_line_says_what_happened_and_records_only_changes() {
    let dir = tempfile::tempdir().unwrap();
    let db = testing::fresh_sqlite_url(dir.path());
    assert!(rightstat(&db, &["init"]).status.success());
    let empty = write(dir.path(), "empty.csv", "");
    let o = rightstat(&db, &["import", "observations", &empty]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("the file is empty") && !text(&o.stderr).contains("a column named"), "{}", text(&o.stderr));
    let audit_count = || text(&rightstat(&db, &["audit", "list", "--csv", "--limit", "10000"]).stdout).lines().count();
    let before = audit_count();
    let header = write(dir.path(), "header.csv", "indicator,area,period,value\n");
    let o = rightstat(&db, &["import", "observations", &header]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(!text(&o.stdout).contains("batch"), "{}", text(&o.stdout));
    assert_eq!(audit_count(), before, "a header-only file changed nothing and is not audited");
    let figures = write(dir.path(), "line.csv", "indicator,area,period,value\nCN_POVERTY_LINE_RURAL,CN,2012,2625\n");
    let o = Command::new(env!("CARGO_BIN_EXE_rightstat"))
        .args(["--db", &db, "import", "observations", &figures])
        .env_remove("USER")
        .env_remove("LOGNAME")
        .env_remove("USERNAME")
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(!text(&o.stderr).contains('\u{1b}'), "colour codes in a log that is not a terminal: {:?}", text(&o.stderr));
    let log = text(&rightstat(&db, &["audit", "list", "--csv", "--limit", "10000"]).stdout);
    let import = log.lines().find(|l| l.contains("observations.import")).unwrap_or_else(|| panic!("{log}"));
    assert!(!import.contains("cli:unknown") && import.contains("cli:"), "{import}");
    let after = audit_count();
    let o = rightstat(&db, &["import", "observations", &figures]);
    assert!(o.status.success() && text(&o.stdout).contains("0 new values") && !text(&o.stdout).contains("batch"), "{}", text(&o.stdout));
    assert_eq!(audit_count(), after, "the same figures again: no batch, no audit record");
    let twice = write(
        dir.path(),
        "twice.csv",
        "indicator,area,period,value\nCN_POVERTY_LINE_RURAL,CN,2013,2736\nCN_POVERTY_LINE_RURAL,CN,2013,2736\n",
    );
    let o = rightstat(&db, &["import", "observations", &twice]);
    let err = text(&o.stderr);
    assert!(err.contains("row 3: expected one value per indicator") && !err.contains("column -"), "{err}");
}

/// Commands that only read leave the database file untouched, byte for byte (they open it
/// read-only, so they also work on a read-only file system or a copy on a CD).
#[test]
fn reading_commands_do_not_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("read.db");
    let db = format!("sqlite://{}", path.display());
    assert!(rightstat(&db, &["init"]).status.success());
    let wal = dir.path().join("read.db-wal");
    let before = (std::fs::read(&path).unwrap(), std::fs::read(&wal).unwrap_or_default());
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&path, perms).unwrap();
    for args in [vec!["catalog", "list"], vec!["catalog", "show", "SI_POV_NAHC"], vec!["audit", "verify"], vec!["audit", "list"]] {
        let o = rightstat(&db, &args);
        assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
    }
    assert!(
        (std::fs::read(&path).unwrap(), std::fs::read(&wal).unwrap_or_default()) == before,
        "a reading command changed the database files"
    );
}

/// A list of issues in both languages on both backends, a bad file refused whole, and the two
/// dialogue drafts written from it.
#[tokio::test]
async fn a_list_of_issues_and_its_replies_on_every_backend() {
    let dir = tempfile::tempdir().unwrap();
    let en = concat!(env!("CARGO_MANIFEST_DIR"), "/../../reference/dialogue/demo-list-of-issues-en.txt");
    let zh = concat!(env!("CARGO_MANIFEST_DIR"), "/../../reference/dialogue/demo-list-of-issues-zh.txt");
    let bad = write(dir.path(), "bad.txt", "DEMO/E/C.12/CHN/Q/1\n1. A question.\n2. Another.\n4. Out of sequence.\n");
    for db in dbs(dir.path()).await {
        assert!(rightstat(&db, &["init"]).status.success());
        let out = rightstat(&db, &["dialogue", "import", en]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains("list of issues DEMO/E/C.12/CHN/Q/1 (CESCR), 8 questions in en: 8 new, 0 revised"),
            "{}",
            text(&out.stdout)
        );
        let out = rightstat(&db, &["dialogue", "import", zh]);
        assert!(text(&out.stdout).contains("8 questions in zh: 8 new"), "{}", text(&out.stdout));
        // Again: nothing new.
        assert!(text(&rightstat(&db, &["dialogue", "import", en]).stdout).contains("0 new, 0 revised"));
        let out = rightstat(&db, &["dialogue", "import", &bad]);
        assert!(!out.status.success());
        let err = text(&out.stderr);
        assert!(err.contains("bad.txt") && err.contains("row 4") && err.contains("nothing was imported"), "{err}");
        let list = text(&rightstat(&db, &["dialogue", "list"]).stdout);
        assert_eq!(list.matches("[en+zh]").count(), 8, "{list}");
        for kind in ["loi-replies", "briefing"] {
            for lang in ["en", "zh"] {
                let out_file = dir.path().join(format!("{kind}-{lang}.md"));
                let out = rightstat(&db, &["report", kind, "--lang", lang, "--format", "md", "--out", out_file.to_str().unwrap()]);
                assert!(out.status.success(), "{}", text(&out.stderr));
                let md = std::fs::read_to_string(&out_file).unwrap();
                assert!(md.contains("DEMO/E/C.12/CHN/Q/1") || kind == "briefing", "{md}");
                if kind == "loi-replies" && lang == "en" {
                    assert!(md.contains("### Reply to paragraph 8 of the list of issues"), "{md}");
                }
                if kind == "briefing" && lang == "zh" {
                    assert!(md.contains("## 第8段"), "{md}");
                }
            }
        }
    }
}

/// The evaluation of article 11 on the demo: progress in words, the real retrogressive step of
/// the Engel coefficient (29.8 % in 2021, 30.5 % in 2022) and the rural–urban income gap.
#[test]
fn evaluate_an_article_from_the_published_figures() {
    let dir = tempfile::tempdir().unwrap();
    let db = testing::fresh_sqlite_url(dir.path());
    assert!(rightstat(&db, &["init", "--demo"]).status.success());
    let out = rightstat(&db, &["evaluate", "--article", "11"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(
        t.contains("Rural population below the national poverty line, in 10,000 persons: 5,575 in 2015, 0 in 2020")
            && t.contains("growth rates fail at zero): target met. Against the benchmark of 0 by 2020 (Outline of the 13th Five-Year Plan"),
        "{t}"
    );
    assert!(t.contains("RETROGRESSION: 29.8 (2021) → 30.5 (2022)"), "{t}");
    assert!(t.contains("Per-capita disposable income URBANISATION=R ÷ U: 0.364 (2014) → 0.409 (2022), converging"), "{t}");
    let csv = text(&rightstat(&db, &["evaluate", "--article", "11", "--format", "csv"]).stdout);
    assert!(csv.starts_with("article,indicator,cell,class,method"), "{csv}");
    let json: serde_json::Value =
        serde_json::from_slice(&rightstat(&db, &["evaluate", "--article", "9,11", "--format", "json"]).stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2);
    let zh = text(&rightstat(&db, &["evaluate", "--article", "11", "--zh"]).stdout);
    assert!(zh.contains("倒退：29.8 (2021) → 30.5 (2022)"), "{zh}");
}

/// Benchmarks from the command line: the demo's two listed, a file set all or nothing (a bad
/// cell named with its row, nothing written), a changed target a second version, and the
/// evaluation measured against it at once.
#[test]
fn benchmarks_are_set_versioned_and_used() {
    let dir = tempfile::tempdir().unwrap();
    let db = testing::fresh_sqlite_url(dir.path());
    assert!(rightstat(&db, &["init", "--demo"]).status.success());
    let list = text(&rightstat(&db, &["benchmarks", "list"]).stdout);
    assert!(list.contains("CN_RURAL_POOR_POP CN v1: 5575 (2015) → 0 (2020)"), "{list}");
    assert!(list.contains("SI_POV_NAHC CN [URBANISATION=R] v1: 5.7 (2015) → 2.85 (2030)"), "{list}");
    let file = dir.path().join("plan.csv");
    std::fs::write(
        &file,
        "indicator,area,cell,baseline_year,baseline_value,target_year,target_value,source
         CN_ENGEL_COEF,CN,,2016,30.1,2025,27,A constructed plan
         CN_ENGEL_COEF,CN,SEX=F,2016,30.1,2025,27,A constructed plan
",
    )
    .unwrap();
    let out = rightstat(&db, &["benchmarks", "import", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("plan.csv") && err.contains("row 3") && err.contains("SEX=F") && err.contains("nothing was imported"), "{err}");
    std::fs::write(
        &file,
        "indicator,area,cell,baseline_year,baseline_value,target_year,target_value,source
CN_ENGEL_COEF,CN,,2016,30.1,2025,27,A constructed plan
",
    )
    .unwrap();
    let out = rightstat(&db, &["benchmarks", "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("1 new, 0 revised (a new version each), 0 unchanged"), "{}", text(&out.stdout));
    std::fs::write(
        &file,
        "indicator,area,cell,baseline_year,baseline_value,target_year,target_value,source
CN_ENGEL_COEF,CN,,2016,30.1,2025,28,A revised plan
",
    )
    .unwrap();
    assert!(rightstat(&db, &["benchmarks", "import", file.to_str().unwrap()]).status.success());
    let history = text(&rightstat(&db, &["benchmarks", "list", "--history", "--format", "csv"]).stdout);
    assert!(
        history.contains("CN_ENGEL_COEF,CN,,2016,30.1,2025,27,A constructed plan,,1,") && history.contains(",2025,28,A revised plan,,2,"),
        "{history}"
    );
    let t = text(&rightstat(&db, &["evaluate", "--article", "11"]).stdout);
    assert!(
        t.contains("Engel coefficient, in percent: 30.1 in 2016, 30.5 in 2022")
            && t.contains("deterioration. Against the benchmark of 28 by 2025 (A revised plan)"),
        "{t}"
    );
}
