#!/usr/bin/env bash
# Runs the whole test suite: sets up (packages, npm, build with warnings as errors), builds the static release binary
# (scripts/build-static.sh, about 7 minutes on two cores) for the empty-root test static.chroot, then ctest.
# CC_SKIP_STATIC=1 leaves the release binary out (static.chroot then uses an existing build/static or is skipped).
# Ends with ctest's summary line ("100% tests passed, 0 tests failed out of N").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh ci
if [ "${CC_SKIP_STATIC:-0}" != 1 ]; then
  CC_JOBS="$(nproc)" scripts/build-static.sh
fi
ctest --preset ci -j "$(nproc)" "$@"
