-- Recommendations of the UN mechanisms. Keep in step with ../postgres/0003_recommendations.sql.
-- One row per recommendation (uid: mechanism, session, hash of the normalised text): the same
-- text made by several States, or imported from several sources, is one recommendation.
CREATE TABLE recommendation (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    mechanism TEXT NOT NULL,
    state_under_review TEXT NOT NULL,
    cycle INTEGER,
    session TEXT NOT NULL,
    year INTEGER,
    document_symbol TEXT,
    paragraph TEXT,
    text TEXT NOT NULL,
    response TEXT,
    action_category INTEGER,
    themes TEXT NOT NULL DEFAULT '',
    recommending_states TEXT NOT NULL DEFAULT '',
    regional_groups TEXT NOT NULL DEFAULT '',
    sources TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX recommendation_session ON recommendation (mechanism, session);
