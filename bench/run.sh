#!/usr/bin/env bash
# One command for the foundation benchmark: ReplCache over gRPC (unary and pipelined) and HTTP
# (wrk) beside redis-server 7.0.15 measured in the same run on the same machine, plus the
# entry codec cost when dev.replcache.bench.EntryCodecBenchmark exists. All traffic goes to
# 127.0.0.1; every run is bounded in count or time; every process started is stopped by its pid.
#
# Usage: bench/run.sh [requests]   (default 1000000, as redis-benchmark -n 1000000)
# Output: a Markdown table on stdout and in bench/results/<timestamp>.md
#
# Environment (all optional):
#   BENCH_WRK_SECONDS      length of each wrk run (15)
#   BENCH_WRK_WARMUP_SECONDS  unmeasured wrk run before each measured one (20: on 2 cores the JIT
#                          compiles the Spring MVC path for about that long; 5 s measured 3.2k PUT/s
#                          where the same server did 7.5k once warm)
#   BENCH_GRPC_CHANNELS    HTTP/2 connections the 50 gRPC lanes share (2; 50 = one per lane)
#   BENCH_MAX_LOAD         wait until the 1-minute load average is below this before measuring
#                          (1.5; 0 = do not wait), polling every 30 s ...
#   BENCH_LOAD_WAIT_SECONDS  ... for at most this long (900), then measure anyway and say so
#   BENCH_SERVER_JAVA_OPTS extra JVM options for ReplCache (profiling, e.g. -XX:StartFlightRecording=...)
#   BENCH_HTTP_PORT, BENCH_GRPC_PORT, BENCH_REDIS_PORT  (18080, 19090, 16379)
set -euo pipefail
export LANG=C.UTF-8
cd "$(dirname "$0")/.."

