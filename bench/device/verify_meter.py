#!/usr/bin/env python3
"""Verify greenbench's GPU energy on a real NVIDIA card (run on the H100).

1. Reads the NVML total-energy counter independently (pynvml) around a
   `greenbench measure --json -o series.csv -- python3 <matmul loop>` run:
   greenbench's counter figure must match within 1 %.
2. Integrates the sampled power of the CSV series (trapezoid): it must agree
   with the counter figure within 3 %.
Prints one line per check; exits non-zero if a check fails.
Usage: GREENBENCH=path python3 verify_meter.py [seconds] [outdir]
"""
import json, os, subprocess, sys, time
import pynvml

secs = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
outdir = sys.argv[2] if len(sys.argv) > 2 else "."
gb = os.environ.get("GREENBENCH", "greenbench")
work = (
    "import torch,time\n"
    "a=torch.randn(8192,8192,device='cuda');b=torch.randn(8192,8192,device='cuda')\n"
    "torch.cuda.synchronize();t=time.monotonic()\n"
    f"while time.monotonic()-t<{secs}:\n"
    "    c=a@b\n"
    "    torch.cuda.synchronize()\n"
)
pynvml.nvmlInit()
h = pynvml.nvmlDeviceGetHandleByIndex(0)
csv = os.path.join(outdir, "verify_meter_series.csv")
e0 = pynvml.nvmlDeviceGetTotalEnergyConsumption(h)
p = subprocess.run([gb, "measure", "--json", "-o", csv, "--", sys.executable, "-c", work],
                   capture_output=True, text=True)
e1 = pynvml.nvmlDeviceGetTotalEnergyConsumption(h)
if p.returncode != 0:
    print(p.stdout, p.stderr)
    sys.exit("greenbench measure failed: %d" % p.returncode)
rec = json.loads(p.stdout)
with open(os.path.join(outdir, "verify_meter.json"), "w") as f:
    f.write(p.stdout)
g = rec["energy"]["gpu0"]
ind_j = (e1 - e0) / 1000.0
ok = True
dev = abs(g["joules"] - ind_j) / ind_j * 100
print(f"duration {rec['duration_s']:.2f} s; gpu0 {g['method']} {g['joules']:.1f} J; "
      f"independent NVML reading around the whole command {ind_j:.1f} J; difference {dev:.2f}% (goal < 1%)")
ok &= g["method"] == "counter" and dev < 1.0
# Integrate the sampled power series (instant power where available).
rows = [l.strip().split(",") for l in open(csv)]
hdr = rows[0]
ti = hdr.index("t_s")
pcol = "gpu0.power_w"
pi = hdr.index(pcol)
pts = [(float(r[ti]), float(r[pi])) for r in rows[1:] if r[pi] != ""]
integ = sum((t1 - t0) * (p0 + p1) / 2 for (t0, p0), (t1, p1) in zip(pts, pts[1:]))
cnt = float(rows[-1][hdr.index("gpu0.energy_j")] or "nan")
dev2 = abs(integ - cnt) / cnt * 100
print(f"sampled power ({len(pts)} samples of {pcol}) integrated: {integ:.1f} J; "
      f"counter over the series {cnt:.1f} J; difference {dev2:.2f}% (goal < 3%)")
ok &= dev2 < 3.0
print("gpu0 util %.1f%% (sd %.1f), mem %.1f%%, peak power %.1f W, mean %.1f W" % (
    rec["telemetry"]["gpu0"].get("util_gpu_mean_pct", float("nan")),
    rec["telemetry"]["gpu0"].get("util_gpu_sd_pct", float("nan")),
    rec["telemetry"]["gpu0"].get("mem_used_pct", float("nan")),
    g.get("power_peak_w", float("nan")), g.get("power_mean_w", float("nan"))))
print("cpu:", rec["energy"].get("cpu"))
print("VERIFY", "PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
