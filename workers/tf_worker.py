"""greenbench tf worker: TensorFlow 2 running the study's Keras models.

Models (workers/keras_models.py): keras.applications ResNet50 and
MobileNetV2 (random weights, NHWC 224x224x3), BERT-base built from its
configuration, a .keras model file or a SavedModel directory. Options
(recorded with each run): mode=eager|graph|xla (the model called eagerly,
through tf.function, or tf.function(jit_compile=True)), precision=fp32|
fp16|bf16 (Keras mixed precision), weights=FILE (.weights.h5, .h5, .keras),
seq=N and num_labels=N (BERT). Device from --ep: cpu or cuda[:N] (TF's
/GPU:N). `convert` is tf2onnx. Protocol: docs/worker-protocol.md.
"""
import os
import sys

# Before TensorFlow is imported: its C++ start-up notes are not errors.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["KERAS_BACKEND"] = "tensorflow"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gbworker  # noqa: E402
import keras_models  # noqa: E402
from gbworker import WorkerError  # noqa: E402

MODES = ("eager", "graph", "xla")


class TF(keras_models.KerasWorker):
    name = "tf"
    requires = ("tensorflow", "keras", "numpy")
    options = dict(keras_models.KerasWorker.options, mode="graph")

    def __init__(self):
        super().__init__()
        import tensorflow as tf  # at hello: import time is start-up, not load

        self.tf = tf
        self.keras = self.import_keras(None)

    @classmethod
    def probe_info(cls):
        cpu_only = bool(gbworker.dist_version("tensorflow-cpu"))
        return {"version": gbworker.dist_version("tensorflow-cpu", "tensorflow"),
                "devices": ["cpu"] if cpu_only else ["cpu", "cuda"],
                "note": "tensorflow-cpu: no CUDA in this build" if cpu_only else ""}

    def version(self):
        return self.tf.__version__

    def import_keras(self, o):
        import keras

        if keras.backend.backend() != "tensorflow":
            raise WorkerError("keras runs on %s, not tensorflow (KERAS_BACKEND)" % keras.backend.backend())
        return keras

    def device_scope(self, kind, index):
        return self.tf.device("/CPU:0" if kind == "cpu" else "/GPU:%d" % index)

    def load(self, req):
        tf = self.tf
        kind, index = gbworker.parse_device(req, self.name)
        gpus = tf.config.list_physical_devices("GPU")
        if kind == "cuda" and index >= len(gpus):
            raise WorkerError("device cuda:%d: this TensorFlow (%s) sees %d GPUs%s"
                              % (index, tf.__version__, len(gpus),
                                 " (tensorflow-cpu has no CUDA)" if gbworker.dist_version("tensorflow-cpu") else ""))
        if req.get("intra_op_threads", 0) > 0:
            tf.config.threading.set_intra_op_parallelism_threads(int(req["intra_op_threads"]))
        if req.get("inter_op_threads", 0) > 0:
            tf.config.threading.set_inter_op_parallelism_threads(int(req["inter_op_threads"]))
        return super().load(req)

    def build(self, spec, o):
        if os.path.isdir(spec):
            return self.load_saved_model(spec)
        return super().build(spec, o)

    def load_saved_model(self, path):
        """A SavedModel directory: its serving_default signature."""
        tf = self.tf
        try:
            fn = tf.saved_model.load(path).signatures["serving_default"]
        except Exception as e:
            raise WorkerError("cannot load SavedModel '%s': %s: %s" % (path, type(e).__name__, str(e).split("\n")[0]))
        specs = fn.structured_input_signature[1]
        names = sorted(specs)
        ins = []
        for n in names:
            shape = [-1 if d is None else int(d) for d in specs[n].shape]
            ins.append({"name": n, "dtype": specs[n].dtype.name, "shape": shape,
                        "dim_params": ["batch" if i == 0 and d == -1 else "" for i, d in enumerate(shape)]})
        out_name = sorted(fn.structured_outputs)[0]
        out = fn.structured_outputs[out_name]
        shape = [-1 if d is None else int(d) for d in out.shape]
        outs = [{"name": out_name, "dtype": "float32", "shape": shape,
                 "dim_params": ["batch" if i == 0 and d == -1 else "" for i, d in enumerate(shape)]}]

        def call(xs):
            xs = xs if isinstance(xs, list) else [xs]
            return fn(**dict(zip(names, xs)))[out_name]
        return _SavedModel(call), ins, outs, "savedmodel"

    def make_call(self, model, o):
        tf = self.tf
        mode = gbworker.choice("mode", o["mode"], MODES)
        if isinstance(model, _SavedModel):
            if mode == "eager":
                raise WorkerError("mode=eager: a SavedModel runs as its saved graph (use mode=graph)")
            return model.call

        def forward(x):
            return model(x, training=False)
        if mode == "eager":
            return forward
        return tf.function(forward, jit_compile=(mode == "xla"), reduce_retracing=True)

    def backend_meta(self, o):
        tf = self.tf
        return {"tf_version": tf.__version__, "mode": o["mode"],
                "tf_build_cuda": bool(tf.test.is_built_with_cuda()),
                "threads_intra": tf.config.threading.get_intra_op_parallelism_threads(),
                "threads_inter": tf.config.threading.get_inter_op_parallelism_threads()}

    def convert(self, path, opset):
        """tf2onnx of the fp32 model through a tf.function with the batch
        dimension unknown; inputs and outputs renamed as this worker names
        them, the batch dimension "batch"."""
        tf = self.tf
        if self.call is None:
            raise WorkerError("convert before load")
        if self.o["precision"] != "fp32":
            raise WorkerError("convert needs precision=fp32 (this model is %s)" % self.o["precision"])
        try:
            import tf2onnx
        except ImportError:
            raise WorkerError("convert tf2onnx needs the Python module tf2onnx, which is not installed")
        spec = [tf.TensorSpec([None] + d["shape"][1:], getattr(tf, d["dtype"]), name=d["name"])
                for d in self.inputs_desc]
        model = self.model
        if isinstance(model, _SavedModel):
            fn = tf.function(lambda *xs: model.call(list(xs)), input_signature=spec)
        elif len(spec) == 1:
            fn = tf.function(lambda x: model(x, training=False), input_signature=spec)
        else:
            fn = tf.function(lambda *xs: model(list(xs), training=False), input_signature=spec)
        proto, _ = tf2onnx.convert.from_function(fn, input_signature=spec, opset=opset)
        gbworker.rename_io(proto, [d["name"] for d in self.inputs_desc], [d["name"] for d in self.outputs_desc])
        gbworker.save_onnx(proto, path)
        return {"metadata": {"exporter": "tf2onnx %s" % tf2onnx.__version__, "opset": opset}}


class _SavedModel:
    """A SavedModel's serving function where a Keras model would be."""

    def __init__(self, call):
        self.call = call


if __name__ == "__main__":
    gbworker.serve(TF)
