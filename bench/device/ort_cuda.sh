#!/usr/bin/env bash
# ONNX Runtime's CUDA execution provider through `greenbench run`, on the
# H100 machine: ResNet-50 (torchvision, random weights, exported here),
# batch 1 and 64, inputs copied from the host every run and bound once on
# the device. About 5 minutes.
#
#   GREENBENCH=/path/to/greenbench ORT_GPU_ROOT=/tmp/ort [OUT=dir] \
#       bench/device/ort_cuda.sh
#
# ORT_GPU_ROOT is the unpacked ort-gpu-sm90.tar.xz (include/, lib/ with
# libonnxruntime.so and libonnxruntime_providers_cuda.so; see
# /work/shared/device/README.md). greenbench loads that libonnxruntime.so
# through GREENBENCH_ORT_LIB and finds the CUDA provider beside it.
# MODEL=file.onnx skips the export and uses that model instead.
# Keeps under $OUT/ort_cuda: the JSON records (runs.jsonl, one line per
# run), each run's stdout/stderr, the model's export log, `devices` output,
# and summary.txt, which it also prints. Exits non-zero if a run that must
# succeed failed, or a run that must fail did not fail cleanly.
set -uo pipefail

: "${GREENBENCH:?set GREENBENCH to the greenbench binary}"
: "${ORT_GPU_ROOT:?set ORT_GPU_ROOT to the unpacked GPU ORT tree}"
OUT=${OUT:-out}
dir="$OUT/ort_cuda"
mkdir -p "$dir"
here=$(cd "$(dirname "$0")/../.." && pwd)
export GREENBENCH_ORT_LIB="$ORT_GPU_ROOT/lib/libonnxruntime.so"
export LD_LIBRARY_PATH="$ORT_GPU_ROOT/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
status=0
log() { echo "$@" | tee -a "$dir/summary.txt"; }
: > "$dir/summary.txt"

log "== $(date -u +%FT%TZ) $(hostname)"
nvidia-smi --query-gpu=name,driver_version,power.draw,temperature.gpu,utilization.gpu \
	--format=csv,noheader 2>&1 | tee -a "$dir/summary.txt"
"$GREENBENCH" version | tee -a "$dir/summary.txt"
"$GREENBENCH" devices > "$dir/devices.txt" 2>&1
sed -n '/^runtimes/,$p' "$dir/devices.txt" | tee -a "$dir/summary.txt"

# ResNet-50 with random weights (no pretrained weights on this machine),
# symbolic batch. The TorchScript exporter first; the dynamo one if a newer
# torch has dropped it.
model=${MODEL:-$dir/resnet50.onnx}
[ -n "${MODEL:-}" ] || python3 - "$model" > "$dir/export.log" 2>&1 <<'EOF'
import sys, torch, torchvision, onnx
path = sys.argv[1]
torch.manual_seed(0)
m = torchvision.models.resnet50(weights=None).eval()
x = torch.randn(1, 3, 224, 224)
try:
    torch.onnx.export(m, x, path, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      opset_version=17, dynamo=False)
    how = "torchscript exporter"
except Exception as e:  # noqa: BLE001
    print("torchscript export failed:", e)
    b = torch.export.Dim("batch", min=1, max=1024)
    torch.onnx.export(m, (x,), path, input_names=["input"], output_names=["logits"],
                      dynamic_shapes={"x": {0: b}}, dynamo=True, external_data=False)
    how = "dynamo exporter"
onnx.checker.check_model(path)
g = onnx.load(path, load_external_data=False).graph
print("exported with the", how, "; input",
      [(i.name, [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim]) for i in g.input])
EOF
if [ $? -ne 0 ]; then
	log "FAIL: ResNet-50 export (see export.log)"; tail -n 5 "$dir/export.log"; exit 1
fi
log "model: $model $([ -n "${MODEL:-}" ] && echo "(MODEL given)" || tail -n 1 "$dir/export.log")"

# run NAME ARGS...: must succeed (unless OPTIONAL=1); its record goes to
# runs.jsonl.
run() {
	local name=$1; shift
	echo "-- $name: greenbench run $*"
	if "$GREENBENCH" run --model "$model" -o "$dir/runs.jsonl" "$@" \
		> "$dir/$name.out" 2> "$dir/$name.err"; then
		cat "$dir/$name.out"
	else
		if [ -n "${OPTIONAL:-}" ]; then
			log "note: optional run $name failed: $(tail -n 1 "$dir/$name.err")"
		else
			log "FAIL: $name: $(tail -n 1 "$dir/$name.err")"; status=1
		fi
	fi
}
# fails NAME PATTERN ARGS...: must fail cleanly (exit 1, no crash, one
# error line, nothing appended); PATTERN is expected in the line (a
# mismatch is only noted when OPTIONAL=1).
fails() {
	local name=$1 pat=$2; shift 2
	"$GREENBENCH" run --model "$model" "$@" > "$dir/$name.out" 2> "$dir/$name.err"
	local rc=$? lines
	lines=$(grep -c . "$dir/$name.err")
	if [ $rc -eq 1 ] && [ "$lines" -eq 1 ] && grep -q -- "$pat" "$dir/$name.err"; then
		log "ok (fails as it should): $name: $(cat "$dir/$name.err")"
	elif [ $rc -eq 1 ] && [ "$lines" -eq 1 ] && [ -n "${OPTIONAL:-}" ]; then
		log "note: $name failed cleanly but without '$pat': $(cat "$dir/$name.err")"
	else
		log "FAIL: $name: exit $rc, $lines stderr lines: $(head -c 400 "$dir/$name.err")"; status=1
	fi
}

