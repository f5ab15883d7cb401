//! Validation rules declared as data (TOML), not code, and their evaluation over a set of
//! observations: plausible bounds, required disaggregation cells, additivity over cells and
//! over child areas, cross-indicator expressions, change from the previous period, and robust
//! outliers among sibling areas.
//!
//! Every finding has a severity (an error blocks a submission; a warning needs the submitter's
//! comment), a message in English and Chinese, and its exact place: indicator, area, period,
//! cell and, for uploaded files, the row. Evaluation is a pure function of the observations, the
//! catalogue and the area hierarchy, so the CLI, the web form and the API give the same answers.

use crate::indicator::{Aggregation, Indicator};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

fn default_tolerance() -> f64 {
    0.001
}
fn default_z() -> f64 {
    3.5
}

/// What a rule checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Check {
    /// The value lies within [min, max] (only in `areas`, when given: a national plausible range
    /// says nothing of a county; only at `levels`, when given: what is plausible for a county is
    /// not for a province).
    Bounds {
        indicator: String,
        min: Option<f64>,
        max: Option<f64>,
        #[serde(default)]
        areas: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        levels: Option<Vec<crate::area::AreaLevel>>,
    },
    /// Every code of each required dimension is reported wherever the indicator is.
    RequiredCells { indicator: String },
    /// The codes of `dimension` add up to the total (relative tolerance).
    CellsAddUp {
        indicator: String,
        dimension: String,
        #[serde(default = "default_tolerance")]
        tolerance: f64,
    },
    /// Where a parent area and all its children are reported, the children add up to it.
    AreasAddUp {
        indicator: String,
        #[serde(default = "default_tolerance")]
        tolerance: f64,
    },
    /// `left` agrees with `right` within `tolerance` (absolute), for each area and period where
    /// every indicator named is reported (totals). Expressions: numbers, indicator codes,
    /// + - * / and parentheses.
    Expression {
        left: String,
        right: String,
        #[serde(default)]
        tolerance: f64,
    },
    /// The change from the previous period is at most `max_change_pct` per cent.
    ChangeFromPrevious { indicator: String, max_change_pct: f64 },
    /// A value far from its sibling areas' (robust z-score: distance from the median over
    /// 1.4826 × the median absolute deviation) above `max_z`.
    SiblingOutlier {
        indicator: String,
        #[serde(default = "default_z")]
        max_z: f64,
    },
}

