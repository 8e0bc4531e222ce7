"""greenbench worker protocol, Python side (docs/worker-protocol.md).

A framework worker subclasses Backend and calls serve(Backend). This module
owns the wire: JSON lines read from fd 3 and written to fd 4 (one Unix
socket), phase clocks (time.monotonic_ns, which is CLOCK_MONOTONIC on
Linux, the harness's clock) and CPU times (getrusage of this process plus
its reaped children). Whatever the framework prints on stdout or stderr
goes to the harness's log capture and never touches the protocol.

Only the standard library is imported here, so `--probe` stays cheap.
"""
import importlib.util
import json
import os
import resource
import sys
import time
import traceback

PROTOCOL = 1
REQ_FD = 3
REP_FD = 4

# Protocol dtype names -> numpy dtype names (bfloat16 has no numpy dtype).
NUMPY_DTYPES = {
    "float32": "float32", "float16": "float16", "float64": "float64",
    "int64": "int64", "int32": "int32", "int8": "int8", "uint8": "uint8",
    "bool": "bool",
}


class WorkerError(Exception):
    """A failure to report as {"ok": false, "error": message}, with "kind"
    when it says more: "invalid" (the request's values cannot be taken:
    the same request fails the same in a fresh worker), "oom"."""

    def __init__(self, message, kind=None):
        super().__init__(message)
        self.kind = kind


def error_kind(e):
    """"oom" when a framework ran out of memory (host or device), else None.
    The frameworks' types are matched by name: none of them is imported
    here, and each has its own (torch.OutOfMemoryError, TensorFlow's
    ResourceExhaustedError, XLA's RESOURCE_EXHAUSTED status)."""
    names = {c.__name__ for c in type(e).__mro__}
    if isinstance(e, MemoryError) or names & {"OutOfMemoryError", "ResourceExhaustedError"}:
        return "oom"
    if "XlaRuntimeError" in names and str(e).startswith("RESOURCE_EXHAUSTED"):
        return "oom"
    return None


def cpu_times_ns():
    """(user, system) CPU ns of this process and its reaped children."""
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (int((s.ru_utime + c.ru_utime) * 1e9), int((s.ru_stime + c.ru_stime) * 1e9))


def read_tensor(directory, t):
    """Load a tensor file named by an "inputs" request as a numpy array."""
    import numpy as np

    name = NUMPY_DTYPES.get(t["dtype"])
    if name is None:
        raise WorkerError("input '%s': dtype %s is not supported here" % (t["name"], t["dtype"]))
    arr = np.fromfile(os.path.join(directory, t["file"]), dtype=name)
    shape = tuple(int(d) for d in t["shape"])
    count = 1
    for d in shape:
        count *= d
    if arr.size != count:
        raise WorkerError("input '%s': file holds %d values, shape %s needs %d"
                          % (t["name"], arr.size, list(shape), count))
    return arr.reshape(shape)


def write_tensor(directory, index, name, arr):
    """Write a numpy array for an "outputs" reply; returns its description."""
    import numpy as np

    arr = np.ascontiguousarray(arr)
    dtype = str(arr.dtype)
    if dtype not in NUMPY_DTYPES:
        arr = arr.astype("float32")
        dtype = "float32"
    fname = "out-%d.bin" % index
    arr.tofile(os.path.join(directory, fname))
    return {"name": name, "dtype": dtype, "shape": list(arr.shape), "file": fname}


def version_tuple(text):
    """The leading numbers of a version string as a tuple of ints:
    "2.1.0+cu121" -> (2, 1, 0), "1.13.0a0" -> (1, 13, 0). Compare tuples,
    never the strings ("10.0" < "2" as text)."""
    nums = []
    for part in str(text).split("+")[0].split("."):
        digits = ""
        for ch in part:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        nums.append(int(digits))
        if len(digits) < len(part):
            break  # "0a0": a pre-release tag ends the numbers
    return tuple(nums)


def version_at_least(text, minimum):
    """True when version text is minimum (a tuple) or newer."""
    v = version_tuple(text)
    return v + (0,) * (len(minimum) - len(v)) >= tuple(minimum)


