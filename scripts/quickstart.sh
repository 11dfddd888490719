#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running signer: installs what is needed,
# builds a release binary and starts it on the embedded defaults (SQLite anti-slashing in
# ./data, filesystem keystores in ./keys, HTTP on port 9000). Extra arguments go to `server`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh release
mkdir -p keys data
exec build/release/src/app/containment-chamber server --config config/quickstart.yaml "$@"
