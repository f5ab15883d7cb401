-- RightStat schema, SQLite. Keep in step with ../postgres/0001_init.sql; never edit an
-- applied migration: add a new file.

CREATE TABLE codelist (
    id TEXT PRIMARY KEY,
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE code (
    codelist_id TEXT NOT NULL REFERENCES codelist (id),
    code TEXT NOT NULL,
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (codelist_id, code)
);

CREATE TABLE unit (
    code TEXT PRIMARY KEY,
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL
);

CREATE TABLE unit_conversion (
    from_unit TEXT NOT NULL REFERENCES unit (code),
    to_unit TEXT NOT NULL REFERENCES unit (code),
    multiply REAL NOT NULL,
    divide REAL NOT NULL,
    PRIMARY KEY (from_unit, to_unit)
);

CREATE TABLE area (
    code TEXT PRIMARY KEY,
    level TEXT NOT NULL,
    depth INTEGER NOT NULL,
    parent_code TEXT REFERENCES area (code),
    name_zh TEXT NOT NULL,
    name_en TEXT,
    valid_from TEXT,
    valid_to TEXT
);
CREATE INDEX area_parent ON area (parent_code);
CREATE INDEX area_depth ON area (depth);

-- A county merged or split: the predecessor's figures belong to the successor from change_date.
CREATE TABLE area_successor (
    predecessor TEXT NOT NULL REFERENCES area (code),
    successor TEXT NOT NULL REFERENCES area (code),
    change_date TEXT NOT NULL,
    PRIMARY KEY (predecessor, successor)
);

CREATE TABLE department (
    code TEXT PRIMARY KEY,
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    area_code TEXT NOT NULL REFERENCES area (code)
);

CREATE TABLE icescr_article (
    number INTEGER PRIMARY KEY,
    title_en TEXT NOT NULL,
    title_zh TEXT NOT NULL,
    summary_en TEXT NOT NULL
);

CREATE TABLE sdg_goal (
    goal INTEGER PRIMARY KEY,
    title_en TEXT NOT NULL,
    title_zh TEXT NOT NULL
);

CREATE TABLE sdg_target (
    code TEXT PRIMARY KEY,
    goal INTEGER NOT NULL REFERENCES sdg_goal (goal),
    text_en TEXT NOT NULL
);

CREATE TABLE sdg_indicator (
    code TEXT PRIMARY KEY,
    target TEXT NOT NULL REFERENCES sdg_target (code),
    text_en TEXT NOT NULL
);

-- The catalogue. A definition never changes in place: a new version is added and
-- observations keep the version they were reported under.
CREATE TABLE indicator (
    code TEXT PRIMARY KEY,
    current_version INTEGER NOT NULL
);

CREATE TABLE indicator_version (
    code TEXT NOT NULL REFERENCES indicator (code),
    version INTEGER NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    unit TEXT NOT NULL REFERENCES unit (code),
    unit_mult INTEGER NOT NULL,
    definition TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (code, version)
);

-- One import, submission or computation: the provenance of the observations it wrote.
CREATE TABLE batch (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    source_name TEXT NOT NULL,
    rows INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

-- Observations are never updated except to mark them superseded: a revision is a new row,
-- and the old vintage stays queryable (recorded_at .. superseded_at).
CREATE TABLE observation (
    id INTEGER PRIMARY KEY,
    indicator_code TEXT NOT NULL,
    indicator_version INTEGER NOT NULL,
    area_code TEXT NOT NULL,
    period TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    cell_key TEXT NOT NULL,
    value REAL,
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    footnote TEXT NOT NULL,
    batch_id INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    superseded_at TEXT
);
CREATE INDEX observation_key ON observation (indicator_code, area_code, period, cell_key);
