#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian machine (run as root): system packages, .venv, egnet.
# Skips what is already there; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(frr frr-pythontools snmpd snmp iperf3 pmacct nftables openssh-server chromium chromium-driver fonts-wqy-microhei iproute2 iputils-ping procps git prometheus prometheus-alertmanager)
PYTHON=${PYTHON:-python3}

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root to install Debian packages: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts daemons on install; the lab runs its own per namespace, so keep the system ones off.
for svc in frr snmpd prometheus prometheus-alertmanager; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-enabled "$svc" >/dev/null 2>&1; then
    systemctl disable --now "$svc" >/dev/null 2>&1 || true
  fi
done

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv" >&2
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.egnet-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  echo "setup: installing Python packages into .venv" >&2
  mkdir -p build
  log=build/setup-pip.log
  if ! { .venv/bin/python -m pip install -q --upgrade pip &&
         .venv/bin/python -m pip install -q -c constraints.txt -e ".[dev]" &&
         # pyNTM 5 (the open-source peer of benchmarks/bench_planner_pyntm.py) pins networkx==3.1
         # but runs on the newer one: install it without its pins
         .venv/bin/python -m pip install -q --no-deps "pyntm==5.0.0"; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "setup: pip install failed (full log: $log)" >&2
    exit 1
  fi
  touch "$stamp"
fi
