#!/usr/bin/env python3
"""Reference tensors for tests/test_image.c, from torchvision itself.

Usage: image_ref.py OUTDIR

Generates JPEG and PNG images (several sizes, aspects, gray/RGB/palette/
RGBA/CMYK), then for each (image, preprocessing) writes the torchvision
eval transform's output as raw float32 CHW to OUTDIR/<n>.f32 and one line
"file resize crop interp ref" to OUTDIR/manifest.txt.
"""
import os
import sys

import numpy as np
from PIL import Image
import torch
from torchvision import transforms

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
INTERP = {
    "bilinear": transforms.InterpolationMode.BILINEAR,
    "bicubic": transforms.InterpolationMode.BICUBIC,
    "box": transforms.InterpolationMode.BOX,
    "hamming": transforms.InterpolationMode.HAMMING,
    "lanczos": transforms.InterpolationMode.LANCZOS,
}


def picture(w, h, seed):
    """Smooth gradients, hard edges, text-like stripes and noise: enough
    high frequencies that any resampling difference shows up."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.zeros((h, w, 3))
    for c in range(3):
        fx, fy = rng.uniform(0.005, 0.08, 2)
        img[..., c] = 127 + 100 * np.sin(x * fx + c) * np.cos(y * fy - c)
    img[(x // 17 + y // 13) % 5 == 0] = [250, 20, 30]
    img[int(h * 0.3):int(h * 0.6), int(w * 0.4):int(w * 0.45)] = [0, 0, 0]
    img += rng.normal(0, 12, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    images = []
    specs = [
        (500, 375, "RGB", "jpg", {"quality": 90}),
        (375, 500, "RGB", "jpg", {"quality": 75, "subsampling": 2}),
        (333, 500, "RGB", "jpg", {"quality": 95, "subsampling": 0}),
        (640, 427, "L", "jpg", {"quality": 85}),
        (256, 256, "RGB", "jpg", {"quality": 90}),
        (100, 80, "RGB", "jpg", {"quality": 90}),
        (600, 31, "RGB", "png", {}),
        (500, 375, "RGB", "png", {}),
        (301, 257, "L", "png", {}),
        (280, 300, "P", "png", {}),
        (400, 300, "RGBA", "png", {}),
        (320, 240, "CMYK", "jpg", {"quality": 90}),
    ]
    for i, (w, h, mode, ext, kw) in enumerate(specs):
        arr = picture(w, h, i)
        im = Image.fromarray(arr, "RGB")
        if mode == "P":
            im = im.quantize(64)
        elif mode != "RGB":
            im = im.convert(mode)
        name = f"img{i:02d}_{w}x{h}_{mode}.{ext}"
        im.save(os.path.join(out, name), **kw)
        images.append(name)

    preps = [(256, 224, "bilinear")]
    extra = [(160, 128, "bicubic"), (200, 224, "bilinear"), (300, 256, "lanczos"),
             (128, 112, "box"), (232, 224, "hamming")]
    n = 0
    with open(os.path.join(out, "manifest.txt"), "w") as man:
        for k, name in enumerate(images):
            for resize, crop, interp in preps + [extra[k % len(extra)]]:
                t = transforms.Compose([
                    transforms.Resize(resize, interpolation=INTERP[interp]),
                    transforms.CenterCrop(crop),
                    transforms.ToTensor(),
                    transforms.Normalize(MEAN, STD),
                ])
                with Image.open(os.path.join(out, name)) as f:
                    x = t(f.convert("RGB"))
                assert x.dtype == torch.float32 and tuple(x.shape) == (3, crop, crop)
                ref = f"ref{n:03d}.f32"
                x.numpy().astype("<f4").tofile(os.path.join(out, ref))
                man.write(f"{name} {resize} {crop} {interp} {ref}\n")
                n += 1


if __name__ == "__main__":
    main()
