#!/usr/bin/env bash
# Benchmark: `hwinv generate --all` over a fleet of synthetic hosts (default 1,000) built from the real
# fixture captures in tests/fixtures/hosts, with cores, memory and disks varied across every tier.
#   cold: every host's configuration.nix, nats-server.conf and metadata.json are written (3 files a host)
#   warm: a second run over an up-to-date fleet, which writes nothing
# Target: cold < 1 s for 1,000 hosts.
# Usage: bench/generate.sh [HOSTS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
hosts=${1:-1000}
runs=${2:-10}
cargo build --release --locked -q
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/hwinv
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Every fixture capture replayed once, as a snapshot.
mkdir -p "$work/base"
for dir in tests/fixtures/hosts/*/; do
  "$bin" --root "$work/replay" extract --replay "$dir" --json >"$work/base/$(basename "$dir").json"
done

# HOSTS synthetic hosts: fixture i mod n, with cores, memory and disk sizes cycling through values on both
# sides of every tier boundary (independent cycles, so the combinations mix).
python3 - "$work" "$hosts" <<'PY'
import json, os, sys
work, n = sys.argv[1], int(sys.argv[2])
bases = sorted(os.listdir(f"{work}/base"))
snaps = [json.load(open(f"{work}/base/{b}")) for b in bases]
cores = [2, 4, 7, 8, 10, 12, 15, 16, 24, 32, 64]
memory = [4, 8, 16, 31, 32, 48, 63, 64, 96, 128, 256]
disks = [128, 256, 499, 500, 512, 999, 1000, 2000, 4000]
for i in range(n):
    s = json.loads(json.dumps(snaps[i % len(snaps)]))
    name = f"host-{i:04d}-{bases[i % len(bases)][:-5]}"
    c, m, d = cores[i % len(cores)], memory[i % len(memory)], disks[i % len(disks)]
    s["collected_at"] = "2026-01-01T00:00:00Z"
    s["system_info"]["hostname"] = name
    s["hardware"]["cpu_cores"] = c
    s["hardware"]["cpu"]["physical_cores"] = c
    s["hardware"]["cpu"]["logical_cpus"] = c * 2
    s["hardware"]["memory_gb"] = m
    s["hardware"]["memory"]["total_bytes"] = m << 30
    s["disks"] = [{"name": "disk0", "size_bytes": d * 10**9, "size_gb": d, "model": "Synthetic SSD",
                   "serial": None, "kind": "ssd", "removable": False, "transport": None}]
    inv = f"{work}/fleet/inventory/{name}"
    os.makedirs(inv)
    with open(f"{inv}/hardware_20260101T000000Z.json", "w") as f:
        json.dump(s, f, indent=2)
        f.write("\n")
    os.symlink("hardware_20260101T000000Z.json", f"{inv}/latest.json")
PY

# hardware.nix for every host, as extract writes it (generate renders hosts/<host>/hardware.nix when it
# is missing; extract also keeps a copy in inventory/<host>/).
"$bin" --root "$work/fleet" generate --all >/dev/null 2>&1
for dir in "$work"/fleet/hosts/*/; do
  cp "$dir/hardware.nix" "$work/fleet/inventory/$(basename "$dir")/hardware.nix"
done
# `sync` first, so that the flush measured is hwinv's own writes, not dirty data other processes left.
clean="find $work/fleet/hosts \\( -name configuration.nix -o -name nats-server.conf -o -name metadata.json \\) -delete; sync"

echo "== hwinv generate --all over $hosts hosts ($runs runs each) =="
hyperfine --warmup 1 --runs "$runs" --export-json "$work/bench.json" \
  -n "cold (writes $((hosts * 3)) files)" --prepare "$clean" "$bin --root $work/fleet generate --all" \
  -n "warm (writes nothing)" --prepare true "$bin --root $work/fleet generate --all"
test "$(find "$work/fleet/hosts" -name metadata.json | wc -l)" -eq "$hosts"

python3 - "$work/bench.json" "$hosts" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
for name, r in res.items():
    print(f"{name}: mean {r['mean']*1000:.0f} ms, max {r['max']*1000:.0f} ms for {sys.argv[2]} hosts")
cold = next(r for n, r in res.items() if n.startswith("cold"))
print("target (cold < 1 s):", "met" if cold["max"] < 1.0 else "NOT met")
PY
