"""Checks a streamed census run against DuckDB, which reads the same Parquet file.

Usage: python3 census_check.py CENSUS.parquet RESULTS.csv
(RESULTS.csv: `rightstat poverty --stream --by county --format csv` with fgt0, mean and median,
line relative:0.6:median, no weight or a weight of 1.)

For the nation and every county, DuckDB counts the persons below and at or below the median
rightstat found: laeken's weighted median is the first value whose cumulative share exceeds
one half, so `below <= n/2 < at_or_below` must hold. It also computes the headcount below the
line (60 % of the national median) and the mean, which must agree with rightstat's to 1e-9.
Prints the number of groups checked and the largest differences; exits 1 on any failure.
"""
import csv, sys, time
import duckdb

pq, results = sys.argv[1], sys.argv[2]
ours = {}
with open(results) as f:
    for r in csv.DictReader(f):
        ours.setdefault(r["county"], {})[r["measure"]] = float(r["value"])
z = 0.6 * ours["_T"]["median"]
con = duckdb.connect()
con.execute("CREATE TEMP TABLE m (county VARCHAR, median DOUBLE)")
con.executemany("INSERT INTO m VALUES (?, ?)", [(c, v["median"]) for c, v in ours.items() if c != "_T"])
t0 = time.perf_counter()
rows = con.execute(f"""
    SELECT p.county, count(*) AS n,
           count(*) FILTER (WHERE p.income_pc < m.median) AS below,
           count(*) FILTER (WHERE p.income_pc <= m.median) AS at_or_below,
           avg((p.income_pc < {z})::DOUBLE) AS fgt0, avg(p.income_pc) AS mean,
           count(*) FILTER (WHERE p.income_pc < {ours['_T']['median']}) AS nat_below,
           count(*) FILTER (WHERE p.income_pc <= {ours['_T']['median']}) AS nat_at_or_below
    FROM read_parquet('{pq}') p JOIN m USING (county) GROUP BY p.county""").fetchall()
seconds = time.perf_counter() - t0
bad, worst_fgt, worst_mean = [], 0.0, 0.0
tot = [0, 0, 0]
for county, n, below, at_or_below, fgt0, mean, nb, nab in rows:
    if not (below <= n / 2 < at_or_below):
        bad.append(f"{county}: median {ours[county]['median']} has {below} of {n} below, {at_or_below} at or below")
    worst_fgt = max(worst_fgt, abs(fgt0 - ours[county]["fgt0"]))
    worst_mean = max(worst_mean, abs(mean - ours[county]["mean"]) / mean)
    tot = [tot[0] + n, tot[1] + nb, tot[2] + nab]
if not (tot[1] <= tot[0] / 2 < tot[2]):
    bad.append(f"nation: median has {tot[1]} of {tot[0]} below, {tot[2]} at or below")
print(f"DuckDB {duckdb.__version__}: {len(rows)} counties and the nation, {tot[0]} persons, {seconds:.1f} s; "
      f"medians {'all exact' if not bad else 'WRONG'}; largest FGT0 difference {worst_fgt:.2e}, mean {worst_mean:.2e} (relative)")
for b in bad[:10]:
    print(b)
sys.exit(1 if bad or worst_fgt > 1e-9 or worst_mean > 1e-9 else 0)
