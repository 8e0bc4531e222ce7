#!/usr/bin/env python3
"""How processes end after a signal, step by step (issue 13, "no orphans").

    exit_timeline.py SIGNAL TARGET NAME=PID [NAME=PID ...] [--json FILE]

Sends SIGNAL (INT, KILL, ...) to TARGET, then watches each PID in /proc
every 2 ms and prints, in seconds after the signal, when each one
  threads=1   had only its last thread left (a fatal signal took the others),
  mm_gone     had released its memory (vsize 0: the GPU mappings are gone),
  zombie      had ended (state Z: nothing of it runs any more),
  reaped      was gone from /proc (its parent, or init, waited for it),
and, where nvidia-smi is on PATH, when the GPU stopped listing it as a
compute process (the driver freed its context). Watching ends 5 s after
the signal. Telling these apart shows what a launcher controls (how soon
its signal lands) from what the kernel and the driver take (tearing down a
CUDA context).
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time


def stat_of(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rindex(")") + 2:].split()
    # after the comm: state is field 3, num_threads 20, vsize 23 (1-based)
    return {"state": rest[0], "threads": int(rest[17]), "vsize": int(rest[20])}


def gpu_pids():
    try:
        out = subprocess.run(["nvidia-smi", "--query-compute-apps=pid", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    return {int(x) for x in out.split() if x.strip().isdigit()}


def main(argv):
    js = None
    if "--json" in argv:
        i = argv.index("--json")
        js = argv[i + 1]
        del argv[i:i + 2]
    sig = getattr(signal, "SIG" + argv[0].upper())
    target = int(argv[1])
    watched = {}
    for a in argv[2:]:
        name, pid = a.split("=")
        watched[name] = int(pid)
    ev = {name: {} for name in watched}
    on_gpu = {name: pid for name, pid in watched.items()}
    stop = threading.Event()
    t0 = time.monotonic()

    def gpu_watch():
        while not stop.is_set() and on_gpu:
            pids = gpu_pids()
            if pids is None:
                return
            now = time.monotonic() - t0
            for name, pid in list(on_gpu.items()):
                if pid not in pids:
                    ev[name].setdefault("gpu_released", round(now, 3))
                    del on_gpu[name]

    if gpu_pids() is not None:
        # only the processes that hold a context now are watched there
        held = gpu_pids()
        on_gpu = {n: p for n, p in on_gpu.items() if p in held}
    else:
        on_gpu = {}
    t0 = time.monotonic()
    os.kill(target, sig)
    th = threading.Thread(target=gpu_watch, daemon=True)
    th.start()
    while time.monotonic() - t0 < 5 and any("reaped" not in e for e in ev.values()):
        now = round(time.monotonic() - t0, 3)
        for name, pid in watched.items():
            e = ev[name]
            if "reaped" in e:
                continue
            st = stat_of(pid)
            if st is None:
                e["reaped"] = now
                e.setdefault("zombie", now)
                continue
            if st["threads"] == 1:
                e.setdefault("threads=1", now)
            if st["vsize"] == 0:
                e.setdefault("mm_gone", now)
            if st["state"] in "ZX":
                e.setdefault("zombie", now)
        time.sleep(0.002)
    # the GPU's list lags a little: give it a second after the last reap
    th.join(timeout=1.5)
    stop.set()
    for name in watched:
        steps = sorted(ev[name].items(), key=lambda kv: kv[1])
        print("%-8s pid %-7d %s" % (name, watched[name], ", ".join("%s %.3f s" % kv for kv in steps)
                                    or "still running after 5 s"))
    if js:
        with open(js, "w") as f:
            json.dump({"signal": argv[0], "target": target, "pids": watched, "events": ev}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
