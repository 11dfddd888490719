#!/usr/bin/env bash
# Runs the whole test suite: sets up (packages, npm, build with warnings as errors), then ctest.
# Ends with ctest's summary line ("100% tests passed, 0 tests failed out of N").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh ci
ctest --preset ci -j "$(nproc)" "$@"
