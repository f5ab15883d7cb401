//! The deadline: village forms submitted through the HTTP API as reporters submit them, from
//! many concurrent clients, on SQLite and PostgreSQL; beside a baseline measured in the same run
//! — the same rows written by plain single-transaction inserts from the same number of clients.
//!
//! Setup (timed and printed too): reference data, every township of the country and Hebei's
//! 54,145 villages, then a round of 10 items × 3 cells (total, urban, rural: 30 values) over
//! every village of Hebei, opened. Each client is a thread with its own keep-alive connection
//! and its own API token (reporter, MCA, Hebei); it takes the next village's task and submits its
//! form. One first attempt in 20 has urban + rural ≠ total and is refused (422) with the row and
//! column; the client corrects it and submits again. One in 10 is a correction of figures the
//! county approved meanwhile, with a reason. A 503 is retried after its `Retry-After`.
//! Afterwards every task is checked: each submitted exactly once, its 30 values current, once.
//! Every other village of Hebei has reported before the clients start (its accepted figures in
//! one bulk load: the last hours of a deadline). Afterwards 100 submitted forms are approved one
//! after another: the time from approval to updated township, county, prefecture, province and
//! national totals.
//!
//!     cargo bench -p rightstat-server --bench deadline -- [--clients 200] [--submissions 20000] [--backend sqlite|postgres|both]
//!
//! PostgreSQL from RIGHTSTAT_TEST_PG (default postgres://postgres@127.0.0.1:5432/test).

mod common;

use rightstat_core::area::AreaLevel;
use rightstat_core::policy::{Grant, Role};
use rightstat_core::round::RoundSpec;
use rightstat_store::{Actor, Store, testing};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/admin-divisions-cn-2023/");

/// The village form: social assistance counts and spending, and four averages, each for the
/// whole village, its urban and its rural part.
const ITEMS: [&str; 10] = [
    "CN_DIBAO_RECIPIENTS",
    "CN_DIBAO_HOUSEHOLDS",
    "CN_DIBAO_EXPENDITURE",
    "CN_TEKUN_RECIPIENTS",
    "CN_TEMP_ASSISTANCE",
    "CN_MEDICAL_INSURED_POP",
    "CN_DIBAO_STANDARD",
    "CN_DISP_INCOME_PC",
    "CN_CONSUMPTION_EXP_PC",
    "CN_HOUSING_AREA_PC",
];

/// Urban and rural levels of the averages (yuan a month, yuan a year, square metres).
fn average(item: &str) -> Option<(f64, f64)> {
    match item {
        "CN_DIBAO_STANDARD" => Some((900.0, 700.0)),
        "CN_DISP_INCOME_PC" => Some((42_000.0, 19_000.0)),
        "CN_CONSUMPTION_EXP_PC" => Some((28_000.0, 16_000.0)),
        "CN_HOUSING_AREA_PC" => Some((38.0, 48.0)),
        _ => None,
    }
}

struct Args {
    clients: usize,
    submissions: usize,
    backends: Vec<&'static str>,
}

