#!/bin/sh
# A real Slurm on this machine, for `campaign submit/task/collect/status`:
# munged, slurmctld and two slurmd (nodes gbn1, gbn2 of this host, half
# its CPUs each) started here as root with a generated
# slurm.conf in a temporary directory (proctrack/linuxproc, task/none,
# select/cons_tres: no cgroups, which a container may not have), then
#   1. a campaign of 16 scripted fake runs in 4 array tasks on shared
#      nodes; task 1 is scancel'ed after its first run; status shows it
#      died; collect; `submit --resume` runs only what it left; every run
#      stored exactly once;
#   2. a campaign of real ORT CPU runs of the tests' tiny models on
#      exclusive nodes, collected and reported.
# Every wait is bounded; the trap stops the daemons it started (by pid)
# and leaves nothing running. Prints "submit-to-report" figures and ends
# with cmocka's summary lines, so tests/run.sh counts it.
#
# usage: tests/slurm/cluster.sh BUILD_DIR        (as root; GB_SRCDIR: the tree)
set -u
B=$(cd "$1" && pwd)
SRC=${GB_SRCDIR:-$(pwd)}
GB=$B/greenbench
FAKE=$B/tests/fake-run
MODELS=$B/tests/models
D=$(mktemp -d /tmp/gb-slurm.XXXXXX)
pass=0 fail=0
export SLURM_CONF=$D/slurm.conf
# Hermetic: the tasks' meter sees no NVML of this machine.
export GREENBENCH_NVML_LIB=/nonexistent/libnvidia-ml.so.1
export GREENBENCH_CACHE_DIR=$D/cache

say() { printf '%s\n' "$*"; }
ok() { pass=$((pass + 1)); say "[       OK ] $1"; }
bad() { fail=$((fail + 1)); say "[  FAILED  ] $1"; return 1; }
check() { # name, then a command
	n=$1; shift
	if "$@"; then ok "$n"; else bad "$n"; fi
}

stop_pid() { # pidfile: TERM, then KILL after 5 s at most
	[ -f "$1" ] || return 0
	p=$(cat "$1")
	kill "$p" 2>/dev/null || return 0
	i=0
	while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$p" 2>/dev/null
	return 0
}

