//! `rightstat recommendations …` and `rightstat measures …`: importing, listing, clustering,
//! linking and assessing recommendations, and the measures register.

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use rightstat_core::recommendation::{Assessor, ImplementationStatus, Response};
use rightstat_store::follow_up::{NewAssessment, follow_up_csv};
use rightstat_store::recommendations::{RecommendationFilter, RecommendationFormat};
use rightstat_store::{Actor, Store, Visibility};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum RecommendationsCmd {
    /// Import recommendations, all or nothing. The same recommendation from several sources or
    /// several States (same mechanism, session and text, ignoring case, spacing and a final full
    /// stop) is stored once; links to earlier cycles are found.
    Import {
        file: PathBuf,
        /// upr-info: UPR Info's CSV export (UTF-8 or its legacy Mac Roman); uhri: the Universal
        /// Human Rights Index's Excel export; co: a CSV of concluding-observation paragraphs
        /// (committee,state,document_symbol,paragraph,date,text,themes,affected_persons,sdgs).
        #[arg(long, value_enum)]
        format: RecFormat,
    },
    /// List recommendations with their follow-up.
    List {
        #[command(flatten)]
        filter: FilterArgs,
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
    },
    /// One recommendation with its measures, departments, evidence and assessments.
    Show {
        uid: String,
        #[arg(long)]
        json: bool,
    },
    /// Put recommendations into thematic clusters by the rules in reference/clusters.toml.
    Cluster,
    /// Link a recommendation to an indicator, a measure or a department; a link a rule
    /// suggested becomes confirmed by you.
    Link {
        uid: String,
        /// An indicator that shows the result.
        #[arg(long)]
        indicator: Option<String>,
        /// With --indicator: the breakdowns the recommendation asks for (comma-separated
        /// dimension ids); recognised from the text when omitted.
        #[arg(long, value_delimiter = ',')]
        breakdowns: Option<Vec<String>>,
        /// A measure that answers it.
        #[arg(long)]
        measure: Option<String>,
        /// A department responsible for it.
        #[arg(long)]
        department: Option<String>,
        /// With --department: the lead department (otherwise contributing).
        #[arg(long)]
        lead: bool,
    },
    /// Remove a measure's or an indicator's link (a suggestion you reject); audited.
    Unlink {
        uid: String,
        #[arg(long)]
        indicator: Option<String>,
        #[arg(long)]
        measure: Option<String>,
    },
    /// Record a dated assessment of implementation.
    Assess {
        uid: String,
        /// government, nhri or civil_society.
        #[arg(long)]
        by: Assessor,
        /// The ministry, institution or organisation.
        #[arg(long)]
        name: String,
        /// YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// not_started, in_progress, partially_implemented, implemented, not_implemented.
        #[arg(long)]
        status: ImplementationStatus,
        #[arg(long, default_value = "")]
        text: String,
    },
}

#[derive(Args, Debug, Default)]
pub struct FilterArgs {
    /// Words that must all occur in the text.
    #[arg(long)]
    q: Option<String>,
    /// State under review (ISO code or name).
    #[arg(long)]
    country: Option<String>,
    /// UPR or a treaty body (CESCR, ...).
    #[arg(long)]
    mechanism: Option<String>,
    #[arg(long)]
    cycle: Option<i64>,
    #[arg(long)]
    session: Option<String>,
    /// A recommending State.
    #[arg(long)]
    state: Option<String>,
    #[arg(long)]
    theme: Option<String>,
    /// An SDG goal or target (1 or 1.2).
    #[arg(long)]
    sdg: Option<String>,
    #[arg(long)]
    cluster: Option<String>,
    /// supported, supported_in_part or noted.
    #[arg(long)]
    response: Option<Response>,
    /// Latest government assessment (or not_assessed).
    #[arg(long)]
    status: Option<String>,
    #[arg(long)]
    department: Option<String>,
    #[arg(long)]
    measure: Option<String>,
}

