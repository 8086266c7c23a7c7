#!/usr/bin/env bash
# Every benchmark beside redis-server in one run, and one table of their ReplCache / Redis ratios
# (issue 13's table): bench/resp.sh (RESP SET/GET), bench/memory.sh (memory per key), bench/run.sh
# (gRPC and HTTP), bench/replication.sh (full sync, throughput during a sync, lag, catch-up) and
# bench/topology.sh (replica restart, FAILOVER, WAIT). Each script measures Redis in its own run
# on this machine; all traffic goes to 127.0.0.1 and every run is bounded.
#
# Usage: bench/compare.sh [quick|full]   (default quick)
#   quick  small counts, no waiting for a quiet machine: a smoke run in minutes, figures rough
#   full   each script's defaults, waiting for a quiet machine: the figures to quote
# Output: the combined table on stdout and in bench/results/compare-<timestamp>.md, followed by
# every script's own table; each script also keeps its raw results in bench/results/.
# A script that cannot run (a tool missing, a failure) is named in the table, not hidden.
set -uo pipefail
export LANG=C.UTF-8
cd "$(dirname "$0")/.."

MODE=${1:-quick}
[[ $MODE == quick || $MODE == full ]] || { echo "usage: bench/compare.sh [quick|full]" >&2; exit 2; }
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
LOGS=bench/results/compare-$STAMP-logs
mkdir -p "$LOGS"

if ! command -v wrk >/dev/null && [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  echo "== installing wrk for bench/run.sh" >&2
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; } >"$LOGS/apt.log" 2>&1 \
    || echo "could not install wrk (see $LOGS/apt.log): bench/run.sh will be reported as not run" >&2
fi

echo "== building once" >&2
timeout 1800 ./mvnw -B -q -Pbench -DskipTests package || { echo "build failed" >&2; exit 1; }

if [[ $MODE == quick ]]; then
  QUIET=(BENCH_MAX_LOAD=0 BENCH_WAIT_QUIET=0)
  RUNS=(
    "resp|bench/resp.sh 20000"
    "memory|bench/memory.sh 100000"
    "run|env BENCH_WRK_SECONDS=3 bench/run.sh 50000"
    "replication|env BENCH_SET_REQUESTS=20000 BENCH_LAG_REQUESTS=20000 bench/replication.sh 50000"
    "topology|env BENCH_RESTART_WRITES=2000 BENCH_WAIT_OPS=500 BENCH_FAILOVERS=1 bench/topology.sh 20000"
  )
else
  QUIET=()
  RUNS=(
    "resp|bench/resp.sh"
    "memory|bench/memory.sh"
    "run|bench/run.sh"
    "replication|bench/replication.sh"
    "topology|bench/topology.sh"
  )
fi

declare -A OUT STATUS
for run in "${RUNS[@]}"; do
  name=${run%%|*}; cmd=${run#*|}
  echo "== $name: $cmd" >&2
  # shellcheck disable=SC2086 # cmd is a command line of our own
  env "${QUIET[@]}" BENCH_BUILD=0 $cmd >"$LOGS/$name.out" 2>"$LOGS/$name.err"
  rc=$?
  file=$(sed -n 's/^written to \([^ ]*\).*/\1/p' "$LOGS/$name.err" | tail -1)
  if [[ $rc == 0 && -n $file && -f $file ]]; then
    OUT[$name]=$file; STATUS[$name]=ok
  else
    STATUS[$name]="not run or failed (exit $rc; see $LOGS/$name.err)"
  fi
done

out="bench/results/compare-$STAMP.md"
{
  echo "# ReplCache beside Redis, all benchmarks ($MODE mode), $STAMP"
  echo
  echo "Machine: $(nproc) cores; $(java -version 2>&1 | head -1); $(redis-server --version | cut -d' ' -f1-3); ReplCache $(git rev-parse --short HEAD)."
  echo "Ratio = ReplCache / Redis, as each script computes it: higher is better for throughput, lower for time and memory."
  echo
  echo "| script | measurement | ReplCache / Redis |"
  echo "|---|---|---|"
  for run in "${RUNS[@]}"; do
    name=${run%%|*}
    if [[ ${STATUS[$name]} != ok ]]; then
      echo "| $name | ${STATUS[$name]} | n/a |"
      continue
    fi
    # The first table of every script ends its rows with the ratio; its header and separator are skipped.
    awk -F'|' -v s="$name" '
      /^\|/ { seen = 1 } !/^\|/ && seen { exit }
      /^\|/ && NF > 3 && $2 !~ /^ *(run|measurement|measure) *$/ && $2 !~ /---/ {
        gsub(/^ +| +$/, "", $2); r = $(NF - 1); gsub(/^ +| +$/, "", r); print "| " s " | " $2 " | " r " |" }' "${OUT[$name]}"
  done
  for run in "${RUNS[@]}"; do
    name=${run%%|*}
    [[ ${STATUS[$name]} == ok ]] || continue
    echo
    echo "---"
    echo
    cat "${OUT[$name]}"
  done
} | tee "$out"
echo "written to $out (script output in $LOGS)" >&2
