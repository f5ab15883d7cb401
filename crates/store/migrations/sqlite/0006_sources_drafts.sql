-- Two departments reporting the same figure, and drafts saved from the form.
-- Keep in step with ../postgres/0006_sources_drafts.sql.

-- The department whose figures are the official series when several report an item for the
-- same area (NULL: only one department reports it anywhere).
ALTER TABLE round_item ADD COLUMN preferred_department TEXT REFERENCES department (code);

-- Items this task reports as a second source, '|'-separated: its figures for them are kept in
-- source_value and compared with the preferred source's, not written to the official series.
ALTER TABLE round_task ADD COLUMN second_source TEXT NOT NULL DEFAULT '';

-- A second source's figures. Never updated except to mark a revision superseded.
CREATE TABLE source_value (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES round_task (id),
    indicator_code TEXT NOT NULL,
    area_code TEXT NOT NULL,
    period TEXT NOT NULL,
    cell_key TEXT NOT NULL,
    value REAL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    superseded_at TEXT
);
CREATE INDEX source_value_task ON source_value (task_id, superseded_at);
CREATE INDEX source_value_key ON source_value (indicator_code, area_code, period, cell_key);

-- The form as last saved, before it is submitted (the values as a template CSV).
CREATE TABLE task_draft (
    task_id INTEGER PRIMARY KEY REFERENCES round_task (id),
    body TEXT NOT NULL,
    saved_by TEXT NOT NULL,
    saved_at TEXT NOT NULL
);
