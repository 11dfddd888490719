#!/usr/bin/env bash
# Installs everything the build and the tests need on Debian 12 (Debian packages, then the
# npm packages pinned in package-lock.json), then configures and builds the given CMake preset.
# Idempotent: packages already present are not reinstalled.
#   scripts/setup.sh [release|debug|ci|none]  (default: release; none: install only, build nothing)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates python3 openssl unzip
  nodejs npm
  libssl-dev libsqlite3-dev libboost1.81-dev libboost-json1.81-dev libboost-system1.81-dev
  libyaml-cpp-dev libcli11-dev libspdlog-dev libutf8proc-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libpq-dev postgresql-15
  clang libclang-rt-14-dev faketime
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A Node.js installed outside Debian's packages (newer) is fine; only install Debian's when none exists.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]}"
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm packages (blst sources for the build; independent SSZ/BLS implementations for the tests).
stamp=node_modules/.package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: npm ci --ignore-scripts"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi

[ "$preset" = none ] && exit 0
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
