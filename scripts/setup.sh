#!/usr/bin/env bash
# Install what hwinv's tests and benchmarks need on Debian/Ubuntu (idempotent; skips what is present).
set -euo pipefail

need_apt=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
have sshd || need_apt+=(openssh-server)
have ssh || need_apt+=(openssh-client)
have nix-instantiate || need_apt+=(nix-bin)
have nats-server || need_apt+=(nats-server)
have openssl || need_apt+=(openssl) # push-mode TLS test certificates
have promtool || need_apt+=(prometheus)
have prometheus-node-exporter || need_apt+=(prometheus-node-exporter)
have systemd-analyze || need_apt+=(systemd)
have git || need_apt+=(git)
have jq || need_apt+=(jq)
have man || need_apt+=(man-db)
have curl || need_apt+=(curl)
have wget || need_apt+=(wget)
have ip || need_apt+=(iproute2)
have lsblk || need_apt+=(util-linux)
have python3 || need_apt+=(python3 python3-pip)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
if [ "${1:-}" = "--bench" ]; then
  have hyperfine || need_apt+=(hyperfine)
  have facter || need_apt+=(facter)
  have /usr/bin/time || need_apt+=(time)
fi

if [ ${#need_apt[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "missing: ${need_apt[*]} (install them with your package manager)" >&2
    exit 1
  fi
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "installing: ${need_apt[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
mkdir -p /run/sshd 2>/dev/null || true

py_need=()
python3 -c 'import duckdb' 2>/dev/null || py_need+=(duckdb)
python3 -c 'import ansible' 2>/dev/null || py_need+=(ansible-core)
if [ ${#py_need[@]} -gt 0 ]; then
  echo "installing (pip): ${py_need[*]}" >&2
  python3 -m pip install -q "${py_need[@]}" 2>/dev/null ||
    python3 -m pip install -q --break-system-packages "${py_need[@]}"
fi
