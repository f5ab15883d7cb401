//! Importing recommendations (UPR Info, UHRI, concluding observations) and following them
//! up, on SQLite and PostgreSQL.

use rightstat_core::recommendation::{Assessor, ImplementationStatus, Response, Trend};
use rightstat_store::Visibility;
use rightstat_store::follow_up::NewAssessment;
use rightstat_store::recommendations::{RecommendationFilter, RecommendationFormat};
use rightstat_store::{Actor, Store, testing};

const UPR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/upr_china.csv");

#[tokio::test]
async fn upr_info_export_imports_once_and_merges_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let s = Store::connect(&url).await.unwrap();
        s.seed_reference().await.unwrap();
        let bytes = std::fs::read(UPR).unwrap();
        let r = s.import_upr_info(&bytes, "upr_china.csv", &Actor::system()).await.unwrap().unwrap();
        // 422 rows; two texts were made by two States each in session 4 (one of them differing
        // only by a final full stop: "…Paris Principles" / "…Paris Principles.").
        assert_eq!((r.rows, r.recommendations, r.new, r.merged), (422, 420, 420, 0));
        let again = s.import_upr_info(&bytes, "upr_china.csv", &Actor::system()).await.unwrap().unwrap();
        assert_eq!((again.new, again.merged), (0, 420), "re-import merges, adds nothing");
        let all = s.recommendations(None, None, None).await.unwrap();
        assert_eq!(all.len(), 420);
        assert_eq!(all.iter().filter(|r| r.session == "4").count() + all.iter().filter(|r| r.session == "17").count(), 420);
        let nhri = all.iter().find(|r| r.text.starts_with("Establish a national human rights institution, in accordance")).unwrap();
        assert_eq!(nhri.recommending_states, ["Australia", "New Zealand"]);
        let poverty = s.recommendations(Some("17"), Some(Response::Supported), Some("poverty")).await.unwrap();
        assert!(
            !poverty.is_empty()
                && poverty.iter().all(|r| r.text.to_lowercase().contains("poverty") && r.response.as_deref() == Some("supported"))
        );
        // Counted as the UPR counts them, one per recommending State: 138 in 2009, 284 in 2013.
        let made = |y: i64| all.iter().filter(|r| r.year == Some(y)).map(|r| r.recommending_states.len()).sum::<usize>();
        assert_eq!((made(2009), made(2013)), (138, 284));
        assert_eq!(r.made, 422);
        let iccpr = all.iter().find(|r| r.text == "Ratify the ICCPR").unwrap();
        assert_eq!((iccpr.cycle, iccpr.year, iccpr.action_category), (Some(1), Some(2009), Some(5)));
        assert!(iccpr.themes.contains(&"International instruments".to_string()));
    }
}

#[tokio::test]
async fn a_bad_file_imports_nothing_and_names_every_bad_row() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let s = Store::connect(&url).await.unwrap();
        let bad = "cycle,session,year,state_under_review,recommending_state,recommendation,response,action_category_1to5,issues\n\
                   1,4,2009,China,Austria,Ratify the ICCPR,Accepted,5,x\n\
                   1,four,2009,China,Chile,Do something,Accepted,3,x\n\
                   1,4,2009,China,Cuba,,Noted,9,x\n\
                   1,4,2009,China,Peru,Something else,Maybe,2,x\n";
        let errs = s.import_upr_info(bad.as_bytes(), "bad.csv", &Actor::system()).await.unwrap().unwrap_err();
        let got: Vec<(u64, &str)> = errs.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(got, [(3, "session"), (4, "recommendation"), (4, "action_category_1to5"), (5, "response")], "{errs:#?}");
        assert!(s.recommendations(None, None, None).await.unwrap().is_empty(), "nothing applied");
    }
}

