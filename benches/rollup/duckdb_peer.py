#!/usr/bin/env python3
"""DuckDB (in memory) rolls up the same leaf rows as RightStat: prints 'seconds groups'.

Loading the CSV is not timed; the timed statement materialises every group of
GROUP BY indicator, year, ROLLUP(province, prefecture), CUBE(sex, urb).
"""
import sys, time
import duckdb

con = duckdb.connect()
con.execute(f"CREATE TABLE leaf AS SELECT * FROM read_csv('{sys.argv[1]}', header=true)")
best = None
for _ in range(3):
    con.execute("DROP TABLE IF EXISTS out")
    t = time.perf_counter()
    con.execute(
        "CREATE TABLE out AS SELECT indicator, year, province, prefecture, sex, urb, sum(value) AS value, count(*) AS n "
        "FROM leaf GROUP BY indicator, year, ROLLUP(province, prefecture), CUBE(sex, urb)"
    )
    dt = time.perf_counter() - t
    best = dt if best is None else min(best, dt)
groups = con.execute("SELECT count(*) FROM out").fetchone()[0]
print(f"{best:.4f} {groups}")
