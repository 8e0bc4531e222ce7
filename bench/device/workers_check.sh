#!/bin/sh
# Worker runtimes on the H100 (torch 2.11 + CUDA, onnxruntime 1.30 CPU):
# the torch worker for ResNet-50 (fp32; bf16 + channels_last; CUDA graphs;
# torch.compile) and BERT-base on cuda, torch2onnx with torch 2.11's
# exporter, ort-python on CPU with that file, all through the C harness
# (build/bench/bench_worker_drive, a stand-in for `greenbench run`).
#
# Here: make all build/bench/bench_worker_drive && scripts/device-bundle.sh
# (copies build/greenbench, build/bench/bench_* and their libraries into
# .device-cache/gb). On the device, from the repository root:
#   GB_BIN=.device-cache/gb LD_LIBRARY_PATH=.device-cache/gb/lib \
#       sh bench/device/workers_check.sh [OUT_DIR]
# GB_BIN: a build tree (greenbench, bench/bench_worker_drive; default build)
# or a bundle (bin/greenbench, bin/bench_worker_drive). PYTHON: the
# interpreter with torch (default python3). SKIP_COMPILE=1 skips the
# torch.compile row (its compilation takes about a minute).
# Prints one summary line per row; full JSON lines and logs go to OUT_DIR
# (default /tmp/gb-workers-check). Exit status: number of failed rows.
set -u
bin=${GB_BIN:-build}
out=${1:-/tmp/gb-workers-check}
mkdir -p "$out"
export GREENBENCH_WORKERS_DIR="${GREENBENCH_WORKERS_DIR:-$(pwd)/workers}"
export GREENBENCH_PYTHON="${PYTHON:-python3}"
# build tree (build/greenbench, build/bench/...) or device bundle (bin/...)
drive="$bin/bench/bench_worker_drive"
[ -x "$drive" ] || drive="$bin/bin/bench_worker_drive"
gb="$bin/greenbench"
[ -x "$gb" ] || gb="$bin/bin/greenbench"
for f in "$drive" "$gb"; do
	[ -x "$f" ] || { echo "missing $f (GB_BIN=$bin): build with make all build/bench/bench_worker_drive"; exit 100; }
done
failed=0
t_start=$(date +%s)

echo "== environment"
"$GREENBENCH_PYTHON" -c 'import torch, sys; print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU")' 2>&1
"$GREENBENCH_PYTHON" -c 'import onnxruntime as o; print("onnxruntime", o.__version__, o.get_available_providers())' 2>&1
"$gb" devices 2>&1 | sed -n '/^runtimes/,$p'

row() { # name, then bench_worker_drive arguments
	name=$1; shift
	t0=$(date +%s)
	"$drive" "$@" >"$out/$name.json" 2>"$out/$name.log"
	rc=$?
	line=$("$GREENBENCH_PYTHON" - "$out/$name.json" "$rc" "$(( $(date +%s) - t0 ))" <<'EOF'
import json, sys
path, rc, secs = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    r = json.loads(open(path).read().strip().splitlines()[-1])
except Exception as e:
    print("FAIL  no JSON (%s), rc %d" % (e, rc)); sys.exit()
if "error" in r or rc:
    print("FAIL  " + r.get("error", "rc %d" % rc).replace("\n", " | ")[:600]); sys.exit()
m = r.get("metadata", {})
print("ok    p50 %8.3f ms  %9.1f items/s  load %6.2f s  warmup %6.2f s  out %s  [%s %s %s cl=%s compile=%s graphs=%s]  %ss" % (
    r["latency_p50_ms"], r["items_per_s"], r["load"]["duration_s"], r["warmup"]["duration_s"],
    r.get("output_shape"), m.get("device", m.get("providers")), m.get("dtype", ""), m.get("autocast", ""),
    m.get("channels_last", "-"), m.get("compile", "-"), m.get("cuda_graphs", "-"), secs))
EOF
)
	printf '%-28s %s\n' "$name" "$line"
	case "$line" in ok*) ;; *) failed=$((failed + 1)); tail -n 5 "$out/$name.log" ;; esac
}

echo "== torch worker on cuda (io=host: input copied to the GPU each batch, output back)"
row r50-fp32-bs1       torch resnet50 cuda:0 1 100 warmup=10
row r50-fp32-bs64      torch resnet50 cuda:0 64 30 warmup=5
row r50-bf16-cl-bs1    torch resnet50 cuda:0 1 100 warmup=10 dtype=bf16 channels_last=1
row r50-bf16-cl-bs64   torch resnet50 cuda:0 64 30 warmup=5 dtype=bf16 channels_last=1
row r50-fp32-bs64-dev  torch resnet50 cuda:0 64 30 warmup=5 io=device
row r50-graphs-bs1     torch resnet50 cuda:0 1 100 warmup=10 cuda_graphs=1 io=device
row bert-fp32-bs8      torch bert-base cuda:0 8 30 warmup=5 seq=128
row bert-bf16-bs8      torch bert-base cuda:0 8 30 warmup=5 seq=128 dtype=bf16
if [ "${SKIP_COMPILE:-0}" != 1 ]; then
	row r50-compile-bs64 torch resnet50 cuda:0 64 30 warmup=3 compile=default timeout=240s
fi

echo "== torch2onnx with this torch, then ort-python on CPU"
if "$gb" convert torch2onnx --model resnet50 -o "$out/resnet50.onnx" >"$out/convert.log" 2>&1; then
	echo "convert                      ok    $(cat "$out/convert.log")"
	row ortpy-r50-cpu-bs1 ort-python "$out/resnet50.onnx" cpu 1 20 warmup=3
	row ortpy-r50-cpu-bs64 ort-python "$out/resnet50.onnx" cpu 64 3 warmup=1
else
	echo "convert                      FAIL  $(tail -n 5 "$out/convert.log")"
	failed=$((failed + 1))
fi
row r50-cpu-fp32-bs1     torch resnet50 cpu 1 20 warmup=3

echo "== done in $(( $(date +%s) - t_start )) s, $failed failed rows; JSON lines and logs in $out"
exit $failed
