"""greenbench beside the tools people use today (issue 18), on one machine.

Every tool watches the same fixed work in the same loaded process, one
tool per window, so that what each one says can be set against two
references taken in that very window: NVML's energy counter read directly at
the window's edges, and nvidia-smi's `power.draw.instant` sampled every
10 ms and integrated. The study's own method (nvidia-smi `power.draw`
every 10 ms, integrated, minus an idle baseline) is computed from the same
sampler for every window. Tools:

  none        no tool: the workload's own duration and CPU time
  gb-measure  `greenbench measure --json -- sh -c 'go; wait done'`: the
              loaded workload starts when greenbench's command starts and
              the command ends when the work is done (two named pipes)
  zeus        ZeusMonitor begin_window/end_window (and approx_instant_energy
              on the short windows, as Zeus advises)
  cc-default  CodeCarbon OfflineEmissionsTracker, measure_power_secs=15
  cc-fast     the same, measure_power_secs=0.1

  python3 peers.py drive --out DIR [--gb GREENBENCH] [--device cuda|cpu] [--quick]
  python3 peers.py ob FILE.json       (optimum-benchmark, BERT-base b1 and b64)
  python3 peers.py reanalyse DIR      (the nvidia-smi figures from DIR/smi.csv[.gz] again)
  python3 peers.py table DIR          (peers.md from DIR/peers.json again)

`work` is the workload child that drive starts; it speaks JSON lines on
stdin/stdout. A tool that is missing or fails is a row with its error, never
a number. Nothing here is greenbench's library: it is the harness.
"""
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

TOOLS = ("none", "gb-measure", "zeus", "cc-default", "cc-fast")


# ---------------------------------------------------------------------------
# The workload child.

def build_workload(name, batch, device):
    import torch

    dev = torch.device(device)
    if name == "matmul":
        a = torch.randn(8192, 8192, device=dev, dtype=torch.float16 if device == "cuda" else torch.float32)
        b = torch.randn_like(a)
        if device == "cpu":
            a, b = a[:1024, :1024].contiguous(), b[:1024, :1024].contiguous()

        def step():
            torch.matmul(a, b)
        return step, 1
    if name == "resnet50":
        import torchvision

        m = torchvision.models.resnet50().eval().to(dev)
        x = torch.randn(batch, 3, 224, 224, device=dev)
    elif name == "bert":
        from transformers import BertConfig, BertForSequenceClassification

        m = BertForSequenceClassification(BertConfig(num_labels=2)).eval().to(dev)
        x = torch.randint(0, 30522, (batch, 128), device=dev)
    else:
        raise SystemExit("unknown workload " + name)

    def step():
        with torch.no_grad():
            m(x)
    return step, batch


class Counter:
    """NVML's energy counter of one GPU, read directly (mJ)."""

    def __init__(self, index):
        self.h = None
        try:
            import pynvml

            pynvml.nvmlInit()
            self.nv = pynvml
            self.h = pynvml.nvmlDeviceGetHandleByIndex(index)
        except Exception as e:  # no NVML: the CPU plumbing check
            self.error = str(e)

    def mj(self):
        return self.nv.nvmlDeviceGetTotalEnergyConsumption(self.h) if self.h else None


