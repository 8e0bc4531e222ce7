"""greenbench torch worker: PyTorch as its users run it, from Python.

Models: torchvision resnet50 / mobilenet_v2, Hugging Face
BertForSequenceClassification (bert-base: random init from the standard
configuration, or weights=FILE.safetensors), or a TorchScript (.pt, .ts,
.pth) / torch.export (.pt2) file. Runs on Debian's PyTorch 1.13 (CPU) and
on PyTorch 2.x; torch.compile and CUDA graphs only where they exist, with a
clear error otherwise. Protocol: docs/worker-protocol.md (gbworker.py).

Options (recorded with each run): dtype=fp32|fp16|bf16 (fp16/bf16 through
autocast), channels_last=0|1, compile=none|default|reduce-overhead|
max-autotune|max-autotune-no-cudagraphs, cuda_graphs=0|1, weights=FILE,
seq=N (BERT sequence length, 128), num_labels=N (BERT, 2),
input_shape=CxHxW and input_dtype (TorchScript / export files).
dtype, channels_last and cuda_graphs may change on a loaded, uncompiled
model (the `configure` request).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gbworker  # noqa: E402
from gbworker import BERT_MODELS, WorkerError, image_io, parse_bool, version_at_least  # noqa: E402

OPTIONS = ("dtype", "channels_last", "compile", "cuda_graphs", "weights", "seq", "num_labels",
           "input_shape", "input_dtype")
COMPILE_MODES = ("none", "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
IMAGE_MODELS = {"resnet50": "resnet50", "mobilenetv2": "mobilenet_v2", "mobilenet_v2": "mobilenet_v2"}


class Torch(gbworker.Backend):
    name = "torch"
    requires = ("torch", "numpy")

    def __init__(self):
        import torch  # at hello: import time is start-up, not load

        self.torch = torch
        self.model = None
        self.graph = None
        self.last = None

    def version(self):
        return self.torch.__version__

    @classmethod
    def probe_info(cls):
        v = gbworker.dist_version("torch")
        # A local version names the build ("+cu130"); PyPI's CUDA wheels
        # have none but bring NVIDIA's runtime; Debian's is CPU-only.
        local = v.split("+")[1] if "+" in v else ""
        cuda = local.startswith("cu") or (not local and bool(gbworker.dist_version(
            "nvidia-cuda-runtime-cu12", "nvidia-cuda-runtime-cu13", "nvidia-cuda-runtime")))
        return {"version": v, "devices": ["cpu", "cuda"] if cuda else ["cpu"]}

    # ---- load ---------------------------------------------------------------

    def parse_options(self, req):
        opts = dict(req.get("options", {}))
        unknown = sorted(set(opts) - set(OPTIONS))
        if unknown:
            raise WorkerError("unknown torch option '%s' (known: %s)" % (unknown[0], ", ".join(OPTIONS)))
        o = {
            "dtype": opts.get("dtype", "fp32"),
            "channels_last": parse_bool("channels_last", opts.get("channels_last", "0")),
            "compile": opts.get("compile", "none"),
            "cuda_graphs": parse_bool("cuda_graphs", opts.get("cuda_graphs", "0")),
            "weights": opts.get("weights", ""),
            "seq": int(opts.get("seq", "128")),
            "num_labels": int(opts.get("num_labels", "2")),
            "input_shape": opts.get("input_shape", ""),
            "input_dtype": opts.get("input_dtype", "float32"),
        }
        if o["dtype"] not in ("fp32", "fp16", "bf16"):
            raise WorkerError("dtype %s: expected fp32, fp16 or bf16" % o["dtype"])
        if o["compile"] not in COMPILE_MODES:
            raise WorkerError("compile=%s: expected one of %s" % (o["compile"], ", ".join(COMPILE_MODES)))
        return o

    def parse_device(self, req):
        torch = self.torch
        kind, index = gbworker.parse_device(req, "torch")
        dev = "cpu" if kind == "cpu" else "cuda:%d" % index
        if kind == "cuda":
            if not torch.cuda.is_available():
                raise WorkerError("device %s: this PyTorch (%s) sees no CUDA device" % (dev, torch.__version__))
            if index >= torch.cuda.device_count():
                raise WorkerError("device %s: only %d CUDA devices" % (dev, torch.cuda.device_count()))
        return torch.device(dev)

    def build_bert(self, o):
        try:
            from transformers import BertConfig, BertForSequenceClassification
        except ImportError:
            raise WorkerError("bert-base needs the Python module transformers, which is not installed")
        # bert-base-uncased's standard configuration.
        cfg = BertConfig(num_labels=o["num_labels"], **gbworker.BERT_BASE)
        if hasattr(cfg, "return_dict"):
            cfg.return_dict = False  # plain tuples: traceable, exportable
        self.vocab = cfg.vocab_size
        model = BertForSequenceClassification(cfg)
        ins, outs = gbworker.bert_io(o["seq"], o["num_labels"])
        return model, ins, outs

    def load_weights(self, model, path):
        torch = self.torch
        if not os.path.exists(path):
            raise WorkerError("cannot open weights '%s': No such file or directory" % path)
        if path.endswith(".safetensors"):
            try:
                from safetensors.torch import load_file
            except ImportError:
                raise WorkerError("weights '%s' need the Python module safetensors, which is not installed" % path)
            state = load_file(path)
        else:
            state = self.load_pickled_weights(path)
        missing, unexpected = model.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise WorkerError("weights '%s' do not fit the model: %d missing, %d unexpected (e.g. %s)"
                              % (path, len(missing), len(unexpected), (list(missing) + list(unexpected))[0]))

    def load_pickled_weights(self, path):
        """A torch.save'd state_dict, unpickled with weights_only=True: a
        pickle can name any callable, and a plain torch.load would run it.
        Only tensors and plain containers of them are accepted."""
        torch = self.torch
        if not version_at_least(torch.__version__, (1, 13)):
            raise WorkerError("weights '%s': PyTorch %s cannot load pickled weights safely (weights_only "
                              "needs 1.13 or newer); use a .safetensors file" % (path, torch.__version__))
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:
            # Keep torch's reason ("Unsupported class posix.system"), not its
            # advice to load the file unsafely.
            why = str(e).split("WeightsUnpickler error:")[-1].strip() or type(e).__name__
            raise WorkerError("weights '%s' refused: the file holds more than tensors (%s); greenbench "
                              "loads pickled weights with weights_only=True, so its code never runs"
                              % (path, why))
        if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
            raise WorkerError("weights '%s' refused: not a state_dict (a mapping of names to tensors)" % path)
        return state

    def load_file_model(self, path, o):
        torch = self.torch
        if not os.path.exists(path):
            raise WorkerError("cannot open model '%s': No such file or directory" % path)
        if path.endswith(".pt2"):
            if not hasattr(torch, "export") or not hasattr(torch.export, "load"):
                raise WorkerError("'%s' is a torch.export file; PyTorch %s cannot load it (needs 2.1 or newer)"
                                  % (path, torch.__version__))
            model = torch.export.load(path).module()
        else:
            try:
                model = torch.jit.load(path, map_location="cpu")
            except Exception as e:
                raise WorkerError("cannot load '%s' as TorchScript: %s" % (path, e))
        if not o["input_shape"]:
            raise WorkerError("a model file needs the option input_shape (e.g. input_shape=3x224x224; "
                              "the batch dimension comes first and is added)")
        try:
            shape = [int(d) for d in o["input_shape"].lower().split("x")]
        except ValueError:
            raise WorkerError("input_shape=%s: expected sizes joined by x, e.g. 3x224x224" % o["input_shape"])
        ins = [{"name": "input", "dtype": o["input_dtype"], "shape": [-1] + shape,
                "dim_params": ["batch"] + [""] * len(shape)}]
        return model, ins, None

    def load(self, req):
        torch = self.torch
        o = self.parse_options(req)
        self.o = o
        self.device = self.parse_device(req)
        self.cuda = self.device.type == "cuda"
        self.io = req.get("io", "host")
        if req.get("intra_op_threads", 0) > 0:
            torch.set_num_threads(int(req["intra_op_threads"]))
        if req.get("inter_op_threads", 0) > 0:
            try:
                torch.set_num_interop_threads(int(req["inter_op_threads"]))
            except RuntimeError as e:
                raise WorkerError("inter_op_threads: %s" % e)
        # Random weights are a function of the seed alone.
        torch.manual_seed(int(req.get("seed", 0)))
        spec = req.get("model", "")
        self.kind = "image"
        if spec in IMAGE_MODELS:
            import torchvision
            model = getattr(torchvision.models, IMAGE_MODELS[spec])()
            ins, outs = image_io()
        elif spec in BERT_MODELS:
            model, ins, outs = self.build_bert(o)
            self.kind = "bert"
        elif os.path.sep in spec or "." in spec:
            model, ins, outs = self.load_file_model(spec, o)
            self.kind = "file"
        else:
            raise WorkerError("unknown model '%s' (resnet50, mobilenetv2, bert-base, or a .pt/.pt2 file)" % spec)
        if o["weights"]:
            self.load_weights(model, o["weights"])
        model.eval()
        if o["channels_last"]:
            if self.kind == "bert":
                raise WorkerError("channels_last applies to image models, not %s" % spec, "invalid")
            model = model.to(memory_format=torch.channels_last)
        model = model.to(self.device)
        self.autocast = self.autocast_of(o)
        self.eager = model
        if o["compile"] != "none":
            if not hasattr(torch, "compile"):
                raise WorkerError("compile=%s needs torch.compile (PyTorch 2.0 or newer; this is %s)"
                                  % (o["compile"], torch.__version__))
            model = torch.compile(model) if o["compile"] == "default" else torch.compile(model, mode=o["compile"])
        self.check_cuda_graphs(o)
        self.model = model
        if outs is None:
            outs = self.probe_outputs(ins)
        self.inputs_desc = ins
        self.outputs_desc = outs
        self.spec = spec
        self.seed = int(req.get("seed", 0))
        return ins, outs, self.metadata()

    def autocast_of(self, o):
        torch = self.torch
        if o["dtype"] == "fp32":
            return None
        adt = torch.float16 if o["dtype"] == "fp16" else torch.bfloat16
        if not self.cuda and adt == torch.float16 and not version_at_least(torch.__version__, (2,)):
            raise WorkerError("dtype fp16 on cpu: PyTorch %s autocasts only to bf16 on cpu" % torch.__version__,
                              "invalid")
        return (self.device.type, adt)

    def check_cuda_graphs(self, o):
        if o["cuda_graphs"] and not self.cuda:
            raise WorkerError("cuda_graphs needs a cuda device (device is %s)" % self.device, "invalid")

    def metadata(self):
        torch, o = self.torch, self.o
        meta = {
            "torch_version": torch.__version__, "device": str(self.device), "dtype": o["dtype"],
            "autocast": "%s/%s" % (self.autocast[0], str(self.autocast[1]).replace("torch.", ""))
            if self.autocast else "off",
            "channels_last": o["channels_last"], "compile": o["compile"], "cuda_graphs": o["cuda_graphs"],
            "io": self.io, "threads": torch.get_num_threads(), "model_source": self.spec,
            "weights": o["weights"] or "random (seed %d)" % self.seed,
            "python_version": sys.version.split()[0],
        }
        if self.kind == "bert":
            meta["seq"] = o["seq"]
        if self.cuda:
            meta["cuda_device_name"] = torch.cuda.get_device_name(self.device)
            meta["cuda_version"] = str(torch.version.cuda)
        return meta

    # Options a loaded model can take anew: autocast's dtype applies at each
    # forward, the memory format is the parameters' (converted in place as
    # load converts them), CUDA graphs are captured at each inputs request,
    # and so are device-resident inputs (io). The rest define the model
    # (weights, seq, ...) or its compiled code.
    RUN_TIME = ("dtype", "channels_last", "cuda_graphs")

    def configure(self, options, io):
        torch = self.torch
        if self.model is None:
            raise WorkerError("configure before load")
        if io not in ("host", "device"):
            raise WorkerError("io=%s: expected host or device" % io, "invalid")
        o = self.parse_options({"options": options})
        fixed = [k for k in OPTIONS if k not in self.RUN_TIME and o[k] != self.o[k]]
        if fixed:
            raise WorkerError("configure cannot change %s of a loaded model: load it again" % ", ".join(fixed))
        changed = [k for k in self.RUN_TIME if o[k] != self.o[k]]
        # Dynamo compiled for the earlier dtype, layout and graphs; whether a
        # recompile would give what a fresh compile gives is not ours to bet on.
        if changed and o["compile"] != "none":
            raise WorkerError("configure cannot change %s of a compiled model: load it again" % ", ".join(changed))
        # Check everything before changing anything: a refusal keeps the
        # earlier settings.
        autocast = self.autocast_of(o)
        self.check_cuda_graphs(o)
        if o["channels_last"] and self.kind == "bert":
            raise WorkerError("channels_last applies to image models, not %s" % self.spec, "invalid")
        if o["channels_last"] != self.o["channels_last"]:
            fmt = torch.channels_last if o["channels_last"] else torch.contiguous_format
            self.eager.to(memory_format=fmt)
        self.autocast = autocast
        self.o = o
        self.io = io
        self.graph = None
        self.host = None  # inputs are placed for a layout: set them again
        self.resident = None
        self.last = None
        return self.metadata()

    def probe_outputs(self, ins):
        """Output names and shapes of a model file: one batch-1 forward."""
        torch = self.torch
        shape = [1] + ins[0]["shape"][1:]
        with torch.no_grad():
            y = self.eager(torch.zeros(shape, dtype=getattr(torch, ins[0]["dtype"])).to(self.device))
        ys = y if isinstance(y, (tuple, list)) else [y]
        return [{"name": "output" if i == 0 else "output%d" % i, "dtype": "float32",
                 "shape": [-1] + list(t.shape[1:]), "dim_params": ["batch"] + [""] * (t.dim() - 1)}
                for i, t in enumerate(ys)]

    # ---- inputs and batches ----------------------------------------------------

    def set_inputs(self, arrays):
        torch = self.torch
        if self.model is None:
            raise WorkerError("inputs before load")
        arrays = gbworker.check_inputs(self.inputs_desc, arrays, getattr(self, "vocab", 0))
        self.host = [torch.from_numpy(a.copy()) for a in arrays]
        self.graph = None
        # Device-resident inputs are placed once; host inputs every batch.
        self.resident = [self.place(t) for t in self.host] if self.io == "device" else None
        if self.o["cuda_graphs"]:
            self.capture()

    def place(self, t):
        torch = self.torch
        t = t.to(self.device)
        if self.o["channels_last"] and t.dim() == 4:
            t = t.contiguous(memory_format=torch.channels_last)
        return t

    def forward(self, xs):
        torch = self.torch
        with torch.inference_mode():
            if self.autocast:
                with torch.autocast(device_type=self.autocast[0], dtype=self.autocast[1]):
                    y = self.model(*xs)
            else:
                y = self.model(*xs)
        if isinstance(y, (tuple, list)):
            y = y[0]
        elif hasattr(y, "logits"):
            y = y.logits
        return y

    def capture(self):
        """CUDA graph of one forward on static device buffers."""
        torch = self.torch
        if not hasattr(torch.cuda, "CUDAGraph") or not hasattr(torch.cuda, "graph"):
            raise WorkerError("cuda_graphs needs torch.cuda.graph (PyTorch 1.10 or newer)")
        self.static_in = [self.place(t) for t in self.host]
        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):
            for _ in range(3):  # warm-up on a side stream, as CUDA graphs need
                self.forward(self.static_in)
        torch.cuda.current_stream().wait_stream(s)
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            self.static_out = self.forward(self.static_in)
        self.graph = g

    def run_one(self):
        torch = self.torch
        if self.graph is not None:
            if self.resident is None:
                for dst, src in zip(self.static_in, self.host):
                    dst.copy_(src)
            self.graph.replay()
            y = self.static_out
        else:
            xs = self.resident if self.resident is not None else [self.place(t) for t in self.host]
            y = self.forward(xs)
        if self.resident is None and self.cuda:
            y = y.cpu()  # host placement: results come back every batch
        if self.cuda:
            torch.cuda.synchronize(self.device)
        self.last = y

    def run(self, n, duration_ns):
        self.bound_inputs()
        return super().run(n, duration_ns)

    def outputs(self):
        return [(self.outputs_desc[0]["name"], self.last_output().detach().float().cpu().numpy())]

    # ---- conversion -----------------------------------------------------------------

    def convert(self, path, opset):
        """torch.onnx.export of the fp32 eager model with batch 1 examples."""
        import inspect

        torch = self.torch
        if self.model is None:
            raise WorkerError("convert before load")
        examples = []
        for d in self.inputs_desc:
            shape = [1 if s == -1 else s for s in d["shape"]]
            if d["dtype"] == "int64":
                examples.append(torch.ones(shape, dtype=torch.int64, device=self.device))
            else:
                examples.append(torch.zeros(shape, dtype=getattr(torch, d["dtype"]), device=self.device))
        names_in = [d["name"] for d in self.inputs_desc]
        names_out = [d["name"] for d in self.outputs_desc]
        axes = {n: {0: "batch"} for n in names_in + names_out}
        args = dict(opset_version=opset, input_names=names_in, output_names=names_out, dynamic_axes=axes)
        exporter = "torch.onnx.export (TorchScript)"
        with torch.no_grad():
            if "dynamo" not in inspect.signature(torch.onnx.export).parameters:
                torch.onnx.export(self.eager, tuple(examples), path, **args)
            else:
                # The TorchScript exporter, as on PyTorch 1.13; where a newer
                # PyTorch no longer has it, its torch.export-based one.
                try:
                    torch.onnx.export(self.eager, tuple(examples), path, dynamo=False, **args)
                except Exception as e:
                    sys.stderr.write("torch.onnx.export(dynamo=False) failed (%s); trying dynamo=True\n" % e)
                    torch.onnx.export(self.eager, tuple(examples), path, dynamo=True, **args)
                    exporter = "torch.onnx.export (dynamo)"
        return {"metadata": {"exporter": exporter, "opset": opset}}


if __name__ == "__main__":
    gbworker.serve(Torch)