def parse_bool(key, value):
    v = str(value).lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off", ""):
        return False
    raise WorkerError("option %s=%s: expected true or false" % (key, value))


def check_inputs(desc, arrays, vocab=0):
    """The arrays of an "inputs" request in the model's order, checked
    against its tensor descriptions (names, dtypes, shapes; -1 takes any
    size) and, where vocab is given, token ids in [0, vocab)."""
    want = [d["name"] for d in desc]
    got = [n for n, _ in arrays]
    if sorted(got) != sorted(want):
        raise WorkerError("inputs %s do not match the model's %s" % (got, want))
    byname = dict(arrays)
    ordered = []
    for d in desc:
        a = byname[d["name"]]
        if str(a.dtype) != d["dtype"]:
            raise WorkerError("input '%s' is %s, the model takes %s" % (d["name"], a.dtype, d["dtype"]))
        if len(a.shape) != len(d["shape"]) or any(w not in (-1, g) for w, g in zip(d["shape"], a.shape)):
            raise WorkerError("input '%s' has shape %s, the model takes %s"
                              % (d["name"], list(a.shape), d["shape"]))
        if vocab and d["name"] == "input_ids" and a.size and (a.min() < 0 or a.max() >= vocab):
            raise WorkerError("input 'input_ids' has token ids outside [0, %d)" % vocab)
        ordered.append(a)
    return ordered


def image_io(layout="nchw", name="input"):
    """Descriptions of an ImageNet classifier's input (224x224 RGB, float32)
    and its 1000 logits, with a dynamic batch."""
    shape = [-1, 3, 224, 224] if layout == "nchw" else [-1, 224, 224, 3]
    return ([{"name": name, "dtype": "float32", "shape": shape, "dim_params": ["batch", "", "", ""]}],
            [{"name": "output", "dtype": "float32", "shape": [-1, 1000], "dim_params": ["batch", ""]}])


BERT_MODELS = ("bert-base", "bert-base-uncased", "bert")
BERT_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# bert-base-uncased's standard configuration, the one every worker builds.
BERT_BASE = {"vocab_size": 30522, "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
             "intermediate_size": 3072, "max_position_embeddings": 512, "type_vocab_size": 2}


def bert_io(seq, num_labels):
    """Descriptions of a BERT sequence classifier's inputs and logits; seq
    None: a symbolic "seq" dimension (the harness's --dim seq=N)."""
    dims = [-1, seq] if seq else [-1, -1]
    params = ["batch", ""] if seq else ["batch", "seq"]
    ins = [{"name": n, "dtype": "int64", "shape": dims, "dim_params": params} for n in BERT_INPUTS]
    outs = [{"name": "logits", "dtype": "float32", "shape": [-1, num_labels], "dim_params": ["batch", ""]}]
    return ins, outs


def parse_device(req, name):
    """("cpu", 0) or ("cuda", N) from a load request's device and device_id."""
    dev = req.get("device") or "cpu"
    if dev == "cpu":
        return "cpu", 0
    if dev == "cuda":
        return "cuda", int(req.get("device_id", 0))
    if dev.startswith("cuda:") and dev[5:].isdigit():
        return "cuda", int(dev[5:])
    raise WorkerError("device '%s': the %s worker runs on cpu or cuda:N" % (dev, name))


def parse_options(name, opts, defaults):
    """The load request's options over defaults; unknown keys are errors."""
    unknown = sorted(set(opts) - set(defaults))
    if unknown:
        raise WorkerError("unknown %s option '%s' (known: %s)" % (name, unknown[0], ", ".join(sorted(defaults))))
    o = dict(defaults)
    o.update(opts)
    return o


def choice(key, value, allowed):
    if value not in allowed:
        raise WorkerError("%s=%s: expected %s" % (key, value, " or ".join(allowed)))
    return value


def rename_io(proto, in_names, out_names):
    """Name a converted graph's inputs and outputs as the worker does and
    call its first dynamic dimension "batch"."""
    g = proto.graph
    renames = {}
    for vi, name in list(zip(g.input, in_names)) + list(zip(g.output, out_names)):
        if vi.name != name:
            renames[vi.name] = name
            vi.name = name
        dims = vi.type.tensor_type.shape.dim
        if dims and not dims[0].HasField("dim_value"):
            dims[0].dim_param = "batch"
    for node in g.node:
        for i, n in enumerate(node.input):
            if n in renames:
                node.input[i] = renames[n]
        for i, n in enumerate(node.output):
            if n in renames:
                node.output[i] = renames[n]


