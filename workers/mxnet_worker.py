"""greenbench mxnet worker: MXNet 1.9 Gluon, hybridized as the study ran it.

Models: the Gluon model zoo's resnet50_v1 and mobilenetv2_1.0 (random
weights from the seed, NCHW 3x224x224), BERT-base from its configuration
through GluonNLP (bert_12_768_12's encoder + BERTClassifier) where GluonNLP
is installed, or a Gluon export (PREFIX-symbol.json with its .params).
Every model is hybridize(static_alloc, static_shape)d: a static graph.
Options (recorded with each run): weights=FILE (.params from
save_parameters), seq=N and num_labels=N (BERT). Device from --ep: cpu or
cuda[:N] (mx.gpu(N), in a CUDA build of MXNet). `convert` is
mxnet.onnx.export_model. MXNet 1.9 needs numpy < 2: it has its own
environment (requirements/mxnet.txt). Protocol: docs/worker-protocol.md.
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gbworker  # noqa: E402
from gbworker import BERT_BASE, BERT_MODELS, WorkerError  # noqa: E402

IMAGE_MODELS = {"resnet50": "resnet50_v1", "mobilenetv2": "mobilenetv2_1.0", "mobilenet_v2": "mobilenetv2_1.0"}
# seq "": the sequence length is a symbolic dimension (--dim seq=N).
OPTIONS = {"weights": "", "seq": "", "num_labels": "2"}


class MXNet(gbworker.Backend):
    name = "mxnet"
    requires = ("mxnet", "numpy")

    def __init__(self):
        import mxnet as mx  # at hello: import time is start-up, not load

        self.mx = mx
        self.net = None
        self.last = None
        self.resident = None

    @classmethod
    def probe_info(cls):
        # The CUDA builds are other distributions: mxnet-cu112, ...
        from importlib import metadata

        cuda = [d.metadata["Name"] for d in metadata.distributions()
                if (d.metadata["Name"] or "").lower().startswith("mxnet-cu")]
        info = {"version": gbworker.dist_version("mxnet", *cuda), "devices": ["cpu", "cuda"] if cuda else ["cpu"]}
        if gbworker.importlib.util.find_spec("gluonnlp") is None:
            info["note"] = "bert-base unavailable: %s has no module gluonnlp" % sys.executable
        return info

    def version(self):
        return self.mx.__version__

    def context(self, req):
        mx = self.mx
        kind, index = gbworker.parse_device(req, self.name)
        if kind == "cpu":
            return mx.cpu()
        n = mx.context.num_gpus()
        if index >= n:
            raise WorkerError("device cuda:%d: this MXNet (%s) sees %d GPUs%s"
                              % (index, mx.__version__, n, "" if mx.runtime.Features().is_enabled("CUDA")
                                 else " (a CPU build: install mxnet-cuNNN)"))
        return mx.gpu(index)

    def build_bert(self, o):
        try:
            import gluonnlp as nlp
        except ImportError:
            raise WorkerError("bert-base needs GluonNLP, which %s does not have (pip install gluonnlp==0.10.0 "
                              "in the mxnet environment)" % sys.executable)
        c = BERT_BASE
        enc = nlp.model.BERTEncoder(num_layers=c["num_hidden_layers"], units=c["hidden_size"],
                                    hidden_size=c["intermediate_size"], max_length=c["max_position_embeddings"],
                                    num_heads=c["num_attention_heads"], dropout=0.0, output_attention=False,
                                    output_all_encodings=False)
        bert = nlp.model.BERTModel(enc, vocab_size=c["vocab_size"], token_type_vocab_size=c["type_vocab_size"],
                                   units=c["hidden_size"], embed_size=c["hidden_size"], word_embed=None,
                                   use_pooler=True, use_decoder=False, use_classifier=False)
        return nlp.model.BERTClassifier(bert, num_classes=int(o["num_labels"]), dropout=0.0)

    def load(self, req):
        mx = self.mx
        o = gbworker.parse_options(self.name, req.get("options", {}), OPTIONS)
        self.o = o
        self.ctx = self.context(req)
        self.io = gbworker.choice("io", req.get("io", "host"), ("host", "device"))
        seed = int(req.get("seed", 0))
        mx.random.seed(seed % (2 ** 31))
        spec = req.get("model", "")
        self.kind = "image"
        if spec in IMAGE_MODELS:
            from mxnet.gluon.model_zoo import vision

            net = vision.get_model(IMAGE_MODELS[spec], pretrained=False)
            ins, outs = gbworker.image_io("nchw", "data")
        elif spec in BERT_MODELS:
            net = self.build_bert(o)
            ins, outs = gbworker.bert_io(int(o["seq"]) if o["seq"] else None, int(o["num_labels"]))
            self.kind = "bert"
        elif spec.endswith("-symbol.json"):
            net, ins, outs = self.load_export(spec)
            self.kind = "file"
        else:
            raise WorkerError("unknown model '%s' (resnet50, mobilenetv2, bert-base, or a PREFIX-symbol.json)" % spec)
        if self.kind != "file":
            net.initialize(mx.init.Xavier() if self.kind == "image" else mx.init.Normal(0.02), ctx=self.ctx)
        if o["weights"]:
            self.load_weights(net, o["weights"])
        net.hybridize(static_alloc=True, static_shape=True)
        self.net = net
        self.vocab = BERT_BASE["vocab_size"] if self.kind == "bert" else 0
        self.inputs_desc, self.outputs_desc = ins, outs
        meta = {"mxnet_version": mx.__version__, "device": str(self.ctx), "hybridize": "static_alloc,static_shape",
                "io": self.io, "model_source": spec, "gluon_model": IMAGE_MODELS.get(spec, spec),
                "weights": o["weights"] or "random (seed %d)" % seed, "python_version": sys.version.split()[0],
                "mkldnn": bool(mx.runtime.Features().is_enabled("MKLDNN"))}
        if self.kind == "bert":
            meta["seq"] = o["seq"] or "dynamic"
        return ins, outs, meta

    def load_export(self, path):
        mx = self.mx
        params = path[:-len("-symbol.json")] + "-0000.params"
        for f in (path, params):
            if not os.path.exists(f):
                raise WorkerError("cannot open model '%s': No such file or directory" % f)
        try:
            net = mx.gluon.SymbolBlock.imports(path, ["data"], params, ctx=self.ctx)
        except Exception as e:
            raise WorkerError("cannot load model '%s': %s" % (path, str(e).split("\n")[0]))
        ins, outs = gbworker.image_io("nchw", "data")
        return net, ins, outs

    def load_weights(self, net, path):
        if not os.path.exists(path):
            raise WorkerError("cannot open weights '%s': No such file or directory" % path)
        try:
            net.load_parameters(path, ctx=self.ctx)
        except Exception as e:
            raise WorkerError("cannot load weights '%s': %s: %s" % (path, type(e).__name__, str(e).split("\n")[0]))

    def set_inputs(self, arrays):
        if self.net is None:
            raise WorkerError("inputs before load")
        self.host = gbworker.check_inputs(self.inputs_desc, arrays, self.vocab)
        self.resident = [self.place(a) for a in self.host] if self.io == "device" else None

    def place(self, a):
        return self.mx.nd.array(a, ctx=self.ctx, dtype=a.dtype)

    def forward(self, xs):
        if self.kind == "bert":
            ids, mask, types = xs
            # GluonNLP's BERT takes a valid length, not a mask: the mask's
            # leading ones (the harness's masks are prefix masks).
            return self.net(ids, types, mask.sum(axis=1).astype("float32"))
        return self.net(*xs)

    def run_one(self):
        xs = self.resident if self.resident is not None else [self.place(a) for a in self.bound_inputs()]
        y = self.forward(xs)
        # asnumpy() waits for MXNet's asynchronous engine: the batch is done.
        self.last = y.asnumpy()


    def convert(self, path, opset):
        """mxnet.onnx.export_model of the hybridized graph (exported with
        batch 1), the batch dimension dynamic; input and output named as
        this worker names them. The opset is mxnet.onnx's choice (opset is
        not a parameter of MXNet 1.9's exporter); the reply says which."""
        mx = self.mx
        if self.net is None:
            raise WorkerError("convert before load")
        import numpy as np

        if self.kind == "bert":
            raise WorkerError("mx2onnx of bert-base: GluonNLP's BERT takes a valid length, not the mask the "
                              "other runtimes take; only the image models convert")
        # A hybridized block has a graph once it has run.
        shapes = [[1] + d["shape"][1:] for d in self.inputs_desc]
        self.forward([mx.nd.zeros(s, ctx=self.ctx, dtype=d["dtype"]) for s, d in zip(shapes, self.inputs_desc)])
        with tempfile.TemporaryDirectory() as tmp:
            prefix = os.path.join(tmp, "model")
            self.net.export(prefix)
            onnx_tmp = os.path.join(tmp, "model.onnx")
            mx.onnx.export_model(prefix + "-symbol.json", prefix + "-0000.params",
                                 in_shapes=shapes, in_types=[np.dtype(d["dtype"]) for d in self.inputs_desc],
                                 onnx_file_path=onnx_tmp, dynamic=True,
                                 dynamic_input_shapes=[[None] + s[1:] for s in shapes])
            import onnx

            proto = onnx.load(onnx_tmp)
        # MXNet lists every weight as a graph input too: only the data is one.
        weights = {t.name for t in proto.graph.initializer}
        keep = [vi for vi in proto.graph.input if vi.name not in weights]
        del proto.graph.input[:]
        proto.graph.input.extend(keep)
        gbworker.rename_io(proto, [d["name"] for d in self.inputs_desc], [d["name"] for d in self.outputs_desc])
        gbworker.save_onnx(proto, path)
        # mxnet.onnx picks its own opset (it takes none); say which.
        got = max(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))
        return {"metadata": {"exporter": "mxnet.onnx %s" % mx.__version__, "opset": got}}


if __name__ == "__main__":
    gbworker.serve(MXNet)
