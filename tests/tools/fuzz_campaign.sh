#!/usr/bin/env bash
# ctest's bounded fuzz campaign (test fuzz.campaign): scripts/fuzz.sh for CC_FUZZ_SECONDS (default 10)
# per target, all targets. Skips (77) saying why when clang or libFuzzer is missing.
set -uo pipefail
cd "$(dirname "$0")/../.."
if ! command -v clang++ >/dev/null; then echo "skipped: clang++ is not installed (scripts/setup.sh installs it)"; exit 77; fi
if ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "skipped: libFuzzer is not installed (package libclang-rt-14-dev)"
  exit 77
fi
exec scripts/fuzz.sh "${CC_FUZZ_SECONDS:-10}"
