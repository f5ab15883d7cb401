//! The public portal on the demo data, on both backends: pages, downloads and SDMX made from
//! published figures only, with disclosure control applied to every one of them.

use rightstat_core::disclosure::Rules;
use rightstat_portal::Site;
use rightstat_store::Store;
use rightstat_store::testing::load_disclosure_fixture;

async fn text(site: &Site, path: &str) -> String {
    String::from_utf8(site.file(path, None).await.unwrap().unwrap_or_else(|| panic!("{path} exists")).body).unwrap()
}

#[tokio::test]
async fn the_portal_shows_published_figures_and_withholds_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    for url in rightstat_store::testing::fresh_urls(dir.path()).await {
        let store = Store::connect(&url).await.unwrap();
        load_disclosure_fixture(&store).await;
        let site = Site::load(&store, Rules::default()).await.unwrap();

        // Every file: none shows the unreleased value or the withheld Hebei figure.
        let paths = site.paths();
        assert!(paths.len() > 40, "{url}: {}", paths.len());
        for p in &paths {
            let body = text(&site, p).await;
            assert!(!body.contains("98765"), "{url}: unreleased value in {p}");
            assert!(!body.contains("4317"), "{url}: withheld value in {p}");
            assert!(!body.contains("login"), "{url}: a static copy has no sign-in page ({p})");
        }
        assert_eq!(site.withheld(), 2, "{url}");

        // The CSV: the withheld rows are there, empty, with status Q and the reason.
        let csv = text(&site, "data/CN_POOR_DROPOUTS.csv").await;
        let mut rows = csv::Reader::from_reader(csv.as_bytes());
        let header = rows.headers().unwrap().clone();
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let recs: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
        let beijing = recs.iter().find(|r| &r[col("area")] == "11").expect("Beijing's row");
        assert_eq!((&beijing[col("value")], &beijing[col("status")]), ("", "Q"), "{url}");
        assert!(beijing[col("footnote")].contains("fewer than 10"), "{url}");
        let hebei = recs.iter().find(|r| &r[col("area")] == "13").expect("Hebei's row");
        assert!(hebei[col("footnote")].contains("cannot be derived"), "{url}");
        let national = recs.iter().find(|r| &r[col("area")] == "CN" && &r[col("period")] == "2023" && &r[col("SEX")] == "_T").unwrap();
        assert_eq!(&national[col("value")], "4321");
        assert!(!recs.iter().any(|r| &r[col("period")] == "2024"), "{url}: unreleased period");

        // SDMX-CSV: OBS_STATUS Q and an empty OBS_VALUE.
        let sdmx = text(&site, "data/CN_POOR_DROPOUTS.sdmx.csv").await;
        // (One column for each dimension of the data structure, whatever the indicator uses.)
        assert!(
            sdmx.starts_with("STRUCTURE,STRUCTURE_ID,ACTION,INDICATOR,REF_AREA,AGE,CN_REGION,DISABILITY_STATUS,ETHNICITY,HOUSEHOLD_HEAD_SEX,INCOME_QUINTILE,SEX,URBANISATION,TIME_PERIOD,OBS_VALUE"),
            "{sdmx}"
        );
        assert!(
            sdmx.contains("dataflow,RIGHTSTAT:DF_RIGHTSTAT(1.0),I,CN_POOR_DROPOUTS,11,_T,_T,_T,_T,_T,_T,_T,_T,2023,,PERSONS,0,Q,"),
            "{sdmx}"
        );

        // SDMX-JSON (series, time at the observation): the withheld observation has a null value.
        let json: serde_json::Value = serde_json::from_str(&text(&site, "data/CN_POOR_DROPOUTS.sdmx.json").await).unwrap();
        let obs: Vec<&serde_json::Value> = json["dataSets"][0]["series"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|s| s["observations"].as_object().unwrap().values())
            .collect();
        assert_eq!(obs.len(), 6, "{url}");
        assert_eq!(obs.iter().filter(|o| o[0].is_null()).count(), 2, "{url}");
        // SDMX-ML structure-specific: the same, the withheld without OBS_VALUE.
        let ml = text(&site, "data/CN_POOR_DROPOUTS.sdmx.xml").await;
        assert_eq!(ml.matches("<Obs ").count(), 6, "{url}");
        assert_eq!(ml.lines().filter(|l| l.contains("OBS_STATUS=\"Q\"") && !l.contains("OBS_VALUE")).count(), 2, "{ml}");

        // The indicator page in both languages: metadata, chart, map, table, downloads.
        let en = text(&site, "en/indicators/CN_POOR_DROPOUTS.html").await;
        assert!(en.contains("<html lang=\"en\">") && en.contains("href=\"../../data/CN_POOR_DROPOUTS.csv\""), "{url}");
        assert!(en.contains("<title>Beijing: no public figure</title>"), "{url}: the map says why Beijing is grey");
        assert!(en.contains("<td>4,321</td>") && en.contains("href=\"../../zh/indicators/CN_POOR_DROPOUTS.html\""), "{url}");
        assert!(
            en.contains("smaller than 10 persons or households.") && en.contains("cannot be derived from totals"),
            "{url}: the notes say why"
        );
        let zh = text(&site, "zh/indicators/CN_POOR_DROPOUTS.html").await;
        assert!(zh.contains("<html lang=\"zh-CN\">") && zh.contains("计量单位") && zh.contains("结果指标：权利的享有"), "{url}");
        // A demo series with a national time series gets its line chart and text alternative.
        let poor = text(&site, "en/indicators/CN_RURAL_POOR_POP.html").await;
        assert!(poor.contains("<polyline") && poor.contains("<figcaption>"), "{url}");
        assert!(!poor.contains("By province"), "{url}: no provincial figures, no map");

        // The home page: headline figures, every published indicator counted.
        let home = text(&site, "en/index.html").await;
        assert!(home.contains(&format!("All published indicators ({})", site.published_indicators().count())), "{url}");
        assert!(home.contains("class=\"value\">0</span>"), "{url}: the rural poor population's 0 of 2020 is a headline");

        // Status page: CN_POOR_DROPOUTS lacks ethnicity and disability breakdowns.
        let status = text(&site, "en/status.html").await;
        let row = status.split("<tr>").find(|r| r.contains("CN_POOR_DROPOUTS")).unwrap();
        let (present, missing) = row.split_once("class=\"missing\"").unwrap();
        assert!(present.contains("<td>Sex</td>") && present.contains("2022–2023"), "{row}");
        assert!(missing.contains("Disability status") && missing.contains("Ethnic group"), "{row}");

        // Search finds by name in either language; unknown paths are not files.
        assert!(site.file("en/search.html", Some("dropout")).await.unwrap().is_some());
        let hits = String::from_utf8(site.file("zh/search.html", Some("辍学")).await.unwrap().unwrap().body).unwrap();
        assert!(hits.contains("CN_POOR_DROPOUTS"), "{url}");
        assert!(
            site.file("en/indicators/NOPE.html", None).await.unwrap().is_none() && site.file("data/x.exe", None).await.unwrap().is_none()
        );

        // The static export writes exactly these files.
        let out = dir.path().join(format!("site-{}", url.len()));
        let (files, bytes) = site.export(&out).await.unwrap();
        assert_eq!(files, paths.len());
        assert!(bytes > 10_000);
        assert_eq!(std::fs::read_to_string(out.join("en/indicators/CN_POOR_DROPOUTS.html")).unwrap(), en);
        // A second export replaces the first whole: a stale page does not survive.
        std::fs::write(out.join("en/indicators/STALE.html"), "old").unwrap();
        assert_eq!(site.export(&out).await.unwrap().0, paths.len());
        assert!(!out.join("en/indicators/STALE.html").exists() && out.join("en/index.html").is_file());
        // A directory holding something else is refused and left alone.
        let other = dir.path().join(format!("other-{}", url.len()));
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join("notes.txt"), "mine").unwrap();
        assert!(matches!(site.export(&other).await, Err(rightstat_portal::PortalError::NotAnExport(_))));
        assert_eq!(std::fs::read_dir(&other).unwrap().count(), 1);
    }
}

