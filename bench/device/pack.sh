#!/usr/bin/env bash
# Run one device check with its own output folder and bring it back as one
# archive: only 8 files come back from a call, and a call often runs
# several checks.
#
#   bash bench/device/pack.sh NAME bench/device/SCRIPT.sh [ARGS...]
#
# Leaves $OUT/NAME.tar.gz (everything the check wrote) and
# $OUT/NAME-summary.txt; exits with the check's status.
set -u
name=$1; shift
final=${OUT:-/tmp/gb-out}
mkdir -p "$final"
dir=/tmp/pack-$name
rm -rf "$dir"; mkdir -p "$dir"
OUT=$dir bash "$@"
rc=$?
cp "$dir/summary.txt" "$final/$name-summary.txt" 2>/dev/null
tar czf "$final/$name.tar.gz" -C "$dir" .
echo "$name: exit $rc" >> "$final/$name-summary.txt"
exit $rc
