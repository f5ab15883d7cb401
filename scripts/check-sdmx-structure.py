#!/usr/bin/env python3
"""Discovers the live service's SDMX structures with sdmx1, as a statistical office's client does.

Usage: python3 scripts/check-sdmx-structure.py BASE_URL   (a running `rightstat serve`)
Needs: pip install sdmx1

The client asks for the dataflow with all its references, follows it to the data structure
definition and its codelists, asks for the DSD and one codelist directly, and checks that the
DSD's key is the one the SDMX-CSV data carries. Exits 1 on any difference.
"""
import csv, io, sys, urllib.request

import sdmx

base = sys.argv[1].rstrip("/")
sdmx.add_source({"id": "RIGHTSTAT", "name": "RightStat", "url": base + "/sdmx/2.1", "supports": {"preview": False}})
client = sdmx.Client("RIGHTSTAT")

msg = client.dataflow("DF_RIGHTSTAT", params={"references": "all"})
flow = msg.dataflow["DF_RIGHTSTAT"]
dsd = msg.structure["DSD_RIGHTSTAT"]
dims = [d.id for d in dsd.dimensions.components]
assert flow.structure is dsd or flow.structure.id == "DSD_RIGHTSTAT", flow.structure
assert dims[:2] == ["INDICATOR", "REF_AREA"] and dims[-1] == "TIME_PERIOD", dims
for d in dsd.dimensions.components[:-1]:
    cl = d.local_representation.enumerated
    assert cl is not None and len(cl) > 0, f"{d.id}: no codelist"
assert "CL_URBANISATION" in msg.codelist and "R" in msg.codelist["CL_URBANISATION"], list(msg.codelist)
names = msg.codelist["CL_INDICATOR"]["SI_POV_NAHC"].name if "SI_POV_NAHC" in msg.codelist["CL_INDICATOR"] else None
if names is not None:
    assert names.localizations.get("zh"), "Chinese names travel with the codes"

again = client.datastructure("DSD_RIGHTSTAT", params={"references": "children"})
assert [d.id for d in again.structure["DSD_RIGHTSTAT"].dimensions.components] == dims
stubs = client.dataflow("DF_RIGHTSTAT", params={"references": "all", "detail": "allstubs"})
assert set(stubs.codelist) == set(msg.codelist) and all(len(cl) == 0 for cl in stubs.codelist.values()), "stubs name, hold nothing"
one = client.codelist("CL_OBS_STATUS")
assert set(one.codelist["CL_OBS_STATUS"].items) >= {"A", "E", "P", "O", "Q"}

with urllib.request.urlopen(base + "/sdmx/2.1/contentconstraint/RIGHTSTAT/CC_AVAILABLE/latest") as r:
    assert sdmx.read_sdmx(io.BytesIO(r.read())).constraint, "the dataflow's content constraint"
with urllib.request.urlopen(base + "/sdmx/2.1/availableconstraint/DF_RIGHTSTAT/all") as r:
    avail = sdmx.read_sdmx(io.BytesIO(r.read()))
cc = list(avail.constraint.values())[0]
assert cc.data_content_region, "a cube region"
region = cc.data_content_region[0]
assert {d.id for d in region.member} >= {"INDICATOR", "REF_AREA"}, region

with urllib.request.urlopen(base + "/sdmx/2.1/data/DF_RIGHTSTAT/all?format=csv") as r:
    header = next(csv.reader(io.StringIO(r.read().decode("utf-8"))))
in_data = [h for h in header if h in dims]
assert in_data == dims, f"SDMX-CSV key {in_data} differs from the DSD's {dims}"
print(f"ok: sdmx1 {sdmx.__version__} discovered DF_RIGHTSTAT -> DSD_RIGHTSTAT ({len(dims)} dimensions) and {len(msg.codelist)} codelists, "
      f"read the availability of {len(region.member)} dimensions; the data carry the same key")
