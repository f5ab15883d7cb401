-- "My tasks" finds a caller's tasks by area (the subtree of each of the caller's areas, by
-- parent links) in each open round: one village's task among 54,145 by this index.
CREATE INDEX round_task_area ON round_task (area_code, round_id);

-- The current vintage of each key: the roll-up reads the latest accepted vintage from here,
-- without visiting the superseded ones (a province's total is revised at each approval).
CREATE INDEX observation_current ON observation (indicator_code, area_code, period, cell_key) WHERE superseded_at IS NULL;
