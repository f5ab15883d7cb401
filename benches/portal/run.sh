#!/usr/bin/env bash
# Public portal under load: requests per second and p50/p99 latency with 100 concurrent
# connections on loopback (wrk, Debian package `wrk`), for an indicator page, the JSON API,
# an SDMX REST query and the same page from the static export; then the time to export the
# whole demo portal statically. Usage: bash benches/portal/run.sh [seconds per run, default 15]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-15}"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
cargo build --release -q -p rightstat
bin=target/release/rightstat
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
db="sqlite://$work/bench.db"
"$bin" --db "$db" init --demo >/dev/null
batch="$("$bin" --db "$db" import observations examples/small-cells.csv | sed -n 's/.*(batch \([0-9]*\).*/\1/p')"
"$bin" --db "$db" publish "$batch" >/dev/null

port=18080
"$bin" --db "$db" serve --addr "127.0.0.1:$port" 2>/dev/null &
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

# The static export, served by a second instance of the same idea any CDN has: files only.
"$bin" --db "$db" publish --out "$work/site" >/dev/null
(cd "$work/site" && python3 -m http.server 18081 --bind 127.0.0.1 >/dev/null 2>&1) &
sleep 1

run() { # name url
  local out rps p50 p99
  curl -fs -o /dev/null "$2" || { echo "$1: $2 failed" >&2; exit 1; }
  out="$(wrk -t2 -c100 -d"${secs}s" --latency "$2")"
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  errors="$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out")"
  printf '| %-44s | %9s | %8s | %8s | %s\n' "$1" "$rps" "$p50" "$p99" "${errors:-}"
}
echo "| request (100 connections, ${secs} s, wrk -t2) | req/s | p50 | p99 |"
echo "|---|---|---|---|"
base="http://127.0.0.1:$port"
run "indicator page (live)" "$base/en/indicators/CN_RURAL_POOR_POP.html"
run "indicator page with province map (live)" "$base/en/indicators/CN_POOR_DROPOUTS.html"
run "JSON API: national series" "$base/api/v1/observations?indicator=CN_RURAL_POOR_POP&area=CN"
run "SDMX REST: national series, SDMX-JSON" "$base/sdmx/2.1/data/DF_RIGHTSTAT/CN_RURAL_POOR_POP.CN?format=json"
run "static copy, python http.server (1 thread)" "http://127.0.0.1:18081/en/indicators/CN_RURAL_POOR_POP.html"

# Static export of the whole demo portal: best of 5.
best=""
for _ in 1 2 3 4 5; do
  rm -rf "$work/site"
  t0=$(date +%s.%N); "$bin" --db "$db" publish --out "$work/site" >/dev/null; t1=$(date +%s.%N)
  t=$(echo "$t1 - $t0" | bc -l)
  if [ -z "$best" ] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
done
files=$(find "$work/site" -type f | wc -l); size=$(du -sh "$work/site" | cut -f1)
printf 'static export of the demo portal: %d files, %s, best of 5: %.3f s (process start to exit)\n' "$files" "$size" "$best"
