#!/usr/bin/env bash
# ctest entry of the static-binary tests (label "static").
#   tests/static/run.sh chroot <work dir>        the release binary in an empty root (tests/static/chroot_test.py)
#   tests/static/run.sh reproducible <work dir>  two builds in two directories give one SHA-256
# The release binary is its own Release build (scripts/build-static.sh, build/static): far beyond a unit test's time
# on two cores. With CC_STATIC_TEST=1 these tests build what they need; otherwise `chroot` uses build/static when it
# exists and both report themselves skipped (exit 77) when they would have to build.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
what="$1"; work="$2"
binary="$repo/build/static/src/app/containment-chamber"
case "$what" in
  chroot)
    if [ ! -x "$binary" ] && [ "${CC_STATIC_TEST:-0}" = 1 ]; then "$repo/scripts/build-static.sh"; fi
    exec python3 "$repo/tests/static/chroot_test.py" "$binary" "$work"
    ;;
  reproducible)
    if [ "${CC_STATIC_TEST:-0}" != 1 ]; then
      echo "SKIPPED: two release builds; run with CC_STATIC_TEST=1 (or scripts/check-reproducible.sh)"
      exit 77
    fi
    exec "$repo/scripts/check-reproducible.sh" "$work"
    ;;
esac
echo "usage: $0 chroot|reproducible <work dir>" >&2
exit 2