/// A UHRI export as the UHRI writes it: misspelt headers, serial dates, "- " lists.
fn uhri_workbook(rows: &[[&str; 8]], date_serials: &[f64]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let headers = [
        "Text",
        "Countries Concerned",
        "Reccomending Body",
        "Document Symbol",
        "Themes",
        "Affected Persons",
        "Sdgs",
        "Document Publication Date",
        "UPR Reccomending States",
        "UPR Position",
        "UPR Session",
        "Type",
        "OHCHR Annotation Id",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        // text, country, body, symbol, themes, states, position, session
        for (c, v) in [(0, r[0]), (1, r[1]), (2, r[2]), (3, r[3]), (4, r[4]), (8, r[5]), (9, r[6]), (10, r[7])] {
            sheet.write_string(row, c, v).unwrap();
        }
        sheet.write_string(row, 5, "- Persons living in poverty\n- Rural women").unwrap();
        sheet.write_string(row, 6, "- 1.2\n- 1.3").unwrap();
        sheet.write_number(row, 7, date_serials[i]).unwrap();
        sheet.write_string(row, 11, "Recommendation").unwrap();
        sheet.write_string(row, 12, format!("6f1c2b1e-0000-4000-8000-00000000000{i}")).unwrap();
    }
    book.save_to_buffer().unwrap()
}

const ECUADOR: &str = "Continue the efforts aimed at fighting against poverty and discrimination of the most vulnerable groups";

#[tokio::test]
async fn uhri_export_merges_with_upr_info_and_reports_bad_cells() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let s = Store::connect(&url).await.unwrap();
        s.seed_reference().await.unwrap();
        s.import_upr_info(&std::fs::read(UPR).unwrap(), "upr_china.csv", &Actor::system()).await.unwrap().unwrap();
        let upr_text = format!("186.98 {ECUADOR} (Ecuador);");
        let xlsx = uhri_workbook(
            &[
                [&upr_text, "- China", "UPR", "A/HRC/25/5", "- Poverty\n- Non-discrimination", "- Ecuador", "Supported", "17"],
                [
                    "31. The Committee recommends that the State party intensify its efforts to reduce poverty among ethnic minorities",
                    "- China",
                    "Committee on Economic, Social and Cultural Rights",
                    "E/C.12/CHN/CO/2",
                    "- Poverty",
                    "",
                    "",
                    "",
                ],
            ],
            &[41_731.0, 41_803.0],
        );
        let r = s.import_recommendations(RecommendationFormat::Uhri, &xlsx, "uhri.xlsx", &Actor::system()).await.unwrap().unwrap();
        assert_eq!((r.rows, r.recommendations, r.new, r.merged), (2, 2, 1, 1), "{r:?}");
        let ecuador = s.recommendations(Some("17"), None, Some(ECUADOR)).await.unwrap();
        assert_eq!(ecuador.len(), 1, "the same recommendation from two sources is one");
        let e = &ecuador[0];
        assert_eq!(e.recommending_states, ["Ecuador"]);
        assert_eq!(e.sdgs, ["1.2", "1.3"]);
        assert_eq!(e.issued_on.as_deref(), Some("2014-04-02"), "Excel serial 41731");
        assert_eq!((e.paragraph.as_deref(), e.document_symbol.as_deref()), (Some("186.98"), Some("A/HRC/25/5")));
        assert!(e.themes.contains(&"Poverty".to_string()) && e.themes.contains(&"Non-discrimination".to_string()));
        assert_eq!(e.sources, ["upr_china.csv", "uhri.xlsx"]);
        assert_eq!(e.external_ids, ["6f1c2b1e-0000-4000-8000-000000000000"]);
        let co = s.find_recommendations(&RecommendationFilter { mechanism: Some("CESCR".into()), ..Default::default() }).await.unwrap();
        assert_eq!(co.len(), 1);
        assert_eq!((co[0].paragraph.as_deref(), co[0].cycle, co[0].year), (Some("31"), Some(2), Some(2014)));
        assert!(co[0].text.starts_with("The Committee recommends"));
        // Re-importing changes nothing.
        let again = s.import_recommendations(RecommendationFormat::Uhri, &xlsx, "uhri.xlsx", &Actor::system()).await.unwrap().unwrap();
        assert_eq!((again.new, again.merged), (0, 2));

        let bad = uhri_workbook(
            &[
                ["Do this", "- China", "Some Council", "X/1", "", "", "", ""],
                ["Do that", "- China", "UPR", "A/HRC/25/5", "", "", "Maybe", "seventeen"],
            ],
            &[41_731.0, -5.0],
        );
        let errs = s.import_recommendations(RecommendationFormat::Uhri, &bad, "bad.xlsx", &Actor::system()).await.unwrap().unwrap_err();
        let got: Vec<(u64, &str)> = errs.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(got, [(2, "Reccomending Body (C)"), (3, "Document Publication Date (H)"), (3, "UPR Session (K)")], "{errs:#?}");
        let garbage = s.import_recommendations(RecommendationFormat::Uhri, b"not a workbook", "x.xlsx", &Actor::system()).await.unwrap();
        assert!(garbage.unwrap_err()[0].expected.contains("Excel workbook"));
    }
}

