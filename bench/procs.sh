#!/usr/bin/env bash
# Process and port bookkeeping shared by the bench scripts; sourced, not run.
# Expects STOP_TIMEOUT (seconds of SIGTERM grace). Gives a temporary $work directory, a pids
# array that `cleanup` (on exit) stops, and the helpers below.

work=$(mktemp -d)
pids=()
# Stop one process we started: SIGTERM, a bounded wait, then SIGKILL.
stop_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "pid $pid still running ${STOP_TIMEOUT}s after SIGTERM: SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local pid
  for pid in "${pids[@]}"; do stop_pid "$pid"; done
  pids=()
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Something else on one of our ports would silently be measured instead of our server.
require_free_ports() {
  local port
  for port in "$@"; do
    if port_in_use "$port"; then echo "127.0.0.1:$port is already in use; set BENCH_*_PORT" >&2; exit 1; fi
  done
}
load1() { cut -d' ' -f1 /proc/loadavg; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
CLK_TCK=$(getconf CLK_TCK)
cpu_us() { awk -v t="$CLK_TCK" '{ printf "%.0f", ($14 + $15) * 1e6 / t }' "/proc/$1/stat"; } # user+system of a pid
# cpu_per_request pid cpu_us_before requests decimals: the pid's CPU microseconds per request since then
cpu_per_request() { awk -v a="$2" -v b="$(cpu_us "$1")" -v n="$3" -v d="$4" 'BEGIN { printf "%." d "f", (b - a) / n }'; }

# redis-server (no persistence) on 127.0.0.1:$1, answering PING; sets redis_pid.
start_redis() {
  redis-server --bind 127.0.0.1 --port "$1" --save "" --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
  redis_pid=$!; pids+=("$redis_pid")
  for _ in $(seq 100); do redis-cli -h 127.0.0.1 -p "$1" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -h 127.0.0.1 -p "$1" ping >/dev/null 2>&1 || { echo "redis-server did not answer PING" >&2; cat "$work/redis.log" >&2; exit 1; }
}

# ReplCache from $JAR with its RESP port on 127.0.0.1:$RESP_PORT (HTTP_PORT, GRPC_PORT too), answering
# PING; the arguments are JVM options (heap), then SERVER_JAVA_OPTS; sets server_pid.
start_replcache_resp() {
  # shellcheck disable=SC2086 # SERVER_JAVA_OPTS is a list of options
  java "$@" $SERVER_JAVA_OPTS -jar "$JAR" --server.port="$HTTP_PORT" --server.address=127.0.0.1 \
    --replcache.grpc.port="$GRPC_PORT" --replcache.grpc.address=127.0.0.1 --replcache.resp.port="$RESP_PORT" \
    --replcache.resp.address=127.0.0.1 --replcache.data-dir="$work/data" --replcache.snapshot.on-shutdown=false \
    >"$work/replcache.log" 2>&1 &
  server_pid=$!; pids+=("$server_pid")
  for _ in $(seq 240); do
    kill -0 "$server_pid" 2>/dev/null || break
    redis-cli -h 127.0.0.1 -p "$RESP_PORT" ping 2>/dev/null | grep -q PONG && break
    sleep 0.5
  done
  redis-cli -h 127.0.0.1 -p "$RESP_PORT" ping 2>/dev/null | grep -q PONG || { echo "ReplCache RESP not up in 120s" >&2; cat "$work/replcache.log" >&2; exit 1; }
}
