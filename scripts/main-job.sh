#!/bin/sh
# The main job behind `make run`: run the quick campaign (examples/quick.yaml,
# the study made small for 2 CPU cores) and write its report. Where the
# pieces it needs are missing from this build (`run`, `zoo`, `campaign`),
# fall back to showing what can be measured here and measuring a built-in
# CPU workload.
set -eu
gb=${1:-build/greenbench}
out=$(dirname "$gb")

# The quick campaign needs the commands and the ort runtime (examples/quick.yaml
# runs ort/cpu, and the framework runtimes `make deps` installed: a missing
# one's runs are recorded failed with the reason); `devices` says which are
# available.
if "$gb" help campaign >/dev/null 2>&1 && "$gb" help run >/dev/null 2>&1 &&
	"$gb" help zoo >/dev/null 2>&1 &&
	"$gb" devices 2>/dev/null | grep -Eq '^[[:space:]]+ort[[:space:]]+available'; then
	db="$out/quick.db"
	rm -f "$db" "$db-wal" "$db-shm"
	echo "== greenbench devices"
	"$gb" devices
	echo
	echo "== greenbench campaign run examples/quick.yaml --db $db"
	status=0
	"$gb" campaign run examples/quick.yaml --db "$db" || status=$?
	# 3: runs failed, 4: runs invalid (on a shared machine, others' CPU
	# time during them): stored with their reasons, which the report shows.
	# Anything else (refused, interrupted) has no report to show.
	case $status in 0 | 3 | 4) ;; *) exit "$status" ;; esac
	echo
	echo "== greenbench report --db $db"
	"$gb" report --db "$db"
	"$gb" report --db "$db" --format html -o "$out/quick-report.html"
	"$gb" report --db "$db" --format csv -o "$out/quick-report.csv"
	echo
	echo "(report also written to $out/quick-report.html and $out/quick-report.csv)"
	if [ "$status" -ne 0 ]; then
		echo "(the campaign exited $status: $([ "$status" -eq 3 ] && echo "some runs failed" ||
			echo "some runs are invalid"); their verdicts and reasons are in the report above)"
	fi
	exit "$status"
fi

echo "(campaign, run, zoo or the ort runtime missing from this build: showing the meter instead)"
echo "== greenbench devices"
"$gb" devices
echo
echo "== greenbench measure --idle 1s -- <built-in 3 s CPU workload>"
"$gb" measure --idle 1s -o "$out/measure-series.csv" -- \
	sh -c 'end=$(($(date +%s) + 3)); while [ "$(date +%s)" -lt "$end" ]; do :; done'
echo "(time series written to $out/measure-series.csv)"