#[tokio::test]
async fn concluding_observations_link_across_cycles() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let s = Store::connect(&url).await.unwrap();
        s.seed_reference().await.unwrap();
        let csv = "committee,state,document_symbol,paragraph,date,text,themes,affected_persons,sdgs\n\
                   CESCR,China,E/C.12/1/Add.107,50,2005-05-13,The Committee recommends a national poverty strategy.,Poverty,,1.2\n\
                   CESCR,China,E/C.12/CHN/CO/2,31,2014-06-13,\"The Committee reiterates its previous recommendation (E/C.12/1/Add.107, para. 50) and urges the State party to adopt a poverty strategy.\",Poverty;Rural areas,Rural population,1.2\n";
        let r = s
            .import_recommendations(RecommendationFormat::ConcludingObservations, csv.as_bytes(), "co.csv", &Actor::system())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((r.new, r.links), (2, 1));
        let later = s.find_recommendations(&RecommendationFilter { cycle: Some(2), ..Default::default() }).await.unwrap();
        let links = s.recommendation_links(&later[0].uid).await.unwrap();
        assert_eq!(links.len(), 1);
        assert_eq!((links[0].1.as_str(), links[0].2.as_str()), ("cites", "earlier"));
        let bad = "committee,state,document_symbol,paragraph,date,text\n\
                   CESCR,China,E/C.12/CHN/CO/2,thirty,2014-06-13,Text\n\
                   CESCR,China,CO2,32,13/06/2014,Text\n";
        let errs = s
            .import_recommendations(RecommendationFormat::ConcludingObservations, bad.as_bytes(), "bad.csv", &Actor::system())
            .await
            .unwrap()
            .unwrap_err();
        let got: Vec<(u64, &str)> = errs.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(got, [(2, "paragraph"), (3, "document_symbol"), (3, "date")], "{errs:#?}");
        assert_eq!(s.find_recommendations(&RecommendationFilter::default()).await.unwrap().len(), 2, "nothing applied");
    }
}