#[tokio::test]
async fn sdmx_queries_select_by_key_and_period() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&rightstat_store::testing::fresh_sqlite_url(dir.path())).await.unwrap();
    load_disclosure_fixture(&store).await;
    let site = Site::load(&store, Rules::default()).await.unwrap();
    let key = site.key();
    assert_eq!(&key[..2], ["INDICATOR", "REF_AREA"]);
    let sex = key.iter().position(|d| *d == "SEX").unwrap();
    let mut parts = vec![""; sex + 1];
    parts[0] = "CN_POOR_DROPOUTS";
    parts[1] = "CN";
    parts[sex] = "F+M";
    let q = site.query("RIGHTSTAT,DF_RIGHTSTAT,1.0", &parts.join("."), Some("2023"), None).unwrap();
    let selected = site.select(&q).await.unwrap();
    let got: Vec<(&str, &str)> = selected.iter().map(|r| (r.period.as_str(), r.cell["SEX"].as_str())).collect();
    assert_eq!(got, [("2023", "F"), ("2023", "M")]);
    let q = site.query("DF_RIGHTSTAT", "CN_POOR_DROPOUTS+CN_RURAL_POOR_POP.CN", None, Some("2022")).unwrap();
    assert!(site.select(&q).await.unwrap().iter().all(|r| r.period.as_str() <= "2022" && r.area == "CN"));
    assert!(site.select(&q).await.unwrap().iter().any(|r| r.indicator == "CN_RURAL_POOR_POP"));
    assert!(site.query("DF_OTHER", "all", None, None).is_err());
    // The whole dataflow's content constraint comes from the snapshot's summaries, without
    // reading the figures, and says what reading them all says.
    let prepared =
        |m: &str| m.split("<mes:Prepared>").map(|p| p.split_once("</mes:Prepared>").map_or(p, |x| x.1).to_string()).collect::<String>();
    let all = site.query("DF_RIGHTSTAT", "all", None, None).unwrap();
    let read = site.available(&all).await.unwrap().unwrap();
    assert_eq!(prepared(&site.available_all().unwrap()), prepared(&read));
    assert!(read.contains("<com:Value>CN_POOR_DROPOUTS</com:Value>") && read.contains("<com:Value>F</com:Value>"));

    // With the demo follow-up, an indicator page cites the recommendations it serves.
    store.load_demo_follow_up().await.unwrap();
    let site = Site::load(&store, Rules::default()).await.unwrap();
    let page = String::from_utf8(site.file("en/indicators/CN_RURAL_POOR_POP.html", None).await.unwrap().unwrap().body).unwrap();
    assert!(page.contains("Recommendations this indicator helps to follow up") && page.contains("UPR "), "{page}");
    assert!(site.query("DF_RIGHTSTAT", &".".repeat(key.len() + 1), None, None).is_err());
    assert!(site.query("DF_RIGHTSTAT", "all", Some("20x"), None).is_err());
}

