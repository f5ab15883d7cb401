-- Whether a unit counts or measures people (persons, a share of a population, an amount per
-- person): only such figures can be broken down by sex, age, residence, disability or ethnicity.
ALTER TABLE unit ADD COLUMN people BOOLEAN NOT NULL DEFAULT TRUE;
