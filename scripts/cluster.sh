#!/usr/bin/env bash
# A local ReplCache cluster of three processes on 127.0.0.1, for trying replication by hand:
#
#   master       HTTP 8081, gRPC 9091
#   replica      HTTP 8082, gRPC 9092   replica of master
#   subreplica   HTTP 8083, gRPC 9093   replica of replica (cascading)
#
# Usage: scripts/cluster.sh up | down | status
#
#   up      builds the jar when target/ has none, starts the three nodes, waits until each
#           answers /actuator/health and /v1/replication, and prints the status
#   status  each node's pid, role, offset, replication id, master link and replicas, from
#           GET /v1/replication
#   down    stops the nodes by their pid files: TERM, then KILL after CLUSTER_STOP_TIMEOUT seconds
#
# Each node has its directory under ./cluster/<name>/ (git-ignored): data/ (the data directory),
# node.log and node.pid. Settings, from the environment:
#   CLUSTER_DIR           ./cluster
#   CLUSTER_HOST          127.0.0.1 (HTTP and gRPC bind and announce address)
#   CLUSTER_HTTP_PORTS    "8081 8082 8083" (master, replica, subreplica)
#   CLUSTER_GRPC_PORTS    "9091 9092 9093"
#   CLUSTER_JAVA_OPTS     "-Xmx512m"
#   CLUSTER_AUTH_TOKEN    replication token shared by the three nodes (default: none)
#   CLUSTER_START_TIMEOUT 180 (seconds to wait for the nodes to answer)
#   CLUSTER_STOP_TIMEOUT  20 (seconds between TERM and KILL)
#   CLUSTER_JAR           the jar to run (default: target/replcache-*.jar)
# Extra arguments after `up` are passed to every node, e.g. --replcache.replication.backlog-size=64MB.
set -euo pipefail
export LANG=C.UTF-8

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

CLUSTER_DIR=${CLUSTER_DIR:-$root/cluster}
CLUSTER_HOST=${CLUSTER_HOST:-127.0.0.1}
read -r -a HTTP_PORTS <<< "${CLUSTER_HTTP_PORTS:-8081 8082 8083}"
read -r -a GRPC_PORTS <<< "${CLUSTER_GRPC_PORTS:-9091 9092 9093}"
read -r -a JAVA_OPTS <<< "${CLUSTER_JAVA_OPTS:--Xmx512m}"
START_TIMEOUT=${CLUSTER_START_TIMEOUT:-180}
STOP_TIMEOUT=${CLUSTER_STOP_TIMEOUT:-20}

NAMES=(master replica subreplica)
# Index of each node's master in NAMES (-1: none).
MASTER_OF=(-1 0 1)

if [ "${#HTTP_PORTS[@]}" -ne 3 ] || [ "${#GRPC_PORTS[@]}" -ne 3 ]; then
  echo "CLUSTER_HTTP_PORTS and CLUSTER_GRPC_PORTS need three ports each" >&2
  exit 2
fi

node_dir() { echo "$CLUSTER_DIR/${NAMES[$1]}"; }
pid_file() { echo "$(node_dir "$1")/node.pid"; }
http_url() { echo "http://$CLUSTER_HOST:${HTTP_PORTS[$1]}"; }

# The pid of node i when its process is alive, else nothing.
running_pid() {
  local f pid
  f=$(pid_file "$1")
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  # A stale pid file may name a pid that another program has since: check it is our JVM.
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
      && ps -o args= -p "$pid" 2>/dev/null | grep -q -- "-jar .*replcache"; then
    echo "$pid"
  fi
}

port_in_use() {
  # bash's /dev/tcp: a successful connect means something listens there.
  (exec 3<>"/dev/tcp/$CLUSTER_HOST/$1") 2>/dev/null
}

find_jar() {
  if [ -n "${CLUSTER_JAR:-}" ]; then
    echo "$CLUSTER_JAR"
    return
  fi
  local jar
  jar=$(ls target/replcache-*.jar 2>/dev/null | grep -v -- '-plain\.jar$' | head -n1 || true)
  if [ -z "$jar" ]; then
    echo "No jar in target/: building it (./mvnw -B -q -DskipTests package)..." >&2
    ./mvnw -B -q -DskipTests package >&2
    jar=$(ls target/replcache-*.jar | grep -v -- '-plain\.jar$' | head -n1)
  fi
  echo "$jar"
}

# GET a path of node i; prints the body, fails on a connection error or an HTTP error.
get() {
  curl -fsS --max-time 5 "$(http_url "$1")$2"
}

# Reads a /v1/replication document on stdin and prints one line: role, offset, ids, link, replicas.
summarize() {
  python3 -c '
import json, sys
d = json.load(sys.stdin)
parts = ["role=%s" % d["role"], "offset=%d" % d["offset"], "replId=%s" % d["replId"][:12]]
m = d.get("master")
if m:
    parts.append("master=%s:%d link=%s masterOffset=%d ready=%s fullSyncs=%d partialSyncs=%d" % (
        m["host"], m["port"], m["linkStatus"], m["masterOffset"], str(m["ready"]).lower(),
        m["fullSyncs"], m["partialSyncs"]))
    if m["linkStatus"] != "up" and m.get("lastError"):
        parts.append("lastError=%r" % m["lastError"])
    if m["sync"]["inProgress"]:
        s = m["sync"]
        parts.append("sync=%d/%d bytes" % (s["bytesReceived"], s["bytesTotal"]))
replicas = d.get("replicas") or []
parts.append("replicas=%d" % len(replicas))
for r in replicas:
    parts.append("[%s %s ack=%d lag=%dB/%dms]" % (r["address"], r["state"], r["ackOffset"], r["lagBytes"], r["lagMs"]))
print(" ".join(parts))
'
}

