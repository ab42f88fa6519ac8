#!/usr/bin/env bash
# The main job: set up the engine's venv, then run the whole POLE/CLIMS pipeline on the SYNTHETIC world
# (generate/reuse the world, train/reuse the tiny CLIP, baseline CAM -> CLIMS GT / POLE selection / POLE full,
# evaluate) and print the comparison. Output: runs/demo/ (comparison.json, one run folder per variant).
# Extra arguments go to `python -m wsss_engine demo` (see --help), e.g. scripts/main.sh --fresh --seed 1
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup-engine.sh
VENV="${WSSS_VENV:-$ROOT/.venv}"
exec "$VENV/bin/python" -m wsss_engine demo "$@"
