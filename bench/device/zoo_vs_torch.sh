#!/bin/sh
# Run zoo_vs_torch.py on the H100 machine with the carried greenbench.
#
#   GB_DIR=<dir from scripts/device-bundle.sh> sh bench/device/zoo_vs_torch.sh [OUTDIR]
#
# GB_DIR holds bin/greenbench and lib/ (libprotobuf-c, libcjson, ...);
# GREENBENCH may name the binary directly instead. Output: one line per
# model and OUTDIR/zoo_vs_torch.{log,json}. Exit status 0 when every fp32
# export matches PyTorch within 1e-3.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-out/zoo_vs_torch}
mkdir -p "$out"
if [ -n "${GB_DIR:-}" ]; then
	GREENBENCH=${GREENBENCH:-$GB_DIR/bin/greenbench}
	LD_LIBRARY_PATH="$GB_DIR/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	export LD_LIBRARY_PATH
fi
GREENBENCH=${GREENBENCH:-build/greenbench}
export GREENBENCH
"$GREENBENCH" zoo list >/dev/null
set +e
timeout 300 python3 "$here/zoo_vs_torch.py" "$out" >"$out/zoo_vs_torch.log" 2>&1
rc=$?
cat "$out/zoo_vs_torch.log"
exit $rc
