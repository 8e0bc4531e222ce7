#!/usr/bin/env python3
"""Models and data for the text and compare tests (test_eval.c).

Usage: eval_models.py DIR

Writes:
  DIR/vocab.txt, DIR/reviews.tsv  a tiny BERT vocabulary and a sentiment set
  DIR/sentiment.onnx              input_ids, attention_mask int64[batch,seq] ->
                                  logits float[batch,2] = sum over masked tokens
                                  of E[id]: good/great/fun vote (0,1),
                                  bad/awful/boring vote (1,0), other words 0;
                                  a tie is argmax's first: negative
  DIR/sentiment.fp16.onnx         the "fp16 variant" the advisor finds beside it
                                  (test_advise.c): the votes swapped and the
                                  logits cast to float16, so its accuracy drops
  DIR/expected_text.txt           "n correct" by the same rule, computed here
                                  from the raw text (so "not good", labelled
                                  negative, is a miss on purpose)
  DIR/mlp3.onnx                   x float[batch,16] -> x @ W, W[16,3] random
  DIR/mlp3_perturbed.onnx         the same with W + noise: some argmaxes flip
"""
import os
import re
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = [helper.make_opsetid("", 13)]
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "movie", "was", "not", "plot",
         "good", "great", "fun", "bad", "awful", "boring", "!", ",", "."]
POS, NEG = {"good", "great", "fun"}, {"bad", "awful", "boring"}
REVIEWS = [
    ("The movie was GREAT!", 1), ("Bad plot, boring movie.", 0), ("good good fun", 1),
    ("awful", 0), ("The plot was not good.", 0), ("Not bad at all!", 1),
    ("great fun, great movie", 1), ("boring", 0), ("the movie", 1), ("Güd plot", 0),
    ("bad, bad, bad", 0), ("FUN!", 1), ("not boring", 1),
]


def save(model, path):
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, path)


def sentiment(path, swapped=False):
    e = np.zeros((len(VOCAB), 2), dtype=np.float32)
    for i, w in enumerate(VOCAB):
        if w in POS:
            e[i] = (1, 0) if swapped else (0, 1)
        elif w in NEG:
            e[i] = (0, 1) if swapped else (1, 0)
    ins = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "seq"])
           for n in ("input_ids", "attention_mask")]
    g = helper.make_graph([
        helper.make_node("Gather", ["E", "input_ids"], ["emb"], axis=0),
        helper.make_node("Cast", ["attention_mask"], ["m"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["m", "axis"], ["m3"]),
        helper.make_node("Mul", ["emb", "m3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "one"], ["sum" if swapped else "logits"], keepdims=0)]
        + ([helper.make_node("Cast", ["sum"], ["logits"], to=TensorProto.FLOAT16)] if swapped else []),
        "sentiment", ins,
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT16 if swapped else TensorProto.FLOAT,
                                       ["batch", 2])],
        [numpy_helper.from_array(e, "E"), numpy_helper.from_array(np.array([2], np.int64), "axis"),
         numpy_helper.from_array(np.array([1], np.int64), "one")])
    save(helper.make_model(g, opset_imports=OPSET), path)


def mlp3(path, w):
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["y"])], "mlp3",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
        [numpy_helper.from_array(w, "W")])
    save(helper.make_model(g, opset_imports=OPSET), path)


def main():
    out = sys.argv[1]
    with open(os.path.join(out, "vocab.txt"), "w") as f:
        f.write("\n".join(VOCAB) + "\n")
    correct = 0
    with open(os.path.join(out, "reviews.tsv"), "w", encoding="utf-8") as f:
        f.write("text\tlabel\n")
        for text, label in REVIEWS:
            words = re.findall(r"\w+", text.lower())
            pos = sum(w in POS for w in words)
            neg = sum(w in NEG for w in words)
            correct += int(pos > neg) == label
            f.write("%s\t%s\n" % (text, "pos" if label else "neg"))
    with open(os.path.join(out, "expected_text.txt"), "w") as f:
        f.write("%d %d\n" % (len(REVIEWS), correct))
    sentiment(os.path.join(out, "sentiment.onnx"))
    sentiment(os.path.join(out, "sentiment.fp16.onnx"), swapped=True)
    rng = np.random.default_rng(3)
    w = rng.standard_normal((16, 3)).astype(np.float32)
    mlp3(os.path.join(out, "mlp3.onnx"), w)
    mlp3(os.path.join(out, "mlp3_perturbed.onnx"),
         w + 0.3 * rng.standard_normal((16, 3)).astype(np.float32))


if __name__ == "__main__":
    main()