class Tool:
    """One tool's window around the work: start(), stop() -> readings."""

    def __init__(self, name, gpu, short):
        self.name, self.gpu, self.short = name, gpu, short
        self.obj = None
        if name == "zeus":
            from zeus.monitor import ZeusMonitor

            self.obj = ZeusMonitor(gpu_indices=[gpu] if gpu is not None else [],
                                   approx_instant_energy=short)
        elif name.startswith("cc-"):
            from codecarbon import OfflineEmissionsTracker

            self.obj = OfflineEmissionsTracker(
                country_iso_code="USA", measure_power_secs=15 if name == "cc-default" else 0.1,
                save_to_file=False, log_level="error", allow_multiple_runs=True,
                gpu_ids=[gpu] if gpu is not None else None)

    def start(self):
        if self.name == "zeus":
            self.obj.begin_window("w")
        elif self.name.startswith("cc-"):
            self.obj.start()

    def stop(self):
        if self.name == "zeus":
            m = self.obj.end_window("w")
            cpu = sum(m.cpu_energy.values()) if m.cpu_energy else None
            return {"gpu_j": sum(m.gpu_energy.values()) if m.gpu_energy else None, "cpu_j": cpu,
                    "cpu_method": "RAPL" if cpu is not None else "none (Zeus reads CPU energy from RAPL only)",
                    "tool_s": m.time}
        if self.name.startswith("cc-"):
            self.obj.stop()
            d = self.obj.final_emissions_data
            kwh = 3.6e6
            return {"gpu_j": d.gpu_energy * kwh, "cpu_j": d.cpu_energy * kwh, "ram_j": d.ram_energy * kwh,
                    "cpu_method": "CodeCarbon %s" % getattr(self.obj, "_conf", {}).get("tracking_mode", "machine"),
                    "cpu_model": getattr(d, "cpu_model", None), "tool_s": d.duration}
        return {}


def sync(device):
    if device == "cuda":
        import torch

        torch.cuda.synchronize()


def work_main(args):
    name, batch, device = args[0], int(args[1]), args[2]
    # The protocol keeps stdout to itself: the tools print and log.
    proto = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    gpu = 0 if device == "cuda" else None
    step, items = build_workload(name, batch, device)
    counter = Counter(0)
    # Warm-up and the rate of one step, so that drive can fix the work of
    # each window in steps (the same for every tool).
    for _ in range(3):
        step()
    sync(device)
    t, n = time.perf_counter(), 0
    while time.perf_counter() - t < 1.0:
        step()
        n += 1
    sync(device)
    print(json.dumps({"ready": True, "step_s": (time.perf_counter() - t) / n, "items": items}), file=proto, flush=True)
    tools = {}
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd.get("quit"):
            break
        tool, steps, short = cmd["tool"], cmd["steps"], cmd.get("short", False)
        rec = {"tool": tool}
        try:
            # A CodeCarbon tracker reports totals since its first start:
            # seen on the H200, a second start/stop of one tracker returned
            # both windows' energy. Each window gets a tracker of its own
            # (made before the window); Zeus keys its windows by name.
            key = (tool, short)
            if key not in tools or tool.startswith("cc-"):
                tools[key] = Tool(tool, gpu, short)  # set-up is not the window
            tl = tools[key]
            rec["fresh_tracker"] = True
            if tool == "gb-measure":
                with open(cmd["go"]) as f:  # blocks until greenbench's command starts
                    f.read()
            sync(device)
            e0, t0, c0 = counter.mj(), time.time(), time.process_time()
            tl.start()
            w0 = time.perf_counter()
            for _ in range(steps):
                step()
            sync(device)
            w1 = time.perf_counter()
            got = tl.stop()
            t1, c1, e1 = time.time(), time.process_time(), counter.mj()
            if tool == "gb-measure":
                with open(cmd["done"], "w") as f:
                    f.write("done\n")
            rec.update(got)
            rec.update({"t0": t0, "t1": t1, "work_s": w1 - w0, "window_s": t1 - t0, "cpu_s": c1 - c0,
                        "steps": steps, "items": steps * items,
                        "ref_counter_j": (e1 - e0) / 1e3 if e0 is not None else None})
        except Exception as e:  # a tool that fails is a row with its error
            rec["error"] = "%s: %s" % (type(e).__name__, e)
        print(json.dumps(rec), file=proto, flush=True)


# ---------------------------------------------------------------------------
# The driver.

