//! Progress assessment of one series, by the method Statistics Canada designed and Open SDG
//! uses: the compound annual growth rate from the baseline, signed by the indicator's declared
//! direction, against the rate a benchmark requires or, without one, against fixed thresholds.
//!
//! - Observed: `CAGR = (y_t / y_0)^(1 / (t − t_0)) − 1`, negated when lower is better.
//! - With a benchmark (baseline `t_0, y_0`, target `T, y_T`): required
//!   `(y_T / y_0)^(1 / (T − t_0)) − 1` signed alike; the ratio observed ÷ required sorts the
//!   series: ≥ 0.95 on track, 0.60–0.95 needs acceleration, 0–0.60 limited progress, < 0
//!   deterioration. A latest value at or beyond the target is "target met".
//! - Without a benchmark (Open SDG's defaults): signed CAGR > 1 % substantial progress,
//!   0.5–1 % moderate, 0–0.5 % limited, < 0 deterioration.
//! - Where CAGR fails — a value at or below zero, or a baseline near zero relative to the
//!   series — the same classes are computed on the average annual difference instead, and the
//!   assessment says so.
//! - A break in series (a footnoted change of method or survey) ends comparability: only the
//!   points from the last break on are used, and the assessment says where it broke. The rural
//!   net income of the old survey is never read against the disposable income of the new one.
//! - Gaps (missing years) are allowed: `t − t_0` is counted in years.
//!
//! Also here: [`retrogression`] (the latest step worse than the one before beyond the figure's
//! stated precision, never across a break) and [`gap`] (ratio and difference between a group
//! and its reference, converging or diverging). No I/O: the store feeds the series.

use crate::recommendation::Better;
use serde::Serialize;

/// One observation of a series: year, value, and whether a break in series stands before it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub year: i32,
    pub value: f64,
    pub break_before: bool,
}

impl Point {
    pub fn new(year: i32, value: f64) -> Point {
        Point { year, value, break_before: false }
    }
}

/// A national benchmark (target) for a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Benchmark {
    pub baseline_year: i32,
    pub baseline_value: f64,
    pub target_year: i32,
    pub target_value: f64,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgressClass {
    /// At or beyond the benchmark's target.
    TargetMet,
    /// With a benchmark: observed ≥ 95 % of the required rate; without: substantial progress.
    OnTrack,
    /// 60–95 % of the required rate; without a benchmark: moderate progress.
    NeedsAcceleration,
    /// 0–60 %; without a benchmark: limited progress.
    LimitedProgress,
    /// Moving away from the target or the declared direction.
    Deterioration,
    /// Fewer than two comparable points, or no declared direction.
    InsufficientData,
}

impl ProgressClass {
    /// The name it is serialised under (`on_track`), for CSV cells and message keys.
    pub fn as_str(self) -> &'static str {
        match self {
            ProgressClass::TargetMet => "target_met",
            ProgressClass::OnTrack => "on_track",
            ProgressClass::NeedsAcceleration => "needs_acceleration",
            ProgressClass::LimitedProgress => "limited_progress",
            ProgressClass::Deterioration => "deterioration",
            ProgressClass::InsufficientData => "insufficient_data",
        }
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Cagr,
    /// Average annual difference, where CAGR is undefined or misleading (values at or near zero).
    Difference,
}

impl Method {
    /// The name it is serialised under (`cagr`, `difference`).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Cagr => "cagr",
            Method::Difference => "difference",
        }
    }
}

/// Why an assessment was made as it was, for the sentence that explains it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Note {
    /// Points before this year were left out: a break in series stands before it.
    BreakInSeries { year: i32 },
    /// CAGR is undefined at or near zero: the average annual difference was used.
    NearZero,
    /// The benchmark's baseline year has no comparable figure: the first comparable point was used.
    BaselineNotObserved { year: i32 },
    /// The benchmark requires no change in the declared direction (its target is already behind the baseline).
    TargetBehindBaseline,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub class: ProgressClass,
    pub method: Method,
    /// [year, value]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<f64>>))]
    pub baseline: Option<(i32, f64)>,
    /// [year, value]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<f64>>))]
    pub latest: Option<(i32, f64)>,
    /// Observed annual rate (CAGR or annual difference), signed so that positive is progress.
    pub observed: Option<f64>,
    /// The rate the benchmark requires, signed alike.
    pub required: Option<f64>,
    /// observed ÷ required.
    pub ratio: Option<f64>,
    pub notes: Vec<Note>,
}

