#!/bin/sh
# The Python frameworks of the worker runtimes (tf, keras, mxnet), each in
# its own virtual environment made from Debian's Python and filled from PyPI
# with `pip install --require-hashes`: exact versions, files checked by
# sha256 (requirements/NAME.txt, made by scripts/pin-requirements.py from
# requirements/NAME.in; docs/dependencies.md says why each package).
#
# Where: $GREENBENCH_VENV_DIR, else the cache directory's venv/
# ($GREENBENCH_CACHE_DIR, $XDG_CACHE_HOME/greenbench, ~/.cache/greenbench),
# the same rule the workers use to find them (src/runtime/worker_runtimes.c).
# Outside the build tree on purpose: every build (release, asan, clang) and
# every checkout uses the same environments, and `make clean` does not cost
# a gigabyte of downloads.
#
# An environment is rebuilt only when its requirements file changed (a
# stamp holds the file's sha256). GREENBENCH_FRAMEWORKS=none skips them all,
# a list ("tf mxnet") installs only those. A runtime named in
# GREENBENCH_REQUIRED_RUNTIMES (comma or space separated; CI sets it) that
# fails to install fails `make deps`; any other failure is a warning, and
# `greenbench devices` says that runtime is unavailable and why.
set -eu
cd "$(dirname "$0")/../.."

python=${GREENBENCH_VENV_PYTHON:-/usr/bin/python3}
if [ -n "${GREENBENCH_VENV_DIR:-}" ]; then
	root=$GREENBENCH_VENV_DIR
elif [ -n "${GREENBENCH_CACHE_DIR:-}" ]; then
	root=$GREENBENCH_CACHE_DIR/venv
elif [ -n "${XDG_CACHE_HOME:-}" ]; then
	root=$XDG_CACHE_HOME/greenbench/venv
else
	root=$HOME/.cache/greenbench/venv
fi
want=${GREENBENCH_FRAMEWORKS:-all}
required=$(echo "${GREENBENCH_REQUIRED_RUNTIMES:-}" | tr ',' ' ')
[ "$want" = none ] && exit 0

failed=0
for req in requirements/*.txt; do
	name=$(basename "$req" .txt)
	case " $want " in *" all "* | *" $name "*) ;; *) continue ;; esac
	runtimes=$(sed -n 's/^# runtimes: //p' "requirements/$name.in")
	is_required=0
	for r in $required; do
		case " $runtimes " in *" $r "*) is_required=1 ;; esac
	done
	dest=$root/$name
	sum=$( (cat "$req"; "$python" -c 'import platform; print(platform.python_version())') | sha256sum | cut -d' ' -f1)
	if [ -x "$dest/bin/python" ] && [ "$(cat "$dest/.greenbench-stamp" 2>/dev/null)" = "$sum" ]; then
		continue
	fi
	echo "installing the $name environment ($runtimes) in $dest"
	log=$(mktemp)
	start=$(date +%s)
	rm -rf "$dest"
	if "$python" -m venv "$dest" >"$log" 2>&1 &&
		"$dest/bin/python" -m pip install -q --no-input --require-hashes --only-binary=:all: --no-binary=gluonnlp \
			-r "$req" >>"$log" 2>&1; then
		echo "$sum" >"$dest/.greenbench-stamp"
		echo "$name environment ready in $(($(date +%s) - start))s, $(du -sm "$dest" | cut -f1) MB"
	else
		rm -rf "$dest"
		if [ "$is_required" = 1 ]; then
			echo "error: the $name environment failed to install (required by GREENBENCH_REQUIRED_RUNTIMES):" >&2
			failed=1
		else
			echo "warning: the $name environment failed to install; runtimes $runtimes are left out:" >&2
		fi
		tail -n 5 "$log" >&2
	fi
	rm -f "$log"
done
exit $failed