fn args() -> Args {
    let mut a = Args { clients: 200, submissions: 20_000, backends: vec!["postgres", "sqlite"] };
    let argv: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < argv.len() {
        let val = argv.get(i + 1).cloned().unwrap_or_default();
        match argv[i].as_str() {
            "--clients" => a.clients = val.parse().expect("--clients N"),
            "--submissions" => a.submissions = val.parse().expect("--submissions N"),
            "--backend" => {
                a.backends = match val.as_str() {
                    "sqlite" => vec!["sqlite"],
                    "postgres" => vec!["postgres"],
                    _ => vec!["postgres", "sqlite"],
                }
            }
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    a
}

/// A village's form (CSV): 10 items × total, urban, rural; `wrong` makes one total disagree.
fn form(area: &str, seed: u64, wrong: bool) -> String {
    let mut out = String::from("indicator,area,period,URBANISATION,value\n");
    for (k, item) in ITEMS.iter().enumerate() {
        // Small village figures in the catalogue's units (10,000 persons, 10,000 yuan, …).
        let (u, r, total) = match average(item) {
            Some((u, r)) => (u, r, (u + r) / 2.0),
            None => {
                let (u, r) = (((seed * 7 + k as u64 * 13) % 40) as f64 / 10_000.0, ((seed * 11 + k as u64 * 3) % 60) as f64 / 10_000.0);
                (u, r, u + r)
            }
        };
        let total = if wrong && k == 0 { total + 0.01 } else { total };
        for (cell, v) in [("_T", total), ("U", u), ("R", r)] {
            out.push_str(&format!("{item},{area},2023,{cell},{v:.4}\n"));
        }
    }
    out
}

#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    refused_422: AtomicU64,
    busy_503: AtomicU64,
    /// Why the server answered 503 (its message with the numbers taken out), and how often.
    busy_why: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
    server_errors: AtomicU64,
    other: AtomicU64,
    corrections: AtomicU64,
}

impl Tally {
    fn busy(&self, body: &str) {
        let why: String = body.chars().map(|c| if c.is_ascii_digit() { '#' } else { c }).collect();
        *self.busy_why.lock().unwrap().entry(why).or_default() += 1;
    }
}

/// One client: submits the next task's form until none is left; latencies of accepted
/// submissions (first attempt to acceptance, retries included), in microseconds.
fn client(
    base: &str,
    token: &str,
    tasks: &[(i64, String)],
    next: &AtomicUsize,
    tally: &Tally,
    store: &Store,
    rt: &tokio::runtime::Handle,
) -> Vec<u64> {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut lat = Vec::new();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some((id, area)) = tasks.get(i) else { break };
        let started = Instant::now();
        let mut wrong = i % 20 == 7;
        let mut comment = String::new();
        loop {
            let url = format!("{base}/api/v1/tasks/{id}/submissions?comment={}", urlencode(&comment));
            let mut r = agent
                .post(&url)
                .header("Authorization", &format!("Bearer {token}"))
                .header("Content-Type", "text/csv")
                .send(form(area, i as u64, wrong))
                .expect("the server answers");
            let status = r.status().as_u16();
            let body = r.body_mut().read_to_string().unwrap_or_default();
            match status {
                200 => {
                    tally.ok.fetch_add(1, Ordering::Relaxed);
                    lat.push(started.elapsed().as_micros() as u64);
                    break;
                }
                422 => {
                    tally.refused_422.fetch_add(1, Ordering::Relaxed);
                    // The clerk reads the findings: a wrong total is corrected; a warning is explained.
                    if body.contains("\"column\":\"comment\"") {
                        comment = "checked with the township: figures are right".into();
                    }
                    if !wrong && comment.is_empty() {
                        panic!("task {id}: refused without a reason the client can fix: {body}");
                    }
                    wrong = false;
                }
                503 => {
                    tally.busy_503.fetch_add(1, Ordering::Relaxed);
                    tally.busy(&body);
                    let wait = r.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(1);
                    std::thread::sleep(Duration::from_secs(wait));
                }
                500..=599 => {
                    tally.server_errors.fetch_add(1, Ordering::Relaxed);
                    eprintln!("task {id}: {status} {body}");
                    std::thread::sleep(Duration::from_millis(200));
                }
                _ => {
                    tally.other.fetch_add(1, Ordering::Relaxed);
                    panic!("task {id}: unexpected {status} {body}");
                }
            }
        }
        // One in ten: the county approves, then the village corrects a figure with a reason.
        if i % 10 == 3 {
            loop {
                match rt.block_on(store.review(*id, true, "", &Actor::new("county-reviewer", None))) {
                    Ok(_) => break,
                    Err(e) if e.is_overloaded() => std::thread::sleep(Duration::from_secs(1)),
                    Err(e) => panic!("approving task {id}: {e}"),
                }
            }
            let url = format!("{base}/api/v1/tasks/{id}/submissions?comment={}", urlencode("recount of urban dibao households"));
            let started = Instant::now();
            // The urban and total recipients one more person each.
            let body = correct(&form(area, i as u64, false));
            loop {
                let mut r = agent.post(&url).header("Authorization", &format!("Bearer {token}")).send(body.clone()).expect("answers");
                let status = r.status().as_u16();
                let text = r.body_mut().read_to_string().unwrap_or_default();
                match status {
                    200 => {
                        tally.corrections.fetch_add(1, Ordering::Relaxed);
                        lat.push(started.elapsed().as_micros() as u64);
                        break;
                    }
                    503 => {
                        tally.busy_503.fetch_add(1, Ordering::Relaxed);
                        tally.busy(&text);
                        std::thread::sleep(Duration::from_secs(5));
                    }
                    s => {
                        if s >= 500 {
                            tally.server_errors.fetch_add(1, Ordering::Relaxed);
                        }
                        panic!("correction of task {id}: {s} {text}");
                    }
                }
            }
        }
    }
    lat
}

