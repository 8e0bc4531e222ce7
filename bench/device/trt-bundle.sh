#!/usr/bin/env bash
# TensorRT 10.15 (CUDA 13) for ONNX Runtime 1.29's TensorRT execution provider,
# cut down to what an H100/H200 (sm_90) uses and split into parts that each fit
# in one call to the GPU machine (64 MiB a call, ~6 MiB of it the work tree).
#
#   trt-bundle.sh OUT_DIR           download, prune, compress, split, check
#   trt-bundle.sh --check OUT_DIR   check an existing OUT_DIR (no GPU needed)
#   TRT_BLANK_CASK=1 trt-bundle.sh OUT_DIR
#       also zero libnvinfer's .cask_resource (sm_100/103/120 kernels only,
#       ~72 MB of already-compressed cubins, about one part less); untested
#       on a GPU: TensorRT might check a digest of it, so it is not the default
#
# OUT_DIR gets trt-sm90.part-00, -01, ... (each <= 58 MiB) and
# trt-sm90.manifest (sha256 of every part and kept file, sizes, what is
# missing, and the reassembly command).  On the GPU machine:
#   mkdir -p /tmp/trt && cat /tmp/trt-parts/trt-sm90.part-* | xz -d | tar x -C /tmp/trt
# gives /tmp/trt/lib/ (put it on LD_LIBRARY_PATH, next to the ORT tree from
# ort-gpu-bundle.sh).  Figures and the sending plan: docs/tensorrt-bundle.md.
#
# Where TensorRT comes from: PyPI's tensorrt-cu13-libs 10.x are source stubs
# that download the real wheel from NVIDIA's own index at install time, which
# cannot be reached here; the lean/dispatch wheels on PyPI cannot build
# engines.  Maven Central's org.bytedeco:tensorrt:10.15-1.5.13 redist jar holds
# NVIDIA's Linux x86-64 libraries (libnvinfer.so.10 = TensorRT 10.15.1, CUDA
# 13.1 build).  It lacks libnvinfer_builder_resource_sm90.so.10.15.1; see the doc.
#
# What is changed: GPU code for other SMs is zeroed in libnvinfer.so.10 and
# libnvinfer_plugin.so.10 (trt_fatbin.py).  libnvinfer_builder_resource_ptx is
# copied untouched: TensorRT checks a sha256 of each kernel library it loads
# from it ("validateCaskKLibDigest").  Needs mvn, npm, python3, readelf, xz.
# CPU-heavy steps run under nice -n 19 on one core.
set -euo pipefail

TRT_JAR_COORD=org.bytedeco:tensorrt:10.15-1.5.13:jar:linux-x86_64-redist
TRT_JAR=tensorrt-10.15-1.5.13-linux-x86_64-redist.jar
TRT_JAR_SHA256=8543a6bda95c5d42141d409e1b74024b444e96334a3815d53997cc4ec3cfce83
ORT_GPU_NPM=com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9
ORT_GPU_TGZ=com.github.asus4.onnxruntime.linux-x64-gpu-0.4.9.tgz
ORT_GPU_SHA256=2b459e0c17f340c92970c10ed86de4f37a3009f93c14053e6ad4334cbb6be412
BUILDER_RES=libnvinfer_builder_resource_ptx.so.10.15.1
BUILDER_RES_SHA256=  # filled from the jar at build time, checked in --check
PART_MAX=$((58 * 1024 * 1024))
SM=90
# What the GPU machine has in its system library path (driver 580, CUDA 13,
# cuDNN 9, cuBLAS 13) and glibc/libstdc++; anything else NEEDED is "missing".
SYSTEM_LIBS="libc.so.6 libm.so.6 libdl.so.2 librt.so.1 libpthread.so.0
 libgcc_s.so.1 libstdc++.so.6 ld-linux-x86-64.so.2 libcuda.so.1
 libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcudnn.so.9"
# Loaded with dlopen, so not in DT_NEEDED: reported, not checked.
DLOPENED="libnvinfer_builder_resource_sm90.so.10.15.1 (TensorRT builder, sm_90 kernels: NOT in the source jar)
libnvinfer_builder_resource_ptx.so.10.15.1 (TensorRT builder: in the bundle)
libnvrtc.so.13 (TensorRT runtime kernel compilation: on the GPU machine only if its CUDA 13 install has it)
libnvinfer_plugin.so.10 (ORT TensorRT EP, optional plugins: in the bundle)
libonnxruntime_providers_shared.so (ORT core tree from ort-gpu-bundle.sh)"

