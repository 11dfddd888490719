#!/usr/bin/env bash
# Runs every benchmark on a release build, prints one summary table (each figure a ratio against
# raw blst, or a target, measured in the same run) and rewrites the generated tables of
# docs/performance.md (the blocks between <!-- bench:NAME --> and <!-- /bench:NAME -->).
#   scripts/bench.sh [--quick] [--only http,burst,load,restart] [--no-docs]
# --quick: shorter runs and fewer keystores (a smoke run; its figures are noisier).
# Each benchmark also runs alone (build/release/bench/cc_<name>_bench); its flags are listed
# at the top of bench/<name>_bench.cpp. Raw outputs are kept in build/release/bench-results/<time>/.
# The machine is shared: the load average is printed with every table; re-run when it is quiet.
set -euo pipefail
cd "$(dirname "$0")/.."

all="http,burst,load,restart"
quick=0 only=$all docs=1
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --only) only="$2"; shift ;;
    --no-docs) docs=0 ;;
    *) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
wants() { [[ ",$only," == *",$1,"* ]]; }

build=build/release
cmake --preset release >/dev/null
targets=(containment-chamber cc_http_sign_bench cc_slot_burst_bench cc_keystore_load_bench cc_restart_bench)
cmake --build "$build" -j2 --target "${targets[@]}"

out="$build/bench-results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
summary="$out/summary.md"
: >"$summary"
bin="$build/bench"

if ((quick)); then
  http_args=(--seconds 3 --connections 32 --keys 64)
  burst_args=(--keys 10000 --bursts 3)
  load_args=(--keys 100 --kdf scrypt,pbkdf2)
  restart_args=(--keys 10000 --runs 1)
else
  http_args=(--seconds 8 --connections 32 --keys 64)
  burst_args=(--keys 10000 --bursts 10)
  load_args=(--keys 1000 --kdf scrypt,pbkdf2)
  restart_args=(--keys 10000 --runs 3)
fi
# Room for one scrypt derivation (256 MiB) per core: the budget start-up is measured under.
load_args+=(--budget-mib "$(($(nproc) * 256))")

run() {  # run NAME ARGS...: the benchmark's table goes to $out/NAME.md and the console
  local name=$1; shift
  echo "== $name: ${*}" >&2
  local load; load=$(cut -d' ' -f1-3 /proc/loadavg)
  "$@" --summary "$out/rows-$name" | tee "$out/$name.md"
  printf '\nCommand: `%s`\n' "$*" >>"$out/$name.md"
  # Summary rows: | benchmark | measure | value | target | when, load average at start |
  sed "s/^|/| $name |/; s/\$/ $(date -u +%Y-%m-%d), load $load |/" "$out/rows-$name" >>"$summary"
}
status=0
wants http && { run http "$bin/cc_http_sign_bench" "${http_args[@]}" || status=1; }
wants burst && { run burst "$bin/cc_slot_burst_bench" "${burst_args[@]}" || status=1; }
wants load && { run load "$bin/cc_keystore_load_bench" "${load_args[@]}" || status=1; }
wants restart && { run restart "$bin/cc_restart_bench" "${restart_args[@]}" || status=1; }

{
  echo
  echo "Summary ($(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
  echo
  echo "| benchmark | measure | value | target | run |"
  echo "|---|---|---|---|---|"
  cat "$summary"
} | tee "$out/summary-table.md"

if ((docs)); then
  python3 - "$out" docs/performance.md "$only" <<'EOF'
import pathlib, re, sys
out, doc, ran = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3].split(",")
order = ["http", "burst", "load", "restart"]
text = doc.read_text()

def block(name):
    return re.compile(r"(<!-- bench:%s -->\n).*?(\n<!-- /bench:%s -->)" % (name, name), re.S)

def replace(name, body):
    global text
    if not block(name).search(text):
        print(f"bench.sh: docs/performance.md has no block bench:{name}; left as is", file=sys.stderr)
        return
    text = block(name).sub(lambda m: m.group(1) + body + m.group(2), text)

for name in ran:
    if (out / f"{name}.md").exists():
        replace(name, (out / f"{name}.md").read_text().strip())

# The summary keeps the rows of benchmarks not run this time (a partial run updates its own rows).
table = (out / "summary-table.md").read_text().strip().splitlines()
head = [l for l in table if not l.startswith("| ") or l.startswith("| benchmark")]
rows = [l for l in table if l.startswith("| ") and not l.startswith("| benchmark") and not l.startswith("|---")]
old = block("summary").search(text)
if old:
    for line in old.group(0).splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| ") and cells[0] in order and cells[0] not in ran and not line.startswith("| benchmark"):
            rows.append(line)
rows.sort(key=lambda l: order.index(l.strip("|").split("|")[0].strip()))
sep = head.index("|---|---|---|---|---|") if "|---|---|---|---|---|" in head else len(head)
replace("summary", "\n".join(head[: sep + 1] + rows))
doc.write_text(text)
print(f"bench.sh: rewrote the tables of {doc} from {out}", file=sys.stderr)
EOF
fi
exit $status
