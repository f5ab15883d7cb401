//! SDMX 2.1 structure messages (SDMX-ML), so that standard clients (sdmx1, rsdmx, .Stat Suite)
//! can discover the data: the dataflow `RIGHTSTAT:DF_RIGHTSTAT(1.0)`, its data structure
//! definition `DSD_RIGHTSTAT`, the concept scheme `CS_RIGHTSTAT` and the codelists its
//! dimensions and attributes take their codes from — in English and Chinese. The DSD's key is
//! the one the data messages and the REST key use ([`Site::key`]): INDICATOR, REF_AREA, every
//! disaggregation dimension in alphabetical order, then TIME_PERIOD.

use crate::site::Site;
use std::collections::BTreeMap;
use std::fmt::Write;

pub const AGENCY: &str = "RIGHTSTAT";
pub const VERSION: &str = "1.0";
pub const DSD: &str = "DSD_RIGHTSTAT";
pub const CONCEPTS: &str = "CS_RIGHTSTAT";

/// Which structures a query asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Dataflow,
    DataStructure,
    ConceptScheme,
    Codelist,
}

impl Resource {
    pub fn parse(s: &str) -> Option<Resource> {
        Some(match s {
            "dataflow" => Resource::Dataflow,
            "datastructure" => Resource::DataStructure,
            "conceptscheme" => Resource::ConceptScheme,
            "codelist" => Resource::Codelist,
            _ => return None,
        })
    }
}

/// A structure query that matched nothing, or that this service cannot answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StructureError {
    #[error("no {0} '{1}' here: this service has agency RIGHTSTAT, version 1.0 ({2})")]
    NotFound(&'static str, String, String),
    #[error("references={0}: expected none, parents, parentsandsiblings, children, descendants or all")]
    References(String),
    #[error("detail={0}: expected full, allstubs, referencestubs, allcompletestubs, referencecompletestubs or referencepartial")]
    Detail(String),
}

/// How much of each structure a structure query returns (SDMX 2.1 REST `detail`): in full, or
/// as stubs (the identity and names, nothing inside) for all of them or for the referenced ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StructureDetail {
    Full,
    AllStubs,
    ReferenceStubs,
}

impl StructureDetail {
    fn parse(s: &str) -> Result<StructureDetail, StructureError> {
        Ok(match s {
            // Every code of a codelist is referenced by the data structure, so a partial list is the full one.
            "" | "full" | "referencepartial" => StructureDetail::Full,
            // A complete stub adds descriptions and annotations, which these structures do not have.
            "allstubs" | "allcompletestubs" => StructureDetail::AllStubs,
            "referencestubs" | "referencecompletestubs" => StructureDetail::ReferenceStubs,
            other => return Err(StructureError::Detail(other.into())),
        })
    }
}

/// Text as XML holds it: without the control characters XML forbids, and escaped.
pub(crate) fn esc(s: &str) -> String {
    rightstat_design::escape(&rightstat_core::text::xml_safe(s))
}

fn names(out: &mut String, en: &str, zh: &str) {
    let _ = write!(out, "<com:Name xml:lang=\"en\">{}</com:Name>", esc(en));
    if !zh.is_empty() {
        let _ = write!(out, "<com:Name xml:lang=\"zh\">{}</com:Name>", esc(zh));
    }
}

/// An id with its English and Chinese names.
type Named = (String, String, String);
/// A codelist: its id and names, and its codes with theirs.
type Codelist = (String, String, String, Vec<Named>);

/// A codelist's id for a dimension or attribute.
pub fn codelist_id(concept: &str) -> String {
    format!("CL_{concept}")
}

