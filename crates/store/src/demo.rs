//! The demo data set: China's official poverty series 2010-2022 (`data/china_poverty_series.csv`,
//! see `data/README.md` for provenance), mapped onto the catalogue and loaded through the
//! ordinary import path, so the demo passes the same checks as any user's file.

use crate::formats::Format;
use crate::{ImportOptions, ImportReport, ObservationFilter, Result, Store, StoreError};
use rightstat_core::observation::ProvenanceKind;
use serde::Serialize;
use std::collections::HashSet;

const SERIES: &str = include_str!("../../../data/china_poverty_series.csv");
const ANNEX: &str = include_str!("../../../data/cescr_report3_annex_tables.csv");
/// Benchmarks from a national plan and an SDG target, for the series the demo holds.
const DEMO_BENCHMARKS: &str = include_str!("../../../reference/benchmarks-demo.csv");
const UPR: &[u8] = include_bytes!("../../../data/upr_china.csv");
/// NBS's province series (see `data/README.md`): gross regional product, resident population,
/// per-capita disposable income (2018).
const PROVINCE_GDP: &str = include_str!("../../../data/provinces/nbs-gdp-by-province-2006-2024.csv");
const PROVINCE_POP: &str = include_str!("../../../data/provinces/nbs-population-by-province-2000-2022.csv");
const PROVINCE_INCOME: &str = include_str!("../../../data/provinces/nbs-disposable-income-by-province-2018.csv");
const PROVINCE_NAMES_ZH: &str = include_str!("../../../data/admin-divisions-cn-2023/provinces.csv");
const PROVINCE_NAMES_EN: &str = include_str!("../../../reference/province-names-en.csv");
/// OHCHR's thematic lists of recommendations of China's second and third reviews (see `data/README.md`).
const OHCHR_MATRICES: [(&str, &[u8]); 2] = [
    ("data/un/upr-china-cycle2-2013-ohchr-matrix.docx", include_bytes!("../../../data/un/upr-china-cycle2-2013-ohchr-matrix.docx")),
    ("data/un/upr-china-cycle3-2018-ohchr-matrix.docx", include_bytes!("../../../data/un/upr-china-cycle3-2018-ohchr-matrix.docx")),
];

/// (series name in the file) -> (indicator code, whether urban/rural is a breakdown of it)
fn map_series(name: &str) -> Option<(&'static str, bool)> {
    Some(match name {
        "dibao_rural_avg_standard" | "dibao_urban_avg_standard" => ("CN_DIBAO_STANDARD", true),
        "dibao_rural_recipients" | "dibao_urban_recipients" => ("CN_DIBAO_RECIPIENTS", true),
        "engel_coefficient_national" | "engel_coefficient_rural" | "engel_coefficient_urban" => ("CN_ENGEL_COEF", true),
        "engel_coefficient_rural_OLD_SURVEY" | "engel_coefficient_urban_OLD_SURVEY" => ("CN_ENGEL_COEF_OLD_SURVEY", true),
        "gini_income_national" => ("CN_GINI_INCOME", false),
        "poor_area_rural_disposable_income_per_capita" => ("CN_POOR_AREA_DISP_INCOME_PC", false),
        "rural_disposable_income_per_capita" | "urban_disposable_income_per_capita" => ("CN_DISP_INCOME_PC", true),
        "urban_disposable_income_per_capita_OLD_SURVEY" => ("CN_DISP_INCOME_PC_OLD_SURVEY", true),
        "rural_net_income_per_capita_OLD_SURVEY" => ("CN_RURAL_NET_INCOME_PC_OLD", false),
        "rural_poor_population" => ("CN_RURAL_POOR_POP", false),
        "rural_poverty_incidence" => ("SI_POV_NAHC", true),
        "rural_poverty_line" => ("CN_POVERTY_LINE_RURAL", false),
        _ => return None,
    })
}

