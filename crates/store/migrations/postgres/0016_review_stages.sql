-- Review in stages (e.g. township, then county): the levels a round's submissions pass, lowest
-- first ('|'-separated; empty: one review above the area), and how many of its stages the
-- current submission of a task has passed. A return or a resubmission starts again at 0.
ALTER TABLE collection_round ADD COLUMN review_levels TEXT NOT NULL DEFAULT '';
ALTER TABLE round_task ADD COLUMN review_stage BIGINT NOT NULL DEFAULT 0;

-- Bumped in the transaction of every change to the area hierarchy, so that each server
-- process can keep the area index (660,000 areas with villages) in memory and reload it only
-- when it changed, instead of reading every area for each import.
CREATE TABLE area_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO area_generation (id, generation) VALUES (1, 0);

-- Observations name their area with bytewise codes (COLLATE "C"); a join on area.code compares
-- in that collation, which the primary key (default collation) cannot serve: every joined row
-- scanned the whole area table (0.1 s a row with Hebei's villages loaded). This index serves it.
CREATE INDEX area_code_bytewise ON area (code COLLATE "C");
