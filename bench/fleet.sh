#!/usr/bin/env bash
# Benchmark: a 50-host fleet extraction on loopback, side by side in one run with
#   - 50 bare `ssh host 'cat /proc/cpuinfo /proc/meminfo; lsblk -J -b'` in parallel (the SSH floor),
#   - 50 bare `ssh host sh -s < probe` in parallel, feeding the exact script hwinv sends (the same remote
#     work without hwinv: what hwinv's own orchestration, parsing and storing cost on top), and
#   - `ansible all -m setup -f 10` over the same 50 hosts.
# On loopback all 50 "remote" probes share this machine's cores with the SSH clients and servers, so the
# probe's own CPU (a dozen sections) counts against hwinv here in a way it does not on a real fleet.
# Targets: hwinv within 1.2x of the bare ssh, and at least 8x faster than ansible.
# The 50 hosts are one private sshd on 127.0.0.1 under 50 names (`name=` lines for hwinv, 50 inventory
# entries for ansible), so each run makes 50 real SSH handshakes and 50 real probes.
# Usage: bench/fleet.sh [HOSTS] [RUNS]   (needs ansible-core: scripts/setup.sh --bench)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-50}
runs=${2:-5}
bash scripts/setup.sh --bench
cargo build --release --locked -q
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/hwinv
work=$(mktemp -d)
trap 'kill "$(cat "$work/sshd.pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$work"' EXIT

# shellcheck source=bench/lib.sh
. bench/lib.sh
start_sshd "$work"

# The same 50 hosts three ways.
for i in $(seq -w 1 "$n"); do echo "127.0.0.1 $user $port name=bench-$i"; done >"$work/hosts.txt"
{
  echo "[fleet]"
  for i in $(seq -w 1 "$n"); do echo "bench-$i ansible_host=127.0.0.1 ansible_port=$port ansible_user=$user"; done
  echo "[fleet:vars]"
  echo "ansible_ssh_private_key_file=$work/user_key"
  echo "ansible_ssh_common_args='-o UserKnownHostsFile=$work/known_hosts -o IdentitiesOnly=yes -o IdentityAgent=none'"
} >"$work/ansible.ini"
# The exact script hwinv sends, captured by an ssh wrapper that tees its standard input.
mkdir -p "$work/shim"
real_ssh=$(command -v ssh)
printf '#!/bin/sh\ntee "%s/probe.sh" | "%s" "$@"\n' "$work" "$real_ssh" >"$work/shim/ssh"
chmod +x "$work/shim/ssh"
PATH="$work/shim:$PATH" "$bin" --root "$work/capture" extract 127.0.0.1 "$user" --port "$port" -i "$work/user_key" \
  -o "UserKnownHostsFile=$work/known_hosts" -o IdentitiesOnly=yes -o IdentityAgent=none >/dev/null
cat >"$work/bare-probe.sh" <<SH
#!/bin/sh
for i in \$(seq $n); do
  ssh -T ${sshopts[*]} -i $work/user_key -p $port $user@127.0.0.1 'sh -s' <$work/probe.sh >/dev/null &
done
wait
SH
chmod +x "$work/bare-probe.sh"
cat >"$work/bare-ssh.sh" <<SH
#!/bin/sh
for i in \$(seq $n); do
  ssh -T ${sshopts[*]} -i $work/user_key -p $port $user@127.0.0.1 'cat /proc/cpuinfo /proc/meminfo; lsblk -J -b' >/dev/null &
done
wait
SH
chmod +x "$work/bare-ssh.sh"
"$work/bare-ssh.sh"

hw="$bin --root $work/inv extract --fleet $work/hosts.txt -i $work/user_key -o UserKnownHostsFile=$work/known_hosts -o IdentitiesOnly=yes -o IdentityAgent=none --host-key-checking yes"
# Interpreter discovery can pick a pyenv shim that does not work in a non-login SSH session.
ANSIBLE_PYTHON_INTERPRETER=$(python3 -c 'import sys; print(sys.executable)')
export ANSIBLE_PYTHON_INTERPRETER ANSIBLE_HOST_KEY_CHECKING=True ANSIBLE_SSH_CONTROL_PATH_DIR="$work/ansible-cp"
export ANSIBLE_LOCAL_TEMP="$work/ansible-tmp"

echo "== $n hosts on 127.0.0.1: $runs rounds, each running every command once in turn (ansible in the first 2) =="
# Interleaved rounds, not one command's runs after another's: on a shared machine the load drifts, and the
# ratios are taken within each round.
python3 - "$runs" "$n" "$work" <<PY
import os, shutil, statistics, subprocess, sys, time
runs, n, work = int(sys.argv[1]), sys.argv[2], sys.argv[3]
cmds = [
    ("hwinv -j 16", "$hw >/dev/null 2>&1"),
    ("hwinv -j $n", "$hw -j $n >/dev/null 2>&1"),
    ("bare ssh", "$work/bare-ssh.sh"),
    ("bare ssh + probe", "$work/bare-probe.sh"),
    ("ansible -f 10", "ansible all -i $work/ansible.ini -m setup -f 10 >/dev/null"),
]
times = {name: [] for name, _ in cmds}
for r in range(runs):
    for name, cmd in cmds:
        if name.startswith("ansible"):
            if r >= 2:
                continue
            # Start without the SSH control masters of the previous run (they time out by themselves).
            shutil.rmtree(f"{work}/ansible-cp", ignore_errors=True)
        t = time.monotonic()
        rc = subprocess.run(cmd, shell=True).returncode
        times[name].append(time.monotonic() - t)
        if rc != 0:
            sys.exit(f"{name} failed with exit status {rc}")
    print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items() if len(v) == r + 1), flush=True)
for name, v in times.items():
    sd = statistics.stdev(v) if len(v) > 1 else 0.0
    print(f"{name:18s} mean {statistics.mean(v):6.2f} s  sd {sd:5.2f}  min {min(v):6.2f}  max {max(v):6.2f}  ({len(v)} runs)")
def ratio(a, b):
    k = min(len(times[a]), len(times[b]))
    return statistics.mean(times[a][i] / times[b][i] for i in range(k))
print(f"hwinv (-j 16) / bare ssh        = {ratio('hwinv -j 16', 'bare ssh'):.2f}x   (target <= 1.2x)")
print(f"hwinv (-j $n) / bare ssh        = {ratio('hwinv -j $n', 'bare ssh'):.2f}x")
print(f"hwinv (-j 16) / bare ssh + probe = {ratio('hwinv -j 16', 'bare ssh + probe'):.2f}x   (same remote work, no hwinv)")
print(f"ansible / hwinv (-j 16)         = {ratio('ansible -f 10', 'hwinv -j 16'):.1f}x   (target >= 8x)")
PY
echo "stored hosts: $("$bin" --root "$work/inv" hosts --format names | wc -l)"
