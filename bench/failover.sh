#!/usr/bin/env bash
# Automatic failover after kill -9 of the master (issue 15's benchmark): ReplCache under
# failover.mode=lease (three nodes; fabric8's mock Kubernetes API server, CRUD mode, in the
# driver's JVM) beside redis-server 7.0.15 with three Sentinels (down-after-milliseconds 5000),
# in the same run on the same machine, all traffic on 127.0.0.1, every load bounded. Per round
# and system: one client SETs new keys at BENCH_FAILOVER_RATE/s on the master over RESP; after
# 2 s the master gets SIGKILL; the client tries every node (10 ms apart) until one acknowledges a
# SET. Failover time = kill to that first acknowledged write; writes lost = acknowledged SETs the
# new master does not have. The killed node restarts (empty: no dump) and rejoins as a replica.
# The driver is src/bench/java/dev/replcache/bench/LeaseFailoverBench.java.
#
# Usage: bench/failover.sh [rounds]          (default 10)
#   BENCH_FAILOVER_RATE     SETs per second (200)
#   BENCH_LEASE             ReplCache lease-duration / renew-deadline / retry-period ("5s 3s 1s": detection
#                           time like Sentinel's down-after 5000; Kubernetes' defaults are "15s 10s 2s")
#   BENCH_SYSTEMS           "rc redis"
#   BENCH_BUILD=0           use the jar and the bench classes in target/ as they are
# Output: a Markdown table on stdout and in bench/results/failover-<timestamp>.md; server logs in
# bench/results/failover-<timestamp>-logs/.
set -euo pipefail
export LANG=C.UTF-8
cd "$(dirname "$0")/.."
source bench/lib.sh

ROUNDS=${1:-10}
RATE=${BENCH_FAILOVER_RATE:-200}
read -r LEASE RENEW RETRY <<<"${BENCH_LEASE:-5s 3s 1s}"
SYSTEMS=${BENCH_SYSTEMS:-rc redis}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p bench/results
out="bench/results/failover-$stamp.md"
logs="bench/results/failover-$stamp-logs"
work=$(mktemp -d /tmp/failoverbench.XXXXXX)
pids=()
trap 'pkill -f "$work" 2>/dev/null || true; mkdir -p "$logs"; cp "$work"/*.log "$logs"/ 2>/dev/null || true; rm -rf "$work"' EXIT

require_tools
build_and_classpath

declare -A S
for sys in $SYSTEMS; do
  echo "== $sys: $ROUNDS rounds" >&2
  timeout 1800 java -cp "$CP" dev.replcache.bench.LeaseFailoverBench "$sys" "$ROUNDS" "$RATE" "$work/$sys" \
    "$JAR" "$LEASE" "$RENEW" "$RETRY" | tee "$work/$sys.out" >&2
  S[$sys]=$(grep '^summary' "$work/$sys.out" || echo "summary failed")
  mkdir -p "$logs"; cp "$work/$sys"/*.log "$logs"/ 2>/dev/null || true
done

f() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"${S[$1]:-}"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }
{
  echo "# Failover after kill -9: ReplCache (lease) vs Redis Sentinel, $stamp"
  echo
  echo "Machine: $(nproc) cores; $(java -version 2>&1 | head -1); $(redis-server --version | cut -d' ' -f1-3); ReplCache $(git rev-parse --short HEAD). $ROUNDS rounds per system, one client at $RATE SET/s."
  echo
  echo "| | ReplCache (lease $LEASE / $RENEW / $RETRY) | Redis + 3 Sentinels (down-after 5000 ms) | ratio |"
  echo "|---|---|---|---|"
  for k in failoverMsMedian failoverMsMin failoverMsMax; do
    echo "| kill -9 to first acknowledged write on the new master, $k (ms) | $(f rc $k) | $(f redis $k) | $(ratio "$(f rc $k)" "$(f redis $k)") |"
  done
  echo "| acknowledged SETs / lost (not on the new master) | $(f rc acked) / $(f rc lost) | $(f redis acked) / $(f redis lost) | |"
  echo "| every round (ms) | $(f rc times) | $(f redis times) | |"
  echo
  echo "Ratio: ReplCache / Redis (lower is better). ReplCache detects a dead master when its lease was not renewed for lease-duration (by each candidate's own clock), then the best candidate takes it and promotes itself; Redis's Sentinels mark it subjectively down after down-after-milliseconds, agree (quorum 2), elect a leader sentinel and promote the best replica."
  echo
  echo '```'
  for sys in $SYSTEMS; do grep -h '^round\|^summary' "$work/$sys.out" || true; done
  echo '```'
} | tee "$out"
echo "written to $out" >&2
