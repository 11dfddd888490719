# Sourced by the test-server scripts. free_port NAME: prints a TCP port on 127.0.0.1 that nobody
# listens on now (the caller retries its start if another process takes it first); NAME is used
# in the error message.
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  echo "$1: no free port found" >&2
  exit 1
}
