#!/usr/bin/env bash
# Class data sharing (CDS) for a faster start: Spring Boot's recipe
# (https://docs.spring.io/spring-boot/reference/packaging/class-data-sharing.html).
#   1. extract the jar into a plain classpath layout (replcache.jar + lib/), which CDS can map;
#   2. one training run that starts the application context and exits before any port is opened
#      (-Dspring.context.exit=onRefresh), dumping the classes it loaded into replcache.jsa.
# Then run the command the script prints. The archive records the jar by its absolute path, so the
# directory must stay where it is. It fits only the JVM that made it and this jar: a JVM that
# cannot use it starts without it, only slower (add -Xshare:on to make that an error instead).
# The container image (Dockerfile) runs the same two steps in its runtime stage.
#
# Usage: scripts/cds.sh [jar] [directory]   (default: the jar in target/, directory target/cds;
#        relative paths are taken from the project's root)
set -euo pipefail
cd "$(dirname "$0")/.."

JAR=${1:-$(ls target/replcache-*.jar 2>/dev/null | grep -v '\.original$' | head -1 || true)}
OUT=${2:-target/cds}
[[ -n $JAR && -f $JAR ]] || { echo "no jar: build it first (./mvnw -B -DskipTests package)" >&2; exit 1; }

# Only a directory this script made (or none) is replaced: never someone's other files.
if [[ -e $OUT && ! -f $OUT/replcache.jar && -n $(ls -A "$OUT" 2>/dev/null) ]]; then
  echo "$OUT exists and is not an earlier output of this script (no replcache.jar): choose another directory" >&2
  exit 1
fi
rm -rf "$OUT"
extract_log="${TMPDIR:-/tmp}/cds-extract.$$.log"
java -Djarmode=tools -jar "$JAR" extract --application-filename replcache.jar --destination "$OUT" >"$extract_log" 2>&1 \
  && [[ -f $OUT/replcache.jar ]] || { echo "extracting $JAR failed:" >&2; cat "$extract_log" >&2; exit 1; }
rm -f "$extract_log"
OUT=$(cd "$OUT" && pwd)
train=$(mktemp -d)
trap 'rm -rf "$train"' EXIT
start=$(date +%s%N)
# The training run only builds the context: no port is bound, so it needs no free ports.
if ! java -XX:ArchiveClassesAtExit="$OUT/replcache.jsa" -Xlog:cds=error -Xlog:cds+dynamic=error \
    -Dspring.context.exit=onRefresh -jar "$OUT/replcache.jar" --replcache.data-dir="$train" >"$OUT/training.log" 2>&1; then
  echo "the training run failed; its log is $OUT/training.log" >&2
  exit 1
fi
[[ -s $OUT/replcache.jsa ]] || { echo "no archive was written; see $OUT/training.log" >&2; exit 1; }
echo "CDS archive $OUT/replcache.jsa ($(du -m "$OUT/replcache.jsa" | cut -f1) MB) made in $(( ($(date +%s%N) - start) / 1000000 )) ms." >&2
# Fail loudly here if the archive cannot be used (-Xshare:on), rather than start slowly later.
if ! java -XX:SharedArchiveFile="$OUT/replcache.jsa" -Xshare:on -cp "$OUT/replcache.jar" -version >/dev/null 2>"$OUT/check.log"; then
  echo "this JVM cannot use the archive it made; see $OUT/check.log" >&2
  exit 1
fi
echo "Run: java -XX:SharedArchiveFile=$OUT/replcache.jsa -jar $OUT/replcache.jar" >&2
