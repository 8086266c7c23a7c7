#!/usr/bin/env bash
# Replication benchmark: ReplCache beside redis-server 7.0.15, measured in the same run on the same
# machine, all traffic on 127.0.0.1, every load bounded in requests:
#   1. full-sync time and MB/s of KEYS keys with 100-byte values (REPLICAOF -> link up, offsets equal),
#      into a freshly started replica and again into the same (now warm) replica
#   2. master SET throughput idle (one replica streaming) vs while a second replica full-syncs
#   3. replication lag under a full SET load with 1 and then 2 replicas, sampled every 10 ms; and
#      3c. at a steady SET rate that is the same for both systems (BENCH_PROBE_RATES), the lag a
#      reader of the replica sees: a probe key written every 10 ms, read back on the replica
#   4. catch-up after a 3 s link cut with 10,000 writes during the cut, and whether it was a
#      partial resync; plus the same with REPLICAOF NO ONE / REPLICAOF master
# The driver is src/bench/java/dev/replcache/bench/ReplicationBench.java (built with -Pbench).
#
# Usage: bench/replication.sh [keys]     (default 1000000)
#   BENCH_WAIT_QUIET=0   skip waiting for a quiet machine (load1 < 1.5, no foreign load generator)
#   BENCH_SET_REQUESTS   most SET requests per throughput run (default 200000; the run uses fewer so
#                        that it fits in the full sync: see SET_N below)
#   BENCH_LAG_REQUESTS   SET requests per lag run (default 150000)
#   BENCH_PROBE_RATES    steady SET rates of the probe lag runs, per second (default "5000 20000")
#   BENCH_PROBE_SECONDS  length of each probe lag run after its 2 s warm-up (default 20)
# Output: a Markdown table on stdout and in bench/results/replication-<timestamp>.md; server logs,
# ReplCache GC logs and the lag time series (CSV) in bench/results/replication-<timestamp>-logs/.
set -euo pipefail
export LANG=C.UTF-8
cd "$(dirname "$0")/.."

KEYS=${1:-1000000}
VALUE=100
CLIENTS=50
SET_REQUESTS=${BENCH_SET_REQUESTS:-200000}
# 150000 SETs (~18 MB of stream) also push the backlog (16 MB) past the snapshot of the warm full
# sync, so the sync under load in 2 must take a new snapshot rather than reuse that one.
LAG_REQUESTS=${BENCH_LAG_REQUESTS:-150000}
PROBE_RATES=${BENCH_PROBE_RATES:-5000 20000}
PROBE_SECONDS=${BENCH_PROBE_SECONDS:-20}
PROBE_LANES=8
CUT_MS=3000
CUT_WRITES=10000
KEYSPACE=$KEYS # SET loads overwrite random keys of the loaded set
HEAP=4g
RC_HTTP=(28081 28082 28083)
RC_GRPC=(29091 29092 29093)
REDIS_PORT=(26381 26382 26383)
RC_RESP=(26391 26392 26393) # the probe lag runs drive both systems over RESP
DEAD_PORT=26399 # nothing listens here: Redis's replica is pointed at it to cut its link
# ReplCache: acks every 10 ms (default 1 s) for lag measurements. Acks are sent from the node's
# timer tick (default 100 ms), so the tick must be 10 ms too or the ack interval is really 100 ms.
RC_COMMON=(--replcache.replication.ack-interval=10ms --replcache.replication.tick-interval=10ms --replcache.resp.address=127.0.0.1)
# The replica whose link is cut reconnects after 3 s (the cut), not after 100 ms.
RC_CUT=(--replcache.replication.reconnect-min-delay=3s --replcache.replication.reconnect-max-delay=3s)
# Redis: disk-based RDB sync like ReplCache's, no persistence; a 16 MB backlog as ReplCache's
# default backlog-size (Redis's default 1 MB cannot hold 10,000 SETs, ~1.4 MB, so the cut would
# need a full resync for a reason that is only a default).
REDIS_COMMON=(--bind 127.0.0.1 --save "" --appendonly no --repl-diskless-sync no --repl-backlog-size 16mb)

