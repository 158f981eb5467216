"""Golden data for io.jsora.diffusion.rflow from the Open-Sora 1.2 rectified-flow code.

Run (Debian's python3 with PyTorch 1.13, CPU):

    mkdir -p /tmp/os12 && git -C UPSTREAM_MIRROR archive opensora/v1.2 opensora | tar -x -C /tmp/os12
    /usr/bin/python3 tools/golden/rflow.py --upstream /tmp/os12 --out src/test/resources/golden/rflow

Imports upstream's `opensora/schedulers/rf`, `opensora/utils/inference_utils.py` and nothing else
of it; the registry, mmengine, einops, tqdm and the dataset helpers they import are
replaced by small stand-ins below (einops only for the one `rearrange` pattern `mean_flat` uses).

Writes `rflow.json` (schedules, losses, mask strategies) and `rflow.safetensors` (sampling inputs
and outputs). The fake model, written identically in the Java test (RFlowGoldenTest):

    out[b, o] = tanh(sum_c A[o, c] * x[b, c]) + beta[o] * t[b] / 1000 + delta[o] * e[b]
                + gamma[o] * x_mask[b, f]      (x_mask term only when x_mask is given)

with e[b] = mean of the text rows y[b] (so the conditional and null rows differ) and o over 2C
output channels (upstream keeps the first C as the velocity).
"""

import argparse
import json
import os
import struct
import sys
import types

import numpy as np
import torch


def shim(upstream):
    def module(name, **attrs):
        m = types.ModuleType(name)
        m.__dict__.update(attrs)
        sys.modules[name] = m
        return m

    class Registry:
        def __init__(self, *a, **k):
            pass

        def register_module(self, name=None, **k):
            return lambda cls: cls

    module("mmengine")
    module("mmengine.registry", Registry=Registry)
    module("opensora.registry", SCHEDULERS=Registry(), MODELS=Registry(), DATASETS=Registry())

    def rearrange(t, pattern):
        if pattern.replace(" ", "") != "bcthw->bt(chw)":
            raise ValueError("einops stand-in knows one pattern, got " + pattern)
        b, c, f, h, w = t.shape
        return t.permute(0, 2, 1, 3, 4).reshape(b, f, c * h * w)

    module("einops", rearrange=rearrange)
    module("tqdm", tqdm=lambda x, **k: x)
    module("opensora.datasets", IMG_FPS=120)
    module("opensora.datasets.utils", read_from_path=None)
    # packages whose __init__ would import the whole upstream tree: keep only their path
    for pkg in ["opensora", "opensora.schedulers", "opensora.schedulers.iddpm", "opensora.utils"]:
        module(pkg, __path__=[os.path.join(upstream, *pkg.split("."))])


def fake_model(A, beta, delta, gamma, seen):
    def model(x, t, y=None, x_mask=None, **kwargs):
        seen.append({"t": t.float().tolist(), "x_mask": None if x_mask is None else x_mask.tolist()})
        mixed = torch.einsum("oc,bcfhw->bofhw", A, x)
        out = torch.tanh(mixed)
        out = out + beta[None, :, None, None, None] * (t.float() / 1000)[:, None, None, None, None]
        e = y.float().mean(dim=(1, 2, 3))
        out = out + delta[None, :, None, None, None] * e[:, None, None, None, None]
        if x_mask is not None:
            out = out + gamma[None, :, None, None, None] * x_mask.float()[:, None, :, None, None]
        return out

    return model


class FakeText:
    def __init__(self, y_cond, y_null):
        self.y_cond = y_cond
        self.y_null = y_null

    def encode(self, prompts):
        return {"y": self.y_cond}

    def null(self, n):
        return self.y_null


