#!/usr/bin/python3
"""Reference outputs for data/transform_test.go, computed without nasx code.

  crop_flip: numpy port of torchvision RandomCrop(padding, fill 0) +
      hflip + ToTensor + Normalize (float32) + DARTS utils.Cutout, with fixed
      crop offsets, flip and cutout centre.
  resize: Pillow 9.4 Image.resize(BILINEAR) (antialiased triangle filter)
      of a crop, as torchvision resized_crop does on PIL images; uint8.
  center: Pillow Resize of the short side + torchvision center_crop offsets.
  jitter: torch 1.13 float32 ports of torchvision 0.14 functional_tensor
      adjust_brightness/contrast/saturation/hue (copied, torchvision is not
      installed here), applied in a fixed order with fixed factors.

Versions: Python 3.11.2, numpy 1.24.2, Pillow 9.4.0, torch 1.13.
Run from the repository root: /usr/bin/python3 data/testdata/gen_transforms.py
"""
import json
import math

import numpy as np
import torch
from PIL import Image

rng = np.random.default_rng(20261127)
DARTS_MEAN = np.array([0.49139968, 0.48215827, 0.44653124], np.float32)
DARTS_STD = np.array([0.24703233, 0.24348505, 0.26158768], np.float32)


def crop_flip(img, pad, top, left, flip, cutout, cy, cx):
    c, h, w = img.shape
    p = np.pad(img, ((0, 0), (pad, pad), (pad, pad)))
    out = p[:, top:top + h, left:left + w]
    if flip:
        out = out[:, :, ::-1]
    x = out.astype(np.float32) / np.float32(255)
    x = (x - DARTS_MEAN[:, None, None]) / DARTS_STD[:, None, None]
    if cutout > 0:
        mask = np.ones((h, w), np.float32)
        y1, y2 = np.clip(cy - cutout // 2, 0, h), np.clip(cy + cutout // 2, 0, h)
        x1, x2 = np.clip(cx - cutout // 2, 0, w), np.clip(cx + cutout // 2, 0, w)
        mask[y1:y2, x1:x2] = 0.0
        x = x * mask
    return x.astype(np.float32)


def pil(img):
    return Image.fromarray(np.ascontiguousarray(img.transpose(1, 2, 0)))


def unpil(im):
    return np.asarray(im).transpose(2, 0, 1)


# torchvision 0.14 functional_tensor, float path.
def _blend(img1, img2, ratio):
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, 1.0)


def rgb_to_grayscale(img):
    r, g, b = img.unbind(dim=-3)
    return (0.2989 * r + 0.587 * g + 0.114 * b).unsqueeze(dim=-3)


def adjust_brightness(img, f):
    return _blend(img, torch.zeros_like(img), f)


def adjust_contrast(img, f):
    mean = torch.mean(rgb_to_grayscale(img), dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, f)


def adjust_saturation(img, f):
    return _blend(img, rgb_to_grayscale(img), f)


def _rgb2hsv(img):
    r, g, b = img.unbind(dim=-3)
    maxc = torch.max(img, dim=-3).values
    minc = torch.min(img, dim=-3).values
    eqc = maxc == minc
    cr = maxc - minc
    ones = torch.ones_like(maxc)
    s = cr / torch.where(eqc, ones, maxc)
    cr_divisor = torch.where(eqc, ones, cr)
    rc = (maxc - r) / cr_divisor
    gc = (maxc - g) / cr_divisor
    bc = (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = hr + hg + hb
    h = torch.fmod((h / 6.0 + 1.0), 1.0)
    return torch.stack((h, s, maxc), dim=-3)


def _hsv2rgb(img):
    h, s, v = img.unbind(dim=-3)
    i = torch.floor(h * 6.0)
    f = (h * 6.0) - i
    i = i.to(dtype=torch.int32)
    p = torch.clamp((v * (1.0 - s)), 0.0, 1.0)
    q = torch.clamp((v * (1.0 - s * f)), 0.0, 1.0)
    t = torch.clamp((v * (1.0 - s * (1.0 - f))), 0.0, 1.0)
    i = i % 6
    mask = i.unsqueeze(dim=-3) == torch.arange(6, device=i.device).view(-1, 1, 1)
    a1 = torch.stack((v, q, p, p, t, v), dim=-3)
    a2 = torch.stack((t, v, v, q, p, p), dim=-3)
    a3 = torch.stack((p, p, t, v, v, q), dim=-3)
    a4 = torch.stack((a1, a2, a3), dim=-4)
    return torch.einsum("...ijk, ...xijk -> ...xjk", mask.to(dtype=img.dtype), a4)


def adjust_hue(img, hue):
    img = _rgb2hsv(img)
    h, s, v = img.unbind(dim=-3)
    h = (h + hue) % 1.0
    return _hsv2rgb(torch.stack((h, s, v), dim=-3))


def main():
    out = {"source": "data/testdata/gen_transforms.py"}
    cases = []
    for size, pad, cut, params in ((8, 2, 4, [(0, 0, False, 0, 0), (4, 1, True, 7, 3), (2, 3, True, 1, 6)]),
                                   (32, 4, 16, [(3, 8, True, 30, 2)])):
        img = rng.integers(0, 256, size=(3, size, size), dtype=np.uint8)
        for top, left, flip, cy, cx in params:
            y = crop_flip(img, pad, top, left, flip, cut, cy, cx)
            cases.append({"size": size, "pad": pad, "cutout": cut, "top": top, "left": left, "flip": flip,
                          "cy": cy, "cx": cx, "img": img.ravel().tolist(), "want": y.ravel().tolist()})
    out["crop_flip"] = cases

    res = []
    for (h, w), (top, left, bh, bw), (oh, ow) in (((37, 29), (3, 2, 30, 25), (8, 8)),
                                                  ((37, 29), (0, 0, 37, 29), (11, 7)),
                                                  ((9, 7), (1, 2, 5, 4), (16, 12))):
        img = rng.integers(0, 256, size=(3, h, w), dtype=np.uint8)
        crop = pil(img).crop((left, top, left + bw, top + bh))
        y = unpil(crop.resize((ow, oh), Image.BILINEAR))
        res.append({"h": h, "w": w, "top": top, "left": left, "bh": bh, "bw": bw, "oh": oh, "ow": ow,
                    "img": img.ravel().tolist(), "want": y.ravel().tolist()})
    out["resize"] = res

    cen = []
    for h, w in ((30, 23), (19, 26)):
        img = rng.integers(0, 256, size=(3, h, w), dtype=np.uint8)
        size, crop = 20, 16
        if w < h:
            ow, oh = size, int(size * h / w)
        else:
            oh, ow = size, int(size * w / h)
        r = pil(img).resize((ow, oh), Image.BILINEAR)
        top, left = int(round((oh - crop) / 2.0)), int(round((ow - crop) / 2.0))
        y = unpil(r)[:, top:top + crop, left:left + crop]
        cen.append({"h": h, "w": w, "resize": size, "crop": crop, "img": img.ravel().tolist(), "want": y.ravel().tolist()})
    out["center"] = cen

    jit = []
    fns = [adjust_brightness, adjust_contrast, adjust_saturation, adjust_hue]
    for order, b, c, s, hue in (([0, 1, 2, 3], 1.3, 0.7, 1.25, 0.15), ([3, 2, 1, 0], 0.65, 1.38, 0.62, -0.18),
                                ([2, 0, 3, 1], 1.0, 1.0, 1.0, 0.05)):
        x = torch.from_numpy(rng.random((3, 6, 5), dtype=np.float32))
        x[:, 0, 0] = 0.5  # a gray pixel (hue undefined)
        x[:, 0, 1] = torch.tensor([1.0, 0.0, 0.0])
        y = x.clone()
        fac = [b, c, s, hue]
        for k in order:
            y = fns[k](y, fac[k])
        jit.append({"order": order, "brightness": b, "contrast": c, "saturation": s, "hue": hue,
                    "x": x.numpy().ravel().tolist(), "want": y.numpy().ravel().tolist()})
    out["jitter"] = jit
    with open("data/testdata/transforms_ref.json", "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
