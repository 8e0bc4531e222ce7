#!/bin/sh
# Run every test program, each in its own fresh temporary directory, and
# print one closing line "N passed, N failed, N skipped" over all cmocka
# test cases. Exit non-zero if anything failed or a program crashed.
set -u
export GB_SRCDIR="$(pwd)"
export GB_PYTHON="${GB_PYTHON:-/usr/bin/python3}"
# No test may touch the user's cache: a fake zoo export once left "fake
# onnx" files in ~/.cache/greenbench/zoo that later real campaigns took for
# models. The tests share one cache of their own; the framework
# environments that `make deps` built stay where they are.
export GREENBENCH_VENV_DIR="${GREENBENCH_VENV_DIR:-${GREENBENCH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/greenbench}/venv}"
cache=$(mktemp -d)
export GREENBENCH_CACHE_DIR="$cache"
passed=0; failed=0; skipped=0; crashed=0
log=$(mktemp)
for t in "$@"; do
	dir=$(mktemp -d)
	echo "== $t"
	( cd "$dir" && GB_TEST_TMP="$dir" "$OLDPWD/$t" ) >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
	if [ $rc -ne 0 ] && [ -z "$f" ]; then
		echo "!! $t exited with status $rc"
		crashed=$((crashed + 1)); failed=$((failed + 1))
	fi
	rm -rf "$dir"
done
rm -f "$log"
rm -rf "$cache"
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ] && [ $crashed -eq 0 ]
