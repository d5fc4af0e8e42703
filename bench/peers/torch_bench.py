#!/usr/bin/env python3
"""PyTorch peer of bench/run.ts: the same networks and workloads (B0-B3, see bench/workloads.ts),
declared here in PyTorch, timed the same way; prints one JSON line per workload. The loop workloads L0-L3
(a whole training iteration on real images, an upscale from file to file) are in torch_loops.py beside it, the
student workloads S1-<arch> and S2-<arch> (VDSR, IDN, CARN, CARN-M) in torch_students.py.

    /usr/bin/python3 bench/peers/torch_bench.py [--only B0,B1,B2,B3] [--runs 5] [--warmup 2] [--serve]
                                                [--device cpu|cuda] [--data DIR (L0-L2)] [--photo PATH (L3)]
                                                [--smoke (S1, S2: tiny sizes, for tests)]

--device cuda (a machine with an NVIDIA GPU and a CUDA build of torch): networks and batches live on the GPU,
cuDNN picks its fastest algorithms for these fixed shapes (cudnn.benchmark), and a step ends when its result is
back on the host (the loss value; B3: the whole output image, as the engine's B3 reads it back).

--serve (one workload): after the warm-up print {"ready": name}; then each stdin line "step" runs one timed step
and prints {"step_ms": t}, and "end" prints the result line over those steps (bench/run.ts's paired mode; the
protocol is described in bench/workloads.ts, parseWorkerArgs).

Networks: FSRCNN d=56 s=12 m=4 x4 on one channel (conv+PReLU blocks, 9x9 transposed conv, stride 4, pad 4,
output pad 3); the PISR teacher's encoder (5x5 1->d, 5x5 d->d stride 4, 3x3 d->s, 3x3 s->1, PReLU between);
the VID estimator on the 56-channel 'expanding' features (mean and scale branches: 1x1 conv, PReLU, 1x1 conv;
softplus on the scale; Laplace negative log-likelihood). Written for this benchmark from the paper's
description and our engine's models/, not copied.
"""
import argparse
import json
import math
import os
import platform
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SCALE, D, S, M = 4, 56, 12, 4
BATCH, LR_PATCH = 16, 48
INFER_W, INFER_H = 480, 270


def conv_prelu(cin, cout, k, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2), nn.PReLU())


class Fsrcnn(nn.Module):
    def __init__(self, encoder=False):
        super().__init__()
        self.encoder = nn.Sequential(
            conv_prelu(1, D, 5), conv_prelu(D, D, 5, SCALE), conv_prelu(D, S, 3), nn.Conv2d(S, 1, 3, padding=1)
        ) if encoder else None
        self.feature_extraction = conv_prelu(1, D, 5)
        self.shrinking = conv_prelu(D, S, 1)
        self.mapping = nn.Sequential(*[conv_prelu(S, S, 3) for _ in range(M)])
        self.expanding = conv_prelu(S, D, 1)
        self.last_layer = nn.ConvTranspose2d(D, 1, 9, stride=SCALE, padding=4, output_padding=SCALE - 1)

    def features(self, x):
        enc = self.encoder(x) if self.encoder is not None else None
        e = self.expanding(self.mapping(self.shrinking(self.feature_extraction(enc if enc is not None else x))))
        return enc, e, self.last_layer(e)

    def forward(self, x):
        return self.features(x)[2]


class Vid(nn.Module):
    def __init__(self):
        super().__init__()
        self.mean = nn.Sequential(nn.Conv2d(D, D, 1), nn.PReLU(), nn.Conv2d(D, D, 1))
        self.var = nn.Sequential(nn.Conv2d(D, D, 1), nn.PReLU(), nn.Conv2d(D, D, 1))

    def forward(self, f):
        return self.mean(f), F.softplus(self.var(f))


def vid_laplace(mu, scale, target):
    b = scale * 0.1 + 1e-8
    return (torch.log(2 * b) + torch.abs(mu - target) / b).mean() + mu.shape[1] * math.log(2 * math.pi) / 2


