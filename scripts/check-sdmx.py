#!/usr/bin/env python3
"""Checks the portal's SDMX files with reference SDMX libraries and round-trips the values.

Usage: python3 scripts/check-sdmx.py DIR   (DIR written by `rightstat publish --out DIR`)
Needs: pip install sdmx1 pysdmx

- data/all.sdmx.csv (SDMX-CSV 2.0) is read by pysdmx (`pysdmx.io.read_sdmx`);
- data/all.sdmx.json (SDMX-JSON 1.0) is read by sdmx1 (`sdmx.read_sdmx`);
- every observation of data/all.csv (the plain CSV) must come back from both with the same
  value, withheld ones (status Q) without a value. Exits 1 on any difference.
"""
import csv, math, sys, pathlib

import sdmx
from pysdmx.io import read_sdmx

KEY = ("INDICATOR", "REF_AREA")


def plain(path):
    """(indicator, area, period, ((dim, code), ...)) -> (value or None, status)."""
    out = {}
    with open(path, newline="", encoding="utf-8") as f:
        rows = csv.DictReader(f)
        fixed = {"indicator", "indicator_name_en", "indicator_name_zh", "area", "area_name_en", "area_name_zh", "period",
                 "value", "unit", "unit_mult", "status", "source", "footnote"}
        for r in rows:
            cells = tuple(sorted((k, v) for k, v in r.items() if k not in fixed and v not in ("", "_T")))
            out[(r["indicator"], r["area"], r["period"], cells)] = (float(r["value"]) if r["value"] else None, r["status"])
    return out


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def main(root):
    root = pathlib.Path(root)
    want = plain(root / "data/all.csv")
    failures = []

    # SDMX-CSV 2.0 with pysdmx.
    msg = read_sdmx(str(root / "data/all.sdmx.csv"))
    frames = [ds.data for ds in msg.data]
    got_csv = {}
    for df in frames:
        dims = [c for c in df.columns if c not in ("STRUCTURE", "STRUCTURE_ID", "ACTION", "INDICATOR", "REF_AREA", "TIME_PERIOD",
                                                   "OBS_VALUE", "UNIT_MEASURE", "UNIT_MULT", "OBS_STATUS", "SOURCE_DETAIL", "COMMENT_OBS", "COMPLETENESS")]
        for _, r in df.iterrows():
            cells = tuple(sorted((d, str(r[d])) for d in dims if str(r[d]) not in ("", "_T", "nan")))
            v = r["OBS_VALUE"]
            v = None if v is None or (isinstance(v, float) and math.isnan(v)) or v == "" else float(v)
            got_csv[(str(r["INDICATOR"]), str(r["REF_AREA"]), str(r["TIME_PERIOD"]), cells)] = (v, str(r["OBS_STATUS"]))
    print(f"pysdmx {__import__('pysdmx').__version__}: read {len(got_csv)} observations from SDMX-CSV")

    # SDMX-JSON 1.0 with sdmx1.
    message = sdmx.read_sdmx(root / "data/all.sdmx.json")
    got_json = {}
    for ds in message.data:
        for obs in ds.obs:
            key = {kv.id: str(kv.value) for kv in obs.key.values.values()}
            cells = tuple(sorted((d, c) for d, c in key.items() if d not in KEY + ("TIME_PERIOD",) and c != "_T"))
            status = obs.attached_attribute.get("OBS_STATUS")
            v = obs.value
            v = None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
            got_json[(key["INDICATOR"], key["REF_AREA"], key["TIME_PERIOD"], cells)] = (v, str(status.value) if status else "")
    print(f"sdmx1 {sdmx.__version__}: read {len(got_json)} observations from SDMX-JSON")

    for name, got in (("SDMX-CSV", got_csv), ("SDMX-JSON", got_json)):
        if set(got) != set(want):
            failures.append(f"{name}: {len(set(want) - set(got))} observations missing, {len(set(got) - set(want))} extra")
        for k, (v, status) in want.items():
            if k in got and (not same(got[k][0], v) or got[k][1] != status):
                failures.append(f"{name}: {k}: got {got[k]}, expected {(v, status)}")
    withheld = sum(1 for v, s in want.values() if v is None and s == "Q")
    if failures:
        print("\n".join(failures[:50]), file=sys.stderr)
        print(f"FAIL: {len(failures)} differences", file=sys.stderr)
        return 1
    print(f"ok: {len(want)} observations ({withheld} withheld) round-trip through both libraries")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "site"))
