#!/usr/bin/env python3
"""Builds data/cn-provinces.csv: one SVG path per province, for the portal's choropleth.

Source: DCW-GMT (Debian package gmt-dcw, LGPL-3+; from the public-domain Digital Chart of the
World), dumped with GMT's `gmt coast -E<CC.SS> -M`. Each ring is simplified (Douglas-Peucker,
0.02 degree), projected (Albers equal-area conic, parallels 25N and 47N, meridian 105E) and
scaled into a 1000 x 820 viewBox. Usage: python3 scripts/province-map.py > data/cn-provinces.csv
(needs `apt-get install gmt gmt-dcw`).
"""
import csv, math, subprocess, sys

DCW_TO_NBS = {
    "BJ": "11", "TJ": "12", "HE": "13", "SX": "14", "NM": "15", "LN": "21", "JL": "22", "HL": "23",
    "SH": "31", "JS": "32", "ZJ": "33", "AH": "34", "FJ": "35", "JX": "36", "SD": "37", "HA": "41",
    "HB": "42", "HN": "43", "GD": "44", "GX": "45", "HI": "46", "CQ": "50", "SC": "51", "GZ": "52",
    "YN": "53", "XZ": "54", "SN": "61", "GS": "62", "QH": "63", "NX": "64", "XJ": "65", "TW": "71",
    "HK": "81", "MO": "82",
}
TOLERANCE = 0.02
W, H, PAD = 1000.0, 820.0, 10.0


def rings(state):
    out = subprocess.run(["gmt", "coast", f"-ECN.{state}", "-M"], capture_output=True, text=True, check=True).stdout
    ring, result = [], []
    for line in out.splitlines():
        if line.startswith(">"):
            if ring:
                result.append(ring)
            ring = []
        elif line.strip():
            lon, lat = map(float, line.split()[:2])
            ring.append((lon, lat))
    if ring:
        result.append(ring)
    return result


def simplify(points, tol):
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        (x1, y1), (x2, y2) = points[a], points[b]
        dx, dy = x2 - x1, y2 - y1
        norm = math.hypot(dx, dy) or 1e-12
        best, idx = 0.0, None
        for i in range(a + 1, b):
            x, y = points[i]
            d = abs(dy * (x - x1) - dx * (y - y1)) / norm if (dx or dy) else math.hypot(x - x1, y - y1)
            if d > best:
                best, idx = d, i
        if idx is not None and best > tol:
            keep[idx] = True
            stack += [(a, idx), (idx, b)]
    return [p for p, k in zip(points, keep) if k]


def albers(lon, lat, lon0=105.0, lat0=35.0, p1=25.0, p2=47.0):
    r = math.radians
    n = (math.sin(r(p1)) + math.sin(r(p2))) / 2
    c = math.cos(r(p1)) ** 2 + 2 * n * math.sin(r(p1))
    rho = lambda phi: math.sqrt(c - 2 * n * math.sin(r(phi))) / n
    theta = n * r(lon - lon0)
    return rho(lat) * math.sin(theta), rho(lat0) - rho(lat) * math.cos(theta)


def main():
    shapes = {}
    for state, code in DCW_TO_NBS.items():
        rs = [simplify(ring, TOLERANCE) for ring in rings(state)]
        # Keep islands big enough to see (at least 4 points after simplification).
        shapes[code] = [[albers(*p) for p in ring] for ring in rs if len(ring) >= 4]
    xs = [x for rs in shapes.values() for ring in rs for x, _ in ring]
    ys = [y for rs in shapes.values() for ring in rs for _, y in ring]
    scale = min((W - 2 * PAD) / (max(xs) - min(xs)), (H - 2 * PAD) / (max(ys) - min(ys)))
    x0, y1 = min(xs), max(ys)
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["area", "path"])
    for code in sorted(shapes):
        parts = []
        for ring in shapes[code]:
            pts = [(PAD + (x - x0) * scale, PAD + (y1 - y) * scale) for x, y in ring]
            parts.append("M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in pts) + "Z")
        w.writerow([code, "".join(parts)])


if __name__ == "__main__":
    main()
