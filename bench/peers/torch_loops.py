"""PyTorch's side of the loop workloads L0-L3 of bench/run.ts (bench/workloads.ts; bench/README.md, "Loop
workloads"), imported by bench/peers/torch_bench.py, which times them and speaks the --serve protocol.

L0-L2: one training iteration as the official PISR code runs it, with the engine's recipe (train/config.ts) at
x4, HR patch 96, batch 16: a numpy batch sampler over the training images, the batch copied into tensors (and to
the device), the official networks' forward, the official losses, backward, Adam, and .item() of every loss term.
L3: `upscale` of a photo from PNG file to PNG file: Pillow decode, numpy RGB->YCbCr, FSRCNN on Y (the whole
image in one pass, no tiles), Cb/Cr by Pillow's bicubic, numpy YCbCr->RGB, 8-bit rounding, Pillow PNG encode.

Networks: the PISR paper's official ones (cvlab-yonsei/PISR: models/fsrcnn.py, encoder.py, vid_module.py) with
its module nesting and its forward (every layer's output kept in a dict), as re-declared in
scripts/fixtures/pisr_official.py, which the fixture scripts use too. Losses as losses/loss_factory.py: L1, the
teacher's 1e-4 * L1(encoder output, LR), VID's Laplace NLL with 1e-6.

The sampler mirrors image/sampler.ts, with numpy: every image decoded once before the first step (Pillow; EXIF
orientation applied), modcropped to a multiple of the scale, Y = BT.601 of the float RGB (unrounded), LR Y =
Pillow's bicubic resize of that float Y plane by 1/scale; then per batch, one image per sample in a fresh random
permutation each epoch, a uniform random LR offset, flips and transpose each with p = 0.5, applied to the LR and
HR patches alike. What differs from the engine: Pillow's bicubic is antialiased with the same kernel (Keys,
a = -0.5) but renormalises its taps at the border where MATLAB's imresize (the engine's) mirrors the image, so
the LR is not MATLAB-exact in its outer pixels (that costs nothing per step: it is computed once per image);
JPEG is decoded by libjpeg here, jpeg-js there; numpy's PCG64 replaces the engine's xoshiro128**.
"""
import math
import os
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps

SCALE, D, S, M = 4, 56, 12, 4
LOOP_BATCH, LOOP_HR_PATCH = 16, 96
# L0-L2: iterations per timed step (bench/workloads.ts, W.loop.window); torch_bench.py reports ms per iteration
LOOP_WINDOW = 8
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The official networks are declared once, in scripts/fixtures/pisr_official.py (shared with the fixture scripts).
# scripts/ is no package and torch_bench.py imports this file with only bench/peers/ on the path, so that folder goes
# on sys.path, found from this file's own location (not the working directory).
sys.path.insert(0, os.path.join(ROOT, "scripts", "fixtures"))
from pisr_official import PisrNet  # noqa: E402 (needs the path above)

DEFAULT_DATA = os.path.normpath(os.path.join(ROOT, "../shared/data/train/bsds400"))
DEFAULT_PHOTO = os.path.join(ROOT, "bench", "out", "l3-photo-2000x1336.png")  # bench/lib/photo.ts builds it
# the recipe's defaults (train/config.ts): Adam 1e-3 (0.9, 0.999), cosine to 1e-5 per epoch, 1000 x 1000 steps
LR0, LR_MIN, BETAS, EPOCHS, ITERS_PER_EPOCH, SEED = 1e-3, 1e-5, (0.9, 0.999), 1000, 1000, 0
LAMBDA_IMITATION, LAMBDA_VID = 1e-4, 1e-6

# BT.601 "studio swing" on [0, 1] (image/color.ts, MATLAB rgb2ycbcr / 255)
YCC = np.array([[65.481, 128.553, 24.966], [-37.797, -74.203, 112.0], [112.0, -93.786, -18.214]]) / 255
YCC_OFFSET = np.array([16.0, 128.0, 128.0]) / 255
YCC_INV = np.linalg.inv(YCC)


