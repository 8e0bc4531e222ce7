"""Scripted fake worker for the protocol fault tests (tests/test_worker.c)
and the overhead benchmark. argv[1] picks the behaviour; argv[2] is
workers/ (for gbworker). Sleeps here are the scripted behaviour under
test (a slow or hung worker), never synchronisation.

  ok          one input "x" (float32 [batch, 4]); output "y" = 2 * x
  noise       as ok, but prints 256 KiB to stdout and stderr on load and run
  hang-run    never answers "run"
  spin-run    spins at 100% CPU on "run", never answering (like a long torch op)
  crash-run   prints 30 lines to stderr, then SIGSEGV on "run"
  exit-run    exit status 7 on "run"
  garbage-run answers "run" with a line that is not JSON
  badtimes-run answers "run" with t_end_ns < t_start_ns
  slow-start  sleeps 2 s before serving
  no-hello    exits before answering hello
  protocol-99 answers hello with protocol 99
  fail-load   answers load with {"ok": false}
  --probe     the harness's probe (as a runtime row's worker): exit 0
"""
import os
import signal
import struct
import sys
import time

sys.path.insert(0, sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "..", "workers"))
import gbworker  # noqa: E402

MODE = sys.argv[1] if len(sys.argv) > 1 else "ok"


def noise():
    chunk = ("noise " * 170 + "\n") * 256  # 256 KiB
    sys.stdout.write(chunk)
    sys.stdout.flush()
    sys.stderr.write(chunk)
    sys.stderr.flush()


class OutOfMemoryError(RuntimeError):
    """Named as torch's (torch.OutOfMemoryError), which this fake does not import."""


class Fake(gbworker.Backend):
    name = "fake"

    def version(self):
        return "1.0"

    def load(self, req):
        if MODE == "fail-load":
            raise gbworker.WorkerError("cannot open model '%s': no such model" % req["model"])
        if MODE == "invalid-load":
            raise gbworker.WorkerError("answer=%s: not a number" % req["options"].get("answer"), "invalid")
        if MODE == "noise":
            noise()
        self.opts = req
        self.x = b""
        self.shape = [0, 4]
        desc = {"name": "x", "dtype": "float32", "shape": [-1, 4], "dim_params": ["batch", ""]}
        out = {"name": "y", "dtype": "float32", "shape": [-1, 4], "dim_params": ["batch", ""]}
        meta = {"model": req["model"], "device": req["device"], "seed": req["seed"],
                "options": ",".join("%s=%s" % kv for kv in sorted(req["options"].items()))}
        return [desc], [out], meta

    def set_inputs(self, arrays):
        # Raw bytes, so this fake needs no numpy.
        raise AssertionError("replaced by op_inputs below")

    def run_one(self):
        if MODE == "oom-run":
            # as a framework's own out-of-memory error arrives: not a WorkerError
            raise OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")


class FakeServer(gbworker._Server):
    def op_hello(self, req):
        if MODE == "no-hello":
            sys.stderr.write("fake: giving up before hello\n")
            sys.stderr.flush()
            os._exit(3)
        reply = super().op_hello(req)
        if MODE == "protocol-99":
            reply["protocol"] = 99
        return reply

    def op_inputs(self, req):
        def inputs():
            t = req["tensors"][0]
            with open(os.path.join(self.dir, t["file"]), "rb") as f:
                self.b.x = f.read()
            self.b.shape = t["shape"]
        return self.phase(inputs)

    def op_run(self, req):
        if MODE == "hang-run":
            while True:
                time.sleep(3600)
        if MODE == "spin-run":
            while True:
                pass
        if MODE == "crash-run":
            for i in range(30):
                sys.stderr.write("fake stderr line %d\n" % i)
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGSEGV)
        if MODE == "exit-run":
            sys.stderr.write("fake: fatal error in run\n")
            sys.stderr.flush()
            os._exit(7)
        if MODE == "garbage-run":
            os.write(gbworker.REP_FD, b"this is not json\n")
            return None
        if MODE == "noise":
            noise()
        reply = super().op_run(req)
        if MODE == "badtimes-run":
            reply["t_end_ns"] = reply["t_start_ns"] - 1
        return reply

    def op_outputs(self, req):
        def outputs():
            n = len(self.b.x) // 4
            vals = struct.unpack("<%df" % n, self.b.x)
            with open(os.path.join(self.dir, "out-0.bin"), "wb") as f:
                f.write(struct.pack("<%df" % n, *[2 * v for v in vals]))
            return {"outputs": [{"name": "y", "dtype": "float32", "shape": self.b.shape, "file": "out-0.bin"}]}
        return self.phase(outputs)

    def send(self, obj):
        if obj is not None:
            super().send(obj)


# Started as a runtime row (tests/test_worker.c), the harness probes first.
if MODE == "--probe":
    sys.exit(gbworker.probe(Fake))
if MODE == "slow-start":
    time.sleep(2)
sys.exit(FakeServer(Fake()).serve())
