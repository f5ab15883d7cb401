-- Collection rounds: the list of data to collect sent to departments at every level, their
-- tasks, submissions, review and questions. Keep in step with ../postgres/0005_collection.sql.
CREATE TABLE collection_round (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    title_en TEXT NOT NULL,
    title_zh TEXT NOT NULL,
    -- Periods to report, '|'-separated (e.g. 2023|2024).
    periods TEXT NOT NULL,
    deadline TEXT NOT NULL,
    lead_department TEXT NOT NULL REFERENCES department (code),
    status TEXT NOT NULL CHECK (status IN ('draft', 'open', 'closed')),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    opened_at TEXT
);

-- An item of the list: an indicator with the guidance for those who report it.
CREATE TABLE round_item (
    round_id INTEGER NOT NULL REFERENCES collection_round (id),
    indicator_code TEXT NOT NULL REFERENCES indicator (code),
    guidance_en TEXT NOT NULL DEFAULT '',
    guidance_zh TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (round_id, indicator_code)
);

-- Who reports what where: one task per department and area.
CREATE TABLE round_task (
    id INTEGER PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES collection_round (id),
    department_code TEXT NOT NULL REFERENCES department (code),
    area_code TEXT NOT NULL REFERENCES area (code),
    -- The round's items this task reports, '|'-separated.
    indicators TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('not_started', 'draft', 'submitted', 'returned', 'approved')),
    batch_id INTEGER,
    submitted_at TEXT,
    approved_at TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (round_id, department_code, area_code)
);
CREATE INDEX round_task_status ON round_task (round_id, status);

-- Everything that happened to a task: submissions, returns with comments, approvals.
CREATE TABLE task_event (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES round_task (id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    batch_id INTEGER
);
CREATE INDEX task_event_task ON task_event (task_id, id);

-- Technical advice: a question on an item of a task, and the lead department's answer.
CREATE TABLE round_question (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES round_task (id),
    indicator_code TEXT NOT NULL,
    question TEXT NOT NULL,
    asked_by TEXT NOT NULL,
    asked_at TEXT NOT NULL,
    answer TEXT,
    answered_by TEXT,
    answered_at TEXT,
    promoted INTEGER NOT NULL DEFAULT 0
);
