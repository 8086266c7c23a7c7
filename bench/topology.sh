#!/usr/bin/env bash
# Topology benchmark: ReplCache beside redis-server 7.0.15, measured in the same run on the same
# machine, all traffic on 127.0.0.1, every load bounded:
#   1. replica restart (stop -> link up and offsets equal) and the bytes the master sent for it:
#      a clean stop with the dump file and WRITES SETs while it is down (partial resync), the same
#      without the dump file (full sync), and with more writes than the backlog holds (full sync)
#   2. FAILOVER under a continuous paced SET load: the call's duration, how long writes were paused
#      (ReplCache's pausedMs; both: the clients' longest gap between two acknowledged writes, with
#      the switch to the new master), and that no acknowledged write is missing afterwards
#   3. WAIT 1 latency (SET then WAIT; ReplCache's inline wait-replicas; Redis SET+WAIT pipelined)
#      beside plain SET latency, one client, one replica
# The driver is src/test/java/dev/replcache/bench/TopologyBench.java, called through
# ReplicationBench's main (surefire excludes the package).
#
# Usage: bench/topology.sh [keys]      (default 200000 keys of BENCH_VALUE bytes)
#   BENCH_WAIT_QUIET=0        skip waiting for a quiet machine (load1 < 1.5, no foreign load generator)
#   BENCH_VALUE               value size in bytes (100)
#   BENCH_RESTART_WRITES      SETs while the replica is down, partial and no-dump cases (10000)
#   BENCH_BACKLOG_MB          backlog of both systems, MB (16: ReplCache's default)
#   BENCH_WAIT_OPS            operations per WAIT-latency form (20000)
#   BENCH_WAIT_MAX_SECONDS    time budget of the WAIT-latency part; a form that is slower stops early (180)
#   BENCH_FAILOVERS           failovers per system, back and forth (3)
#   BENCH_FAILOVER_LANES      writers during the failovers (8)
#   BENCH_FAILOVER_RATE       their SETs per second in all (2000)
#   BENCH_FAILOVER_TIMEOUT_MS FAILOVER timeout (5000)
#   BENCH_SYSTEMS             "rc redis" (for debugging the script: BENCH_SYSTEMS=redis)
#   BENCH_CDS                 1 (default): ReplCache runs with a class data sharing archive made by
#                             scripts/cds.sh, as the container image runs it; 0: plain java -jar
#   BENCH_BUILD=0             use the jar and the bench classes in target/ as they are (no ./mvnw -Pbench package)
# Output: a Markdown table on stdout and in bench/results/topology-<timestamp>.md; server logs and
# ReplCache GC logs in bench/results/topology-<timestamp>-logs/.
set -euo pipefail
export LANG=C.UTF-8
cd "$(dirname "$0")/.."

KEYS=${1:-200000}
VALUE=${BENCH_VALUE:-100}
WRITES=${BENCH_RESTART_WRITES:-10000}
BACKLOG_MB=${BENCH_BACKLOG_MB:-16}
WAIT_OPS=${BENCH_WAIT_OPS:-20000}
WAIT_MAX_S=${BENCH_WAIT_MAX_SECONDS:-180}
FAILOVERS=${BENCH_FAILOVERS:-3}
FO_LANES=${BENCH_FAILOVER_LANES:-8}
FO_RATE=${BENCH_FAILOVER_RATE:-2000}
FO_TIMEOUT=${BENCH_FAILOVER_TIMEOUT_MS:-5000}
CLIENTS=50 # SET load while the replica is down
HEAP=1g
RC_HTTP=(28181 28182 28183)
RC_GRPC=(29191 29192 29193)
REDIS_PORT=(26481 26482 26483)
# Both systems with their defaults but for the backlog (the same size) and Redis's disk-based full
# sync (ReplCache's sync sends an RDB snapshot file; Redis's diskless sync would wait 5 s first).
# RESP off: every node would take the default port 6379 (the drivers use HTTP and gRPC).
RC_COMMON=(--replcache.replication.backlog-size=${BACKLOG_MB}MB --replcache.resp.port=0)
REDIS_COMMON=(--bind 127.0.0.1 --save "" --appendonly no --repl-diskless-sync no --repl-backlog-size "${BACKLOG_MB}mb")

