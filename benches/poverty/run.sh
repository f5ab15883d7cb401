#!/usr/bin/env bash
# Poverty engine against its peers on one synthetic registry, in one run.
#
#   benches/poverty/run.sh HOUSEHOLDS [PEERS]       e.g. benches/poverty/run.sh 3010000 duckdb,pandas,r
#
# Generates the registry (Parquet and CSV, crates/poverty/examples/gen_registry.rs), then
# times FGT0/1/2, Watts, Gini and the weighted median by province x urban/rural, with the
# line at 60 % of the national weighted median (LINE=4000 for an absolute line):
# `rightstat poverty` (which also computes every margin), DuckDB SQL and pandas/numpy
# (pip install duckdb pandas pyarrow), R with data.table::fread and laeken (apt-get install
# r-cran-laeken r-cran-data.table; CSV only). Every time is end to end (process start,
# reading the file, computing, printing). Each engine's peak memory comes from GNU time.
# Ratios are peer time / rightstat time; "floor" is rightstat computing only the mean by the
# same breakdown from the same columns of the same file (reading them is most of it), and its
# ratio is rightstat's time / the floor's.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-1000000}
PEERS=${2:-duckdb,pandas,r}
DIR=${BENCH_DIR:-bench-data}
mkdir -p "$DIR"
LINE=${LINE:-relative:0.6:median}
export BY=${BY:-province,urbanisation}   # e.g. BY=village: hundreds of thousands of groups
cargo build --release -q --locked -p rightstat --bin rightstat
cargo build --release -q --locked -p rightstat-poverty --example gen_registry
PQ="$DIR/registry_$N.parquet"; CSV="$DIR/registry_$N.csv"
[ -f "$PQ" ] && [ -f "$CSV" ] || ./target/release/examples/gen_registry "$N" "$PQ" "$CSV"
persons=$(python3 -c "import pyarrow.parquet as p; t=p.read_table('$PQ', columns=['size']); print(sum(t.column('size').to_pylist()))" 2>/dev/null || echo "?")
echo "registry: $N households, $persons persons; Parquet $(du -h "$PQ" | cut -f1), CSV $(du -h "$CSV" | cut -f1)"

measure() { # command... -> "seconds peakKB internal-seconds fgt0"
  local out; out=$( { /usr/bin/time -f "%e %M" "$@" > "$DIR/out.txt"; } 2>&1 | tail -1)
  echo "$out $(cat "$DIR/out.txt" | tail -1)"
}

ours() { # file measures -> "seconds peakKB fgt0"
  local t; t=$( { /usr/bin/time -f "%e %M" ./target/release/rightstat --db "sqlite://$DIR/bench.db" poverty "$1" \
      --welfare income_pc --weight weight --size size --by "$BY" --line $LINE \
      --measures "$2" --format csv > "$DIR/ours.csv"; } 2>&1 | tail -1)
  local total; total=$(echo "$BY" | sed 's/[^,]*/_T/g')
  local col=$(( $(echo "$BY" | tr -cd , | wc -c) + 3 ))   # keys..., measure, value
  local fgt0; fgt0=$(grep "^$total,fgt0," "$DIR/ours.csv" | cut -d, -f$col || true)
  echo "$t ${fgt0:--}"
}

printf "%-10s %-8s %10s %10s %12s %16s\n" engine input seconds peak_MB "ratio" "national FGT0"
for input in parquet csv; do
  f=$PQ; [ $input = csv ] && f=$CSV
  read -r ts tm tf < <(ours "$f" fgt0,fgt1,fgt2,watts,gini,median)
  printf "%-10s %-8s %10s %10s %12s %16s\n" rightstat $input "$ts" $((tm / 1024)) "1.00" "$tf"
  # The floor: the same columns read, only the mean computed (with an absolute line, so that
  # nothing is sorted).
  read -r fs fm _ < <(LINE=1 ours "$f" mean)
  printf "%-10s %-8s %10s %10s %12s %16s\n" floor $input "$fs" $((fm / 1024)) "$(python3 -c "print(f'{$ts/max($fs,0.01):.2f}')")" "-"
  for peer in ${PEERS//,/ }; do
    case $peer in
      duckdb|pandas) read -r ps pm wall pf < <(measure python3 benches/poverty/peers.py "$peer" "$f" "$LINE") ;;
      r) [ $input = csv ] || continue; read -r ps pm wall pf < <(measure Rscript benches/poverty/laeken.R "$f" "$LINE") ;;
      *) continue ;;
    esac
    printf "%-10s %-8s %10s %10s %12s %16s\n" "$peer" $input "$ps" $((pm / 1024)) "$(python3 -c "print(f'{$ps/$ts:.2f}')")" "$pf"
  done
done
