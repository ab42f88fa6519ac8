#!/usr/bin/env bash
# All engine benchmarks on a GPU machine, in under 5 minutes: bash scripts/gpu-bench.sh [out-dir]
# Each benchmark runs once with its CUDA "real sizes" and a time limit; its printed figures are shown and its JSON
# results land in <out-dir> (default $OUT, else bench-results/). Runs on a CPU-only machine too (the CUDA parts
# then say "skipped", the CPU parts run at small sizes).
#   bench_train_step.py  CLIMS/POLE step: optimised (1 batched CLIP call, fp16 CLIP, bf16 AMP, channels_last)
#                        vs reference (fp32, eager, CLIP per masked image) and CLIMS's 3-call configuration;
#                        R50 OS16, 512 crops, ViT-B/32 (random weights), batch 16; then fp16 AMP + GradScaler.
#   bench_infer_cams.py  multi-scale + flip CAM inference, batched vs one image at a time.
# Environment: PYTHON (default .venv/bin/python, else python3), BENCH_COMPILE=1 adds a torch.compile run.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUTDIR="${1:-${OUT:-$ROOT/bench-results}}"
mkdir -p "$OUTDIR"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY="$(command -v python3)"
B="$ROOT/engine/benchmarks"
FAILED=0
start=$(date +%s)

"$PY" - <<'PY'
import torch
print(f"torch {torch.__version__}; CUDA {'available: ' + torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'not available'}")
PY
if "$PY" -c "import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then DEV=cuda; else DEV=cpu; fi

bench() {  # bench <name> <limit_s> <args...>
  local name="$1" limit="$2"; shift 2
  printf '\n===== %s (limit %ss) =====\n' "$name" "$limit"
  local t0=$(date +%s)
  timeout --kill-after=10 "$limit" "$PY" "$@" 2>&1 | grep -v "No pretrained weights loaded"
  local rc=${PIPESTATUS[0]}
  echo "----- $name: exit $rc after $(( $(date +%s) - t0 ))s"
  [ "$rc" -eq 0 ] || FAILED=1
}

bench train_step_bf16 90 "$B/bench_train_step.py" --devices "$DEV" --amp bf16 --with-reference3 \
  --json "$OUTDIR/train_step_bf16.json"
if [ "$DEV" = cuda ]; then
  bench train_step_fp16 60 "$B/bench_train_step.py" --devices cuda --amp fp16 --json "$OUTDIR/train_step_fp16.json"
  [ "${BENCH_COMPILE:-0}" = 1 ] && bench train_step_compile 150 "$B/bench_train_step.py" --devices cuda \
    --compile --json "$OUTDIR/train_step_compile.json"
fi
if [ -f "$B/bench_infer_cams.py" ]; then
  if [ "$DEV" = cuda ]; then SIZES=(); else SIZES=(--backbone small_cnn --long-side 64 --images 4 --repeats 1); fi
  bench infer_cams 90 "$B/bench_infer_cams.py" --devices "$DEV" "${SIZES[@]}" --json "$OUTDIR/infer_cams.json"
fi
for extra in "$B"/bench_*.py; do  # benchmarks added later run with their defaults
  case "$(basename "$extra")" in bench_train_step.py|bench_infer_cams.py) continue ;; esac
  bench "$(basename "$extra" .py)" 60 "$extra"
done
echo
echo "all benchmarks: $(( $(date +%s) - start ))s; results in $OUTDIR"
exit $FAILED
