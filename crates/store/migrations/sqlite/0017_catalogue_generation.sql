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
CREATE TRIGGER indicator_insert_catalogue AFTER INSERT ON indicator BEGIN UPDATE catalogue_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER indicator_update_catalogue AFTER UPDATE ON indicator BEGIN UPDATE catalogue_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER indicator_delete_catalogue AFTER DELETE ON indicator BEGIN UPDATE catalogue_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER indicator_version_insert_catalogue AFTER INSERT ON indicator_version BEGIN UPDATE catalogue_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER indicator_version_update_catalogue AFTER UPDATE ON indicator_version BEGIN UPDATE catalogue_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER indicator_version_delete_catalogue AFTER DELETE ON indicator_version BEGIN UPDATE catalogue_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER codelist_insert_catalogue AFTER INSERT ON codelist BEGIN UPDATE catalogue_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER codelist_update_catalogue AFTER UPDATE ON codelist BEGIN UPDATE catalogue_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER codelist_delete_catalogue AFTER DELETE ON codelist BEGIN UPDATE catalogue_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER code_insert_catalogue AFTER INSERT ON code BEGIN UPDATE catalogue_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER code_update_catalogue AFTER UPDATE ON code BEGIN UPDATE catalogue_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER code_delete_catalogue AFTER DELETE ON code BEGIN UPDATE catalogue_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER unit_insert_catalogue AFTER INSERT ON unit BEGIN UPDATE catalogue_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER unit_update_catalogue AFTER UPDATE ON unit BEGIN UPDATE catalogue_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER unit_delete_catalogue AFTER DELETE ON unit BEGIN UPDATE catalogue_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER unit_conversion_insert_catalogue AFTER INSERT ON unit_conversion BEGIN UPDATE catalogue_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER unit_conversion_update_catalogue AFTER UPDATE ON unit_conversion BEGIN UPDATE catalogue_generation SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER unit_conversion_delete_catalogue AFTER DELETE ON unit_conversion BEGIN UPDATE catalogue_generation SET generation = generation + 1 WHERE id = 1; END;
