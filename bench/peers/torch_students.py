"""PyTorch's side of the student workloads S1-<arch> and S2-<arch> of bench/run.ts (bench/workloads.ts;
bench/README.md, "Student workloads"), imported by bench/peers/torch_bench.py, which times them and speaks the
--serve protocol.

  S1-<arch>  inference under no_grad: one 480x270 LR image (batch 1) -> x4, the whole output (on the host)
  S2-<arch>  one training step: batch 16, LR 48x48 -> HR 192x192, L1 loss, Adam 1e-3, zero_grad(set_to_none=True),
             backward, step, loss.item(): as B1 (torch_bench.py) for FSRCNN

for arch in vdsr, idn (the Y channel: 1 channel) and carn, carn-m (RGB), on random tensors, random weights.

Networks: the reference re-declarations of scripts/fixtures/students_reference.py, which the fixture scripts use too
(VDSR with biases, as the engine's default and the paper; IDN 64 features, d = 16, on Y; CARN single-scale; CARN-M
single-scale, group 4), configured as the engine's defaults (models/registry.ts), so both sides train the same
parameter count. Where the reference's forward leaves the bicubic upscaling outside the network, it is done here as
the engine's model does it inside: VDSR takes the LR image upscaled x4, IDN adds it to its output. Here that is
F.interpolate(mode="bicubic", align_corners=False) (Keys a = -0.75, no antialiasing), the engine's is MATLAB's
(a = -0.5): the values differ a little, the work (a 4x4-tap resampling of a 1-channel image) is the same, and it is
a tiny share of either network's time.
"""
import math
import os
import sys

import torch
import torch.nn.functional as F

SCALE = 4
ARCHS = ("vdsr", "idn", "carn", "carn-m")
CHANNELS = {"vdsr": 1, "idn": 1, "carn": 3, "carn-m": 3}
INFER_W, INFER_H = 480, 270
BATCH, LR_PATCH = 16, 48
# --smoke (tests): S1 on 20x12, S2 batch 2 of LR 8x8 (bench/lib/students.ts, STUDENT_SIZES.smoke)
SMOKE_INFER_W, SMOKE_INFER_H, SMOKE_BATCH, SMOKE_LR_PATCH = 20, 12, 2, 8

# The networks are declared once, in scripts/fixtures/students_reference.py (shared with the fixture scripts); scripts/
# is no package, so that folder goes on sys.path, found from this file's own location.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "fixtures"))
from students_reference import CARN, CARNM, IDN, VDSR  # noqa: E402 (needs the path above)


def bicubic(x):
    return F.interpolate(x, scale_factor=SCALE, mode="bicubic", align_corners=False)


def build(arch):
    """The network and its forward from the LR image to the HR image."""
    if arch == "vdsr":
        net = VDSR(bias=True)
        return net, lambda x: net.features(bicubic(x))["hr"]
    if arch == "idn":
        net = IDN(SCALE)
        return net, lambda x: bicubic(x) + net.network(x)["hr"]
    if arch == "carn":
        net = CARN(scale=SCALE, multi_scale=False)
        return net, lambda x: net.features(x, SCALE)["hr"]
    if arch == "carn-m":
        net = CARNM(scale=SCALE, multi_scale=False, group=4)
        return net, lambda x: net.features(x, SCALE)["hr"]
    raise ValueError(f"unknown architecture {arch} ({', '.join(ARCHS)})")


def prepare_student(name, device, smoke=False):
    """The step of workload `name` (S1-<arch> or S2-<arch>) and what its result line says about it."""
    kind, arch = name[:2], name[3:]
    if kind not in ("S1", "S2") or name[2:3] != "-" or arch not in ARCHS:
        raise ValueError(f"unknown workload {name}")
    g = torch.Generator().manual_seed(1)
    net, forward = build(arch)
    net = net.to(device)
    params = [p for p in net.parameters() if p.requires_grad]  # CARN's frozen mean shifts are no parameters
    c = CHANNELS[arch]
    about = {"arch": arch, "channels": c, "parameters": sum(p.numel() for p in params), **({"smoke": True} if smoke else {})}
    if kind == "S1":
        w, h = (SMOKE_INFER_W, SMOKE_INFER_H) if smoke else (INFER_W, INFER_H)
        net.eval()
        x = torch.rand(1, c, h, w, generator=g).to(device)
        about.update(input=[1, c, h, w], output=[1, c, h * SCALE, w * SCALE])

        def step():
            with torch.no_grad():
                y = forward(x)
            if device != "cpu":
                y = y.cpu()  # the image back on the host, as the engine reads it back
            assert y.shape == (1, c, h * SCALE, w * SCALE), y.shape
        return step, about
    n, p = (SMOKE_BATCH, SMOKE_LR_PATCH) if smoke else (BATCH, LR_PATCH)
    lr = torch.rand(n, c, p, p, generator=g).to(device)
    hr = torch.rand(n, c, p * SCALE, p * SCALE, generator=g).to(device)
    opt = torch.optim.Adam(params, lr=1e-3)
    about.update(batch=n, lr_patch=p, hr_patch=p * SCALE)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.l1_loss(forward(lr), hr)
        loss.backward()
        opt.step()
        v = loss.item()
        if not math.isfinite(v):
            raise RuntimeError(f"loss is {v}")
    return step, about
