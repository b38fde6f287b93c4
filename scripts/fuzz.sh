#!/usr/bin/env bash
# A longer run of the mutation fuzzer the test suite runs for 3 seconds (tests/integration/fuzz.rs):
# every section parser, collect + hardware.nix rendering and the frame splitter on mutated real captures.
#
#   scripts/fuzz.sh [SECONDS] [JOBS]     # default 600 seconds, one process per CPU, each with its own seed
#
# Each process prints one line: executions, values, errors, crashes, peak RSS and its seed. A crash fails
# the run and saves its input under $HWINV_FUZZ_OUT (default: target/fuzz); replay one with
# HWINV_FUZZ_SEED=<seed>.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-${HWINV_FUZZ_SECS:-600}}"
jobs="${2:-${HWINV_FUZZ_JOBS:-$(nproc)}}"
out="${HWINV_FUZZ_OUT:-target/fuzz}"
mkdir -p "$out"
cargo test --release --locked --test integration --no-run
pids=()
for i in $(seq 1 "$jobs"); do
  HWINV_FUZZ_SECS="$secs" HWINV_FUZZ_SEED="$((RANDOM * 65536 + RANDOM + i))" HWINV_FUZZ_OUT="$out" \
    cargo test --release --locked --test integration -q fuzz::parsers_survive_mutated_captures -- \
    --exact --nocapture >"$out/job$i.log" 2>&1 &
  pids+=("$!")
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
grep -hE '^(fuzz:|crash)' "$out"/job*.log || true
awk '/^fuzz:/ { n += $2 } END { printf "total: %d executions\n", n }' "$out"/job*.log
exit "$status"