impl From<FilterArgs> for RecommendationFilter {
    fn from(a: FilterArgs) -> Self {
        RecommendationFilter {
            uid: None,
            q: a.q,
            country: a.country,
            mechanism: a.mechanism,
            cycle: a.cycle,
            session: a.session,
            recommending_state: a.state,
            theme: a.theme,
            sdg: a.sdg,
            cluster: a.cluster,
            response: a.response,
            status: a.status,
            department: a.department,
            measure: a.measure,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RecFormat {
    UprInfo,
    Uhri,
    Co,
    /// OHCHR's thematic list of recommendations of a UPR review (.docx).
    OhchrMatrix,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
    Csv,
}

#[derive(Subcommand, Debug)]
pub enum MeasuresCmd {
    /// Create or update measures from a TOML file in the layout of reference/measures.toml.
    Import { file: PathBuf },
    /// List the measures register.
    List {
        #[arg(long)]
        json: bool,
    },
}

pub async fn recommendations(store: &Store, cmd: RecommendationsCmd) -> Result<ExitCode> {
    let actor = Actor::cli();
    let mut out = std::io::stdout().lock();
    match cmd {
        RecommendationsCmd::Import { file, format } => {
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let format = match format {
                RecFormat::UprInfo => RecommendationFormat::UprInfo,
                RecFormat::Uhri => RecommendationFormat::Uhri,
                RecFormat::Co => RecommendationFormat::ConcludingObservations,
                RecFormat::OhchrMatrix => RecommendationFormat::OhchrMatrix,
            };
            match store.import_recommendations(format, &bytes, &file.display().to_string(), &actor).await? {
                Ok(r) => writeln!(
                    out,
                    "{}: {} rows, {} recommendations ({} counted per recommending State): {} new, {} already known (merged); {} links across cycles",
                    file.display(),
                    r.rows,
                    r.recommendations,
                    r.made,
                    r.new,
                    r.merged,
                    r.links
                )?,
                Err(errors) => {
                    for e in errors.iter().take(100) {
                        eprintln!("{e}");
                    }
                    eprintln!("{} error(s); nothing was imported", errors.len());
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        RecommendationsCmd::List { filter, format } => {
            let rows = store.follow_up(&filter.into(), &Visibility::All, true).await?;
            match format {
                ListFormat::Json => {
                    serde_json::to_writer_pretty(&mut out, &rows)?;
                    writeln!(out)?;
                }
                ListFormat::Csv => out.write_all(follow_up_csv(&rows)?.as_bytes())?,
                ListFormat::Text => {
                    for f in &rows {
                        let r = &f.recommendation;
                        writeln!(
                            out,
                            "{} [{}|{}] {} — {}",
                            r.uid,
                            r.response.as_deref().unwrap_or("-"),
                            f.status.as_deref().unwrap_or("not assessed"),
                            r.text,
                            r.recommending_states.join(", ")
                        )?;
                    }
                    writeln!(out, "{} recommendations", rows.len())?;
                }
            }
        }
        RecommendationsCmd::Show { uid, json } => {
            let f = RecommendationFilter { uid: Some(uid.clone()), ..Default::default() };
            let Some(r) = store.follow_up(&f, &Visibility::All, true).await?.pop() else {
                anyhow::bail!("no recommendation {uid}");
            };
            if json {
                serde_json::to_writer_pretty(&mut out, &r)?;
                writeln!(out)?;
                return Ok(ExitCode::SUCCESS);
            }
            let rec = &r.recommendation;
            writeln!(out, "{} — {} {} ({})", rec.uid, rec.mechanism, rec.session, rec.year.map(|y| y.to_string()).unwrap_or_default())?;
            writeln!(out, "{}", rec.text)?;
            writeln!(
                out,
                "response: {}   status: {}",
                rec.response.as_deref().unwrap_or("-"),
                r.status.as_deref().unwrap_or("not assessed")
            )?;
            writeln!(out, "recommended by: {}", rec.recommending_states.join(", "))?;
            writeln!(out, "clusters: {}", rec.clusters.join(", "))?;
            for d in &r.departments {
                writeln!(out, "department ({}): {} {}", d.role, d.code, d.name_en)?;
            }
            for m in &r.measures {
                let suggested = if m.suggested { " [suggested: confirm with `recommendations link`]" } else { "" };
                writeln!(out, "measure: {} {} ({}){suggested}", m.code, m.name_en, m.local_term)?;
            }
            for e in &r.evidence {
                let p = |x: &Option<rightstat_store::follow_up::Point>| {
                    x.as_ref().map(|p| format!("{} {}", p.period, p.value)).unwrap_or("-".into())
                };
                writeln!(
                    out,
                    "evidence: {} ({}): {} → {} ({}); breakdowns missing: {}{}",
                    e.indicator,
                    e.label_en,
                    p(&e.baseline),
                    p(&e.latest),
                    e.trend.as_str(),
                    if e.breakdowns_missing.is_empty() { "none".into() } else { e.breakdowns_missing.join(", ") },
                    if e.suggested { " [suggested]" } else { "" }
                )?;
            }
            for a in &r.assessments {
                writeln!(out, "assessment {} {} ({}): {} — {}", a.assessed_on, a.assessor, a.assessor_name, a.status, a.text)?;
            }
        }
        RecommendationsCmd::Cluster => {
            let n = store.apply_clusters(&rightstat_core::reference::clusters().0, &actor).await?;
            writeln!(out, "{n} recommendations gained a cluster")?;
        }
        RecommendationsCmd::Unlink { uid, indicator, measure } => {
            if indicator.is_none() && measure.is_none() {
                anyhow::bail!("give --indicator or --measure");
            }
            for (kind, code) in [("indicator", indicator), ("measure", measure)] {
                if let Some(c) = code {
                    store.unlink(&uid, kind, &c, &actor).await?;
                    writeln!(out, "{uid}: {kind} {c} unlinked")?;
                }
            }
        }
        RecommendationsCmd::Link { uid, indicator, breakdowns, measure, department, lead } => {
            if indicator.is_none() && measure.is_none() && department.is_none() {
                anyhow::bail!("give --indicator, --measure or --department");
            }
            if let Some(i) = indicator {
                store.link_indicator(&uid, &i, breakdowns, &actor).await?;
                writeln!(out, "{uid}: indicator {i} linked (confirmed)")?;
            }
            if let Some(m) = measure {
                store.link_measure(&m, &uid, &actor).await?;
                writeln!(out, "{uid}: measure {m} linked (confirmed)")?;
            }
            if let Some(d) = department {
                store.assign_department(&uid, &d, lead, &actor).await?;
                writeln!(out, "{uid}: department {d} ({})", if lead { "lead" } else { "contributing" })?;
            }
        }
        RecommendationsCmd::Assess { uid, by, name, date, status, text } => {
            let id = store
                .add_assessment(
                    &NewAssessment { uid: &uid, assessor: by, assessor_name: &name, assessed_on: &date, status, text: &text },
                    &actor,
                )
                .await?;
            writeln!(out, "assessment {id} recorded")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn measures(store: &Store, cmd: MeasuresCmd) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match cmd {
        MeasuresCmd::Import { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let list = rightstat_core::reference::parse_measures(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            // Check every measure before changing any.
            for m in &list {
                m.check().with_context(|| format!("{}", file.display()))?;
            }
            for m in &list {
                store.put_measure(m, &Actor::cli()).await.with_context(|| format!("{}: measure {}", file.display(), m.code))?;
            }
            writeln!(out, "{}: {} measures", file.display(), list.len())?;
        }
        MeasuresCmd::List { json } => {
            let list = store.measures().await?;
            if json {
                serde_json::to_writer_pretty(&mut out, &list)?;
                writeln!(out)?;
            } else {
                for m in &list {
                    let x = &m.measure;
                    writeln!(
                        out,
                        "{:<36} {} / {} [{}] — {} recommendations",
                        x.code,
                        x.name_en,
                        x.name_zh,
                        x.local_term,
                        m.recommendations.len()
                    )?;
                }
                writeln!(out, "{} measures", list.len())?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
