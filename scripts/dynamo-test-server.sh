#!/usr/bin/env bash
# A throw-away DynamoDB-compatible server for the tests: dynalite (npm, pinned in package-lock.json),
# in memory, on 127.0.0.1 at a free port. Never for production.
#   scripts/dynamo-test-server.sh start DIR    start it, write its endpoint (http://127.0.0.1:PORT) to
#                                              DIR/endpoint and print it
#   scripts/dynamo-test-server.sh stop DIR     stop it (its tables are gone: it keeps them in memory)
#   scripts/dynamo-test-server.sh status DIR   exit 0 when it runs
# With CC_DYNAMO_PERSIST=1, start keeps the tables on disk in DIR/data (LevelDB) instead, so a stop and
# a start (at a new port) find them again: for the tests that kill the server mid-storm.
# Idempotent like scripts/pg-test-server.sh. dynalite accepts any SigV4 signature (the tests prove the
# signing with the AWS known-answer suite) and supports conditional PutItem/UpdateItem/DeleteItem, Query
# and DescribeTable, which is all the stores use.
set -euo pipefail

usage() { echo "usage: $0 start|stop|status DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/node_modules/.bin/dynalite
[ -x "$bin" ] || { echo "dynamo-test-server: $bin missing: run scripts/setup.sh (npm ci)" >&2; exit 1; }

running() { [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; }

# shellcheck source=lib/free-port.sh
. "$(dirname "$0")/lib/free-port.sh"

start() {
  if running; then cat "$dir/endpoint"; return; fi
  local port attempt
  for attempt in 1 2 3 4 5; do
    port=$(free_port dynamo-test-server)
    # Small table-creation delays keep CreateTable fast; setsid so ctest does not wait on it.
    local persist=()
    [ "${CC_DYNAMO_PERSIST:-0}" = 1 ] && persist=(--path "$dir/data")
    setsid "$bin" --host 127.0.0.1 --port "$port" "${persist[@]}" --createTableMs 0 --deleteTableMs 0 --updateTableMs 0 \
      >"$dir/server.log" 2>&1 < /dev/null &
    echo $! >"$dir/pid"
    for _ in $(seq 1 100); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "http://127.0.0.1:$port" >"$dir/endpoint.tmp"
        mv -f "$dir/endpoint.tmp" "$dir/endpoint"
        cat "$dir/endpoint"
        return
      fi
      running || break
      sleep 0.1
    done
    # Usually the port was taken between choosing and binding it: try another. Nothing is printed
    # yet: on success the endpoint must be the only output (callers read its first line).
    kill "$(cat "$dir/pid")" 2>/dev/null || true
    mv -f "$dir/server.log" "$dir/server.log.$attempt"
  done
  tail -5 "$dir/server.log.5" >&2 || true
  echo "dynamo-test-server: dynalite did not start in 5 attempts (logs: $dir/server.log.1 to .5)" >&2
  exit 1
}

stop() {
  if running; then
    kill "$(cat "$dir/pid")"
    for _ in $(seq 1 50); do running || break; sleep 0.1; done
  fi
  rm -f "$dir/pid"
}

case $cmd in
  start) start ;;
  stop) stop ;;
  status) running ;;
  *) usage ;;
esac
