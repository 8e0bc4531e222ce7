#!/usr/bin/env python3
"""Compare greenbench's zoo exports with the reference PyTorch models (run
on the H100 machine; needs torch, torchvision, transformers, safetensors,
onnxruntime, numpy; no network, no pretrained weights).

For resnet50, mobilenetv2 and bert-base:
  1. build the reference model with random weights, in eval mode:
     torchvision.models.resnet50 / mobilenet_v2 (weights=None), and
     transformers.BertForSequenceClassification(BertConfig()). Every
     parameter and buffer is made non-trivial so that a swapped or
     misnamed tensor shows: BatchNorm affine parameters randomised and its
     running statistics calibrated on random batches (so activations have
     realistic scale), BERT biases and LayerNorm parameters randomised;
  2. save the state_dict as safetensors;
  3. `$GREENBENCH zoo export NAME -o NAME.onnx --weights NAME.safetensors`;
  4. run the ONNX file with onnxruntime (CPU) on the same random inputs as
     PyTorch fp32 on CPU, and report max |difference| over all logits
     (target < 1e-3), plus the same for an fp16 export (information only).

Prints one line per model and check, writes zoo_vs_torch.json to OUTDIR,
exits non-zero if an fp32 comparison misses the target or a step fails.
Usage: GREENBENCH=path/to/greenbench python3 zoo_vs_torch.py [OUTDIR]
"""
import json
import os
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort
import torch
import torchvision
import transformers
from safetensors.torch import save_file

TARGET = 1e-3
BATCH = 4
SEQ = 128
outdir = sys.argv[1] if len(sys.argv) > 1 else "."
gb = os.environ.get("GREENBENCH", "greenbench")
os.makedirs(outdir, exist_ok=True)
torch.manual_seed(0)
torch.set_num_threads(min(16, os.cpu_count() or 1))
results = {"versions": {"torch": torch.__version__, "torchvision": torchvision.__version__,
                        "transformers": transformers.__version__, "onnxruntime": ort.__version__},
           "target_max_abs_diff": TARGET, "batch": BATCH, "models": {}}


def calibrate_bn(model, batches=4):
    """Random BN affine parameters, running stats = statistics of random
    batches (momentum None: a cumulative average)."""
    g = torch.Generator().manual_seed(1)
    for mod in model.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            with torch.no_grad():
                mod.weight.uniform_(0.5, 1.5, generator=g)
                mod.bias.normal_(0.0, 0.1, generator=g)
            mod.reset_running_stats()
            mod.momentum = None
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            model(torch.randn(16, 3, 224, 224, generator=g))
    model.eval()


def perturb_bert(model):
    g = torch.Generator().manual_seed(2)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("LayerNorm.weight"):
                p.add_(torch.randn(p.shape, generator=g) * 0.05)
            elif name.endswith(".bias"):
                p.normal_(0.0, 0.02, generator=g)


def export(name, st_path, onnx_path, extra=()):
    cmd = [gb, "zoo", "export", name, "-o", onnx_path, "--weights", st_path, *extra]
    t = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.monotonic() - t
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s%s" % (" ".join(cmd), p.returncode, p.stdout, p.stderr))
    return p.stdout.strip(), dt


def run_ort(path, feeds):
    so = ort.SessionOptions()
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return s.run(["logits"], feeds)[0]


def compare(name, model, feeds_torch, feeds_np, fp16_feeds):
    st_path = os.path.join(outdir, name + ".safetensors")
    onnx_path = os.path.join(outdir, name + ".onnx")
    sd = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(sd, st_path)
    with torch.no_grad():
        ref = model(**feeds_torch)
    ref = (ref.logits if hasattr(ref, "logits") else ref).float().numpy()
    r = {"state_dict_tensors": len(sd), "max_abs_logit": float(np.abs(ref).max())}
    try:
        r["export_fp32"], r["export_fp32_s"] = export(name, st_path, onnx_path)
        got = run_ort(onnx_path, feeds_np)
        r["shape"] = list(got.shape)
        r["max_abs_diff_fp32"] = float(np.abs(got - ref).max())
        r["pass"] = bool(got.shape == ref.shape and np.isfinite(got).all() and r["max_abs_diff_fp32"] < TARGET)
    except Exception as e:  # report and go on with the other models
        r["error"] = str(e)
        r["pass"] = False
        r["state_dict_keys_sample"] = list(sd)[:8]
    try:  # information only: fp16 weights and activations vs torch fp32
        h_path = os.path.join(outdir, name + "-fp16.onnx")
        r["export_fp16"], r["export_fp16_s"] = export(name, st_path, h_path, ("--dtype", "fp16"))
        got16 = run_ort(h_path, fp16_feeds).astype(np.float32)
        r["max_abs_diff_fp16"] = float(np.abs(got16 - ref).max())
        fp16 = "fp16 max|diff| %.3g (info)" % r["max_abs_diff_fp16"]
    except Exception as e:
        r["fp16_error"] = str(e)
        fp16 = "fp16: %s" % e
    results["models"][name] = r
    if "error" in r:
        print("%-12s FAIL %s" % (name, r["error"]))
    else:
        print("%-12s batch %d  fp32 max|diff| %.3g  (max|logit| %.3g)  %s   %s"
              % (name, BATCH, r["max_abs_diff_fp32"], r["max_abs_logit"],
                 "PASS" if r["pass"] else "FAIL (target < %g)" % TARGET, fp16))
    sys.stdout.flush()
    for p in (st_path, onnx_path, os.path.join(outdir, name + "-fp16.onnx")):
        if os.path.exists(p):
            os.unlink(p)


def main():
    t0 = time.monotonic()
    x = torch.randn(BATCH, 3, 224, 224)
    img = ({"x": x}, {"input": x.numpy()}, {"input": x.numpy().astype(np.float16)})
    for name, ctor in (("resnet50", torchvision.models.resnet50), ("mobilenetv2", torchvision.models.mobilenet_v2)):
        m = ctor(weights=None)
        calibrate_bn(m)
        compare(name, m, *img)

    cfg = transformers.BertConfig()
    m = transformers.BertForSequenceClassification(cfg).eval()
    perturb_bert(m)
    results["bert_attn_implementation"] = getattr(m.config, "_attn_implementation", None)
    ids = torch.randint(0, cfg.vocab_size, (BATCH, SEQ))
    mask = torch.ones(BATCH, SEQ, dtype=torch.int64)
    for b in range(BATCH):  # padding at the end of all rows but the first
        mask[b, SEQ - 17 * b:] = 0
    types = torch.zeros(BATCH, SEQ, dtype=torch.int64)
    types[:, SEQ // 2:] = 1
    feeds_t = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
    feeds_n = {k: v.numpy() for k, v in feeds_t.items()}
    compare("bert-base", m, feeds_t, feeds_n, feeds_n)

    results["seconds"] = time.monotonic() - t0
    with open(os.path.join(outdir, "zoo_vs_torch.json"), "w") as f:
        json.dump(results, f, indent=1)
    ok = all(r.get("pass") for r in results["models"].values())
    print("zoo_vs_torch: %s in %.0f s (%s)" % ("PASS" if ok else "FAIL", results["seconds"],
                                                ", ".join("%s %s" % kv for kv in results["versions"].items())))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
