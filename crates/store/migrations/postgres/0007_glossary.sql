-- The glossary of local policy terms used by the reports; administrators edit it.
-- Keep in step with ../sqlite/0007_glossary.sql.
CREATE TABLE glossary_term (
    -- The local term in Chinese.
    zh TEXT PRIMARY KEY,
    -- The whole entry as JSON (rightstat_core::glossary::Term).
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
