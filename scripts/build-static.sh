#!/usr/bin/env bash
# Builds the release binary: one statically linked `containment-chamber` (cmake -DCC_STATIC=ON, cmake/static.cmake)
# that runs in an empty root, reproducibly — the same commit gives the same SHA-256 wherever it is built:
#   SOURCE_DATE_EPOCH = the commit's time (no clock in the output), LC_ALL=C, TZ=UTC, source and build directories
#   mapped to fixed names (-ffile-prefix-map), build ids from the content, symbols stripped, Release flags fixed.
# deploy/docker/Dockerfile runs this same script in its build stage.
#   scripts/build-static.sh [build dir]          (default build/static; prints the binary's path and SHA-256)
# Environment: CC_JOBS (default 2), SOURCE_DATE_EPOCH (default: the last commit's time).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${1:-build/static}"

# libpq.a needs PostgreSQL's own static helpers (libpgcommon_shlib.a, libpgport_shlib.a).
if [ ! -f /usr/lib/postgresql/15/lib/libpgcommon_shlib.a ]; then
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends postgresql-server-dev-15
fi
[ -d node_modules/@chainsafe/blst ] || npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 1)}"
export LC_ALL=C TZ=UTC
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCC_STATIC=ON -DCC_WERROR=OFF \
  -DCC_BUILD_TESTS=OFF -DCC_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" --target containment-chamber -j "${CC_JOBS:-2}"
binary="$build_dir/src/app/containment-chamber"
strip --strip-all --enable-deterministic-archives "$binary"
if ldd "$binary" >/dev/null 2>&1; then
  echo "build-static: $binary is dynamically linked" >&2
  exit 1
fi
sha256sum "$binary" | tee "$binary.sha256"
