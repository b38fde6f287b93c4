#!/bin/sh
# Cost of telemetry: CPU time and peak RSS of one `hwinv sample`, of `sample --every 1s --count 60`, and
# of `rollup` over a week of 10-second samples (60,480 rows, made by the hidden `telemetry synth`).
#
# usage: bench/telemetry.sh [HWINV_BINARY]     (default: target/release/hwinv; build it with
#        cargo build --release). Needs GNU time (/usr/bin/time, Debian package `time`).
set -eu
BIN=${1:-target/release/hwinv}
[ -x "$BIN" ] || { echo "no binary at $BIN (cargo build --release)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "GNU time missing: apt-get install time" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

measure() { # label, command...
    label=$1; shift
    /usr/bin/time -v -o "$WORK/time.txt" "$@" >"$WORK/out.txt" 2>&1 || { cat "$WORK/out.txt" >&2; exit 1; }
    awk -v label="$label" -F': ' '
        /User time/ {u=$2} /System time/ {s=$2} /Elapsed \(wall clock\)/ {w=$2}
        /Maximum resident set size/ {m=$2}
        END {printf "%-38s cpu %6.2f s (user %.2f + sys %.2f)  wall %-8s  peak RSS %6.1f MiB\n",
             label, u+s, u, s, w, m/1024}' "$WORK/time.txt"
}

echo "binary: $BIN ($(uname -m), $(nproc) CPUs)"
measure "sample (one-shot)" "$BIN" --root "$WORK/one" sample
measure "sample --every 1s --count 60" "$BIN" --root "$WORK/minute" sample --every 1s --count 60
measure "telemetry synth --rows 60480 (setup)" "$BIN" --root "$WORK/week" telemetry synth --rows 60480
measure "rollup (week, 60480 rows)" "$BIN" --root "$WORK/week" rollup
cat "$WORK/out.txt"
measure "rollup again (idempotent re-run)" "$BIN" --root "$WORK/week" rollup
echo "on disk: samples $(du -sh "$WORK/week/telemetry/host_metrics" | cut -f1), rollups $(du -sh "$WORK/week/telemetry/rollups_5m" | cut -f1)"