#[tokio::test]
async fn follow_up_shows_measures_departments_assessments_and_evidence_from_the_data() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let s = Store::connect(&url).await.unwrap();
        s.seed_reference().await.unwrap();
        s.load_demo().await.unwrap();
        let demo = s.load_demo_follow_up().await.unwrap();
        assert!(demo.clustered > 30 && demo.linked > 20, "{demo:?}");
        let audit_len = s.verify_audit().await.unwrap().records;
        let again = s.load_demo_follow_up().await.unwrap();
        assert_eq!(again.clustered, 0);
        assert_eq!(
            s.verify_audit().await.unwrap().records,
            audit_len + 4,
            "only the three imports (UPR Info, two OHCHR matrices) and the clustering run are logged again"
        );

        let f = RecommendationFilter { q: Some("poverty".into()), country: Some("CN".into()), ..Default::default() };
        let found = s.follow_up(&f, &Visibility::All, true).await.unwrap();
        assert!(found.len() >= 12, "{}", found.len());
        let r = found.iter().find(|r| r.recommendation.text.starts_with(ECUADOR)).unwrap();
        assert!(r.recommendation.clusters.contains(&"poverty".to_string()));
        assert!(r.measures.iter().any(|m| m.code == "TARGETED_POVERTY_ALLEVIATION"));
        assert_eq!(r.departments.iter().find(|d| d.role == "lead").unwrap().code, "NRRA");
        let ev = r.evidence.iter().find(|e| e.indicator == "CN_RURAL_POOR_POP").unwrap();
        // Made in 2013: 8,249 (10,000 persons) that year, 551 in 2019.
        assert_eq!(ev.trend, Trend::Improving);
        assert_eq!(ev.baseline.as_ref().map(|p| (p.year, p.value)), Some((2013, 8249.0)));
        assert!(ev.latest.as_ref().unwrap().year >= 2019);
        assert!(ev.breakdowns_asked.is_empty(), "'the most vulnerable groups' names no dimension");
        // Eritrea's asks about rural development: China's national poverty rate exists for rural
        // areas only, so the evidence uses that cell and the rural/urban breakdown is available.
        let eritrea =
            found.iter().find(|r| r.recommendation.text.starts_with("Maintain and strengthen the achievements made in poverty")).unwrap();
        let nahc = eritrea.evidence.iter().find(|e| e.indicator == "SI_POV_NAHC").unwrap();
        assert_eq!(nahc.breakdowns_asked, ["URBANISATION"]);
        assert!(nahc.breakdowns_missing.is_empty() && nahc.breakdowns_available.contains(&"URBANISATION".to_string()));
        assert_eq!((nahc.cell.as_str(), nahc.trend), ("|URBANISATION=R|", Trend::Improving), "{nahc:?}");
        let poor = eritrea.evidence.iter().find(|e| e.indicator == "CN_RURAL_POOR_POP").unwrap();
        assert_eq!(poor.breakdowns_missing, ["URBANISATION"], "no rural/urban split of the rural poor: {poor:?}");

        // Assessments: government and independent side by side; the status filter follows the government's.
        let uid = r.recommendation.uid.clone();
        let gov = NewAssessment {
            uid: &uid,
            assessor: Assessor::Government,
            assessor_name: "National Rural Revitalisation Administration",
            assessed_on: "2018-10-01",
            status: ImplementationStatus::Implemented,
            text: "Rural poverty fell from 82.49 to 16.60 million persons (2013-2017).",
        };
        s.add_assessment(&gov, &Actor::system()).await.unwrap();
        let nhri = NewAssessment {
            assessor: Assessor::CivilSociety,
            assessor_name: "A civil-society coalition",
            status: ImplementationStatus::PartiallyImplemented,
            text: "No data by ethnicity.",
            ..gov.clone()
        };
        s.add_assessment(&nhri, &Actor::system()).await.unwrap();
        let bad_date = NewAssessment { assessed_on: "2018-13-01", ..gov.clone() };
        assert!(s.add_assessment(&bad_date, &Actor::system()).await.is_err());
        let implemented =
            s.find_recommendations(&RecommendationFilter { status: Some("implemented".into()), ..Default::default() }).await.unwrap();
        assert_eq!(implemented.iter().map(|r| r.uid.as_str()).collect::<Vec<_>>(), [uid.as_str()]);
        let one = s
            .follow_up(&RecommendationFilter { q: Some(ECUADOR.into()), ..Default::default() }, &Visibility::Published, false)
            .await
            .unwrap();
        assert_eq!(one[0].status.as_deref(), Some("implemented"));
        assert!(one[0].assessments.is_empty(), "not asked for");
        let by_nrra =
            s.find_recommendations(&RecommendationFilter { department: Some("NRRA".into()), ..Default::default() }).await.unwrap();
        assert!(by_nrra.iter().all(|r| r.clusters.contains(&"poverty".to_string())) && !by_nrra.is_empty());
        let by_measure =
            s.find_recommendations(&RecommendationFilter { measure: Some("DIBAO".into()), ..Default::default() }).await.unwrap();
        assert!(!by_measure.is_empty() && by_measure.iter().all(|r| r.clusters.contains(&"social_security".to_string())));
        let m = s.measure("DIBAO").await.unwrap().unwrap();
        assert_eq!(m.measure.local_term, "低保");
        assert_eq!(m.recommendations.len(), by_measure.len());
        assert!(s.verify_audit().await.unwrap().broken.is_none());
    }
}

const MATRIX_2013: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/un/upr-china-cycle2-2013-ohchr-matrix.docx");
const MATRIX_2018: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/un/upr-china-cycle3-2018-ohchr-matrix.docx");