/// Hebei's counties' dibao recipients for 2023 (total, urban, rural) and the province's total;
/// one county's are under ten persons.
fn hebei_counties_csv() -> (String, Vec<String>) {
    let counties: Vec<String> = rightstat_core::reference::areas()
        .into_iter()
        .filter(|a| a.level == rightstat_core::area::AreaLevel::County && a.code.as_str().starts_with("13"))
        .map(|a| a.code.to_string())
        .collect();
    let mut csv = String::from("indicator,area,period,URBANISATION,value\n");
    let (mut u_all, mut r_all) = (0, 0);
    for (i, c) in counties.iter().enumerate() {
        let (u, r) = if c == "130102" { (1, 3) } else { (100 + i as u64, 200 + i as u64) };
        u_all += u;
        r_all += r;
        for (cell, n) in [("_T", u + r), ("U", u), ("R", r)] {
            csv.push_str(&format!("CN_DIBAO_RECIPIENTS,{c},2023,{cell},{:.4}\n", n as f64 / 10_000.0));
        }
    }
    for (cell, n) in [("_T", u_all + r_all), ("U", u_all), ("R", r_all)] {
        csv.push_str(&format!("CN_DIBAO_RECIPIENTS,13,2023,{cell},{:.4}\n", n as f64 / 10_000.0));
    }
    // Shijiazhuang's total: the small county (Chang'an) is one of the areas adding up to it.
    let (mut u_pref, mut r_pref) = (0, 0);
    for (i, c) in counties.iter().enumerate().filter(|(_, c)| c.starts_with("1301")) {
        let (u, r) = if c == "130102" { (1, 3) } else { (100 + i as u64, 200 + i as u64) };
        u_pref += u;
        r_pref += r;
    }
    for (cell, n) in [("_T", u_pref + r_pref), ("U", u_pref), ("R", r_pref)] {
        csv.push_str(&format!("CN_DIBAO_RECIPIENTS,1301,2023,{cell},{:.4}\n", n as f64 / 10_000.0));
    }
    (csv, counties)
}

