#!/usr/bin/env bash
# One command for the foundation benchmark: ReplCache over gRPC (unary and pipelined) and HTTP
# (wrk) beside redis-server 7.0.15 measured in the same run on the same machine, plus the
# entry codec cost. All traffic goes to 127.0.0.1; every run is bounded in count or time.
#
# Usage: bench/run.sh [requests]   (default 1000000, as redis-benchmark -n 1000000)
# Output: a Markdown table on stdout and in bench/results/<timestamp>.md
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
export BENCH_KEYSPACE=$KEYSPACE

for tool in redis-server redis-benchmark wrk; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install redis-server redis-tools wrk" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== building" >&2
./mvnw -B -q -DskipTests package
./mvnw -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$work/cp.txt" >/dev/null
CP="target/test-classes:target/classes:$(cat "$work/cp.txt")"
JAR=$(ls target/replcache-*.jar | grep -v original | head -1)

echo "== entry codec" >&2
codec=$(java -cp "$CP" dev.replcache.bench.EntryCodecBenchmark 2>&1 | tail -20 || true)

echo "== redis-server 7.0.15 on 127.0.0.1:$REDIS_PORT" >&2
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis_line() { # pipeline op -> "rps p50 p99" from the CSV (p99.9 is not printed by redis-benchmark 7.0)
  redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -t "$2" -d $VALUE -c $CLIENTS -n "$REQUESTS" -r $KEYSPACE -P "$1" --csv \
    | awk -F'","' 'NR==2 {gsub(/"/,"",$0); split($0,f,","); print f[2], f[5], f[7]}'
}
declare -A R
for p in 1 16; do
  for op in set get; do
    R[$op,$p]=$(redis_line "$p" "$op")
    echo "redis $op P$p: ${R[$op,$p]}" >&2
  done
done
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true; pids=()

echo "== replcache on 127.0.0.1 (http $HTTP_PORT, grpc $GRPC_PORT)" >&2
java -Xms2g -Xmx2g -jar "$JAR" --server.port=$HTTP_PORT --server.address=127.0.0.1 \
  --replcache.grpc.port=$GRPC_PORT --replcache.grpc.address=127.0.0.1 --replcache.data-dir="$work/data" \
  >"$work/replcache.log" 2>&1 &
pids+=($!)
for _ in $(seq 120); do curl -sf "http://127.0.0.1:$HTTP_PORT/actuator/health" >/dev/null && break; sleep 0.5; done
curl -sf "http://127.0.0.1:$HTTP_PORT/actuator/health" >/dev/null || { cat "$work/replcache.log" >&2; exit 1; }

declare -A G
for p in 1 16; do
  for op in set get; do
    G[$op,$p]=$(java -cp "$CP" dev.replcache.bench.GrpcLoadGenerator 127.0.0.1 $GRPC_PORT $op $CLIENTS $p "$REQUESTS" $VALUE $KEYSPACE)
    echo "${G[$op,$p]}" >&2
  done
done

wrk_rps() { # script -> "rps p50 p99" (ms)
  wrk -t2 -c$CLIENTS -d${WRK_SECONDS}s --latency -s "bench/$1" "http://127.0.0.1:$HTTP_PORT" \
    | awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {print rps, p50, p99}'
}
H_PUT=$(wrk_rps wrk-put.lua); echo "http PUT: $H_PUT" >&2
H_GET=$(wrk_rps wrk-get.lua); echo "http GET: $H_GET" >&2

field() { echo "$1" | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
to_ms() { # wrk prints 1.23ms / 850.00us / 1.2s
  awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/,"",v); printf "%.3f", v/1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v); printf "%.3f", v } else if (v ~ /s$/) { sub(/s$/,"",v); printf "%.3f", v*1000 } else print v }'
}

mkdir -p bench/results
out="bench/results/$(date -u +%Y%m%dT%H%M%SZ).md"
{
  echo "# ReplCache foundation benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB; $(java -version 2>&1 | head -1); $(redis-server --version | cut -d' ' -f1-3)."
  echo "Load: $CLIENTS clients, $REQUESTS requests per run, ${VALUE}-byte values, random keys over $KEYSPACE; client and server share the machine."
  echo
  echo "| run | ReplCache ops/s | p50 ms | p99 ms | p99.9 ms | Redis ops/s | Redis p50 ms | Redis p99 ms | ratio |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for p in 1 16; do
    for op in set get; do
      g=${G[$op,$p]}; read -r rr rp50 rp99 <<<"${R[$op,$p]}"
      echo "| gRPC ${op^^} pipeline $p vs redis-benchmark -P $p | $(field "$g" ops/s) | $(field "$g" p50_ms) | $(field "$g" p99_ms) | $(field "$g" p999_ms) | $rr | $rp50 | $rp99 | $(ratio "$(field "$g" ops/s)" "$rr") |"
    done
  done
  read -r hr hp50 hp99 <<<"$H_PUT"; read -r rr rp50 rp99 <<<"${R[set,1]}"
  echo "| HTTP PUT (wrk, ${WRK_SECONDS}s) vs redis SET -P 1 | $hr | $(to_ms "$hp50") | $(to_ms "$hp99") | | $rr | $rp50 | $rp99 | $(ratio "$hr" "$rr") |"
  read -r hr hp50 hp99 <<<"$H_GET"; read -r rr rp50 rp99 <<<"${R[get,1]}"
  echo "| HTTP GET (wrk, ${WRK_SECONDS}s) vs redis GET -P 1 | $hr | $(to_ms "$hp50") | $(to_ms "$hp99") | | $rr | $rp50 | $rp99 | $(ratio "$hr" "$rr") |"
  echo
  echo "Entry codec (encode and decode per entry):"
  echo
  echo '```'
  echo "$codec"
  echo '```'
} | tee "$out"
echo "written to $out" >&2
