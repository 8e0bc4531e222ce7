#!/bin/sh
# Install what greenbench needs and is missing, from Debian's packages, the
# npm registry (ONNX Runtime) and PyPI (the Python frameworks, each in its
# own virtual environment: scripts/deps.d/frameworks.sh). Idempotent and
# quiet when nothing is missing.
set -eu
cd "$(dirname "$0")/.."

pkgs="build-essential clang pkg-config libcjson-dev libcmocka-dev libyaml-dev
libsqlite3-dev libgsl-dev libjpeg62-turbo-dev libpng-dev libprotobuf-c-dev
protobuf-c-compiler libonnx-dev libonnx-testdata python3 python3-numpy python3-onnx
python3-scipy xz-utils"
for f in scripts/deps.d/*.pkgs; do
	[ -f "$f" ] && pkgs="$pkgs $(cat "$f")"
done

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# npm may come from a Node.js that is not Debian's; only install Debian's
# when there is none at all (Debian's npm conflicts with other nodes).
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
	echo "installing Debian packages:$missing"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# Per-feature installers (e.g. ONNX Runtime from npm). One that fails
# (a framework that GREENBENCH_REQUIRED_RUNTIMES names) fails make deps.
for f in scripts/deps.d/*.sh; do
	[ -f "$f" ] && sh "$f"
done
exit 0
