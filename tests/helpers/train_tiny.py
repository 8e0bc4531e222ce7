#!/usr/bin/env python3
"""Train a tiny image classifier with PyTorch, export it to ONNX and score it
with PyTorch's own pipeline, for the end-to-end accuracy test (test_eval.c).

Usage: train_tiny.py DIR

Writes:
  DIR/val/{blue,green,red}/NNN.{jpg,png}  the test images (ImageFolder layout,
                                          JPEG and PNG alternating, 36..60 px)
  DIR/tiny.onnx                           x float[batch,3,32,32] -> logits float[batch,3]
  DIR/expected.txt                        "n correct" of torchvision's evaluation

The task is made ambiguous on purpose (each shape's colour is its class
colour blended with a random one, up to 75%, plus noise), so the accuracy is
high but not perfect and the C path must get the same items wrong.

Preprocessing on both sides: Resize(32) (bilinear, antialiased, on the PIL
image) -> CenterCrop(32) -> ToTensor -> Normalize(0.5, 0.25), i.e.
greenbench run --resize 32 --crop 32 --mean 0.5,0.5,0.5 --std 0.25,0.25,0.25.
"""
import os
import random
import sys

import torch
import torchvision
from PIL import Image, ImageDraw
from torch import nn
from torchvision import transforms

CLASSES = {"blue": (40, 60, 220), "green": (40, 200, 60), "red": (220, 50, 40)}
NAMES = sorted(CLASSES)  # ImageFolder's order: blue 0, green 1, red 2
MEAN, STD = [0.5] * 3, [0.25] * 3
TRANSFORM = transforms.Compose([
    transforms.Resize(32), transforms.CenterCrop(32), transforms.ToTensor(),
    transforms.Normalize(MEAN, STD)])


def draw(rng, cls):
    w, h = rng.randint(36, 60), rng.randint(36, 60)
    img = Image.new("RGB", (w, h))
    img.putdata([tuple(rng.randint(90, 160) for _ in range(3)) for _ in range(w * h)])
    t = rng.uniform(0.0, 0.75)
    other = [rng.randint(0, 255) for _ in range(3)]
    col = tuple(int((1 - t) * c + t * o) for c, o in zip(CLASSES[cls], other))
    x0, y0 = rng.randint(0, w // 3), rng.randint(0, h // 3)
    x1, y1 = rng.randint(2 * w // 3, w - 1), rng.randint(2 * h // 3, h - 1)
    d = ImageDraw.Draw(img)
    (d.ellipse if rng.random() < 0.5 else d.rectangle)([x0, y0, x1, y1], fill=col)
    return img


def main():
    out = sys.argv[1]
    rng = random.Random(7)
    torch.manual_seed(7)
    torch.set_num_threads(1)

    train = [(draw(rng, c), NAMES.index(c)) for _ in range(150) for c in NAMES]
    x = torch.stack([TRANSFORM(img) for img, _ in train])
    y = torch.tensor([lab for _, lab in train])
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Linear(16, 3))
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(12):
        perm = torch.randperm(len(y))
        for i in range(0, len(y), 30):
            idx = perm[i:i + 30]
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
    model.eval()

    val = os.path.join(out, "val")
    for c in NAMES:
        os.makedirs(os.path.join(val, c), exist_ok=True)
    for i in range(40):
        for c in NAMES:
            img = draw(rng, c)
            if i % 2:
                img.save(os.path.join(val, c, "%03d.png" % i))
            else:
                img.save(os.path.join(val, c, "%03d.jpg" % i), quality=90)

    # PyTorch's own evaluation of the files on disk.
    ds = torchvision.datasets.ImageFolder(val, TRANSFORM)
    assert ds.classes == NAMES
    correct = 0
    with torch.no_grad():
        for xb, yb in torch.utils.data.DataLoader(ds, batch_size=16):
            correct += int((model(xb).argmax(1) == yb).sum())
    export = dict(input_names=["x"], output_names=["logits"], opset_version=13,
                  dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}})
    if tuple(int(v) for v in torch.__version__.split(".")[:2]) >= (2, 5):
        export["dynamo"] = False  # newer torch (device): the TorchScript exporter, as 1.13 here
    torch.onnx.export(model, torch.zeros(1, 3, 32, 32), os.path.join(out, "tiny.onnx"), **export)
    with open(os.path.join(out, "expected.txt"), "w") as f:
        f.write("%d %d\n" % (len(ds), correct))


if __name__ == "__main__":
    main()
