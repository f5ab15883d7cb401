//! `rightstat evaluate`: where the State stands, computed from the published figures.

use anyhow::Result;
use clap::{Args, ValueEnum};
use rightstat_store::{Store, Visibility};
use std::io::Write;

#[derive(Args, Debug)]
pub struct EvaluateArgs {
    /// ICESCR articles, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [11u8])]
    article: Vec<u8>,
    #[arg(long, value_enum, default_value = "text")]
    format: EvalFormat,
    /// Sentences in Chinese (text format).
    #[arg(long)]
    zh: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum EvalFormat {
    Text,
    Csv,
    Json,
}

pub async fn evaluate(store: &Store, a: EvaluateArgs) -> Result<()> {
    let eval = store.evaluate(&a.article, &Visibility::Published).await?;
    let mut out = std::io::stdout().lock();
    match a.format {
        EvalFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &eval)?;
            writeln!(out)?;
        }
        EvalFormat::Csv => out.write_all(rightstat_store::evaluation::evaluation_csv(&eval)?.as_bytes())?,
        EvalFormat::Text => {
            for e in &eval {
                writeln!(out, "{}", if a.zh { format!("第{}条", e.article) } else { format!("Article {}", e.article) })?;
                for s in &e.series {
                    writeln!(out, "  {}", if a.zh { &s.sentence_zh } else { &s.sentence_en })?;
                    if let Some(r) = s.retrogression {
                        writeln!(
                            out,
                            "    {}{} ({}) → {} ({})",
                            if a.zh { "倒退：" } else { "RETROGRESSION: " },
                            r.from.1,
                            r.from.0,
                            r.to.1,
                            r.to.0
                        )?;
                    }
                }
                for g in &e.gaps {
                    let (Some(first), Some(last)) = (g.gap.ratio.first(), g.gap.ratio.last()) else { continue };
                    let dir = match (g.gap.converging, a.zh) {
                        (Some(true), false) => "converging",
                        (Some(false), false) => "diverging",
                        (Some(true), true) => "差距缩小",
                        (Some(false), true) => "差距扩大",
                        (None, false) => "one year only",
                        (None, true) => "仅一年",
                    };
                    writeln!(
                        out,
                        "  {} {}={} ÷ {}: {:.3} ({}) → {:.3} ({}), {dir}",
                        if a.zh { &g.name_zh } else { &g.name_en },
                        g.dimension,
                        g.group,
                        g.reference,
                        first,
                        g.gap.years[0],
                        last,
                        g.gap.years[g.gap.years.len() - 1]
                    )?;
                }
            }
        }
    }
    Ok(())
}
