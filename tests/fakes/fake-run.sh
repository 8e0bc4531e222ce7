#!/bin/sh
# A scripted stand-in for `greenbench run ... --json` and
# `greenbench zoo export NAME -o FILE`, for campaign tests
# (GREENBENCH_RUN_CMD=tests/fakes/fake-run.sh). It prints a plausible run
# record (docs/results-schema.md) derived from its arguments; the noise
# comes from GB_FAKE_NOISE_SEED (default: the pid).
#
# Told what to do through the environment, each a substring matched
# against "model=NAME runtime=R ep=E batch=B":
#   GB_FAKE_FAIL   print a failed record ("unsupported EP") and exit 1
#   GB_FAKE_CRASH  die of SIGSEGV after a line on stderr
#   GB_FAKE_HANG   sleep until killed (writing its pid to $GB_FAKE_PIDFILE if set)
#   GB_FAKE_THROTTLE  report GPU thermal throttling (reason 0x40)
# GB_FAKE_LOG=FILE appends "key" per run; GB_FAKE_ZOO_FAIL=1 fails exports
# (exit 1), GB_FAKE_ZOO_FAIL=crash writes part of the file, then dies of SIGSEGV.
set -u
if [ "${1:-}" = zoo ]; then
	[ "${GB_FAKE_ZOO_FAIL:-}" = 1 ] && { echo "error: zoo export failed on purpose" >&2; exit 1; }
	[ "$2" = export ] && [ "$4" = -o ] || { echo "usage: zoo export NAME -o FILE" >&2; exit 129; }
	[ "${GB_FAKE_ZOO_FAIL:-}" = crash ] && { printf 'fake onn' > "$5"; kill -SEGV $$; }
	printf 'fake onnx %s\n' "$3" > "$5"
	exit 0
fi
[ "${1:-}" = run ] || { echo "fake-run: expected 'run' or 'zoo'" >&2; exit 129; }
shift
model= runtime= ep=none batch=1 seed=0 dims= opts=
while [ $# -gt 0 ]; do
	case "$1" in
	--model) model=$2; shift ;;
	--runtime) runtime=$2; shift ;;
	--ep) ep=$2; shift ;;
	--batch) batch=$2; shift ;;
	--seed) seed=$2; shift ;;
	--dim) dims="$dims $2"; shift ;;
	--ep-option) opts="$opts $2"; shift ;;
	--warmup|--iterations|--min-duration) shift ;;
	--json) ;;
	*) ;;
	esac
	shift
done
# Like the torch worker, torch takes a zoo model by name; others need a file.
case "$runtime:$model" in
torch:resnet50|torch:mobilenetv2|torch:bert-base) ;;
*) [ -r "$model" ] || { echo "error: cannot open model '$model': No such file or directory" >&2; exit 1; } ;;
esac
name=${model##*/}; name=${name%.onnx}
key="model=$name runtime=$runtime ep=$ep batch=$batch"
[ -n "${GB_FAKE_LOG:-}" ] && echo "$key arg=$model" >> "$GB_FAKE_LOG"
matches() { [ -n "$1" ] && case "$key" in *"$1"*) return 0 ;; esac; return 1; }
echo "fake run: $key dims=$dims opts=$opts" >&2
if matches "${GB_FAKE_CRASH:-}"; then
	echo "fake run: about to crash" >&2
	kill -SEGV $$
fi
if matches "${GB_FAKE_HANG:-}"; then
	[ -n "${GB_FAKE_PIDFILE:-}" ] && echo $$ > "$GB_FAKE_PIDFILE.tmp" && mv "$GB_FAKE_PIDFILE.tmp" "$GB_FAKE_PIDFILE"
	exec sleep 1000
fi
if matches "${GB_FAKE_FAIL:-}"; then
	printf '{"schema":1,"status":"failed","error":"unsupported execution provider %s on this machine","config":{"model":"%s","runtime":"%s","ep":"%s","batch":%s}}\n' \
		"$ep" "$model" "$runtime" "$ep" "$batch"
	exit 1
