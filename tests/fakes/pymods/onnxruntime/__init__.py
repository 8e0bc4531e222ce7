"""A stand-in for onnxruntime, which Debian does not package, so that
tests/test_ort_worker.c drives workers/ort_worker.py for real. It reads the
model with the onnx package and evaluates graphs of Add and Mul nodes over
inputs and initializers with numpy; nothing else. CPU provider only.
"""
import numpy as np
import onnx
from onnx import numpy_helper

__version__ = "0.0-fake"

_TYPES = {onnx.TensorProto.FLOAT: "tensor(float)", onnx.TensorProto.INT64: "tensor(int64)"}


def get_available_providers():
    return ["CPUExecutionProvider"]


class GraphOptimizationLevel:
    ORT_DISABLE_ALL, ORT_ENABLE_BASIC, ORT_ENABLE_EXTENDED, ORT_ENABLE_ALL = 0, 1, 2, 99


class SessionOptions:
    intra_op_num_threads = 0
    inter_op_num_threads = 0
    graph_optimization_level = GraphOptimizationLevel.ORT_ENABLE_ALL


class _Arg:
    def __init__(self, vi):
        t = vi.type.tensor_type
        self.name = vi.name
        self.type = _TYPES[t.elem_type]
        self.shape = [d.dim_param if d.dim_param else d.dim_value for d in t.shape.dim]


class InferenceSession:
    def __init__(self, path, sess_options=None, providers=None):
        self.model = onnx.load(path)
        self.providers = [p if isinstance(p, str) else p[0] for p in providers or []]
        self.options = sess_options

    def get_inputs(self):
        init = {i.name for i in self.model.graph.initializer}
        return [_Arg(v) for v in self.model.graph.input if v.name not in init]

    def get_outputs(self):
        return [_Arg(v) for v in self.model.graph.output]

    def get_providers(self):
        return self.providers

    def run(self, names, feeds):
        env = {i.name: numpy_helper.to_array(i) for i in self.model.graph.initializer}
        env.update(feeds)
        ops = {"Add": np.add, "Mul": np.multiply}
        for n in self.model.graph.node:
            env[n.output[0]] = ops[n.op_type](env[n.input[0]], env[n.input[1]])
        return [env[n] for n in (names or [o.name for o in self.model.graph.output])]
