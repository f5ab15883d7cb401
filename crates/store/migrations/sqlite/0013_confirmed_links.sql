-- A link between a recommendation and a measure or an indicator is made by a rule (suggested)
-- or by a person (confirmed): who confirmed it and when; NULL while it is only suggested.
ALTER TABLE measure_recommendation ADD COLUMN confirmed_by TEXT;
ALTER TABLE measure_recommendation ADD COLUMN confirmed_at TEXT;
ALTER TABLE recommendation_indicator ADD COLUMN confirmed_by TEXT;
ALTER TABLE recommendation_indicator ADD COLUMN confirmed_at TEXT;