async fn publish(store: &Store, csv: String) {
    let mut o = rightstat_store::ImportOptions::new("counties.csv", rightstat_store::formats::Format::Csv);
    o.publish = true;
    let r = store.import_observations(std::io::Cursor::new(csv.into_bytes()), o).await.unwrap();
    assert!(r.is_ok(), "{:?}", r.errors.first());
}

#[tokio::test]
async fn the_snapshot_keeps_what_the_pages_show_and_reads_the_rest_under_the_same_control() {
    let dir = tempfile::tempdir().unwrap();
    for url in rightstat_store::testing::fresh_urls(dir.path()).await {
        let store = Store::connect(&url).await.unwrap();
        load_disclosure_fixture(&store).await;
        let (csv, counties) = hebei_counties_csv();
        publish(&store, csv).await;
        let site = Site::load(&store, Rules::default()).await.unwrap();

        // The snapshot holds the province's figures for the page, not the counties'.
        let held = site.figures("CN_DIBAO_RECIPIENTS");
        assert!(held.iter().any(|r| r.area == "13"), "{url}");
        assert!(held.iter().all(|r| r.area.len() <= 2), "{url}: {:?}", held.iter().map(|r| &r.area).collect::<Vec<_>>());
        assert!(!held.iter().any(|r| r.area == "1301"), "{url}: a prefecture is not on the page");
        assert!(site.total() > counties.len() * 3, "{url}");

        // The download reads every county from the store, in the public form the snapshot
        // decided over the whole set: the small county withheld, and another county beside it
        // so that the province's total does not give it away.
        let download = text(&site, "data/CN_DIBAO_RECIPIENTS.csv").await;
        for c in &counties {
            assert!(
                download.contains(&format!("CN_DIBAO_RECIPIENTS,最低生活保障人数,{c},")) || download.contains(&format!(",{c},")),
                "{url}: {c}"
            );
        }
        let withheld: Vec<&str> = download.lines().filter(|l| l.contains(",Q,")).collect();
        assert!(withheld.iter().any(|l| l.contains(",130102,")), "{url}: {withheld:?}");
        let beside = |l: &&&str| counties.iter().any(|c| c != "130102" && c.starts_with("1301") && l.contains(&format!(",{c},")));
        assert!(withheld.iter().any(|l| beside(&l)), "{url}: no secondary suppression in Shijiazhuang: {withheld:?}");
        assert!(!download.contains("0.0004"), "{url}: the small county's value is in the download");
        assert!(withheld.iter().all(|l| l.contains("Withheld")), "{url}");
        // The SDMX query for counties reads them the same way.
        let q = site.query("DF_RIGHTSTAT", "CN_DIBAO_RECIPIENTS.130102+130104", None, None).unwrap();
        let rows = site.select(&q).await.unwrap();
        assert_eq!(rows.len(), 6, "{url}");
        assert!(rows.iter().filter(|r| r.area == "130102").all(|r| r.value.is_none() && r.status == "Q"), "{url}");
        assert!(!site.is_shown("CN_DIBAO_RECIPIENTS", "130102", "2023", &rows[0].cell_key));

        // More than one answer may hold is refused, not read whole.
        let all = rightstat_store::ObservationFilter::default();
        assert!(matches!(site.public_rows(&all, 10).await, Err(rightstat_portal::PortalError::TooLarge { max: 10 })), "{url}");

        // A release after the snapshot was built: the snapshot no longer answers for the
        // store's figures (a new one is loaded), so a new small figure cannot slip out unchecked.
        publish(&store, "indicator,area,period,URBANISATION,value\nCN_DIBAO_RECIPIENTS,130104,2022,_T,0.0002\n".into()).await;
        assert!(!site.is_current().await.unwrap(), "{url}");
        assert!(matches!(site.file("data/CN_DIBAO_RECIPIENTS.sdmx.csv", None).await, Err(rightstat_portal::PortalError::Stale)), "{url}");
        let fresh = Site::load(&store, Rules::default()).await.unwrap();
        let again = text(&fresh, "data/CN_DIBAO_RECIPIENTS.csv").await;
        assert!(again.lines().any(|l| l.contains(",130104,") && l.contains(",2022,") && l.contains(",Q,")), "{url}: {again}");
    }
}
