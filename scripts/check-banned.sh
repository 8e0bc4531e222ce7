#!/bin/sh
# git's banned.h, as a check: these functions invite overflows or hidden
# state. Use snprintf, strtok_r/strsep, and explicit lengths instead.
set -eu
cd "$(dirname "$0")/.."
hits=$(grep -rnE '(^|[^_a-z])(strcpy|strcat|sprintf|vsprintf|strtok|gets)[[:space:]]*\(' \
	src include bench 2>/dev/null | grep -vE 'snprintf|vsnprintf|strtok_r' || true)
if [ -n "$hits" ]; then
	echo "banned functions used:" >&2
	echo "$hits" >&2
	exit 1
fi
