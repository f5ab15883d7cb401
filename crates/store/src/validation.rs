//! Validating a file before it is submitted: the row checks of every import, then the rules
//! (those implied by the catalogue and any declared ones) against the file and what the
//! database already holds (earlier periods, sibling and parent areas).

use crate::import::{ImportOptions, RowError};
use crate::{Result, Store, StoreError, on_pool};
use rightstat_core::indicator::Indicator;
use rightstat_core::period::Period;
use rightstat_core::validation::{Context, Obs, RuleFinding, RuleSet, Severity, evaluate};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::io::Read;

#[derive(Debug, Clone, Default, Serialize)]
pub struct ValidationReport {
    pub file: String,
    /// Data rows read.
    pub rows: u64,
    /// Rows that could not be read as observations (always errors).
    pub row_errors: Vec<RowError>,
    /// Rules broken, errors first.
    pub findings: Vec<RuleFinding>,
}

impl ValidationReport {
    /// Errors block a submission; warnings need a comment.
    pub fn has_errors(&self) -> bool {
        !self.row_errors.is_empty() || self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        self.findings.iter().filter(|f| f.severity == Severity::Warning).count()
    }

    /// A plain file (an import, not a round's submission): a required breakdown that is
    /// missing is a data gap to report, not an error — historical series often have none.
    /// `validate`, `import --dry-run` and `import` all apply this, so they tell one story.
    pub fn as_plain_file(mut self) -> Self {
        for f in self.findings.iter_mut().filter(|f| f.rule.ends_with(":required-cells")) {
            f.severity = Severity::Warning;
            if !f.expected.starts_with("data gap") {
                f.expected = format!("data gap: {}", f.expected);
            }
        }
        self.findings.sort_by_key(|f| f.severity != Severity::Error);
        self
    }

    /// Gives each finding about a value on a row of the file its column: the value's, in the
    /// file's layout. (A finding about missing rows, such as a breakdown not reported, has none.)
    pub(crate) fn in_columns(mut self, format: crate::formats::Format) -> Self {
        let column = match format {
            crate::formats::Format::SdmxCsv => "OBS_VALUE",
            _ => "value",
        };
        for f in self.findings.iter_mut().filter(|f| f.row.is_some() && f.value.is_some()) {
            f.column = Some(column.to_string());
        }
        self
    }
}

/// Files with at most this many areas are checked against their neighbourhood only.
pub const NEIGHBOURHOOD_FROM_AREAS: usize = 50;