REQUESTS=${1:-1000000}
KEYSPACE=1000000
CLIENTS=50
VALUE=100
HTTP_PORT=${BENCH_HTTP_PORT:-18080}
GRPC_PORT=${BENCH_GRPC_PORT:-19090}
REDIS_PORT=${BENCH_REDIS_PORT:-16379}
WRK_SECONDS=${BENCH_WRK_SECONDS:-15}
WRK_WARMUP=${BENCH_WRK_WARMUP_SECONDS:-20}
[[ $WRK_WARMUP =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_WRK_WARMUP_SECONDS must be a positive integer, got '$WRK_WARMUP'" >&2; exit 2; }
CHANNELS=${BENCH_GRPC_CHANNELS:-2}
MAX_LOAD=${BENCH_MAX_LOAD:-1.5}
LOAD_WAIT_SECONDS=${BENCH_LOAD_WAIT_SECONDS:-900}
SERVER_JAVA_OPTS=${BENCH_SERVER_JAVA_OPTS:-}
RUN_TIMEOUT=900          # seconds: upper bound for one redis-benchmark or load generator run
STOP_TIMEOUT=45          # seconds: SIGTERM grace for a process we started, then SIGKILL
export BENCH_KEYSPACE=$KEYSPACE
COMMAND="$0${*:+ $*}"

[[ $REQUESTS =~ ^[1-9][0-9]*$ ]] || { echo "requests must be a positive integer, got '$REQUESTS'" >&2; exit 2; }
for tool in redis-server redis-cli redis-benchmark wrk curl java timeout; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install redis-server redis-tools wrk curl" >&2; exit 1; }
done

# shellcheck source=bench/procs.sh
source bench/procs.sh # the scripts run from the repository root (cd above)
require_free_ports "$REDIS_PORT" "$HTTP_PORT" "$GRPC_PORT"

echo "== building" >&2
timeout 1800 ./mvnw -B -q -Pbench -DskipTests package
timeout 600 ./mvnw -B -q -Pbench dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$work/cp.txt" >/dev/null
CP="target/test-classes:target/classes:$(cat "$work/cp.txt")"
# The jar of this build (not whatever older version is still lying in target/).
JAR=target/$(awk -F= '$1 == "artifactId" {a=$2} $1 == "version" {v=$2} END {print a "-" v ".jar"}' target/maven-archiver/pom.properties)
[[ -f $JAR ]] || { echo "built jar $JAR not found" >&2; exit 1; }
GIT_REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src bench pom.xml 2>/dev/null || echo "+local changes")

# The machine is shared: measure when it is quiet (the build above raises the load too).
load_note=""
if awk -v m="$MAX_LOAD" 'BEGIN { exit !(m > 0) }'; then
  waited=0
  while awk -v l="$(load1)" -v m="$MAX_LOAD" 'BEGIN { exit !(l >= m) }'; do
    if ((waited >= LOAD_WAIT_SECONDS)); then
      load_note="the 1-minute load average did not fall below $MAX_LOAD within ${LOAD_WAIT_SECONDS}s; measured anyway"
      echo "$load_note" >&2
      break
    fi
    echo "load average $(loadavg) >= $MAX_LOAD: waiting (${waited}s of ${LOAD_WAIT_SECONDS}s)" >&2
    sleep 30; waited=$((waited + 30))
  done
  [[ -n $load_note ]] || load_note="waited ${waited}s for the 1-minute load average to fall below $MAX_LOAD"
else
  load_note="no wait for a quiet machine (BENCH_MAX_LOAD=0)"
fi
LOAD_START=$(loadavg)
TIME_START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
echo "== load average at start: $LOAD_START" >&2

notes=()

echo "== redis-server $(redis-server --version | awk '{print $3}') on 127.0.0.1:$REDIS_PORT" >&2
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
redis_pid=$!; pids+=("$redis_pid")
for _ in $(seq 100); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 || { echo "redis-server did not answer PING in 10s" >&2; cat "$work/redis.log" >&2; exit 1; }
redis_line() { # pipeline op -> "rps p50 p99", columns found by their CSV header names
  local csv
  csv=$(timeout "$RUN_TIMEOUT" redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -t "$2" -d $VALUE -c $CLIENTS \
    -n "$REQUESTS" -r $KEYSPACE -P "$1" --csv) || { echo "redis-benchmark -t $2 -P $1 failed or timed out" >&2; return 1; }
  awk -F, -v test="${2^^}" '
    { for (i = 1; i <= NF; i++) gsub(/^"|"$/, "", $i) }
    $1 == "test" { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $1 == test && col["rps"] && col["p50_latency_ms"] && col["p99_latency_ms"] {
      print $col["rps"], $col["p50_latency_ms"], $col["p99_latency_ms"]; found = 1 }
    END { exit !found }' <<<"$csv" || { echo "no $2 line in redis-benchmark CSV:" >&2; echo "$csv" >&2; return 1; }
}
declare -A R
for p in 1 16; do
  for op in set get; do
    R[$op,$p]=$(redis_line "$p" "$op")
    echo "redis $op P$p: ${R[$op,$p]}" >&2
  done
done
stop_pid "$redis_pid"; pids=()

echo "== replcache on 127.0.0.1 (http $HTTP_PORT, grpc $GRPC_PORT)" >&2
# shellcheck disable=SC2086 # SERVER_JAVA_OPTS is a list of options
java -Xms2g -Xmx2g $SERVER_JAVA_OPTS -jar "$JAR" --server.port="$HTTP_PORT" --server.address=127.0.0.1 \
  --replcache.grpc.port="$GRPC_PORT" --replcache.grpc.address=127.0.0.1 --replcache.resp.port=0 --replcache.data-dir="$work/data" \
  >"$work/replcache.log" 2>&1 &
server_pid=$!; pids+=("$server_pid")
# Ready = readiness probe up (after all lifecycle beans started) and the gRPC port accepting:
# Tomcat, and so /actuator/health, comes up before the gRPC server does.
ready=""
for _ in $(seq 240); do
  kill -0 "$server_pid" 2>/dev/null || break
  if curl -sf -m 2 "http://127.0.0.1:$HTTP_PORT/actuator/health/readiness" >/dev/null && port_in_use "$GRPC_PORT"; then
    ready=1; break
  fi
  sleep 0.5
done
[[ -n $ready ]] || { echo "ReplCache not ready within 120s" >&2; cat "$work/replcache.log" >&2; exit 1; }

field() { tr ' ' '\n' <<<"$1" | grep "^$2=" | cut -d= -f2; }
WARMUP=$(( REQUESTS / 10 > 50000 ? 50000 : (REQUESTS / 10 > 0 ? REQUESTS / 10 : 1) ))  # as GrpcLoadGenerator
declare -A G SCPU
# grpc_run key op pipeline label: one GrpcLoadGenerator run into G[key] and the server's CPU per request into SCPU[key].
grpc_run() {
  local rc=0 c0
  c0=$(cpu_us "$server_pid")
  G[$1]=$(timeout "$RUN_TIMEOUT" java -Xms1g -Xmx1g -cp "$CP" dev.replcache.bench.GrpcLoadGenerator \
    127.0.0.1 "$GRPC_PORT" "$2" $CLIENTS "$3" "$REQUESTS" $VALUE $KEYSPACE "$CHANNELS") || rc=$?
  SCPU[$1]=$(cpu_per_request "$server_pid" "$c0" $((REQUESTS + WARMUP)) 0)
  echo "${G[$1]} server_cpu_us=${SCPU[$1]}" >&2
  [[ -n $(field "${G[$1]}" ops/s) ]] || { echo "$4 produced no result (exit $rc)" >&2; exit 1; }
  if ((rc != 0)); then notes+=("$4: $(field "${G[$1]}" errors) failed requests (not counted in ops/s)"); fi
}
for p in 1 16; do
  for op in set get; do grpc_run "$op,$p" "$op" "$p" "gRPC ${op^^} pipeline $p"; done
done
# The Pipeline stream: one per lane, batches of 16 as redis-benchmark -P 16 sends them.
for op in set get; do grpc_run "$op,stream" "$op-stream" 16 "gRPC Pipeline ${op^^}"; done

wrk_run() { # script -> "rps p50_ms p99_ms p999_ms non2xx socket_errors requests server_cpu_us_per_request"
  local out
  # Warm-up (JIT of the HTTP path), not measured, like the gRPC generator's.
  timeout $((WRK_WARMUP + 60)) wrk -t2 -c$CLIENTS -d"${WRK_WARMUP}s" -s "bench/$1" "http://127.0.0.1:$HTTP_PORT" >/dev/null \
    || { echo "wrk warm-up $1 failed or timed out" >&2; return 1; }
  local c0; c0=$(cpu_us "$server_pid")
  out=$(timeout $((WRK_SECONDS + 60)) wrk -t2 -c$CLIENTS -d"${WRK_SECONDS}s" -s "bench/$1" "http://127.0.0.1:$HTTP_PORT") \
    || { echo "wrk $1 failed or timed out" >&2; return 1; }
  local b; b=$(grep '^BENCH ' <<<"$out") || { echo "no BENCH line from wrk $1:" >&2; echo "$out" >&2; return 1; }
  awk -v b="$b" -v cpu=$(( $(cpu_us "$server_pid") - c0 )) 'BEGIN { n = split(b, kv, " "); for (i = 2; i <= n; i++) { split(kv[i], x, "="); f[x[1]] = x[2] }
    printf "%.2f %.3f %.3f %.3f %d %d %d %.0f\n", f["requests"] / f["seconds"], f["p50_us"] / 1000, f["p99_us"] / 1000, f["p999_us"] / 1000,
      f["non2xx"], f["connect"] + f["read"] + f["write"] + f["timeout"], f["requests"], (f["requests"] > 0 ? cpu / f["requests"] : 0) }'
}
H_PUT=$(wrk_run wrk-put.lua); echo "http PUT: $H_PUT" >&2
H_GET=$(wrk_run wrk-get.lua); echo "http GET: $H_GET" >&2
[[ $(wc -w <<<"$H_PUT") == 8 && $(wc -w <<<"$H_GET") == 8 ]] || { echo "could not read the wrk results" >&2; exit 1; }
read -r _ _ _ _ put_non2xx put_sock _ put_cpu <<<"$H_PUT"
read -r _ _ _ _ get_non2xx get_sock get_requests get_cpu <<<"$H_GET"
((put_non2xx == 0)) || notes+=("HTTP PUT: $put_non2xx non-2xx answers")
((put_sock == 0)) || notes+=("HTTP PUT: $put_sock socket errors or timeouts (wrk)")
((get_sock == 0)) || notes+=("HTTP GET: $get_sock socket errors or timeouts (wrk)")
stop_pid "$server_pid"; pids=()
LOAD_END=$(loadavg)
TIME_END=$(date -u +%Y-%m-%dT%H:%M:%SZ)
echo "== load average at end: $LOAD_END" >&2

# Optional: another change adds this class; without it the rest of the benchmark still runs.
codec_class=dev.replcache.bench.EntryCodecBenchmark
if [[ -f target/test-classes/${codec_class//.//}.class || -f target/classes/${codec_class//.//}.class ]]; then
  echo "== entry codec" >&2
  rc=0
  codec=$(timeout "$RUN_TIMEOUT" java -cp "$CP" "$codec_class" 2>&1) || rc=$?
  codec=$(tail -40 <<<"$codec")
  ((rc == 0)) || codec="$codec_class failed (exit $rc):"$'\n'"$codec"
else
  echo "== entry codec: $codec_class not present, skipped" >&2
  codec=""
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf (a / b < 0.1 ? "%.3f" : "%.2f"), a / b; else print "n/a" }'; }

mkdir -p bench/results
out="bench/results/$(date -u +%Y%m%dT%H%M%SZ).md"
{
  echo "# ReplCache foundation benchmark, $TIME_START"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB; $(java -version 2>&1 | head -1); $(redis-server --version | cut -d' ' -f1-3); ReplCache $GIT_REV ($JAR)."
  echo "Load: $CLIENTS clients, $REQUESTS requests per run, ${VALUE}-byte values, random keys over $KEYSPACE; client and server share the machine."
  echo "gRPC: $CLIENTS request lanes x pipeline in flight over $CHANNELS HTTP/2 connections; warm-up of min(requests/10, 50000) excluded. HTTP: wrk -t2 -c$CLIENTS for ${WRK_SECONDS}s after an unmeasured ${WRK_WARMUP}s warm-up."
  echo "Load average (1/5/15 min): $LOAD_START at start ($TIME_START), $LOAD_END at end ($TIME_END); $load_note."
  echo "Command: BENCH_WRK_SECONDS=$WRK_SECONDS BENCH_WRK_WARMUP_SECONDS=$WRK_WARMUP BENCH_GRPC_CHANNELS=$CHANNELS BENCH_MAX_LOAD=$MAX_LOAD $COMMAND"
  [[ -z $SERVER_JAVA_OPTS ]] || echo "Server JVM options: $SERVER_JAVA_OPTS"
  echo
  echo "| run | ReplCache ops/s | p50 ms | p99 ms | p99.9 ms | Redis ops/s | Redis p50 ms | Redis p99 ms | ratio |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for p in 1 16; do
    for op in set get; do
      g=${G[$op,$p]}; read -r rr rp50 rp99 <<<"${R[$op,$p]}"
      echo "| gRPC ${op^^} pipeline $p vs redis-benchmark -P $p | $(field "$g" ops/s) | $(field "$g" p50_ms) | $(field "$g" p99_ms) | $(field "$g" p999_ms) | $rr | $rp50 | $rp99 | $(ratio "$(field "$g" ops/s)" "$rr") |"
    done
  done
  for op in set get; do
    g=${G[$op,stream]}; read -r rr rp50 rp99 <<<"${R[$op,16]}"
    echo "| gRPC ${op^^} on Pipeline streams, batches of 16, vs redis-benchmark -P 16 | $(field "$g" ops/s) | $(field "$g" p50_ms) | $(field "$g" p99_ms) | $(field "$g" p999_ms) | $rr | $rp50 | $rp99 | $(ratio "$(field "$g" ops/s)" "$rr") |"
  done
  read -r hr hp50 hp99 hp999 _ <<<"$H_PUT"; read -r rr rp50 rp99 <<<"${R[set,1]}"
  echo "| HTTP PUT (wrk, ${WRK_SECONDS}s) vs redis SET -P 1 | $hr | $hp50 | $hp99 | $hp999 | $rr | $rp50 | $rp99 | $(ratio "$hr" "$rr") |"
  read -r hr hp50 hp99 hp999 _ <<<"$H_GET"; read -r rr rp50 rp99 <<<"${R[get,1]}"
  echo "| HTTP GET (wrk, ${WRK_SECONDS}s) vs redis GET -P 1 | $hr | $hp50 | $hp99 | $hp999 | $rr | $rp50 | $rp99 | $(ratio "$hr" "$rr") |"
  echo
  echo "Redis p99.9 is not printed by redis-benchmark 7.0. HTTP GET counts misses (404 for keys no earlier run wrote) as full requests: $get_non2xx of $get_requests in this run."
  for n in "${notes[@]}"; do echo "Note: $n."; done
  echo
  echo "CPU time per request (user+system, microseconds). Server: ReplCache over the whole generator run (warm-up included) or the measured wrk run. Client: the load generator JVM over its measured run; client and server share the $(nproc) cores."
  echo
  echo "| run | ReplCache server CPU us/req | load generator CPU us/req |"
  echo "|---|---|---|"
  for p in 1 16; do
    for op in set get; do
      echo "| gRPC ${op^^} pipeline $p | ${SCPU[$op,$p]} | $(field "${G[$op,$p]}" client_cpu_us) |"
    done
  done
  for op in set get; do
    echo "| gRPC ${op^^} on Pipeline streams | ${SCPU[$op,stream]} | $(field "${G[$op,stream]}" client_cpu_us) |"
  done
  echo "| HTTP PUT | $put_cpu | (wrk) |"
  echo "| HTTP GET | $get_cpu | (wrk) |"
  echo
  if [[ -n $codec ]]; then
    echo "Entry codec (encode and decode per entry):"
    echo
    echo '```'
    echo "$codec"
    echo '```'
  else
    echo "Entry codec: skipped, $codec_class is not in this build."
  fi
} | tee "$out"
echo "written to $out" >&2
