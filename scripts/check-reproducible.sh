#!/usr/bin/env bash
# Builds the release binary twice from scratch, in two different directories (a fresh copy of the checkout each),
# and compares the SHA-256 of the two: equal, or the build is not reproducible and this exits 1.
#   scripts/check-reproducible.sh [work dir]      (default build/reproducible; about twice build-static.sh's time)
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mkdir -p "${1:-build/reproducible}" && cd "${1:-build/reproducible}" && pwd)"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 1)}"
sums=()
for n in a bb; do
  src="$work/src-$n"
  rm -rf "$src" && mkdir -p "$src"
  # The tracked files as they are now (uncommitted edits included), plus the npm packages.
  git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$src"
  ln -s "$PWD/node_modules" "$src/node_modules"
  (cd "$src" && scripts/build-static.sh "build/out-$n" >/dev/null)
  sums+=("$(sha256sum "$src/build/out-$n/src/app/containment-chamber" | cut -d' ' -f1)")
  echo "build in $src: ${sums[-1]}"
done
if [ "${sums[0]}" != "${sums[1]}" ]; then
  echo "NOT reproducible: the two builds differ" >&2
  exit 1
fi
echo "reproducible: both builds are ${sums[0]}"
