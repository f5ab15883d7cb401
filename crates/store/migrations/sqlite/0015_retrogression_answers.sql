-- The responsible department's answers to the Committee's questions of a retrogressive step
-- (E/C.12/2007/1; General Comment No. 3, para. 9). A case is a flagged step of a published
-- series: indicator, area, cell and the year the figure went back to. Answers are never
-- overwritten: a revised answer is a new version, and every version is audited.
CREATE TABLE retrogression_answer (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    indicator TEXT NOT NULL,
    area TEXT NOT NULL,
    cell_key TEXT NOT NULL DEFAULT '',
    to_year INTEGER NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    -- The figures the answer was given for (they may be revised later).
    from_year INTEGER NOT NULL,
    from_value REAL NOT NULL,
    to_value REAL NOT NULL,
    department TEXT NOT NULL,
    -- rightstat_core::retrogression::Justification as JSON.
    justification TEXT NOT NULL,
    answered_by TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    UNIQUE (indicator, area, cell_key, to_year, version)
);
