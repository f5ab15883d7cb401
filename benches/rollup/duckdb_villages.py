#!/usr/bin/env python3
"""DuckDB (in memory) rolls up the national village data set RightStat rolls up in
crates/store/benches/rollup.rs (BENCH_PART=villages): prints 'seconds groups national_total'.

The leaf values are generated in DuckDB by the bench's formula, one row per village ×
indicator × year × sex × urban/rural, with each village's township, county, prefecture and
province from NBS's villages.csv (argv[1]); building the table is not timed. The timed
statement materialises every group of GROUP BY indicator, year,
ROLLUP(province, prefecture, county, township), CUBE(sex, urb).
"""
import sys, time
import duckdb

con = duckdb.connect()
con.execute(
    f"CREATE TABLE village AS SELECT CAST(code AS BIGINT) AS v, CAST(streetCode AS BIGINT) AS township, "
    f"CAST(areaCode AS BIGINT) AS county, CAST(cityCode AS BIGINT) AS prefecture, CAST(provinceCode AS BIGINT) AS province "
    f"FROM read_csv('{sys.argv[1]}', header=true, all_varchar=true)"
)
# Same as village_value(): ((v mod 1000003) * 2654435761 + ind * 40503 + year * 977 + sex * 31 + urb * 7) mod 100000 / 100.
con.execute(
    "CREATE TABLE leaf AS SELECT ind AS indicator, year, province, prefecture, county, township, sex, urb, "
    "CAST((((v % 1000003) * 2654435761 + ind * 40503 + year * 977 + sex * 31 + urb * 7) % 100000) AS DOUBLE) / 100.0 AS value "
    "FROM village, range(10) i(ind), range(2019, 2024) y(year), range(2) s(sex), range(2) u(urb)"
)
best = None
for _ in range(3):
    con.execute("DROP TABLE IF EXISTS out")
    t = time.perf_counter()
    con.execute(
        "CREATE TABLE out AS SELECT indicator, year, province, prefecture, county, township, sex, urb, "
        "sum(value) AS value, count(*) AS n FROM leaf "
        "GROUP BY indicator, year, ROLLUP(province, prefecture, county, township), CUBE(sex, urb)"
    )
    dt = time.perf_counter() - t
    best = dt if best is None else min(best, dt)
groups = con.execute("SELECT count(*) FROM out").fetchone()[0]
total = con.execute(
    "SELECT value FROM out WHERE indicator = 0 AND year = 2019 AND province IS NULL AND sex IS NULL AND urb IS NULL"
).fetchone()[0]
print(f"{best:.4f} {groups} {total!r}")
