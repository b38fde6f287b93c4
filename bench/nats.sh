#!/usr/bin/env bash
# Benchmark: push mode on loopback.
#   1. N simulated hosts (default 1,000: replayed fixture captures under distinct names, each with its own
#      nkey user) run `hwinv agent --once` against one nats-server -js, P at a time: pushes per second;
#   2. `hwinv sync` materialises all N into an empty inventory: sync time (target under 2 s) and the
#      controller's peak memory (max RSS of the sync process), then a second sync with nothing new;
#   3. the same 50-host fleet pulled over SSH (`extract --fleet`, one private sshd) vs pushed over NATS
#      (50 agents probing this machine, then sync), side by side.
# The hub's own peak memory is reported too. Usage: bench/nats.sh [HOSTS] [PARALLEL]
# HWINV_BIN=path/to/hwinv uses that binary (e.g. a debug build) instead of building a release one.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
par=${2:-8}
if [ -z "${HWINV_BIN:-}" ]; then
  cargo build --release --locked -q
  bin=${CARGO_TARGET_DIR:-$PWD/target}/release/hwinv
else
  bin=$HWINV_BIN
fi
command -v nats-server >/dev/null || bash scripts/setup.sh
work=$(mktemp -d)
nats_pid=
trap '[ -n "$nats_pid" ] && kill "$nats_pid" 2>/dev/null; kill "$(cat "$work/sshd.pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$work"' EXIT
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mapfile -t fixtures < <(find tests/fixtures/hosts -mindepth 1 -maxdepth 1 -type d | sort)
seq -f "sim-%04g" 1 "$n" >"$work/names.txt"
for i in $(seq -w 1 50); do echo "pull-$i"; done >>"$work/names.txt"
args=(); while read -r h; do args+=(--host "$h"); done <"$work/names.txt"
t0=$(now)
"$bin" --root "$work" nats hub-config --out "$work/hub" --port "$port" "${args[@]}" >/dev/null
echo "hub-config for $((n + 50)) hosts: $(secs "$t0" "$(now)") s"
nats-server -c "$work/hub/nats-server.conf" >"$work/nats.log" 2>&1 &
nats_pid=$!
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.05; done
hub=(--server "nats://127.0.0.1:$port")
"$bin" nats setup "${hub[@]}" --creds "$work/hub/creds/hwinv-admin.creds" >/dev/null

# 1. N agents, P at a time.
awk -v nf="${#fixtures[@]}" '{print $0, (NR - 1) % nf}' <(head -n "$n" "$work/names.txt") >"$work/jobs.txt"
cat >"$work/push-one.sh" <<SH
#!/bin/sh
set -- \$1 \$2
fx=\$(sed -n "\$((\$2 + 1))p" "$work/fixtures.txt")
exec "$bin" --root "$work" agent ${hub[*]} --creds "$work/hub/creds/\$1.creds" --once --replay "\$fx" --name "\$1" \
  --spool "$work/spool" >/dev/null
SH
chmod +x "$work/push-one.sh"
printf '%s\n' "${fixtures[@]}" >"$work/fixtures.txt"
t0=$(now)
xargs -P "$par" -L 1 "$work/push-one.sh" <"$work/jobs.txt"
t1=$(now)
echo "push: $n agents ($par at a time) in $(secs "$t0" "$t1") s = $(python3 -c "print(f'{$n / ($t1 - $t0):.0f}')") pushes/s"

# 2. sync into an empty inventory, twice.
sync() { /usr/bin/time -f '%e %M' -o "$work/time.txt" "$bin" --root "$work/inv" sync "${hub[@]}" \
  --creds "$work/hub/creds/hwinv-admin.creds" "$@"; }
out=$(sync)
read -r el rss <"$work/time.txt"
echo "sync (first, $n hosts): ${el} s, controller peak RSS $((rss / 1024)) MiB   (target < 2 s)   [$out]"
out=$(sync)
read -r el rss <"$work/time.txt"
echo "sync (again, nothing new): ${el} s, peak RSS $((rss / 1024)) MiB   [$out]"
echo "stored hosts: $("$bin" --root "$work/inv" hosts --format names | wc -l)"
echo "hub peak RSS: $(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$nats_pid/status") MiB"

# 3. 50 hosts pulled over SSH vs pushed over NATS (both probe this machine for real).
# shellcheck source=bench/lib.sh
. bench/lib.sh
start_sshd "$work"
for i in $(seq -w 1 50); do echo "127.0.0.1 $user $port name=pull-$i"; done >"$work/hosts.txt"
t0=$(now)
"$bin" --root "$work/pull" extract --fleet "$work/hosts.txt" -i "$work/user_key" -o "UserKnownHostsFile=$work/known_hosts" \
  -o IdentitiesOnly=yes -o IdentityAgent=none --host-key-checking yes -j 16 >/dev/null 2>&1
echo "50 hosts pulled over SSH (extract --fleet -j 16): $(secs "$t0" "$(now)") s"
t0=$(now)
for i in $(seq -w 1 50); do echo "pull-$i"; done | xargs -P 16 -I{} "$bin" --root "$work" agent "${hub[@]}" \
  --creds "$work/hub/creds/{}.creds" --once --name {} --spool "$work/spool" >/dev/null
t1=$(now)
sync >/dev/null
echo "50 hosts pushed over NATS (agents 16 at a time, then sync): push $(secs "$t0" "$t1") s + sync $(cut -d' ' -f1 "$work/time.txt") s"
