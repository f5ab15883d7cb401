-- Release as its own act. Approval locks a submission and rolls it up; only a release makes
-- figures public. Keep in step with ../postgres/0008_release.sql.

-- The instant a vintage became (or becomes, under embargo) public when it was released on its
-- own by a round's release; NULL when it is public only through its batch (batch.published_at)
-- or not at all. The public sees, for every key, the latest vintage whose release instant has
-- passed (COALESCE(released_at, batch.published_at) <= now).
ALTER TABLE observation ADD COLUMN released_at TEXT;
-- Notes carry an audience: `footnote` is public, `internal_note` (provenance such as the
-- reprint a figure was read from, data-cleaning notes) is for signed-in users only.
ALTER TABLE observation ADD COLUMN internal_note TEXT NOT NULL DEFAULT '';
-- A derived figure's completeness: children reporting, of those expected.
ALTER TABLE observation ADD COLUMN children_reporting INTEGER;
ALTER TABLE observation ADD COLUMN children_expected INTEGER;

-- When the batch's figures were accepted (an approval, or a computation from accepted
-- figures): the roll-up reads accepted figures, the public released ones.
ALTER TABLE batch ADD COLUMN approved_at TEXT;
-- The round whose submission or roll-up wrote the batch.
ALTER TABLE batch ADD COLUMN round_id INTEGER;
UPDATE batch SET approved_at = published_at WHERE published_at IS NOT NULL;

-- Each release of a round's figures of one indicator and period, by the lead department.
CREATE TABLE round_release (
    id INTEGER PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES collection_round (id),
    indicator_code TEXT NOT NULL,
    period TEXT NOT NULL,
    -- The public instant: now, or an embargo time.
    release_at TEXT NOT NULL,
    released_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    -- 'manual', or the round's release rule that held.
    trigger TEXT NOT NULL,
    values_released INTEGER NOT NULL
);
CREATE INDEX round_release_key ON round_release (round_id, indicator_code, period);

-- Release automatically when at least this share (%) of the expected tasks are approved.
ALTER TABLE collection_round ADD COLUMN release_when_pct REAL;
