#!/usr/bin/env bash
# ctest's bounded fuzz campaign (test fuzz.campaign): scripts/fuzz.sh for CC_FUZZ_SECONDS per target, all
# targets. Its own sanitizer build takes minutes, so it runs only when CC_FUZZ_SECONDS is set; it skips (77)
# saying why otherwise, or when clang or libFuzzer is missing.
set -uo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${CC_FUZZ_SECONDS:-}" ]; then
  echo "skipped: set CC_FUZZ_SECONDS (seconds per target) to build the libFuzzer targets and fuzz them"
  exit 77
fi
if ! command -v clang++ >/dev/null; then echo "skipped: clang++ is not installed (scripts/setup.sh installs it)"; exit 77; fi
if ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "skipped: libFuzzer is not installed (package libclang-rt-14-dev)"
  exit 77
fi
exec scripts/fuzz.sh "$CC_FUZZ_SECONDS"
