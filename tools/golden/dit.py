"""Generate src/test/resources/golden/dit/ (the reference DiT's outputs for three architectures).

Upstream: hpcaitech/Open-Sora at commit 0a4a091 (March 2024), ``open_sora/modeling/dit/dit.py``
and ``attn.py`` (the model) and ``open_sora/utils/data.py`` (``video2col``, ``patchify_batch``,
``expand_mask_4d``, ``col2video``), imported unmodified from the checkout. Needs only Debian's
PyTorch 1.13 and NumPy:

    apt-get install -y python3-torch python3-numpy
    mkdir -p /tmp/os0 && git -C OPEN_SORA_GIT_DIR archive 0a4a091 | tar -x -C /tmp/os0
    /usr/bin/python3 tools/golden/dit.py --upstream /tmp/os0 --out /tmp/golden-dit
    /usr/bin/python3 tools/golden/compare.py /tmp/golden-dit src/test/resources/golden/dit

Stand-ins (this script's own, never upstream code): colossalai, ``open_sora.utils.comm`` (sequence
parallelism only), datasets/diffusers/transformers/torchvision (imported by ``data.py`` for
dataset and compressor loading only), ``timm``'s ``Mlp`` (fc1 -> tanh-GELU -> fc2, the layer
names the checkpoints use), and ``F.scaled_dot_product_attention``, which PyTorch 1.13 lacks:
``softmax(q k^T * scale + mask) v``, the PyTorch 2.x definition. The ``open_sora.modeling``
package initialiser (which imports Latte and diffusers) is skipped.

Per architecture (adaln, cross_attn, token_concat with seed s = 100, 101, 102): every parameter
is drawn in state-dict key order from ``torch.Generator().manual_seed(s)``: randn / sqrt(fan_in) for
tensors of rank >= 2, randn * 0.1 for vectors; the inputs are drawn from a generator seeded
s + 1. Outputs are computed in eval mode under ``torch.no_grad()``.
"""

import argparse
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from goldenio import add_upstream, package_without_init, save_safetensors, stub_module  # noqa: E402

ARCHS = [("adaln", "adaln", 100), ("cross_attn", "cross-attn", 101), ("token_concat", "token-concat", 102)]
CONFIG = dict(patch_size=2, in_channels=3, text_embed_dim=8, hidden_size=16, depth=2, num_heads=2,
              mlp_ratio=4.0, learn_sigma=True)


class _Mlp(nn.Module):
    """Stand-in for timm's ``Mlp`` with its parameter names: fc1, activation, fc2 (no dropout)."""

    def __init__(self, in_features, hidden_features, act_layer, drop=0.0):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = act_layer()
        self.fc2 = nn.Linear(hidden_features, in_features)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def _sdpa(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """PyTorch 2.x ``scaled_dot_product_attention`` for the no-dropout, non-causal case."""
    assert dropout_p == 0.0 and not is_causal
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    scores = query @ key.transpose(-2, -1) * scale
    if attn_mask is not None:
        scores = scores + attn_mask
    return torch.softmax(scores, dim=-1) @ value


def import_upstream(root):
    add_upstream(root, "open_sora/modeling/dit/dit.py")
    for name in ["colossalai", "colossalai.logging", "colossalai.utils", "colossalai.moe._operation",
                 "colossalai.shardformer.layer._operation", "datasets", "diffusers.models",
                 "torchvision.io", "transformers"]:
        stub_module(name)
    stub_module("timm.models.vision_transformer", Mlp=_Mlp)
    F.scaled_dot_product_attention = _sdpa
    import open_sora  # noqa: F401  (its __init__.py is empty)
    import open_sora.utils  # noqa: F401  (empty too)
    stub_module("open_sora.utils.comm")
    package_without_init("open_sora.modeling", os.path.join(root, "open_sora", "modeling"))
    package_without_init("open_sora.modeling.dit", os.path.join(root, "open_sora", "modeling", "dit"))
    from open_sora.modeling.dit.dit import DiT
    from open_sora.utils import data
    return DiT, data


def seeded_weights(model, seed):
    g = torch.Generator().manual_seed(seed)
    sd = model.state_dict()
    with torch.no_grad():
        for name in sorted(sd):
            p = sd[name]
            r = torch.randn(p.shape, generator=g)
            p.copy_(r / math.sqrt(p[0].numel()) if p.ndim >= 2 else r * 0.1)
    return {k: v.clone() for k, v in model.state_dict().items()}


def run(model, data, arch, videos, t, text, text_mask):
    """The reference's batch preparation and forward: videos are [C, T, H, W] latents."""
    p = CONFIG["patch_size"]
    frames = [v.permute(1, 0, 2, 3) for v in videos]  # [T, C, H, W], as preprocess_batch sees them
    x, video_mask = data.patchify_batch(frames, p)
    if arch == "adaln":
        mask = data.expand_mask_4d(video_mask, video_mask)
    elif arch == "cross-attn":
        mask = data.expand_mask_4d(video_mask, text_mask)
    else:
        both = torch.cat([text_mask, video_mask], dim=1)
        mask = data.expand_mask_4d(both, both)
    out = model(x, t, text, attention_mask=mask)  # [B, S, 2C, p, p]
    outs = []
    for i, v in enumerate(frames):
        n = int(video_mask[i].sum())
        shape = (v.shape[0], out.shape[2], v.shape[2], v.shape[3])
        outs.append(data.col2video(out[i, :n], shape).permute(1, 0, 2, 3))  # [2C, T, H, W]
    return outs


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--upstream", required=True, help="Open-Sora checkout at commit 0a4a091")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    DiT, data = import_upstream(os.path.abspath(a.upstream))
    os.makedirs(a.out, exist_ok=True)
    for file_name, arch, seed in ARCHS:
        cfg = dict(CONFIG, model_arch=arch)
        model = DiT(**cfg).eval()
        weights = seeded_weights(model, seed)
        g = torch.Generator().manual_seed(seed + 1)
        pooled = arch == "adaln"
        x = torch.randn(2, 3, 2, 4, 4, generator=g)
        t = torch.tensor([10, 537])
        text = torch.randn((2, 8) if pooled else (2, 5, 8), generator=g)
        text_mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
        mixed_x0 = torch.randn(3, 2, 4, 6, generator=g)
        mixed_x1 = torch.randn(3, 1, 4, 4, generator=g)
        mixed_t = torch.tensor([3.5, 999.0])
        mixed_text = torch.randn((2, 8) if pooled else (2, 5, 8), generator=g)
        mixed_text_mask = torch.tensor([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1]])
        with torch.no_grad():
            out = torch.stack(run(model, data, arch, list(x), t, text, None if pooled else text_mask))
            mixed = run(model, data, arch, [mixed_x0, mixed_x1], mixed_t, mixed_text,
                        None if pooled else mixed_text_mask)
        io = dict(x=x, t=t, text=text, out=out, mixed_x0=mixed_x0, mixed_x1=mixed_x1, mixed_t=mixed_t,
                  mixed_text=mixed_text, mixed_out0=mixed[0], mixed_out1=mixed[1])
        if not pooled:
            io.update(text_mask=text_mask, mixed_text_mask=mixed_text_mask)
        save_safetensors(os.path.join(a.out, f"{file_name}_weights.safetensors"), weights)
        save_safetensors(os.path.join(a.out, f"{file_name}_io.safetensors"), io)
        with open(os.path.join(a.out, f"{file_name}.json"), "w") as f:
            json.dump(dict(cfg, pos_embed="index"), f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