/// The form with its first item's total and urban figures one person higher.
fn correct(csv: &str) -> String {
    csv.lines()
        .enumerate()
        .map(|(n, l)| {
            if n == 1 || n == 2 {
                let (head, v) = l.rsplit_once(',').unwrap();
                format!("{head},{:.4}\n", v.parse::<f64>().unwrap() + 0.0001)
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

struct Run {
    rate: f64,
    p50: f64,
    p99: f64,
    n: usize,
    /// Approval to national totals (p50, p99 ms); not measured for the baseline.
    approval: (f64, f64),
}

async fn setup(url: &str) -> (Store, i64, Vec<(i64, String)>, Duration) {
    let s = Store::connect(url).await.unwrap();
    s.seed_reference().await.unwrap();
    s.create_demo_users().await.unwrap();
    let admin = Actor::new("admin", None);
    let t0 = Instant::now();
    let towns = std::fs::File::open(format!("{DATA}streets.csv")).unwrap();
    s.import_areas(towns, AreaLevel::Township, "streets.csv", &admin).await.unwrap().unwrap();
    let villages = std::fs::File::open(format!("{DATA}villages-13.csv")).unwrap();
    s.import_areas(villages, AreaLevel::Village, "villages-13.csv", &admin).await.unwrap().unwrap();
    println!("  areas: every township and Hebei's villages loaded in {:.1} s", t0.elapsed().as_secs_f64());
    let spec = RoundSpec {
        code: "VILLAGES-2023".into(),
        title_en: "Social assistance 2023, every village of Hebei".into(),
        title_zh: "2023年社会救助（河北省各村居）".into(),
        periods: vec!["2023".into()],
        deadline: "2099-03-31".into(),
        lead_department: "MCA".into(),
        release_when_pct: None,
        review_levels: vec![],
        items: ITEMS
            .iter()
            .map(|i| rightstat_core::round::RoundItem {
                indicator: i.to_string(),
                guidance_en: String::new(),
                guidance_zh: String::new(),
                preferred_department: None,
            })
            .collect(),
        assignments: vec![rightstat_core::round::Assignment {
            department: "MCA".into(),
            area: "13".into(),
            level: Some(AreaLevel::Village),
            indicators: vec![],
        }],
    };
    let t0 = Instant::now();
    let round = s.create_round(&spec, &admin).await.unwrap();
    let created = t0.elapsed();
    s.open_round(round, &admin).await.unwrap();
    let tasks: Vec<(i64, String)> = s.tasks(round, None, None).await.unwrap().into_iter().map(|t| (t.id, t.area_code)).collect();
    println!("  round over {} villages created in {:.1} s", tasks.len(), created.as_secs_f64());
    (s, round, tasks, created)
}

fn deadline(rt: &tokio::runtime::Runtime, url: &str, a: &Args) -> Run {
    let (store, round, mut tasks, _) = rt.block_on(setup(url));
    // Spread over the province as reporters are: every k-th village.
    let step = (tasks.len() / a.submissions.max(1)).max(1);
    tasks = tasks.into_iter().step_by(step).take(a.submissions).collect();
    let admin = Actor::new("admin", None);
    // The villages' clerks, as one account with a reporter grant over Hebei (civil affairs), and
    // a token per client.
    let g = Grant { role: Role::Reporter, department: Some("MCA".into()), area: "13".into() };
    rt.block_on(async {
        store.create_user("village-clerks", "Village clerks, Hebei", "a long enough passphrase 1", &admin).await.unwrap();
        store.grant("village-clerks", &g, &admin).await.unwrap();
    });
    let tokens: Vec<String> = (0..a.clients)
        .map(|k| rt.block_on(store.create_token("village-clerks", &format!("client {k}"), &g, 30, &admin)).unwrap().1)
        .collect();
    let base = common::serve(rt, &store);
    rt.block_on(others_reported(&store, round, &tasks));
    let (next, tally) = (AtomicUsize::new(0), Tally::default());
    let started = Instant::now();
    let mut lat: Vec<u64> = std::thread::scope(|sc| {
        let hs: Vec<_> = tokens
            .iter()
            .map(|tok| {
                let (base, tasks, next, tally, store, h) = (&base, &tasks, &next, &tally, &store, rt.handle().clone());
                std::thread::Builder::new()
                    .stack_size(256 * 1024)
                    .spawn_scoped(sc, move || client(base, tok, tasks, next, tally, store, &h))
                    .unwrap()
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let secs = started.elapsed().as_secs_f64();
    lat.sort_unstable();
    let l = |c: &AtomicU64| c.load(Ordering::Relaxed);
    println!(
        "  {} submissions + {} corrections in {secs:.1} s: {} refused with findings and resubmitted, {} answered 503 and retried, {} server errors",
        l(&tally.ok),
        l(&tally.corrections),
        l(&tally.refused_422),
        l(&tally.busy_503),
        l(&tally.server_errors)
    );
    for (why, n) in tally.busy_why.lock().unwrap().iter() {
        println!("    503 × {n}: {why}");
    }
    assert_eq!(l(&tally.server_errors), 0, "no 500 under the deadline");
    // Nothing lost, nothing doubled: every task submitted; its current values are 30, once each.
    rt.block_on(check(&store, url, round, &tasks));
    let n = lat.len();
    let approval = rt.block_on(approvals(&store, round));
    Run { rate: n as f64 / secs, p50: pct(&lat, 0.50), p99: pct(&lat, 0.99), n, approval }
}

/// The villages whose forms the clients do not send have already reported: their figures
/// (30 values each, accepted) in one bulk load before the clients start, as in the last hours
/// of a deadline.
async fn others_reported(store: &Store, round: i64, submitted: &[(i64, String)]) {
    let all = store.tasks(round, None, None).await.unwrap();
    let waiting: std::collections::HashSet<&str> = submitted.iter().map(|t| t.1.as_str()).collect();
    let mut csv = String::from("indicator,area,period,URBANISATION,value\n");
    let mut others = 0;
    for (i, t) in all.iter().enumerate() {
        if t.status == "not_started" && !waiting.contains(t.area_code.as_str()) {
            csv.push_str(form(&t.area_code, i as u64, false).split_once('\n').unwrap().1);
            others += 1;
        }
    }
    let t0 = Instant::now();
    let mut o = rightstat_store::ImportOptions::new("accepted figures of the other villages", rightstat_store::formats::Format::Csv);
    o.publish = true;
    o.reason = "bench: every village of Hebei holds figures".into();
    let r = store.import_observations(std::io::Cursor::new(csv.into_bytes()), o).await.unwrap();
    assert!(r.is_ok(), "{:?}", r.errors.first());
    println!("  the other {others} villages' figures ({} values) loaded in {:.1} s", r.inserted, t0.elapsed().as_secs_f64());
}

/// Approval to national totals with every village of Hebei holding figures: 100 submitted
/// forms approved one after another, each rolled up through its township, county, prefecture
/// and province to the nation. Returns the p50 and p99 in ms.
async fn approvals(store: &Store, round: i64) -> (f64, f64) {
    let all = store.tasks(round, None, None).await.unwrap();
    let mut lat = Vec::new();
    let pending: Vec<i64> =
        store.tasks(round, None, None).await.unwrap().into_iter().filter(|t| t.status == "submitted").map(|t| t.id).take(100).collect();
    for id in pending {
        let t0 = Instant::now();
        let (_, rolled) = store.review(id, true, "", &Actor::new("county-reviewer", None)).await.unwrap();
        lat.push(t0.elapsed().as_micros() as u64);
        assert_eq!(rolled.map(|r| r.areas), Some(5), "township, county, prefecture, province, nation");
    }
    lat.sort_unstable();
    let (p50, p99) = (pct(&lat, 0.5), pct(&lat, 0.99));
    println!(
        "  approval to national totals, {} villages holding figures: p50 {p50:.1} ms, p99 {p99:.1} ms ({} approvals)",
        all.len(),
        lat.len()
    );
    (p50, p99)
}

async fn check(store: &Store, url: &str, round: i64, tasks: &[(i64, String)]) {
    let all = store.tasks(round, None, None).await.unwrap();
    let wanted: std::collections::HashSet<i64> = tasks.iter().map(|t| t.0).collect();
    let done = all.iter().filter(|t| wanted.contains(&t.id)).filter(|t| t.status == "submitted").count();
    assert_eq!(done, tasks.len(), "every form submitted and waiting for review");
    // The submitted villages only (the others reported before the clients started).
    let sql = format!(
        "SELECT COUNT(*), COUNT(DISTINCT indicator_code || '|' || area_code || '|' || period || '|' || cell_key) FROM observation \
               WHERE superseded_at IS NULL AND period = '2023' AND area_code IN (SELECT area_code FROM round_task WHERE round_id = {round} AND status = 'submitted') \
               AND indicator_code IN ('CN_DIBAO_RECIPIENTS', 'CN_DIBAO_HOUSEHOLDS', 'CN_DIBAO_EXPENDITURE', 'CN_TEKUN_RECIPIENTS', \
               'CN_TEMP_ASSISTANCE', 'CN_MEDICAL_INSURED_POP', 'CN_DIBAO_STANDARD', 'CN_DISP_INCOME_PC', 'CN_CONSUMPTION_EXP_PC', 'CN_HOUSING_AREA_PC')"
    );
    let sql = sqlx::AssertSqlSafe(sql);
    let (rows, keys): (i64, i64) = if url.starts_with("postgres") {
        use sqlx::Connection;
        sqlx::query_as(sql).fetch_one(&mut sqlx::PgConnection::connect(url).await.unwrap()).await.unwrap()
    } else {
        use sqlx::Connection;
        sqlx::query_as(sql).fetch_one(&mut sqlx::SqliteConnection::connect(url).await.unwrap()).await.unwrap()
    };
    let (rows, keys) = (rows as u64, keys as u64);
    assert_eq!((rows, keys), (tasks.len() as u64 * 30, tasks.len() as u64 * 30), "30 current values per village, none doubled");
    println!("  checked: {} tasks submitted, {} current values, one per key", tasks.len(), rows);
}

/// The baseline: the same rows by plain single-transaction inserts (one transaction of 30
/// rows per form) from the same number of concurrent clients, over a pool of the same size.
fn baseline(rt: &tokio::runtime::Runtime, url: &str, a: &Args) -> Run {
    rt.block_on(async {
        let forms: Vec<String> = (0..a.submissions).map(|i| format!("1301{:08}", i)).collect();
        let next = Arc::new(AtomicUsize::new(0));
        macro_rules! run {
            ($pool:expr) => {{
                let pool = $pool;
                sqlx::query("CREATE TABLE plain (area TEXT NOT NULL, indicator TEXT NOT NULL, period TEXT NOT NULL, cell TEXT NOT NULL, value DOUBLE PRECISION)")
                    .execute(&pool)
                    .await
                    .unwrap();
                let forms = Arc::new(forms);
                let started = Instant::now();
                let mut hs = Vec::new();
                for _ in 0..a.clients {
                    let (pool, forms, next) = (pool.clone(), forms.clone(), next.clone());
                    hs.push(tokio::spawn(async move {
                        let mut lat = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(area) = forms.get(i) else { break };
                            let t0 = Instant::now();
                            let mut tx = pool.begin().await.unwrap();
                            for item in ITEMS {
                                for cell in ["_T", "U", "R"] {
                                    sqlx::query("INSERT INTO plain VALUES ($1, $2, '2023', $3, $4)")
                                        .bind(area).bind(item).bind(cell).bind(1.0)
                                        .execute(&mut *tx).await.unwrap();
                                }
                            }
                            tx.commit().await.unwrap();
                            lat.push(t0.elapsed().as_micros() as u64);
                        }
                        lat
                    }));
                }
                let mut lat = Vec::new();
                for h in hs {
                    lat.extend(h.await.unwrap());
                }
                (started.elapsed().as_secs_f64(), lat)
            }};
        }
        let (secs, mut lat) = if url.starts_with("postgres") {
            run!(sqlx::postgres::PgPoolOptions::new().max_connections(16).connect(url).await.unwrap())
        } else {
            let opts: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
            let opts = opts.create_if_missing(true).journal_mode(sqlx::sqlite::SqliteJournalMode::Wal).busy_timeout(Duration::from_secs(60));
            run!(sqlx::sqlite::SqlitePoolOptions::new().max_connections(8).connect_with(opts).await.unwrap())
        };
        lat.sort_unstable();
        Run { rate: lat.len() as f64 / secs, p50: pct(&lat, 0.5), p99: pct(&lat, 0.99), n: lat.len(), approval: (f64::NAN, f64::NAN) }
    })
}

fn main() {
    let a = args();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    println!(
        "deadline: {} clients, {} village forms of 30 values each (+1 in 10 corrected after approval), machine: {} cores",
        a.clients,
        a.submissions,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let mut lines = Vec::new();
    for backend in &a.backends {
        let (app_url, base_url) = if *backend == "postgres" {
            (rt.block_on(testing::fresh_pg_url()), rt.block_on(testing::fresh_pg_url()))
        } else {
            (testing::fresh_sqlite_url(dir.path()), testing::fresh_sqlite_url(dir.path()))
        };
        println!("{backend}:");
        let run = deadline(&rt, &app_url, &a);
        let plain = baseline(&rt, &base_url, &a);
        println!("  RightStat over HTTP: {:.0} submissions/s, p50 {:.1} ms, p99 {:.1} ms ({} accepted)", run.rate, run.p50, run.p99, run.n);
        println!("  plain inserts:       {:.0} forms/s, p50 {:.1} ms, p99 {:.1} ms ({} forms)", plain.rate, plain.p50, plain.p99, plain.n);
        println!("  ratio: {:.2} of the baseline's rate", run.rate / plain.rate);
        lines.push(format!(
            "| {backend} | {:.0} | {:.1} | {:.1} | {:.0} | {:.1} | {:.1} | {:.2} | {:.1} | {:.1} / {:.1} |",
            run.rate,
            run.p50,
            run.p99,
            plain.rate,
            plain.p50,
            plain.p99,
            run.rate / plain.rate,
            620_573.0 / run.rate / 3600.0,
            run.approval.0,
            run.approval.1
        ));
    }
    println!(
        "\n| backend | RightStat subs/s | p50 ms | p99 ms | plain inserts forms/s | p50 ms | p99 ms | ratio | national deadline (h) | approval → nation p50 / p99 ms |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for l in lines {
        println!("{l}");
    }
}