def write_safetensors(path, tensors):
    header = {}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        a = t.detach().contiguous().numpy()
        dtype = {np.float32: "F32", np.int64: "I64", np.bool_: "BOOL"}[a.dtype.type]
        raw = a.tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def sizes(n, h, w, f, dtype):
    return {
        "height": torch.tensor([h] * n, dtype=dtype),
        "width": torch.tensor([w] * n, dtype=dtype),
        "num_frames": torch.tensor([f] * n, dtype=dtype),
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--upstream", required=True, help="an opensora/v1.2 checkout (holds opensora/)")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    shim(args.upstream)
    from opensora.schedulers.rf import RFLOW
    from opensora.schedulers.rf.rectified_flow import RFlowScheduler, timestep_transform
    from opensora.utils import inference_utils as iu

    os.makedirs(args.out, exist_ok=True)
    js = {}
    st = {}

    # 1. timestep schedules with the transform, 30 steps, sizes as fp32 and as bf16 tensors
    cases = [
        (240, 426, 51, 1.0), (360, 640, 102, 1.0), (720, 1280, 204, 1.0), (480, 854, 51, 1.0),
        (144, 256, 1, 1.0), (240, 426, 16, 1.0), (256, 256, 34, 1.0), (240, 426, 51, 2.0), (512, 512, 1, 1.0),
        (240, 426, 60, 1.0), (256, 256, 100, 1.0),  # not multiples of 17: the floor of num_frames/17 matters
    ]
    sched = []
    for h, w, f, scale in cases:
        row = {"height": h, "width": w, "num_frames": f, "transform_scale": scale}
        for name, dt in [("float32", torch.float32), ("bfloat16", torch.bfloat16)]:
            ts = [(1.0 - i / 30) * 1000 for i in range(30)]
            ts = [torch.tensor([t] * 2) for t in ts]
            out = [timestep_transform(t, sizes(2, h, w, f, dt), scale=scale, num_timesteps=1000) for t in ts]
            row[name] = [float(t[0].float()) for t in out]
        sched.append(row)
    js["schedules"] = sched

    # 2. guided sampling, 5 steps, inference settings, with replayed step noise
    g = torch.Generator().manual_seed(1234)
    n, C, T, H, W, steps = 2, 4, 6, 3, 4, 5
    A = torch.randn(2 * C, C, generator=g) * 0.5
    beta = torch.randn(2 * C, generator=g)
    delta = torch.randn(2 * C, generator=g)
    gamma = torch.randn(2 * C, generator=g) * 0.3
    y_cond = torch.randn(n, 1, 3, 5, generator=g) + 0.5
    y_null = torch.randn(n, 1, 3, 5, generator=g)
    z = torch.randn(n, C, T, H, W, generator=g)
    step_noise = torch.randn(steps, n, C, T, H, W, generator=g)
    frame_mask = torch.tensor([[0.0, 0.5, 1.0, 1.0, 0.7, 0.0], [1.0] * T])
    for k, v in dict(A=A, beta=beta, delta=delta, gamma=gamma, y_cond=y_cond, y_null=y_null, z=z,
                     step_noise=step_noise, frame_mask=frame_mask).items():
        st["sample_" + k] = v
    extra = sizes(n, 240, 426, 51, torch.bfloat16)
    rf = RFLOW(num_sampling_steps=steps, cfg_scale=7.0, use_timestep_transform=True)
    text = FakeText(y_cond, y_null)
    runs = {}
    for name, mask in [("plain", None), ("masked", frame_mask)]:
        seen = []
        drawn = list(step_noise)
        real = torch.randn_like

        def replay(x, **k):
            return drawn.pop(0).clone()

        torch.randn_like = replay
        try:
            out = rf.sample(fake_model(A, beta, delta, gamma, seen), text, z.clone(), ["a"] * n, "cpu",
                            additional_args=dict(extra), mask=None if mask is None else mask.clone(), progress=False)
        finally:
            torch.randn_like = real
        st["sample_out_" + name] = out
        runs[name] = {"model_calls": seen, "noise_draws": steps - len(drawn)}
    # the same masked run drawing its noise from the default generator, seed 77
    seen = []
    torch.manual_seed(77)
    out = rf.sample(fake_model(A, beta, delta, gamma, seen), text, z.clone(), ["a"] * n, "cpu",
                    additional_args=dict(extra), mask=frame_mask.clone(), progress=False)
    st["sample_out_seeded"] = out
    js["sampling"] = runs
    # class defaults (10 steps, cfg 4.0, no transform) on the plain run
    seen = []
    out = RFLOW().sample(fake_model(A, beta, delta, gamma, seen), text, z.clone(), ["a"] * n, "cpu",
                         additional_args=dict(extra), progress=False)
    st["sample_out_class_defaults"] = out

    # 3. training losses with given t and noise, with and without a frame mask
    B, T2 = 3, 5
    x0 = torch.randn(B, C, T2, H, W, generator=g)
    noise = torch.randn(B, C, T2, H, W, generator=g)
    y_train = torch.randn(B, 1, 3, 5, generator=g)
    t = torch.tensor([0.0, 412.5, 999.0])
    tmask = torch.tensor([[True, False, True, True, False], [True] * T2, [False, False, True, False, False]])
    st.update(train_x0=x0, train_noise=noise, train_y=y_train, train_t=t, train_mask=tmask)
    sch = RFlowScheduler(use_timestep_transform=True, sample_method="logit-normal")
    losses = {}
    for name, mask in [("plain", None), ("masked", tmask)]:
        seen = []
        kw = {"y": y_train}
        if mask is not None:
            kw["x_mask"] = mask
        losses[name] = sch.training_losses(fake_model(A, beta, delta, gamma, seen), x0, kw, noise=noise,
                                           mask=mask, t=t.clone())["loss"].tolist()
    # t drawn by the scheduler (seed 5) and transformed with bf16 sizes, as training does
    for method in ["uniform", "logit-normal"]:
        seen = []
        s = RFlowScheduler(use_timestep_transform=True, sample_method=method)
        torch.manual_seed(5)
        kw = {"y": y_train, **sizes(B, 360, 640, 102, torch.bfloat16)}
        loss = s.training_losses(fake_model(A, beta, delta, gamma, seen), x0, kw, noise=noise)["loss"].tolist()
        losses["drawn_" + method] = {"loss": loss, "t": seen[0]["t"]}
    js["losses"] = losses

    # 4. inference mask strategies (latent frames; z has 15 frames, references 1 and 15 frames)
    strategies = ["0", "0;0,1,0,-1,1", "0,0,0,0,15,0.5", "0,1,-5,0,5", "0,1,3,2,4,0.25;1,0,0,0,1",
                  "1,1,-5,0,5,0", "0,1,0,-1,1", "0,1,2,7,6", "0,1,-3,-3,3,0.4"]
    ref_lengths = [1, 15]
    ms = []
    for s in strategies:
        for align in [None, 5]:
            for loop in [0, 1]:
                zz = torch.zeros(1, 1, 15, 1, 1)
                refs = [[torch.full((1, L, 1, 1), 0.0) + (100 * (r + 1) + torch.arange(L).float())[None, :, None, None]
                         for r, L in enumerate(ref_lengths)]]
                mask = iu.apply_mask_strategy(zz, refs, [s], loop, align=align)
                ms.append({"strategy": s, "align": align, "loop": loop, "mask": mask[0].tolist(),
                           "z": zz[0, 0, :, 0, 0].tolist()})
    js["mask_strategies"] = {"ref_lengths": ref_lengths, "latent_frames": 15, "cases": ms}
    js["parsed"] = {s: iu.parse_mask_strategy(s) for s in strategies}
    js["nearest_point"] = [[v, iu.find_nearest_point(v, 5, m)] for v in range(0, 21) for m in (15, 20)]
    js["dframe_to_frame"] = [[k, iu.dframe_to_frame(k)] for k in (5, 10, 15)]

    with open(os.path.join(args.out, "rflow.json"), "w") as f:
        json.dump(js, f, indent=1)
    write_safetensors(os.path.join(args.out, "rflow.safetensors"), st)


if __name__ == "__main__":
    main()
