#!/bin/sh
# Campaign check on the GPU machine (H100). Run from the repository root:
#
#   make build/greenbench build/tests/fake-run
#   GB=build/greenbench sh bench/device/campaign-gpu.sh [OUTDIR]
#
# Part 1 (needs only the meter and NVML): a campaign of the scripted fake run
# with a real idle baseline and `cooldown: {until: idle}`. It prints the
# idle table (GPU power in W and temperature in C per domain) and, on stderr,
# one "cooldown: GPU within 10% of idle ... after X s" line per cooldown;
# expect gpu0 rows with plausible idle power (H100: about 60-120 W) and
# temperature, and "campaign ... (4 ok, 0 failed)".
# Part 2 (only when this greenbench has `run` and `zoo`): ResNet-50 with ORT
# CUDA at batch 1 and 64, 2 reps, 10 s measured phases; prints the report
# table and writes OUTDIR/campaign-gpu.html. Expect GPU energy [counter],
# CPU energy [estimated], and Spearman rho lines.
set -eu
GB=${GB:-build/greenbench}
# The scripted fake run (tests/fakes/fake_run.c), built beside the binary.
FAKE_RUN=${FAKE_RUN:-$(cd "$(dirname "$GB")" && pwd)/tests/fake-run}
out=${1:-$(mktemp -d)}
mkdir -p "$out"

cat > "$out/idle.yaml" <<'YAML'
name: gpu-idle-check
seed: 1
reps: 2
cooldown: {until: idle, margin_pct: 10, timeout: 60s}
idle_baseline: {duration: 5s, every: 2}
models: [mobilenetv2]
runtimes: [ort/cuda]
batches: [1, 8]
YAML
echo "== part 1: idle baseline and cooldown until idle (fake runs, real meter)"
GREENBENCH_RUN_CMD="$FAKE_RUN" GREENBENCH_CACHE_DIR="$out/cache" \
	"$GB" campaign run "$out/idle.yaml" --db "$out/idle.db"
python3 - "$out/idle.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print("idle baselines (before_seq, domain, power_w, temp_c):")
for row in db.execute("SELECT before_seq, domain, round(power_w, 2), temp_c FROM idle ORDER BY id"):
    print("  ", row)
PY

if "$GB" help run >/dev/null 2>&1 && "$GB" help zoo >/dev/null 2>&1; then
	cat > "$out/gpu.yaml" <<'YAML'
name: gpu-check
seed: 7
reps: 2
warmup: 10
iterations: 50
min_duration: 10s
cooldown: {until: idle, margin_pct: 10, timeout: 90s}
idle_baseline: {duration: 10s}
models: [resnet50]
runtimes: [ort/cuda]
batches: [1, 64]
YAML
	echo "== part 2: resnet50 ort/cuda, batch 1 and 64"
	GREENBENCH_CACHE_DIR="$out/cache" "$GB" campaign run "$out/gpu.yaml" --db "$out/gpu.db"
	"$GB" report --db "$out/gpu.db"
	"$GB" report --db "$out/gpu.db" --format html -o "$out/campaign-gpu.html"
	echo "(HTML report: $out/campaign-gpu.html)"
else
	echo "== part 2 skipped: this greenbench has no 'run' or 'zoo' command yet"
fi