here=$(cd "$(dirname "$0")" && pwd)
fatbin="$here/trt_fatbin.py"
die() { echo "trt-bundle: $*" >&2; exit 1; }
nice1() { nice -n 19 "$@"; }

check() {
  local out=$1 bad=0 tmp
  [ -f "$out/trt-sm90.manifest" ] || die "$out/trt-sm90.manifest missing"
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' RETURN
  echo "== parts (<= $PART_MAX bytes each, sha256 as in the manifest)"
  local n=0
  while read -r _tag sha size name; do
    n=$((n + 1))
    local f="$out/$name"
    [ -f "$f" ] || { echo "MISSING $name"; bad=1; continue; }
    local s; s=$(stat -c %s "$f")
    [ "$s" = "$size" ] || { echo "BAD SIZE $name $s != $size"; bad=1; }
    [ "$s" -le "$PART_MAX" ] || { echo "TOO BIG $name $s"; bad=1; }
    [ "$(sha256sum < "$f" | cut -d' ' -f1)" = "$sha" ] || { echo "BAD SHA256 $name"; bad=1; }
    echo "ok $name $s"
  done < <(grep '^part ' "$out/trt-sm90.manifest")
  [ "$n" -gt 0 ] || die "no parts in the manifest"
  echo "== stream"
  local want; want=$(awk '$1=="stream" {print $2}' "$out/trt-sm90.manifest")
  [ "$(cat "$out"/trt-sm90.part-* | sha256sum | cut -d' ' -f1)" = "$want" ] \
    || { echo "BAD stream sha256"; bad=1; }
  mkdir -p "$tmp/trt"
  cat "$out"/trt-sm90.part-* | nice1 xz -d -T1 | tar x -C "$tmp/trt"
  echo "ok reassembled: $(du -sb "$tmp/trt" | cut -f1) bytes unpacked"
  echo "== files (sha256, ELF, dynamic symbols)"
  while read -r _tag sha size name; do
    local f="$tmp/trt/$name"
    [ -f "$f" ] || { echo "MISSING $name"; bad=1; continue; }
    [ "$(stat -c %s "$f")" = "$size" ] || { echo "BAD SIZE $name"; bad=1; }
    [ "$(sha256sum < "$f" | cut -d' ' -f1)" = "$sha" ] || { echo "BAD SHA256 $name"; bad=1; }
    case $name in *.so*)
      nice1 python3 "$fatbin" elfcheck "$f" | sed "s|$tmp/trt/||" || bad=1
      case $name in lib/libnvinfer*|lib/libnvonnxparser*)   # ORT's provider has none
        readelf -dW "$f" | grep -q '(SONAME)' || { echo "NO SONAME $name"; bad=1; } ;;
      esac
      [ "$(readelf -W --dyn-syms "$f" | grep -c ' GLOBAL ')" -gt 0 ] \
        || { echo "NO GLOBAL SYMBOLS $name"; bad=1; } ;;
    esac
  done < <(grep '^file ' "$out/trt-sm90.manifest")
  echo "== builder resource untouched (its kernel libraries are sha256-checked by TensorRT)"
  local bres; bres=$(awk '$1=="builder-resource-original" {print $2}' "$out/trt-sm90.manifest")
  [ "$(sha256sum < "$tmp/trt/lib/$BUILDER_RES" | cut -d' ' -f1)" = "$bres" ] \
    && echo "ok $BUILDER_RES as shipped" || { echo "BUILDER RESOURCE CHANGED"; bad=1; }
  echo "== GPU code left (sm_$SM only expected in pruned libraries)"
  for f in libnvinfer.so.10 libnvinfer_plugin.so.10; do
    nice1 python3 "$fatbin" survey "$tmp/trt/lib/$f" | sed "s|$tmp/trt/||"
  done
  echo "== DT_NEEDED"
  local have missing=""
  have=$(cd "$tmp/trt/lib" && ls)
  for f in "$tmp"/trt/lib/*.so*; do
    [ -L "$f" ] && continue
    for need in $(readelf -dW "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
      if echo "$have" | grep -qx "$need"; then where=bundle
      elif echo " $SYSTEM_LIBS " | tr '\n' ' ' | grep -q " $need "; then where=system
      else where=MISSING; missing="$missing $need"; fi
      echo "$(basename "$f") -> $need: $where"
    done
  done
  echo "== loaded with dlopen (not checkable here)"
  echo "$DLOPENED" | sed 's/^/  /'
  if [ -n "$missing" ]; then echo "missing DT_NEEDED:$missing"; bad=1
  else echo "missing DT_NEEDED: none"; fi
  [ "$bad" = 0 ] && echo "check: all ok" || { echo "check: FAILED"; return 1; }
}

if [ "${1:-}" = "--check" ]; then
  [ $# = 2 ] || die "usage: trt-bundle.sh --check OUT_DIR"
  check "$(cd "$2" && pwd)"; exit
fi
[ $# = 1 ] || die "usage: trt-bundle.sh OUT_DIR | --check OUT_DIR"
out=$(mkdir -p "$1" && cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

echo "== download"
nice1 mvn -q -B dependency:copy -Dartifact="$TRT_JAR_COORD" -DoutputDirectory="$work" \
  -Dmdep.useBaseVersion=true >/dev/null
echo "$TRT_JAR_SHA256  $TRT_JAR" | sha256sum -c -
npm pack --silent "$ORT_GPU_NPM" >/dev/null
echo "$ORT_GPU_SHA256  $ORT_GPU_TGZ" | sha256sum -c -

echo "== extract"
src=org/bytedeco/tensorrt/linux-x86_64
nice1 unzip -q "$TRT_JAR" "$src/*"
tar xzf "$ORT_GPU_TGZ" package/Plugins/Linux/x64/libonnxruntime_providers_tensorrt.so
mkdir -p root/lib
for f in "$src"/*.so* package/Plugins/Linux/x64/*.so; do
  echo "  $(basename "$f") $(stat -c %s "$f")"
done
BUILDER_RES_SHA256=$(sha256sum < "$src/$BUILDER_RES" | cut -d' ' -f1)

echo "== prune to sm_$SM"
cask=""; [ "${TRT_BLANK_CASK:-0}" = 1 ] && cask="--only .cask_resource"
# shellcheck disable=SC2086
nice1 python3 "$fatbin" prune "$src/libnvinfer.so.10" root/lib/libnvinfer.so.10 "$SM" \
  --only .nv_fatbin --only .rodata $cask
nice1 python3 "$fatbin" prune "$src/libnvinfer_plugin.so.10" root/lib/libnvinfer_plugin.so.10 "$SM"
cp "$src/libnvonnxparser.so.10" "$src/$BUILDER_RES" root/lib/
cp package/Plugins/Linux/x64/libonnxruntime_providers_tensorrt.so root/lib/
ln -s libnvinfer.so.10 root/lib/libnvinfer.so
ln -s libnvonnxparser.so.10 root/lib/libnvonnxparser.so
# Left out: libnvinfer_vc_plugin.so.10 (only for version-compatible engines).

echo "== compress and split"
rm -f "$out"/trt-sm90.part-* "$out/trt-sm90.manifest"
tar cf - -C root --owner=0 --group=0 --sort=name . | nice1 xz -9 -T1 \
  | split -b "$PART_MAX" -d -a 2 - "$out/trt-sm90.part-"

{
  echo "# trt-sm90 bundle: TensorRT 10.15.1 (CUDA 13) + ORT 1.29 TensorRT EP, sm_$SM only"
  echo "# made by bench/device/trt-bundle.sh on $(date -u +%Y-%m-%d), TRT_BLANK_CASK=${TRT_BLANK_CASK:-0}"
  echo "source $TRT_JAR_COORD sha256=$TRT_JAR_SHA256"
  echo "source npm:$ORT_GPU_NPM sha256=$ORT_GPU_SHA256"
  echo "reassemble mkdir -p /tmp/trt && cat /tmp/trt-parts/trt-sm90.part-* | xz -d | tar x -C /tmp/trt"
  echo "stream $(cat "$out"/trt-sm90.part-* | sha256sum | cut -d' ' -f1) $(cat "$out"/trt-sm90.part-* | wc -c)"
  echo "builder-resource-original $BUILDER_RES_SHA256"
  (cd "$out" && for p in trt-sm90.part-*; do
     echo "part $(sha256sum < "$p" | cut -d' ' -f1) $(stat -c %s "$p") $p"; done)
  (cd root && find . -type f | sort | sed 's|^\./||' | while read -r f; do
     echo "file $(sha256sum < "$f" | cut -d' ' -f1) $(stat -c %s "$f") $f"; done)
  echo "not-in-bundle libnvinfer_builder_resource_sm90.so.10.15.1 (absent from the source jar)"
} > "$out/trt-sm90.manifest"
ls -l "$out"
check "$out"
