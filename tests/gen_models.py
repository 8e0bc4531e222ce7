#!/usr/bin/env python3
"""Write the tiny ONNX models the runtime and `run` tests use into DIR.

Usage: gen_models.py DIR

Models (opset 13, IR 7, so any ORT since 1.10 loads them):
  mlp.onnx     x float[batch,16] -> Relu(x @ W) float[batch,8],
               W[i][j] = (i - j) / 16, so tests can check the output.
  tokens.onnx  input_ids, attention_mask, token_type_ids int64[batch,seq]
               -> emb = Gather(E[100,4], input_ids) (fails for an id >= 100),
                  mask_sum = ReduceSum(attention_mask), tt_sum = ReduceSum(token_type_ids)
  fixed.onnx   img float[2,3,4,4] -> Relu(img): fixed shapes
  dtypes.onnx  h float16[batch,4], b bool[batch,4], i int32[batch,4]
               -> y float[batch,4] = Where(b, Cast(h), Cast(i))
  mlp_big.onnx x float[batch,256] -> Relu(x @ W[256,256]) x 4 (benchmarks)
  add.onnx     x float[batch,4] -> x * 2 + b: Add and Mul only, which the
               fake onnxruntime module of the worker tests can evaluate
  toy.onnx     x float[batch,8] -> x @ W[8,4] (W from a fixed seed): a
               classifier whose argmax varies with the input
  toy.fp16.onnx  -> Cast(x @ W', float16) with W's columns reversed: the
               "fp16 variant" the advisor finds beside toy.onnx, with a
               float16 output as a converted model has, whose answers
               differ (as a broken conversion's would): it must be rejected
  slice_bound.onnx  ids int64[batch,seq] -> y = ids + pos[:, :seq], pos =
               0..511 int64[1,512], the slice's end from Shape(ids) ->
               Gather(1) -> Unsqueeze: what torch.onnx writes for BERT's
               position_ids, on which ORT 1.29's CUDA EP dies (issue 10,
               bench/device/slice_bound.py)
  ir3.onnx     IR 3 (opset 7): x float[batch,16] -> Relu(x @ W), with W
               listed among the graph inputs as IR < 4 does
  odd_inputs.onnx  inputs the ONNX reader must take apart: a dim_param too
               long for struct gb_tensor_info, an unnamed dim, no shape, a
               sequence, a sparse initializer; IR 7 (not run, only read)
  rank9.onnx   x float of rank 9 (not run, only read)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = [helper.make_opsetid("", 13)]


def save(model, path):
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, path)


def mlp(path):
    w = np.array([[(i - j) / 16.0 for j in range(8)] for i in range(16)], dtype=np.float32)
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["h"]), helper.make_node("Relu", ["h"], ["y"])],
        "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 8])],
        [numpy_helper.from_array(w, "W")])
    save(helper.make_model(g, opset_imports=OPSET), path)


def tokens(path):
    e = np.arange(400, dtype=np.float32).reshape(100, 4) / 400.0
    ids = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "seq"])
           for n in ("input_ids", "attention_mask", "token_type_ids")]
    g = helper.make_graph(
        [helper.make_node("Gather", ["E", "input_ids"], ["emb"], axis=0),
         helper.make_node("ReduceSum", ["attention_mask"], ["mask_sum"], keepdims=0),
         helper.make_node("ReduceSum", ["token_type_ids"], ["tt_sum"], keepdims=0)],
        "tokens", ids,
        [helper.make_tensor_value_info("emb", TensorProto.FLOAT, ["batch", "seq", 4]),
         helper.make_tensor_value_info("mask_sum", TensorProto.INT64, []),
         helper.make_tensor_value_info("tt_sum", TensorProto.INT64, [])],
        [numpy_helper.from_array(e, "E")])
    save(helper.make_model(g, opset_imports=OPSET), path)


def fixed(path):
    g = helper.make_graph(
        [helper.make_node("Relu", ["img"], ["out"])], "fixed",
        [helper.make_tensor_value_info("img", TensorProto.FLOAT, [2, 3, 4, 4])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [2, 3, 4, 4])])
    save(helper.make_model(g, opset_imports=OPSET), path)


def dtypes(path):
    g = helper.make_graph(
        [helper.make_node("Cast", ["h"], ["hf"], to=TensorProto.FLOAT),
         helper.make_node("Cast", ["i"], ["if"], to=TensorProto.FLOAT),
         helper.make_node("Where", ["b", "hf", "if"], ["y"])], "dtypes",
        [helper.make_tensor_value_info("h", TensorProto.FLOAT16, ["batch", 4]),
         helper.make_tensor_value_info("b", TensorProto.BOOL, ["batch", 4]),
         helper.make_tensor_value_info("i", TensorProto.INT32, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])])
    save(helper.make_model(g, opset_imports=OPSET), path)


def mlp_big(path):
    rng = np.random.default_rng(1)
    nodes, inits, prev = [], [], "x"
    for k in range(4):
        w = (rng.standard_normal((256, 256)) / 16).astype(np.float32)
        inits.append(numpy_helper.from_array(w, f"W{k}"))
        nodes += [helper.make_node("MatMul", [prev, f"W{k}"], [f"m{k}"]),
                  helper.make_node("Relu", [f"m{k}"], [f"r{k}"])]
        prev = f"r{k}"
    g = helper.make_graph(
        nodes, "mlp_big",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 256])],
        [helper.make_tensor_value_info(prev, TensorProto.FLOAT, ["batch", 256])], inits)
    save(helper.make_model(g, opset_imports=OPSET), path)


def add(path):
    g = helper.make_graph(
        [helper.make_node("Mul", ["x", "two"], ["t"]), helper.make_node("Add", ["t", "b"], ["y"])],
        "add",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])],
        [numpy_helper.from_array(np.array([2], np.float32), "two"),
         numpy_helper.from_array(np.array([1, 2, 3, 4], np.float32), "b")])
    save(helper.make_model(g, opset_imports=OPSET), path)


def toy(path, reverse=False):
    w = np.random.default_rng(7).standard_normal((8, 4)).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["x", "W"], ["y"])]
    out = TensorProto.FLOAT
    if reverse:
        w = w[:, ::-1].copy()
        nodes = [helper.make_node("MatMul", ["x", "W"], ["h"]),
                 helper.make_node("Cast", ["h"], ["y"], to=TensorProto.FLOAT16)]
        out = TensorProto.FLOAT16
    g = helper.make_graph(
        nodes, "toy",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])],
        [helper.make_tensor_value_info("y", out, ["batch", 4])],
        [numpy_helper.from_array(w, "W")])
    save(helper.make_model(g, opset_imports=OPSET), path)


def slice_bound(path):
    pos = numpy_helper.from_array(np.arange(512, dtype=np.int64).reshape(1, 512), "pos")
    g = helper.make_graph(
        [helper.make_node("Shape", ["ids"], ["shp"]),
         helper.make_node("Gather", ["shp", "one"], ["len"], axis=0),
         helper.make_node("Unsqueeze", ["len", "zero"], ["end"]),
         helper.make_node("Slice", ["pos", "zero", "end", "one1"], ["p"]),
         helper.make_node("Add", ["ids", "p"], ["y"])],
        "slice_bound",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("y", TensorProto.INT64, ["batch", "seq"])],
        [pos, numpy_helper.from_array(np.array(1, np.int64), "one"),
         numpy_helper.from_array(np.array([0], np.int64), "zero"),
         numpy_helper.from_array(np.array([1], np.int64), "one1")])
    save(helper.make_model(g, opset_imports=OPSET), path)


def ir3(path):
    w = np.array([[(i - j) / 16.0 for j in range(8)] for i in range(16)], dtype=np.float32)
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["h"]), helper.make_node("Relu", ["h"], ["y"])],
        "ir3",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16]),
         helper.make_tensor_value_info("W", TensorProto.FLOAT, [16, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 8])],
        [numpy_helper.from_array(w, "W")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 7)])
    m.ir_version = 3
    onnx.checker.check_model(m)
    onnx.save(m, path)


def odd_inputs(path):
    unnamed = helper.make_tensor_value_info("u", TensorProto.INT32, ["batch", 3])
    unnamed.type.tensor_type.shape.dim[0].Clear()
    noshape = helper.make_tensor_value_info("n", TensorProto.FLOAT, None)
    seq = helper.make_value_info("s", helper.make_sequence_type_proto(
        helper.make_tensor_type_proto(TensorProto.FLOAT, [2])))
    g = helper.make_graph(
        [helper.make_node("Identity", ["l"], ["y"])], "odd",
        [helper.make_tensor_value_info("l", TensorProto.FLOAT, ["b" * 100, "seq"]),
         unnamed, noshape, seq,
         helper.make_tensor_value_info("c", TensorProto.COMPLEX64, [1]),
         helper.make_tensor_value_info("sp", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b" * 100, "seq"])],
        sparse_initializer=[helper.make_sparse_tensor(
            numpy_helper.from_array(np.array([1.0], np.float32), "sp"),
            numpy_helper.from_array(np.array([2], np.int64), "sp_idx"), [4])])
    m = helper.make_model(g, opset_imports=OPSET)
    m.ir_version = 7
    onnx.save(m, path)  # the checker wants shapes on every input


def rank9(path):
    g = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])], "rank9",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1] * 9)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1] * 9)])
    save(helper.make_model(g, opset_imports=OPSET), path)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, fn in (("mlp", mlp), ("tokens", tokens), ("fixed", fixed), ("dtypes", dtypes),
                     ("mlp_big", mlp_big), ("add", add), ("toy", toy), ("slice_bound", slice_bound),
                     ("ir3", ir3), ("odd_inputs", odd_inputs), ("rank9", rank9)):
        fn(os.path.join(out, name + ".onnx"))
    toy(os.path.join(out, "toy.fp16.onnx"), reverse=True)


if __name__ == "__main__":
    main()