fi
throttle=0
matches "${GB_FAKE_THROTTLE:-}" && throttle=64
exec awk -v name="$name" -v rt="$runtime" -v ep="$ep" -v batch="$batch" -v seed="$seed" \
	-v noise="${GB_FAKE_NOISE_SEED:-$$}" -v model="$model" -v throttle="$throttle" 'BEGIN {
	srand(noise);
	base = (name == "bert-base" ? 9 : name == "resnet50" ? 5 : 1);
	speed = (ep == "cuda" ? 8 : ep == "tensorrt" ? 12 : 1);
	items = batch * 20;
	lat = base * 1e6 * (1 + batch * 0.3) / speed * (1 + 0.05 * rand());
	t = 20 * lat / 1e9;
	gpu_w = (ep == "cpu" || ep == "none" ? 70 : 150 + 200 * rand());
	cpu_w = 20 + 10 * rand();
	gj = gpu_w * t; cj = cpu_w * t;
	util = (ep == "cpu" ? 0 : 40 + 50 * rand());
	printf "{\"schema\":1,\"status\":\"ok\",\"greenbench_version\":\"fake\",\"started_at\":\"2026-11-27T09:00:00Z\",";
	printf "\"config\":{\"model\":\"%s\",\"runtime\":\"%s\",\"ep\":\"%s\",\"batch\":%d,\"seed\":%d},", model, rt, ep, batch, seed;
	printf "\"environment\":{\"host\":\"fakehost\",\"cpu\":\"Fake CPU\",\"kernel\":\"6.1\",\"gpus\":[{\"index\":0,\"name\":\"Fake GPU\",\"driver\":\"1.0\"}],\"runtime\":{\"fake_version\":\"1\"}},";
	printf "\"phases\":[{\"name\":\"load\",\"duration_s\":0.1,\"iterations\":0,\"items\":0,\"energy\":{\"cpu\":{\"joules\":2.0,\"method\":\"estimated\"}},\"unavailable\":{}},";
	printf "{\"name\":\"measured\",\"duration_s\":%.6f,\"iterations\":20,\"items\":%d,\"cpu_time_s\":{\"user\":%.4f,\"system\":0.01},", t, items, t;
	printf "\"energy\":{\"gpu0\":{\"joules\":%.6f,\"method\":\"counter\",\"power_mean_w\":%.4f,\"util_gpu_mean_pct\":%.3f,\"util_gpu_sd_pct\":3.0,\"mem_used_pct\":12.5,\"throttle_reasons\":%d},", gj, gpu_w, util, throttle;
	printf "\"cpu\":{\"joules\":%.6f,\"method\":\"estimated\"}},\"unavailable\":{\"dram\":\"no RAPL on this machine\"}}],", cj;
	printf "\"latency_ns\":{\"n\":20,\"mean\":%.0f,\"sd\":%.0f,\"p50\":%.0f,\"p90\":%.0f,\"p99\":%.0f,\"min\":%.0f,\"max\":%.0f},", lat, lat*0.02, lat, lat*1.02, lat*1.05, lat*0.97, lat*1.06;
	printf "\"throughput_items_per_s\":%.4f,", items / t;
	printf "\"energy_per_item_mj\":{\"gpu0\":%.6f,\"cpu\":%.6f},", gj * 1000 / items, cj * 1000 / items;
	printf "\"summary\":{\"gpu_util_mean_pct\":%.3f,\"gpu_util_sd_pct\":3.0,\"gpu_mem_pct\":12.5,\"gpu_power_mean_w\":%.4f,", util, gpu_w;
	printf "\"gpu_energy_j\":%.6f,\"cpu_energy_j\":%.6f,\"cpu_energy_method\":\"estimated\",\"total_energy_j\":%.6f,", gj, cj, gj + cj;
	printf "\"total_energy_methods\":[\"counter\",\"estimated\"],\"inference_time_s\":%.6f},", t;
	printf "\"series\":{\"columns\":[\"t_ns\",\"gpu0.power_mw\",\"gpu0.util_gpu_pct\"],\"rows\":[";
	for (i = 0; i < 10; i++)
		printf "%s[%d,%d,%d]", (i ? "," : ""), i * 100000000, gpu_w * 1000 * (0.9 + 0.2 * rand()), util;
	printf "]}}\n";
}'