impl Store {
    /// Checks a file without writing anything. `declared` adds rules to those every indicator
    /// carries by its definition.
    pub async fn validate_file<R: Read + Send + 'static>(
        &self,
        reader: R,
        opts: ImportOptions,
        declared: &RuleSet,
    ) -> Result<ValidationReport> {
        let (file, format) = (opts.source_name.clone(), opts.format);
        let (opts, reference) = self.with_reference(opts).await?;
        let (rows, row_errors, n) = self.read_observations(reader, opts).await?;
        Ok(self.validate_rows(&rows, row_errors, n, &file, declared, &[], &reference).await?.in_columns(format).as_plain_file())
    }

    /// Imports a file after the checks `validate` makes (row checks, the catalogue's and the
    /// declared rules, required breakdowns as data gaps): a rule error refuses the whole file,
    /// warnings travel in the report. A dry run meets the same findings and counts.
    pub async fn import_checked(&self, bytes: Vec<u8>, opts: ImportOptions, declared: &RuleSet) -> Result<crate::ImportReport> {
        let checked = self.validate_file(std::io::Cursor::new(bytes.clone()), opts.clone(), declared).await?;
        let rule_errors = checked.findings.iter().filter(|f| f.severity == Severity::Error).count() as u64;
        let dry_run = opts.dry_run;
        let mut o = opts;
        if rule_errors > 0 {
            o.dry_run = true;
        }
        let mut report = self.import_observations(std::io::Cursor::new(bytes), o).await?;
        if rule_errors > 0 {
            // Refused: nothing is written, in a dry run as in a real one.
            report.error_count += rule_errors;
            (report.inserted, report.revised, report.unchanged, report.batch_id) = (0, 0, 0, None);
            report.revised_released.clear();
            report.dry_run = dry_run;
        }
        report.findings = checked.findings;
        Ok(report)
    }

    /// The rules over rows already read and checked (with their lines in the file).
    ///
    /// Files of up to [`NEIGHBOURHOOD_FROM_AREAS`] areas read only their areas' neighbourhood.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn validate_rows(
        &self,
        rows: &[(u64, rightstat_core::ingest::CheckedObservation)],
        row_errors: Vec<RowError>,
        n: u64,
        file: &str,
        declared: &RuleSet,
        apart: &[String],
        reference: &crate::catalog::Reference,
    ) -> Result<ValidationReport> {
        let file = file.to_string();
        let cat = &reference.catalogue;
        let indicators = cat.indicators_by_code();
        declared.check(indicators).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let in_file: BTreeSet<&str> = rows.iter().map(|(_, o)| o.indicator.as_str()).collect();
        let areas = &reference.areas;
        let mut rules = RuleSet::from_catalogue(in_file.iter().filter_map(|c| indicators.get(*c)), areas.root());
        rules.rules.extend(declared.rules.iter().cloned());
        let data: Vec<Obs> = rows
            .iter()
            .filter_map(|(line, o)| {
                Some(Obs {
                    indicator: o.indicator.clone(),
                    area: o.area.to_string(),
                    period: o.period.to_string(),
                    cell: o.cell.key(),
                    value: o.value?,
                    row: Some(*line),
                })
            })
            .collect();
        // A file of a few areas (a village's form) is checked against what is stored for those
        // areas, and — for the indicators whose rules compare areas (adding up, sibling
        // outliers) — for their parents, children and siblings, not for every area of the
        // country; a larger file reads everything stored for its indicators.
        let file_areas: BTreeSet<&str> = rows.iter().map(|(_, o)| o.area.as_str()).collect();
        let (own, near): (Vec<String>, Vec<String>) = if file_areas.len() <= NEIGHBOURHOOD_FROM_AREAS {
            let set: BTreeSet<&str> = file_areas.iter().flat_map(|a| areas.neighbourhood(a)).filter(|a| !file_areas.contains(a)).collect();
            (file_areas.iter().map(|a| a.to_string()).collect(), set.into_iter().map(String::from).collect())
        } else {
            (Vec::new(), Vec::new())
        };
        // What the database holds for these indicators, from the period before the earliest.
        let known: Vec<Obs> = match (rows.iter().map(|(_, o)| o.period).min(), rows.iter().map(|(_, o)| o.period).max()) {
            (Some(first), Some(last)) => {
                let mut wanted: Vec<String> = in_file.iter().map(|s| s.to_string()).collect();
                for r in &declared.rules {
                    if let rightstat_core::validation::Check::Expression { left, right, .. } = &r.check {
                        for e in [left, right] {
                            if let Ok(x) = rightstat_core::validation::Expr::parse(e) {
                                wanted.extend(x.indicators());
                            }
                        }
                    }
                }
                wanted.sort();
                wanted.dedup();
                let across = rules.across_areas();
                let across: Vec<String> = wanted.iter().filter(|w| across.contains(w.as_str())).cloned().collect();
                self.reported_figures(&wanted, &own, &across, &near, first.previous(), last).await?
            }
            _ => Vec::new(),
        };
        let parent = |a: &str| areas.parent(a).map(String::from);
        let codes = |d: &str| cat.codelists.get(d).map(|l| l.codes.iter().map(|c| c.code.clone()).collect()).unwrap_or_default();
        let previous = |p: &str| p.parse::<Period>().ok().map(|p| p.previous().to_string());
        let kids = areas.children_by_parent();
        // Child areas in force in the period: a partial set of children is not held to add up.
        let children = |a: &str, period: &str| {
            let p = period.parse::<Period>().ok();
            kids.get(a).map(|list| {
                list.iter()
                    .filter(|c| {
                        c.parse::<rightstat_core::area::AreaCode>()
                            .ok()
                            .and_then(|code| rightstat_core::ingest::AreaLookup::in_force(&**areas, &code, p))
                            .unwrap_or(false)
                    })
                    .count()
            })
        };
        let ctx = Context { parent: &parent, codes: &codes, indicators, known: &known, previous: &previous, children: &children };
        // A second source's figures (`apart`) are checked on their own: against the official
        // series or the file's other indicators they would disagree by construction.
        let (own, official): (Vec<Obs>, Vec<Obs>) = data.into_iter().partition(|o| apart.contains(&o.indicator));
        let mut findings = evaluate(&rules, &official, &ctx);
        if !own.is_empty() {
            let nothing_stored = Vec::new();
            findings.extend(evaluate(&rules, &own, &Context { known: &nothing_stored, ..ctx }));
            findings.sort_by_key(|f| f.severity != Severity::Error);
        }
        Ok(ValidationReport { file, rows: n, row_errors, findings })
    }

    /// The current reported figures (not computed ones: a roll-up's derived parents are not
    /// what children must add up to) the rules compare a file with: `wanted` indicators in the
    /// `own` areas and `across` indicators in the `near` areas (empty `own`: every area, for
    /// a large file), in the periods from `from` to `to`. Only what the rules read: key and value.
    async fn reported_figures(
        &self,
        wanted: &[String],
        own: &[String],
        across: &[String],
        near: &[String],
        from: Period,
        to: Period,
    ) -> Result<Vec<Obs>> {
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let mut params: Vec<String> =
            vec![rightstat_core::observation::ProvenanceKind::Computation.as_str().to_string(), from.start(), to.end()];
        let list = |params: &mut Vec<String>, values: &[String]| {
            let from = params.len() + 1;
            params.extend(values.iter().cloned());
            crate::placeholders(from, values.len())
        };
        let part = |cond: String| {
            format!(
                "SELECT o.indicator_code, o.area_code, o.period, o.cell_key, o.value FROM observation o JOIN batch b ON b.id = o.batch_id \
                 WHERE o.superseded_at IS NULL AND o.value IS NOT NULL AND b.kind <> $1 AND o.period_start >= $2 AND o.period_end <= $3 AND {cond}"
            )
        };
        let mut sql = if own.is_empty() {
            part(format!("o.indicator_code IN ({})", list(&mut params, wanted)))
        } else {
            part(format!("o.indicator_code IN ({}) AND o.area_code IN ({})", list(&mut params, wanted), list(&mut params, own)))
        };
        if !own.is_empty() && !across.is_empty() && !near.is_empty() {
            let cond = format!("o.indicator_code IN ({}) AND o.area_code IN ({})", list(&mut params, across), list(&mut params, near));
            sql = format!("{sql} UNION ALL {}", part(cond));
        }
        let rows: Vec<(String, String, String, String, f64)> = on_pool!(self, p => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()));
            for v in &params {
                q = q.bind(v.as_str());
            }
            q.fetch_all(p).await?
        });
        Ok(rows.into_iter().map(|(indicator, area, period, cell, value)| Obs { indicator, area, period, cell, value, row: None }).collect())
    }
}