impl Site {
    /// An SDMX-ML 2.1 structure message up to its `<mes:Structures>`: the namespaces and a header
    /// naming the message `id`, prepared when the newest public figure was recorded.
    fn message_start(&self, id: &str) -> String {
        let prepared = if self.as_of.len() >= 19 { &self.as_of[..19] } else { "2000-01-01T00:00:00" };
        format!(
            concat!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
                "<mes:Structure xmlns:mes=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message\" ",
                "xmlns:str=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure\" ",
                "xmlns:com=\"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common\">\n",
                "<mes:Header><mes:ID>{id}</mes:ID><mes:Test>false</mes:Test><mes:Prepared>{prepared}</mes:Prepared>",
                "<mes:Sender id=\"{agency}\"/></mes:Header>\n<mes:Structures>\n"
            ),
            id = id,
            prepared = prepared,
            agency = AGENCY
        )
    }

    /// Every codelist: (id, English name, Chinese name, codes with their names).
    fn codelists(&self) -> Vec<Codelist> {
        let mut out = Vec::new();
        let indicators = self.published_indicators().map(|d| (d.code.clone(), d.name_en.clone(), d.name_zh.clone())).collect();
        out.push((codelist_id("INDICATOR"), "Indicator".into(), "指标".into(), indicators));
        let areas = self.ref_areas.iter().map(|(c, (en, zh))| (c.clone(), en.clone(), zh.clone())).collect();
        out.push((codelist_id("REF_AREA"), "Reference area".into(), "地区".into(), areas));
        for dim in &self.key_dimensions {
            let n = self.dimensions.get(dim);
            let mut codes: Vec<(String, String, String)> =
                vec![("_T".into(), "Total".into(), "合计".into()), ("_Z".into(), "Not applicable".into(), "不适用".into())];
            for c in self.code_order.get(dim).into_iter().flatten() {
                let cn = self.codes.get(&(dim.clone(), c.clone()));
                codes.push((c.clone(), cn.map_or(c.clone(), |x| x.en.clone()), cn.map_or(String::new(), |x| x.zh.clone())));
            }
            out.push((codelist_id(dim), n.map_or(dim.clone(), |x| x.en.clone()), n.map_or(String::new(), |x| x.zh.clone()), codes));
        }
        let mut units: Vec<(String, String, String)> = self.units.iter().map(|(c, n)| (c.clone(), n.en.clone(), n.zh.clone())).collect();
        units.sort();
        out.push((codelist_id("UNIT_MEASURE"), "Unit of measure".into(), "计量单位".into(), units));
        let mults = [
            ("0", "Units", "个"),
            ("2", "Hundreds", "百"),
            ("3", "Thousands", "千"),
            ("4", "Tens of thousands", "万"),
            ("6", "Millions", "百万"),
            ("8", "Hundreds of millions", "亿"),
        ];
        // A codelist fixed by the standard: its id, names and codes with theirs.
        let fixed = |concept: &str, en: &str, zh: &str, codes: &[(&str, &str, &str)]| -> Codelist {
            let codes = codes.iter().map(|(c, e, z)| (c.to_string(), e.to_string(), z.to_string())).collect();
            (codelist_id(concept), en.into(), zh.into(), codes)
        };
        out.push(fixed("UNIT_MULT", "Unit multiplier", "倍数", &mults));
        let status = [
            ("A", "Normal value", "正常值"),
            ("E", "Estimated value", "估计值"),
            ("P", "Provisional value", "初步值"),
            ("O", "Missing value", "缺失值"),
            ("Q", "Missing value; suppressed", "缺失值（不予公布）"),
        ];
        out.push(fixed("OBS_STATUS", "Observation status", "观测值状态", &status));
        out
    }

    /// The concepts: every dimension, TIME_PERIOD, OBS_VALUE and the attributes.
    pub(crate) fn concepts(&self) -> Vec<(String, String, String)> {
        let mut out = vec![
            ("INDICATOR".to_string(), "Indicator".to_string(), "指标".to_string()),
            ("REF_AREA".into(), "Reference area".into(), "地区".into()),
        ];
        for d in &self.key_dimensions {
            let n = self.dimensions.get(d);
            out.push((d.clone(), n.map_or(d.clone(), |x| x.en.clone()), n.map_or(String::new(), |x| x.zh.clone())));
        }
        for (c, en, zh) in [
            ("TIME_PERIOD", "Time period", "时期"),
            ("OBS_VALUE", "Observation value", "观测值"),
            ("UNIT_MEASURE", "Unit of measure", "计量单位"),
            ("UNIT_MULT", "Unit multiplier", "倍数"),
            ("OBS_STATUS", "Observation status", "观测值状态"),
            ("SOURCE_DETAIL", "Source", "来源"),
            ("COMMENT_OBS", "Footnote", "注释"),
            ("COMPLETENESS", "Reporting completeness (units reporting of those expected)", "报送完整性（已报送单位数／应报送单位数）"),
        ] {
            out.push((c.into(), en.into(), zh.into()));
        }
        out
    }

    /// The structure message for `resource` and `id` (`all` or an id), with the structures its
    /// `references` add (`children`/`descendants`/`all` for a dataflow or DSD: the DSD, concepts
    /// and codelists; `parents` for a DSD: the dataflow).
    pub fn structure(
        &self,
        resource: Resource,
        agency: &str,
        id: &str,
        version: &str,
        references: &str,
        detail: &str,
    ) -> Result<String, StructureError> {
        let detail = StructureDetail::parse(detail)?;
        let stub = |kind: Resource| match detail {
            StructureDetail::Full => false,
            StructureDetail::AllStubs => true,
            StructureDetail::ReferenceStubs => kind != resource,
        };
        let any = |x: &str| matches!(x, "all" | "*" | "");
        if !(any(agency) || agency == AGENCY) || !(any(version) || matches!(version, "latest" | "~" | VERSION)) {
            return Err(StructureError::NotFound("structure", format!("{agency},{id},{version}"), "RIGHTSTAT,…,1.0".into()));
        }
        let children = match references {
            "" | "none" => false,
            "children" | "descendants" | "all" => true,
            "parents" | "parentsandsiblings" => false,
            other => return Err(StructureError::References(other.into())),
        };
        let parents = matches!(references, "parents" | "parentsandsiblings" | "all");
        let codelists = self.codelists();
        let (mut flow, mut dsd, mut concepts, mut lists): (bool, bool, bool, Vec<&str>) = (false, false, false, Vec::new());
        match resource {
            Resource::Dataflow => {
                if !(any(id) || id == crate::data::DATAFLOW) {
                    return Err(StructureError::NotFound("dataflow", id.into(), crate::data::DATAFLOW.into()));
                }
                flow = true;
                dsd = children;
                concepts = references == "descendants" || references == "all";
                if concepts {
                    lists = codelists.iter().map(|c| c.0.as_str()).collect();
                }
            }
            Resource::DataStructure => {
                if !(any(id) || id == DSD) {
                    return Err(StructureError::NotFound("datastructure", id.into(), DSD.into()));
                }
                dsd = true;
                flow = parents;
                concepts = children;
                if children {
                    lists = codelists.iter().map(|c| c.0.as_str()).collect();
                }
            }
            Resource::ConceptScheme => {
                if !(any(id) || id == CONCEPTS) {
                    return Err(StructureError::NotFound("conceptscheme", id.into(), CONCEPTS.into()));
                }
                concepts = true;
            }
            Resource::Codelist => {
                lists = codelists.iter().map(|c| c.0.as_str()).filter(|c| any(id) || *c == id).collect();
                if lists.is_empty() {
                    let known = codelists.iter().map(|c| c.0.as_str()).collect::<Vec<_>>().join(", ");
                    return Err(StructureError::NotFound("codelist", id.into(), known));
                }
            }
        }
        let mut s = self.message_start("RIGHTSTAT_STRUCTURE");
        let attrs_of = |kind: Resource| {
            format!(
                "agencyID=\"{AGENCY}\" version=\"{VERSION}\" isFinal=\"true\"{}",
                if stub(kind) { " isExternalReference=\"true\"" } else { "" }
            )
        };
        if flow {
            let _ = write!(s, "<str:Dataflows><str:Dataflow id=\"{}\" {}>", crate::data::DATAFLOW, attrs_of(Resource::Dataflow));
            names(&mut s, "Human-rights statistics: poverty and an adequate standard of living", "人权统计：减贫与适足生活水准");
            if !stub(Resource::Dataflow) {
                let _ = write!(
                    s,
                    "<str:Structure><Ref id=\"{DSD}\" version=\"{VERSION}\" agencyID=\"{AGENCY}\" package=\"datastructure\" class=\"DataStructure\"/></str:Structure>"
                );
            }
            s.push_str("</str:Dataflow></str:Dataflows>\n");
        }
        if !lists.is_empty() {
            s.push_str("<str:Codelists>");
            for (cid, en, zh, codes) in codelists.iter().filter(|c| lists.contains(&c.0.as_str())) {
                let _ = write!(s, "<str:Codelist id=\"{cid}\" {}>", attrs_of(Resource::Codelist));
                names(&mut s, en, zh);
                for (code, cen, czh) in codes.iter().filter(|_| !stub(Resource::Codelist)) {
                    let _ = write!(s, "<str:Code id=\"{}\">", esc(code));
                    names(&mut s, cen, czh);
                    s.push_str("</str:Code>");
                }
                s.push_str("</str:Codelist>");
            }
            s.push_str("</str:Codelists>\n");
        }
        if concepts {
            let _ = write!(s, "<str:Concepts><str:ConceptScheme id=\"{CONCEPTS}\" {}>", attrs_of(Resource::ConceptScheme));
            names(&mut s, "RightStat concepts", "RightStat概念");
            for (c, en, zh) in self.concepts().into_iter().filter(|_| !stub(Resource::ConceptScheme)) {
                let _ = write!(s, "<str:Concept id=\"{c}\">");
                names(&mut s, &en, &zh);
                s.push_str("</str:Concept>");
            }
            s.push_str("</str:ConceptScheme></str:Concepts>\n");
        }
        if dsd {
            let concept = |c: &str| {
                format!(
                    "<str:ConceptIdentity><Ref id=\"{c}\" maintainableParentID=\"{CONCEPTS}\" maintainableParentVersion=\"{VERSION}\" agencyID=\"{AGENCY}\" package=\"conceptscheme\" class=\"Concept\"/></str:ConceptIdentity>"
                )
            };
            let enumeration = |c: &str| {
                format!(
                    "<str:LocalRepresentation><str:Enumeration><Ref id=\"{}\" version=\"{VERSION}\" agencyID=\"{AGENCY}\" package=\"codelist\" class=\"Codelist\"/></str:Enumeration></str:LocalRepresentation>",
                    codelist_id(c)
                )
            };
            let _ = write!(s, "<str:DataStructures><str:DataStructure id=\"{DSD}\" {}>", attrs_of(Resource::DataStructure));
            names(&mut s, "RightStat data structure", "RightStat数据结构");
            if stub(Resource::DataStructure) {
                s.push_str("</str:DataStructure></str:DataStructures>\n</mes:Structures>\n</mes:Structure>\n");
                return Ok(s);
            }
            s.push_str("<str:DataStructureComponents><str:DimensionList id=\"DimensionDescriptor\">");
            let key = self.key();
            for (i, d) in key.iter().enumerate() {
                let _ = write!(s, "<str:Dimension id=\"{d}\" position=\"{}\">{}{}</str:Dimension>", i + 1, concept(d), enumeration(d));
            }
            let _ = write!(
                s,
                "<str:TimeDimension id=\"TIME_PERIOD\" position=\"{}\">{}<str:LocalRepresentation><str:TextFormat textType=\"ObservationalTimePeriod\"/></str:LocalRepresentation></str:TimeDimension>",
                key.len() + 1,
                concept("TIME_PERIOD")
            );
            s.push_str("</str:DimensionList><str:AttributeList id=\"AttributeDescriptor\">");
            for a in ["UNIT_MEASURE", "UNIT_MULT", "OBS_STATUS"] {
                let _ = write!(
                    s,
                    "<str:Attribute id=\"{a}\" assignmentStatus=\"Mandatory\">{}{}<str:AttributeRelationship><str:PrimaryMeasure><Ref id=\"OBS_VALUE\"/></str:PrimaryMeasure></str:AttributeRelationship></str:Attribute>",
                    concept(a),
                    enumeration(a)
                );
            }
            for a in ["SOURCE_DETAIL", "COMMENT_OBS", "COMPLETENESS"] {
                let _ = write!(
                    s,
                    "<str:Attribute id=\"{a}\" assignmentStatus=\"Conditional\">{}<str:AttributeRelationship><str:PrimaryMeasure><Ref id=\"OBS_VALUE\"/></str:PrimaryMeasure></str:AttributeRelationship></str:Attribute>",
                    concept(a)
                );
            }
            let _ = write!(
                s,
                "</str:AttributeList><str:MeasureList id=\"MeasureDescriptor\"><str:PrimaryMeasure id=\"OBS_VALUE\">{}</str:PrimaryMeasure></str:MeasureList>",
                concept("OBS_VALUE")
            );
            s.push_str("</str:DataStructureComponents></str:DataStructure></str:DataStructures>\n");
        }
        s.push_str("</mes:Structures>\n</mes:Structure>\n");
        Ok(s)
    }

    /// An SDMX-ML 2.1 structure message holding the actual content constraint of a data query:
    /// for each dimension, the codes that have public observations among the series the
    /// (partial) key selects — what a data explorer offers in its filters. `None` when nothing
    /// matches.
    pub async fn available(&self, q: &crate::data::Query) -> Result<Option<String>, crate::PortalError> {
        let rows = self.select(q).await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let key = self.key();
        let mut codes: BTreeMap<&str, std::collections::BTreeSet<String>> = BTreeMap::new();
        for r in &rows {
            for d in &key {
                codes.entry(d).or_default().insert(crate::messages::code_of(r, d).to_string());
            }
        }
        let periods: Vec<&str> = rows.iter().map(|r| r.period.as_str()).collect();
        let (start, end) = (periods.iter().min().copied().unwrap_or(""), periods.iter().max().copied().unwrap_or(""));
        Ok(Some(self.constraint(&key, &codes, start, end)))
    }

    /// The content constraint of the whole dataflow, from the snapshot's summaries (no figure
    /// is read): every code some public figure uses. `None` when nothing is public.
    pub fn available_all(&self) -> Option<String> {
        if self.summaries.is_empty() {
            return None;
        }
        let key = self.key();
        let mut codes: BTreeMap<&str, std::collections::BTreeSet<String>> = BTreeMap::new();
        codes.insert("INDICATOR", self.summaries.keys().cloned().collect());
        codes.insert("REF_AREA", self.ref_areas.keys().cloned().collect());
        for d in &key[2..] {
            let set = codes.entry(d).or_default();
            for summary in self.summaries.values() {
                match summary.cells.get(*d) {
                    Some(used) => set.extend(used.iter().cloned()),
                    None => {
                        set.insert(rightstat_core::codelist::TOTAL.to_string());
                    }
                }
            }
        }
        let periods = self.summaries.values().flat_map(|s| s.periods.iter().map(String::as_str));
        let (start, end) = (periods.clone().min().unwrap_or(""), periods.max().unwrap_or(""));
        Some(self.constraint(&key, &codes, start, end))
    }

    fn constraint(&self, key: &[&str], codes: &BTreeMap<&str, std::collections::BTreeSet<String>>, start: &str, end: &str) -> String {
        let mut s = self.message_start("RIGHTSTAT_AVAILABILITY");
        let _ = write!(
            s,
            "<str:Constraints><str:ContentConstraint id=\"CC_AVAILABLE\" agencyID=\"{AGENCY}\" version=\"{VERSION}\" isFinal=\"false\" type=\"Actual\">"
        );
        names(&mut s, "Codes with public observations for the query", "查询所涉有公开数据的代码");
        let _ = write!(
            s,
            "<str:ConstraintAttachment><str:Dataflow><Ref id=\"{}\" version=\"{VERSION}\" agencyID=\"{AGENCY}\" package=\"datastructure\" class=\"Dataflow\"/></str:Dataflow></str:ConstraintAttachment>",
            crate::data::DATAFLOW
        );
        let _ = write!(s, "<str:CubeRegion include=\"true\">");
        for d in key {
            let _ = write!(s, "<com:KeyValue id=\"{d}\">");
            for c in codes.get(d).into_iter().flatten() {
                let _ = write!(s, "<com:Value>{}</com:Value>", esc(c));
            }
            s.push_str("</com:KeyValue>");
        }
        let _ = write!(
            s,
            "<com:KeyValue id=\"TIME_PERIOD\"><com:TimeRange><com:StartPeriod isInclusive=\"true\">{}</com:StartPeriod><com:EndPeriod isInclusive=\"true\">{}</com:EndPeriod></com:TimeRange></com:KeyValue>",
            esc(start),
            esc(end)
        );
        s.push_str("</str:CubeRegion></str:ContentConstraint></str:Constraints>\n</mes:Structures>\n</mes:Structure>\n");
        s
    }
}
