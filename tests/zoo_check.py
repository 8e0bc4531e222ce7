#!/usr/bin/python3
"""Checks of zoo exports for tests/test_zoo*.c (Debian's python3-onnx 1.12
and python3-numpy; run with $GB_PYTHON).

  zoo_check.py check MODEL LABELS          checker (full), opset, output shapes at batch 1 and 8
  zoo_check.py to-safetensors MODEL OUT DTYPE [--drop NAME] [--reshape NAME] [--extra]
                                           write MODEL's weights as safetensors (F32, F16, BF16)
  zoo_check.py same-weights A B DTYPE      A's weights, rounded through DTYPE, equal B's
  zoo_check.py dump MODEL                  checker, then the graph as one line of JSON

Each prints one line starting with "ok" or exits non-zero with the reason.
"""
import json
import struct
import sys

import numpy as np
import onnx
from onnx import numpy_helper, shape_inference


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def weights(model):
    """Initializers that are model weights (the graph's own constants are
    named const/...)."""
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer
            if not t.name.startswith("const/")}


def check(path, labels):
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    opsets = {o.domain: o.version for o in m.opset_import}
    if opsets.get("", None) != 17:
        fail("opset %r, expected 17" % opsets)
    fixed = []
    for b in (1, 8):
        m2 = onnx.ModelProto()
        m2.CopyFrom(m)
        for i in m2.graph.input:
            dims = i.type.tensor_type.shape.dim
            if dims[0].dim_param:
                dims[0].dim_value = b
            else:
                b = dims[0].dim_value
            if len(dims) == 2 and dims[1].dim_param:
                dims[1].dim_value = 16
        for o in m2.graph.output:
            o.type.tensor_type.ClearField("shape")
        inf = shape_inference.infer_shapes(m2, check_type=True, strict_mode=True)
        got = [d.dim_value for d in inf.graph.output[0].type.tensor_type.shape.dim]
        if got != [b, labels]:
            fail("batch %d: output shape %r, expected %r" % (b, got, [b, labels]))
        fixed.append(b)
    params = sum(a.size for n, a in weights(m).items()
                 if not n.endswith((".running_mean", ".running_var")))
    ins = ",".join("%s:%s" % (i.name, onnx.TensorProto.DataType.Name(i.type.tensor_type.elem_type))
                   for i in m.graph.input)
    print("ok params=%d batches=%s inputs=%s nodes=%d" % (params, fixed, ins, len(m.graph.node)))


def write_safetensors(path, tensors, truncate=0):
    header, blobs, off = {}, [], 0
    for name, a in tensors.items():
        dtype, raw = a
        header[name] = {"dtype": dtype[0], "shape": list(dtype[1]), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    data = struct.pack("<Q", len(h)) + h + b"".join(blobs)
    with open(path, "wb") as f:
        f.write(data[:len(data) - truncate] if truncate else data)


def encode(a, dtype):
    if dtype == "F32":
        return a.astype("<f4").tobytes()
    if dtype == "F16":
        return a.astype("<f2").tobytes()
    if dtype == "BF16":
        # round to nearest even on the top 16 bits
        u = a.astype("<f4").view("<u4").astype(np.uint64)
        u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")
        return u.tobytes()
    fail("dtype " + dtype)


def to_safetensors(path, out, dtype, args):
    w = weights(onnx.load(path))
    if "--drop" in args:
        del w[args[args.index("--drop") + 1]]
    t = {n: ((dtype, a.shape), encode(a, dtype)) for n, a in w.items()}
    if "--reshape" in args:
        n = args[args.index("--reshape") + 1]
        a = w[n].reshape(-1)
        t[n] = ((dtype, (1, a.size)), encode(a, dtype))
    if "--extra" in args:
        t["bert.embeddings.position_ids"] = (("I64", (1, 4)), np.arange(4, dtype="<i8").tobytes())
    write_safetensors(out, t)
    print("ok %d tensors" % len(t))


def rounded(a, dtype):
    if dtype == "F16":
        return a.astype(np.float16).astype(np.float32)
    if dtype == "BF16":
        u = a.astype("<f4").view("<u4").astype(np.uint64)
        u = (((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16).astype("<u4")
        return u.view("<f4")
    return a


def same_weights(a_path, b_path, dtype):
    a, b = weights(onnx.load(a_path)), weights(onnx.load(b_path))
    if set(a) != set(b):
        fail("names differ: %r" % sorted(set(a) ^ set(b))[:5])
    for n in a:
        want = rounded(a[n].astype(np.float32), dtype)
        got = b[n].astype(np.float32)
        if want.shape != got.shape or not np.array_equal(want, got):
            fail("tensor %s differs" % n)
    print("ok %d tensors equal" % len(a))


def dump(path):
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)

    def vi(v):
        return [v.name, v.type.tensor_type.elem_type,
                [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]]

    g = m.graph
    out = {
        "ir": m.ir_version, "opset": [[o.domain, o.version] for o in m.opset_import],
        "producer": m.producer_name, "doc": m.doc_string,
        "meta": {p.key: p.value for p in m.metadata_props},
        "inputs": [vi(v) for v in g.input], "outputs": [vi(v) for v in g.output],
        "init": {t.name: [list(t.dims), t.data_type, numpy_helper.to_array(t).ravel().tolist()]
                 for t in g.initializer},
        "nodes": [[n.op_type, n.name, list(n.input), list(n.output),
                   {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}] for n in g.node],
    }
    print("ok " + json.dumps(out, default=lambda b: b.decode()))


def main(argv):
    if len(argv) >= 4 and argv[1] == "check":
        check(argv[2], int(argv[3]))
    elif len(argv) >= 5 and argv[1] == "to-safetensors":
        to_safetensors(argv[2], argv[3], argv[4], argv[5:])
    elif len(argv) == 3 and argv[1] == "dump":
        dump(argv[2])
    elif len(argv) == 5 and argv[1] == "same-weights":
        same_weights(argv[2], argv[3], argv[4])
    else:
        fail(__doc__)


if __name__ == "__main__":
    main(sys.argv)
