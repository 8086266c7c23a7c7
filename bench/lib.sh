# Shared by bench/replication.sh and bench/topology.sh (sourced, not run): tool checks, the build
# and classpath, waiting for a quiet machine, starting and stopping servers, the table rows.
# The caller sets RC_HTTP, REDIS_PORT, REDIS_COMMON, work and pids before using them.

require_tools() {
  local tool
  for tool in redis-server redis-cli redis-benchmark java curl; do
    command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install redis-server redis-tools)" >&2; exit 1; }
  done
}

stop_servers() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}

# Builds the jar (unless BENCH_BUILD=0) and sets CP (test classpath for the driver) and JAR.
build_and_classpath() {
  if [ "${BENCH_BUILD:-1}" != 0 ]; then
    echo "== building" >&2
    ./mvnw -B -q -Pbench -DskipTests package
  fi
  ./mvnw -B -q -Pbench dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$work/cp.txt" >/dev/null
  CP="target/test-classes:target/classes:$(cat "$work/cp.txt")"
  JAR=$(ls target/replcache-*.jar | grep -v original | head -1)
}
bench() { java -cp "$CP" dev.replcache.bench.ReplicationBench "$@"; }

# The machine is shared: wait (up to 15 min, polling every 30 s) for the 1-minute load to drop
# below 1.5 and for no one else's redis-benchmark or GrpcLoadGenerator to be running
# (BENCH_WAIT_QUIET=0 skips it). Sets LOAD_START and T_START.
wait_for_quiet_machine() {
  if [ "${BENCH_WAIT_QUIET:-1}" != 0 ]; then
    local deadline=$((SECONDS + 900)) load1 others
    while :; do
      load1=$(cut -d' ' -f1 /proc/loadavg)
      others=$(pgrep -af 'redis-benchmark|GrpcLoadGenerator' || true)
      if awk -v l="$load1" 'BEGIN { exit !(l < 1.5) }' && [ -z "$others" ]; then break; fi
      if ((SECONDS >= deadline)); then echo "== still busy after 15 min; running anyway" >&2; break; fi
      echo "== waiting for a quiet machine:$(uptime)${others:+ | running: $others}" >&2
      sleep 30
    done
  fi
  LOAD_START=$(uptime | sed 's/.*load average: //')
  T_START=$SECONDS
  echo "== load average at start: $LOAD_START" >&2
}

wait_rc() {
  local i
  for i in "$@"; do
    for _ in $(seq 240); do curl -sf "http://127.0.0.1:${RC_HTTP[$i]}/actuator/health" >/dev/null && break; sleep 0.5; done
    curl -sf "http://127.0.0.1:${RC_HTTP[$i]}/actuator/health" >/dev/null || { tail -50 "$work/replcache$i.log" >&2; exit 1; }
  done
}
start_redis() { # index
  local i=$1
  mkdir -p "$work/redis$i"
  redis-server "${REDIS_COMMON[@]}" --port "${REDIS_PORT[$i]}" --dir "$work/redis$i" --logfile "$work/redis$i.log" &
  pids+=($!)
}
wait_redis() {
  local i
  for i in "$@"; do
    for _ in $(seq 100); do redis-cli -p "${REDIS_PORT[$i]}" ping >/dev/null 2>&1 && break; sleep 0.1; done
    redis-cli -p "${REDIS_PORT[$i]}" ping >/dev/null
  done
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
row() { # label, ReplCache value, Redis value
  echo "| $1 | $2 | $3 | $(ratio "$2" "$3") |"
}
