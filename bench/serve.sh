#!/usr/bin/env bash
# Benchmark: `hwinv serve` over 1,000 hosts (target: p95 < 500 ms for every page and API route).
# The hosts are the real fixture snapshots copied under distinct names; host-00000 also has a week of
# 1-minute telemetry samples with their 5-minute rollups, so its page draws every chart.
# Each route gets REQUESTS requests from 4 concurrent clients; the script prints p50/p95/max per route.
# Usage: bench/serve.sh [HOSTS] [REQUESTS]   (BENCH_PROFILE=dev uses a debug build instead of release)
set -euo pipefail
cd "$(dirname "$0")/.."
hosts=${1:-1000}
requests=${2:-200}
if [ "${BENCH_PROFILE:-release}" = dev ]; then
  cargo build --locked -q
  bin=${CARGO_TARGET_DIR:-$PWD/target}/debug/hwinv
else
  cargo build --release --locked -q
  bin=${CARGO_TARGET_DIR:-$PWD/target}/release/hwinv
fi
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

for d in tests/fixtures/hosts/*/; do
  "$bin" --root "$work/seed" extract --replay "$d" --name "$(basename "$d")" >/dev/null
done
python3 - "$work/seed/inventory" "$work/fleet/inventory" "$hosts" <<'PY'
import json, os, sys
seed, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
templates = [json.load(open(os.path.join(seed, h, "latest.json")))
             for h in sorted(os.listdir(seed)) if os.path.exists(os.path.join(seed, h, "latest.json"))]
for i in range(n):
    s = json.loads(json.dumps(templates[i % len(templates)]))
    name = f"host-{i:05d}"
    s["system_info"]["hostname"] = name
    d = os.path.join(out, name)
    os.makedirs(d)
    fname = "hardware_20261130T100000Z.json"
    with open(os.path.join(d, fname), "w") as f:
        json.dump(s, f, indent=2)
    os.symlink(fname, os.path.join(d, "latest.json"))
PY
root="$work/fleet"
start=$(date -u -d '-7 days' +%Y-%m-%dT%H:%M:%SZ)
"$bin" --root "$root" telemetry synth --rows 10080 --step 60 --host-id host-00000 --start "$start" >/dev/null
"$bin" --root "$root" rollup >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
t0=$(date +%s.%N)
"$bin" --root "$root" serve --listen "127.0.0.1:$port" 2>"$work/serve.log" &
pid=$!
python3 - "$port" <<'PY'
import socket, sys, time
for _ in range(600):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close(); break
    except OSError:
        time.sleep(0.1)
PY
echo "server up after $(python3 -c "print(round($(date +%s.%N) - $t0, 2))") s (loads every snapshot first); $(cat "$work/serve.log")"
python3 - "$port" "$requests" <<'PY'
import sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor
port, n = int(sys.argv[1]), int(sys.argv[2])
routes = ["/", "/?where=memory_gb%20%3E%3D%2032", "/hosts/host-00000", "/hosts/host-00500", "/events",
          "/api/hosts", "/api/hosts/host-00000", "/api/metrics/system",
          "/api/metrics/system/history?hours=24", "/api/docker/containers", "/api/services",
          "/api/ollama/status", "/api/readiness", "/metrics"]
def one(path):
    t = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as r:
        body = r.read()
        assert r.status == 200, (path, r.status)
    return time.perf_counter() - t, len(body)
worst = 0
print(f"{'route':42} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'bytes':>9}")
for path in routes:
    with ThreadPoolExecutor(4) as ex:
        res = list(ex.map(one, [path] * n))
    lat = sorted(r[0] for r in res)
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
    worst = max(worst, p(0.95))
    print(f"{path:42} {p(0.5):8.1f} {p(0.95):8.1f} {lat[-1]*1000:8.1f} {res[0][1]:9}")
print(f"worst p95: {worst:.1f} ms (target < 500 ms)")
PY
rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
echo "server peak RSS: $((rss / 1024)) MB"
