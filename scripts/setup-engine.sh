#!/usr/bin/env bash
# Create or update the engine's virtual environment (.venv at the repo root, or $WSSS_VENV) idempotently:
# python3 -m venv, torch + torchvision, then `pip install -e engine[test]`. Skips all work when the venv's stamp
# matches a hash of engine/pyproject.toml and this script. Needs Python >= 3.10 with the venv module.
#
# GPU users: torch==2.14.1 from PyPI is already a CUDA build on Linux x86_64, so a machine with an NVIDIA driver
# gets CUDA with no extra step. For another CUDA version (or a CPU-only wheel) install torch first the usual way,
# e.g. `.venv/bin/pip install torch==2.14.1 --index-url https://download.pytorch.org/whl/cu126`, then rerun this.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${WSSS_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
STAMP="$VENV/.wsss-engine-stamp"
TORCH_PINS=(torch==2.14.1 torchvision==0.29.1)

die() { echo "setup-engine: error: $*" >&2; exit 1; }

command -v "$PYTHON" >/dev/null 2>&1 \
  || die "'$PYTHON' not found. Install Python 3.10 or newer (Debian/Ubuntu: sudo apt install python3 python3-venv), or set PYTHON=/path/to/python3."
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
  || die "$("$PYTHON" --version 2>&1) is too old; the engine needs Python >= 3.10. Set PYTHON=/path/to/python3.10+."

want="$("$PYTHON" -c 'import hashlib, sys; print(hashlib.sha256(b"".join(open(p, "rb").read() for p in sys.argv[1:])).hexdigest())' "$ROOT/engine/pyproject.toml" "${BASH_SOURCE[0]}")"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]] && "$VENV/bin/python" -c 'import wsss_engine' >/dev/null 2>&1; then
  echo "setup-engine: $VENV is up to date"
  exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null \
    || die "the Python venv module is missing. Debian/Ubuntu: sudo apt install python3-venv (or python3.X-venv)."
  echo "setup-engine: creating $VENV"
  "$PYTHON" -m venv "$VENV" || die "could not create $VENV (is the folder writable?)"
fi

PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
if ! "$VENV/bin/python" -c 'import torch, torchvision, sys; sys.exit(0 if (torch.__version__.split("+")[0], torchvision.__version__.split("+")[0]) == ("2.14.1", "0.29.1") else 1)' >/dev/null 2>&1; then
  echo "setup-engine: installing ${TORCH_PINS[*]} (large download the first time)"
  "${PIP[@]}" install "${TORCH_PINS[@]}"
fi
echo "setup-engine: installing the engine (editable) with its test extras"
"${PIP[@]}" install -e "$ROOT/engine[test]"
# The dense CRF extra (IR labels, METHOD §4.1) builds from source: without a C++ compiler it fails, and only the
# stages that need it (ir_labels) are unavailable; they say so with this same advice.
echo "setup-engine: installing the dense CRF extra (engine[crf]: pydensecrf2, built from source)"
if ! "${PIP[@]}" install -e "$ROOT/engine[test,crf]"; then
  echo "setup-engine: warning: pydensecrf2 did not build; the ir_labels stage needs it. Install a C++ compiler" \
       "(Debian/Ubuntu: sudo apt install build-essential python3-dev; macOS: xcode-select --install), then run" \
       "$VENV/bin/pip install pydensecrf2 (README, \"Dense CRF\")." >&2
fi
"$VENV/bin/python" -m wsss_engine --version >/dev/null || die "the engine does not start in $VENV"
echo "$want" > "$STAMP"
echo "setup-engine: ready: $VENV/bin/python -m wsss_engine --help"