cmd_status() {
  local i pid body
  for i in 0 1 2; do
    pid=$(running_pid "$i")
    printf '%-10s %-22s ' "${NAMES[$i]}" "http=${HTTP_PORTS[$i]} grpc=${GRPC_PORTS[$i]}"
    if [ -z "$pid" ]; then
      echo "not running"
      continue
    fi
    if body=$(get "$i" /v1/replication 2>/dev/null); then
      echo "pid=$pid $(summarize <<< "$body")"
    else
      echo "pid=$pid not answering on $(http_url "$i")"
    fi
  done
}

start_node() {
  local i=$1 jar=$2
  shift 2
  local dir args pid
  dir=$(node_dir "$i")
  mkdir -p "$dir/data"
  args=(
    --server.address="$CLUSTER_HOST" --server.port="${HTTP_PORTS[$i]}"
    --replcache.grpc.address="$CLUSTER_HOST" --replcache.grpc.port="${GRPC_PORTS[$i]}"
    --replcache.data-dir="$dir/data"
    --replcache.replication.announce-address="$CLUSTER_HOST:${GRPC_PORTS[$i]}"
  )
  if [ "${MASTER_OF[$i]}" -ge 0 ]; then
    args+=(--replcache.replication.master="$CLUSTER_HOST:${GRPC_PORTS[${MASTER_OF[$i]}]}")
  fi
  if [ -n "${CLUSTER_AUTH_TOKEN:-}" ]; then
    args+=(--replcache.replication.auth-token="$CLUSTER_AUTH_TOKEN")
  fi
  # java itself is the background job, so $! is the JVM's pid.
  java "${JAVA_OPTS[@]}" -jar "$jar" "${args[@]}" "$@" </dev/null >"$dir/node.log" 2>&1 &
  pid=$!
  echo "$pid" > "$(pid_file "$i")"
  echo "started ${NAMES[$i]} (pid $pid): HTTP $(http_url "$i"), gRPC $CLUSTER_HOST:${GRPC_PORTS[$i]}$(
    [ "${MASTER_OF[$i]}" -ge 0 ] && echo ", replica of ${NAMES[${MASTER_OF[$i]}]}"), log $dir/node.log"
}

cmd_up() {
  local i pid jar deadline health
  for i in 0 1 2; do
    pid=$(running_pid "$i")
    if [ -n "$pid" ]; then
      echo "${NAMES[$i]} is already running (pid $pid); run '$0 down' first" >&2
      exit 1
    fi
  done
  for i in 0 1 2; do
    for port in "${HTTP_PORTS[$i]}" "${GRPC_PORTS[$i]}"; do
      if port_in_use "$port"; then
        echo "port $port on $CLUSTER_HOST is in use; set CLUSTER_HTTP_PORTS / CLUSTER_GRPC_PORTS" >&2
        exit 1
      fi
    done
  done
  command -v curl >/dev/null || { echo "curl is needed" >&2; exit 1; }
  command -v python3 >/dev/null || { echo "python3 is needed (to read /v1/replication)" >&2; exit 1; }
  jar=$(find_jar)
  echo "Starting a master, a replica and a sub-replica from $jar in $CLUSTER_DIR"
  for i in 0 1 2; do
    start_node "$i" "$jar" "$@"
  done

  deadline=$(( $(date +%s) + START_TIMEOUT ))
  for i in 0 1 2; do
    until health=$(get "$i" /actuator/health 2>/dev/null) && [[ "$health" == *'"UP"'* ]] \
        && get "$i" /v1/replication >/dev/null 2>&1; do
      if [ -z "$(running_pid "$i")" ]; then
        echo "${NAMES[$i]} exited; the end of its log ($(node_dir "$i")/node.log):" >&2
        tail -n 30 "$(node_dir "$i")/node.log" >&2
        exit 1
      fi
      if [ "$(date +%s)" -ge "$deadline" ]; then
        echo "${NAMES[$i]} did not answer on $(http_url "$i") within ${START_TIMEOUT}s; see $(node_dir "$i")/node.log" >&2
        exit 1
      fi
      sleep 1
    done
    echo "${NAMES[$i]} is up"
  done
  # The replicas answer before their first sync; give the links a moment to come up.
  for i in 1 2; do
    until get "$i" /v1/replication 2>/dev/null | grep -q '"linkStatus":"up"'; do
      if [ "$(date +%s)" -ge "$deadline" ]; then
        echo "warning: ${NAMES[$i]}'s link to ${NAMES[${MASTER_OF[$i]}]} is not up after ${START_TIMEOUT}s" >&2
        break
      fi
      sleep 1
    done
  done
  echo
  cmd_status
  cat <<EOF

Try:
  curl -X PUT --data-binary hello $(http_url 0)/v1/keys/greeting    # write on the master
  curl $(http_url 2)/v1/keys/greeting                                # read on the sub-replica
  $0 status
  $0 down
EOF
}

cmd_down() {
  local i pid waited stopped=0
  for i in 2 1 0; do
    pid=$(running_pid "$i")
    if [ -z "$pid" ]; then
      rm -f "$(pid_file "$i")"
      continue
    fi
    kill -TERM "$pid" 2>/dev/null || true
    waited=0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt "$STOP_TIMEOUT" ]; do
      sleep 1
      waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "${NAMES[$i]} (pid $pid) still running after ${STOP_TIMEOUT}s: KILL"
      kill -KILL "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
    fi
    rm -f "$(pid_file "$i")"
    echo "stopped ${NAMES[$i]} (pid $pid)"
    stopped=$((stopped + 1))
  done
  [ "$stopped" -gt 0 ] || echo "no node was running"
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 up [--spring.property=value ...] | down | status" >&2
    exit 2
    ;;
esac