/// (unit text in the file) -> (unit code, multiplier, qualifier to keep in the footnote)
fn map_unit(text: &str) -> Option<(&'static str, i32, Option<&str>)> {
    let (base, qualifier) = match text.split_once(", ") {
        Some((b, q)) if b.starts_with("yuan") => (b, Some(q)),
        _ => (text, None),
    };
    Some(match base {
        "10,000 persons" => ("PERSONS", 4, None),
        "yuan per person per month" => ("CNY_PP_MONTH", 0, qualifier),
        "yuan per person per year" => ("CNY_PP_YEAR", 0, qualifier),
        "ratio (0-1)" => ("RATIO", 0, None),
        b if b.starts_with("percent") => ("PERCENT", 0, None),
        _ => return None,
    })
}

/// Converts the official series file into RightStat's import CSV. The source cited is the
/// publisher's own release (`official_publication`); where the figure was read (a reprint, its
/// address) and the data-cleaning note are provenance for signed-in users (`internal_note`).
pub fn series_to_import_csv(series_csv: &str) -> Result<String> {
    let mut rdr = csv::Reader::from_reader(series_csv.as_bytes());
    let bad = |e: csv::Error| StoreError::Invalid(format!("demo series: {e}"));
    let header = rdr.headers().map_err(bad)?.clone();
    let col =
        |name: &str| header.iter().position(|h| h == name).ok_or_else(|| StoreError::Invalid(format!("demo series: no column {name}")));
    let (c_ind, c_geo, c_year, c_value, c_unit, c_conf) =
        (col("indicator")?, col("geography")?, col("year")?, col("value")?, col("unit")?, col("confidence")?);
    let (c_official, c_doc, c_url, c_note) = (col("official_publication")?, col("source_document")?, col("source_url")?, col("note")?);
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "indicator",
        "area",
        "period",
        "URBANISATION",
        "value",
        "unit",
        "unit_mult",
        "status",
        "source",
        "footnote",
        "internal_note",
    ])
    .map_err(bad)?;
    for (i, rec) in rdr.records().enumerate() {
        let r = rec.map_err(bad)?;
        let row = i + 2;
        let (code, by_urbanisation) =
            map_series(&r[c_ind]).ok_or_else(|| StoreError::Invalid(format!("demo series row {row}: unknown series {}", &r[c_ind])))?;
        let urbanisation = match (&r[c_geo], by_urbanisation) {
            ("CN-urban", true) => "U",
            ("CN-rural", true) => "R",
            ("CN" | "CN-rural" | "CN-poor-areas", _) => "_T",
            (g, _) => return Err(StoreError::Invalid(format!("demo series row {row}: unknown geography {g}"))),
        };
        let (unit, mult, qualifier) =
            map_unit(&r[c_unit]).ok_or_else(|| StoreError::Invalid(format!("demo series row {row}: unknown unit {}", &r[c_unit])))?;
        // A: verbatim official figure; B: derived or secondary; C: approximate (estimated).
        let (status, confidence_note) = match &r[c_conf] {
            "A" => ("A", None),
            "B" => ("A", Some("derived, rounded or from a one-step secondary source")),
            "C" => ("E", Some("approximate figure")),
            c => return Err(StoreError::Invalid(format!("demo series row {row}: unknown confidence {c}"))),
        };
        let source = match r[c_official].trim() {
            "" => format!("{} (secondary source; no official release)", &r[c_doc]),
            official => official.to_string(),
        };
        let footnote: Vec<&str> = [qualifier, confidence_note].into_iter().flatten().collect();
        let read_from = if r[c_url].is_empty() { r[c_doc].to_string() } else { format!("{} <{}>", &r[c_doc], &r[c_url]) };
        let internal: Vec<String> =
            [format!("read from: {read_from}"), r[c_note].to_string()].into_iter().filter(|s| !s.is_empty()).collect();
        out.write_record([
            code,
            "CN",
            &r[c_year],
            urbanisation,
            &r[c_value],
            unit,
            &mult.to_string(),
            status,
            &source,
            &footnote.join("; "),
            &internal.join("; "),
        ])
        .map_err(bad)?;
    }
    let bytes = out.into_inner().map_err(|e| StoreError::Invalid(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| StoreError::Invalid(e.to_string()))
}

