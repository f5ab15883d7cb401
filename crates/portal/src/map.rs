//! The province map: a choropleth drawn over the outlines in `data/cn-provinces.csv` (from
//! DCW-GMT, projected once by `scripts/province-map.py`), in five equal classes of a
//! colour-blind-safe sequential palette, with a legend; provinces without a public figure
//! are grey and say why in their tooltip.

use rightstat_reports::chart::short;
use rightstat_reports::render::esc;
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::OnceLock;

const OUTLINES: &str = include_str!("../../../data/cn-provinces.csv");
const PALETTE: [&str; 5] = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];
const NO_DATA: &str = "#d9d9d9";

/// (province code, SVG path) for every outline.
fn outlines() -> &'static [(String, String)] {
    static O: OnceLock<Vec<(String, String)>> = OnceLock::new();
    O.get_or_init(|| {
        csv::Reader::from_reader(OUTLINES.as_bytes())
            .records()
            .map(|r| {
                let r = r.expect("data/cn-provinces.csv is valid (tested)");
                (r[0].to_string(), r[1].to_string())
            })
            .collect()
    })
}

/// One province on the map: its name and its value (`None`: withheld or not published).
#[derive(Debug, Clone)]
pub struct Shade {
    pub name: String,
    pub value: Option<f64>,
}

/// The map as SVG. `missing` is the tooltip text of a province without a value.
pub fn province_map(shades: &HashMap<String, Shade>, title: &str, unit: &str, missing: &str) -> String {
    let values: Vec<f64> = shades.values().filter_map(|s| s.value).collect();
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let class = |v: f64| if max > min { (((v - min) / (max - min) * 5.0) as usize).min(4) } else { 2 };
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1000 900\" width=\"100%\" role=\"img\" font-family=\"Noto Sans CJK SC, Noto Sans, sans-serif\" font-size=\"22\">\
         <title>{}</title><rect width=\"1000\" height=\"900\" fill=\"#fff\"/>",
        esc(title)
    );
    for (code, path) in outlines() {
        let shade = shades.get(code);
        let (fill, tip) = match shade {
            Some(Shade { name, value: Some(v) }) => (PALETTE[class(*v)], format!("{name}: {} {unit}", short(*v))),
            Some(Shade { name, value: None }) => (NO_DATA, format!("{name}: {missing}")),
            None => (NO_DATA, missing.to_string()),
        };
        let _ = write!(s, "<path d=\"{path}\" fill=\"{fill}\" stroke=\"#555\" stroke-width=\"0.7\"><title>{}</title></path>", esc(&tip));
    }
    // Legend: the five classes' lower bounds, then "no figure". When every province with a
    // figure has the same value (one province, say) there is one class: its value, once.
    if !values.is_empty() && max <= min {
        let _ = write!(
            s,
            "<rect x=\"20\" y=\"810\" width=\"28\" height=\"22\" fill=\"{}\" stroke=\"#555\"/><text x=\"58\" y=\"828\">{}</text>",
            PALETTE[2],
            short(min)
        );
    } else if !values.is_empty() {
        for (i, colour) in PALETTE.iter().enumerate() {
            let lower = min + (max - min) * i as f64 / 5.0;
            let y = 690.0 + 30.0 * i as f64;
            let _ = write!(
                s,
                "<rect x=\"20\" y=\"{y}\" width=\"28\" height=\"22\" fill=\"{colour}\" stroke=\"#555\"/><text x=\"58\" y=\"{}\">≥ {}</text>",
                y + 18.0,
                short(lower)
            );
        }
    }
    let _ = write!(
        s,
        "<rect x=\"20\" y=\"840\" width=\"28\" height=\"22\" fill=\"{NO_DATA}\" stroke=\"#555\"/><text x=\"58\" y=\"858\">{}</text>\
         <text x=\"20\" y=\"670\" fill=\"#333\">{}</text></svg>",
        esc(missing),
        esc(unit)
    );
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_value_gives_one_legend_entry() {
        let shades: std::collections::HashMap<String, super::Shade> =
            [("13".to_string(), super::Shade { name: "河北省".into(), value: Some(0.52) })].into();
        let svg = super::province_map(&shades, "t", "10,000 persons", "no figure");
        assert_eq!(svg.matches("0.52").count(), 2, "the province's tooltip and one legend entry: {svg}");
        assert!(!svg.contains("≥"), "no classes from one value");
    }

    use super::*;

    #[test]
    fn every_province_has_an_outline_and_values_pick_their_class() {
        let codes: Vec<&str> = outlines().iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(codes.len(), 34, "31 provinces, Hong Kong, Macao and Taiwan");
        assert!(outlines().iter().all(|(_, p)| p.starts_with('M') && p.ends_with('Z')));
        let shades: HashMap<String, Shade> = [
            ("13".to_string(), Shade { name: "Hebei <河北>".into(), value: Some(100.0) }),
            ("11".to_string(), Shade { name: "Beijing".into(), value: Some(0.0) }),
            ("12".to_string(), Shade { name: "Tianjin".into(), value: None }),
        ]
        .into_iter()
        .collect();
        let svg = province_map(&shades, "Poor", "10,000 persons", "no public figure");
        assert!(svg.contains("fill=\"#08519c\" stroke=\"#555\" stroke-width=\"0.7\"><title>Hebei &lt;河北&gt;: 100 10,000 persons"));
        assert!(svg.contains("<title>Beijing: 0.00 10,000 persons"));
        assert!(svg.contains("<title>Tianjin: no public figure</title>"));
    }
}
