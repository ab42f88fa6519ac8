#!/usr/bin/env bash
# The GPU check, as one short script for a borrowed GPU machine (about 10 minutes):
#   1. the CUDA-only engine tests (device resolution, AMP CAM inference);
#   2. training-step throughput and peak memory: optimised (bf16/fp16 AMP, channels_last, one batched CLIP
#      call) vs the reference configuration (fp32, eager, CLIP per masked image), ResNet-50 OS16, 512 crops,
#      ViT-B/32 (random weights), batch 16 — printed with ratios (engine/benchmarks/bench_train_step.py);
#   3. multi-scale CAM inference, batched vs one image at a time (engine/benchmarks/bench_infer_cams.py);
#   4. the random walk (METHOD §4.3): our sparse transition vs the reference's dense N×N matrix, one 500×375
#      image and 100 of them, time and peak memory as ratios (engine/benchmarks/bench_random_walk.py);
#   5. IRN training steps (METHOD §4.2: ResNet-50 OS16 frozen, batch 32, 512 crops, radius 10): images/s, peak
#      memory, fp32 and bf16 (engine/benchmarks/bench_train_irn.py);
#   6. the synthetic main job with every run on CUDA (bf16 AMP, channels_last), end to end;
#   7. the segmenter (METHOD §5): train_segmenter's step (DeepLabV2-R101 MSC, 321 crops, 5 x 2) and
#      infer_segmenter (500x375 at 513, 3 scales + flip), images/s and peak memory, fp32 and bf16, medians of 3
#      (engine/benchmarks/bench_segmenter.py);
#   8. throughput (issue 11): the CUDA cases of the tensor-pipeline / sync-free step / inference tests; training end
#      to end from JPEG files vs the faithful CLIMS reference, with a torch.profiler trace (top kernels, GPU idle
#      share) and NVML utilisation (bench_train_e2e.py), the same with torch.compile, and multi-scale CAM inference
#      end to end from JPEGs to CAM files (bench_infer_e2e.py);
#   9. an experiment (docs/EXPERIMENTS.md) of 2 variants x 2 seeds on a small synthetic world, every run on
#      CUDA: wall time and its table (engine/benchmarks/experiment_cuda.wsss-experiment.json).
#  10. training-free CLIP CAMs (METHOD §10): ViT-B-16 QuickGELU at 500x375 with the attention refinement,
#      fp32 and fp16, CAMs/s and peak memory (engine/benchmarks/bench_clip_cams.py --vit-device cuda).
# The machine may lack packages the engine needs: wheels in .whl/ (python 3.12) are installed to /tmp/site
# first when present. Results land in $OUT (or bench-results/).
#
# Usage: scripts/device-check.sh [STEP ...]   (no STEP: all of them; --list: their names and time limits)
# The steps' limits add up to more than one 10-minute device call: run it as two calls, e.g.
#   scripts/device-check.sh cuda_tests train_step_bf16 train_step_fp16 infer_cams train_irn train_irn_bf16
#   scripts/device-check.sh random_walk segmenter demo_cuda
#   scripts/device-check.sh throughput_tests train_e2e infer_e2e train_e2e_compile
#   scripts/device-check.sh experiment_cuda
#   scripts/device-check.sh clip_cams
# Under the device tool ($OUT set) everything is packed into $OUT/device-check.tar.gz (the tool returns at most
# 8 files) beside a short $OUT/summary.txt; elsewhere the files stay in bench-results/.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ALL_STEPS=(cuda_tests train_step_bf16 train_step_fp16 infer_cams random_walk train_irn train_irn_bf16 demo_cuda segmenter
  throughput_tests train_e2e infer_e2e train_e2e_compile experiment_cuda clip_cams)
if [ "${1:-}" = "--list" ]; then
  grep -oE '^step [a-z0-9_]+ [0-9]+' "${BASH_SOURCE[0]}" | awk '{print $2, $3 "s"}'
  exit 0
fi
WANTED=("$@")
[ ${#WANTED[@]} -gt 0 ] || WANTED=("${ALL_STEPS[@]}")
for w in "${WANTED[@]}"; do
  [[ " ${ALL_STEPS[*]} " == *" $w "* ]] || { echo "device-check: unknown step '$w' (--list names them)" >&2; exit 2; }
done
if [ -n "${OUT:-}" ]; then OUTDIR=/tmp/device-check; else OUTDIR="$ROOT/bench-results"; fi
mkdir -p "$OUTDIR"
pack() {  # one archive for the device tool's 8-file limit
  [ -n "${OUT:-}" ] || return 0
  tar -czf "$OUT/device-check.tar.gz" -C "$OUTDIR" . && grep -h -- '^----- ' "$OUTDIR"/*.log >"$OUT/summary.txt" 2>/dev/null
  return 0
}
trap pack EXIT
PY="${PYTHON:-python3}"
if compgen -G ".whl/*.whl" >/dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH="/tmp/site:${PYTHONPATH:-}"
fi
export PYTHONPATH="$ROOT/engine:${PYTHONPATH:-}" PYTHONUNBUFFERED=1 WSSS_CACHE=/tmp/wsss-cache
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
FAILED=0
step() {  # step <name> <limit_s> <command...>; skipped unless named on the command line (or none named)
  local name="$1" limit="$2"; shift 2
  [[ " ${WANTED[*]} " == *" $name "* ]] || return 0
  printf '\n===== %s (limit %ss) =====\n' "$name" "$limit"
  local t0; t0=$(date +%s)
  timeout --kill-after=10 "$limit" "$@" 2>&1 | grep -v "No pretrained weights loaded" | tee "$OUTDIR/$name.log"
  local rc=${PIPESTATUS[0]}
  echo "----- $name: exit $rc after $(( $(date +%s) - t0 ))s" | tee -a "$OUTDIR/$name.log"
  [ "$rc" -eq 0 ] || FAILED=1
}
step cuda_tests 120 "$PY" -m pytest -q -p no:cacheprovider engine/tests/test_infer_cams.py \
  engine/tests/test_pipeline.py -k "cuda or gpu or device"
step train_step_bf16 150 "$PY" engine/benchmarks/bench_train_step.py --devices cuda --amp bf16 --with-reference3 \
  --json "$OUTDIR/train_step_bf16.json"
step train_step_fp16 90 "$PY" engine/benchmarks/bench_train_step.py --devices cuda --amp fp16 \
  --json "$OUTDIR/train_step_fp16.json"
step infer_cams 90 "$PY" engine/benchmarks/bench_infer_cams.py --devices cuda --json "$OUTDIR/infer_cams.json"
# the dense form costs ~2.6e13 flops per 500x375 image: one timed dense pass over the 100 images
step random_walk 240 "$PY" engine/benchmarks/bench_random_walk.py --devices cuda --batch 100 --dense-repeats 1 \
  --json "$OUTDIR/random_walk.json"
step train_irn 120 "$PY" engine/benchmarks/bench_train_irn.py --devices cuda --json "$OUTDIR/train_irn.json"
step train_irn_bf16 90 "$PY" engine/benchmarks/bench_train_irn.py --devices cuda --amp bf16 \
  --json "$OUTDIR/train_irn_bf16.json"
step demo_cuda 240 "$PY" -m wsss_engine demo --device cuda --out /tmp/demo-cuda
cp /tmp/demo-cuda/comparison.json "$OUTDIR/demo_cuda_comparison.json" 2>/dev/null || true
step segmenter 150 "$PY" engine/benchmarks/bench_segmenter.py --devices cuda --amp off,bf16 --repeats 3 \
  --json "$OUTDIR/segmenter.json"
step throughput_tests 90 "$PY" -m pytest -q -p no:cacheprovider -W ignore::DeprecationWarning \
  engine/tests/test_tensor_pipeline.py engine/tests/test_training_throughput.py engine/tests/test_infer_throughput.py
step train_e2e 180 "$PY" engine/benchmarks/bench_train_e2e.py --device cuda --images 1024 \
  --profile "$OUTDIR/train_e2e_trace.json" --profile-steps 3 --json "$OUTDIR/train_e2e.json"
step infer_e2e 120 "$PY" engine/benchmarks/bench_infer_e2e.py --device cuda --images 256 --json "$OUTDIR/infer_e2e.json"
step train_e2e_compile 180 "$PY" engine/benchmarks/bench_train_e2e.py --device cuda --images 1024 --compile \
  --json "$OUTDIR/train_e2e_compile.json"
step experiment_cuda 300 bash -c "rm -rf /tmp/exp-cuda && \"$PY\" -m wsss_engine experiment run \
  engine/benchmarks/experiment_cuda.wsss-experiment.json --dir /tmp/exp-cuda && cp /tmp/exp-cuda/table.md \"$OUTDIR\"/"
step clip_cams 120 "$PY" engine/benchmarks/bench_clip_cams.py --vit-device cuda --json "$OUTDIR/clip_cams.json"
exit $FAILED
