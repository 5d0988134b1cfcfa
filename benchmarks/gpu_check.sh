#!/usr/bin/env bash
# Issue 5's GPU check, run once on one H100 (about 8.5 minutes at most), from the repository
# root, without installing the package:
#
#     OUT=/some/folder bash benchmarks/gpu_check.sh
#
# Steps (each under its own time limit; a failed or timed-out step does not stop the others):
#   1. the h36m synthetic preset (5,964 + 1,368 clips of 8 × 224² frames; a smaller store if
#      that does not finish in time);
#   2. the GPU tests (pytest -m gpu);
#   3. benchmarks/train_throughput.py at the issue's settings (batch 64, 224 px, ResNet-18 +
#      LSTM, bf16, compile) with the report's plain loop as reference, then bf16 without compile
#      and fp32 without compile;
#   4. the report's workload end to end with vidpose's fast settings: 10 epochs of the train
#      store, evaluation after each, timed.
# Everything lands in $OUT (default ./gpu_check_out): *.json, *.log and summary.txt.
set +e
set -u
OUT="${OUT:-$PWD/gpu_check_out}"
mkdir -p "$OUT"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
PY="${PYTHON:-python3}"
DATA="${DATA_DIR:-/tmp/vidpose_gpu_check_data}"
SUMMARY="$OUT/summary.txt"
: >"$SUMMARY"

step() {  # step NAME SECONDS COMMAND...: run with a time limit, log, record status and time
    local name="$1" limit="$2"
    shift 2
    local began=$SECONDS
    echo "== $name (limit ${limit}s): $*" | tee -a "$SUMMARY"
    timeout --kill-after=10 "$limit" "$@" >"$OUT/$name.log" 2>&1
    local status=$?
    echo "   exit $status after $((SECONDS - began)) s" | tee -a "$SUMMARY"
    return $status
}

{
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
    "$PY" -c "import torch, timm; print('torch', torch.__version__, 'timm', timm.__version__, \
'cuda', torch.version.cuda, torch.cuda.get_device_name())"
    nproc
} >"$OUT/environment.txt" 2>&1

# 1. data
if [ ! -d "$DATA/train" ]; then
    rm -rf "$DATA"
    step synth_h36m 100 "$PY" -m vidpose synth "$DATA" --preset h36m --workers 16
    if [ ! -d "$DATA/train" ]; then
        rm -rf "$DATA"
        step synth_smaller 40 "$PY" -m vidpose synth "$DATA" --preset h36m --workers 16 \
            --train-clips 1920 --test-clips 448
    fi
fi
du -sh "$DATA"/* >>"$SUMMARY" 2>&1

# 2. GPU tests
step pytest_gpu 80 "$PY" -m pytest -q -m gpu tests -p no:cacheprovider \
    --continue-on-collection-errors  # e.g. no cdflib there: run the GPU tests regardless

# 3. throughput: the issue's settings with the reference loop, then the variants
BENCH=(benchmarks/train_throughput.py --data "$DATA" --device cuda --batch-size 64 --size 224
    --backbone resnet18 --workers 8)
step bench_bf16_compile 130 "$PY" "${BENCH[@]}" --precision bf16 --compile true \
    --json "$OUT/bench_bf16_compile.json"
step bench_bf16_eager 45 "$PY" "${BENCH[@]}" --precision bf16 --compile false --skip-reference \
    --json "$OUT/bench_bf16_eager.json"
step bench_fp32_eager 45 "$PY" "${BENCH[@]}" --precision fp32 --compile false --skip-reference \
    --json "$OUT/bench_fp32_eager.json"

# 4. the report's workload end to end (10 epochs, evaluation after each), fast settings
rm -rf "$OUT/report_run"
step report_workload 100 "$PY" -m vidpose train --config configs/seed.yaml --data "$DATA" \
    --out "$OUT/report_run" --device cuda \
    --set model.backbone=resnet18 --set train.batch_size=64 --set eval.batch_size=128 \
    --set train.tensorboard=false --set train.final_report=false
tail -n 3 "$OUT/report_run/metrics.csv" >>"$SUMMARY" 2>&1
rm -f "$OUT"/report_run/*.pt  # weights are not needed for the check (and are large)

# one line per benchmark and the end-to-end time, for the closing note
"$PY" - "$OUT" >>"$SUMMARY" 2>&1 <<'PYEOF'
import csv, json, sys
from pathlib import Path

out = Path(sys.argv[1])
for name in ("bench_bf16_compile", "bench_bf16_eager", "bench_fp32_eager"):
    try:
        r = json.loads((out / f"{name}.json").read_text())
        e, ref = r["engine"], r["reference"] or {}
        print(f"{name}: engine {e['clips_per_s']:.0f} clips/s ({e['precision']}, compile "
              f"{e['compile']}, {e['data_path_train']}), first step {e['first_step_s']:.1f} s, "
              f"eval {e['eval_clips_per_s']:.0f} clips/s, peak {r['peak_gpu_memory_gb'] or 0:.1f} GiB, "
              f"reference {ref.get('clips_per_s', float('nan')):.0f} clips/s, "
              f"projected 10 epochs {r['projected_report_workload_s']['engine']:.0f} s")
    except Exception as error:  # a failed step: say so and go on
        print(f"{name}: no result ({error})")
try:
    rows = list(csv.DictReader(open(out / "report_run" / "metrics.csv")))
    last = [row for row in rows if row["kind"] == "epoch"][-1]
    print(f"report workload: {last['epoch']} epochs in {float(last['elapsed_s']):.1f} s of "
          f"training wall time (evaluation included), final test MPJPE {last['mpjpe_mm']} mm")
except Exception as error:
    print(f"report workload: no result ({error})")
PYEOF
echo "== done in $SECONDS s" | tee -a "$SUMMARY"