# --------------------------------------------------------------------------- the official loss (PISR) ----
def vid_nll(mu, std, tl, epsilon=1e-8):
    """The official VID loss, Laplace: C ln(2 pi)/2 + ln(2b) + |mu - t| / b, b = 0.1 scale + eps, averaged."""
    std = std * 0.1 + epsilon
    loss = mu.shape[1] * np.log(2 * math.pi) / 2 + torch.log(2 * std) + torch.abs(mu - tl) / std
    return loss.mean()


# --------------------------------------------------------------------------------------- the sampler ----
def image_paths(folder):
    names = sorted(f for f in os.listdir(folder) if not f.startswith(".") and f.lower().endswith((".png", ".jpg", ".jpeg")))
    paths = [os.path.join(folder, f) for f in names if os.path.isfile(os.path.join(folder, f))]
    if not paths:
        raise SystemExit(f"{folder}: no images (.png, .jpg, .jpeg) in folder")
    return paths


def y_planes(path, scale):
    """(HR Y, LR Y) of one image, float32: modcrop, BT.601 Y of the float RGB, Pillow bicubic by 1/scale."""
    img = ImageOps.exif_transpose(Image.open(path))
    if img.mode == "L":
        hr_y = np.asarray(img, dtype=np.float32) / 255
    else:
        rgb = np.asarray(img.convert("RGB"), dtype=np.float64) / 255
        hr_y = (rgb @ YCC[0] + YCC_OFFSET[0]).astype(np.float32)
    h, w = hr_y.shape[0] // scale * scale, hr_y.shape[1] // scale * scale
    hr_y = np.ascontiguousarray(hr_y[:h, :w])
    lr_y = np.asarray(Image.fromarray(hr_y, mode="F").resize((w // scale, h // scale), Image.BICUBIC), dtype=np.float32)
    return hr_y, lr_y


class PatchSampler:
    """image/sampler.ts in numpy, every image decoded up front (see the module's docstring)."""

    def __init__(self, folder, scale, patch, batch, seed=SEED):
        self.scale, self.patch, self.lr_patch, self.batch = scale, patch, patch // scale, batch
        self.planes = [p for p in (y_planes(path, scale) for path in image_paths(folder)) if min(p[0].shape) >= patch]
        if not self.planes:
            raise SystemExit(f"{folder}: no image is at least {patch}x{patch}")
        self.rng = np.random.default_rng(seed)
        self.order, self.cursor = self.rng.permutation(len(self.planes)), 0

    def next(self):
        B, P, p, s = self.batch, self.patch, self.lr_patch, self.scale
        lr = np.empty((B, 1, p, p), np.float32)
        hr = np.empty((B, 1, P, P), np.float32)
        for b in range(B):
            if self.cursor >= len(self.order):
                self.order, self.cursor = self.rng.permutation(len(self.planes)), 0
            hr_y, lr_y = self.planes[self.order[self.cursor]]
            self.cursor += 1
            x = int(self.rng.integers(lr_y.shape[1] - p + 1))
            y = int(self.rng.integers(lr_y.shape[0] - p + 1))
            hflip, vflip, transpose = self.rng.random(3) < 0.5
            a, A = lr_y[y:y + p, x:x + p], hr_y[y * s:y * s + P, x * s:x * s + P]
            if vflip:
                a, A = a[::-1], A[::-1]
            if hflip:
                a, A = a[:, ::-1], A[:, ::-1]
            if transpose:
                a, A = a.T, A.T
            lr[b, 0], hr[b, 0] = a, A
        return lr, hr


# ------------------------------------------------------------------------------------ the workloads ----
def prepare_loop(name, device, data=None, photo=None):
    """(step, about) of loop workload `name`: step() runs one unit of work; about describes it for the result."""
    if name == "L3":
        return prepare_upscale(device, photo or DEFAULT_PHOTO)
    mode = {"L0": "teacher", "L1": "baseline", "L2": "student"}[name]
    folder = data or DEFAULT_DATA
    sampler = PatchSampler(folder, SCALE, LOOP_HR_PATCH, LOOP_BATCH)
    torch.manual_seed(SEED)
    net = PisrNet(SCALE, teacher=mode == "teacher", student=mode == "student", d=D, s=S, m=M).to(device)
    teacher = None
    if mode == "student":
        teacher = PisrNet(SCALE, teacher=True, d=D, s=S, m=M).to(device).eval()
        for p in teacher.parameters():
            p.requires_grad_(False)
        # the student starts from the teacher's decoder (the recipe's --init teacher)
        own = net.state_dict()
        net.load_state_dict({k: v for k, v in teacher.state_dict().items() if k in own and "encoder" not in k}, strict=False)
    opt = torch.optim.Adam(net.parameters(), lr=LR0, betas=BETAS)
    state = {"step": 0}

    def terms(lr, hr):
        if mode == "teacher":
            out = net(hr)
            reconstruction = F.l1_loss(out["hr"], hr)
            imitation = F.l1_loss(out["encoder"], lr)
            return {"loss": reconstruction + LAMBDA_IMITATION * imitation, "reconstruction": reconstruction, "imitation": imitation}
        out = net(lr)
        reconstruction = F.l1_loss(out["hr"], hr)
        if mode == "baseline":
            return {"loss": reconstruction, "reconstruction": reconstruction}
        with torch.no_grad():  # the frozen teacher's whole forward, no graph
            target = teacher(hr)["expanding"]
        distillation = vid_nll(out["mu"], out["scale"], target)
        return {"loss": reconstruction + LAMBDA_VID * distillation, "reconstruction": reconstruction, "distillation": distillation}

    def iteration():
        epoch = state["step"] // ITERS_PER_EPOCH
        for g in opt.param_groups:  # CosineAnnealingLR stepped once per epoch, in closed form
            g["lr"] = LR_MIN + (LR0 - LR_MIN) * (1 + math.cos(math.pi * min(epoch, EPOCHS) / EPOCHS)) / 2
        lr_np, hr_np = sampler.next()
        lr, hr = torch.from_numpy(lr_np).to(device), torch.from_numpy(hr_np).to(device)
        named = terms(lr, hr)
        opt.zero_grad(set_to_none=True)
        named["loss"].backward()
        opt.step()
        values = {k: v.item() for k, v in named.items()}
        if not math.isfinite(values["loss"]):
            raise RuntimeError(f"loss became {values['loss']} at step {state['step'] + 1}")
        state["step"] += 1
        return values

    def step():
        for _ in range(LOOP_WINDOW):
            iteration()

    step.iterations = LOOP_WINDOW
    return step, {"data": folder, "images": len(sampler.planes), "parameters": sum(p.numel() for p in net.parameters()),
                  "note": f"{LOOP_WINDOW} iterations a step"}


def prepare_upscale(device, photo):
    if not os.path.exists(photo):
        raise SystemExit(f"{photo}: not found (the L3 photo: build it with `bun bench/lib/photo.ts`, or pass --photo)")
    torch.manual_seed(SEED)
    net = PisrNet(SCALE, d=D, s=S, m=M).to(device).eval()
    fd, out_path = tempfile.mkstemp(prefix="pisr-bench-l3-", suffix=".png")
    os.close(fd)
    about = {"photo": photo}

    def step():
        rgb = np.asarray(Image.open(photo).convert("RGB"), dtype=np.float32) / 255
        h, w = rgb.shape[:2]
        ycc = (rgb @ YCC.T.astype(np.float32) + YCC_OFFSET.astype(np.float32)).astype(np.float32)
        y = torch.from_numpy(np.ascontiguousarray(ycc[..., 0]))[None, None].to(device)
        with torch.no_grad():
            big_y = net(y)["hr"][0, 0].cpu().numpy()
        size = (w * SCALE, h * SCALE)
        chroma = [np.asarray(Image.fromarray(np.ascontiguousarray(ycc[..., c]), mode="F").resize(size, Image.BICUBIC), dtype=np.float32) for c in (1, 2)]
        big = np.stack([big_y, *chroma], axis=-1) - YCC_OFFSET.astype(np.float32)
        out = big @ YCC_INV.T.astype(np.float32)
        u8 = (np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8)  # round(clamp(v) * 255), as image/encode.ts
        Image.fromarray(u8, "RGB").save(out_path, format="PNG")
        about["size"] = f"{w}×{h} → {size[0]}×{size[1]}"

    step.cleanup = lambda: os.path.exists(out_path) and os.remove(out_path)
    return step, about
