#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine: install what the tests need, then lint and test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked
