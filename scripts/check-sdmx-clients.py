#!/usr/bin/env python3
"""Reads the live service's SDMX data with two standard clients, in every format it writes.

Usage: python3 scripts/check-sdmx-clients.py BASE_URL   (a running `rightstat serve`)
Needs: pip install sdmx1 'pysdmx[data]'

- sdmx1 asks for the same query as SDMX-ML 2.1 structure-specific data, SDMX-CSV 2.0 and
  SDMX-JSON 1.0 (by the Accept header, as the standard says) and must read identical
  observations from all three, withheld ones (OBS_STATUS Q) without a value;
- pysdmx reads the structures (dataflow with its DSD and codelists) and the SDMX-CSV against
  them, with the same observations;
- detail=serieskeysonly lists the same series without observations; lastNObservations=1
  keeps one observation per series; updatedAfter in the future selects nothing (404).
Exits 1 on any difference.
"""
import io, math, sys, urllib.error, urllib.request

import sdmx
from pysdmx.io import get_datasets, read_sdmx

base = sys.argv[1].rstrip("/")
sdmx.add_source({"id": "RIGHTSTAT", "name": "RightStat", "url": base + "/sdmx/2.1", "supports": {"preview": False}})
client = sdmx.Client("RIGHTSTAT")
ML = "application/vnd.sdmx.structurespecificdata+xml;version=2.1"
CSV = "application/vnd.sdmx.data+csv;version=2.0.0"
JSON = "application/vnd.sdmx.data+json;version=1.0.0"
failures = []

structure = client.dataflow("DF_RIGHTSTAT", params={"references": "all"})
dsd = structure.structure["DSD_RIGHTSTAT"]
dims = [d.id for d in dsd.dimensions.components if d.id != "TIME_PERIOD"]


def get(path, accept):
    req = urllib.request.Request(base + path, headers={"Accept": accept})
    with urllib.request.urlopen(req) as r:
        return r.headers.get("Content-Type", ""), r.read()


def value(v):
    if v is None or v == "":
        return None
    v = float(v)
    return None if math.isnan(v) else v


def observations(message):
    """{(series key..., period): (value, status)} from an sdmx1 data message."""
    out = {}
    for ds in message.data:
        for obs in ds.obs:
            key = {kv.id: str(kv.value) for kv in obs.key.values.values()}
            status = obs.attached_attribute.get("OBS_STATUS")
            out[tuple(key[d] for d in dims) + (key["TIME_PERIOD"],)] = (value(obs.value), str(status.value) if status else "")
    return out


def read_with_sdmx1(path, accept):
    content_type, body = get(path, accept)
    # sdmx1 needs the DSD for structure-specific data and for SDMX-CSV: give it the one discovered.
    return content_type, observations(sdmx.read_sdmx(io.BytesIO(body), structure=dsd, dsd=dsd) if "csv" not in content_type
                                      else sdmx.read_sdmx(io.BytesIO(body), structure=dsd, format="csv"))


query = "/sdmx/2.1/data/DF_RIGHTSTAT/all"
got = {}
for name, accept in (("SDMX-ML", ML), ("SDMX-CSV", CSV), ("SDMX-JSON", JSON)):
    try:
        content_type, obs = read_with_sdmx1(query, accept)
    except Exception as e:  # noqa: BLE001 — any failure of the client is the finding
        failures.append(f"sdmx1 could not read {name} ({accept}): {type(e).__name__}: {e}")
        continue
    if name.split("-")[1].lower() not in content_type.lower():
        failures.append(f"{name}: Accept {accept} answered {content_type}")
    got[name] = obs
    print(f"sdmx1 {sdmx.__version__}: {len(obs)} observations from {name} ({content_type.split(';')[0]})")

# The client's own data query (it builds the URL and fetches the structure itself).
msg = client.data("DF_RIGHTSTAT", key={"INDICATOR": "SI_POV_NAHC"}, headers={"Accept": ML})
own = observations(msg)
if not own or any(k[0] != "SI_POV_NAHC" for k in own):
    failures.append(f"Client.data with a key: {len(own)} observations, not all SI_POV_NAHC")

reference = got.get("SDMX-ML", {})
withheld = sum(1 for v, s in reference.values() if v is None and s == "Q")
if not withheld:
    failures.append("the data hold no withheld cell: the check needs one")
for name, obs in got.items():
    if set(obs) != set(reference):
        failures.append(f"{name}: {len(set(reference) - set(obs))} observations missing, {len(set(obs) - set(reference))} extra")
    for k, (v, s) in reference.items():
        if k in obs and (obs[k][1] != s or (v is None) != (obs[k][0] is None) or (v is not None and not math.isclose(v, obs[k][0], rel_tol=1e-12))):
            failures.append(f"{name}: {k}: {obs[k]} differs from SDMX-ML's {(v, s)}")

# pysdmx: structures, then the SDMX-CSV read against them.
_, structures = get("/sdmx/2.1/dataflow/RIGHTSTAT/DF_RIGHTSTAT/latest?references=all", "application/xml")
smsg = read_sdmx(io.BytesIO(structures))
pdsds = smsg.get_data_structure_definitions()
if [c.id for c in pdsds[0].components.dimensions if c.id != "TIME_PERIOD"] != dims:
    failures.append(f"pysdmx reads the DSD's dimensions as {[c.id for c in pdsds[0].components.dimensions]}")
_, csv_body = get(query, CSV)
datasets = get_datasets(io.BytesIO(csv_body), io.BytesIO(structures))
rows = sum(len(d.data) for d in datasets)
if rows != len(reference):
    failures.append(f"pysdmx read {rows} SDMX-CSV rows against the structures, SDMX-ML has {len(reference)} observations")
print(f"pysdmx {__import__('pysdmx').__version__}: read the DSD ({len(dims)} key dimensions) and {rows} observations of SDMX-CSV against it")

# The standard's query parameters.
_, keys_body = get(query + "?detail=serieskeysonly", ML)
series = set()
for ds in sdmx.read_sdmx(io.BytesIO(keys_body), structure=dsd).data:
    for s in ds.series:
        series.add(tuple(str(s.values[d].value) for d in dims))
want_series = {k[:-1] for k in reference}
if series != want_series:
    failures.append(f"detail=serieskeysonly: {len(series)} series, the data have {len(want_series)}")
last = observations(sdmx.read_sdmx(io.BytesIO(get(query + "?lastNObservations=1", ML)[1]), structure=dsd))
if len(last) != len(want_series):
    failures.append(f"lastNObservations=1: {len(last)} observations for {len(want_series)} series")
try:
    get(query + "?updatedAfter=2999-01-01T00:00:00Z", ML)
    failures.append("updatedAfter in the future answered data")
except urllib.error.HTTPError as e:
    if e.code != 404:
        failures.append(f"updatedAfter in the future: HTTP {e.code}, expected 404")
try:
    get(query, "application/vnd.sdmx.genericdata+xml;version=2.1")
    failures.append("a format not offered was answered")
except urllib.error.HTTPError as e:
    if e.code != 406:
        failures.append(f"a format not offered: HTTP {e.code}, expected 406")

if failures:
    print("\n".join(failures[:50]), file=sys.stderr)
    print(f"FAIL: {len(failures)} differences", file=sys.stderr)
    sys.exit(1)
print(f"ok: {len(reference)} observations ({withheld} withheld) in {len(want_series)} series read identically as SDMX-ML, SDMX-CSV and SDMX-JSON")