common=(--ep cuda --warmup 2s --min-duration 10s --iterations 100 --idle 3s)
run bs1_host   "${common[@]}" --batch 1 --io host
run bs1_device "${common[@]}" --batch 1 --io device
run bs64_host   "${common[@]}" --batch 64 --io host
run bs64_device "${common[@]}" --batch 64 --io device
# CUDA graphs need fixed device addresses: device I/O only. Informative.
OPTIONAL=1 run bs1_device_cudagraph --ep cuda --warmup 2s --min-duration 5s --batch 1 --io device \
	--ep-option enable_cuda_graph=1
run bs1_cpu --ep cpu --warmup 1s --min-duration 5s --batch 1

fails tensorrt "libnvinfer" --ep tensorrt --min-duration 1s
fails no_device "no device 3" --ep cuda:3 --min-duration 1s
# A batch that does not fit: under a 1 GiB arena limit (if the plugin
# honours gpu_mem_limit), and for real on the 80 GB card (batch 8192: its
# first activations alone are 26 GB; cuDNN may refuse the size instead).
OPTIONAL=1 fails too_big_limit "lower --batch" --ep cuda --batch 256 --io device \
	--ep-option gpu_mem_limit=1073741824 --warmup 0 --min-duration 0 -n 1
OPTIONAL=1 fails too_big "lower --batch" --ep cuda --batch 8192 --io device \
	--warmup 0 --min-duration 0 -n 1

# The overhead benchmark, on an idle machine (docs/perf.md "run overhead").
bench=$(dirname "$GREENBENCH")/bench_run_overhead
[ -x "$bench" ] || bench=$(dirname "$GREENBENCH")/bench/bench_run_overhead
if [ -x "$bench" ] && python3 "$here/tests/gen_models.py" "$dir/models" >/dev/null 2>&1; then
	"$bench" "$dir/models" 15 20000 | tee -a "$dir/summary.txt"
else
	log "bench_run_overhead: not run (binary missing beside greenbench, or model generation failed)"
fi

# Summary of the records: the study's columns.
python3 - "$dir/runs.jsonl" <<'EOF' | tee -a "$dir/summary.txt"
import json, os, sys
rows = [json.loads(l) for l in open(sys.argv[1])] if os.path.exists(sys.argv[1]) else []
print()
print(f"{'ep':5} {'io':6} {'bs':>3} {'ms/batch':>9} {'p99 ms':>8} {'items/s':>9} "
      f"{'gpu mJ/it':>9} {'net mJ/it':>9} {'util%':>6} {'mem%':>5} {'W':>6}")
for r in rows:
    c, s, lat = r["config"], r.get("summary", {}), r.get("latency_ns", {})
    m = r["phases"][-1]
    g = m["energy"].get("gpu0", {})
    c.setdefault("batch", 0)
    items = m["items"] or 1
    net = g.get("net_joules")
    print(f"{c['ep']:5} {c['io']:6} {c['batch']:>3} {lat.get('mean', 0)/1e6:9.3f} "
          f"{lat.get('p99', 0)/1e6:8.3f} {r.get('throughput_items_per_s', 0):9.1f} "
          f"{r.get('energy_per_item_mj', {}).get('gpu0', float('nan')):9.2f} "
          f"{(net * 1e3 / items) if net is not None else float('nan'):9.2f} "
          f"{s.get('gpu_util_mean_pct', float('nan')):6.1f} {s.get('gpu_mem_pct', float('nan')):5.1f} "
          f"{s.get('gpu_power_mean_w', float('nan')):6.1f}"
          + ("  cuda graph" if c.get("ep_options", {}).get("enable_cuda_graph") == "1" else ""))
print("\nreference (shared/device/README.md, ORT CUDA, host I/O): bs 1 1.52 ms, 316 mJ/img;"
      " bs 64 16.7 ms, 3837 img/s, 106 mJ/img")
if rows:
    print("environment:", json.dumps(rows[0]["environment"]["gpus"]), rows[0]["environment"]["runtime"].get("ort_version"))
EOF
log "RESULT: $([ $status -eq 0 ] && echo PASS || echo FAIL)"
exit $status
