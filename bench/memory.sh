#!/usr/bin/env bash
# Memory per key: N keys with 100-byte values (keys "key:%012d", as redis-benchmark -r makes them)
# loaded with redis-cli --pipe into redis-server 7.0.15 and into ReplCache's RESP port, in the same
# run on the same machine, all traffic on 127.0.0.1. Per key, after minus before the load:
#   Redis:     used_memory (the allocator's count) and used_memory_rss (the process)
#   ReplCache: live heap after a full GC (jcmd GC.run, then GC.heap_info), the process RSS, and
#              the keyspace's own estimate (INFO memory used_memory, what max-memory counts)
#
# Usage: bench/memory.sh [keys]   (default 1000000)
# Output: a Markdown table on stdout and in bench/results/memory-<timestamp>.md
#
# Environment (all optional):
#   BENCH_BUILD=0          use the jar in target/ as it is (no ./mvnw package)
#   BENCH_SERVER_JAVA_OPTS extra JVM options for ReplCache (default heap: -Xmx2g)
#   BENCH_RESP_PORT, BENCH_REDIS_PORT, BENCH_HTTP_PORT, BENCH_GRPC_PORT  (16380, 16379, 18080, 19090)
set -euo pipefail
export LANG=C.UTF-8
cd "$(dirname "$0")/.."

KEYS=${1:-1000000}
VALUE=100
RESP_PORT=${BENCH_RESP_PORT:-16380}
REDIS_PORT=${BENCH_REDIS_PORT:-16379}
HTTP_PORT=${BENCH_HTTP_PORT:-18080}
GRPC_PORT=${BENCH_GRPC_PORT:-19090}
SERVER_JAVA_OPTS=${BENCH_SERVER_JAVA_OPTS:-}
STOP_TIMEOUT=45
LOAD_TIMEOUT=600
COMMAND="$0${*:+ $*}"

[[ $KEYS =~ ^[1-9][0-9]*$ ]] || { echo "keys must be a positive integer, got '$KEYS'" >&2; exit 2; }
for tool in redis-server redis-cli java jcmd timeout awk; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done

# shellcheck source=bench/procs.sh
source bench/procs.sh
require_free_ports "$RESP_PORT" "$REDIS_PORT" "$HTTP_PORT" "$GRPC_PORT"

if [[ ${BENCH_BUILD:-1} != 0 ]]; then
  echo "== building" >&2
  timeout 1800 ./mvnw -B -q -DskipTests package
fi
JAR=target/$(awk -F= '$1 == "artifactId" {a=$2} $1 == "version" {v=$2} END {print a "-" v ".jar"}' target/maven-archiver/pom.properties)
[[ -f $JAR ]] || { echo "built jar $JAR not found" >&2; exit 1; }
GIT_REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src bench pom.xml 2>/dev/null || echo "+local changes")
TIME_START=$(date -u +%Y-%m-%dT%H:%M:%SZ)

echo "== generating $KEYS SETs of $VALUE-byte values" >&2
awk -v n="$KEYS" -v len="$VALUE" 'BEGIN {
  v = sprintf("%*s", len, ""); gsub(/ /, "x", v)
  for (i = 0; i < n; i++) {
    k = sprintf("key:%012d", i)
    printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, len, v
  }
}' >"$work/load.resp"

info_field() { # port field -> value from INFO memory
  redis-cli -h 127.0.0.1 -p "$1" info memory | tr -d '\r' | awk -F: -v f="$2" '$1 == f { print $2 }'
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
heap_used_kb() { # pid -> live heap after a full GC, in KB
  jcmd "$1" GC.run >/dev/null
  jcmd "$1" GC.heap_info | awk '/used/ { for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); gsub(/[^0-9]/, "", v); print v; exit } }'
}
load() { # port
  timeout "$LOAD_TIMEOUT" redis-cli -h 127.0.0.1 -p "$1" --pipe <"$work/load.resp" >"$work/pipe-$1.log" 2>&1 \
    || { echo "redis-cli --pipe into :$1 failed" >&2; cat "$work/pipe-$1.log" >&2; exit 1; }
  local n; n=$(redis-cli -h 127.0.0.1 -p "$1" dbsize)
  [[ $n == "$KEYS" ]] || { echo "port $1 holds $n keys after the load, expected $KEYS" >&2; exit 1; }
}

echo "== redis-server $(redis-server --version | awk '{print $3}') on 127.0.0.1:$REDIS_PORT" >&2
start_redis "$REDIS_PORT"
r_used0=$(info_field "$REDIS_PORT" used_memory); r_rss0=$(info_field "$REDIS_PORT" used_memory_rss)
load "$REDIS_PORT"
r_used1=$(info_field "$REDIS_PORT" used_memory); r_rss1=$(info_field "$REDIS_PORT" used_memory_rss)
stop_pid "$redis_pid"

echo "== replcache RESP on 127.0.0.1:$RESP_PORT" >&2
start_replcache_resp -Xmx2g
c_heap0=$(heap_used_kb "$server_pid"); c_rss0=$(rss_kb "$server_pid"); c_est0=$(info_field "$RESP_PORT" used_memory)
load "$RESP_PORT"
c_heap1=$(heap_used_kb "$server_pid"); c_rss1=$(rss_kb "$server_pid"); c_est1=$(info_field "$RESP_PORT" used_memory)
stop_pid "$server_pid"; pids=()

per_key() { awk -v a="$1" -v b="$2" -v m="$3" -v n="$KEYS" 'BEGIN { printf "%.0f", (b - a) * m / n }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
r_used=$(per_key "$r_used0" "$r_used1" 1); r_rss=$(per_key "$r_rss0" "$r_rss1" 1)
c_heap=$(per_key "$c_heap0" "$c_heap1" 1024); c_rss=$(per_key "$c_rss0" "$c_rss1" 1024); c_est=$(per_key "$c_est0" "$c_est1" 1)

mkdir -p bench/results
out="bench/results/memory-$(date -u +%Y%m%dT%H%M%SZ).md"
{
  echo "# Memory per key, $TIME_START"
  echo
  echo "Machine: $(nproc) cores; $(java -version 2>&1 | head -1); $(redis-server --version | cut -d' ' -f1-3); ReplCache $GIT_REV."
  echo "$KEYS keys \"key:%012d\" with $VALUE-byte values, loaded with redis-cli --pipe; bytes per key = (after - before) / keys. Command: $COMMAND"
  echo
  echo "| measure | bytes per key | ReplCache / Redis used_memory |"
  echo "|---|---|---|"
  echo "| Redis used_memory | $r_used | 1.00 |"
  echo "| Redis used_memory_rss | $r_rss | $(ratio "$r_rss" "$r_used") |"
  echo "| ReplCache live heap after a full GC | $c_heap | $(ratio "$c_heap" "$r_used") |"
  echo "| ReplCache process RSS | $c_rss | $(ratio "$c_rss" "$r_used") |"
  echo "| ReplCache keyspace estimate (INFO used_memory) | $c_est | $(ratio "$c_est" "$r_used") |"
} | tee "$out"
echo "written to $out" >&2
