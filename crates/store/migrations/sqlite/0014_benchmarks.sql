-- National benchmarks (the CESCR's IBSA procedure): a target for an indicator, area and cell,
-- with its baseline and the document it comes from. Never overwritten: a change is a new
-- version, and the latest version is the benchmark in force.
CREATE TABLE benchmark (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    indicator TEXT NOT NULL,
    area TEXT NOT NULL,
    -- The cell key (|SEX=F|URBANISATION=R|); '' for the total.
    cell_key TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL CHECK (version >= 1),
    baseline_year INTEGER NOT NULL,
    baseline_value REAL NOT NULL,
    target_year INTEGER NOT NULL,
    target_value REAL NOT NULL,
    source TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL,
    CHECK (target_year > baseline_year),
    UNIQUE (indicator, area, cell_key, version)
);
