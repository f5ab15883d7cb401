//! Building every report on the demo data, in both languages and every format.
//!
//!     cargo bench -p rightstat-reports --bench reports
//!
//! Target (issue #6): all of them in under 2 seconds.

use rightstat_reports::{Lang, ReportKind, ReportOptions, build, docx, gaps, render};
use rightstat_store::{Store, testing};
use std::time::Instant;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::connect(&testing::fresh_sqlite_url(dir.path())).await.unwrap();
    s.seed_reference().await.unwrap();
    s.load_demo().await.unwrap();
    s.load_demo_follow_up().await.unwrap();
    let mut best = f64::INFINITY;
    for run in 0..3 {
        let t = Instant::now();
        let mut bytes = 0;
        let mut lines = Vec::new();
        for kind in ReportKind::ALL {
            for lang in [Lang::En, Lang::Zh] {
                let k = Instant::now();
                let b = build(&s, kind, &ReportOptions { lang, articles: gaps::DEFAULT_ARTICLES.to_vec() }).await.unwrap();
                bytes += render::html(&b.doc).len() + render::markdown(&b.doc).len() + docx::docx(&b.doc).unwrap().len();
                lines.push(format!(
                    "  {:<12} {}: {:>4.0} ms ({} words)",
                    kind.as_str(),
                    lang.code(),
                    k.elapsed().as_secs_f64() * 1e3,
                    b.words
                ));
            }
        }
        let e = t.elapsed().as_secs_f64();
        if run == 0 {
            for l in &lines {
                println!("{l}");
            }
        }
        best = best.min(e);
        println!("run {}: every report (5 kinds × 2 languages × HTML, Markdown, DOCX): {e:.2} s, {bytes} bytes", run + 1);
    }
    println!("best of 3: {best:.2} s (target < 2 s: {})", if best < 2.0 { "met" } else { "missed" });
    // With `--features pdf`: the same drafts typeset as PDF (Typst), timed apart.
    if cfg!(feature = "pdf") {
        let t = Instant::now();
        let mut pages = 0;
        for kind in ReportKind::ALL {
            for lang in [Lang::En, Lang::Zh] {
                let b = build(&s, kind, &ReportOptions { lang, articles: gaps::DEFAULT_ARTICLES.to_vec() }).await.unwrap();
                let k = Instant::now();
                let pdf = rightstat_reports::to_pdf(&b.doc).unwrap();
                println!(
                    "  PDF {:<12} {}: {:>4.0} ms typesetting ({} KB)",
                    kind.as_str(),
                    lang.code(),
                    k.elapsed().as_secs_f64() * 1e3,
                    pdf.len() / 1024
                );
                pages += pdf.len();
            }
        }
        println!("PDF of all 10 drafts (built and typeset, fonts loaded on the first): {:.2} s ({pages} bytes)", t.elapsed().as_secs_f64());
    }
}
