-- The constructive dialogue: lists of issues (and lists of issues prior to reporting) a
-- treaty body sends, question by question, in the languages imported.
CREATE TABLE list_of_issues (
    symbol TEXT PRIMARY KEY,
    committee TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    source_name TEXT NOT NULL DEFAULT '',
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL
);
CREATE TABLE issue_question (
    symbol TEXT NOT NULL REFERENCES list_of_issues (symbol),
    paragraph BIGINT NOT NULL CHECK (paragraph >= 1),
    heading_en TEXT NOT NULL DEFAULT '',
    heading_zh TEXT NOT NULL DEFAULT '',
    -- Covenant articles, ';'-separated.
    articles TEXT NOT NULL DEFAULT '',
    text_en TEXT NOT NULL DEFAULT '',
    text_zh TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (symbol, paragraph)
);
