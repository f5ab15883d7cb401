//! Line charts of a series as SVG, drawn here so that the same chart serves HTML, DOCX (as a
//! picture) and PDF. Every chart carries a text alternative that states its data.

use crate::render::esc;
use std::fmt::Write;

/// A line chart of (year, value) points with labelled axes; `alt` describes the data.
pub fn line_svg(points: &[(String, f64)], title: &str, unit: &str) -> String {
    let (w, h, left, right, top, bottom) = (560.0, 260.0, 70.0, 20.0, 30.0, 40.0);
    let min = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min).min(0.0);
    let max = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max).max(min + 1e-9);
    let n = points.len().max(2) as f64 - 1.0;
    let x = |i: usize| left + (w - left - right) * i as f64 / n;
    let y = |v: f64| top + (h - top - bottom) * (1.0 - (v - min) / (max - min));
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" font-family=\"Noto Sans CJK SC, Noto Sans, sans-serif\" font-size=\"12\">\
         <title>{}</title><rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>",
        esc(title)
    );
    let _ = write!(s, "<text x=\"{left}\" y=\"18\" font-size=\"13\" font-weight=\"600\">{}</text>", esc(title));
    // Axes, the scale (0, max) and the unit.
    let _ = write!(
        s,
        "<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{}\" stroke=\"#444\"/><line x1=\"{left}\" y1=\"{b}\" x2=\"{}\" y2=\"{b}\" stroke=\"#444\"/>",
        h - bottom,
        w - right,
        b = h - bottom
    );
    for v in [min, (min + max) / 2.0, max] {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><line x1=\"{left}\" y1=\"{yy}\" x2=\"{}\" y2=\"{yy}\" stroke=\"#ddd\"/>",
            left - 6.0,
            y(v) + 4.0,
            short(v),
            w - right,
            yy = y(v)
        );
    }
    let _ =
        write!(s, "<text x=\"14\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {})\">{}</text>", h / 2.0, h / 2.0, esc(unit));
    let step = (points.len() / 8).max(1);
    for (i, (label, _)) in points.iter().enumerate() {
        if i % step == 0 || i + 1 == points.len() {
            let _ = write!(s, "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>", x(i), h - bottom + 16.0, esc(label));
        }
    }
    let path: Vec<String> = points.iter().enumerate().map(|(i, p)| format!("{:.1},{:.1}", x(i), y(p.1))).collect();
    let _ = write!(s, "<polyline fill=\"none\" stroke=\"#1f5c99\" stroke-width=\"2.5\" points=\"{}\"/>", path.join(" "));
    for (i, p) in points.iter().enumerate() {
        let _ = write!(s, "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#1f5c99\"/>", x(i), y(p.1));
    }
    s.push_str("</svg>");
    s
}

/// A horizontal bar chart of (label, value) pairs: a breakdown of one figure by one
/// dimension. Labels are drawn beside their bars, values at the bars' ends.
pub fn bars_svg(bars: &[(String, f64)], title: &str, unit: &str) -> String {
    let (w, left, right, top, row) = (560.0, 150.0, 70.0, 34.0, 26.0);
    let h = top + row * bars.len() as f64 + 24.0;
    let max = bars.iter().map(|b| b.1.abs()).fold(0.0, f64::max).max(1e-9);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" font-family=\"Noto Sans CJK SC, Noto Sans, sans-serif\" font-size=\"12\">\
         <title>{}</title><rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/><text x=\"8\" y=\"18\" font-size=\"13\" font-weight=\"600\">{}</text>",
        esc(title),
        esc(title)
    );
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = top + row * i as f64;
        let len = (w - left - right) * v.abs() / max;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect x=\"{left}\" y=\"{y}\" width=\"{len:.1}\" height=\"{}\" fill=\"#1f5c99\"/>\
             <text x=\"{:.1}\" y=\"{}\">{}</text>",
            left - 6.0,
            y + 15.0,
            esc(label),
            row - 6.0,
            left + len + 4.0,
            y + 15.0,
            short(*v)
        );
    }
    let _ = write!(s, "<text x=\"{left}\" y=\"{}\" fill=\"#444\">{}</text></svg>", h - 6.0, esc(unit));
    s
}

/// The chart's data in words, for screen readers and text-only formats.
pub fn describe(points: &[(String, f64)], title: &str, unit: &str) -> String {
    let data: Vec<String> = points.iter().map(|(l, v)| format!("{l}: {}", short(*v))).collect();
    format!("{title} ({unit}): {}", data.join("; "))
}

/// A value with as many decimals as its size needs (chart labels).
pub fn short(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_states_its_data() {
        let pts = vec![("2018".to_string(), 1660.0), ("2019".to_string(), 551.0), ("2020".to_string(), 0.0)];
        let svg = line_svg(&pts, "Rural poor <population>", "10,000 persons");
        assert!(svg.starts_with("<svg") && svg.contains("<title>Rural poor &lt;population&gt;</title>") && svg.contains(">2019<"));
        assert_eq!(svg.matches("<circle").count(), 3);
        assert_eq!(describe(&pts, "Rural poor", "10,000 persons"), "Rural poor (10,000 persons): 2018: 1660; 2019: 551; 2020: 0.00");
        let bars = bars_svg(&[("Women <F>".to_string(), 40.0), ("Men".to_string(), 20.0)], "By sex", "%");
        assert!(bars.contains(">Women &lt;F&gt;<") && bars.contains("width=\"340.0\"") && bars.contains("width=\"170.0\""));
    }
}
