#!/usr/bin/env python3
"""Fails when a layer includes a header of a layer it may not use (DESIGN.md: dependencies point down)."""
import pathlib
import re
import sys

ALLOWED = {
    "core": set(),
    "ssz": {"core"},
    "crypto": {"core"},
    "keys": {"core", "crypto", "aws"},
    "slashing": {"core", "aws"},
    "aws": {"core"},
    "state": {"core", "aws"},
    "seal": {"core", "crypto", "aws", "state"},
    "tee": {"core", "crypto"},
    "controller": {"core", "tee"},
    "auth": {"core", "state"},
    "api": {"core", "ssz", "crypto", "keys", "slashing", "aws", "state", "seal", "auth"},
    "app": {"core", "ssz", "crypto", "keys", "slashing", "aws", "state", "seal", "tee", "controller", "auth", "api"},
}
root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".") / "src"
include = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')
bad = []
for layer, allowed in ALLOWED.items():
    for f in sorted((root / layer).rglob("*")):
        if f.suffix not in {".hpp", ".cpp", ".h", ".c"}:
            continue
        for n, line in enumerate(f.read_text().splitlines(), 1):
            m = include.match(line)
            if m and m.group(1) != layer and m.group(1) in ALLOWED and m.group(1) not in allowed:
                bad.append(f"{f.relative_to(root.parent)}:{n}: {layer} may not include {m.group(1)}/")
print("\n".join(bad) if bad else f"layers ok: {', '.join(ALLOWED)}")
sys.exit(1 if bad else 0)
