#!/bin/sh
# ONNX Runtime for the C backend (src/runtime/ort.c): the C headers and the
# Linux x64 CPU library of ORT 1.29, taken from the npm package
# com.github.asus4.onnxruntime@0.4.9 (npm is the only registry besides
# Debian we may use; Debian 12 has no ONNX Runtime). Only the headers and
# two .so files are kept under third_party/ort; the rest of the 150 MB
# package (iOS, macOS, Android, Windows builds) is thrown away.
#
# The tarball is pinned by hash: its SHA-256 and SHA-512 are committed
# below (the SHA-512 is npm's dist.integrity, `npm view $pkg dist.integrity`,
# in hex); a tarball that does not match stops the install.
#
# Skipped when ORT_ROOT is set (an official release tree, or the GPU tree
# on the H100 machine) or when third_party/ort already holds the files.
set -eu
cd "$(dirname "$0")/../.."

pkg=com.github.asus4.onnxruntime@0.4.9
dest=third_party/ort
hdr='package/Plugins/iOS~/onnxruntime.xcframework/ios-arm64_x86_64-simulator/onnxruntime.framework/Headers'
libdir=package/Plugins/Linux/x64
sha256=e59788788818fdde1b2e522e766a21ba0f7d8391de55737abf81e32cc801785d
sha512=064cf176e499f4891e0cfe90f25cf64c553689eee1492bd2ed921fccca28131a2ad02373267bae19a509ec8b288c182a3b8a2e0f58d76a1f0e63225b08ddbd16

if [ -n "${ORT_ROOT:-}" ]; then
	[ -f "$ORT_ROOT/include/onnxruntime_c_api.h" ] ||
		echo "warning: ORT_ROOT=$ORT_ROOT has no include/onnxruntime_c_api.h" >&2
	exit 0
fi
if [ -f "$dest/include/onnxruntime_c_api.h" ] && [ -f "$dest/lib/libonnxruntime.so" ]; then
	exit 0
fi
. scripts/npm-pinned.sh
npm_or_warn "ONNX Runtime not fetched (the ort runtime will be left out)" || exit 0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npm_pinned "$pkg" "$sha256" "$sha512" "$tmp" || exit 0
tgz=$npm_tgz
tar xzf "$tgz" -C "$tmp" "$hdr" "$libdir/libonnxruntime.so" "$libdir/libonnxruntime_providers_shared.so"
mkdir -p "$dest/include" "$dest/lib"
cp "$tmp/$hdr"/*.h "$dest/include/"
cp "$tmp/$libdir/libonnxruntime.so" "$tmp/$libdir/libonnxruntime_providers_shared.so" "$dest/lib/"
echo "ONNX Runtime headers and library in $dest"
