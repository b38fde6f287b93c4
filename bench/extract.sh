#!/usr/bin/env bash
# Benchmark: hwinv extract against its peers, side by side on this machine, in one run.
#   local:  hwinv extract   vs  facter --json   vs  ansible localhost -m setup (hardware,network)
#   remote: hwinv extract over SSH  vs  a bare `ssh host true` to the same sshd
# Usage: bench/extract.sh [RUNS]   (needs hyperfine, facter, ansible-core: scripts/setup.sh --bench)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
bash scripts/setup.sh --bench
cargo build --release --locked -q
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/hwinv
work=$(mktemp -d)
trap 'kill "$(cat "$work/sshd.pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$work"' EXIT

# A private sshd on loopback with its own host and user keys.
# shellcheck source=bench/lib.sh
. bench/lib.sh
start_sshd "$work"
ssh -T "${sshopts[@]}" -i "$work/user_key" -p "$port" "$user@127.0.0.1" true

export ANSIBLE_PYTHON_INTERPRETER=auto_silent ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false
echo "== local extraction (${runs} runs each) =="
# -i: facter exits 1 in containers where /proc/1/environ is unreadable, after gathering every fact.
hyperfine -N -i --warmup 2 --runs "$runs" --export-json "$work/local.json" \
  -n "hwinv extract" "$bin --root $work/inv extract" \
  -n "facter --json" "facter --json" \
  -n "ansible setup" "ansible localhost -c local -m setup -a gather_subset=hardware,network"

echo "== remote extraction over SSH to 127.0.0.1 (${runs} runs each) =="
hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/remote.json" \
  -n "hwinv extract over ssh" "$bin --root $work/inv extract 127.0.0.1 $user --port $port -i $work/user_key -o UserKnownHostsFile=$work/known_hosts -o IdentitiesOnly=yes -o IdentityAgent=none" \
  -n "ssh host true" "ssh -T -o BatchMode=yes ${sshopts[*]} -i $work/user_key -p $port $user@127.0.0.1 true"

python3 - "$work/local.json" "$work/remote.json" <<'PY'
import json, sys
def means(p):
    return {r["command"]: r["mean"] for r in json.load(open(p))["results"]}
l, r = means(sys.argv[1]), means(sys.argv[2])
h = l["hwinv extract"]
peer = min(l["facter --json"], l["ansible setup"])
print(f"local:  hwinv {h*1000:.1f} ms, facter {l['facter --json']*1000:.1f} ms, ansible {l['ansible setup']*1000:.1f} ms"
      f" -> {peer/h:.1f}x faster than the fastest peer (target >= 20x)")
hr, ss = r["hwinv extract over ssh"], r["ssh host true"]
print(f"remote: hwinv {hr*1000:.1f} ms vs bare ssh {ss*1000:.1f} ms -> {hr/ss:.2f}x the bare round trip (target <= 1.3x)")
PY
