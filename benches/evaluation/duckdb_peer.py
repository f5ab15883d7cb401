#!/usr/bin/env python3
"""DuckDB (in memory) evaluates the same series as RightStat's evaluation bench.

Prints 'seconds target_met on_track needs_acceleration limited deterioration retrogressions
gaps converging'. Loading the CSV files is not timed; the timed statements compute, for every
series, its progress class by the method of rightstat_core::evaluation::assess (CAGR from the
first comparable year in the declared direction, differences near zero, the ratio to the rate a
benchmark requires), whether its latest step is retrogressive, and for every county and
indicator the rural/urban and women/men gaps with their direction.
"""
import sys, time
import duckdb

obs, bench, ind = sys.argv[1:4]
con = duckdb.connect()
con.execute(
    f"CREATE TABLE obs AS SELECT area, ind, coalesce(cell, '') AS cell, year, value FROM read_csv('{obs}', header=true, "
    "columns={'area': 'VARCHAR', 'ind': 'INTEGER', 'cell': 'VARCHAR', 'year': 'INTEGER', 'value': 'DOUBLE'})"
)
con.execute(f"CREATE TABLE bench AS SELECT * FROM read_csv('{bench}', header=true)")
con.execute(f"CREATE TABLE ind AS SELECT * FROM read_csv('{ind}', header=true)")

SERIES = """
CREATE TABLE result AS
WITH s AS (
  SELECT o.area, o.ind, o.cell, o.year, o.value, i.sign
  FROM obs o JOIN ind i USING (ind)
  WHERE o.year >= i.break_year
),
agg AS (
  SELECT area, ind, cell, any_value(sign) AS sign,
         min(year) AS y0, arg_min(value, year) AS v0, max(year) AS y1, arg_max(value, year) AS v1,
         max(abs(value)) AS scale, list(value ORDER BY year DESC)[2] AS vprev
  FROM s GROUP BY area, ind, cell
),
m AS (
  SELECT a.*, b.target_year, b.target_value,
         (v0 <= 0 OR v0 < 0.01 * scale OR v1 <= 0 OR v1 < 0.01 * scale) AS diff
  FROM agg a LEFT JOIN bench b ON b.area = a.area AND b.ind = a.ind AND a.cell = ''
),
r AS (
  SELECT *,
         sign * CASE WHEN diff THEN (v1 - v0) / (y1 - y0) ELSE pow(v1 / v0, 1.0 / (y1 - y0)) - 1 END AS observed,
         (diff OR target_value <= 0 OR target_value < 0.01 * scale) AS tdiff
  FROM m
),
t AS (
  SELECT *,
         CASE WHEN tdiff AND NOT diff THEN sign * (v1 - v0) / (y1 - y0) ELSE observed END AS obs2,
         CASE WHEN tdiff THEN sign * (target_value - v0) / (target_year - y0)
              ELSE sign * (pow(target_value / v0, 1.0 / (target_year - y0)) - 1) END AS required
  FROM r
)
SELECT area, ind, cell,
  CASE
    WHEN target_value IS NOT NULL THEN
      CASE
        WHEN (sign = 1 AND v1 >= target_value) OR (sign = -1 AND v1 <= target_value) THEN 0
        WHEN required <= 0 THEN CASE WHEN obs2 < 0 THEN 4 ELSE 0 END
        WHEN obs2 / required >= 0.95 THEN 1
        WHEN obs2 / required >= 0.60 THEN 2
        WHEN obs2 / required >= 0 THEN 3
        ELSE 4
      END
    ELSE
      CASE
        WHEN (CASE WHEN diff THEN (CASE WHEN scale > 0 THEN observed / scale ELSE 0 END) ELSE observed END) > 0.01 THEN 1
        WHEN (CASE WHEN diff THEN (CASE WHEN scale > 0 THEN observed / scale ELSE 0 END) ELSE observed END) > 0.005 THEN 2
        WHEN (CASE WHEN diff THEN (CASE WHEN scale > 0 THEN observed / scale ELSE 0 END) ELSE observed END) >= 0 THEN 3
        ELSE 4
      END
  END AS class,
  sign * (vprev - v1) > 0.05 AS retrogression
FROM t
"""

GAPS = """
CREATE TABLE gaps AS
WITH g AS (
  SELECT o.area, o.ind, o.cell AS grp, o.year, o.value / r.value AS ratio
  FROM obs o
  JOIN obs r ON r.area = o.area AND r.ind = o.ind AND r.year = o.year
       AND ((o.cell = 'R' AND r.cell = 'U') OR (o.cell = 'F' AND r.cell = 'M'))
  JOIN ind i ON i.ind = o.ind AND i.gaps
  WHERE r.value <> 0
)
SELECT area, ind, grp, count(*) AS n, arg_min(ratio, year) AS first, arg_max(ratio, year) AS last,
       count(*) >= 2 AND abs(ln(arg_max(ratio, year))) < abs(ln(arg_min(ratio, year))) AS converging
FROM g GROUP BY area, ind, grp
"""

best = None
for _ in range(3):
    con.execute("DROP TABLE IF EXISTS result")
    con.execute("DROP TABLE IF EXISTS gaps")
    t = time.perf_counter()
    con.execute(SERIES)
    con.execute(GAPS)
    dt = time.perf_counter() - t
    best = dt if best is None else min(best, dt)
classes = dict(con.execute("SELECT class, count(*) FROM result GROUP BY class").fetchall())
retro = con.execute("SELECT count(*) FROM result WHERE retrogression").fetchone()[0]
gaps, conv = con.execute("SELECT count(*), count(*) FILTER (WHERE converging) FROM gaps").fetchone()
print(f"{best:.4f}", *[classes.get(k, 0) for k in range(5)], retro, gaps, conv)
