#!/usr/bin/env python3
"""Find the first node of an ONNX model whose presence makes a command crash.

    onnx_bisect.py MODEL.onnx WORKDIR -- greenbench run --model {} --ep cuda ...

The model's nodes are in topological order, so nodes[:k] is a valid graph
whose outputs are every value it makes that nothing in it consumes. The
command (with {} replaced by the truncated model's path) is run for
prefixes chosen by bisection; "crash" is death by a signal (a negative
return code, or 128+N from a shell). Prints the first crashing node with its
inputs' types and shapes (after shape inference), for the issue's record.
Used on the GPU machine for issue 10's SIGSEGV (bench/device/bert_segv.sh).
"""
import subprocess
import sys

import onnx
from onnx import helper, shape_inference


def crashes(cmd, path):
    r = subprocess.run([a.replace("{}", path) for a in cmd], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=300)
    return r.returncode < 0 or r.returncode > 128, r.returncode, r.stderr.decode()[-300:]


def prefix_model(model, k, types):
    g = model.graph
    nodes = list(g.node[:k])
    made, used = [], set()
    for n in nodes:
        used.update(n.input)
    for n in nodes:
        for o in n.output:
            if o and o not in used and o in types:
                made.append(types[o])
    if not made:
        return None
    graph = helper.make_graph(nodes, "prefix%d" % k, list(g.input), made, list(g.initializer))
    m = helper.make_model(graph, opset_imports=list(model.opset_import))
    m.ir_version = model.ir_version
    return m


def main():
    path, work = sys.argv[1], sys.argv[2]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    model = onnx.load(path)
    inferred = shape_inference.infer_shapes(model)
    types = {v.name: v for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
    n = len(model.graph.node)
    lo, hi = 0, n  # prefix lo runs, prefix hi crashes (the whole model)
    steps = 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        m = prefix_model(model, mid, types)
        if m is None:
            lo = mid
            continue
        p = "%s/prefix.onnx" % work
        onnx.save(m, p)
        bad, rc, err = crashes(cmd, p)
        steps += 1
        print("prefix %4d/%d: rc %s" % (mid, n, rc), flush=True)
        if bad:
            hi = mid
        else:
            lo = mid
    node = model.graph.node[hi - 1]
    print("first crashing node: #%d %s %s (domain '%s') after %d runs" % (hi - 1, node.op_type, node.name,
                                                                        node.domain, steps))
    print("  attributes:", [(a.name, helper.get_attribute_value(a)) for a in node.attribute])
    for i in node.input:
        v = types.get(i)
        init = next((t for t in model.graph.initializer if t.name == i), None)
        if init is not None:
            print("  input %s: initializer dtype %d dims %s" % (i, init.data_type, list(init.dims)))
        elif v is not None:
            t = v.type.tensor_type
            print("  input %s: dtype %d shape %s" % (i, t.elem_type,
                                                    [d.dim_param or d.dim_value for d in t.shape.dim]))
        else:
            print("  input %s: (graph input or untyped)" % i)


if __name__ == "__main__":
    main()