class Smi:
    """nvidia-smi sampling power.draw and power.draw.instant every 10 ms."""

    def __init__(self, path):
        self.path = path
        self.proc = None
        if shutil.which("nvidia-smi"):
            self.f = open(path, "w")
            self.proc = subprocess.Popen(
                ["nvidia-smi", "-i", "0", "--query-gpu=timestamp,power.draw,power.draw.instant",
                 "--format=csv,noheader,nounits", "-lms", "10"], stdout=self.f, stderr=subprocess.DEVNULL)

    def stop(self):
        if not self.proc:
            return None
        cpu = proc_cpu_s(self.proc.pid)
        self.proc.terminate()
        self.proc.wait()
        self.f.close()
        return cpu



def smi_samples(lines):
    """(epoch s, power.draw W, power.draw.instant W) from nvidia-smi's CSV lines."""
    out = []
    for line in lines:
        p = [x.strip() for x in line.split(",")]
        if len(p) < 3:
            continue
        try:
            ts = time.mktime(time.strptime(p[0].split(".")[0], "%Y/%m/%d %H:%M:%S"))
            ts += float("0." + p[0].split(".")[1]) if "." in p[0] else 0
            out.append((ts, float(p[1]), float(p[2])))
        except ValueError:
            continue  # "[N/A]" or a torn last line
    return out


def proc_cpu_s(pid):
    try:
        f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError):
        return None


def integrate(samples, t0, t1, col):
    """Trapezoid integral (J) of column col over [t0, t1], and sample count."""
    pts = [(t, s[col]) for s in samples for t in [s[0]] if t0 <= t <= t1]
    before = [s for s in samples if s[0] < t0]
    after = [s for s in samples if s[0] > t1]
    if before:
        pts.insert(0, (t0, before[-1][col]))
    if after:
        pts.append((t1, after[0][col]))
    if len(pts) < 2:
        return None, len(pts)
    e = sum((b[0] - a[0]) * (a[1] + b[1]) / 2 for a, b in zip(pts, pts[1:]))
    return e, len(pts)


def gb_measure_window(gb, tmp, child, steps, short):
    go, done = os.path.join(tmp, "go"), os.path.join(tmp, "done")
    for p in (go, done):
        if os.path.exists(p):
            os.unlink(p)
        os.mkfifo(p)
    child.stdin.write(json.dumps({"tool": "gb-measure", "steps": steps, "short": short,
                                  "go": go, "done": done}) + "\n")
    child.stdin.flush()
    t = time.time()
    errf = tempfile.TemporaryFile(mode="w+")
    p = subprocess.Popen([gb, "measure", "--json", "--", "sh", "-c", 'echo go > "$0"; cat "$1" > /dev/null', go, done],
                         stdout=subprocess.PIPE, stderr=errf, text=True)
    out = p.stdout.read()
    _, _, ru = os.wait4(p.pid, 0)  # greenbench's own CPU time (and its sh)
    p.returncode = 0
    errf.seek(0)
    err = errf.read()
    rec = json.loads(child.stdout.readline())
    try:
        m = json.loads(out)
    except ValueError:
        rec["error"] = "greenbench measure: " + (err.strip().splitlines() or ["no output"])[-1]
        return rec
    en = m.get("energy", {})
    gpu = [v for k, v in en.items() if v.get("kind") == "gpu"]
    cpu = en.get("cpu", {})
    rec.update({"gpu_j": sum(v["joules"] for v in gpu) if gpu else None,
                "gpu_method": ",".join(sorted({v["method"] for v in gpu})) or None,
                "cpu_j": cpu.get("joules"), "cpu_method": cpu.get("method"),
                "tool_s": m.get("duration_s"), "unavailable": m.get("unavailable"), "verdict": m.get("verdict"),
                "tool_cpu_s": ru.ru_utime + ru.ru_stime,
                "sampler_cpu_s": m.get("meter", {}).get("sampler_cpu_s"),
                "tool_wall_s": time.time() - t})
    return rec