/// One of NBS's province tables (a row per province, a column per year, the province named in
/// Chinese or English) as import rows of `indicator`, citing NBS's release; where the table was
/// read is provenance for signed-in users.
fn province_table_to_rows(
    out: &mut csv::Writer<Vec<u8>>,
    table: &str,
    file: &str,
    indicator: &str,
    (unit, mult): (&str, i32),
    (source, read_from): (&str, &str),
) -> Result<()> {
    let bad = |e: csv::Error| StoreError::Invalid(format!("{file}: {e}"));
    // Province codes by name, Chinese (北京市) or English (Beijing; "Tibet (Xizang)" also as "Tibet").
    let mut codes: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for names in [PROVINCE_NAMES_ZH, PROVINCE_NAMES_EN] {
        let mut r = csv::Reader::from_reader(names.as_bytes());
        for rec in r.records() {
            let rec = rec.map_err(bad)?;
            codes.insert(rec[1].to_string(), rec[0].to_string());
            if let Some((short, _)) = rec[1].split_once(" (") {
                codes.insert(short.to_string(), rec[0].to_string());
            }
        }
    }
    let mut rdr = csv::Reader::from_reader(table.as_bytes());
    let years: Vec<String> = rdr.headers().map_err(bad)?.iter().skip(1).map(|h| h.trim_end_matches('年').to_string()).collect();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(bad)?;
        let name = rec[0].trim();
        let code = codes.get(name).ok_or_else(|| StoreError::Invalid(format!("{file} row {}: unknown province {name}", i + 2)))?;
        for (year, value) in years.iter().zip(rec.iter().skip(1)) {
            if value.trim().is_empty() {
                continue;
            }
            out.write_record([
                indicator,
                code,
                year,
                value.trim(),
                unit,
                &mult.to_string(),
                "A",
                source,
                "",
                &format!("read from: {read_from}"),
            ])
            .map_err(bad)?;
        }
    }
    Ok(())
}

/// NBS's province tables as one import file.
pub fn provinces_to_import_csv() -> Result<String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(["indicator", "area", "period", "value", "unit", "unit_mult", "status", "source", "footnote", "internal_note"])
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    province_table_to_rows(
        &mut out,
        PROVINCE_GDP,
        "data/provinces/nbs-gdp-by-province-2006-2024.csv",
        "CN_GDP",
        ("CNY", 8),
        (
            "National Bureau of Statistics, National Data (国家数据), annual data by province: gross regional product (地区生产总值), revised after the fifth economic census",
            "RenJiyi163/panel_data_analysis_for_thesis, 分省年度数据.csv, commit 756964b",
        ),
    )?;
    province_table_to_rows(
        &mut out,
        PROVINCE_POP,
        "data/provinces/nbs-population-by-province-2000-2022.csv",
        "CN_RESIDENT_POP",
        ("PERSONS", 4),
        (
            "National Bureau of Statistics, National Data (国家数据), annual data by province: resident population at year end (年末常住人口)",
            "kabuto44/Gaokao-Data-Analysis, Time Series Data/Yearbook Imported Data/Total Population.csv, commit 77fe1e8",
        ),
    )?;
    province_table_to_rows(
        &mut out,
        PROVINCE_INCOME,
        "data/provinces/nbs-disposable-income-by-province-2018.csv",
        "CN_DISP_INCOME_PC",
        ("CNY_PP_YEAR", 0),
        (
            "National Bureau of Statistics, China Statistical Yearbook 2019, per-capita disposable income of residents by province (居民人均可支配收入)",
            "kabuto44/Gaokao-Data-Analysis, 2000 Cohort/Yearbook Data/Disposable Income.csv",
        ),
    )?;
    let bytes = out.into_inner().map_err(|e| StoreError::Invalid(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| StoreError::Invalid(e.to_string()))
}

