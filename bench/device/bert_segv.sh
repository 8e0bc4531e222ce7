#!/usr/bin/env bash
# Issue 10's crash on the GPU machine: a BERT-base written by
# `greenbench convert torch2onnx` (torch 2.11 there) dies with SIGSEGV under
# `greenbench run --ep cuda`, while greenbench's own zoo BERT runs. This
# script converts the model, runs it under variants that each remove one
# suspect (graph optimisations, IO placement, the batch, the EP), and runs
# the failing case under cuda-gdb for a host backtrace (there is no gdb
# there). About 3 minutes.
#
#   bash bench/device/bert_segv.sh      (repository root there, .device-cache carried)
#
# $OUT/bert_segv.txt: one line per variant with its exit status, the
# model's inputs and outputs, and the backtrace.
set -uo pipefail
. bench/device/env.sh
gb=$GREENBENCH
log=$OUT/bert_segv.txt
: > "$log"
say() { echo "$@" | tee -a "$log"; }

m=/tmp/bert-t2o.onnx
"$gb" convert torch2onnx --model bert-base -o $m >> "$log" 2>&1
say "convert: $?  $(ls -la $m 2>&1)"
python3 - $m >> "$log" 2>&1 <<'PY'
import sys, onnx, collections
g = onnx.load(sys.argv[1], load_external_data=False).graph
dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
print("inputs", [(i.name, i.type.tensor_type.elem_type, dims(i)) for i in g.input])
print("outputs", [(o.name, o.type.tensor_type.elem_type, dims(o)) for o in g.output])
print("ops", collections.Counter(n.op_type for n in g.node).most_common())
PY
"$gb" zoo export bert-base -o /tmp/bert-zoo.onnx > /dev/null 2>&1

variant() { # NAME ARGS...
	local name=$1; shift
	timeout 120 "$gb" run --min-duration 1s --iterations 5 --warmup 2 "$@" > "$OUT/v.out" 2> "$OUT/v.err"
	local rc=$?
	say "$(printf '%-28s rc=%-4s %s' "$name" "$rc" "$(tail -n 1 "$OUT/v.err" | cut -c1-160)")"
}
variant zoo-cuda-b1 --model /tmp/bert-zoo.onnx --ep cuda --batch 1 --dim seq=128
variant t2o-cpu-b1 --model $m --ep cpu --batch 1
variant t2o-cuda-b1 --model $m --ep cuda --batch 1
variant t2o-cuda-b1-optnone --model $m --ep cuda --batch 1 --opt-level none
variant t2o-cuda-b1-optbasic --model $m --ep cuda --batch 1 --opt-level basic
variant t2o-cuda-b1-iodev --model $m --ep cuda --batch 1 --io device
variant t2o-cuda-b1-nometer --model $m --ep cuda --batch 1 --no-meter
say "== cuda-gdb backtrace of t2o-cuda-b1"
if command -v cuda-gdb > /dev/null; then
	timeout 240 cuda-gdb -q -batch -ex run -ex bt -ex 'info threads' \
		--args "$gb" run --model $m --ep cuda --batch 1 --min-duration 1s --iterations 5 --no-meter \
		> "$OUT/gdb.txt" 2>&1
	grep -E '^#|signal|SIG' "$OUT/gdb.txt" | head -n 40 | tee -a "$log"
else
	say "no cuda-gdb"
fi

# Which node: bisect over prefixes of the converted graph (onnx_bisect.py).
say "== bisection"
python3 bench/device/onnx_bisect.py $m /tmp -- "$gb" run --model {} --ep cuda --batch 1 \
	--iterations 1 --warmup 0 --min-duration 1ms --no-meter 2>&1 | tail -n 8 | tee -a "$log"