/// A .docx holding `rows` (cells of text) in a table, with OHCHR's page header when `header`.
fn matrix_docx(header: bool, rows: &[[&str; 3]]) -> Vec<u8> {
    use std::io::Write;
    let cell = |t: &str| format!("<w:tc><w:p><w:r><w:t>{t}</w:t></w:r></w:p></w:tc>");
    let mut body = String::from("<w:tbl>");
    for r in rows {
        body.push_str(&format!("<w:tr>{}{}{}</w:tr>", cell(r[0]), cell(r[1]), cell(r[2])));
    }
    body.push_str("</w:tbl>");
    let doc = format!(
        "<?xml version=\"1.0\"?><w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}</w:body></w:document>"
    );
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default();
    z.start_file("word/document.xml", o).unwrap();
    z.write_all(doc.as_bytes()).unwrap();
    if header {
        z.start_file("word/header1.xml", o).unwrap();
        z.write_all(b"<w:hdr xmlns:w=\"x\"><w:p><w:r><w:t>UPR of China (3</w:t></w:r><w:r><w:t>rd Cycle \xe2\x80\x93 31st session)</w:t></w:r></w:p></w:hdr>").unwrap();
    }
    z.finish().unwrap().into_inner()
}

#[tokio::test]
async fn ohchr_matrices_import_every_recommendation_and_merge_with_upr_info() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let s = Store::connect(&url).await.unwrap();
        s.seed_reference().await.unwrap();
        let actor = Actor::system();
        s.import_upr_info(&std::fs::read(UPR).unwrap(), "upr_china.csv", &actor).await.unwrap().unwrap();
        let m = RecommendationFormat::OhchrMatrix;
        // Second cycle: 252 paragraphs of A/HRC/25/5, 286 recommendations with their States; all
        // but 4 (worded differently by UPR Info) are UPR Info's rows of 2013.
        let c2 = s.import_recommendations(m, &std::fs::read(MATRIX_2013).unwrap(), "2013.docx", &actor).await.unwrap().unwrap();
        assert_eq!((c2.rows, c2.recommendations, c2.new, c2.merged), (252, 286, 4, 282), "{url}");
        // Third cycle: 346 paragraphs 28.1–28.346, 374 recommendations, 389 counting each State.
        let bytes = std::fs::read(MATRIX_2018).unwrap();
        let c3 = s.import_recommendations(m, &bytes, "2018.docx", &actor).await.unwrap().unwrap();
        assert_eq!((c3.rows, c3.recommendations, c3.made, c3.new), (346, 374, 389, 374), "{url}");
        let again = s.import_recommendations(m, &bytes, "2018.docx", &actor).await.unwrap().unwrap();
        assert_eq!((again.new, again.merged), (0, 374), "re-import adds nothing");
        let third = s.recommendations(Some("31"), None, None).await.unwrap();
        assert_eq!(third.len(), 374);
        assert!(third.iter().all(|r| r.cycle == Some(3) && r.year == Some(2018) && r.document_symbol.as_deref() == Some("A/HRC/40/6")));
        let supported = third.iter().filter(|r| r.response.as_deref() == Some("supported")).count();
        let noted = third.iter().filter(|r| r.response.as_deref() == Some("noted")).count();
        assert_eq!(supported + noted, 374);
        // A paragraph of several recommendations: each its own, with its States and paragraph.
        let mali = third.iter().find(|r| r.recommending_states == ["Uruguay", "Mali"]).expect("28.4's second recommendation");
        assert_eq!(mali.paragraph.as_deref(), Some("28.4"));
        assert!(mali.text.starts_with("Accelerate the ratification of the International Covenant on Civil and Political Rights"));
        // OHCHR's classification kept as given: themes, SDG goals and affected persons.
        let poverty = third.iter().filter(|r| r.themes.iter().any(|t| t.starts_with("S01 SDG 1"))).count();
        assert!(poverty > 10, "{poverty}");
        assert!(third.iter().any(|r| r.sdgs.contains(&"1".to_string()) && r.affected_persons.iter().any(|p| p.contains("rural"))));
        // The second cycle's rows now carry OHCHR's paragraph and themes beside UPR Info's.
        let merged = s.recommendations(Some("17"), None, None).await.unwrap();
        assert!(
            merged.iter().filter(|r| r.sources.len() == 2 && r.paragraph.as_deref().is_some_and(|p| p.starts_with("186."))).count() == 282
        );

        // All or nothing: every bad row named; nothing saved.
        let before = s.recommendations(None, None, None).await.unwrap().len();
        let bad = matrix_docx(
            true,
            &[
                ["Recommendation", "Position", "Full list of themes"],
                ["28.1 Ratify the ICCPR (Mongolia);", "Perhaps", "A12 Acceptance of international norms"],
                ["28.2 Ratify the ICCPR as soon as possible", "Supported", "A12 Acceptance of international norms"],
                ["28.3 Adopt a plan (Chile).", "Noted", ""],
            ],
        );
        let errs = s.import_recommendations(m, &bad, "bad.docx", &actor).await.unwrap().unwrap_err();
        let got: Vec<(u64, &str)> = errs.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(got, [(2, "position"), (3, "recommendation"), (4, "themes")], "{errs:#?}");
        assert_eq!(s.recommendations(None, None, None).await.unwrap().len(), before);
        let headless = matrix_docx(false, &[["28.1 Ratify the ICCPR (Mongolia);", "Supported", "A12 Acceptance"]]);
        assert_eq!(s.import_recommendations(m, &headless, "x.docx", &actor).await.unwrap().unwrap_err()[0].column, "header");
        let garbage = s.import_recommendations(m, b"not a document", "x.docx", &actor).await.unwrap().unwrap_err();
        assert!(garbage[0].expected.contains("Word document"), "{garbage:#?}");
    }
}