cleanup() {
	# Jobs first (their processes are slurmd's children), then the daemons.
	[ -f "$D/slurmctld.pid" ] && scancel --quiet --full -u root >/dev/null 2>&1
	stop_pid "$D/slurmd-gbn1.pid"
	stop_pid "$D/slurmd-gbn2.pid"
	stop_pid "$D/slurmctld.pid"
	stop_pid "$D/munged.pid"
	if [ "$fail" -ne 0 ] || [ -n "${GB_SLURM_KEEP:-}" ]; then
		say "logs kept in $D"
		for f in "$D"/slurmctld.log "$D"/slurmd-gbn1.log "$D"/slurmd-gbn2.log; do [ -f "$f" ] && { say "== $f"; tail -n 20 "$f"; }; done
	else
		rm -rf "$D"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

skip() {
	say "[  SKIPPED ] slurm cluster: $1"
	say "[==========] 1 test(s) run."
	say "[  SKIPPED ] 1 test(s)"
	exit 0
}

[ "$(id -u)" -eq 0 ] || skip "needs root (it starts munged, slurmctld and slurmd)"
for c in munged mungekey slurmctld slurmd sbatch squeue scancel sinfo python3; do
	command -v "$c" >/dev/null 2>&1 || skip "no $c (scripts/deps.d/slurm.pkgs: slurm-wlm, munge)"
done
[ -x "$GB" ] && [ -x "$FAKE" ] || skip "build $GB and $FAKE first"

# wait_for SECONDS COMMAND...: poll every 0.2 s, false on timeout.
wait_for() {
	t=$(($1 * 5)); shift
	while [ $t -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		t=$((t - 1))
	done
	return 1
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

now() { date +%s.%N; }
secs() { python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }

# ---- the cluster ----------------------------------------------------------
t_boot=$(now)
mkdir -p "$D/munge" "$D/state" "$D/spool/gbn1" "$D/spool/gbn2"
chmod 700 "$D/munge"
mungekey -c -k "$D/munge/munge.key" -b 1024 -f >/dev/null 2>&1 || skip "mungekey failed"
chmod 600 "$D/munge/munge.key"
munged -F -f --socket="$D/munge/munge.socket" --key-file="$D/munge/munge.key" \
	--log-file="$D/munge/munged.log" --pid-file="$D/munge/munged.pid.own" \
	--seed-file="$D/munge/munged.seed" >"$D/munged.out" 2>&1 &
echo $! >"$D/munged.pid"
wait_for 10 test -S "$D/munge/munge.socket" || { bad "munged started"; exit 1; }

host=$(hostname -s)
cpus=$(($(nproc) / 2))
[ "$cpus" -ge 1 ] || cpus=1
ctld_port=$(free_port)
port1=$(free_port)
port2=$(free_port)
cat >"$SLURM_CONF" <<EOF
ClusterName=gbci
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$ctld_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$D/munge/munge.socket
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool/%n
SlurmctldPidFile=$D/slurmctld.pid.own
SlurmdPidFile=$D/slurmd-%n.pid.own
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
KillWait=2
MinJobAge=300
InactiveLimit=0
NodeName=gbn1 NodeHostname=$host NodeAddr=127.0.0.1 Port=$port1 CPUs=$cpus RealMemory=1000 State=UNKNOWN
NodeName=gbn2 NodeHostname=$host NodeAddr=127.0.0.1 Port=$port2 CPUs=$cpus RealMemory=1000 State=UNKNOWN
PartitionName=ci Nodes=gbn1,gbn2 Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -D -i -f "$SLURM_CONF" >"$D/slurmctld.out" 2>&1 &
echo $! >"$D/slurmctld.pid"
for n in gbn1 gbn2; do
	slurmd -D -N $n -f "$SLURM_CONF" >"$D/slurmd-$n.out" 2>&1 &
	echo $! >"$D/slurmd-$n.pid"
done
idle() { [ "$(sinfo -h -N -o %T 2>/dev/null | grep -cx idle)" -eq 2 ]; }
if ! wait_for 30 idle; then
	bad "slurmctld and two slurmd up"
	tail -n 5 "$D/slurmctld.out" "$D/slurmd-gbn1.out" "$D/slurmd-gbn2.out"
	exit 1
fi
ok "slurmctld and two slurmd up ($(secs "$t_boot" "$(now)") s)"

# no_task_left JOB: squeue lists none of its tasks.
no_task_left() { [ -z "$(squeue -h -r -j "$1" -o %i 2>/dev/null)" ]; }
# rows DB CAMPAIGN: "runs distinct-seqs" in the run table.
rows() {
	python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(*c.execute("SELECT count(*), count(DISTINCT seq) FROM run WHERE campaign_id = ?", (int(sys.argv[2]),)).fetchone())' "$1" "$2"
}

cd "$D"
# ---- 1. fake runs: scancel a task, resubmit what it left ---------------------
cat >fake.yaml <<EOF
name: cluster-fake
seed: 7
reps: 2
cooldown: 0s
idle_baseline: 50ms
models: [resnet50, mobilenetv2]
runtimes: [ort/cpu, ort/cuda]
batches: [1, 4]
EOF
export GREENBENCH_RUN_CMD=$FAKE GB_FAKE_LOG=$D/fake.log GB_FAKE_METER=1 GB_FAKE_SLEEP_MS=400
t0=$(now)
job=$("$GB" campaign submit fake.yaml --db r.db --tasks 4 --shared 2>submit.err)
check "submit: a job id" test -n "$job" || { cat submit.err; exit 1; }
check "submit: the script is in the shared directory" test -f r.db-records/campaign-1/submission-1.sbatch
# Task 1 is killed once it has recorded its first run.
first_run() { grep -q '"line":"run"' r.db-records/campaign-1/records/s1-t1.jsonl; }
check "task 1 recorded a run" wait_for 60 first_run
# It has three runs of 400 ms left: squeue says it runs.
"$GB" campaign status --db r.db >status0.out 2>&1
check "status: task 1 running" grep -Eq '^ +1 +4 .* running +running ' status0.out
# A resubmission now would run task 1's runs twice: refused.
"$GB" campaign submit fake.yaml --db r.db --resume --shared >early.out 2>&1
check "resubmit refused while tasks run" grep -q "still has task .* running: wait for it or scancel it first" early.out
scancel "${job}_1"
check "the array ended" wait_for 90 no_task_left "$job"
"$GB" campaign status --db r.db >status.out 2>&1
check "status: task 1 died" grep -Eq '^ +1 +4 .* died' status.out
check "status: three tasks done" test "$(grep -Ec ' done ' status.out)" -eq 3
"$GB" campaign collect --db r.db >collect1.out 2>&1
set -- $(rows r.db 1)
check "collect: what was recorded, once each ($1 runs)" test "$1" -lt 16 -a "$1" -eq "$2"
"$GB" campaign collect --db r.db >collect2.out 2>&1
check "collect again: nothing new" grep -q '0 runs stored now' collect2.out
job2=$("$GB" campaign submit fake.yaml --db r.db --resume --shared --tasks 1 2>resubmit.err)
check "resubmit: only the missing runs" grep -Eq ": $((16 - $1)) of 16 runs in 1 task" resubmit.err
check "the resubmission ended" wait_for 60 no_task_left "$job2"
"$GB" campaign collect --db r.db >collect3.out 2>&1
set -- $(rows r.db 1)
check "every run stored exactly once" test "$1" -eq 16 -a "$2" -eq 16
check "campaign finished" grep -q '(finished)' collect3.out
"$GB" report --db r.db --campaign 1 --format csv -o fake.csv >/dev/null 2>&1
t1=$(now)
check "report" test -s fake.csv
# At most the run in flight when scancel came ran twice (it was not recorded).
n=$(wc -l <fake.log)
check "runs executed: 16, plus at most the one killed ($n)" test "$n" -ge 16 -a "$n" -le 17
check "records name the job and node" grep -q "\"job_id\":\"$job\"" r.db-records/campaign-1/records/s1-t0.jsonl
check "shared nodes: CPU energy per process" grep -q '"cpu_energy_scope":"process"' r.db-records/campaign-1/records/s1-t0.jsonl
fake_s=$(secs "$t0" "$t1")
unset GREENBENCH_RUN_CMD GB_FAKE_LOG GB_FAKE_METER GB_FAKE_SLEEP_MS

# ---- 2. real ORT CPU runs, exclusive nodes -----------------------------------
cat >ort.yaml <<EOF
name: cluster-ort
seed: 3
reps: 2
warmup: 2
iterations: 20
min_duration: 0s
cooldown: 0s
idle_baseline: 50ms
models:
  - file: $MODELS/mlp.onnx
  - file: $MODELS/add.onnx
runtimes: [ort/cpu]
batches: [1, 8]
EOF
t0=$(now)
job3=$("$GB" campaign submit ort.yaml --db r.db --tasks 2 2>submit3.err)
check "ort: submitted" test -n "$job3" || { cat submit3.err; exit 1; }
check "ort: the array ended" wait_for 90 no_task_left "$job3"
"$GB" campaign collect --db r.db >collect4.out 2>&1
"$GB" report --db r.db --campaign 2 --format csv -o ort.csv >/dev/null 2>&1
t1=$(now)
set -- $(rows r.db 2)
check "ort: 8 runs stored" test "$1" -eq 8 -a "$2" -eq 8
ok_runs=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM run WHERE campaign_id=2 AND status=\"ok\"").fetchone()[0])' r.db)
check "ort: all ok ($ok_runs)" test "$ok_runs" -eq 8
check "ort: reported" grep -q mlp ort.csv
check "exclusive nodes: CPU energy of the node" grep -q '"cpu_energy_scope":"node"' r.db-records/campaign-2/records/s1-t0.jsonl
check "two nodes ran tasks" test "$(cat r.db-records/campaign-2/records/*.jsonl | grep -o '"node":"gbn[12]"' | sort -u | wc -l)" -eq 2
ort_s=$(secs "$t0" "$t1")

say "submit-to-report: 16 fake runs (4 tasks, one scancel'ed and resubmitted): $fake_s s; 8 ORT CPU runs (2 exclusive tasks): $ort_s s"
say "[==========] $((pass + fail)) test(s) run."
say "[  PASSED  ] $pass test(s)."
[ $fail -eq 0 ] || say "[  FAILED  ] $fail test(s)."
[ $fail -eq 0 ]
