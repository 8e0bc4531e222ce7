# Sourced by the device check scripts after env.sh: a summary file in
# $OUT, log (to it and stdout) and check NAME CMD... (ok/FAIL, counted in
# $fails; the command's output goes to $OUT/checks.log).
sum=$OUT/summary.txt
fails=0
log() { echo "$@" | tee -a "$sum"; }
check() {
	local name=$1; shift
	if "$@" >> "$OUT/checks.log" 2>&1; then log "ok   $name"; else log "FAIL $name"; fails=$((fails + 1)); fi
}
: > "$sum"
