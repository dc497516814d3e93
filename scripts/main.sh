#!/usr/bin/env bash
# Set everything up (idempotent) and run the main job on the bundled Jiangxi inventory.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
INV=${1:-inventory/jiangxi}

egnet validate "$INV"
