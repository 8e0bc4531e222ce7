#!/usr/bin/env python3
"""Independent statistics for test_report: reads the run records straight
from a campaign database and computes, with scipy, what `greenbench report
--format json` must say.

usage: report_expected.py DB            -> JSON on stdout
       report_expected.py mwu X Y       -> "U p" for comma-separated samples
"""
import json
import sqlite3
import sys

import numpy as np
from scipy import stats


def mwu(x, y):
    ties = len(set(x + y)) < len(x + y)
    method = "exact" if (len(x) <= 8 and len(y) <= 8 and not ties) else "asymptotic"
    r = stats.mannwhitneyu(x, y, alternative="two-sided", method=method)
    return float(r.statistic), float(r.pvalue), method


def cliffs(x, y):
    gt = sum(1 for a in x for b in y if a > b)
    lt = sum(1 for a in x for b in y if a < b)
    return (gt - lt) / (len(x) * len(y))


def epi(rec):
    measured = [p for p in rec["phases"] if p["name"] == "measured"][0]
    return rec["summary"]["total_energy_j"] * 1000.0 / measured["items"]


if sys.argv[1] == "mwu":
    x = [float(v) for v in sys.argv[2].split(",")]
    y = [float(v) for v in sys.argv[3].split(",")]
    u, p, _ = mwu(x, y)
    print("%.17g %.17g" % (u, p))
    sys.exit(0)

db = sqlite3.connect(sys.argv[1])
rows = db.execute(
    "SELECT c.model, c.batch, c.label, r.record_json FROM run r JOIN configuration c"
    " ON c.campaign_id = r.campaign_id AND c.idx = r.config_idx WHERE r.status = 'ok'"
    " AND r.campaign_id = (SELECT max(id) FROM campaign) ORDER BY r.seq").fetchall()
groups = {}
times, energies, utils, powers = [], [], [], []
for model, batch, label, text in rows:
    rec = json.loads(text)
    groups.setdefault((model, batch, label), []).append(epi(rec))
    s = rec["summary"]
    # Per unit of work: the measured phase's length is set by min_duration.
    times.append(1.0 / rec["throughput_items_per_s"])
    energies.append(epi(rec))
    if "gpu_util_mean_pct" in s and "gpu_power_mean_w" in s:
        utils.append(s["gpu_util_mean_pct"])
        powers.append(s["gpu_power_mean_w"])

out = {"configurations": {}, "pairwise": [], "spearman": {}}
for key, vals in groups.items():
    a = np.array(vals)
    mean = float(a.mean())
    entry = {"n": len(vals), "mean": mean}
    if len(vals) > 1:
        sd = float(a.std(ddof=1))
        half = float(stats.t.ppf(0.975, len(vals) - 1)) * sd / np.sqrt(len(vals))
        entry.update(sd=sd, ci95_lo=mean - half, ci95_hi=mean + half)
    out["configurations"]["%s|%d|%s" % key] = entry
keys = sorted(groups)
for i, a in enumerate(keys):
    for b in keys[i + 1:]:
        if a[0] != b[0] or a[1] != b[1] or len(groups[a]) < 2 or len(groups[b]) < 2:
            continue
        u, p, method = mwu(groups[a], groups[b])
        out["pairwise"].append({"key": "%s|%d|%s|%s" % (a[0], a[1], a[2], b[2]), "u": u, "p": p,
                                "method": method, "cliffs_delta": cliffs(groups[a], groups[b])})
rho, p = stats.spearmanr(times, energies)
out["spearman"]["time_per_item_vs_energy_per_item"] = {"rho": float(rho), "p": float(p), "n": len(times)}
rho, p = stats.spearmanr(utils, powers)
out["spearman"]["gpu_util_vs_gpu_power"] = {"rho": float(rho), "p": float(p), "n": len(utils)}
print(json.dumps(out))
