-- Chinese texts of the ICESCR article summaries and of the SDG targets and indicators: every
-- shipped text a user reads is in both languages. Filled by the reference seed.
ALTER TABLE icescr_article ADD COLUMN summary_zh TEXT NOT NULL DEFAULT '';
ALTER TABLE sdg_target ADD COLUMN text_zh TEXT NOT NULL DEFAULT '';
ALTER TABLE sdg_indicator ADD COLUMN text_zh TEXT NOT NULL DEFAULT '';