source bench/lib.sh
require_tools
if (echo >"/dev/tcp/127.0.0.1/$DEAD_PORT") 2>/dev/null; then
  echo "port $DEAD_PORT is in use; it must be closed (the cut points Redis's replica at it)" >&2; exit 1
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p bench/results
out="bench/results/replication-$stamp.md"
logs="bench/results/replication-$stamp-logs"
work=$(mktemp -d /tmp/replbench.XXXXXX)
pids=()
cleanup() {
  stop_servers
  mkdir -p "$logs"
  cp "$work"/*.log "$work"/*.csv "$logs"/ 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build_and_classpath

wait_for_quiet_machine

start_rc() { # index, extra arguments
  local i=$1; shift
  # GC log (pauses only) to tell GC pauses from other stalls; it does not change the run.
  java -Xmx$HEAP -Xlog:gc:file="$work/gc-replcache$i.log":time,uptime -jar "$JAR" --server.port="${RC_HTTP[$i]}" --server.address=127.0.0.1 \
    --replcache.grpc.port="${RC_GRPC[$i]}" --replcache.grpc.address=127.0.0.1 \
    --replcache.resp.port="${RC_RESP[$i]}" --replcache.data-dir="$work/rc$i" "${RC_COMMON[@]}" "$@" >"$work/replcache$i.log" 2>&1 &
  pids+=($!)
}

declare -A R # R[system,measurement] = the driver's key=value line
declare -A SET_N
f() { # system measurement field
  echo "${R[$1,$2]:-}" | tr ' ' '\n' | grep "^$3=" | head -1 | cut -d= -f2-
}
measure() { # system master r1 r2 deadport-method master-resp-port r1-resp-port
  local sys=$1 m=$2 r1=$3 r2=$4 cut=$5 m_resp=$6 r1_resp=$7
  echo "== $sys: loading $KEYS keys" >&2
  R[$sys,load]=$(bench load "$m" "$KEYS" $VALUE)
  echo "== $sys: full sync of replica 1" >&2
  R[$sys,full]=$(bench fullsync "$m" "$r1")
  echo "${R[$sys,full]}" >&2
  echo "== $sys: full sync of replica 1 again (REPLICAOF NO ONE, REPLICAOF master)" >&2
  R[$sys,full2]=$(bench fullsync "$m" "$r1" again)
  echo "${R[$sys,full2]}" >&2
  echo "== $sys: lag with 1 replica" >&2
  R[$sys,lag1]=$(REPLBENCH_SAMPLES="$work/lag-$sys-1replica.csv" bench lag "$m" $CLIENTS "$LAG_REQUESTS" $VALUE "$KEYSPACE" "$r1")
  echo "${R[$sys,lag1]}" >&2
  for rate in $PROBE_RATES; do
    echo "== $sys: probe lag at $rate SETs/s, 1 replica" >&2
    R[$sys,probe$rate]=$(bench probelag "$m_resp" "$rate" "$PROBE_SECONDS" $VALUE "$KEYSPACE" $PROBE_LANES "$r1_resp")
    echo "${R[$sys,probe$rate]}" >&2
  done
  # SET_N: the load during the sync should run inside the sync, not mostly after it. It is 60 % of
  # what the master did per second in the lag run times the first full sync's time (the sync
  # under load goes into a fresh node too), in [20000, SET_REQUESTS]; the idle run uses the same N.
  SET_N[$sys]=$(awk -v o="$(f "$sys" lag1 load_ops)" -v t="$(f "$sys" full sync_s)" -v max="$SET_REQUESTS" \
    'BEGIN { n = int(o * t * 0.6 / 1000) * 1000; if (n < 20000) n = 20000; if (n > max) n = max; print n }')
  echo "== $sys: ${SET_N[$sys]} SETs idle, then again while replica 2 full-syncs" >&2
  R[$sys,tput]=$(bench throughput "$m" "$r2" $CLIENTS "${SET_N[$sys]}" $VALUE "$KEYSPACE")
  echo "${R[$sys,tput]}" >&2
  echo "== $sys: lag with 2 replicas" >&2
  R[$sys,lag2]=$(REPLBENCH_SAMPLES="$work/lag-$sys-2replicas.csv" bench lag "$m" $CLIENTS "$LAG_REQUESTS" $VALUE "$KEYSPACE" "$r1" "$r2")
  echo "${R[$sys,lag2]}" >&2
  echo "== $sys: catch-up after a ${CUT_MS} ms cut ($cut)" >&2
  R[$sys,cut]=$(bench catchup "$m" "$r1" "$cut" $CUT_MS $CUT_WRITES $CLIENTS $VALUE "$KEYSPACE")
  echo "${R[$sys,cut]}" >&2
  echo "== $sys: REPLICAOF NO ONE, then REPLICAOF the master after ${CUT_MS} ms" >&2
  R[$sys,noone]=$(bench catchup "$m" "$r2" noone $CUT_MS $CUT_WRITES $CLIENTS $VALUE "$KEYSPACE")
  echo "${R[$sys,noone]}" >&2
}

SYSTEMS=${BENCH_SYSTEMS:-rc redis} # for debugging the script: BENCH_SYSTEMS=redis
if [[ " $SYSTEMS " == *" rc "* ]]; then
  echo "== ReplCache: master and two empty nodes (made replicas by REPLICAOF when measured)" >&2
  start_rc 0
  start_rc 1 "${RC_CUT[@]}"
  start_rc 2
  wait_rc 0 1 2
  rc() { echo "rc:${RC_HTTP[$1]}:${RC_GRPC[$1]}"; }
  measure rc "$(rc 0)" "$(rc 1)" "$(rc 2)" disconnect "${RC_RESP[0]}" "${RC_RESP[1]}"
  stop_servers
fi
if [[ " $SYSTEMS " == *" redis "* ]]; then
  echo "== Redis: master and two empty servers" >&2
  start_redis 0; start_redis 1; start_redis 2
  wait_redis 0 1 2
  rd() { echo "redis:${REDIS_PORT[$1]}:$work/redis$1"; }
  measure redis "$(rd 0)" "$(rd 1)" "$(rd 2)" "deadport:$DEAD_PORT" "${REDIS_PORT[0]}" "${REDIS_PORT[1]}"
  stop_servers
fi

LOAD_END=$(uptime | sed 's/.*load average: //')
ELAPSED=$((SECONDS - T_START))

mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
partial() { # system measurement
  echo "$(f "$1" "$2" partial) (partial_ok +$(f "$1" "$2" sync_partial_ok_delta), full +$(f "$1" "$2" sync_full_delta), new snapshot $(f "$1" "$2" new_snapshot_bytes) B)"
}

{
  echo "# Replication benchmark: ReplCache vs Redis 7.0.15, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -sr); $(java -version 2>&1 | head -1); $(redis-server --version | cut -d' ' -f1-3); shared with other engineers' work."
  echo "Load average (1/5/15 min): at start $LOAD_START; at end $LOAD_END. Measurement took ${ELAPSED} s."
  echo "Commit: $(git rev-parse --short HEAD) ($(git rev-parse --abbrev-ref HEAD))."
  echo
  echo "| measurement | ReplCache | Redis | ReplCache/Redis |"
  echo "|---|---|---|---|"
  row "1. full sync of $KEYS keys (${VALUE} B values): REPLICAOF to link up and offsets equal (s)" "$(f rc full sync_s)" "$(f redis full sync_s)"
  row "1. snapshot size (MB; ReplCache snapshotBytesSent, Redis dump.rdb)" "$(mb "$(f rc full snapshot_bytes)")" "$(mb "$(f redis full snapshot_bytes)")"
  row "1. full sync MB/s (snapshot bytes / time)" "$(f rc full mb_per_s)" "$(f redis full mb_per_s)"
  row "1b. full sync again into the same, now warm, replica (s)" "$(f rc full2 sync_s)" "$(f redis full2 sync_s)"
  row "1b. full sync MB/s, warm replica" "$(f rc full2 mb_per_s)" "$(f redis full2 mb_per_s)"
  row "2. SET requests per run (N, see below)" "${SET_N[rc]:-}" "${SET_N[redis]:-}"
  row "2. SET ops/s, no sync running (1 replica streaming)" "$(f rc tput idle_ops)" "$(f redis tput idle_ops)"
  row "2. SET ops/s while a 2nd replica full-syncs" "$(f rc tput sync_ops)" "$(f redis tput sync_ops)"
  row "2. during sync / idle" "$(f rc tput ratio)" "$(f redis tput ratio)"
  row "2. SET p99 ms, idle" "$(f rc tput idle_p99_ms)" "$(f redis tput idle_p99_ms)"
  row "2. SET p99 ms, during sync" "$(f rc tput sync_p99_ms)" "$(f redis tput sync_p99_ms)"
  row "2. share of that load run inside the sync window (%)" "$(f rc tput overlap_pct)" "$(f redis tput overlap_pct)"
  row "2. full sync under that load: REPLICAOF to link up (s)" "$(f rc tput sync_up_s)" "$(f redis tput sync_up_s)"
  for n in 1 2; do
    row "3. lag bytes p50, $n replica(s) (master offset - replica's own offset)" "$(f rc lag$n lag_bytes_p50)" "$(f redis lag$n lag_bytes_p50)"
    row "3. lag bytes p99, $n replica(s)" "$(f rc lag$n lag_bytes_p99)" "$(f redis lag$n lag_bytes_p99)"
    row "3. lag ms p50, $n replica(s) (from the offset timeline)" "$(f rc lag$n lag_ms_p50)" "$(f redis lag$n lag_ms_p50)"
    row "3. lag ms p99, $n replica(s)" "$(f rc lag$n lag_ms_p99)" "$(f redis lag$n lag_ms_p99)"
    row "3. master-reported lag from acks every 10 ms, p50 / p99, $n replica(s): lagBytes" "$(f rc lag$n ack_lag_bytes_p50) / $(f rc lag$n ack_lag_bytes_p99)" "n/a (acks every 1 s)"
    row "3. master-reported lag from acks every 10 ms, p50 / p99, $n replica(s): lagMs" "$(f rc lag$n ack_lag_ms_p50) / $(f rc lag$n ack_lag_ms_p99)" "n/a"
    row "3. SET ops/s during the lag run, $n replica(s)" "$(f rc lag$n load_ops)" "$(f redis lag$n load_ops)"
    row "3. samples (mean interval ms), $n replica(s)" "$(f rc lag$n samples) ($(f rc lag$n sample_interval_ms))" "$(f redis lag$n samples) ($(f redis lag$n sample_interval_ms))"
  done
  for rate in $PROBE_RATES; do
    row "3c. at a steady $rate SETs/s (reached: ReplCache $(f rc probe$rate rate), Redis $(f redis probe$rate rate)), 1 replica: probe lag ms p50" "$(f rc probe$rate lag_ms_p50)" "$(f redis probe$rate lag_ms_p50)"
    row "3c. probe lag ms p99, $rate SETs/s" "$(f rc probe$rate lag_ms_p99)" "$(f redis probe$rate lag_ms_p99)"
    row "3c. probe lag ms p99.9 / max, $rate SETs/s" "$(f rc probe$rate lag_ms_p999) / $(f rc probe$rate lag_ms_max)" "$(f redis probe$rate lag_ms_p999) / $(f redis probe$rate lag_ms_max)"
  done
  row "4. 3 s cut + $CUT_WRITES writes: reconnect to caught up (ms)" "$(f rc cut catchup_ms)" "$(f redis cut catchup_ms)"
  row "4. same, from the later of reconnect and the last write's reply (ms)" "$(f rc cut catchup_after_last_write_ms)" "$(f redis cut catchup_after_last_write_ms)"
  row "4. partial resync?" "$(partial rc cut)" "$(partial redis cut)"
  row "4. the writes took (s) / the cut lasted (s)" "$(f rc cut writes_s) / $(f rc cut cut_s)" "$(f redis cut writes_s) / $(f redis cut cut_s)"
  row "4. replication bytes the master sent, cut to caught up, both replicas (MB)" "$(mb "$(f rc cut repl_bytes_out_delta)")" "$(mb "$(f redis cut repl_bytes_out_delta)")"
  row "4b. REPLICAOF NO ONE, ${CUT_MS} ms + $CUT_WRITES writes, REPLICAOF master: to caught up (ms)" "$(f rc noone catchup_ms)" "$(f redis noone catchup_ms)"
  row "4b. partial resync?" "$(partial rc noone)" "$(partial redis noone)"
  echo
  echo "Ratio: ReplCache value / Redis value (for times and lags lower is better, for ops/s and MB/s higher)."
  echo
  echo "How it was measured:"
  echo
  echo "- Servers: ReplCache \`java -Xmx$HEAP -Xlog:gc:file=gc-replcacheN.log -jar $JAR --server.address=127.0.0.1 --replcache.grpc.address=127.0.0.1 ${RC_COMMON[*]}\` (+ ports, data-dir; the replica whose link is cut also \`${RC_CUT[*]}\`); Redis \`redis-server $(printf '%q ' "${REDIS_COMMON[@]}")--port P --dir D\`. One master and two empty nodes per system; a node becomes a replica by REPLICAOF (HTTP \`PUT /v1/replication/master\` / \`REPLICAOF\`) when measured, so process start-up is not timed. ReplCache first, then Redis, never both at once."
  echo "- Data: $KEYS keys \`key:%012d\`, ${VALUE}-byte random (incompressible) values, the same bytes for both, loaded with MSET batches of 1000 (gRPC MSet / RESP MSET)."
  echo "- 1: REPLICAOF on an empty, freshly started node, then polling the replica every 5 ms until its link is up and its offset equals the master's (a ReplCache replica answers from its link thread, so a poll during the snapshot load returns when the load ends: each poll counts at its reply). 1b: the same replica is promoted (REPLICAOF NO ONE: a new replId, so no partial resync is possible) and REPLICAOF the master again: a second full sync into a process that has done one (warm JIT; Redis must also flush its old dataset first, ReplCache keeps serving it until the swap)."
  echo "- 2: N SETs from $CLIENTS clients, pipeline 1, random keys over the loaded $KEYSPACE, ${VALUE}-byte values (ReplCache: the driver's gRPC load, as GrpcLoadGenerator, warmed up first; Redis: \`redis-benchmark -t set -c $CLIENTS -P 1 -n N -r $KEYSPACE -d $VALUE\`), once with replica 1 streaming and no sync, then again started right after REPLICAOF on the 2nd (empty, fresh) node. N = 60 % of the ops/s of the 1-replica lag run x the time of full sync 1, rounded down to 1000, in [20000, $SET_REQUESTS], so that the load runs inside the sync rather than mostly after it. The sync window is REPLICAOF to link up; the overlap row says how much of the load run fell inside it."
  echo "- 3: $LAG_REQUESTS SETs as in 2 while a sampler reads every 10 ms each replica's own offset (ReplCache: gRPC \`ReplicationService/Info\`, the same view as \`GET /v1/replication\`, offset; Redis: \`INFO replication\` master_repl_offset), then the master's. Lag bytes = master offset interpolated at the replica's sample time - replica offset. Lag ms = sample time - when the master's offset passed the replica's offset (interpolated between master samples; resolution about one sample interval). Only samples while the load ran count; with 2 replicas the samples of both are pooled. The master-reported rows are ReplCache's own view, replicas[].lagBytes/lagMs from acks every 10 ms (Redis's slaveN offset comes from REPLCONF ACK every 1 s: not a lag measure, so not shown)."
  echo "- 3c: $PROBE_LANES writers over RESP (the same client code for both) SET random keys of the loaded set on the master, paced to the rate in all; every 10 ms a probe SETs \`lagprobe\` to a new number on the master and then GETs it on replica 1 back to back until it sees that number. A probe that waits longer than 10 ms also counts, with their shorter lags, the 10 ms slots its wait skipped (no coordinated omission; \`samples\` in the raw output). Probe lag = the master's OK to the first GET that returns it (resolution: one GET round trip, ~0.1 ms). ${PROBE_SECONDS} s per rate after a 2 s warm-up; a probe not seen in 5 s counts as 5 s (\`missed\` in the raw output). The driver is LagProbeBench."
  echo "- 4: ReplCache: \`POST /v1/replication/master/disconnect\` on replica 1, which reconnects after its 3 s reconnect delay (+ up to 20 % jitter); Redis: \`REPLICAOF 127.0.0.1 $DEAD_PORT\` (a closed port: the link drops and the replica keeps its cached master), then \`REPLICAOF\` the master after 3 s, which continues with PSYNC. $CUT_WRITES SETs ($CLIENTS clients) during the cut. Catch-up = reconnect to replica offset equal to the master's (ReplCache: from the last poll that saw the link down, polls every 1-3 ms). Partial = the master's sync_partial_ok went up, sync_full did not, and no new snapshot was sent (ReplCache stats.snapshotBytesSent; Redis rdb_saves)."
  echo "- 4b: the same, but the cut is REPLICAOF NO ONE (promotion: a new replId, the old one kept as replId2) and the reconnect is REPLICAOF the old master."
  echo
  echo "Raw driver output:"
  echo
  echo '```'
  for sys in rc redis; do for m in load full full2 lag1 $(printf 'probe%s ' $PROBE_RATES) tput lag2 cut noone; do echo "$sys $m: ${R[$sys,$m]:-}"; done; done
  echo '```'
  echo
  echo "Server log lines on snapshots, syncs and links (evidence for the rows above):"
  echo
  echo '```'
  grep -h "SnapshotFiles\|LinkDriver\|ReplicaDataset\|Promoted\|Now a replica" "$work"/replcache*.log 2>/dev/null \
    | sed -E 's/^([0-9T:.-]+Z) +([A-Z]+) +([0-9]+) --- \[replcache\] \[[^]]*\] ([a-z.]+\.)?([A-Za-z]+) +: /\1 pid \3 \5: /' | sort || true
  echo
  for i in 0 1 2; do
    [ -f "$work/redis$i.log" ] || continue
    grep "Full resync\|Partial resync\|resynchronization\|Background saving\|Synchronization with replica\|MASTER <-> REPLICA sync: Finished\|Connecting to MASTER\|Starting BGSAVE" "$work/redis$i.log" | sed "s/^/redis$i /" || true
  done
  echo '```'
} | tee "$out"
echo "written to $out (server logs, GC logs and lag time series in $logs)" >&2

