#!/usr/bin/env bash
# The whole test suite under a sanitizer (GCC):
#   scripts/sanitize.sh address [ctest arguments]   ASan + UBSan (+ LeakSanitizer)  → build/asan
#   scripts/sanitize.sh thread  [ctest arguments]   TSan                            → build/tsan
# Any report stops the test that caused it (halt_on_error), so a finding is a failed test whose
# output holds the report. Ends with ctest's summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:?usage: scripts/sanitize.sh address|thread [ctest arguments]}"
shift
case "$kind" in
  address) dir=build/asan flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined" ;;
  thread) dir=build/tsan flags="-fsanitize=thread" ;;
  *) echo "sanitize: address or thread, not '$kind'" >&2; exit 2 ;;
esac
scripts/setup.sh none  # packages and npm modules only
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCC_BUILD_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="$flags -fno-omit-frame-pointer" -DCMAKE_C_FLAGS="$flags -fno-omit-frame-pointer" \
  -DCMAKE_EXE_LINKER_FLAGS="$flags" >/dev/null
cmake --build "$dir" -j "${CC_JOBS:-2}"
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tools/tsan.supp"
ctest --test-dir "$dir" -j "${CC_JOBS:-2}" --output-on-failure --timeout 900 "$@"