/// One declared rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    #[serde(flatten)]
    pub check: Check,
    pub severity: Severity,
    pub message_en: String,
    pub message_zh: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleSet {
    #[serde(default, rename = "rule")]
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleError {
    #[error("rules file: {0}")]
    Parse(String),
    #[error("rule {rule}: indicator {indicator} is not in the catalogue")]
    UnknownIndicator { rule: String, indicator: String },
    #[error("rule {rule}: dimension {dimension} is not a dimension of {indicator}")]
    UnknownDimension { rule: String, indicator: String, dimension: String },
    #[error("rule {rule}: expression '{expr}': {why}")]
    BadExpression { rule: String, expr: String, why: String },
    #[error("rule {0} is defined twice")]
    Duplicate(String),
}

impl RuleSet {
    pub fn parse(text: &str) -> Result<RuleSet, RuleError> {
        toml::from_str(text).map_err(|e| RuleError::Parse(e.to_string()))
    }

    /// Checks that every rule refers to known indicators and dimensions and parses.
    pub fn check(&self, catalogue: &HashMap<String, Indicator>) -> Result<(), RuleError> {
        let mut ids = std::collections::HashSet::new();
        for r in &self.rules {
            if !ids.insert(r.id.as_str()) {
                return Err(RuleError::Duplicate(r.id.clone()));
            }
            let known = |i: &str| {
                if catalogue.contains_key(i) {
                    Ok(())
                } else {
                    Err(RuleError::UnknownIndicator { rule: r.id.clone(), indicator: i.to_string() })
                }
            };
            match &r.check {
                Check::Bounds { indicator, .. }
                | Check::RequiredCells { indicator }
                | Check::AreasAddUp { indicator, .. }
                | Check::ChangeFromPrevious { indicator, .. }
                | Check::SiblingOutlier { indicator, .. } => known(indicator)?,
                Check::CellsAddUp { indicator, dimension, .. } => {
                    known(indicator)?;
                    if !catalogue[indicator].has_dimension(dimension) {
                        return Err(RuleError::UnknownDimension {
                            rule: r.id.clone(),
                            indicator: indicator.clone(),
                            dimension: dimension.clone(),
                        });
                    }
                }
                Check::Expression { left, right, .. } => {
                    for e in [left, right] {
                        let ast = Expr::parse(e).map_err(|why| RuleError::BadExpression { rule: r.id.clone(), expr: e.clone(), why })?;
                        for i in ast.indicators() {
                            known(&i)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The indicators whose rules compare an area with others (its parent, siblings or
    /// children: areas adding up, sibling outliers). Every other rule reads only the figures of
    /// the submission's own areas (their earlier periods, their other indicators and cells), so
    /// a submission needs stored figures of other areas for these indicators only.
    pub fn across_areas(&self) -> BTreeSet<&str> {
        self.rules
            .iter()
            .filter_map(|r| match &r.check {
                Check::AreasAddUp { indicator, .. } | Check::SiblingOutlier { indicator, .. } => Some(indicator.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The rules every indicator carries by its definition: plausible bounds (warning), every
    /// code of its required dimensions (error), and cells adding up to totals for additive
    /// indicators (error).
    /// `national` is the root area, where the plausible ranges of the catalogue apply.
    pub fn from_catalogue<'a>(indicators: impl IntoIterator<Item = &'a Indicator>, national: &str) -> RuleSet {
        let mut rules = Vec::new();
        for i in indicators {
            if let Some([min, max]) = i.plausible {
                rules.push(Rule {
                    id: format!("{}:plausible", i.code),
                    check: Check::Bounds {
                        indicator: i.code.clone(),
                        min: Some(min),
                        max: Some(max),
                        areas: Some(vec![national.to_string()]),
                        levels: None,
                    },
                    severity: Severity::Warning,
                    message_en: format!("{} is outside its plausible national range {min} to {max}: check it or explain it", i.name_en),
                    message_zh: format!("{}超出全国合理范围({min}至{max}),请核实或说明", i.name_zh),
                });
            }
            if !i.required_dimensions.is_empty() {
                rules.push(Rule {
                    id: format!("{}:required-cells", i.code),
                    check: Check::RequiredCells { indicator: i.code.clone() },
                    severity: Severity::Error,
                    message_en: format!("{} must be broken down by {}", i.name_en, i.required_dimensions.join(", ")),
                    message_zh: format!("{}须按{}分类填报", i.name_zh, i.required_dimensions.join("、")),
                });
            }
            if matches!(i.aggregation, Aggregation::Sum) {
                for d in &i.dimensions {
                    rules.push(Rule {
                        id: format!("{}:adds-up:{d}", i.code),
                        check: Check::CellsAddUp { indicator: i.code.clone(), dimension: d.clone(), tolerance: default_tolerance() },
                        severity: Severity::Error,
                        message_en: format!("the {d} breakdown of {} does not add up to the total", i.name_en),
                        message_zh: format!("{}按{d}分类的数据之和与合计不符", i.name_zh),
                    });
                }
            }
        }
        RuleSet { rules }
    }
}

/// An observation as the rules see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Obs {
    pub indicator: String,
    pub area: String,
    pub period: String,
    /// Canonical cell key (`""` for the total, `|SEX=F|`).
    pub cell: String,
    pub value: f64,
    /// Row in the uploaded file, when there was one.
    pub row: Option<u64>,
}

/// Where the rules look for context: the area hierarchy, codes of each dimension, and values of
/// earlier periods already in the database.
pub struct Context<'a> {
    /// Area → parent.
    pub parent: &'a dyn Fn(&str) -> Option<String>,
    /// Dimension → its codes (totals excluded).
    pub codes: &'a dyn Fn(&str) -> Vec<String>,
    pub indicators: &'a HashMap<String, Indicator>,
    /// Values known before this submission (other areas, earlier periods).
    pub known: &'a [Obs],
    /// The period before a period (`2023` → `2022`), if it has one.
    pub previous: &'a dyn Fn(&str) -> Option<String>,
    /// How many child areas an area has in force during a period (`None`: unknown).
    pub children: &'a dyn Fn(&str, &str) -> Option<usize>,
}

/// One rule broken at one place.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleFinding {
    pub rule: String,
    pub severity: Severity,
    pub message_en: String,
    pub message_zh: String,
    pub indicator: String,
    pub area: String,
    pub period: String,
    pub cell: String,
    pub row: Option<u64>,
    /// For an uploaded file, the column of `row` holding the value (set by the reader, which
    /// knows the file's layout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The value found, and what was expected, in words.
    pub value: Option<f64>,
    pub expected: String,
}

fn cell_code(cell: &str, dim: &str) -> Option<String> {
    cell.trim_matches('|').split('|').find_map(|kv| kv.split_once('=').filter(|(d, _)| *d == dim).map(|(_, c)| c.to_string()))
}

/// The cell without one dimension (its total over that dimension).
fn cell_without(cell: &str, dim: &str) -> String {
    let rest: Vec<&str> = cell.trim_matches('|').split('|').filter(|kv| !kv.is_empty() && !kv.starts_with(&format!("{dim}="))).collect();
    if rest.is_empty() { String::new() } else { format!("|{}|", rest.join("|")) }
}

/// Evaluates the rules over `data`; findings sorted by severity, then place.
pub fn evaluate(rules: &RuleSet, data: &[Obs], ctx: &Context<'_>) -> Vec<RuleFinding> {
    let mut out = Vec::new();
    // (indicator, area, period, cell) → observation, this submission first, then what is known.
    let mut all: HashMap<(&str, &str, &str, &str), &Obs> = HashMap::new();
    for o in ctx.known.iter().chain(data) {
        all.insert((&o.indicator, &o.area, &o.period, &o.cell), o);
    }
    // One value per key (the submission's where both have one).
    let merged: Vec<&Obs> = all.values().copied().collect();
    for rule in &rules.rules {
        let mut find = |o: &Obs, cell: &str, value: Option<f64>, expected: String| {
            out.push(RuleFinding {
                rule: rule.id.clone(),
                severity: rule.severity,
                message_en: rule.message_en.clone(),
                message_zh: rule.message_zh.clone(),
                indicator: o.indicator.clone(),
                area: o.area.clone(),
                period: o.period.clone(),
                cell: cell.to_string(),
                row: o.row,
                column: None,
                value,
                expected,
            })
        };
        match &rule.check {
            Check::Bounds { indicator, min, max, areas, levels } => {
                let at_level = |area: &str| {
                    levels.as_ref().is_none_or(|l| area.parse::<crate::area::AreaCode>().is_ok_and(|c| l.contains(&c.level())))
                };
                for o in data
                    .iter()
                    .filter(|o| &o.indicator == indicator && areas.as_ref().is_none_or(|a| a.contains(&o.area)) && at_level(&o.area))
                {
                    if min.is_some_and(|m| o.value < m) || max.is_some_and(|m| o.value > m) {
                        let range =
                            format!("{} to {}", min.map_or("-∞".into(), |m| m.to_string()), max.map_or("∞".into(), |m| m.to_string()));
                        find(o, &o.cell, Some(o.value), format!("a value from {range}"));
                    }
                }
            }
            Check::RequiredCells { indicator } => {
                let Some(ind) = ctx.indicators.get(indicator) else { continue };
                // Per (area, period) where the indicator is reported, each required code present.
                let mut seen: BTreeMap<(&str, &str), Vec<&Obs>> = BTreeMap::new();
                for o in data.iter().filter(|o| &o.indicator == indicator) {
                    seen.entry((&o.area, &o.period)).or_default().push(o);
                }
                for ((area, period), obs) in seen {
                    for dim in &ind.required_dimensions {
                        let missing: Vec<String> = (ctx.codes)(dim)
                            .into_iter()
                            .filter(|c| !obs.iter().any(|o| cell_code(&o.cell, dim).as_deref() == Some(c)))
                            .collect();
                        if !missing.is_empty() {
                            let first = obs[0];
                            let place = Obs { area: area.to_string(), period: period.to_string(), ..first.clone() };
                            find(&place, &format!("|{dim}=…|"), None, format!("values for {dim} = {}", missing.join(", ")));
                        }
                    }
                }
            }
            Check::CellsAddUp { indicator, dimension, tolerance } => {
                // Group the cells that have a code of `dimension` by the rest of their key.
                let mut groups: BTreeMap<(&str, &str, String), Vec<&Obs>> = BTreeMap::new();
                for o in data.iter().filter(|o| &o.indicator == indicator && cell_code(&o.cell, dimension).is_some()) {
                    groups.entry((&o.area, &o.period, cell_without(&o.cell, dimension))).or_default().push(o);
                }
                let n_codes = (ctx.codes)(dimension).len();
                for ((area, period, rest), parts) in groups {
                    let Some(total) = all.get(&(indicator.as_str(), area, period, rest.as_str())) else { continue };
                    if parts.len() < n_codes {
                        continue; // incomplete breakdowns are the required-cells rule's business
                    }
                    let sum: f64 = parts.iter().map(|o| o.value).sum();
                    if (sum - total.value).abs() > tolerance * total.value.abs().max(1.0) {
                        find(total, &rest, Some(total.value), format!("the sum of its {dimension} cells, {sum}"));
                    }
                }
            }
            Check::AreasAddUp { indicator, tolerance } => {
                let mut children: BTreeMap<(String, &str, &str), Vec<&Obs>> = BTreeMap::new();
                for o in merged.iter().copied().filter(|o| &o.indicator == indicator) {
                    if let Some(p) = (ctx.parent)(&o.area) {
                        children.entry((p, &o.period, &o.cell)).or_default().push(o);
                    }
                }
                for ((parent, period, cell), kids) in children {
                    let Some(p) = all.get(&(indicator.as_str(), parent.as_str(), period, cell)) else { continue };
                    // Only where this submission holds the parent or one of the children.
                    if !data.iter().any(|o| std::ptr::eq(o, *p) || kids.iter().any(|k| std::ptr::eq(*k, o))) {
                        continue;
                    }
                    let sum: f64 = kids.iter().map(|o| o.value).sum();
                    let expected = (ctx.children)(&parent, period);
                    if expected.is_some_and(|n| kids.len() >= n) {
                        // Every child area is there: they must add up to the parent.
                        if (sum - p.value).abs() > tolerance * p.value.abs().max(1.0) {
                            find(p, cell, Some(p.value), format!("the sum of its {} child areas, {sum}", kids.len()));
                        }
                    } else if p.value >= 0.0 && kids.iter().all(|k| k.value >= 0.0) && sum - p.value > tolerance * p.value.abs().max(1.0) {
                        // Some children only: together they may not exceed the parent.
                        let of = expected.map_or_else(String::new, |n| format!(" of {n}"));
                        find(p, cell, Some(p.value), format!("at least the sum of the {}{of} child areas reported, {sum}", kids.len()));
                    }
                }
            }
            Check::Expression { left, right, tolerance } => {
                let (Ok(l), Ok(r)) = (Expr::parse(left), Expr::parse(right)) else { continue };
                // Each term as written, with its indicator and the cell it is read in (beyond the
                // place's cell), parsed once per rule.
                type Term = (String, String, Vec<(String, String)>);
                let terms: Vec<Term> =
                    l.terms().into_iter().chain(r.terms()).filter_map(|t| split_term(&t).map(|(code, cell)| (t, code, cell))).collect();
                let names: Vec<String> = l.indicators().into_iter().chain(r.indicators()).collect();
                // Places: every (area, period, cell) where this submission reports a term, the
                // cell without the term's own qualifiers (the rural incidence, reported as
                // SI_POV_NAHC|URBANISATION=R|, is evaluated with the totals of the counts).
                let mut places: BTreeSet<(&str, &str, String)> = BTreeSet::new();
                for o in data {
                    let Some(cell) = crate::cell::Cell::from_key(&o.cell) else { continue };
                    for (_, _, qual) in terms.iter().filter(|t| t.1 == o.indicator) {
                        if qual.iter().all(|(d, c)| cell.get(d) == c.as_str()) {
                            let mut base = cell.clone();
                            for (d, _) in qual {
                                base.set(d, crate::codelist::TOTAL);
                            }
                            places.insert((o.area.as_str(), o.period.as_str(), base.key()));
                        }
                    }
                }
                for (area, period, base) in places {
                    let Some(base_cell) = crate::cell::Cell::from_key(&base) else { continue };
                    // Each term's key at this place: the place's cell with the term's qualifiers set.
                    let keys: HashMap<&str, (&str, String)> = terms
                        .iter()
                        .map(|(t, code, qual)| {
                            let mut c = base_cell.clone();
                            for (d, v) in qual {
                                c.set(d, v);
                            }
                            (t.as_str(), (code.as_str(), c.key()))
                        })
                        .collect();
                    let get = |term: &str| {
                        let (code, key) = keys.get(term)?;
                        all.get(&(*code, area, period, key.as_str())).map(|o| o.value)
                    };
                    let (Some(a), Some(b)) = (l.eval(&get), r.eval(&get)) else { continue };
                    if (a - b).abs() > *tolerance {
                        // The finding sits on a row of this submission holding one of the terms.
                        let at = terms.iter().find_map(|(t, _, _)| {
                            let (code, key) = keys.get(t.as_str())?;
                            data.iter().find(|o| o.indicator == *code && o.area == area && o.period == period && o.cell == *key)
                        });
                        if let Some(o) = at {
                            let figures: Vec<String> = terms
                                .iter()
                                .filter_map(|(t, _, _)| get(t).map(|v| format!("{t} = {}", crate::unit::format_number(v))))
                                .collect();
                            let place = Obs { indicator: names.join(","), ..o.clone() };
                            find(
                                &place,
                                &base,
                                Some(a),
                                format!(
                                    "{left} = {a:.4} to agree with {right} = {b:.4} within {tolerance} (figures: {}); check the units and multipliers",
                                    figures.join(", ")
                                ),
                            );
                        }
                    }
                }
            }
            Check::ChangeFromPrevious { indicator, max_change_pct } => {
                for o in data.iter().filter(|o| &o.indicator == indicator) {
                    let Some(prev) = (ctx.previous)(&o.period) else { continue };
                    let Some(p) = all.get(&(indicator.as_str(), o.area.as_str(), prev.as_str(), o.cell.as_str())) else { continue };
                    if p.value != 0.0 {
                        let pct = (o.value - p.value) / p.value.abs() * 100.0;
                        if pct.abs() > *max_change_pct {
                            find(
                                o,
                                &o.cell,
                                Some(o.value),
                                format!("at most {max_change_pct}% change from {prev} ({}); found {pct:+.1}%", p.value),
                            );
                        }
                    }
                }
            }
            Check::SiblingOutlier { indicator, max_z } => {
                let mut siblings: BTreeMap<(String, &str, &str), Vec<&Obs>> = BTreeMap::new();
                for o in merged.iter().copied().filter(|o| &o.indicator == indicator) {
                    if let Some(p) = (ctx.parent)(&o.area) {
                        siblings.entry((p, &o.period, &o.cell)).or_default().push(o);
                    }
                }
                for group in siblings.values().filter(|g| g.len() >= 5) {
                    let mut v: Vec<f64> = group.iter().map(|o| o.value).collect();
                    let med = median(&mut v);
                    let mut dev: Vec<f64> = v.iter().map(|x| (x - med).abs()).collect();
                    let mad = median(&mut dev) * 1.4826;
                    if mad == 0.0 {
                        continue;
                    }
                    for o in group.iter().filter(|o| data.iter().any(|d| std::ptr::eq(d, **o))) {
                        let z = (o.value - med) / mad;
                        if z.abs() > *max_z {
                            find(
                                o,
                                &o.cell,
                                Some(o.value),
                                format!("a value near its {} sibling areas' (median {med}); robust z = {z:.1}", group.len()),
                            );
                        }
                    }
                }
            }
        }
    }
    out.sort_by(|a, b| {
        (a.severity, &a.indicator, &a.area, &a.period, &a.cell, &a.rule).cmp(&(
            b.severity,
            &b.indicator,
            &b.area,
            &b.period,
            &b.cell,
            &b.rule,
        ))
    });
    out
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

/// An arithmetic expression over indicator codes. Hand-written (60 lines) rather than a general
/// expression crate: rules need exactly floating-point + - * / and names, and no integer
/// division or functions that would surprise a statistician writing a rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Num(f64),
    Var(String),
    Bin(Box<Expr>, char, Box<Expr>),
    Neg(Box<Expr>),
}

impl Expr {
    pub fn parse(s: &str) -> Result<Expr, String> {
        let tokens = tokenize(s)?;
        let mut pos = 0;
        let e = parse_sum(&tokens, &mut pos)?;
        if pos != tokens.len() {
            return Err(format!("unexpected '{}'", tokens[pos]));
        }
        Ok(e)
    }

    /// The indicator codes the expression reads (without the cells some are read in).
    pub fn indicators(&self) -> Vec<String> {
        self.terms().into_iter().map(|t| split_term(&t).map_or(t.clone(), |(code, _)| code)).collect()
    }

    /// The terms as written: `CODE` or `CODE[DIM=CODE,…]`.
    pub fn terms(&self) -> Vec<String> {
        match self {
            Expr::Num(_) => vec![],
            Expr::Var(v) => vec![v.clone()],
            Expr::Neg(e) => e.terms(),
            Expr::Bin(a, _, b) => a.terms().into_iter().chain(b.terms()).collect(),
        }
    }

    /// `None` when a value is missing or a division is by zero.
    pub fn eval(&self, get: &dyn Fn(&str) -> Option<f64>) -> Option<f64> {
        Some(match self {
            Expr::Num(n) => *n,
            Expr::Var(v) => get(v)?,
            Expr::Neg(e) => -e.eval(get)?,
            Expr::Bin(a, op, b) => {
                let (x, y) = (a.eval(get)?, b.eval(get)?);
                match op {
                    '+' => x + y,
                    '-' => x - y,
                    '*' => x * y,
                    _ if y == 0.0 => return None,
                    _ => x / y,
                }
            }
        })
    }
}

/// `CODE[DIM=X, DIM2=Y]` → (CODE, [(DIM, X), (DIM2, Y)]); a plain `CODE` has no cell.
pub fn split_term(term: &str) -> Option<(String, Vec<(String, String)>)> {
    let Some((code, rest)) = term.split_once('[') else { return Some((term.to_string(), Vec::new())) };
    let inner = rest.strip_suffix(']')?;
    let mut cell = Vec::new();
    for part in inner.split(',') {
        let (d, c) = part.split_once('=')?;
        let (d, c) = (d.trim(), c.trim());
        let ok = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !ok(d) || !ok(c) {
            return None;
        }
        cell.push((d.to_string(), c.to_string()));
    }
    Some((code.to_string(), cell))
}

fn tokenize(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if "+-*/()".contains(c) {
            out.push(c.to_string());
            chars.next();
        } else if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            let mut t = String::new();
            while let Some(&c) = chars.peek().filter(|c| c.is_ascii_alphanumeric() || **c == '_' || **c == '.') {
                t.push(c);
                chars.next();
            }
            // An indicator read in a given cell: SI_POV_NAHC[URBANISATION=R].
            if chars.peek() == Some(&'[') {
                let mut q = String::new();
                for c in chars.by_ref() {
                    q.push(c);
                    if c == ']' {
                        break;
                    }
                }
                if !q.ends_with(']') || split_term(&format!("{t}{q}")).is_none() {
                    return Err(format!("'{t}{q}': a cell is written [DIMENSION=CODE, …]"));
                }
                t.push_str(&q);
            }
            out.push(t);
        } else {
            return Err(format!("character '{c}' is not allowed"));
        }
    }
    Ok(out)
}

fn parse_sum(t: &[String], pos: &mut usize) -> Result<Expr, String> {
    let mut e = parse_product(t, pos)?;
    while let Some(op) = t.get(*pos).filter(|x| *x == "+" || *x == "-") {
        let op = op.chars().next().unwrap_or('+');
        *pos += 1;
        e = Expr::Bin(Box::new(e), op, Box::new(parse_product(t, pos)?));
    }
    Ok(e)
}

fn parse_product(t: &[String], pos: &mut usize) -> Result<Expr, String> {
    let mut e = parse_atom(t, pos)?;
    while let Some(op) = t.get(*pos).filter(|x| *x == "*" || *x == "/") {
        let op = op.chars().next().unwrap_or('*');
        *pos += 1;
        e = Expr::Bin(Box::new(e), op, Box::new(parse_atom(t, pos)?));
    }
    Ok(e)
}

fn parse_atom(t: &[String], pos: &mut usize) -> Result<Expr, String> {
    let tok = t.get(*pos).ok_or("expression ends too early")?;
    *pos += 1;
    match tok.as_str() {
        "(" => {
            let e = parse_sum(t, pos)?;
            if t.get(*pos).map(String::as_str) != Some(")") {
                return Err("missing ')'".into());
            }
            *pos += 1;
            Ok(e)
        }
        "-" => Ok(Expr::Neg(Box::new(parse_atom(t, pos)?))),
        x if x.starts_with(|c: char| c.is_ascii_digit()) => x.parse().map(Expr::Num).map_err(|_| format!("'{x}' is not a number")),
        x if x.starts_with(|c: char| c.is_ascii_uppercase()) => Ok(Expr::Var(x.to_string())),
        x => Err(format!("unexpected '{x}'")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rules_comparing_areas_need_other_areas_figures() {
        let rules = RuleSet::parse(crate::reference::VALIDATION_RULES).unwrap();
        let across: Vec<&str> = rules.across_areas().into_iter().collect();
        // Adding up (poor population) and sibling outliers (dibao standard and recipients); the
        // change from the previous period and the expression read the area's own figures.
        assert_eq!(across, ["CN_DIBAO_RECIPIENTS", "CN_DIBAO_STANDARD", "CN_RURAL_POOR_POP"]);
        let own = RuleSet::parse(
            "[[rule]]\nid = \"c\"\nkind = \"change_from_previous\"\nindicator = \"CN_DIBAO_STANDARD\"\nmax_change_pct = 30\nseverity = \"warning\"\nmessage_en = \"x\"\nmessage_zh = \"x\"\n",
        )
        .unwrap();
        assert!(own.across_areas().is_empty());
    }

    fn obs(ind: &str, area: &str, period: &str, cell: &str, value: f64, row: u64) -> Obs {
        Obs { indicator: ind.into(), area: area.into(), period: period.into(), cell: cell.into(), value, row: Some(row) }
    }

    fn catalogue() -> HashMap<String, Indicator> {
        crate::reference::indicators().into_iter().map(|i| (i.code.clone(), i)).collect()
    }

    fn run(rules: &RuleSet, data: &[Obs], known: &[Obs]) -> Vec<RuleFinding> {
        let inds = catalogue();
        let parent = |a: &str| match a.len() {
            6 => Some(a[..4].to_string()),
            4 => Some(a[..2].to_string()),
            2 if a != "CN" => Some("CN".to_string()),
            _ => None,
        };
        let codes = |d: &str| match d {
            "SEX" => vec!["F".to_string(), "M".to_string()],
            "URBANISATION" => vec!["R".to_string(), "U".to_string()],
            _ => vec![],
        };
        let previous = |p: &str| p.parse::<i32>().ok().map(|y| (y - 1).to_string());
        // Test areas: CN has 31 provinces, a province 11 prefectures, a prefecture 2 counties.
        let children = |a: &str, _: &str| match a.len() {
            2 if a == "CN" => Some(31),
            2 => Some(11),
            4 => Some(2),
            _ => None,
        };
        let ctx = Context { parent: &parent, codes: &codes, indicators: &inds, known, previous: &previous, children: &children };
        evaluate(rules, data, &ctx)
    }

    const RULES: &str = r#"
[[rule]]
id = "incidence-agrees"
kind = "expression"
left = "CN_RURAL_POOR_POP / CN_RURAL_POP_MONITORED * 100"
right = "SI_POV_NAHC"
tolerance = 0.1
severity = "error"
message_en = "poor population over covered population must agree with the incidence"
message_zh = "贫困人口与监测人口之比须与贫困发生率一致"

[[rule]]
id = "poor-change"
kind = "change_from_previous"
indicator = "CN_RURAL_POOR_POP"
max_change_pct = 40
severity = "warning"
message_en = "large change from last year: explain it"
message_zh = "与上年相比变化较大,请说明"

[[rule]]
id = "counties-add-up"
kind = "areas_add_up"
indicator = "CN_RURAL_POOR_POP"
severity = "error"
message_en = "counties must add up to the prefecture"
message_zh = "各县之和须等于地市"

[[rule]]
id = "outlier"
kind = "sibling_outlier"
indicator = "CN_DIBAO_STANDARD"
severity = "warning"
message_en = "far from neighbouring counties"
message_zh = "与同级县差异较大"
"#;

    #[test]
    fn declared_rules_find_each_problem_at_its_place() {
        let rules = RuleSet::parse(RULES).unwrap();
        rules.check(&catalogue()).unwrap();
        let known = [obs("CN_RURAL_POOR_POP", "130102", "2022", "", 100.0, 0)];
        let data = [
            obs("CN_RURAL_POOR_POP", "130102", "2023", "", 30.0, 2),
            obs("CN_RURAL_POP_MONITORED", "130102", "2023", "", 1000.0, 3),
            obs("SI_POV_NAHC", "130102", "2023", "", 3.5, 4),
            obs("CN_RURAL_POOR_POP", "130104", "2023", "", 20.0, 5),
            obs("CN_RURAL_POOR_POP", "1301", "2023", "", 60.0, 6),
        ];
        let f = run(&rules, &data, &known);
        let got: Vec<(&str, &str, Option<u64>)> = f.iter().map(|x| (x.rule.as_str(), x.area.as_str(), x.row)).collect();
        assert_eq!(
            got,
            [("counties-add-up", "1301", Some(6)), ("incidence-agrees", "130102", Some(2)), ("poor-change", "130102", Some(2))],
            "{f:#?}"
        );
        assert!(f[1].expected.contains("= 3.0000 to agree with SI_POV_NAHC = 3.5000"), "{}", f[1].expected);
        assert!(f[2].expected.contains("-70.0%"));
        assert_eq!(f[2].severity, Severity::Warning);
        // Fixed data: nothing to say.
        let good = [
            obs("CN_RURAL_POOR_POP", "130102", "2023", "", 80.0, 2),
            obs("CN_RURAL_POP_MONITORED", "130102", "2023", "", 1000.0, 3),
            obs("SI_POV_NAHC", "130102", "2023", "", 8.0, 4),
            obs("CN_RURAL_POOR_POP", "130104", "2023", "", 20.0, 5),
            obs("CN_RURAL_POOR_POP", "1301", "2023", "", 100.0, 6),
        ];
        assert!(run(&rules, &good, &known).is_empty());
    }

    #[test]
    fn children_add_up_only_when_all_are_there_and_never_exceed_the_parent() {
        let rules = RuleSet::parse(RULES).unwrap();
        let national = obs("CN_RURAL_POOR_POP", "CN", "2018", "", 1660.0, 0);
        // One province of 31 (Guizhou's 155 with its sex breakdown): a correct partial file.
        let guizhou = [
            obs("CN_RURAL_POOR_POP", "52", "2018", "", 155.0, 2),
            obs("CN_RURAL_POOR_POP", "52", "2018", "|SEX=F|", 75.0, 3),
            obs("CN_RURAL_POOR_POP", "52", "2018", "|SEX=M|", 80.0, 4),
        ];
        let f = run(&rules, &guizhou, std::slice::from_ref(&national));
        assert!(f.iter().all(|x| x.rule != "counties-add-up"), "{f:#?}");
        // But one province may not hold more poor than the nation.
        let too_many = [obs("CN_RURAL_POOR_POP", "52", "2018", "", 1700.0, 2)];
        let f = run(&rules, &too_many, std::slice::from_ref(&national));
        let x = f.iter().find(|x| x.rule == "counties-add-up").expect("children above the parent");
        assert_eq!(x.area, "CN");
        assert!(x.expected.contains("1 of 31"), "{}", x.expected);
        // Every county of a prefecture: they must add up.
        let both = [obs("CN_RURAL_POOR_POP", "130102", "2023", "", 30.0, 2), obs("CN_RURAL_POOR_POP", "130104", "2023", "", 20.0, 3)];
        let f = run(&rules, &both, &[obs("CN_RURAL_POOR_POP", "1301", "2023", "", 40.0, 0)]);
        assert!(f.iter().any(|x| x.rule == "counties-add-up" && x.expected.contains("2 child areas, 50")), "{f:#?}");
    }

    #[test]
    fn a_cross_indicator_rule_holds_in_every_cell_where_its_terms_are() {
        let rules = RuleSet::parse(&RULES.replace(r#"right = "SI_POV_NAHC""#, r#"right = "SI_POV_NAHC[URBANISATION=R]""#)).unwrap();
        rules.check(&catalogue()).unwrap();
        // The source paper's Table 3 as printed: the poor population in thousands (9,899
        // read as 989.9 ten-thousands), with the rural incidence and the monitored population.
        let table3 = [
            obs("CN_RURAL_POOR_POP", "CN", "2012", "", 989.9, 2),
            obs("CN_RURAL_POP_MONITORED", "CN", "2012", "", 97049.0, 3),
            obs("SI_POV_NAHC", "CN", "2012", "|URBANISATION=R|", 10.2, 4),
        ];
        let f = run(&rules, &table3, &[]);
        let x = f.iter().find(|x| x.rule == "incidence-agrees").expect("the unit error is found");
        assert!(
            x.expected.contains("CN_RURAL_POOR_POP = 989.9") && x.expected.contains("SI_POV_NAHC[URBANISATION=R] = 10.2"),
            "{}",
            x.expected
        );
        assert_eq!(x.severity, Severity::Error);
        // In ten-thousands it agrees; the urban incidence is no term of the rule.
        let mut right = table3.clone();
        right[0].value = 9899.0;
        let urban = obs("SI_POV_NAHC", "CN", "2012", "|URBANISATION=U|", 0.5, 5);
        assert!(run(&rules, &[right.to_vec(), vec![urban]].concat(), &[]).is_empty());
        // By sex too, where every term has the cell.
        let women = [
            obs("CN_RURAL_POOR_POP", "CN", "2012", "|SEX=F|", 500.0, 2),
            obs("CN_RURAL_POP_MONITORED", "CN", "2012", "|SEX=F|", 48000.0, 3),
            obs("SI_POV_NAHC", "CN", "2012", "|SEX=F|URBANISATION=R|", 20.0, 4),
        ];
        let f = run(&rules, &women, &[]);
        assert_eq!(f.iter().filter(|x| x.rule == "incidence-agrees").count(), 1, "{f:#?}");
        assert!(Expr::parse("SI_POV_NAHC[URBANISATION]").is_err());
        assert!(Expr::parse("SI_POV_NAHC[URBANISATION=R").is_err());
    }

    /// What is plausible depends on the level: five thousand ten-thousands of recipients (fifty
    /// million persons) is a warning in a county, not in the country.
    #[test]
    fn bounds_that_know_the_level() {
        let rules = RuleSet::parse(
            r#"
[[rule]]
id = "local-size"
kind = "bounds"
indicator = "CN_RURAL_POOR_POP"
min = 0
max = 100
levels = ["county", "township", "village"]
severity = "warning"
message_en = "too many for a county"
message_zh = "一个县不可能有这么多"
"#,
        )
        .unwrap();
        rules.check(&catalogue()).unwrap();
        let data = [
            obs("CN_RURAL_POOR_POP", "130102", "2023", "", 5000.0, 2),
            obs("CN_RURAL_POOR_POP", "CN", "2023", "", 5000.0, 3),
            obs("CN_RURAL_POOR_POP", "130104", "2023", "", 0.52, 4),
        ];
        let f = run(&rules, &data, &[]);
        assert_eq!(f.iter().map(|x| (x.area.as_str(), x.row)).collect::<Vec<_>>(), [("130102", Some(2))], "{f:#?}");
        // The shipped rules say so for the minimum living guarantee and the poor population.
        let shipped = RuleSet::parse(crate::reference::VALIDATION_RULES).unwrap();
        assert!(
            shipped
                .rules
                .iter()
                .any(|r| matches!(&r.check, Check::Bounds { indicator, levels: Some(_), .. } if indicator == "CN_DIBAO_RECIPIENTS"))
        );
    }

    #[test]
    fn outliers_among_siblings() {
        let rules = RuleSet::parse(RULES).unwrap();
        let known: Vec<Obs> =
            (1..=8).map(|i| obs("CN_DIBAO_STANDARD", &format!("13010{i}"), "2023", "", 7000.0 + 50.0 * i as f64, 0)).collect();
        let data = [obs("CN_DIBAO_STANDARD", "130109", "2023", "", 70000.0, 2)];
        let f = run(&rules, &data, &known);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].rule.as_str(), f[0].row), ("outlier", Some(2)));
        assert!(run(&rules, &[obs("CN_DIBAO_STANDARD", "130109", "2023", "", 7300.0, 2)], &known).is_empty());
    }

    #[test]
    fn rules_from_the_catalogue() {
        let inds = catalogue();
        let mut poor = inds["CN_RURAL_POOR_POP"].clone();
        poor.required_dimensions = vec!["SEX".into()];
        poor.plausible = Some([0.0, 20000.0]);
        let rules = RuleSet::from_catalogue([&poor], "14");
        let data = [
            obs("CN_RURAL_POOR_POP", "13", "2023", "", 100.0, 2),
            obs("CN_RURAL_POOR_POP", "13", "2023", "|SEX=F|", 45.0, 3),
            obs("CN_RURAL_POOR_POP", "13", "2023", "|SEX=M|", 50.0, 4),
            obs("CN_RURAL_POOR_POP", "14", "2023", "", 25000.0, 5),
        ];
        let f = run(&rules, &data, &[]);
        let got: Vec<(&str, &str, Severity)> = f.iter().map(|x| (x.rule.as_str(), x.area.as_str(), x.severity)).collect();
        assert_eq!(
            got,
            [
                ("CN_RURAL_POOR_POP:adds-up:SEX", "13", Severity::Error),
                ("CN_RURAL_POOR_POP:required-cells", "14", Severity::Error),
                ("CN_RURAL_POOR_POP:plausible", "14", Severity::Warning)
            ],
            "{f:#?}"
        );
        assert!(f[0].expected.contains("95"));
        assert!(f[1].expected.contains("SEX = F, M"));
    }

    #[test]
    fn expressions_and_bad_rules() {
        let e = Expr::parse("(A_1 + 2) * -B / 4").unwrap();
        let get = |v: &str| match v {
            "A_1" => Some(6.0),
            "B" => Some(2.0),
            _ => None,
        };
        assert_eq!(e.eval(&get), Some(-4.0));
        assert_eq!(Expr::parse("A / 0").unwrap().eval(&get), None);
        assert!(Expr::parse("A +").is_err() && Expr::parse("(A").is_err() && Expr::parse("A ; B").is_err());
        let bad = RuleSet::parse("[[rule]]\nid = \"x\"\nkind = \"expression\"\nleft = \"NOPE * 2\"\nright = \"1\"\nseverity = \"error\"\nmessage_en = \"\"\nmessage_zh = \"\"").unwrap();
        assert!(matches!(bad.check(&catalogue()), Err(RuleError::UnknownIndicator { .. })));
        assert!(matches!(RuleSet::parse("[[rule]]\nid = 1"), Err(RuleError::Parse(_))));
    }
}
