//! Printing the catalogue for people (tables) and programs (JSON).

use anyhow::Result;
use rightstat_core::unit::{Unit, multiplier_label};
use rightstat_store::IndicatorRow;
use std::io::Write;

pub fn list(rows: &[IndicatorRow], json: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, rows)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(out, "{:<30} {:<10} {:<14} {:<10} NAME", "CODE", "TYPE", "UNIT", "AGG")?;
    for r in rows {
        let i = &r.indicator;
        let unit = if i.unit_mult == 0 { i.unit.clone() } else { format!("{}×{}", i.unit, multiplier_label(i.unit_mult)) };
        let kind = serde_json::to_value(i.ohchr_type)?.as_str().unwrap_or_default().to_string();
        writeln!(out, "{:<30} {:<10} {:<14} {:<10} {} / {}", i.code, kind, unit, i.aggregation.name(), i.name_en, i.name_zh)?;
    }
    writeln!(out, "{} indicators", rows.len())?;
    Ok(())
}

pub fn show(row: &IndicatorRow, units: &[Unit], json: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, row)?;
        writeln!(out)?;
        return Ok(());
    }
    let i = &row.indicator;
    let unit = units.iter().find(|u| u.code == i.unit);
    let list = |v: &[String]| if v.is_empty() { "-".to_string() } else { v.join(", ") };
    writeln!(out, "{}  (version {}, {})", i.code, row.version, row.version_created_at)?;
    writeln!(out, "  {} / {}", i.name_en, i.name_zh)?;
    writeln!(out, "definition:   {}", i.definition_en)?;
    if !i.definition_zh.is_empty() {
        writeln!(out, "定义:         {}", i.definition_zh)?;
    }
    writeln!(out, "purpose:      {}", i.purpose_en)?;
    writeln!(
        out,
        "unit:         {} ({} / {}), multiplier {} (values × {})",
        i.unit,
        unit.map_or("?", |u| u.name_en.as_str()),
        unit.map_or("?", |u| u.name_zh.as_str()),
        i.unit_mult,
        multiplier_label(i.unit_mult)
    )?;
    writeln!(out, "periodicity:  {}", i.periodicity.code())?;
    writeln!(out, "value type:   {}", serde_json::to_value(i.value_type)?.as_str().unwrap_or_default())?;
    writeln!(out, "aggregation:  {}", serde_json::to_string(&i.aggregation)?)?;
    writeln!(out, "dimensions:   {} (required: {})", list(&i.dimensions), list(&i.required_dimensions))?;
    writeln!(out, "OHCHR type:   {} — {}", serde_json::to_value(i.ohchr_type)?.as_str().unwrap_or_default(), i.attribute)?;
    writeln!(out, "ICESCR:       art. {}", i.icescr_articles.iter().map(u8::to_string).collect::<Vec<_>>().join(", "))?;
    writeln!(
        out,
        "SDG targets:  {}{}",
        list(&i.sdg_targets),
        i.sdg_indicator.as_ref().map(|s| format!(" (indicator {s})")).unwrap_or_default()
    )?;
    writeln!(out, "department:   {}", i.department)?;
    if let Some([lo, hi]) = i.plausible {
        writeln!(out, "plausible:    {lo} to {hi}")?;
    }
    if !i.guidance_en.is_empty() {
        writeln!(out, "guidance:     {}", i.guidance_en)?;
    }
    if !i.guidance_zh.is_empty() {
        writeln!(out, "填报说明:     {}", i.guidance_zh)?;
    }
    if !i.source.is_empty() {
        writeln!(out, "source:       {}", i.source)?;
    }
    Ok(())
}