def prepare(name, device):
    g = torch.Generator().manual_seed(1)
    lr = torch.rand(BATCH, 1, LR_PATCH, LR_PATCH, generator=g).to(device)
    hr = torch.rand(BATCH, 1, LR_PATCH * SCALE, LR_PATCH * SCALE, generator=g).to(device)

    def train(params, loss_of):
        opt = torch.optim.Adam(params, lr=1e-3)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = loss_of()
            loss.backward()
            opt.step()
            v = loss.item()
            if not math.isfinite(v):
                raise RuntimeError(f"loss is {v}")
        return step

    if name == "B1":
        net = Fsrcnn().to(device)
        return train(net.parameters(), lambda: F.l1_loss(net(lr), hr))
    if name == "B0":
        net = Fsrcnn(encoder=True).to(device)

        def loss_of():
            enc, _, out = net.features(hr)
            return F.l1_loss(out, hr) + 1e-4 * F.l1_loss(enc, lr)
        return train(net.parameters(), loss_of)
    if name == "B2":
        teacher, student, vid = Fsrcnn(encoder=True).to(device), Fsrcnn().to(device), Vid().to(device)
        for p in teacher.parameters():
            p.requires_grad_(False)

        def loss_of():
            with torch.no_grad():
                target = teacher.features(hr)[1]  # full teacher forward, like the official trainer
            _, e, out = student.features(lr)
            mu, scale = vid(e)
            return F.l1_loss(out, hr) + 1e-6 * vid_laplace(mu, scale, target)
        return train(list(student.parameters()) + list(vid.parameters()), loss_of)
    if name == "B3":
        net = Fsrcnn().to(device).eval()
        x = torch.rand(1, 1, INFER_H, INFER_W, generator=g).to(device)

        def step():
            with torch.no_grad():
                y = net(x)
            if device != "cpu":
                y = y.cpu()  # the image back on the host, as the engine reads it back
            assert y.shape == (1, 1, INFER_H * SCALE, INFER_W * SCALE)
        return step
    raise ValueError(f"unknown workload {name}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="B0,B1,B2,B3")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--serve", action="store_true")
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--data", default=None, help="L0-L2: the folder of training images")
    ap.add_argument("--photo", default=None, help="L3: the photo to upscale")
    ap.add_argument("--smoke", action="store_true", help="S1, S2: tiny sizes (tests)")
    a = ap.parse_args()
    if a.device == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit(f"--device cuda: torch {torch.__version__} sees no CUDA device")
        torch.backends.cudnn.benchmark = True
    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(0)
    emit = lambda o: print(json.dumps(o), flush=True)
    meta = {"meta": True, "impl": "pytorch", "backend": a.device, "torch": torch.__version__, "threads": torch.get_num_threads(),
            "mkldnn": torch.backends.mkldnn.is_available(), "python": platform.python_version()}
    if a.device == "cuda":
        meta.update(gpu=torch.cuda.get_device_name(), cuda=torch.version.cuda, cudnn=torch.backends.cudnn.version())
    emit(meta)
    # B0, L3, ...: upper case; the students' names as bench/workloads.ts spells them (S1-carn-m)
    canon = lambda n: n[:2].upper() + n[2:].lower() if n[:1] in "sS" else n.upper()
    names = [canon(n.strip()) for n in a.only.split(",") if n.strip()]
    if a.serve and len(names) != 1:
        raise SystemExit("--serve takes exactly one workload (--only B1)")

    def timed(step):  # ms per iteration (a loop workload's step runs step.iterations of them)
        t = time.perf_counter()
        step()
        return (time.perf_counter() - t) * 1000 / getattr(step, "iterations", 1)

    def result(name, times, **extra):
        s = sorted(times)
        med = s[len(s) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2
        emit({"name": name, "impl": "pytorch", "backend": a.device, "median_ms": med, "min_ms": s[0], "max_ms": s[-1],
              "runs": len(times), "warmup": a.warmup, "times_ms": times, **extra})

    for name in names:
        about = {}
        if name.startswith("L"):
            import torch_loops  # beside this file
            t0 = time.perf_counter()
            step, about = torch_loops.prepare_loop(name, a.device, data=a.data, photo=a.photo)
            about["prepare_ms"] = (time.perf_counter() - t0) * 1000
        elif name.startswith("S"):
            import torch_students  # beside this file
            step, about = torch_students.prepare_student(name, a.device, smoke=a.smoke)
        else:
            step = prepare(name, a.device)
        for _ in range(a.warmup):
            step()
        if a.serve:
            emit({"ready": name})
            times = []
            for line in sys.stdin:
                command = line.strip()
                if command == "step":
                    times.append(timed(step))
                    emit({"step_ms": times[-1]})
                elif command == "end":
                    break
                elif command:
                    raise SystemExit(f'--serve: unknown command "{command}" (step, end)')
            if not times:
                raise SystemExit("--serve: ended before any step")
            result(name, times, paired=True, **about)
        else:
            result(name, [timed(step) for _ in range(a.runs)], **about)
        getattr(step, "cleanup", lambda: None)()


if __name__ == "__main__":
    sys.exit(main())
