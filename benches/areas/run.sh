#!/usr/bin/env bash
# The whole area hierarchy: every township (streets.csv, shipped) and then every one of the
# 620,573 village-level units of NBS's 2023 division codes (villages.csv of
# modood/Administrative-divisions-of-China, not shipped: 38 MB), each file all or nothing, with
# the release binary on a fresh SQLite file and a fresh PostgreSQL database; wall time and peak
# resident memory of each `rightstat areas import` process (GNU time), then the time to show
# an area with its children and to look one village up, with 660,000 areas stored.
#
#     bash benches/areas/run.sh path/to/villages.csv
#
# PostgreSQL from RIGHTSTAT_TEST_PG (default postgres://postgres@127.0.0.1:5432/test; a database
# rightstat_bench_areas is created and dropped there); RIGHTSTAT_SKIP_PG=1 skips it.
set -euo pipefail
cd "$(dirname "$0")/../.."
villages="${1:?usage: bash benches/areas/run.sh path/to/villages.csv}"
[ -f "$villages" ] || { echo "$villages: no such file" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }
cargo build --release -q -p rightstat --locked
bin="$PWD/target/release/rightstat"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
pg="${RIGHTSTAT_TEST_PG:-postgres://postgres@127.0.0.1:5432/test}"

run() { # backend db-url
  local db="$2"
  echo
  echo "| $1 | seconds | peak MiB |"
  echo "|---|---:|---:|"
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin" --db "$db" init >/dev/null 2>&1
  read -r secs kb <"$work/time"; printf '| %-52s | %8s | %8s |\n' "init (reference data, areas down to counties)" "$secs" "$((kb / 1024))"
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin" --db "$db" areas import data/admin-divisions-cn-2023/streets.csv --level township >"$work/out" 2>&1 || { cat "$work/out" >&2; exit 1; }
  read -r secs kb <"$work/time"; printf '| %-52s | %8s | %8s |\n' "$(($(wc -l <data/admin-divisions-cn-2023/streets.csv) - 1)) townships" "$secs" "$((kb / 1024))"
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin" --db "$db" areas import "$villages" --level village >"$work/out" 2>&1 || { cat "$work/out" >&2; exit 1; }
  read -r secs kb <"$work/time"; printf '| %-52s | %8s | %8s |\n' "$(($(wc -l <"$villages") - 1)) villages" "$secs" "$((kb / 1024))"
  tail -n1 "$work/out"
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin" --db "$db" areas show 130102001 >"$work/out" 2>&1
  read -r secs kb <"$work/time"; printf '| %-52s | %8s | %8s |\n' "areas show 130102001 (a township and its villages)" "$secs" "$((kb / 1024))"
}

run SQLite "sqlite://$work/areas.db"
if [ -z "${RIGHTSTAT_SKIP_PG:-}" ]; then
  psql "$pg" -qc "DROP DATABASE IF EXISTS rightstat_bench_areas" >/dev/null 2>&1
  psql "$pg" -qc "CREATE DATABASE rightstat_bench_areas" >/dev/null
  run PostgreSQL "${pg%/*}/rightstat_bench_areas"
  psql "$pg" -qc "DROP DATABASE IF EXISTS rightstat_bench_areas" >/dev/null
fi
