"""greenbench ort-python worker: ONNX Runtime through its Python API.

The same ONNX file and execution provider as the C backend (runtime "ort"),
to measure what the client language costs. Protocol: docs/worker-protocol.md.

device: cpu | cuda | cuda:N | tensorrt (the provider must be in this
onnxruntime build); io=device binds inputs once with IO binding (on cpu it
is the same as host). Options other than the harness's go to the provider
as provider options, e.g. cudnn_conv_algo_search=EXHAUSTIVE.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gbworker  # noqa: E402
from gbworker import WorkerError  # noqa: E402

# ONNX type strings -> protocol dtype names.
ORT_TYPES = {
    "tensor(float)": "float32", "tensor(float16)": "float16", "tensor(double)": "float64",
    "tensor(int64)": "int64", "tensor(int32)": "int32", "tensor(int8)": "int8",
    "tensor(uint8)": "uint8", "tensor(bool)": "bool", "tensor(bfloat16)": "bfloat16",
}
# greenbench device names -> ONNX Runtime provider names. The source of truth
# is the C side's list, GB_ORT_PROVIDERS in src/runtime/ort_providers.h (it
# also gives the ort-python row its EP list, against which plans are
# validated); keep this mapping equal to it.
PROVIDERS = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider",
             "tensorrt": "TensorrtExecutionProvider"}


def describe(args):
    out = []
    for a in args:
        shape, params = [], []
        for d in a.shape:
            if isinstance(d, int) and d >= 0:
                shape.append(d)
                params.append("")
            else:
                shape.append(-1)
                params.append(d if isinstance(d, str) else "")
        dtype = ORT_TYPES.get(a.type)
        if dtype is None:
            raise WorkerError("tensor '%s' has type %s, which greenbench does not handle" % (a.name, a.type))
        out.append({"name": a.name, "dtype": dtype, "shape": shape, "dim_params": params})
    return out


class Ort(gbworker.Backend):
    name = "ort-python"
    requires = ("onnxruntime", "numpy")

    def __init__(self):
        import onnxruntime

        self.ort = onnxruntime
        self.sess = None
        self.last = None

    def version(self):
        return self.ort.__version__

    def load(self, req):
        ort = self.ort
        path = req.get("model", "")
        if not os.path.exists(path):
            raise WorkerError("cannot open model '%s': No such file or directory" % path)
        dev = req.get("device") or "cpu"
        kind, _, index = dev.partition(":")
        device_id = int(index) if index else int(req.get("device_id", 0))
        provider = PROVIDERS.get(kind)
        if provider is None:
            raise WorkerError("device '%s': expected cpu, cuda[:N] or tensorrt" % dev)
        available = ort.get_available_providers()
        if provider not in available:
            raise WorkerError("this onnxruntime (%s) has no %s (it has %s)"
                              % (ort.__version__, provider, ", ".join(available)))
        so = ort.SessionOptions()
        if req.get("intra_op_threads", 0) > 0:
            so.intra_op_num_threads = int(req["intra_op_threads"])
        if req.get("inter_op_threads", 0) > 0:
            so.inter_op_num_threads = int(req["inter_op_threads"])
        levels = {0: "ORT_DISABLE_ALL", 1: "ORT_ENABLE_BASIC", 2: "ORT_ENABLE_EXTENDED", 99: "ORT_ENABLE_ALL"}
        level = int(req.get("graph_opt_level", -1))
        if level != -1:
            if level not in levels:
                raise WorkerError("graph_opt_level %d: expected 0, 1, 2 or 99" % level)
            so.graph_optimization_level = getattr(ort.GraphOptimizationLevel, levels[level])
        popts = dict(req.get("options", {}))
        if kind != "cpu":
            popts.setdefault("device_id", str(device_id))
        providers = [(provider, popts)] if provider != "CPUExecutionProvider" or popts else [provider]
        if provider != "CPUExecutionProvider":
            providers.append("CPUExecutionProvider")
        try:
            self.sess = ort.InferenceSession(path, sess_options=so, providers=providers)
        except Exception as e:
            raise WorkerError("cannot load '%s': %s" % (path, e))
        self.kind = kind
        self.device_id = device_id
        self.io = req.get("io", "host")
        self.out_names = [o.name for o in self.sess.get_outputs()]
        meta = {"onnxruntime_version": ort.__version__, "providers": ",".join(self.sess.get_providers()),
                "device": dev, "io": self.io, "python_version": sys.version.split()[0]}
        for k, v in popts.items():
            meta["ep_option." + k] = v
        return describe(self.sess.get_inputs()), describe(self.sess.get_outputs()), meta

    def set_inputs(self, arrays):
        if self.sess is None:
            raise WorkerError("inputs before load")
        want = sorted(i.name for i in self.sess.get_inputs())
        if sorted(n for n, _ in arrays) != want:
            raise WorkerError("inputs %s do not match the model's %s" % ([n for n, _ in arrays], want))
        self.feeds = {n: a for n, a in arrays}
        self.binding = None
        if self.io == "device" and self.kind != "cpu":
            # Inputs placed on the device once; outputs stay there too.
            ort = self.ort
            b = self.sess.io_binding()
            for n, a in arrays:
                b.bind_ortvalue_input(n, ort.OrtValue.ortvalue_from_numpy(a, "cuda", self.device_id))
            for n in self.out_names:
                b.bind_output(n, "cuda", self.device_id)
            self.binding = b

    def run_one(self):
        if self.binding is not None:
            self.sess.run_with_iobinding(self.binding)
            self.last = None
        else:
            self.last = self.sess.run(self.out_names, self.feeds)

    def run(self, n, duration_ns):
        if getattr(self, "feeds", None) is None:
            raise WorkerError("run before inputs")
        return super().run(n, duration_ns)

    def outputs(self):
        if self.binding is not None:
            return list(zip(self.out_names, self.binding.copy_outputs_to_cpu()))
        if self.last is None:
            raise WorkerError("no batch has run yet")
        return list(zip(self.out_names, self.last))


if __name__ == "__main__":
    gbworker.serve(Ort)
