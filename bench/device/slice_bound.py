#!/usr/bin/env python3
"""Issue 10's SIGSEGV, isolated: ORT's CUDA EP on a Slice whose bound is
computed at run time from a tensor's shape (what torch.onnx writes for
BERT's position_ids[:, :seq]). Writes OUT/slice_dyn.onnx (the bound from
Shape of a dynamic input) and OUT/slice_static.onnx (the same with a static
dim, so that constant folding can remove the Shape), and, given a model,
OUT/folded.onnx: the model after onnxscript's optimizer folded its shape
computations (where dims are static)."""
import sys
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]


def slice_model(seq_dim, path, batch_dim="batch", const_end=False):
    buf = numpy_helper.from_array(np.arange(512, dtype=np.int64).reshape(1, 512), "buf")
    nodes = [] if const_end else [
        helper.make_node("Shape", ["ids"], ["shp"]),
        helper.make_node("Gather", ["shp", "one"], ["len"], axis=0),
        helper.make_node("Unsqueeze", ["len", "zero"], ["end"]),
    ]
    nodes += [
        helper.make_node("Slice", ["buf", "start", "end", "axis1"], ["pos"]),
        helper.make_node("Add", ["ids", "pos"], ["y"]),
    ]
    inits = [buf, numpy_helper.from_array(np.array(1, dtype=np.int64), "one"),
             numpy_helper.from_array(np.array([0], dtype=np.int64), "zero"),
             numpy_helper.from_array(np.array([0], dtype=np.int64), "start"),
             numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1")]
    if const_end:
        inits.append(numpy_helper.from_array(np.array([seq_dim], dtype=np.int64), "end"))
    g = helper.make_graph(nodes, "slice_bound",
                          [helper.make_tensor_value_info("ids", TensorProto.INT64, [batch_dim, seq_dim])],
                          [helper.make_tensor_value_info("y", TensorProto.INT64, [batch_dim, seq_dim])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, path)


slice_model("seq", out + "/slice_dyn.onnx")
slice_model(128, out + "/slice_static.onnx")
slice_model(128, out + "/slice_allstatic.onnx", batch_dim=1)
slice_model(128, out + "/slice_const.onnx", const_end=True)
if len(sys.argv) > 2:
    import onnxscript.optimizer
    m = onnx.load(sys.argv[2])
    before = sum(n.op_type == "Shape" for n in m.graph.node)
    m = onnxscript.optimizer.optimize(m)
    after = sum(n.op_type == "Shape" for n in m.graph.node)
    print("onnxscript optimizer: Shape nodes %d -> %d, nodes %d" % (before, after, len(m.graph.node)))
    onnx.save(m, out + "/folded.onnx")
