#!/bin/sh
# The main job behind `make run`: show what can be measured here, then
# measure a short built-in CPU workload so a new user sees real output.
set -eu
gb=${1:-build/greenbench}
echo "== greenbench devices"
"$gb" devices
echo
echo "== greenbench measure --idle 1s -- <built-in 3 s CPU workload>"
"$gb" measure --idle 1s -o build/measure-series.csv -- \
	sh -c 'end=$(($(date +%s) + 3)); while [ "$(date +%s)" -lt "$end" ]; do :; done'
echo "(time series written to build/measure-series.csv)"
