-- Bumped by every change to what an import row is checked against (indicators and their
-- versions, code lists and codes, units and conversions), in the transaction of the change, so
-- that each server process can keep the decoded catalogue in memory and read it again only
-- when it changed, instead of decoding every indicator's definition for each submission.
-- Triggers, not application code: a change made by any path (seed, API, SQL) is seen.
CREATE TABLE catalogue_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO catalogue_generation (id, generation) VALUES (1, 0);

CREATE FUNCTION bump_catalogue_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalogue_generation SET generation = generation + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER indicator_catalogue AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON indicator
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_generation();
CREATE TRIGGER indicator_version_catalogue AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON indicator_version
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_generation();
CREATE TRIGGER codelist_catalogue AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON codelist
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_generation();
CREATE TRIGGER code_catalogue AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON code
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_generation();
CREATE TRIGGER unit_catalogue AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON unit
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_generation();
CREATE TRIGGER unit_conversion_catalogue AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON unit_conversion
    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_generation();
