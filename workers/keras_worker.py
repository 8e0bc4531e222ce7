"""greenbench keras worker: Keras 3 on the backend the run names.

The same Keras models as the tf worker (workers/keras_models.py), run by
backend=jax|torch|tensorflow (KERAS_BACKEND, set before Keras is imported:
at load, since the backend is a load option, so the import counts in the
load phase and `keras_import_s` says how long it took). Every run records
the backend that really executed it (keras.backend.backend() after the
import) and that backend's version and device. Options: backend (jax),
mode=predict|eager (predict_on_batch, Keras's compiled predict step: XLA
under jax; or the model called directly), precision, weights, seq,
num_labels as in the tf worker. Protocol: docs/worker-protocol.md.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gbworker  # noqa: E402
import keras_models  # noqa: E402
from gbworker import WorkerError  # noqa: E402

BACKENDS = {"jax": "jax", "torch": "torch", "tensorflow": "tensorflow"}  # backend -> its module
MODES = ("predict", "eager")


class Keras(keras_models.KerasWorker):
    name = "keras"
    options = dict(keras_models.KerasWorker.options, backend="jax", mode="predict")

    @classmethod
    def probe_info(cls):
        have = [b for b, mod in sorted(BACKENDS.items()) if gbworker.importlib.util.find_spec(mod)]
        devices = ["cpu"]
        if gbworker.dist_version("jax-cuda12-plugin", "jax-cuda13-plugin") or "+cu" in gbworker.dist_version("torch"):
            devices.append("cuda")
        return {"version": gbworker.dist_version("keras"), "devices": devices,
                "note": "backends here: %s" % (", ".join(have) or "none")}

    def version(self):
        return gbworker.dist_version("keras")

    def import_keras(self, o):
        backend = gbworker.choice("backend", o["backend"], tuple(BACKENDS))
        if "keras" in sys.modules:
            import keras

            if keras.backend.backend() != backend:
                raise WorkerError("backend=%s: this worker already runs Keras on %s" % (backend, keras.backend.backend()))
            return keras
        if gbworker.importlib.util.find_spec(BACKENDS[backend]) is None:
            raise WorkerError("backend=%s: %s has no module %s" % (backend, sys.executable, BACKENDS[backend]))
        os.environ["KERAS_BACKEND"] = backend
        if backend == "tensorflow":
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        t0 = time.monotonic()
        import keras

        self.import_s = time.monotonic() - t0
        if keras.backend.backend() != backend:
            raise WorkerError("backend=%s: Keras started on %s instead" % (backend, keras.backend.backend()))
        return keras

    def device_scope(self, kind, index):
        b = self.keras.backend.backend()
        if b == "torch":
            name = "cpu" if kind == "cpu" else "cuda:%d" % index
        elif b == "tensorflow":
            name = "/CPU:0" if kind == "cpu" else "/GPU:%d" % index
        else:
            name = "cpu:0" if kind == "cpu" else "gpu:%d" % index
        return self.keras.device(name)

    def load(self, req):
        kind, index = gbworker.parse_device(req, self.name)
        o = gbworker.parse_options(self.name, req.get("options", {}), self.options)
        if self.keras is None:
            self.keras = self.import_keras(o)
        if kind == "cuda":
            self.check_gpu(index)
        return super().load(req)

    def check_gpu(self, index):
        b = self.keras.backend.backend()
        if b == "jax":
            import jax

            n = len([d for d in jax.devices() if d.platform == "gpu"]) if jax.default_backend() == "gpu" else 0
        elif b == "torch":
            import torch

            n = torch.cuda.device_count() if torch.cuda.is_available() else 0
        else:
            import tensorflow as tf

            n = len(tf.config.list_physical_devices("GPU"))
        if index >= n:
            raise WorkerError("device cuda:%d: Keras's %s backend sees %d GPUs" % (index, b, n))

    def make_call(self, model, o):
        mode = gbworker.choice("mode", o["mode"], MODES)
        if mode == "predict":
            return model.predict_on_batch
        return lambda x: model(x, training=False)

    def backend_meta(self, o):
        b = self.keras.backend.backend()
        mod = sys.modules.get(BACKENDS[b])
        meta = {"backend": b, "backend_version": getattr(mod, "__version__", ""), "mode": o["mode"],
                "keras_import_s": round(getattr(self, "import_s", 0.0), 3)}
        if b == "jax":
            import jax

            meta["jax_device"] = str(jax.devices()[0].platform if self.device_kind == "cpu"
                                     else jax.devices("gpu")[self.device_index])
        return meta


if __name__ == "__main__":
    gbworker.serve(Keras)
