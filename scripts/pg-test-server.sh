#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests (never for production: fsync is off).
#   scripts/pg-test-server.sh start DIR    initdb into DIR/data if needed, start on 127.0.0.1 at a free port,
#                                          write the libpq conninfo to DIR/conninfo and print it
#   scripts/pg-test-server.sh stop DIR     stop it (fast shutdown); the cluster stays for the next start
#   scripts/pg-test-server.sh status DIR   exit 0 when it runs
#   scripts/pg-test-server.sh destroy DIR  stop it and delete the cluster (for tests that own a throw-away DIR)
# Idempotent: start on a running server only prints its conninfo; stop on a stopped one does nothing.
# Runs the server as an unprivileged user: the invoking user, or, as root (CI), the `postgres` system user
# (created if missing) through runuser. Trust authentication on 127.0.0.1 only, no TLS, no Unix socket.
# PG_BINDIR overrides where initdb/pg_ctl are found (default: pg_config --bindir, then /usr/lib/postgresql/*).
set -euo pipefail

usage() { echo "usage: $0 start|stop|status|destroy DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)

find_bindir() {
  if [ -n "${PG_BINDIR:-}" ]; then echo "$PG_BINDIR"; return; fi
  if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]; then pg_config --bindir; return; fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  [ -n "$d" ] && [ -x "$d/initdb" ] || { echo "pg-test-server: initdb not found (install postgresql-15)" >&2; exit 1; }
  echo "$d"
}
bindir=$(find_bindir)

# As root, every server command runs as `postgres` (initdb and postgres refuse to run as root).
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /usr/sbin/nologin postgres
  fi
  as_owner=(runuser -u postgres --)
fi
run() { "${as_owner[@]}" "$@"; }

# The cluster and its log live in DIR, unless the server's user cannot reach DIR (a clone under a
# 0700 directory such as /root or a mktemp -d): then in a directory of that user's own, named after
# DIR, so the same DIR always finds the same cluster. The choice is made once and kept in DIR/cluster-home:
# start hands DIR to that user, after which DIR alone would look reachable and stop would miss the cluster.
if [ -f "$dir/cluster-home" ]; then
  home=$(cat "$dir/cluster-home")
else
  home=$dir
  if [ "${#as_owner[@]}" -gt 0 ] && ! run test -x "$dir" 2>/dev/null; then
    home=/var/tmp/cc-pg-test/$(printf '%s' "$dir" | sha256sum | cut -c1-16)
  fi
  echo "$home" >"$dir/cluster-home"
fi
if [ "$home" != "$dir" ]; then
  mkdir -p "$home"
  chmod 755 /var/tmp/cc-pg-test
fi
data=$home/data

running() { [ -f "$data/PG_VERSION" ] && run "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; }

# A TCP port nobody listens on now (the server start retries if another process takes it first).
# shellcheck source=lib/free-port.sh
. "$(dirname "$0")/lib/free-port.sh"

write_conninfo() {
  echo "host=127.0.0.1 port=$(cat "$dir/port") user=postgres dbname=postgres sslmode=disable" >"$dir/conninfo.tmp"
  mv -f "$dir/conninfo.tmp" "$dir/conninfo"
  cat "$dir/conninfo"
}

start() {
  if running; then write_conninfo; return; fi
  if [ "${#as_owner[@]}" -gt 0 ]; then chown postgres: "$dir" "$home"; fi
  chmod 700 "$dir" "$home"
  if [ ! -f "$data/PG_VERSION" ]; then
    rm -rf "$data"
    run "$bindir/initdb" -D "$data" -U postgres --auth=trust --no-sync --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  local port attempt
  for attempt in 1 2 3 4 5; do
    # Keep the port of an earlier start: a test that restarts the server expects the same address.
    if [ -f "$dir/port" ] && [ "$attempt" -eq 1 ]; then port=$(cat "$dir/port"); else port=$(free_port pg-test-server); fi
    if run "$bindir/pg_ctl" -D "$data" -l "$home/server.log" -w -t 30 -o "-c listen_addresses=127.0.0.1 \
        -c port=$port -c unix_socket_directories='' -c ssl=off -c fsync=off -c full_page_writes=off \
        -c synchronous_commit=off -c max_connections=300 -c shared_buffers=32MB" start >"$dir/pg_ctl.log" 2>&1; then
      echo "$port" >"$dir/port"
      write_conninfo
      return
    fi
    # Usually the port was taken between choosing and binding it: try another. Nothing is printed
    # yet: on success the connection string must be the only output (callers read its first line).
  done
  cat "$dir/pg_ctl.log" >&2 || true
  tail -5 "$home/server.log" >&2 || true
  echo "pg-test-server: could not start the server in $dir (5 attempts)" >&2
  exit 1
}

stop() {
  if running; then run "$bindir/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null; fi
}

destroy() {
  stop
  rm -rf "$data" "$dir/port" "$dir/conninfo" "$dir/cluster-home"
  if [ "$home" != "$dir" ]; then rm -rf "$home"; fi
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  destroy) destroy ;;
  status) running ;;
  *) usage ;;
esac
