#!/usr/bin/env bash
# Benchmark: `hwinv hosts --where 'memory_gb >= 32'` over 10,000 stored hosts (target: < 300 ms, < 100 MB).
#   warm: the query index (inventory/.cache/hosts-index.json) is up to date, the usual case
#   cold: no index, so every latest.json is read and parsed (first query after a clone, or after 10,000
#         hosts were re-extracted)
#   beside them: the seed's jq habit over the same files, for scale
# The 10,000 hosts are the real fixture snapshots (tests/fixtures/hosts replayed through hwinv extract)
# copied under distinct names with varied memory, each a hardware_<stamp>.json with a latest.json symlink.
# Usage: bench/query.sh [HOSTS] [RUNS]   (needs hyperfine and GNU time: scripts/setup.sh --bench)
set -euo pipefail
cd "$(dirname "$0")/.."
hosts=${1:-10000}
runs=${2:-10}
bash scripts/setup.sh --bench
cargo build --release --locked -q
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/hwinv
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Real snapshots to copy from.
for d in tests/fixtures/hosts/*/; do
  "$bin" --root "$work/seed" extract --replay "$d" --name "$(basename "$d")" >/dev/null
done
python3 - "$work/seed/inventory" "$work/fleet/inventory" "$hosts" <<'PY'
import json, os, sys
seed, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
templates = []
for h in sorted(os.listdir(seed)):
    p = os.path.join(seed, h, "latest.json")
    if os.path.exists(p):
        templates.append(json.load(open(p)))
mems = [8, 16, 24, 32, 64, 128, 192]
for i in range(n):
    s = json.loads(json.dumps(templates[i % len(templates)]))
    name = f"host-{i:05d}"
    s["system_info"]["hostname"] = name
    s["hardware"]["memory_gb"] = mems[i % len(mems)]
    s["hardware"]["memory"]["total_bytes"] = mems[i % len(mems)] << 30
    s["collected_at"] = f"2026-11-{1 + i % 28:02d}T10:00:00Z"
    d = os.path.join(out, name)
    os.makedirs(d)
    fname = f"hardware_202611{1 + i % 28:02d}T100000Z.json"
    with open(os.path.join(d, fname), "w") as f:
        json.dump(s, f, indent=2)
        f.write("\n")
    os.symlink(fname, os.path.join(d, "latest.json"))
PY
size=$(du -sh "$work/fleet/inventory" | cut -f1)
echo "== $hosts hosts ($size of snapshots), hwinv hosts --where 'memory_gb >= 32' =="
root="$work/fleet"
matches=$("$bin" --root "$root" hosts --where 'memory_gb >= 32' --format names | wc -l)
echo "matches: $matches hosts"
hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/q.json" \
  -n "hwinv hosts --where (warm index)" "$bin --root $root hosts --where 'memory_gb >= 32'" \
  -n "hwinv hosts --where --format json (warm)" "$bin --root $root hosts --where 'memory_gb >= 32' --format json"
# After one host was re-extracted (the usual case): the index answers, the changed host is read beside it.
hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/one.json" \
  --prepare "$bin --root $root extract --replay tests/fixtures/hosts/mac-m1pro --name host-00001" \
  -n "hwinv hosts --where (one host re-extracted)" "$bin --root $root hosts --where 'memory_gb >= 32'"
hyperfine --runs "$((runs < 5 ? runs : 5))" --export-json "$work/cold.json" \
  --prepare "rm -rf $root/inventory/.cache; sync" \
  -n "hwinv hosts --where (cold: no index)" "$bin --root $root hosts --where 'memory_gb >= 32' >/dev/null"
hyperfine --runs 3 --export-json "$work/jq.json" \
  -n "jq select over latest.json" "cd $root && jq -r 'select(.hardware.memory_gb >= 32) | .system_info.hostname' inventory/*/latest.json >/dev/null"

rss() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1; }
warm_kb=$(rss "$bin" --root "$root" hosts --where 'memory_gb >= 32')
rm -rf "$root/inventory/.cache"
cold_kb=$(rss "$bin" --root "$root" hosts --where 'memory_gb >= 32')
python3 - "$work/q.json" "$work/cold.json" "$work/jq.json" "$warm_kb" "$cold_kb" "$work/one.json" <<'PY'
import json, sys
def means(p):
    return {r["command"]: r["mean"] for r in json.load(open(p))["results"]}
q, c, j = means(sys.argv[1]), means(sys.argv[2]), means(sys.argv[3])
warm = q["hwinv hosts --where (warm index)"]
cold = c["hwinv hosts --where (cold: no index)"]
jq = j["jq select over latest.json"]
print(f"warm: {warm*1000:.0f} ms, peak {int(sys.argv[4])/1024:.0f} MB   (target < 300 ms, < 100 MB)")
one = means(sys.argv[6])["hwinv hosts --where (one host re-extracted)"]
print(f"one host re-extracted: {one*1000:.0f} ms")
print(f"cold: {cold*1000:.0f} ms, peak {int(sys.argv[5])/1024:.0f} MB   (builds the index)")
print(f"jq:   {jq*1000:.0f} ms")
PY
