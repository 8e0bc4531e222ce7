#!/bin/sh
# Smoke test of an installed greenbench: `make install` into a temporary
# prefix, then run that copy with nothing pointing back at the source or
# build tree (no GREENBENCH_WORKERS_DIR, no GREENBENCH_ORT_LIB): it must
# find its workers, ONNX Runtime and the worker runtimes by itself.
# Prints "install: N passed, N failed, N skipped" last; exits non-zero if
# anything failed. Run by `make install-check` (and `make check`).
set -u
build=${GB_BUILD:-build}
make=${MAKE:-make}
models=$(pwd)/$build/tests/models
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# what the binary will print: no symlink in the way
prefix=$(cd "$tmp" && pwd -P)/prefix
gb=$prefix/bin/greenbench
passed=0 failed=0 skipped=0

pass() { echo "ok: $1"; passed=$((passed + 1)); }
skip() { echo "skipped: $1"; skipped=$((skipped + 1)); }
fail() {
	echo "FAILED: $1"
	printf '%s\n' "$2" | sed 's/^/  | /'
	failed=$((failed + 1))
}
finish() {
	echo "install: $passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
}
# has TEXT PATTERN: TEXT contains the fixed string PATTERN
has() { case $1 in *"$2"*) return 0 ;; esac; return 1; }

unset GREENBENCH_WORKERS_DIR GREENBENCH_ORT_LIB
# no real NVML, as in the other tests; Debian's python3 has torch
export GREENBENCH_NVML_LIB=/nonexistent/libnvidia-ml.so.1
export GREENBENCH_PYTHON="${GB_PYTHON:-/usr/bin/python3}"

if out=$($make --no-print-directory install PREFIX="$prefix" MODE="${MODE:-release}" 2>&1); then
	pass "make install PREFIX=$prefix"
else
	fail "make install PREFIX=$prefix" "$out"
	finish
fi

missing=""
for f in bin/greenbench share/greenbench/workers/torch_worker.py share/greenbench/workers/gbworker.py \
	share/greenbench/examples/quick.yaml share/doc/greenbench/README.md \
	share/doc/greenbench/architecture.md; do
	[ -f "$prefix/$f" ] || missing="$missing $f"
done
if [ -z "$missing" ]; then pass "installed files"; else fail "installed files" "missing:$missing"; fi

have_ort=0
[ -f "$prefix/lib/greenbench/libonnxruntime.so" ] && have_ort=1

out=$(cd "$tmp" && "$gb" --version 2>&1)
if has "$out" "workers   $prefix/share/greenbench/workers" &&
	{ [ $have_ort -eq 0 ] || has "$out" "ort       $prefix/lib/greenbench/libonnxruntime.so"; }; then
	pass "--version names the installed workers and ORT"
else
	fail "--version names the installed workers and ORT" "$out"
fi

if [ $have_ort -eq 1 ]; then
	out=$(cd "$tmp" && "$gb" devices 2>&1)
	if printf '%s\n' "$out" | grep -q '^  ort  *available'; then
		pass "devices: ort available"
	else
		fail "devices: ort available" "$out"
	fi

	# stdout alone: sanitizer builds add their statistics to stderr
	out=$(cd "$tmp" && "$gb" run --model "$models/mlp.onnx" --iterations 3 --warmup 1 --min-duration 0 \
		--no-meter --json 2>"$tmp/stderr")
	if printf '%s' "$out" | "$GREENBENCH_PYTHON" -c '
import json, sys
r = json.loads(sys.stdin.read())
assert r["status"] == "ok", r["status"]
assert r["config"]["runtime"] == "ort"
assert r["environment"]["runtime"]["ort_library"] == sys.argv[1], r["environment"]["runtime"]
' "$prefix/lib/greenbench/libonnxruntime.so" 2>/dev/null; then
		pass "run --json on the CPU with the installed ORT"
	else
		fail "run --json on the CPU with the installed ORT" "$out$(cat "$tmp/stderr")"
	fi
else
	skip "ort checks: greenbench was built without ONNX Runtime"
fi

# torch: a real run through the installed worker
if "$GREENBENCH_PYTHON" -c 'import torch, torchvision' 2>/dev/null; then
	out=$(cd "$tmp" && "$gb" run --runtime torch --model mobilenetv2 --iterations 1 --warmup 0 \
		--min-duration 0 --no-meter --json 2>&1)
	if has "$out" '"status":"ok"' && has "$out" '"runtime":"torch"'; then
		pass "run --runtime torch through the installed worker"
	else
		fail "run --runtime torch through the installed worker" "$out"
	fi
else
	skip "torch run: $GREENBENCH_PYTHON has no torch/torchvision"
fi

# ort-python: runs, or says which module is missing; never that the
# workers are not found
out=$(cd "$tmp" && "$gb" run --runtime ort-python --model "$models/mlp.onnx" --iterations 1 --warmup 0 \
	--min-duration 0 --no-meter --json 2>&1)
rc=$?
if { [ $rc -eq 0 ] && has "$out" '"status":"ok"'; } ||
	{ [ $rc -ne 0 ] && has "$out" "has no module" && ! has "$out" "workers directory"; }; then
	pass "run --runtime ort-python finds its worker (exit $rc)"
else
	fail "run --runtime ort-python finds its worker (exit $rc)" "$out"
fi

finish
