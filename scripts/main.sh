#!/usr/bin/env bash
# Set everything up (idempotent) and run the main job on the bundled Jiangxi inventory:
# validate the source of truth, audit redundancy, and plan capacity under every single failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
INV=${1:-inventory/jiangxi}
mkdir -p build

egnet validate "$INV"

# check and plan exit 1 when they find policy violations: that is their report, not a failure of
# this script (the Jiangxi inventory carries deliberate findings). Exit codes >= 2 are failures
# (2: bad inventory or options, 70: a bug in egnet; README "Exit codes").
findings=0
set +e
echo; echo "== egnet check $INV   (redundancy audit, 等保 2.0 §8.1.2.1)"
egnet check "$INV"
rc=$?; [ "$rc" -eq 1 ] && findings=1; [ "$rc" -gt 1 ] && exit "$rc"
echo; echo "== egnet plan $INV --failures n-1   (capacity under every single failure)"
egnet plan "$INV" --failures n-1 --html build/report.html --json build/plan.json
rc=$?; [ "$rc" -eq 1 ] && findings=1; [ "$rc" -gt 1 ] && exit "$rc"
set -e
echo
echo "reports: build/report.html (open in a browser), build/plan.json"
[ "$findings" -eq 1 ] && echo "findings above are policy violations to act on (exit 0: the job itself succeeded)"
exit 0
