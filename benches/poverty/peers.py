"""The same poverty measures computed by the peers, for benches/poverty/run.sh.

Usage: python3 peers.py duckdb|pandas FILE LINE
Prints one line: seconds (load + compute) and the national FGT0, so that the run can check
that every engine computed the same thing.

Measures: FGT0, FGT1, FGT2, Watts, Gini and weighted median by province x urbanisation, with
person weights (household weight x size), poor if y < z. LINE is yuan per person per year or
relative:FRACTION:median, a fraction of the national weighted median as laeken defines it
(the first value whose cumulative weight share exceeds one half).
"""
import os, sys, time

kind, path, line = sys.argv[1], sys.argv[2], sys.argv[3]
relative = float(line.split(":")[1]) if line.startswith("relative:") else None
z = None if relative else float(line)
by = os.environ.get("BY", "province,urbanisation").split(",")
keys = ", ".join(by)
t0 = time.perf_counter()

if kind == "duckdb":
    import duckdb
    con = duckdb.connect()
    src = f"read_parquet('{path}')" if path.endswith(".parquet") else f"read_csv('{path}', header=true)"
    con.execute(f"CREATE TEMP TABLE d AS SELECT {keys}, income_pc AS y, weight * size AS w FROM {src}")
    if relative:
        z = relative * con.execute("""SELECT MIN(y) FILTER (WHERE cw / tw > 0.5) FROM
            (SELECT y, SUM(w) OVER (ORDER BY y ROWS UNBOUNDED PRECEDING) AS cw, SUM(w) OVER () AS tw FROM d)""").fetchone()[0]
    q = f"""
    WITH c AS (SELECT *, SUM(w) OVER (PARTITION BY {keys} ORDER BY y ROWS UNBOUNDED PRECEDING) AS cw,
                    SUM(w) OVER (PARTITION BY {keys}) AS tw FROM d)
    SELECT {keys},
      SUM(w * (y < {z})::INT) / SUM(w) AS fgt0,
      SUM(CASE WHEN y < {z} THEN w * ({z} - y) / {z} ELSE 0 END) / SUM(w) AS fgt1,
      SUM(CASE WHEN y < {z} THEN w * power(({z} - y) / {z}, 2) ELSE 0 END) / SUM(w) AS fgt2,
      SUM(CASE WHEN y > 0 AND y < {z} THEN w * ln({z} / y) ELSE 0 END) / SUM(w) AS watts,
      SUM(w * y * (2 * cw - w)) / (SUM(w) * SUM(w * y)) - 1 AS gini,
      MIN(CASE WHEN cw / tw > 0.5 THEN y END) AS median
    FROM c GROUP BY {keys} ORDER BY {keys}"""
    res = con.execute(q).fetchall()
    national = con.execute(f"SELECT SUM(w * (y < {z})::INT) / SUM(w) FROM d").fetchone()[0]
elif kind == "pandas":
    import numpy as np, pandas as pd
    cols = by + ["income_pc", "weight", "size"]
    df = pd.read_parquet(path, columns=cols) if path.endswith(".parquet") else pd.read_csv(path, usecols=cols, dtype={c: str for c in by})
    df["w"] = df["weight"] * df["size"]
    y, w = df["income_pc"].to_numpy(), df["w"].to_numpy()
    if relative:
        o = np.argsort(y, kind="stable")
        cw = np.cumsum(w[o])
        z = relative * y[o][np.argmax(cw / cw[-1] > 0.5)]
    poor = y < z
    gap = np.where(poor, (z - y) / z, 0.0)
    df["p0"], df["p1"], df["p2"] = w * poor, w * gap, w * gap ** 2
    df["wa"] = np.where(poor & (y > 0), w * np.log(np.where(y > 0, z / np.where(y > 0, y, 1), 1)), 0.0)
    g = df.groupby(by, sort=True)
    sums = g[["w", "p0", "p1", "p2", "wa"]].sum()
    res = sums[["p0", "p1", "p2", "wa"]].div(sums["w"], axis=0)
    df = df.sort_values(by + ["income_pc"], kind="stable")
    df["cw"] = df.groupby(by, sort=False)["w"].cumsum()
    df["gterm"] = df["w"] * df["income_pc"] * (2 * df["cw"] - df["w"])
    df["wy"] = df["w"] * df["income_pc"]
    agg = df.groupby(by, sort=True)[["gterm", "w", "wy"]].sum()
    res["gini"] = agg["gterm"] / (agg["w"] * agg["wy"]) - 1
    df["share"] = df["cw"] / df.groupby(by, sort=False)["w"].transform("sum")
    res["median"] = df[df["share"] > 0.5].groupby(by, sort=True)["income_pc"].first()
    national = float(df["p0"].sum() / df["w"].sum())
else:
    sys.exit(f"unknown peer {kind}")

print(f"{time.perf_counter() - t0:.3f} {national:.12f}")