/// Thresholds without a benchmark (Open SDG's defaults), on the signed CAGR.
pub const SUBSTANTIAL: f64 = 0.01;
pub const MODERATE: f64 = 0.005;
/// Ratio thresholds with a benchmark.
pub const ON_TRACK: f64 = 0.95;
pub const ACCELERATION: f64 = 0.60;
/// A baseline smaller than this share of the series' largest absolute value counts as near zero.
pub const NEAR_ZERO: f64 = 0.01;

fn insufficient(notes: Vec<Note>) -> Assessment {
    Assessment {
        class: ProgressClass::InsufficientData,
        method: Method::Cagr,
        baseline: None,
        latest: None,
        observed: None,
        required: None,
        ratio: None,
        notes,
    }
}

/// The finite points of a series by year: the series itself when it is already so (as stored
/// series are), else a sorted copy; evaluating a national data set then allocates nothing per
/// series.
fn in_order(series: &[Point]) -> std::borrow::Cow<'_, [Point]> {
    if series.windows(2).all(|w| w[0].year < w[1].year) && series.iter().all(|p| p.value.is_finite()) {
        std::borrow::Cow::Borrowed(series)
    } else {
        let mut s: Vec<Point> = series.iter().copied().filter(|p| p.value.is_finite()).collect();
        s.sort_by_key(|p| p.year);
        std::borrow::Cow::Owned(s)
    }
}

/// Assesses a series (any order; non-finite values ignored) in the declared direction.
pub fn assess(series: &[Point], better: Option<Better>, benchmark: Option<&Benchmark>) -> Assessment {
    let sorted = in_order(series);
    let mut s: &[Point] = &sorted;
    let mut notes = Vec::new();
    // Only the comparable stretch: from the last break on.
    if let Some(i) = s.iter().rposition(|p| p.break_before) {
        notes.push(Note::BreakInSeries { year: s[i].year });
        s = &s[i..];
    }
    let Some(better) = better else { return insufficient(notes) };
    let sign = match better {
        Better::Higher => 1.0,
        Better::Lower => -1.0,
    };
    let Some(&last) = s.last() else { return insufficient(notes) };
    // The baseline: the benchmark's, when the comparable stretch holds it; else its first point.
    let base = match benchmark {
        Some(b) => match s.iter().find(|p| p.year == b.baseline_year) {
            Some(p) => *p,
            None => {
                notes.push(Note::BaselineNotObserved { year: b.baseline_year });
                s[0]
            }
        },
        None => s[0],
    };
    if last.year <= base.year {
        return insufficient(notes);
    }
    let scale = s.iter().map(|p| p.value.abs()).fold(0.0, f64::max);
    let near_zero = |v: f64| v <= 0.0 || v < NEAR_ZERO * scale;
    let method = if near_zero(base.value) || near_zero(last.value) { Method::Difference } else { Method::Cagr };
    if method == Method::Difference {
        notes.push(Note::NearZero);
    }
    let rate = |y0: f64, y1: f64, years: f64| match method {
        Method::Cagr => (y1 / y0).powf(1.0 / years) - 1.0,
        Method::Difference => (y1 - y0) / years,
    };
    let observed = sign * rate(base.value, last.value, (last.year - base.year) as f64);
    let mut a = Assessment {
        class: ProgressClass::InsufficientData,
        method,
        baseline: Some((base.year, base.value)),
        latest: Some((last.year, last.value)),
        observed: Some(observed),
        required: None,
        ratio: None,
        notes,
    };
    match benchmark {
        Some(b) => {
            let met = match better {
                Better::Higher => last.value >= b.target_value,
                Better::Lower => last.value <= b.target_value,
            };
            if met {
                a.class = ProgressClass::TargetMet;
                return a;
            }
            // The target's rate from the baseline used (the observed one when the benchmark's
            // baseline year has no figure). Near zero, the target's rate is a difference too.
            let target_method_diff = method == Method::Difference || near_zero(b.target_value);
            let years = (b.target_year - base.year) as f64;
            if years <= 0.0 {
                // The target year has passed without the target being met.
                a.class = if observed < 0.0 { ProgressClass::Deterioration } else { ProgressClass::LimitedProgress };
                return a;
            }
            let (observed, required) = if target_method_diff && method == Method::Cagr {
                // Recompute both as differences so that they compare.
                a.method = Method::Difference;
                a.notes.push(Note::NearZero);
                let o = sign * (last.value - base.value) / (last.year - base.year) as f64;
                (o, sign * (b.target_value - base.value) / years)
            } else {
                (observed, sign * rate(base.value, b.target_value, years))
            };
            a.observed = Some(observed);
            a.required = Some(required);
            if required <= 0.0 {
                a.notes.push(Note::TargetBehindBaseline);
                a.class = if observed < 0.0 { ProgressClass::Deterioration } else { ProgressClass::TargetMet };
                return a;
            }
            let ratio = observed / required;
            a.ratio = Some(ratio);
            a.class = if ratio >= ON_TRACK {
                ProgressClass::OnTrack
            } else if ratio >= ACCELERATION {
                ProgressClass::NeedsAcceleration
            } else if ratio >= 0.0 {
                ProgressClass::LimitedProgress
            } else {
                ProgressClass::Deterioration
            };
        }
        None => {
            a.class = if method == Method::Difference {
                // Thresholds on the difference relative to the series' scale.
                let rel = if scale > 0.0 { observed / scale } else { 0.0 };
                classify_rate(rel)
            } else {
                classify_rate(observed)
            };
        }
    }
    a
}

