-- Follow-up of recommendations: measures, links to indicators and departments, assessments.
-- Keep in step with ../postgres/0004_follow_up.sql.
ALTER TABLE recommendation ADD COLUMN affected_persons TEXT NOT NULL DEFAULT '';
ALTER TABLE recommendation ADD COLUMN sdgs TEXT NOT NULL DEFAULT '';
ALTER TABLE recommendation ADD COLUMN clusters TEXT NOT NULL DEFAULT '';
-- Identifiers in the sources (e.g. the UHRI's OHCHR annotation id).
ALTER TABLE recommendation ADD COLUMN external_ids TEXT NOT NULL DEFAULT '';
-- Publication date of the document, YYYY-MM-DD, when the source gives it.
ALTER TABLE recommendation ADD COLUMN issued_on TEXT;
CREATE INDEX recommendation_document ON recommendation (document_symbol, paragraph);

-- A later recommendation that repeats (same text, later cycle) or cites an earlier one.
CREATE TABLE recommendation_link (
    from_uid TEXT NOT NULL REFERENCES recommendation (uid),
    to_uid TEXT NOT NULL REFERENCES recommendation (uid),
    kind TEXT NOT NULL CHECK (kind IN ('repeats', 'cites')),
    PRIMARY KEY (from_uid, to_uid)
);

-- Policies and programmes of the State, described for an international reader.
CREATE TABLE measure (
    code TEXT PRIMARY KEY,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    local_term TEXT NOT NULL DEFAULT '',
    description_en TEXT NOT NULL DEFAULT '',
    description_zh TEXT NOT NULL DEFAULT '',
    legal_basis TEXT NOT NULL DEFAULT '',
    department_code TEXT REFERENCES department (code),
    start_date TEXT,
    end_date TEXT,
    budget REAL,
    budget_unit TEXT NOT NULL DEFAULT '',
    icescr_articles TEXT NOT NULL DEFAULT '',
    sdg_targets TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE TABLE measure_recommendation (
    measure_code TEXT NOT NULL REFERENCES measure (code),
    uid TEXT NOT NULL REFERENCES recommendation (uid),
    PRIMARY KEY (measure_code, uid)
);
CREATE TABLE measure_indicator (
    measure_code TEXT NOT NULL REFERENCES measure (code),
    indicator_code TEXT NOT NULL REFERENCES indicator (code),
    PRIMARY KEY (measure_code, indicator_code)
);

-- Indicators that show the result of a recommendation, with the breakdowns it asks for.
CREATE TABLE recommendation_indicator (
    uid TEXT NOT NULL REFERENCES recommendation (uid),
    indicator_code TEXT NOT NULL REFERENCES indicator (code),
    breakdowns TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (uid, indicator_code)
);
CREATE TABLE recommendation_department (
    uid TEXT NOT NULL REFERENCES recommendation (uid),
    department_code TEXT NOT NULL REFERENCES department (code),
    role TEXT NOT NULL CHECK (role IN ('lead', 'contributing')),
    PRIMARY KEY (uid, department_code)
);
CREATE INDEX recommendation_department_code ON recommendation_department (department_code);

-- Dated judgements of implementation, by the government and, side by side, independent assessors.
CREATE TABLE assessment (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL REFERENCES recommendation (uid),
    assessor TEXT NOT NULL CHECK (assessor IN ('government', 'nhri', 'civil_society')),
    assessor_name TEXT NOT NULL,
    assessed_on TEXT NOT NULL,
    status TEXT NOT NULL,
    text TEXT NOT NULL DEFAULT '',
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX assessment_uid ON assessment (uid, assessed_on);
