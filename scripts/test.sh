#!/usr/bin/env bash
# Set everything up (idempotent) and run the whole test suite: lint, types, pytest (lab tests need root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

echo "== ruff" >&2
ruff check .
ruff format --check . >/dev/null || { ruff format --check . ; exit 1; }
echo "== mypy --strict" >&2
mypy
echo "== pytest" >&2
if [ "$(id -u)" -ne 0 ]; then
  echo "note: not root — lab tests (network namespaces, FRR, sshd, snmpd) will be skipped" >&2
fi
set +e
if [ "$#" -gt 0 ]; then
  python -m pytest "$@"
  rc=$?
else
  # Two phases: everything that does not build the lab runs on every core (pytest-xdist); the lab
  # tests share fixed namespace names and one session-scoped lab, so they run in one process after.
  workers=$(nproc); [ "$workers" -gt 4 ] && workers=4
  python -m pytest -m "not lab" -n "$workers" -p no:cacheprovider
  rc=$?
  echo "== pytest (lab: network namespaces, FRR, sshd, snmpd; one process)" >&2
  python -m pytest -m lab -p no:cacheprovider
  rc_lab=$?
  [ "$rc" -eq 0 ] && rc=$rc_lab
fi
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure here" >&2
  exit 1
fi
exit "$rc"