fn classify_rate(r: f64) -> ProgressClass {
    if r > SUBSTANTIAL {
        ProgressClass::OnTrack
    } else if r > MODERATE {
        ProgressClass::NeedsAcceleration
    } else if r >= 0.0 {
        ProgressClass::LimitedProgress
    } else {
        ProgressClass::Deterioration
    }
}

/// A retrogressive step: the latest comparable value worse than the one before it by more
/// than the tolerance (in the series' unit).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Retrogression {
    /// [year, value]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<f64>))]
    pub from: (i32, f64),
    /// [year, value]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<f64>))]
    pub to: (i32, f64),
    /// How much worse, in the series' unit (positive).
    pub by: f64,
}

/// The tolerance a figure's stated precision implies: half a unit of its last decimal
/// (a figure published as 12.3 moves beyond its precision by more than 0.05).
pub fn precision_tolerance(decimals: u32) -> f64 {
    0.5 * 10f64.powi(-(decimals as i32))
}

/// Whether the latest step of a series is retrogressive: compared with the previous comparable
/// point (never across a break in series), worse in the declared direction by more than
/// `tolerance`.
pub fn retrogression(series: &[Point], better: Better, tolerance: f64) -> Option<Retrogression> {
    let s = in_order(series);
    let (prev, last) = match &*s {
        [.., a, b] if !b.break_before => (*a, *b),
        _ => return None,
    };
    let worse = match better {
        Better::Higher => prev.value - last.value,
        Better::Lower => last.value - prev.value,
    };
    (worse > tolerance).then_some(Retrogression { from: (prev.year, prev.value), to: (last.year, last.value), by: worse })
}

/// The gap between a group and its reference (rural and urban, women and men) year by year:
/// ratio group ÷ reference and difference group − reference, for the years both have.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gap {
    pub years: Vec<i32>,
    pub ratio: Vec<f64>,
    pub difference: Vec<f64>,
    /// Whether the groups moved towards each other (the ratio towards 1) from the first to the
    /// last common year; `None` with fewer than two.
    pub converging: Option<bool>,
}

