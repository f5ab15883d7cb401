-- The legal basis of a measure in Chinese, as Chinese drafts and pages cite it.
ALTER TABLE measure ADD COLUMN legal_basis_zh TEXT NOT NULL DEFAULT '';