/// Keeps the header and the annex rows whose (indicator, period, URBANISATION) is not in `have`.
fn annex_gaps(annex: &str, have: &HashSet<(String, String, String)>) -> Result<String> {
    let bad = |e: csv::Error| StoreError::Invalid(format!("demo annex: {e}"));
    let mut rdr = csv::Reader::from_reader(annex.as_bytes());
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(rdr.headers().map_err(bad)?).map_err(bad)?;
    for rec in rdr.records() {
        let r = rec.map_err(bad)?;
        let cell = rightstat_core::Cell::total().with("URBANISATION", &r[3]).key();
        if !have.contains(&(r[0].to_string(), r[2].to_string(), cell)) {
            out.write_record(&r).map_err(bad)?;
        }
    }
    let bytes = out.into_inner().map_err(|e| StoreError::Invalid(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| StoreError::Invalid(e.to_string()))
}

impl Store {
    async fn import_reference(&self, name: &str, csv: String) -> Result<ImportReport> {
        let mut opts = ImportOptions::new(name, Format::Csv);
        opts.kind = ProvenanceKind::Reference;
        opts.reason = "demo data".into();
        let report = self.import_observations(std::io::Cursor::new(csv.into_bytes()), opts).await?;
        if !report.is_ok() {
            let errors = report.errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
            return Err(StoreError::Invalid(format!("demo data failed its checks:\n{errors}")));
        }
        Ok(report)
    }

    /// Loads the demo: the official series, then the report-annex figures where the series has
    /// none, NBS's province tables (gross regional product, resident population, 2018 income),
    /// then the benchmarks of `reference/benchmarks-demo.csv`. Idempotent: a second load records nothing new. Returns both import reports.
    pub async fn load_demo(&self) -> Result<(ImportReport, ImportReport)> {
        let series = self.import_reference("data/china_poverty_series.csv", series_to_import_csv(SERIES)?).await?;
        let have: HashSet<(String, String, String)> = self
            .observations(&ObservationFilter { area: Some("CN".into()), ..Default::default() })
            .await?
            .into_iter()
            .filter(|o| o.provenance_name != "data/cescr_report3_annex_tables.csv")
            .map(|o| (o.indicator, o.period, o.cell_key))
            .collect();
        let annex = self.import_reference("data/cescr_report3_annex_tables.csv", annex_gaps(ANNEX, &have)?).await?;
        self.import_reference("data/provinces/", provinces_to_import_csv()?).await?;
        self.import_benchmarks(DEMO_BENCHMARKS.as_bytes(), "reference/benchmarks-demo.csv", &crate::Actor::system())
            .await?
            .map_err(|e| StoreError::Invalid(format!("the demo benchmarks failed their checks: {}", e[0])))?;
        Ok((series, annex))
    }
}

/// What the demo follow-up loaded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemoFollowUp {
    pub recommendations: u64,
    pub clustered: u64,
    pub measures: u64,
    pub linked: u64,
}

/// A list of issues written for the demo in the CESCR's layout (not a UN document), both languages.
const DEMO_LIST_OF_ISSUES: [(&str, &str); 2] = [
    ("reference/dialogue/demo-list-of-issues-en.txt", include_str!("../../../reference/dialogue/demo-list-of-issues-en.txt")),
    ("reference/dialogue/demo-list-of-issues-zh.txt", include_str!("../../../reference/dialogue/demo-list-of-issues-zh.txt")),
];

