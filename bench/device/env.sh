# Sourced by the device scripts: unpack the carried GPU ORT tree to
# /tmp/ort (once) and point greenbench at the carried bundle and at it.
# Expects the working directory to be the repository root.
# greenbench comes as .device-cache/gb, or packed as gb.tar.xz (a third of
# the size, for calls that carry other big parts), or is already in /tmp/gb
# from an earlier call while the machine stayed up.
G=$PWD/.device-cache/gb
if [ ! -x "$G/bin/greenbench" ]; then
	G=/tmp/gb
	[ -f .device-cache/gb.tar.xz ] && { rm -rf /tmp/gb; mkdir -p /tmp/gb; tar xJf .device-cache/gb.tar.xz -C /tmp/gb; }
fi
OUT=${OUT:-/tmp/gb-out}
mkdir -p /tmp/ort "$OUT"
[ -f /tmp/ort/lib/libonnxruntime.so ] || tar xJf .device-cache/ort-gpu-sm90.tar.xz -C /tmp/ort 2>/dev/null ||
	python3 -c "
import lzma, tarfile
tarfile.open(fileobj=lzma.open('.device-cache/ort-gpu-sm90.tar.xz')).extractall('/tmp/ort')"
export LD_LIBRARY_PATH=$G/lib:/tmp/ort/lib GREENBENCH_ORT_LIB=/tmp/ort/lib/libonnxruntime.so
export GREENBENCH_CACHE_DIR=/tmp/gbcache GREENBENCH=$G/bin/greenbench

# The checks' summary ($OUT/summary.txt): log prints and keeps a line,
# check NAME CMD... logs ok/FAIL and counts failures in $fails.
sum=$OUT/summary.txt
fails=0
log() { echo "$@" | tee -a "$sum"; }
check() {
	local name=$1; shift
	if "$@" >> "$OUT/checks.log" 2>&1; then log "ok   $name"; else log "FAIL $name"; fails=$((fails + 1)); fi
}
: > "$sum"

# Keras 3 for the keras worker: the wheels carried in .device-cache/whl go
# to /tmp/site (kept from an earlier call while the machine stays up).
# XLA takes 75% of the GPU's memory at start by default; the other rows
# run in other processes, so this only keeps the JAX worker's footprint
# honest in the GPU memory figures.
keras_setup() {
	if ls .device-cache/whl/*.whl > /dev/null 2>&1; then
		python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
			--target /tmp/site .device-cache/whl/*.whl || return 1
	fi
	export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH} XLA_PYTHON_CLIENT_PREALLOCATE=false
}

# hand NAME ARGS...: one `greenbench run ARGS --min-duration ${MIN:-5s} --json`
# (90 s at most), its record appended to $OUT/hand.jsonl and one line in
# the summary: GPU and total mJ/item, items/s, verdict.
hand() {
	local name=$1
	shift
	timeout -k 5 90 "$GREENBENCH" run "$@" --min-duration "${MIN:-5s}" --json > /tmp/hand.json 2> "$OUT/hand-$name.err"
	local rc=$?
	cat /tmp/hand.json >> "$OUT/hand.jsonl"
	python3 - "$name" "$rc" /tmp/hand.json <<'PY' | tee -a "$sum"
import json, sys
name, rc, path = sys.argv[1:4]
try:
    r = json.load(open(path))
    m = [p for p in r["phases"] if p["name"] == "measured"][0]
    g = [v["joules"] for v in m["energy"].values() if v.get("kind") == "gpu"]
    tot = sum(v["joules"] for v in m["energy"].values())
    print("%-28s GPU %s, total %.2f mJ/item (%s), %.0f items/s, %s" % (
        name, "%.2f mJ/item" % (1e3 * sum(g) / m["items"]) if g else "<not measured>",
        1e3 * tot / m["items"],
        "+".join(sorted({v["method"] for v in m["energy"].values()})),
        r["throughput_items_per_s"], r["verdict"]["status"]))
except Exception as e:
    print("%-28s failed (exit %s): %s" % (name, rc, e))
PY
}
