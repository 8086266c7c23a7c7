#!/usr/bin/env bash
# The Redis protocol benchmark: redis-benchmark against ReplCache's RESP port and against
# redis-server (7.0.15, --save '' --appendonly no), in the same run on the same machine:
#
#   redis-benchmark -t set,get -c 50 -d 100 -r 1000000 -n <requests> [-P 16]
#
# Each test runs on Redis and then on ReplCache, back to back, in BENCH_ROUNDS rounds; the table
# gives the medians over rounds and each round's ratio (this shared 2-core VM swings by up to 1.8x
# between identical runs, so one round proves little), and each server's CPU time per request
# (user + system of its process over the run), which moves much less with the neighbours' load. ReplCache gets one unmeasured warm-up run
# of each (the JIT compiles the RESP path); Redis needs none.
# All traffic goes to 127.0.0.1; every run is bounded in count and time; every process started
# is stopped by its pid.
#
# Usage: bench/resp.sh [requests]   (default 200000)
# Output: a Markdown table on stdout and in bench/results/resp-<timestamp>.md
#
# Environment (all optional):
#   BENCH_BUILD=0          use the jar in target/ as it is (no ./mvnw package)
#   BENCH_ROUNDS           rounds of the four tests (3)
#   BENCH_MAX_LOAD         wait until the 1-minute load average is below this (1.5; 0 = do not wait),
#                          polling every 30 s, for at most BENCH_LOAD_WAIT_SECONDS (900)
#   BENCH_SERVER_JAVA_OPTS extra JVM options for ReplCache
#   BENCH_RESP_PORT, BENCH_REDIS_PORT, BENCH_HTTP_PORT, BENCH_GRPC_PORT  (16380, 16379, 18080, 19090)
set -euo pipefail
export LANG=C.UTF-8
cd "$(dirname "$0")/.."

REQUESTS=${1:-200000}
KEYSPACE=1000000
CLIENTS=50
VALUE=100
RESP_PORT=${BENCH_RESP_PORT:-16380}
REDIS_PORT=${BENCH_REDIS_PORT:-16379}
HTTP_PORT=${BENCH_HTTP_PORT:-18080}
GRPC_PORT=${BENCH_GRPC_PORT:-19090}
MAX_LOAD=${BENCH_MAX_LOAD:-1.5}
ROUNDS=${BENCH_ROUNDS:-3}
LOAD_WAIT_SECONDS=${BENCH_LOAD_WAIT_SECONDS:-900}
SERVER_JAVA_OPTS=${BENCH_SERVER_JAVA_OPTS:-}
RUN_TIMEOUT=600          # seconds: upper bound for one redis-benchmark run
STOP_TIMEOUT=45          # seconds: SIGTERM grace for a process we started, then SIGKILL
COMMAND="$0${*:+ $*}"

[[ $REQUESTS =~ ^[1-9][0-9]*$ ]] || { echo "requests must be a positive integer, got '$REQUESTS'" >&2; exit 2; }
[[ $ROUNDS =~ ^[1-9][0-9]?$ ]] || { echo "BENCH_ROUNDS must be 1-99, got '$ROUNDS'" >&2; exit 2; }
for tool in redis-server redis-cli redis-benchmark java timeout; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install redis-server redis-tools" >&2; exit 1; }
done

# shellcheck source=bench/procs.sh
source bench/procs.sh # the scripts run from the repository root (cd above)
require_free_ports "$RESP_PORT" "$REDIS_PORT" "$HTTP_PORT" "$GRPC_PORT"

if [[ ${BENCH_BUILD:-1} != 0 ]]; then
  echo "== building" >&2
  timeout 1800 ./mvnw -B -q -DskipTests package
fi
JAR=target/$(awk -F= '$1 == "artifactId" {a=$2} $1 == "version" {v=$2} END {print a "-" v ".jar"}' target/maven-archiver/pom.properties)
[[ -f $JAR ]] || { echo "built jar $JAR not found" >&2; exit 1; }
GIT_REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src bench pom.xml 2>/dev/null || echo "+local changes")

load_note="no wait for a quiet machine (BENCH_MAX_LOAD=0)"
if awk -v m="$MAX_LOAD" 'BEGIN { exit !(m > 0) }'; then
  waited=0
  while awk -v l="$(cut -d' ' -f1 /proc/loadavg)" -v m="$MAX_LOAD" 'BEGIN { exit !(l >= m) }'; do
    if ((waited >= LOAD_WAIT_SECONDS)); then
      load_note="the 1-minute load average did not fall below $MAX_LOAD within ${LOAD_WAIT_SECONDS}s; measured anyway"
      break
    fi
    echo "load average $(loadavg) >= $MAX_LOAD: waiting (${waited}s of ${LOAD_WAIT_SECONDS}s)" >&2
    sleep 30; waited=$((waited + 30))
  done
  [[ $load_note == no* ]] && load_note="waited ${waited}s for the 1-minute load average to fall below $MAX_LOAD"