def drive(argv):
    import argparse

    ap = argparse.ArgumentParser(prog="peers.py drive")
    ap.add_argument("--out", required=True)
    ap.add_argument("--gb", default=os.environ.get("GREENBENCH", "greenbench"))
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--quick", action="store_true", help="short windows, one rep (a plumbing check)")
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--workloads", default="matmul:1:6,resnet50:1:2.5,resnet50:64:2.5,bert:1:2.5,bert:64:2.5,"
                                           "matmul:1:1,matmul:1:0.2")
    ap.add_argument("--reps", type=int, default=2)
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    tools = a.tools.split(",")
    reps = 1 if a.quick else a.reps
    smi = Smi(os.path.join(a.out, "smi.csv"))
    res = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "host": os.uname().nodename,
           "tools": {}, "windows": []}
    res["tools"] = tool_versions()
    if smi.proc:
        res["gpu"] = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                                    capture_output=True, text=True).stdout.strip()
        time.sleep(6)  # the idle baseline: samples before any workload starts
    res["idle_t"] = [time.time() - 5, time.time()]
    tmp = tempfile.mkdtemp()
    rng = random.Random(18)
    for spec in a.workloads.split(","):
        name, batch, secs = spec.split(":")
        secs = float(secs) / (4 if a.quick else 1)
        child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "work", name, batch, a.device],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        hello = json.loads(child.stdout.readline())
        steps = max(1, round(secs / hello["step_s"]))
        short = secs < 2
        order = [t for _ in range(reps) for t in tools]
        rng.shuffle(order)  # no tool always follows the same one
        for tool in order:
            time.sleep(0.5)  # the GPU back from the previous window
            if tool == "gb-measure":
                rec = gb_measure_window(a.gb, tmp, child, steps, short)
            else:
                child.stdin.write(json.dumps({"tool": tool, "steps": steps, "short": short}) + "\n")
                child.stdin.flush()
                rec = json.loads(child.stdout.readline())
            rec.update({"workload": name, "batch": int(batch), "target_s": secs})
            res["windows"].append(rec)
            print("%-8s b%-3s %-10s %s" % (name, batch, tool, rec.get("error") or "%.3f s" % rec["window_s"]),
                  file=sys.stderr, flush=True)
        child.stdin.write('{"quit": true}\n')
        child.stdin.close()
        child.wait()
    res["smi_cpu_s"] = smi.stop()
    res["smi_wall_s"] = time.time() - res["idle_t"][0]
    analyse(res, smi_samples(open(smi.path)) if smi.proc else [])
    json.dump(res, open(os.path.join(a.out, "peers.json"), "w"), indent=1)
    open(os.path.join(a.out, "peers.md"), "w").write(table(res))
    shutil.rmtree(tmp, ignore_errors=True)


def analyse(res, samples):
    """nvidia-smi's figures for every window: power.draw and
    power.draw.instant integrated over the window, the study's net of idle,
    and power.draw.instant over the tool's own interval (its reported
    duration, ending at the window's end: CodeCarbon's start() takes a
    second or more before its interval begins)."""
    res["smi_samples"] = len(samples)
    idle = [s for s in samples if res["idle_t"][0] <= s[0] <= res["idle_t"][1]]
    res["idle_w"] = statistics.mean(s[1] for s in idle) if idle else None
    for w in res["windows"]:
        if "t0" not in w or not samples:
            continue
        e, n = integrate(samples, w["t0"], w["t1"], 1)
        ei, _ = integrate(samples, w["t0"], w["t1"], 2)
        w["smi_avg_j"], w["smi_instant_j"], w["smi_n"] = e, ei, n
        if w.get("tool_s"):
            w["smi_instant_own_j"], _ = integrate(samples, max(w["t0"], w["t1"] - w["tool_s"]), w["t1"], 2)
        if e is not None and res["idle_w"] is not None:
            w["smi_study_net_j"] = e - res["idle_w"] * (w["t1"] - w["t0"])


