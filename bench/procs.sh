#!/usr/bin/env bash
# Process and port bookkeeping shared by bench/run.sh and bench/resp.sh; sourced, not run.
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