pub fn gap(group: &[Point], reference: &[Point]) -> Gap {
    let mut years = Vec::with_capacity(group.len());
    let mut ratio = Vec::with_capacity(group.len());
    let mut difference = Vec::with_capacity(group.len());
    for p in in_order(group).iter() {
        if let Some(r) = reference.iter().find(|r| r.year == p.year && r.value.is_finite() && r.value != 0.0) {
            years.push(p.year);
            ratio.push(p.value / r.value);
            difference.push(p.value - r.value);
        }
    }
    let converging = match (ratio.first(), ratio.last()) {
        (Some(a), Some(b)) if ratio.len() >= 2 => Some((b.ln()).abs() < (a.ln()).abs()),
        _ => None,
    };
    Gap { years, ratio, difference, converging }
}

/// An achievement-possibilities frontier in the manner of the SERF Index (Fukuda-Parr,
/// Lawson-Remer and Randolph): the best achievement observed at each level of GDP per capita,
/// fitted as `f(x) = a + b·ln x`.
///
/// The areas are sorted by GDP per capita and cut into `bins` groups of equal width in `ln x`;
/// the best achievement of each group is a frontier point, and the curve is fitted to those
/// points by least squares. An area's score is the share of the feasible achievement it
/// reaches, `100 · y / f(x)`, capped at 100 (an area above the fitted curve is on the frontier).
/// Achievements must be "higher is better" and positive: the caller turns a rate where lower is
/// better into its complement (100 − rate) first, as SERF does, and says so.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Frontier {
    pub a: f64,
    pub b: f64,
    /// Frontier points the curve was fitted to.
    pub points: usize,
}

impl Frontier {
    pub fn at(&self, x: f64) -> f64 {
        self.a + self.b * x.ln()
    }

    /// The share (0–100) of the feasible achievement at `x` that `y` reaches.
    pub fn score(&self, x: f64, y: f64) -> f64 {
        let f = self.at(x);
        if f <= 0.0 { 100.0 } else { (100.0 * y / f).min(100.0) }
    }
}