/// The poverty cluster (which links a recommendation to the poverty indicators and measures)
/// against an expert's reading of China's third-cycle recommendations
/// (`data/labels/upr-cycle3-poverty-cluster.csv`: every recommendation either the keyword rules
/// or OHCHR's themes put in the cluster, labelled by whether poverty or an adequate standard of
/// living is what it asks for). OHCHR's classification, not a passing word, decides.
#[tokio::test]
async fn the_poverty_cluster_is_precise_on_a_labelled_sample() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::connect(&testing::fresh_sqlite_url(dir.path())).await.unwrap();
    s.seed_reference().await.unwrap();
    s.load_demo_follow_up().await.unwrap();
    let labels = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/labels/upr-cycle3-poverty-cluster.csv");
    let mut rdr = csv::Reader::from_path(labels).unwrap();
    let labelled: std::collections::HashMap<String, bool> =
        rdr.records().map(|r| r.unwrap()).map(|r| (r[0].to_string(), &r[1] == "yes")).collect();
    let cluster: Vec<String> = s
        .recommendations(Some("31"), None, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.clusters.iter().any(|c| c == "poverty"))
        .map(|r| r.uid)
        .collect();
    assert!(cluster.iter().all(|u| labelled.contains_key(u)), "a member outside the labelled sample: label it");
    let hits = cluster.iter().filter(|u| labelled[*u]).count();
    let relevant = labelled.values().filter(|v| **v).count();
    let (precision, recall) = (hits as f64 / cluster.len() as f64, hits as f64 / relevant as f64);
    // Measured: 20 of 27 (74 %), recalling 20 of the 22 the expert marked; keywords alone gave 13 of 21.
    assert!(precision >= 0.74 && recall >= 0.9, "precision {hits}/{} recall {hits}/{relevant}", cluster.len());
}