source bench/lib.sh
require_tools

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p bench/results
out="bench/results/topology-$stamp.md"
logs="bench/results/topology-$stamp-logs"
work=$(mktemp -d /tmp/topobench.XXXXXX)
pids=()
cleanup() {
  stop_servers
  # The replica the driver starts itself for the restarts (if the driver died before stopping it).
  if [ -f "$work/restart.pid" ]; then kill "$(cat "$work/restart.pid")" 2>/dev/null || true; fi
  mkdir -p "$logs"
  cp "$work"/*.log "$logs"/ 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build_and_classpath
CDS=${BENCH_CDS:-1}
RC_START=(-jar "$JAR")
if [[ $CDS == 1 ]]; then
  scripts/cds.sh "$JAR" "$work/cds"
  RC_START=(-XX:SharedArchiveFile="$work/cds/replcache.jsa" -jar "$work/cds/replcache.jar")
fi

wait_for_quiet_machine

rc_cmd() { # index, extra arguments: CMD = the command line of ReplCache node i
  local i=$1; shift
  CMD=(java -Xmx$HEAP -Xlog:gc:file="$work/gc-replcache$i.log":time,uptime "${RC_START[@]}" --server.port="${RC_HTTP[$i]}"
    --server.address=127.0.0.1 --replcache.grpc.port="${RC_GRPC[$i]}" --replcache.grpc.address=127.0.0.1
    --replcache.data-dir="$work/rc$i" "${RC_COMMON[@]}" "$@")
}
start_rc() { # index, extra arguments
  local i=$1; shift
  rc_cmd "$i" "$@"
  "${CMD[@]}" >"$work/replcache$i.log" 2>&1 &
  pids+=($!)
}
redis_cmd() { # index, extra arguments: CMD = the command line of Redis server i (logs on stdout)
  local i=$1; shift
  mkdir -p "$work/redis$i"
  CMD=(redis-server "${REDIS_COMMON[@]}" --port "${REDIS_PORT[$i]}" --dir "$work/redis$i" "$@")
}

declare -A R # R[system,measurement] = the driver's key=value line
f() { # system measurement field
  echo "${R[$1,$2]:-}" | tr ' ' '\n' | grep "^$3=" | head -1 | cut -d= -f2-
}
measure() { # system master replica(restart) replica(failover, wait) restart-command...
  local sys=$1 m=$2 r1=$3 r2=$4 dir1=$5; shift 5
  echo "== $sys: loading $KEYS keys" >&2
  R[$sys,load]=$(bench load "$m" "$KEYS" "$VALUE")
  echo "== $sys: replica restarts" >&2
  R[$sys,restart]=$(bench restart "$m" "$r1" "$dir1" "$WRITES" $CLIENTS "$VALUE" "$KEYS" "$work/$sys-restarted-replica.log" \
    "$work/restart.pid" -- "$@")
  echo "${R[$sys,restart]}" >&2
  echo "== $sys: a replica for WAIT and FAILOVER (REPLICAOF)" >&2
  R[$sys,sync]=$(bench fullsync "$m" "$r2")
  echo "== $sys: WAIT latency" >&2
  R[$sys,wait]=$(bench wait "$m" "$r2" "$WAIT_OPS" "$VALUE" "$KEYS" "$WAIT_MAX_S")
  echo "${R[$sys,wait]}" >&2
  echo "== $sys: $FAILOVERS failovers under $FO_RATE SETs/s" >&2
  R[$sys,failover]=$(bench failover "$m" "$r2" "$FO_LANES" "$FO_RATE" "$FAILOVERS" "$FO_TIMEOUT" "$VALUE")
  echo "${R[$sys,failover]}" >&2
}

SYSTEMS=${BENCH_SYSTEMS:-rc redis}
if [[ " $SYSTEMS " == *" rc "* ]]; then
  echo "== ReplCache: master and an empty node (node 1, the restarted replica, is the driver's)" >&2
  start_rc 0
  start_rc 2
  wait_rc 0 2
  rc() { echo "rc:${RC_HTTP[$1]}:${RC_GRPC[$1]}"; }
  rc_cmd 1 --replcache.replication.master=127.0.0.1:${RC_GRPC[0]}
  measure rc "$(rc 0)" "$(rc 1)" "$(rc 2)" "$work/rc1" "${CMD[@]}"
  stop_servers
fi
if [[ " $SYSTEMS " == *" redis "* ]]; then
  echo "== Redis: master and an empty server" >&2
  start_redis 0; start_redis 2
  wait_redis 0 2
  rd() { echo "redis:${REDIS_PORT[$1]}:$work/redis$1"; }
  redis_cmd 1 --replicaof 127.0.0.1 "${REDIS_PORT[0]}"
  measure redis "$(rd 0)" "$(rd 1)" "$(rd 2)" "$work/redis1" "${CMD[@]}"
  stop_servers
fi

LOAD_END=$(uptime | sed 's/.*load average: //')
ELAPSED=$((SECONDS - T_START))

mb() { awk -v b="$1" 'BEGIN { if (b ~ /^-?[0-9]+$/) printf "%.2f", b / 1e6; else print "n/a" }'; }
sync_kind() { # system case
  echo "$(f "$1" restart "$2_partial") (partial_ok +$(f "$1" restart "$2_sync_partial_ok_delta"), full +$(f "$1" restart "$2_sync_full_delta"))"
}

{
  echo "# Topology benchmark: ReplCache vs Redis 7.0.15, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -sr); $(java -version 2>&1 | head -1); $(redis-server --version | cut -d' ' -f1-3); shared with other engineers' work."
  echo "Load average (1/5/15 min): at start $LOAD_START; at end $LOAD_END. Measurement took ${ELAPSED} s."
  echo "Commit: $(git rev-parse --short HEAD) ($(git rev-parse --abbrev-ref HEAD)). Dataset: $KEYS keys, ${VALUE}-byte values; backlog ${BACKLOG_MB} MB on both."
  echo
  echo "| measurement | ReplCache | Redis | ReplCache/Redis |"
  echo "|---|---|---|---|"
  for c in partial nodump gap; do
    case $c in
      partial) label="1a. restart with the dump file, $WRITES SETs while down (partial resync)";;
      nodump) label="1b. restart without the dump file, $WRITES SETs while down (full sync)";;
      gap) label="1c. restart with the dump file, more SETs than the backlog holds (full sync)";;
    esac
    row "$label: restart time = clean stop + start to link up and offsets equal (ms)" "$(f rc restart ${c}_restart_ms)" "$(f redis restart ${c}_restart_ms)"
    row "$c: clean stop, incl. writing the dump file (ms)" "$(f rc restart ${c}_stop_ms)" "$(f redis restart ${c}_stop_ms)"
    row "$c: process start to link up, from the replica's log (ms)" "$(f rc restart ${c}_start_to_link_up_log_ms)" "$(f redis restart ${c}_start_to_link_up_log_ms)"
    row "$c: process start to answering clients (ms)" "$(f rc restart ${c}_start_to_serving_ms)" "$(f redis restart ${c}_start_to_serving_ms)"
    row "$c: process start to link up and offsets equal, as a client sees it (ms)" "$(f rc restart ${c}_start_to_caught_up_ms)" "$(f redis restart ${c}_start_to_caught_up_ms)"
    row "$c: replication bytes the master sent (MB)" "$(mb "$(f rc restart ${c}_repl_bytes)")" "$(mb "$(f redis restart ${c}_repl_bytes)")"
    row "$c: of which snapshot (MB)" "$(mb "$(f rc restart ${c}_snapshot_bytes)")" "$(mb "$(f redis restart ${c}_snapshot_bytes)")"
    row "$c: SETs while down / dump file (MB)" "$(f rc restart ${c}_writes) / $(mb "$(f rc restart ${c}_dump_bytes)")" "$(f redis restart ${c}_writes) / $(mb "$(f redis restart ${c}_dump_bytes)")"
    row "$c: partial resync?" "$(sync_kind rc $c)" "$(sync_kind redis $c)"
  done
  row "2. FAILOVER call, median of $FAILOVERS (ms; Redis: FAILOVER until master_failover_state is no-failover)" "$(f rc failover call_ms_median)" "$(f redis failover call_ms_median)"
  row "2. FAILOVER call, each (ms)" "$(f rc failover call_ms)" "$(f redis failover call_ms)"
  row "2. writes paused, server-reported (ms; ReplCache pausedMs)" "$(f rc failover paused_ms)" "n/a"
  row "2. client-side: last ack by the old master to first ack by the new one, median (ms)" "$(f rc failover unavailable_ms_median)" "$(f redis failover unavailable_ms_median)"
  row "2. client-side: the same, each (ms)" "$(f rc failover unavailable_ms)" "$(f redis failover unavailable_ms)"
  row "2. client-side: longest gap between two acked writes around each failover (ms)" "$(f rc failover max_gap_ms)" "$(f redis failover max_gap_ms)"
  row "2. first ack by the new master after the call returned (ms; negative: before)" "$(f rc failover first_new_after_return_ms)" "$(f redis failover first_new_after_return_ms)"
  row "2. longest gap between acked writes away from failovers (ms), p99 / max" "$(f rc failover baseline_gap_p99_ms) / $(f rc failover baseline_gap_max_ms)" "$(f redis failover baseline_gap_p99_ms) / $(f redis failover baseline_gap_max_ms)"
  row "2. acked writes (SET/s achieved of $FO_RATE)" "$(f rc failover acked) ($(f rc failover rate))" "$(f redis failover acked) ($(f redis failover rate))"
  row "2. retries: paused / READONLY redirects / other errors" "$(f rc failover paused_retries) / $(f rc failover readonly_redirects) / $(f rc failover other_errors)" "$(f redis failover paused_retries) / $(f redis failover readonly_redirects) / $(f redis failover other_errors)"
  row "2. acked writes missing on the final master / its replica (zero loss?)" "$(f rc failover lost_on_master) / $(f rc failover lost_on_replica) ($(f rc failover zero_loss))" "$(f redis failover lost_on_master) / $(f redis failover lost_on_replica) ($(f redis failover zero_loss))"
  for p in set set_wait inline; do
    case $p in
      set) label="3. SET (no WAIT)";;
      set_wait) label="3. SET, then WAIT 1 (two round trips)";;
      inline) label="3. one round trip: ReplCache Set with wait-replicas: 1 / Redis SET+WAIT 1 0 pipelined";;
    esac
    row "$label p50 (ms)" "$(f rc wait ${p}_p50_ms)" "$(f redis wait ${p}_p50_ms)"
    row "$label p99 (ms)" "$(f rc wait ${p}_p99_ms)" "$(f redis wait ${p}_p99_ms)"
    row "$label p99.9 (ms)" "$(f rc wait ${p}_p999_ms)" "$(f redis wait ${p}_p999_ms)"
  done
  row "3. the WAIT call alone (after SET), p50 / p99 / p99.9 (ms)" "$(f rc wait set_wait_waitonly_p50_ms) / $(f rc wait set_wait_waitonly_p99_ms) / $(f rc wait set_wait_waitonly_p999_ms)" "$(f redis wait set_wait_waitonly_p50_ms) / $(f redis wait set_wait_waitonly_p99_ms) / $(f redis wait set_wait_waitonly_p999_ms)"
  row "3. operations measured per form (SET / SET+WAIT / one round trip)" "$(f rc wait set_ops) / $(f rc wait set_wait_ops) / $(f rc wait inline_ops)" "$(f redis wait set_ops) / $(f redis wait set_wait_ops) / $(f redis wait inline_ops)"
  row "3. WAITs answered with 0 replicas (SET+WAIT / one round trip)" "$(f rc wait set_wait_short_acks) / $(f rc wait inline_short_acks)" "$(f redis wait set_wait_short_acks) / $(f redis wait inline_short_acks)"
  echo
  echo "Ratio: ReplCache value / Redis value (lower is better for times and bytes)."
  echo
  echo "How it was measured:"
  echo
  echo "- Servers: ReplCache \`java -Xmx$HEAP -Xlog:gc:file=gc-replcacheN.log $(if [[ $CDS == 1 ]]; then echo "-XX:SharedArchiveFile=cds/replcache.jsa -jar cds/replcache.jar (scripts/cds.sh: class data sharing, as the image runs it; BENCH_CDS=0 for plain java -jar)"; else echo "-jar $JAR"; fi) --server.address=127.0.0.1 --replcache.grpc.address=127.0.0.1 ${RC_COMMON[*]}\` (+ ports, data-dir); Redis \`redis-server $(printf '%q ' "${REDIS_COMMON[@]}")--port P --dir D\`. Otherwise defaults. ReplCache first, then Redis, never both at once. The master holds $KEYS keys \`key:%012d\` with ${VALUE}-byte random values (MSET batches of 1000)."
  echo "- 1: the driver starts the replica process itself (ReplCache with \`--replcache.replication.master\`, Redis with \`--replicaof\`) on an empty directory, waits for its full sync, then restarts it three times. Stop: SIGTERM for ReplCache (clean shutdown: writes the dump file), \`SHUTDOWN SAVE\` for Redis (\`save \"\"\`: nothing else writes its RDB); both until the process exited. While it is down: $WRITES SETs from $CLIENTS clients over the loaded keys (ReplCache gRPC, Redis redis-benchmark); in 1c, batches of max($WRITES, 20000) SETs until the master's backlog no longer holds the replica's offset. Start: the same command on the same directory (1b: its dump.rdb deleted first). Polls every 5 ms (ReplCache: HTTP \`GET /v1/replication\`; Redis: INFO on a new connection) until the link is up and the replica's offset equals the master's. Restart time = stop + (process start to that), leaving out the time spent writing. \"From the replica's log\" is the replica's own line for the completed sync (ReplCache \`Replication link up\`, Redis \`Successful partial resynchronization\` / \`MASTER <-> REPLICA sync: Finished with success\`): a ReplCache node connects to its master before its HTTP and gRPC servers start, so a client sees the link up only later. Bytes: the master's counters before the stop and after the catch-up (ReplCache \`stats.entriesBytesSent + snapshotBytesSent\`, Redis \`total_net_repl_output_bytes\`); snapshot: ReplCache \`snapshotBytesSent\`, Redis the master's dump.rdb when \`rdb_saves\` went up."
  echo "- 2: a second empty node becomes a replica (REPLICAOF), then $FO_LANES writers send SETs of new keys \`fo:lane:seq\`, $FO_RATE/s in all (paced per writer, no catch-up bursts), each retried until acknowledged: ReplCache over gRPC (UNAVAILABLE \`PAUSED\` during the pause; FAILED_PRECONDITION \`READONLY ... master at host:port\`: the writer switches to that address), Redis over RESP (a paused write blocks; \`-READONLY\`: the writer asks that node's \`INFO replication\` for its master and connects there). A first redirect is followed at once; a paused write or a second redirect (the node named has not taken over yet) is retried after 1, 2, 4, then 8 ms. After 3 s of warm-up, $FAILOVERS failovers back and forth, each once the target's link is up, 500 ms later, then 1.5 s apart: ReplCache \`POST /v1/replication/failover {\"to\":\"127.0.0.1:GRPC\",\"timeoutMs\":$FO_TIMEOUT}\` (returns when done), Redis \`FAILOVER TO 127.0.0.1 PORT TIMEOUT $FO_TIMEOUT\` (returns at once; done when \`INFO replication\` says \`master_failover_state:no-failover\`, polled every 1 ms). Client-side unavailability = the first write acknowledged by the new master - the last one acknowledged by the old master; longest gap = the longest time between two consecutive acknowledged writes (all writers) from the call to that first write. Then every acknowledged key is looked for (EXISTS, 1000 at a time) on the final master and on its replica once caught up."
  echo "- 3: the same master and replica, one client, sequential, random keys of the loaded set: ReplCache gRPC (one HTTP/2 connection) \`Set\`; \`Set\` then \`Wait {replicas: 1, timeout_ms: 0}\`; \`Set\` with metadata \`wait-replicas: 1\` (trailer \`replicas-acked\`). Redis RESP: \`SET\`; \`SET\` then \`WAIT 1 0\`; \`SET\` and \`WAIT 1 0\` written together (pipelined, one round trip, as the inline form). $WAIT_OPS of each after min(2000, $WAIT_OPS/5) warm-up operations each, in 5 interleaved rounds (so that a busy moment of the shared machine hits every form alike); each round of each form gets 1/18 of ${WAIT_MAX_S} s at most (the operations-measured row says if one stopped early). HdrHistogram, 3 digits."
  echo
  echo "Raw driver output:"
  echo
  echo '```'
  for sys in rc redis; do for m in load restart sync wait failover; do echo "$sys $m: ${R[$sys,$m]:-}"; done; done
  echo '```'
  echo
  echo "Server log lines on syncs, restarts and failovers (evidence for the rows above):"
  echo
  echo '```'
  grep -h "Replication link up\|Replication link down\|Partial resync\|Full resync\|Loaded dump file\|Failover\|Promoted\|Snapshot written\|dump file" \
    "$work"/replcache*.log "$work"/rc-restarted-replica.log 2>/dev/null \
    | sed -E 's/^([0-9T:.-]+Z) +([A-Z]+) +([0-9]+) --- \[replcache\] \[[^]]*\] ([a-z.]+\.)?([A-Za-z]+) +: /\1 pid \3 \5: /' | cut -c1-300 | sort || true
  echo
  for fl in "$work"/redis0.log "$work"/redis2.log "$work"/redis-restarted-replica.log; do
    [ -f "$fl" ] || continue
    grep "Full resync\|Partial resync\|resynchronization\|Synchronization with replica\|MASTER <-> REPLICA sync: Finished\|FAILOVER\|failover\|Failover\|DB loaded\|DB saved\|Done loading RDB" "$fl" \
      | sed "s/^/$(basename "$fl" .log) /" || true
  done
  echo '```'
} | tee "$out"
echo "written to $out (server logs and GC logs in $logs)" >&2
