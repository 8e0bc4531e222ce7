#!/bin/sh
# The reference screenshot of an HTML report (docs/report-screenshot.png):
# the golden campaign of tests/test_report.c (the fake run, fixed noise),
# reported as HTML and photographed by headless Chromium once its charts
# have rendered. Needs `make build/greenbench build/tests/fake-run`.
set -eu
cd "$(dirname "$0")/.."
build=${GB_BUILD:-build}
out=${1:-docs/report-screenshot.png}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/golden.yaml" <<'YAML'
name: golden
seed: 14
reps: 3
models: [resnet50, {zoo: resnet50, name: resnet50-onnx, convert: torch2onnx}, bert-base]
runtimes: [ort/cuda, ort/tensorrt, torch/cuda]
batches: [1, 64]
YAML
(cd "$tmp" && GB_FAKE_NOISE_SEED=7 GB_FAKE_LOG="$tmp/log" \
	GB_FAKE_FAIL='model=bert-base runtime=ort ep=tensorrt batch=64' \
	GREENBENCH_RUN_CMD="$OLDPWD/$build/tests/fake-run" GREENBENCH_CACHE_DIR="$tmp/cache" \
	"$OLDPWD/$build/greenbench" campaign run golden.yaml --db g.db -q &&
	"$OLDPWD/$build/greenbench" report --db g.db --format html -o g.html)
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
	--disable-component-update --disable-sync --no-first-run --hide-scrollbars \
	--user-data-dir="$tmp/profile" --virtual-time-budget=20000 --window-size=1100,2600 \
	--screenshot="$tmp/shot.png" "file://$tmp/g.html" 2>/dev/null
cp "$tmp/shot.png" "$out"
echo "wrote $out"