def save_onnx(proto, path):
    """Check a converted ONNX model and write it whole or not at all: to a
    temporary file beside path, renamed over it only once complete."""
    import onnx

    try:
        onnx.checker.check_model(proto)
    except Exception as e:
        raise WorkerError("the converted model fails onnx.checker: %s" % str(e).split("\n")[0])
    tmp = "%s.tmp-%d" % (path, os.getpid())
    try:
        with open(tmp, "wb") as f:
            f.write(proto.SerializeToString())
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise WorkerError("cannot write '%s': %s" % (path, e.strerror))


def dist_version(*names):
    """The version of the first installed distribution of names, from its
    metadata (no import), else ""."""
    from importlib import metadata

    for n in names:
        try:
            return metadata.version(n)
        except metadata.PackageNotFoundError:
            continue
    return ""


class Backend:
    """What a framework worker implements. Each method may raise WorkerError."""

    name = "backend"
    requires = ()  # modules --probe checks for, without importing them
    host = None  # the bound inputs (set_inputs); None before
    last = None  # the last batch's output (run_one); None before the first
    outputs_desc = None  # the model's output descriptions (load)

    @classmethod
    def probe_info(cls):
        """What `devices` shows once requires are found: {"version",
        "devices": [...], "note"}, from package metadata, importing nothing
        heavy."""
        return {}

    def version(self):
        return ""

    def load(self, req):
        """Build the session. Returns (inputs, outputs, metadata): tensor
        descriptions {"name", "dtype", "shape", "dim_params"} and a dict."""
        raise NotImplementedError

    def set_inputs(self, arrays):
        """arrays: list of (name, numpy array) in the harness's order."""
        raise NotImplementedError

    def run_one(self):
        """Run one batch on the bound inputs, synchronised."""
        raise NotImplementedError

    def run(self, n, duration_ns):
        """Per-batch latencies; override only to batch the clock reads."""
        lat = []
        clock = time.monotonic_ns
        run_one = self.run_one
        if n:
            for _ in range(n):
                t0 = clock()
                run_one()
                lat.append(clock() - t0)
        else:
            end = clock() + duration_ns
            while True:
                t0 = clock()
                run_one()
                t1 = clock()
                lat.append(t1 - t0)
                if t1 >= end:
                    break
        return lat

    def bound_inputs(self):
        """self.host, the inputs set_inputs bound; an error before."""
        if self.host is None:
            raise WorkerError("run before inputs")
        return self.host

    def last_output(self):
        """The last batch's output; an error before the first batch."""
        if self.last is None:
            raise WorkerError("no batch has run yet")
        return self.last

    def outputs(self):
        """List of (name, numpy array) of the last batch: by default the
        first output, self.last, as float32."""
        import numpy as np

        if not self.outputs_desc:
            raise WorkerError("%s worker keeps no outputs" % self.name)
        return [(self.outputs_desc[0]["name"], np.asarray(self.last_output(), dtype="float32"))]

    def convert(self, path, opset):
        raise WorkerError("%s worker cannot convert models" % self.name)

    def configure(self, options, io):
        """New option values for the loaded model (all of them, as a load
        request's "options", and its "io"): change what may change on a
        loaded model so that it behaves as if loaded with them, or raise
        WorkerError and keep the earlier settings. Returns the metadata (a
        dict)."""
        raise WorkerError("the %s worker cannot change the options of a loaded model" % self.name)


def probe(backend_cls):
    for mod in backend_cls.requires:
        if importlib.util.find_spec(mod) is None:
            # Exit 3 + the module name: the harness says "<python> has no module X".
            sys.stderr.write("%s\n" % mod)
            return 3
    # One JSON line last: the facts `devices` shows.
    sys.stdout.write(json.dumps(backend_cls.probe_info(), separators=(",", ":")) + "\n")
    return 0


