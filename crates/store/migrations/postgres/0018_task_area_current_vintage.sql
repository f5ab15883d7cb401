-- "My tasks" finds a caller's tasks by area (the subtree of each of the caller's areas, by
-- parent links) in each open round: one village's task among 54,145 by this index.
CREATE INDEX round_task_area ON round_task (area_code, round_id);

-- The current vintage of each key: the roll-up reads the latest accepted vintage from here,
-- without visiting the superseded ones (a province's total is revised at each approval).
CREATE INDEX observation_current ON observation (indicator_code, area_code, period, cell_key) WHERE superseded_at IS NULL;

-- A deadline grows these tables by small imports; let autovacuum refresh their statistics
-- after 2 % new rows rather than 10 % (the store also analyzes after every 10,000 rows written).
ALTER TABLE observation SET (autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE batch SET (autovacuum_analyze_scale_factor = 0.02);