fi
LOAD_START=$(loadavg)
TIME_START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
echo "== load average at start: $LOAD_START" >&2

bench_line() { # port pipeline op -> "rps p50 p99"
  local csv
  csv=$(timeout "$RUN_TIMEOUT" redis-benchmark -h 127.0.0.1 -p "$1" -t "$3" -d $VALUE -c $CLIENTS \
    -n "$REQUESTS" -r $KEYSPACE -P "$2" --csv) || { echo "redis-benchmark -p $1 -t $3 -P $2 failed or timed out" >&2; return 1; }
  awk -F, -v test="${3^^}" '
    { for (i = 1; i <= NF; i++) gsub(/^"|"$/, "", $i) }
    $1 == "test" { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $1 == test && col["rps"] && col["p50_latency_ms"] && col["p99_latency_ms"] {
      print $col["rps"], $col["p50_latency_ms"], $col["p99_latency_ms"]; found = 1 }
    END { exit !found }' <<<"$csv" || { echo "no $3 line in redis-benchmark CSV:" >&2; echo "$csv" >&2; return 1; }
}

measure() { # server-pid port pipeline op -> "rps p50 p99 server_cpu_us_per_request"
  local c0 line
  c0=$(cpu_us "$1")
  line=$(bench_line "$2" "$3" "$4") || return 1
  echo "$line $(cpu_per_request "$1" "$c0" "$REQUESTS" 2)"
}

# Both servers run side by side (the idle one costs nothing) and each test runs on Redis and then
# on ReplCache back to back, so a change in the machine's load hits both alike.
echo "== redis-server $(redis-server --version | awk '{print $3}') on 127.0.0.1:$REDIS_PORT" >&2
start_redis "$REDIS_PORT"

echo "== replcache RESP on 127.0.0.1:$RESP_PORT" >&2
start_replcache_resp -Xms2g -Xmx2g
echo "== warm-up of ReplCache (not measured)" >&2
for p in 1 16; do bench_line "$RESP_PORT" "$p" set >/dev/null; bench_line "$RESP_PORT" "$p" get >/dev/null; done

declare -A R C
for ((round = 1; round <= ROUNDS; round++)); do
  for p in 1 16; do
    for op in set get; do
      R[$op,$p,$round]=$(measure "$redis_pid" "$REDIS_PORT" "$p" "$op"); echo "round $round redis $op P$p: ${R[$op,$p,$round]}" >&2
      C[$op,$p,$round]=$(measure "$server_pid" "$RESP_PORT" "$p" "$op"); echo "round $round replcache $op P$p: ${C[$op,$p,$round]}" >&2
    done
  done
done
stop_pid "$server_pid"; stop_pid "$redis_pid"; pids=()
LOAD_END=$(loadavg)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
column_of() { # array-name op pipeline column(1=rps 2=p50 3=p99 4=cpu) -> the values of every round
  local -n runs=$1; local r
  for ((r = 1; r <= ROUNDS; r++)); do awk -v c="$4" '{ print $c }' <<<"${runs[$2,$3,$r]}"; done
}
mkdir -p bench/results
out="bench/results/resp-$(date -u +%Y%m%dT%H%M%SZ).md"
{
  echo "# ReplCache RESP benchmark, $TIME_START"
  echo
  echo "Machine: $(nproc) cores; $(java -version 2>&1 | head -1); $(redis-server --version | cut -d' ' -f1-3); ReplCache $GIT_REV."
  echo "redis-benchmark -t set,get -c $CLIENTS -d $VALUE -r $KEYSPACE -n $REQUESTS [-P 16]; client and servers share the machine; each test on Redis then on ReplCache, back to back, in $ROUNDS rounds: medians over the rounds, and each round's ratio; CPU us/req is each server process's user + system time over the run divided by its requests; ReplCache after one unmeasured warm-up run of each."
  echo "Load average (1/5/15 min): $LOAD_START at start, $LOAD_END at end; $load_note. Command: $COMMAND"
  echo
  echo "| run | ReplCache ops/s | p50 ms | p99 ms | CPU us/req | Redis ops/s | Redis p50 ms | Redis p99 ms | Redis CPU us/req | ratio per round | ReplCache / Redis (median) |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  for p in 1 16; do
    for op in set get; do
      cols=()
      for arr in C R; do
        for c in 1 2 3 4; do cols+=("$(column_of "$arr" "$op" "$p" "$c" | median)"); done
      done
      per_round=()
      for ((r = 1; r <= ROUNDS; r++)); do
        per_round+=("$(ratio "$(cut -d' ' -f1 <<<"${C[$op,$p,$r]}")" "$(cut -d' ' -f1 <<<"${R[$op,$p,$r]}")")")
      done
      echo "| ${op^^} -P $p | ${cols[0]} | ${cols[1]} | ${cols[2]} | ${cols[3]} | ${cols[4]} | ${cols[5]} | ${cols[6]} | ${cols[7]} | ${per_round[*]} | $(printf '%s\n' "${per_round[@]}" | median) |"
    done
  done
} | tee "$out"
echo "written to $out" >&2