impl Store {
    /// Loads China's UPR recommendations of cycles 1 and 2 (UPR Info), then OHCHR's matrices
    /// of cycles 2 and 3 (the second merges with UPR Info's rows and adds OHCHR's themes; the
    /// third is the latest review), clusters them, registers the poverty-reduction measures
    /// links each cluster to measures, departments and indicators, and imports the demonstration
    /// list of issues (`reference/dialogue/`). Idempotent.
    pub async fn load_demo_follow_up(&self) -> Result<DemoFollowUp> {
        use crate::recommendations::RecommendationFormat;
        let actor = crate::Actor::system();
        let mut imported = self
            .import_upr_info(UPR, "data/upr_china.csv", &actor)
            .await?
            .map_err(|e| StoreError::Invalid(format!("demo recommendations failed their checks: {}", e[0])))?;
        for (file, bytes) in OHCHR_MATRICES {
            let r = self
                .import_recommendations(RecommendationFormat::OhchrMatrix, bytes, file, &actor)
                .await?
                .map_err(|e| StoreError::Invalid(format!("{file} failed its checks: {}", e[0])))?;
            imported.recommendations += r.new;
        }
        let (clusters, _) = rightstat_core::reference::clusters();
        let clustered = self.apply_clusters(&clusters, &actor).await?;
        let measures = rightstat_core::reference::measures();
        for m in &measures {
            self.put_measure(m, &actor).await?;
        }
        let linked = self.apply_follow_up_template(&rightstat_core::reference::demo_follow_up(), &actor).await?;
        for (file, text) in DEMO_LIST_OF_ISSUES {
            self.import_list_of_issues(crate::dialogue::LoiFormat::UnText, text.as_bytes(), file, None, None, &actor)
                .await?
                .map_err(|e| StoreError::Invalid(format!("{file} failed its checks: {}", e[0])))?;
        }
        Ok(DemoFollowUp { recommendations: imported.recommendations, clustered, measures: measures.len() as u64, linked })
    }
}

impl Store {
    /// Creates and opens the demo collection round (`reference/demo-round.toml`) unless it
    /// exists; returns its id.
    pub async fn load_demo_round(&self) -> Result<i64> {
        let spec = rightstat_core::reference::demo_round();
        if let Some(r) = self.round(&spec.code).await? {
            return Ok(r.id);
        }
        let actor = crate::Actor::system();
        let id = self.create_round(&spec, &actor).await?;
        self.open_round(id, &actor).await?;
        Ok(id)
    }
}

/// The demo accounts: one per role, with areas that make the scoping visible (a reporter for
/// one county of Hebei, a reviewer for Hebei). All share [`DEMO_PASSWORD`].
pub const DEMO_USERS: &[(&str, &str, rightstat_core::policy::Role, Option<&str>, &str)] = &[
    ("admin", "Lead department administrator (NBS)", rightstat_core::policy::Role::Administrator, Some("NBS"), "CN"),
    ("coordinator", "Civil affairs coordinator, Hebei", rightstat_core::policy::Role::Coordinator, Some("MCA"), "13"),
    (
        "reporter",
        "Civil affairs bureau, Chang'an district (Shijiazhuang, Hebei)",
        rightstat_core::policy::Role::Reporter,
        Some("MCA"),
        "130102",
    ),
    ("reviewer", "Statistics reviewer, Hebei province", rightstat_core::policy::Role::Reviewer, None, "13"),
    ("analyst", "Human-rights analyst", rightstat_core::policy::Role::Analyst, None, "CN"),
];
pub const DEMO_PASSWORD: &str = "rightstat-demo";

impl Store {
    /// Creates the demo accounts where missing.
    pub async fn create_demo_users(&self) -> Result<()> {
        let existing = self.users().await?;
        let actor = crate::Actor::system();
        for (name, display, role, dept, area) in DEMO_USERS {
            if existing.iter().any(|u| &u.username == name) {
                continue;
            }
            self.create_user(name, display, DEMO_PASSWORD, &actor).await?;
            let grant = rightstat_core::policy::Grant { role: *role, department: dept.map(String::from), area: area.to_string() };
            self.grant(name, &grant, &actor).await?;
        }
        Ok(())
    }
}
