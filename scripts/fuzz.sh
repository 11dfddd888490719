#!/usr/bin/env bash
# Coverage-guided fuzzing of every target in fuzz/ with libFuzzer under ASan and UBSan (clang).
#   scripts/fuzz.sh [seconds per target, default 60] [target ...]   (default: all targets)
# Builds build/fuzz (CC=clang, CC_FUZZ=ON), then runs each target for the given time on a working
# corpus seeded from fuzz/corpus/<target> (and the conformance data the replay tests read). Findings
# go to build/fuzz/crashes/<target>/; copy one into fuzz/regressions/<target>/ once fixed so the
# ordinary test suite replays it forever. Ends with "N passed, N failed" (a target fails when it
# crashes, leaks, trips a sanitizer or hangs past -timeout).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(signing_request ssz_bitlist keystore interchange config http attestation aws)

command -v clang++ >/dev/null || { echo "fuzz: clang++ not found (scripts/setup.sh installs clang and libclang-rt-14-dev)" >&2; exit 1; }
[ -d node_modules/@chainsafe/blst ] || npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCC_FUZZ=ON \
  -DCC_BUILD_TESTS=OFF -DCC_BUILD_BENCH=OFF >/dev/null
cmake --build build/fuzz -j "${CC_JOBS:-2}" --target "${targets[@]/#/cc_fuzz_}"

vectors=../shared/vectors
passed=0 failed=0
for t in "${targets[@]}"; do
  work=build/fuzz/corpus/$t crashes=build/fuzz/crashes/$t
  mkdir -p "$work" "$crashes"
  cp -n fuzz/corpus/"$t"/* "$work"/ 2>/dev/null || true
  seeds=()
  case "$t" in
    interchange) [ -d "$vectors/eip3076-interchange-v5.3.0/tests" ] && seeds+=("$vectors/eip3076-interchange-v5.3.0/tests/generated") ;;
    aws) [ -d "$vectors/aws-sigv4-test-suite/v4" ] && seeds+=("$vectors/aws-sigv4-test-suite/v4") ;;
  esac
  [ -d "fuzz/regressions/$t" ] && seeds+=("fuzz/regressions/$t")
  echo "== $t: ${seconds}s"
  if build/fuzz/fuzz/cc_fuzz_"$t" "$work" "${seeds[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -artifact_prefix="$crashes/" -print_final_stats=1 >"build/fuzz/$t.log" 2>&1; then
    grep -E "stat::number_of_executed_units|cov:" "build/fuzz/$t.log" | tail -2 || true
    passed=$((passed + 1))
  else
    echo "fuzz: $t found a problem; the input is in $crashes/, the report in build/fuzz/$t.log:" >&2
    grep -E "ERROR|SUMMARY|runtime error|Test unit written" "build/fuzz/$t.log" | head -5 >&2 || true
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