/// The follow-up rules suggest a measure or an indicator only where the recommendation asks
/// about it; a person confirms a suggestion or removes it, each audited.
#[tokio::test]
async fn rule_links_are_suggested_until_a_person_confirms_them() {
    let dir = tempfile::tempdir().unwrap();
    for url in testing::fresh_urls(dir.path()).await {
        let s = Store::connect(&url).await.unwrap();
        s.seed_reference().await.unwrap();
        s.load_demo().await.unwrap();
        s.load_demo_follow_up().await.unwrap();
        let find = |q: &str| RecommendationFilter { q: Some(q.into()), ..Default::default() };
        let r = s.follow_up(&find(ECUADOR), &Visibility::All, false).await.unwrap().remove(0);
        let m = r.measures.iter().find(|m| m.code == "TARGETED_POVERTY_ALLEVIATION").unwrap();
        assert!(m.suggested);
        assert!(r.evidence.iter().all(|e| e.suggested));
        // Not every measure of the cluster: fighting poverty is not relocation or east-west cooperation.
        assert!(
            !r.measures.iter().any(|m| m.code == "RELOCATION_FOR_POVERTY_ALLEVIATION" || m.code == "EAST_WEST_COOPERATION"),
            "{:?}",
            r.measures
        );
        // Sharing experience abroad: nothing the statistics or the measures register answer.
        let share =
            s.follow_up(&find("Continue sharing its best practices concerning poverty reduction"), &Visibility::All, false).await.unwrap();
        assert!(!share.is_empty() && share.iter().all(|r| r.measures.is_empty() && r.evidence.is_empty()), "{share:?}");
        // A person confirms the measure and rejects the indicator.
        let uid = r.recommendation.uid.clone();
        let admin = Actor::new("admin", None);
        let before = s.verify_audit().await.unwrap().records;
        s.link_measure("TARGETED_POVERTY_ALLEVIATION", &uid, &admin).await.unwrap();
        let ind = r.evidence[0].indicator.clone();
        s.unlink(&uid, "indicator", &ind, &admin).await.unwrap();
        assert!(s.unlink(&uid, "indicator", &ind, &admin).await.is_err(), "nothing left to remove");
        assert_eq!(s.verify_audit().await.unwrap().records, before + 2);
        let after = s.follow_up(&find(ECUADOR), &Visibility::All, false).await.unwrap().remove(0);
        assert!(!after.measures.iter().find(|m| m.code == "TARGETED_POVERTY_ALLEVIATION").unwrap().suggested);
        assert!(after.evidence.iter().all(|e| e.indicator != ind));
        // The rules run again (a reload) leave the person's decisions alone: the confirmed link
        // stays confirmed. (A removed suggestion would come back: remove the rule's keyword too.)
        s.load_demo_follow_up().await.unwrap();
        let again = s.follow_up(&find(ECUADOR), &Visibility::All, false).await.unwrap().remove(0);
        assert!(!again.measures.iter().find(|m| m.code == "TARGETED_POVERTY_ALLEVIATION").unwrap().suggested);
    }
}

/// The precision of the follow-up rules' links, on the links of the second and third UPR
/// cycles labelled by hand (data/labels/recommendation-links.csv): the third cycle is the
/// sample the keywords were written against, the second was labelled after, held out. Every
/// link the rules make in those cycles must be labelled, so a changed rule is relabelled.
#[tokio::test]
async fn link_precision_on_the_labelled_sample() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::connect(&testing::fresh_sqlite_url(dir.path())).await.unwrap();
    s.seed_reference().await.unwrap();
    s.load_demo().await.unwrap();
    s.load_demo_follow_up().await.unwrap();
    let labels = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/labels/recommendation-links.csv");
    let mut label: std::collections::HashMap<(String, String, String), (bool, String)> = Default::default();
    for r in csv::Reader::from_path(labels).unwrap().records() {
        let r = r.unwrap();
        label.insert((r[0].to_string(), r[2].to_string(), r[3].to_string()), (&r[4] == "yes", r[5].to_string()));
    }
    let mut seen = 0;
    let mut counts: std::collections::BTreeMap<(String, &str), (usize, usize)> = Default::default();
    for cycle in [2, 3] {
        let f = RecommendationFilter { mechanism: Some("UPR".into()), cycle: Some(cycle), ..Default::default() };
        for r in s.follow_up(&f, &Visibility::All, false).await.unwrap() {
            let links = r.measures.iter().map(|m| ("measure", &m.code)).chain(r.evidence.iter().map(|e| ("indicator", &e.indicator)));
            for (kind, code) in links {
                let key = (r.recommendation.uid.clone(), kind.to_string(), code.clone());
                let (correct, sample) = label.get(&key).unwrap_or_else(|| panic!("unlabelled link {key:?}: label it in {labels}"));
                let c = counts.entry((sample.clone(), kind)).or_default();
                c.0 += 1;
                c.1 += *correct as usize;
                seen += 1;
            }
        }
    }
    assert_eq!(seen, label.len(), "labels for links the rules no longer make: remove them");
    let precision = |sample: &str, kind: Option<&str>| {
        let (n, ok) = counts
            .iter()
            .filter(|((s, k), _)| s == sample && kind.is_none_or(|x| x == *k))
            .fold((0, 0), |a, (_, c)| (a.0 + c.0, a.1 + c.1));
        ok as f64 / n as f64
    };
    eprintln!("link precision: {counts:?}");
    // The figures the README states.
    assert!(precision("held-out", None) >= 0.73, "{}", precision("held-out", None));
    assert!(precision("held-out", Some("indicator")) >= 0.86);
    assert!(precision("tuning", None) >= 0.95);
}
