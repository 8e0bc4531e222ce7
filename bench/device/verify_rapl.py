#!/usr/bin/env python3
"""Check greenbench's CPU RAPL sources on a real machine (run on the H100).

1. `greenbench devices --json`: prints the state and reason of the powercap,
   perf-rapl and msr-rapl sources. Where the perf `power` PMU offers only
   energy-psys (a VM, the H100 machine), perf-rapl must be unavailable with
   "reads 0" in its reason, and CPU energy must be "estimated".
2. `greenbench measure --json -- python3 <1 s CPU loop>`: no domain with
   method "counter" and a CPU kind may report 0 J (a stub counter must be
   refused, never shown as 0). Where powercap is active and energy_uj is
   readable, its package-0 figure must agree within 2 % with energy_uj read
   independently around the run (plus a small allowance for the seconds of
   start-up around the child).
Prints one line per check; exits non-zero if a check fails.
Usage: GREENBENCH=path python3 verify_rapl.py [outdir]
"""
import glob, json, os, subprocess, sys, time

gb = os.environ.get("GREENBENCH", "greenbench")
outdir = sys.argv[1] if len(sys.argv) > 1 else "."
failed = 0


def check(ok, what):
    global failed
    print(("ok:   " if ok else "FAIL: ") + what)
    failed += 0 if ok else 1


def run(args):
    p = subprocess.run([gb] + args, capture_output=True, text=True)
    with open(os.path.join(outdir, "verify_rapl_%s.json" % args[0]), "w") as f:
        f.write(p.stdout)
    if p.returncode != 0:
        print(p.stdout, p.stderr)
        sys.exit("greenbench %s failed: %d" % (args[0], p.returncode))
    return json.loads(p.stdout)


dev = run(["devices", "--json"])
src = {s["name"]: s for s in dev["sources"]}
for name in ("powercap", "perf-rapl", "msr-rapl"):
    s = src.get(name, {})
    print("      %-9s %-11s %s" % (name, s.get("state"), s.get("reason") or s.get("detail") or ""))
check(all(n in src for n in ("powercap", "perf-rapl", "msr-rapl")), "all three RAPL sources are listed")

pmu = "/sys/bus/event_source/devices/power/events"
events = sorted(os.path.basename(e) for e in glob.glob(pmu + "/energy-*") if "." not in os.path.basename(e))
print("      perf power events: %s" % (", ".join(events) or "none"))
if events == ["energy-psys"]:
    s = src.get("perf-rapl", {})
    check(s.get("state") == "unavailable" and "reads 0" in (s.get("reason") or ""),
          "psys-only PMU refused: %s" % s.get("reason"))
active = [n for n in ("powercap", "perf-rapl", "msr-rapl") if src.get(n, {}).get("state") == "active"]
print("      active RAPL source: %s; CPU energy method: %s" % (active or "none", dev.get("cpu_energy_method")))
if not active:
    check(dev.get("cpu_energy_method") == "estimated", "no RAPL counter, CPU energy is estimated")

zone = "/sys/class/powercap/intel-rapl:0/energy_uj"
def read_uj():
    try:
        with open(zone) as f:
            return int(f.read())
    except OSError:
        return None

work = "import time\nt=time.monotonic()\nwhile time.monotonic()-t<1.0: sum(range(10000))\n"
u0, t0 = read_uj(), time.monotonic()
rec = run(["measure", "--json", "--", sys.executable, "-c", work])
u1, t1 = read_uj(), time.monotonic()
cpu_kinds = {"package", "core", "uncore", "dram", "psys"}
for name, d in sorted(rec["energy"].items()):
    print("      %-12s %10.3f J  %s" % (name, d["joules"], d["method"]))
    if d["method"] == "counter" and d.get("kind") in cpu_kinds:
        check(d["joules"] > 0, "%s reports a non-zero counter figure" % name)
if "powercap" in active and u0 is not None and u1 is not None and "package-0" in rec["energy"]:
    ind = (u1 - u0) / 1e6  # no wrap expected in ~1 s
    got = rec["energy"]["package-0"]["joules"]
    # Our window is a subset of the independent one: allow the extra
    # time at the independent one's average power.
    extra = ind * max(0.0, (t1 - t0) - rec["duration_s"]) / (t1 - t0)
    check(got <= ind * 1.02 and got >= (ind - extra) * 0.98,
          "powercap package-0 %.3f J vs independent energy_uj %.3f J (slack %.3f J)" % (got, ind, extra))
print("%d check(s) failed" % failed)
sys.exit(1 if failed else 0)
