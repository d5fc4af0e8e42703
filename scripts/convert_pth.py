#!/usr/bin/env python3
"""Converts an official PISR checkpoint (cvlab-yonsei/PISR, a torch.save'd .pth) into a safetensors file that
this project loads as it loads its own: the same tensor names, F32, and the header train/models-io.ts saveModel
writes (format "pisr-webgpu", architecture, scale, model_config).

    python3 scripts/convert_pth.py epoch_0999.pth student-x2.safetensors --scale 2

Needs Python and PyTorch only (not the safetensors package: the file is written by hand). The input is
{'state_dict': ...} as the official trainer saves it, or a bare state dict; a DataParallel 'module.' prefix is
stripped. The architecture comes from the names (encoder → teacher, vid_module_dict → student, else the FSRCNN
baseline), d, s, m and channels from the shapes. The scale must be given: it is the stride of the last layer,
which a state dict does not store. Keep this inference in step with checkpoint/layout.ts.
"""
import argparse
import json
import re
import struct
import sys

import torch

NET = "backbone.network."


def fail(msg):
    sys.exit(f"convert_pth: {msg}")


def load_state(path, trust):
    try:
        if trust:
            ckpt = torch.load(path, map_location="cpu")
        else:
            ckpt = torch.load(path, map_location="cpu", weights_only=True)  # runs no pickled code
    except TypeError:  # torch < 1.13 has no weights_only
        fail(f"{path}: this torch cannot load without unpickling code; pass --trust if you trust the file")
    except Exception as e:
        # older torch's safe loader refuses even plain floats (the optimizer state of official checkpoints)
        hint = "" if trust else "; if you trust the file, --trust loads it with full unpickling (which can run code)"
        fail(f"{path}: cannot read it as a PyTorch checkpoint ({e}){hint}")
    state = ckpt.get("state_dict", ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or not state:
        fail(f"{path}: expected {{'state_dict': ...}} or a state dict, found {type(ckpt).__name__}")
    out = {}
    for name, t in state.items():
        if not torch.is_tensor(t) or not t.is_floating_point():
            fail(f"{path}: entry {name!r} is not a floating-point tensor")
        out[name[len("module."):] if name.startswith("module.") else name] = t
    return out


def layout(state, scale, path):
    names = list(state)

    def shape(name):
        if NET + name not in state:
            fail(f"{path}: no tensor {NET + name!r}: not a PISR/FSRCNN state dict")
        return list(state[NET + name].shape)

    architecture = ("teacher" if any(n.startswith(NET + "encoder.") for n in names)
                    else "student" if any(n.startswith("vid_module_dict.") for n in names) else "baseline")
    m = 1 + max((int(g.group(1)) for g in (re.match(r"backbone\.network\.mapping\.(\d+)\.", n) for n in names) if g), default=-1)
    # key order as models/fsrcnn.ts resolveConfig builds it, so model_config matches saveModel's byte for byte
    config = {"scale": scale, "channels": shape("last_layer.0.0.weight")[1], "d": shape("feature_extraction.0.0.weight")[0],
              "s": shape("shrinking.0.0.weight")[0], "m": m}
    return architecture, config


def write_safetensors(path, tensors, metadata):
    """The layout of checkpoint/safetensors.ts encodeSafetensors: u64 LE header length, JSON header (metadata first,
    then the tensors in order) padded with spaces to a multiple of 8, then the F32 little-endian data."""
    parts, chunks, offset = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        b = t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        parts[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    header = json.dumps(parts, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    header += b" " * (-len(header) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)))
        f.write(header)
        for c in chunks:
            f.write(c)


def main(argv=None):
    p = argparse.ArgumentParser(description="official PISR .pth → safetensors for pisr-webgpu")
    p.add_argument("input", help="official checkpoint (.pth)")
    p.add_argument("output", help="safetensors file to write")
    p.add_argument("--scale", type=int, required=True, choices=[2, 3, 4], help="the scale the model was trained for")
    p.add_argument("--trust", action="store_true", help="unpickle fully (only for files you trust: can run code)")
    a = p.parse_args(argv)
    state = load_state(a.input, a.trust)
    architecture, config = layout(state, a.scale, a.input)
    metadata = {"format": "pisr-webgpu", "architecture": architecture, "scale": str(a.scale),
                "model_config": json.dumps(config, separators=(",", ":"))}
    write_safetensors(a.output, state, metadata)
    print(f"wrote {a.output}: {architecture} ×{a.scale}, d={config['d']} s={config['s']} m={config['m']}, {len(state)} tensors")


if __name__ == "__main__":
    main()