/// Fits the frontier to `(gdp_per_capita, achievement)` pairs; `None` with fewer than two
/// frontier points or non-positive incomes.
pub fn frontier(areas: &[(f64, f64)], bins: usize) -> Option<Frontier> {
    let pts: Vec<(f64, f64)> = areas.iter().copied().filter(|(x, y)| *x > 0.0 && x.is_finite() && y.is_finite()).collect();
    if pts.len() < 2 || bins < 2 {
        return None;
    }
    let (lo, hi) = pts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (x, _)| (lo.min(x.ln()), hi.max(x.ln())));
    let width = (hi - lo) / bins as f64;
    let mut best: Vec<Option<(f64, f64)>> = vec![None; bins];
    for &(x, y) in &pts {
        let k = if width > 0.0 { (((x.ln() - lo) / width) as usize).min(bins - 1) } else { 0 };
        if best[k].is_none_or(|(_, b)| y > b) {
            best[k] = Some((x.ln(), y));
        }
    }
    let fp: Vec<(f64, f64)> = best.into_iter().flatten().collect();
    if fp.len() < 2 {
        return None;
    }
    let n = fp.len() as f64;
    let (mx, my) = (fp.iter().map(|p| p.0).sum::<f64>() / n, fp.iter().map(|p| p.1).sum::<f64>() / n);
    let sxx: f64 = fp.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if sxx == 0.0 {
        return None;
    }
    let b = fp.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>() / sxx;
    Some(Frontier { a: my - b * mx, b, points: fp.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(v: &[(i32, f64)]) -> Vec<Point> {
        v.iter().map(|&(y, x)| Point::new(y, x)).collect()
    }

    #[test]
    fn order_and_missing_values_do_not_change_the_result() {
        // Stored series come in order and are used as they are; any other order, or a
        // non-finite value, goes through a sorted copy, with the same result.
        let sorted = pts(&[(2013, 10.0), (2014, 11.0), (2015, 12.5), (2016, 12.0)]);
        let shuffled = vec![sorted[2], sorted[0], sorted[3], Point::new(2012, f64::NAN), sorted[1]];
        assert_eq!(assess(&sorted, Some(Better::Higher), None), assess(&shuffled, Some(Better::Higher), None));
        assert_eq!(retrogression(&sorted, Better::Higher, 0.05), retrogression(&shuffled, Better::Higher, 0.05));
        assert!(retrogression(&shuffled, Better::Higher, 0.05).is_some());
        let reference = pts(&[(2013, 20.0), (2014, 20.0), (2015, 20.0), (2016, 20.0)]);
        assert_eq!(gap(&sorted, &reference), gap(&shuffled, &reference));
        assert_eq!(gap(&shuffled, &reference).ratio, vec![0.5, 0.55, 0.625, 0.6]);
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    /// Hand-computed: 100 → 121 over two years is 10 % a year.
    #[test]
    fn cagr_without_a_benchmark() {
        let a = assess(&pts(&[(2018, 100.0), (2019, 110.0), (2020, 121.0)]), Some(Better::Higher), None);
        assert!(close(a.observed.unwrap(), 0.1), "{a:?}");
        assert_eq!((a.class, a.method), (ProgressClass::OnTrack, Method::Cagr));
        // Lower is better: the same rise is deterioration, signed −10 %.
        let b = assess(&pts(&[(2018, 100.0), (2020, 121.0)]), Some(Better::Lower), None);
        assert!(close(b.observed.unwrap(), -0.1));
        assert_eq!(b.class, ProgressClass::Deterioration);
        // 100 → 100.6 over one year: 0.6 %, moderate; → 100.3: limited.
        assert_eq!(assess(&pts(&[(2019, 100.0), (2020, 100.6)]), Some(Better::Higher), None).class, ProgressClass::NeedsAcceleration);
        assert_eq!(assess(&pts(&[(2019, 100.0), (2020, 100.3)]), Some(Better::Higher), None).class, ProgressClass::LimitedProgress);
        // No declared direction: no judgement.
        assert_eq!(assess(&pts(&[(2019, 1.0), (2020, 2.0)]), None, None).class, ProgressClass::InsufficientData);
    }

    /// Hand-computed with a benchmark: baseline 2015 = 100, target 2025 = 50 (lower is better):
    /// required (0.5)^(1/10) − 1 = −6.697 %, signed +6.697 %. Observed 100 → 80 over 2015–2020:
    /// (0.8)^(1/5) − 1 = −4.365 %, signed +4.365 %; ratio 0.6518: needs acceleration.
    #[test]
    fn ratio_to_the_required_rate() {
        let b = Benchmark { baseline_year: 2015, baseline_value: 100.0, target_year: 2025, target_value: 50.0 };
        let a = assess(&pts(&[(2015, 100.0), (2017, 90.0), (2020, 80.0)]), Some(Better::Lower), Some(&b));
        let req = 1.0 - 0.5f64.powf(0.1);
        let obs = 1.0 - 0.8f64.powf(0.2);
        assert!(close(a.required.unwrap(), req) && close(a.observed.unwrap(), obs), "{a:?}");
        assert!(close(a.ratio.unwrap(), obs / req));
        assert_eq!(a.class, ProgressClass::NeedsAcceleration);
        // Faster: 100 → 70 in 5 years: (0.7)^(0.2) − 1 = −6.89 %, ratio 1.03: on track.
        assert_eq!(assess(&pts(&[(2015, 100.0), (2020, 70.0)]), Some(Better::Lower), Some(&b)).class, ProgressClass::OnTrack);
        // Rising instead: deterioration.
        assert_eq!(assess(&pts(&[(2015, 100.0), (2020, 104.0)]), Some(Better::Lower), Some(&b)).class, ProgressClass::Deterioration);
        // Slow: 100 → 95: ratio ≈ 0.153: limited progress.
        assert_eq!(assess(&pts(&[(2015, 100.0), (2020, 95.0)]), Some(Better::Lower), Some(&b)).class, ProgressClass::LimitedProgress);
        // A met target: at or beyond it.
        let met = assess(&pts(&[(2015, 100.0), (2021, 49.0)]), Some(Better::Lower), Some(&b));
        assert_eq!(met.class, ProgressClass::TargetMet);
    }

    /// A gap in the years changes nothing but the count of years: 2010 = 100, 2016 = 200 (no
    /// figures between) is 2^(1/6) − 1 = 12.246 % a year.
    #[test]
    fn gaps_count_in_years() {
        let a = assess(&pts(&[(2010, 100.0), (2016, 200.0)]), Some(Better::Higher), None);
        assert!(close(a.observed.unwrap(), 2f64.powf(1.0 / 6.0) - 1.0));
    }

    /// A break in series: the old survey's values are left out. The rural net income 2010–2012
    /// (old survey) then disposable income from 2013: only 2013 on is read.
    #[test]
    fn a_break_in_series_is_never_read_as_progress() {
        let mut s = pts(&[(2010, 5919.0), (2011, 6977.0), (2012, 7917.0), (2013, 9430.0), (2014, 10489.0), (2015, 11422.0)]);
        s[3].break_before = true;
        let a = assess(&s, Some(Better::Higher), None);
        assert_eq!(a.baseline, Some((2013, 9430.0)));
        assert!(close(a.observed.unwrap(), (11422.0f64 / 9430.0).powf(0.5) - 1.0));
        assert_eq!(a.notes, vec![Note::BreakInSeries { year: 2013 }]);
        // Only one point after the break: no judgement.
        let mut t = pts(&[(2012, 1.0), (2013, 2.0)]);
        t[1].break_before = true;
        assert_eq!(assess(&t, Some(Better::Higher), None).class, ProgressClass::InsufficientData);
    }

    /// At zero CAGR fails (the rural poor reached 0 in 2020): the annual difference is used.
    /// 5,575 (2015) → 0 (2020): −1,115 a year, signed +1,115 (lower is better).
    #[test]
    fn zeros_use_differences() {
        let a = assess(&pts(&[(2015, 5575.0), (2020, 0.0)]), Some(Better::Lower), None);
        assert_eq!(a.method, Method::Difference);
        assert!(close(a.observed.unwrap(), 1115.0));
        assert_eq!(a.class, ProgressClass::OnTrack);
        assert!(a.notes.contains(&Note::NearZero));
        // With a target of zero by 2020 from 2015: required 1,115 a year; 2019 at 551 from 5,575:
        // observed (5575 − 551) / 4 = 1,256 a year: ratio 1.127, on track.
        let b = Benchmark { baseline_year: 2015, baseline_value: 5575.0, target_year: 2020, target_value: 0.0 };
        let on = assess(&pts(&[(2015, 5575.0), (2019, 551.0)]), Some(Better::Lower), Some(&b));
        assert_eq!(on.method, Method::Difference);
        assert!(close(on.required.unwrap(), 1115.0) && close(on.observed.unwrap(), 1256.0), "{on:?}");
        assert_eq!(on.class, ProgressClass::OnTrack);
        // And met in 2020.
        let met = assess(&pts(&[(2015, 5575.0), (2019, 551.0), (2020, 0.0)]), Some(Better::Lower), Some(&b));
        assert_eq!(met.class, ProgressClass::TargetMet);
    }

    /// A benchmark whose baseline year has no figure uses the first comparable point and says so.
    #[test]
    fn an_unobserved_baseline_is_said() {
        let b = Benchmark { baseline_year: 2014, baseline_value: 100.0, target_year: 2024, target_value: 200.0 };
        let a = assess(&pts(&[(2015, 100.0), (2020, 150.0)]), Some(Better::Higher), Some(&b));
        assert_eq!(a.baseline, Some((2015, 100.0)));
        assert!(a.notes.contains(&Note::BaselineNotObserved { year: 2014 }));
        // required (2)^(1/9) − 1 = 8.006 %; observed 1.5^(1/5) − 1 = 8.447 %: on track.
        assert!(close(a.required.unwrap(), 2f64.powf(1.0 / 9.0) - 1.0));
        assert_eq!(a.class, ProgressClass::OnTrack);
    }

    /// A retrogressive step beyond the stated precision, never across a break.
    #[test]
    fn retrogression_beyond_precision() {
        // Published to one decimal: tolerance 0.05.
        let tol = precision_tolerance(1);
        assert!(close(tol, 0.05));
        let r = retrogression(&pts(&[(2018, 10.2), (2019, 10.0), (2020, 10.1)]), Better::Lower, tol).unwrap();
        assert_eq!((r.from, r.to), ((2019, 10.0), (2020, 10.1)));
        assert!(close(r.by, 0.1));
        // Within precision: no flag.
        assert!(retrogression(&pts(&[(2019, 10.0), (2020, 10.04)]), Better::Lower, tol).is_none());
        // Improving: no flag.
        assert!(retrogression(&pts(&[(2019, 10.0), (2020, 9.0)]), Better::Lower, tol).is_none());
        // Across a break: no flag.
        let mut b = pts(&[(2019, 10.0), (2020, 12.0)]);
        b[1].break_before = true;
        assert!(retrogression(&b, Better::Lower, tol).is_none());
    }

    /// Hand-computed: rural income 6,977 / urban 21,810 = 0.3199 in 2011; 20,133 / 49,283 =
    /// 0.4085 in 2022: converging.
    #[test]
    fn gaps_and_their_direction() {
        let rural = pts(&[(2011, 6977.0), (2015, 11422.0), (2022, 20133.0)]);
        let urban = pts(&[(2011, 21810.0), (2022, 49283.0)]);
        let g = gap(&rural, &urban);
        assert_eq!(g.years, vec![2011, 2022]);
        assert!(close(g.ratio[0], 6977.0 / 21810.0) && close(g.ratio[1], 20133.0 / 49283.0));
        assert!(close(g.difference[1], 20133.0 - 49283.0));
        assert_eq!(g.converging, Some(true));
        // A ratio above one moving away from it: diverging.
        let d = gap(&pts(&[(2010, 1.2), (2020, 1.5)]), &pts(&[(2010, 1.0), (2020, 1.0)]));
        assert_eq!(d.converging, Some(false));
        assert_eq!(gap(&pts(&[(2010, 1.0)]), &pts(&[(2011, 1.0)])).converging, None);
    }

    /// Constructed data with a known frontier f(x) = 10 + 8·ln x: in every band of income one
    /// area achieves exactly f(x), the others 50–85 % of it. The fit recovers a and b, and the
    /// scores are the shares built in.
    #[test]
    fn the_frontier_recovers_a_known_frontier() {
        let f = |x: f64| 10.0 + 8.0 * x.ln();
        let mut areas = Vec::new();
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng % 10_000) as f64 / 10_000.0
        };
        // 20 bands of ln x from ln 1,000 to ln 100,000.
        let (lo, hi) = (1000f64.ln(), 100_000f64.ln());
        let w = (hi - lo) / 20.0;
        for k in 0..20 {
            let band = lo + w * k as f64;
            // One area on the frontier in the middle of the band, nine below it.
            let x = (band + w * 0.5).exp();
            areas.push((x, f(x)));
            for _ in 0..9 {
                let x = (band + w * (0.05 + 0.9 * next())).exp();
                areas.push((x, f(x) * (0.5 + 0.35 * next())));
            }
        }
        let fr = frontier(&areas, 20).unwrap();
        assert_eq!(fr.points, 20);
        assert!((fr.a - 10.0).abs() < 1e-9 && (fr.b - 8.0).abs() < 1e-9, "{fr:?}");
        let x = 20_000.0;
        assert!((fr.score(x, 0.75 * f(x)) - 75.0).abs() < 1e-9);
        assert_eq!(fr.score(x, 2.0 * f(x)), 100.0, "above the frontier: on it");
        assert!(frontier(&[(1000.0, 1.0)], 5).is_none());
    }

    #[test]
    fn names_are_the_serialised_names() {
        use ProgressClass as C;
        for c in [C::TargetMet, C::OnTrack, C::NeedsAcceleration, C::LimitedProgress, C::Deterioration, C::InsufficientData] {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        for m in [Method::Cagr, Method::Difference] {
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
    }
}
