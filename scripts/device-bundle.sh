#!/bin/sh
# Copy a release build of greenbench and the non-glibc shared libraries it
# links to into OUT_DIR (default .device-cache/gb), so the binary runs on a
# machine that has no apt (the H100 test machine): there, run it with
# LD_LIBRARY_PATH=OUT_DIR/lib.
set -eu
out=${1:-.device-cache/gb}
mkdir -p "$out/lib" "$out/bin"
cp build/greenbench "$out/bin/"
for b in build/bench/bench_* build/tests/*.so; do
	[ -f "$b" ] && cp "$b" "$out/bin/"
done
ldd build/greenbench | awk '/=> \//{print $3}' | while read -r lib; do
	case "$(basename "$lib")" in
	libc.so*|libm.so*|libdl.so*|libpthread.so*|librt.so*|ld-linux*|libgcc_s*|libstdc++*) ;;
	*) cp -L "$lib" "$out/lib/" ;;
	esac
done
rm -rf "$out/workers" && cp -r workers "$out/workers"
ls -la "$out/bin" "$out/lib"