def reanalyse(d):
    import gzip

    res = json.load(open(os.path.join(d, "peers.json")))
    gz = os.path.join(d, "smi.csv.gz")
    lines = gzip.open(gz, "rt") if os.path.exists(gz) else open(os.path.join(d, "smi.csv"))
    analyse(res, smi_samples(lines))
    json.dump(res, open(os.path.join(d, "peers.json"), "w"), indent=1)
    open(os.path.join(d, "peers.md"), "w").write(table(res))


def tool_versions():
    from importlib import metadata

    v = {}
    for d in ("zeus", "codecarbon", "optimum-benchmark", "torch", "nvidia-ml-py"):
        try:
            v[d] = metadata.version(d)
        except metadata.PackageNotFoundError:
            v[d] = None
    return v


# ---------------------------------------------------------------------------
# The table.

def pct(a, b):
    return "%+.2f%%" % (100 * (a - b) / b) if a is not None and b else "n/a"


def ms(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None, None
    return statistics.mean(xs), (statistics.stdev(xs) if len(xs) > 1 else 0.0)


def table(res):
    out = ["# greenbench beside Zeus, CodeCarbon and nvidia-smi: %s, %s" % (res.get("gpu", "no GPU"), res["date"]),
           "", "Tools: " + ", ".join("%s %s" % (k, v) for k, v in res["tools"].items()),
           "nvidia-smi: %s samples, %s s CPU over %.0f s; idle baseline %s W (power.draw)" % (
               res.get("smi_samples"), res.get("smi_cpu_s"), res.get("smi_wall_s", 0),
               "%.1f" % res["idle_w"] if res.get("idle_w") else "n/a"),
           "",
           "Per window (mean of reps): the tool's GPU energy against the NVML counter read at the window's "
           "edges and against nvidia-smi power.draw.instant integrated; the study's method (power.draw "
           "every 10 ms, integrated; net of idle); CPU energy and how the tool got it; the work's "
           "duration against no tool (slowdown) and the window's extra process CPU time.", "",
           "| workload | tool | n | window s | tool GPU J | vs counter | vs instant | vs instant, tool's interval | study power.draw (net) J | tool CPU J (method) | slowdown | extra CPU s | error |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    # Windows of the first H200 run (before fresh_tracker) whose CodeCarbon
    # tracker had run before: its totals were cumulative, so they are left
    # out, and counted.
    seen, dropped = set(), 0
    for w in res["windows"]:
        k = (w["workload"], w["batch"], w["target_s"], w["tool"])
        if w["tool"].startswith("cc-") and not w.get("fresh_tracker") and k in seen:
            w["reused_tracker"] = True
            dropped += 1
        seen.add(k)
    if dropped:
        out[-3:-3] = ["%d CodeCarbon windows left out: their tracker had run before, and its stop() "
                      "reported the totals of both windows (the harness now makes a tracker per window)." % dropped, ""]
    keys = []
    for w in res["windows"]:
        k = (w["workload"], w["batch"], w["target_s"])
        if k not in keys:
            keys.append(k)
    for k in keys:
        ws = [w for w in res["windows"] if (w["workload"], w["batch"], w["target_s"]) == k
              and not w.get("reused_tracker")]
        base = [w for w in ws if w["tool"] == "none" and "error" not in w]
        bwork, _ = ms([w["work_s"] for w in base])
        bcpu, _ = ms([w["cpu_s"] for w in base])
        for tool in TOOLS:
            t = [w for w in ws if w["tool"] == tool]
            if not t:
                continue
            ok = [w for w in t if "error" not in w]
            err = "; ".join(sorted({w["error"] for w in t if "error" in w}))
            if not ok:
                out.append("| %s b%d %.1fs | %s | %d | | | | | | | | | | %s |" % (k[0], k[1], k[2], tool, len(t), err))
                continue
            g, gsd = ms([w.get("gpu_j") for w in ok])
            ref, _ = ms([w.get("ref_counter_j") for w in ok])
            ins, _ = ms([w.get("smi_instant_j") for w in ok])
            own, _ = ms([w.get("smi_instant_own_j") for w in ok])
            avg, _ = ms([w.get("smi_avg_j") for w in ok])
            net, _ = ms([w.get("smi_study_net_j") for w in ok])
            cpu, _ = ms([w.get("cpu_j") for w in ok])
            meth = sorted({str(w.get("cpu_method")) for w in ok if w.get("cpu_method")})
            win, _ = ms([w["window_s"] for w in ok])
            work, _ = ms([w["work_s"] for w in ok])
            pcpu, _ = ms([w["cpu_s"] for w in ok])
            row = [
                "%s b%d %.1fs" % k, tool, str(len(ok)), "%.3f" % win,
                ("%.2f ± %.2f" % (g, gsd) if len(ok) > 1 else "%.2f" % g) if g is not None
                else ("(reference %.2f)" % ref if ref else "n/a"),
                pct(g, ref) if g is not None else "", pct(g if g is not None else ref, ins),
                pct(g, own) if g is not None and own else "",
                "%.2f (%.2f)" % (avg, net) if avg is not None else "n/a",
                "%.2f (%s)" % (cpu, ", ".join(meth)) if cpu is not None else ("none: " + ", ".join(meth) if meth else "n/a"),
                pct(work, bwork) if tool != "none" else "", "%+.3f" % (pcpu - bcpu) if tool != "none" and bcpu is not None else "",
                err]
            out.append("| " + " | ".join(row) + " |")
    out.append("")
    return "\n".join(out)


def ob_main(argv):
    """optimum-benchmark's inference scenario with its energy tracker, BERT-base
    seq 128 at batch 1 and 64 (random weights saved locally: no Hub here)."""
    out = argv[0]
    res = {"runs": []}
    try:
        from transformers import BertConfig, BertForSequenceClassification
        from optimum_benchmark import (Benchmark, BenchmarkConfig, InferenceConfig, ProcessConfig,
                                       PyTorchConfig)

        model_dir = os.path.join(tempfile.gettempdir(), "ob-bert")
        if not os.path.exists(os.path.join(model_dir, "config.json")):
            BertForSequenceClassification(BertConfig(num_labels=2)).save_pretrained(model_dir)
        res["version"] = tool_versions()["optimum-benchmark"]
    except Exception as e:
        res["error"] = "%s: %s" % (type(e).__name__, e)
        json.dump(res, open(out, "w"), indent=1)
        return
    for b in (1, 64):
        run = {"batch": b}
        try:
            cfg = BenchmarkConfig(
                name="bert-b%d" % b, launcher=ProcessConfig(device_isolation=False),
                scenario=InferenceConfig(latency=True, energy=True, memory=False, duration=3, iterations=10,
                                         warmup_runs=10, input_shapes={"batch_size": b, "sequence_length": 128}),
                backend=PyTorchConfig(model=model_dir, device="cuda", device_ids="0", no_weights=False,
                                      task="text-classification"))
            t = time.time()
            run["report"] = Benchmark.launch(cfg).to_dict()
            run["wall_s"] = time.time() - t
        except Exception as e:
            run["error"] = "%s: %s" % (type(e).__name__, e)
        res["runs"].append(run)
    json.dump(res, open(out, "w"), indent=1)


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    cmd, rest = sys.argv[1], sys.argv[2:]
    if cmd == "work":
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        work_main(rest)
    elif cmd == "drive":
        drive(rest)
    elif cmd == "ob":
        ob_main(rest)
    elif cmd == "reanalyse":
        reanalyse(rest[0])
    elif cmd == "table":
        res = json.load(open(os.path.join(rest[0], "peers.json")))
        sys.stdout.write(table(res))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