class _Server:
    def __init__(self, backend):
        self.b = backend
        self.dir = ""
        self.inp = os.fdopen(REQ_FD, "rb", buffering=65536)

    def send(self, obj):
        data = (json.dumps(obj, separators=(",", ":")) + "\n").encode()
        view = memoryview(data)
        while view:
            k = os.write(REP_FD, view)
            view = view[k:]

    def phase(self, fn, *args):
        u0, s0 = cpu_times_ns()
        t0 = time.monotonic_ns()
        reply = fn(*args) or {}
        t1 = time.monotonic_ns()
        u1, s1 = cpu_times_ns()
        reply.update(ok=True, t_start_ns=t0, t_end_ns=t1, cpu_ns=[u0, s0, u1, s1])
        return reply

    def op_hello(self, req):
        if req.get("protocol") != PROTOCOL:
            raise WorkerError("greenbench speaks protocol %s, this worker %d"
                              % (req.get("protocol"), PROTOCOL))
        self.dir = req.get("dir", "")
        return {"ok": True, "protocol": PROTOCOL, "worker": self.b.name,
                "version": self.b.version(), "pid": os.getpid()}

    def op_load(self, req):
        def load():
            inputs, outputs, meta = self.b.load(req)
            return {"inputs": inputs, "outputs": outputs, "metadata": meta}
        return self.phase(load)

    def op_inputs(self, req):
        def inputs():
            arrays = [(t["name"], read_tensor(self.dir, t)) for t in req["tensors"]]
            self.b.set_inputs(arrays)
        return self.phase(inputs)

    def op_run(self, req):
        n = int(req.get("n", 0))
        dur = int(req.get("duration_ns", 0))
        if (n > 0) == (dur > 0):
            raise WorkerError("run needs n or duration_ns")
        u0, s0 = cpu_times_ns()
        t0 = time.monotonic_ns()
        lat = self.b.run(n, dur)
        t1 = time.monotonic_ns()
        u1, s1 = cpu_times_ns()
        reply = {"ok": True, "t_start_ns": t0, "t_end_ns": t1, "cpu_ns": [u0, s0, u1, s1], "n": len(lat)}
        if req.get("latencies", True):
            reply["lat_ns"] = lat
        return reply

    def op_outputs(self, req):
        def outputs():
            return {"outputs": [write_tensor(self.dir, i, name, arr)
                                for i, (name, arr) in enumerate(self.b.outputs())]}
        return self.phase(outputs)

    def op_configure(self, req):
        def configure():
            return {"metadata": self.b.configure(dict(req.get("options", {})), req.get("io", "host"))}
        return self.phase(configure)

    def op_convert(self, req):
        return self.phase(self.b.convert, req["path"], int(req.get("opset", 17)))

    def serve(self):
        while True:
            line = self.inp.readline()
            if not line:
                return 0  # the harness went away
            try:
                req = json.loads(line)
                op = req.get("op")
                if op == "shutdown":
                    self.send({"ok": True})
                    # Skip the interpreter's teardown: TensorFlow's takes
                    # seconds (past the harness's 2 s wait) and frees
                    # nothing the exit does not.
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(0)
                handler = getattr(self, "op_" + str(op), None)
                if handler is None:
                    raise WorkerError("unknown request '%s'" % op)
                reply = handler(req)
            except WorkerError as e:
                reply = {"ok": False, "error": str(e)}
                if e.kind:
                    reply["kind"] = e.kind
            except Exception as e:  # the framework's own failure: report, stay up
                traceback.print_exc()
                reply = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
                if error_kind(e):
                    reply["kind"] = error_kind(e)
            self.send(reply)


def serve(backend_cls):
    """Entry point of a worker script: `--probe`, or serve the protocol."""
    if "--probe" in sys.argv[1:]:
        sys.exit(probe(backend_cls))
    try:
        os.fstat(REQ_FD)
        os.fstat(REP_FD)
    except OSError:
        sys.stderr.write("%s: run me from greenbench (protocol on fds 3 and 4)\n" % sys.argv[0])
        sys.exit(2)
    sys.exit(_Server(backend_cls()).serve())
