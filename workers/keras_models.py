"""Keras models and the worker both Keras runtimes share (tf, keras).

The study's Keras models: keras.applications ResNet50 and MobileNetV2 with
random weights (weights=None; ImageNet input 224x224x3, NHWC as Keras
takes it) and a BERT-base sequence classifier built from its configuration
(gbworker.BERT_BASE) in plain Keras layers, so that it runs on every Keras
backend and converts with tf2onnx. Keras is imported by the caller (the
backend must be chosen before the import), then handed to these functions.

KerasWorker is the part of the protocol both workers have in common: model
building, user weights, inputs, batches and outputs. A subclass imports
Keras (import_keras), turns the model into the callable a batch runs
(make_call) and says how a device is named on its backend (device_scope).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gbworker  # noqa: E402
from gbworker import BERT_BASE, BERT_MODELS, WorkerError  # noqa: E402

IMAGE_MODELS = {"resnet50": "ResNet50", "mobilenetv2": "MobileNetV2", "mobilenet_v2": "MobileNetV2"}
PRECISIONS = {"fp32": "float32", "fp16": "mixed_float16", "bf16": "mixed_bfloat16"}
# Weights files a zoo model takes (weights=FILE); a .keras file is a whole model.
WEIGHTS_SUFFIXES = (".weights.h5", ".h5", ".keras")


def build_image(keras, spec):
    app = getattr(keras.applications, IMAGE_MODELS[spec])
    # Named "input" as the other runtimes name it; logits as the torch
    # models give them (the study compares outputs, not probabilities).
    return app(weights=None, input_tensor=keras.Input((224, 224, 3), name="input"), classifier_activation=None)


def position_embedding(keras, max_len, hidden):
    """Learned positions for as many tokens as the input has (the sequence
    length is the harness's --dim seq=N, not fixed when the model is built)."""
    ops = keras.ops

    class PositionEmbedding(keras.layers.Layer):
        def build(self, input_shape):
            self.table = self.add_weight(shape=(max_len, hidden), initializer="random_normal", name="table")

        def call(self, ids):
            return ops.expand_dims(ops.take(self.table, ops.arange(ops.shape(ids)[1]), axis=0), 0)

        def compute_output_shape(self, input_shape):
            return (1, input_shape[1], hidden)

    return PositionEmbedding(name="position_embeddings")


def build_bert(keras, seq, num_labels):
    """BERT-base (post-layer-norm encoder, GELU, pooled [CLS] + dense
    classifier) in Keras layers; inputs as gbworker.bert_io names them.
    seq None: any sequence length up to 512."""
    L, ops = keras.layers, keras.ops
    c = BERT_BASE
    hidden, heads = c["hidden_size"], c["num_attention_heads"]
    if seq and seq > c["max_position_embeddings"]:
        raise WorkerError("seq=%d: BERT-base takes at most %d tokens" % (seq, c["max_position_embeddings"]))
    ids = keras.Input((seq,), dtype="int64", name="input_ids")
    mask = keras.Input((seq,), dtype="int64", name="attention_mask")
    types = keras.Input((seq,), dtype="int64", name="token_type_ids")
    x = L.Embedding(c["vocab_size"], hidden, name="word_embeddings")(ids)
    x = x + L.Embedding(c["type_vocab_size"], hidden, name="token_type_embeddings")(types)
    x = x + position_embedding(keras, c["max_position_embeddings"], hidden)(ids)
    x = L.LayerNormalization(epsilon=1e-12, name="embeddings_norm")(x)
    # [batch, 1, seq]: every query position sees the unmasked keys.
    attn_mask = ops.expand_dims(ops.cast(mask, "bool"), 1)
    for i in range(c["num_hidden_layers"]):
        a = L.MultiHeadAttention(heads, hidden // heads, name="layer%d_attention" % i)(x, x, attention_mask=attn_mask)
        x = L.LayerNormalization(epsilon=1e-12, name="layer%d_attention_norm" % i)(x + a)
        f = L.Dense(c["intermediate_size"], activation="gelu", name="layer%d_intermediate" % i)(x)
        f = L.Dense(hidden, name="layer%d_output" % i)(f)
        x = L.LayerNormalization(epsilon=1e-12, name="layer%d_output_norm" % i)(x + f)
    pooled = L.Dense(hidden, activation="tanh", name="pooler")(x[:, 0, :])
    logits = L.Dense(num_labels, name="classifier", dtype="float32")(pooled)
    return keras.Model([ids, mask, types], logits, name="bert_base")


def describe_model(model):
    """Tensor descriptions of a Keras model loaded from a file."""
    def desc(t, name):
        shape = [-1 if d is None else int(d) for d in t.shape]
        return {"name": name, "dtype": str(t.dtype).replace("mixed_", ""), "shape": shape,
                "dim_params": ["batch" if d == -1 and i == 0 else "" for i, d in enumerate(shape)]}
    ins = [desc(t, t.name) for t in model.inputs]
    outs = [desc(t, "output" if i == 0 else "output%d" % i) for i, t in enumerate(model.outputs)]
    return ins, outs


def load_weights(keras, model, path):
    """Weights from a .weights.h5 / .h5 file (model.load_weights) or a
    whole .keras model whose weights fit; the error names the file."""
    if not os.path.exists(path):
        raise WorkerError("cannot open weights '%s': No such file or directory" % path)
    if not path.endswith(WEIGHTS_SUFFIXES):
        raise WorkerError("weights '%s': expected a %s file" % (path, ", ".join(WEIGHTS_SUFFIXES)))
    try:
        if path.endswith(".keras"):
            model.set_weights(keras.saving.load_model(path, compile=False).get_weights())
        else:
            model.load_weights(path)
    except Exception as e:
        raise WorkerError("cannot load weights '%s': %s: %s" % (path, type(e).__name__, str(e).split("\n")[0]))


class KerasWorker(gbworker.Backend):
    """Keras models on one backend; subclasses name it and how it runs."""

    requires = ("keras", "numpy")
    # seq "": the sequence length is a symbolic dimension (--dim seq=N).
    options = {"precision": "fp32", "weights": "", "seq": "", "num_labels": "2"}

    def __init__(self):
        self.keras = None
        self.call = None
        self.last = None
        self.resident = None

    def import_keras(self, o):
        """Import Keras for the options; returns the module."""
        raise NotImplementedError

    def make_call(self, model, o):
        """The callable one batch runs: the input (a list of them for
        several) -> the output tensor."""
        raise NotImplementedError

    def device_scope(self, kind, index):
        """A context manager placing work on the device."""
        return self.keras.device("cpu:0" if kind == "cpu" else "gpu:%d" % index)

    def backend_meta(self, o):
        return {}

    def build(self, spec, o):
        keras = self.keras
        if spec in IMAGE_MODELS:
            model = build_image(keras, spec)
            ins, outs = gbworker.image_io("nhwc")
            kind = "image"
        elif spec in BERT_MODELS:
            seq = int(o["seq"]) if o["seq"] else None
            model = build_bert(keras, seq, int(o["num_labels"]))
            ins, outs = gbworker.bert_io(seq, int(o["num_labels"]))
            kind = "bert"
        elif spec.endswith(".keras"):
            if not os.path.exists(spec):
                raise WorkerError("cannot open model '%s': No such file or directory" % spec)
            try:
                model = keras.saving.load_model(spec, compile=False)
            except Exception as e:
                raise WorkerError("cannot load model '%s': %s: %s" % (spec, type(e).__name__, str(e).split("\n")[0]))
            ins, outs = describe_model(model)
            kind = "file"
        else:
            raise WorkerError("unknown model '%s' (resnet50, mobilenetv2, bert-base, or a .keras file)" % spec)
        return model, ins, outs, kind

    def load(self, req):
        o = gbworker.parse_options(self.name, req.get("options", {}), self.options)
        gbworker.choice("precision", o["precision"], tuple(PRECISIONS))
        self.device_kind, self.device_index = gbworker.parse_device(req, self.name)
        self.io = gbworker.choice("io", req.get("io", "host"), ("host", "device"))
        self.o = o
        if self.keras is None:
            self.keras = self.import_keras(o)
        keras = self.keras
        keras.mixed_precision.set_global_policy(PRECISIONS[o["precision"]])
        # Random weights are a function of the seed alone.
        keras.utils.set_random_seed(int(req.get("seed", 0)) % (2 ** 32))
        spec = req.get("model", "")
        self.scope = lambda: self.device_scope(self.device_kind, self.device_index)
        with self.scope():
            model, ins, outs, self.kind = self.build(spec, o)
            if o["weights"]:
                load_weights(keras, model, o["weights"])
            self.call = self.make_call(model, o)
        self.model = model
        self.vocab = BERT_BASE["vocab_size"] if self.kind == "bert" else 0
        self.inputs_desc, self.outputs_desc = ins, outs
        meta = {"keras_version": keras.__version__, "keras_backend": keras.backend.backend(),
                "precision": o["precision"], "dtype_policy": keras.mixed_precision.global_policy().name,
                "device": "cpu" if self.device_kind == "cpu" else "cuda:%d" % self.device_index,
                "io": self.io, "model_source": spec,
                "weights": o["weights"] or "random (seed %d)" % int(req.get("seed", 0)),
                "python_version": sys.version.split()[0]}
        if self.kind == "bert":
            meta["seq"] = o["seq"] or "dynamic"
        meta.update(self.backend_meta(o))
        return ins, outs, meta

    def set_inputs(self, arrays):
        if self.call is None:
            raise WorkerError("inputs before load")
        self.host = gbworker.check_inputs(self.inputs_desc, arrays, self.vocab)
        self.resident = None
        if self.io == "device":
            with self.scope():
                self.resident = [self.keras.ops.convert_to_tensor(a) for a in self.host]

    def run_one(self):
        with self.scope():
            xs = self.resident if self.resident is not None else self.bound_inputs()
            y = self.call(xs[0] if len(xs) == 1 else xs)
            # Copying the result to the host ends the batch on every backend.
            self.last = self.keras.ops.convert_to_numpy(y)

