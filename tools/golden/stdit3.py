"""Golden data for jsora's STDiT3 (src/test/resources/golden/stdit3/), from the upstream code.

Runs upstream Open-Sora 1.2's `opensora/models/stdit/stdit3.py` and `opensora/models/layers/blocks.py`
(branch opensora/v1.2, commit bde3c42) under PyTorch 1.13 on the CPU in float32, with
rotary-embedding-torch at tag 0.5.3. Nothing upstream is copied: the files are imported from the
given checkouts. Modules they import but do not need for a CPU forward pass are replaced here by
small equivalents (see `install_shims`): xformers' memory_efficient_attention and BlockDiagonalMask
(an exact dense-softmax fallback), timm's Mlp/DropPath, transformers' PretrainedConfig/
PreTrainedModel, einops' rearrange/repeat, beartype, mmengine's Registry and Open-Sora's checkpoint
loader.

Usage:
  git -C OPEN_SORA_MIRROR archive opensora/v1.2 | tar -x -C /tmp/os12
  git -C ROTARY_MIRROR archive 0.5.3 | tar -x -C /tmp/rope053
  /usr/bin/python3 tools/golden/stdit3.py --upstream /tmp/os12 --rope /tmp/rope053 \
      --out src/test/resources/golden/stdit3

Writes:
  tiny_config.json        the tiny config in released-config.json form (with the HF bookkeeping keys)
  tiny_weights.safetensors  the upstream state_dict, every parameter re-drawn from a seeded generator
  tiny_io.safetensors     inputs and outputs of three forward passes (see README.md there)
  STDiT3-XL-2.keys.tsv    key, dtype and shape of every tensor of the released STDiT3-XL/2 state dict,
                          from the upstream class with the released config (built on the meta device)
"""

import argparse
import importlib
import json
import math
import re
import struct
import sys
import types

import torch
import torch.nn as nn

# ----------------------------------------------------------------------------------------------
# shims


def _einops_module():
    """rearrange/repeat for the patterns upstream uses: named axes, parenthesised groups, '...'."""

    def parse(side):
        groups, cur = [], None
        for tok in re.findall(r"\.\.\.|\(|\)|\w+", side):
            if tok == "(":
                cur = []
            elif tok == ")":
                groups.append(cur)
                cur = None
            elif cur is not None:
                cur.append(tok)
            else:
                groups.append([tok])
        return groups

    def run(x, pattern, sizes, allow_new):
        lhs, rhs = (parse(s) for s in pattern.split("->"))
        n_ell = x.dim() - (len(lhs) - (1 if ["..."] in lhs else 0))
        known = dict(sizes)
        elems, shape = [], []
        dim = 0
        for g in lhs:
            if g == ["..."]:
                for i in range(n_ell):
                    elems.append("...%d" % i)
                    shape.append(x.shape[dim])
                    dim += 1
                continue
            total = x.shape[dim]
            unknown = [a for a in g if a not in known]
            prod = 1
            for a in g:
                if a in known:
                    prod *= known[a]
            if len(unknown) == 1:
                known[unknown[0]] = total // prod
            elif len(unknown) > 1:
                raise ValueError("einops shim: cannot infer %s in %s" % (unknown, pattern))
            for a in g:
                elems.append(a)
                shape.append(known[a])
            dim += 1
        x = x.reshape(shape)
        out_elems = []
        for g in rhs:
            if g == ["..."]:
                out_elems += ["...%d" % i for i in range(n_ell)]
            else:
                out_elems += g
        present = [a for a in out_elems if a in elems]
        x = x.permute([elems.index(a) for a in present])
        if allow_new:
            cur = list(present)
            for i, a in enumerate(out_elems):
                if a not in elems:
                    x = x.unsqueeze(i)
                    cur.insert(i, a)
            x = x.expand([known[a] if a not in elems else x.shape[i] for i, a in enumerate(cur)])
        final = []
        for g in rhs:
            if g == ["..."]:
                final += [x.shape[out_elems.index("...%d" % i)] for i in range(n_ell)]
            else:
                p = 1
                for a in g:
                    p *= known[a] if a in known else x.shape[out_elems.index(a)]
                final.append(p)
        return x.reshape(final)

    m = types.ModuleType("einops")
    m.rearrange = lambda x, pattern, **sizes: run(x, pattern, sizes, False)
    m.repeat = lambda x, pattern, **sizes: run(x, pattern, sizes, True)
    return m


def _xformers_module():
    """memory_efficient_attention with an exact dense fallback; BlockDiagonalMask.from_seqlens."""

    class BlockDiagonalMask:
        def __init__(self, q_lens, k_lens):
            self.q_lens, self.k_lens = list(q_lens), list(k_lens)

        @classmethod
        def from_seqlens(cls, q_seqlen, kv_seqlen=None):
            return cls(q_seqlen, kv_seqlen if kv_seqlen is not None else q_seqlen)

        def dense(self, dtype):
            mq, mk = sum(self.q_lens), sum(self.k_lens)
            bias = torch.full((mq, mk), float("-inf"), dtype=dtype)
            qo = ko = 0
            for lq, lk in zip(self.q_lens, self.k_lens):
                bias[qo : qo + lq, ko : ko + lk] = 0
                qo += lq
                ko += lk
            return bias

    def memory_efficient_attention(q, k, v, p=0.0, attn_bias=None):
        # [B, M, H, K] layout; softmax(q kᵀ / sqrt(K) + bias) v
        assert p == 0.0
        qh, kh, vh = (t.permute(0, 2, 1, 3) for t in (q, k, v))
        scores = qh @ kh.transpose(-2, -1) * (q.shape[-1] ** -0.5)
        if attn_bias is not None:
            scores = scores + attn_bias.dense(scores.dtype)
        out = scores.softmax(-1) @ vh
        return out.permute(0, 2, 1, 3).contiguous()

    xf = types.ModuleType("xformers")
    ops = types.ModuleType("xformers.ops")
    fmha = types.ModuleType("xformers.ops.fmha")
    fmha.BlockDiagonalMask = BlockDiagonalMask
    ops.fmha = fmha
    ops.memory_efficient_attention = memory_efficient_attention
    xf.ops = ops
    return {"xformers": xf, "xformers.ops": ops, "xformers.ops.fmha": fmha}


def _timm_modules():
    class Mlp(nn.Module):
        """timm 0.9.16 Mlp without norm, dropout 0: fc1, act, fc2."""

        def __init__(self, in_features, hidden_features=None, out_features=None, act_layer=nn.GELU, drop=0.0, **_):
            super().__init__()
            hidden_features = hidden_features or in_features
            out_features = out_features or in_features
            self.fc1 = nn.Linear(in_features, hidden_features)
            self.act = act_layer()
            self.fc2 = nn.Linear(hidden_features, out_features)

        def forward(self, x):
            return self.fc2(self.act(self.fc1(x)))

    class DropPath(nn.Module):
        def __init__(self, drop_prob=0.0):
            super().__init__()
            assert drop_prob == 0.0

        def forward(self, x):
            return x

    timm = types.ModuleType("timm")
    models = types.ModuleType("timm.models")
    layers = types.ModuleType("timm.models.layers")
    vit = types.ModuleType("timm.models.vision_transformer")
    layers.DropPath = DropPath
    vit.Mlp = Mlp
    return {"timm": timm, "timm.models": models, "timm.models.layers": layers, "timm.models.vision_transformer": vit}


def _transformers_module():
    class PretrainedConfig:
        def __init__(self, **kwargs):
            for k, v in kwargs.items():
                setattr(self, k, v)

    class PreTrainedModel(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.config = config

    m = types.ModuleType("transformers")
    m.PretrainedConfig = PretrainedConfig
    m.PreTrainedModel = PreTrainedModel
    return m


def install_shims(upstream, rope):
    sys.modules["einops"] = _einops_module()
    sys.modules.update(_xformers_module())
    sys.modules.update(_timm_modules())
    sys.modules["transformers"] = _transformers_module()
    bt = types.ModuleType("beartype")
    bt.beartype = lambda f: f
    btt = types.ModuleType("beartype.typing")
    import typing

    btt.Literal, btt.Union, btt.Optional = typing.Literal, typing.Union, typing.Optional
    sys.modules["beartype"], sys.modules["beartype.typing"] = bt, btt

    class Registry:
        def __init__(self, *a, **k):
            pass

        def register_module(self, name=None, **k):
            return lambda f: f

    mme = types.ModuleType("mmengine")
    mmr = types.ModuleType("mmengine.registry")
    mmr.Registry = Registry
    sys.modules["mmengine"], sys.modules["mmengine.registry"] = mme, mmr
    ck = types.ModuleType("opensora.utils.ckpt_utils")

    def load_checkpoint(*a, **k):
        raise RuntimeError("not used by the golden generator")

    ck.load_checkpoint = load_checkpoint
    sys.modules["opensora.utils.ckpt_utils"] = ck
    # packages whose __init__ would import everything: expose their directories only
    for pkg in ["opensora", "opensora.models", "opensora.models.layers", "opensora.models.stdit", "opensora.acceleration",
                "opensora.utils"]:
        m = types.ModuleType(pkg)
        m.__path__ = [upstream + "/" + pkg.replace(".", "/")]
        sys.modules[pkg] = m
    sys.path.insert(0, upstream)
    sys.path.insert(0, rope)


# ----------------------------------------------------------------------------------------------
# safetensors writer (F32, I64, BOOL)

DTYPES = {torch.float32: "F32", torch.int64: "I64", torch.bool: "BOOL"}


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        data = t.numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


# ----------------------------------------------------------------------------------------------

TINY = dict(
    input_size=[None, None, None], input_sq_size=512, in_channels=4, patch_size=[1, 2, 2], hidden_size=48, depth=2,
    num_heads=4, mlp_ratio=4.0, class_dropout_prob=0.1, pred_sigma=True, drop_path=0.0, caption_channels=32,
    model_max_length=8, qk_norm=True, enable_flash_attn=False, enable_layernorm_kernel=False,
    enable_sequence_parallelism=False, only_train_temporal=False, freeze_y_embedder=True, skip_y_embedder=False)

HF_KEYS = dict(architectures=["STDiT3"], model_type="STDiT3", torch_dtype="float32", transformers_version="4.36.2")


def redraw(model, seed):
    """Every parameter from N(0, 1/fan_in) (matrices) or 0.1·N(0, 1) around its init (vectors)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name == "rope.freqs":
                continue  # fixed frequencies, stored but never trained
            if p.dim() >= 2 and not name.endswith("scale_shift_table"):
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(fan_in))
            elif name.endswith("norm.weight"):
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.3 * torch.randn(p.shape, generator=g))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--rope", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    install_shims(a.upstream, a.rope)
    stdit3 = importlib.import_module("opensora.models.stdit.stdit3")

    torch.manual_seed(0)
    model = stdit3.STDiT3(stdit3.STDiT3Config(**TINY)).eval()
    redraw(model, 100)
    sd = {k: v for k, v in model.state_dict().items()}
    write_safetensors(a.out + "/tiny_weights.safetensors", sd)
    with open(a.out + "/tiny_config.json", "w") as f:
        json.dump(dict(TINY, **HF_KEYS), f, indent=2, sort_keys=True)
        f.write("\n")

    g = torch.Generator().manual_seed(101)
    B, C, T, H, W, L, D = 2, 4, 3, 5, 7, 8, 32
    io = {
        "x": torch.randn(B, C, T, H, W, generator=g),
        "timestep": torch.tensor([937.5, 12.25]),
        "y": torch.randn(B, 1, L, D, generator=g),
        "mask": torch.tensor([[1, 1, 1, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 0, 0]], dtype=torch.int64),
        "fps": torch.tensor([24.0, 12.0]),
        "height": torch.tensor([40.0, 40.0]),
        "width": torch.tensor([56.0, 56.0]),
        "x_mask": torch.tensor([[False, True, True], [True, True, False]]),
    }
    kw = dict(mask=io["mask"], fps=io["fps"], height=io["height"], width=io["width"])
    with torch.no_grad():
        io["out"] = model(io["x"], io["timestep"], io["y"], **kw)
        io["out_x_mask"] = model(io["x"], io["timestep"], io["y"], x_mask=io["x_mask"], **kw)
        # classifier-free-guidance batch: y = cat(cond, null) with the n-row mask tiled inside
        io["cfg_x"] = torch.cat([io["x"], io["x"]])
        io["cfg_timestep"] = torch.cat([io["timestep"], io["timestep"]])
        io["cfg_y"] = torch.cat([io["y"], model.y_embedder.y_embedding[None, None].repeat(B, 1, 1, 1)])
        io["cfg_fps"] = torch.cat([io["fps"], io["fps"]])
        io["cfg_height"] = torch.cat([io["height"], io["height"]])
        io["cfg_width"] = torch.cat([io["width"], io["width"]])
        io["cfg_out"] = model(io["cfg_x"], io["cfg_timestep"], io["cfg_y"], mask=io["mask"], fps=io["cfg_fps"],
                              height=io["cfg_height"], width=io["cfg_width"])
    write_safetensors(a.out + "/tiny_io.safetensors", io)
    for k in ("out", "out_x_mask", "cfg_out"):
        print(k, tuple(io[k].shape), float(io[k].abs().max()))

    # the released STDiT3-XL/2 (hpcai-tech/OpenSora-STDiT-v3 config.json): keys and shapes, no storage
    released = dict(TINY, hidden_size=1152, depth=28, num_heads=16, caption_channels=4096, model_max_length=300)
    lin_init, conv_init = nn.Linear.__init__, nn.Conv3d.__init__
    nn.Linear.__init__ = lambda self, *args, **kw: lin_init(self, *args, **dict(kw, device="meta"))
    nn.Conv3d.__init__ = lambda self, *args, **kw: conv_init(self, *args, **dict(kw, device="meta"))
    try:
        big = stdit3.STDiT3(stdit3.STDiT3Config(**released))
    finally:
        nn.Linear.__init__, nn.Conv3d.__init__ = lin_init, conv_init
    names = {torch.float32: "F32"}
    lines = ["%s\t%s\t%s" % (k, names[v.dtype], ",".join(str(s) for s in v.shape)) for k, v in big.state_dict().items()]
    with open(a.out + "/STDiT3-XL-2.keys.tsv", "w") as f:
        f.write("\n".join(lines) + "\n")
    n_params = sum(p.numel() for p in big.parameters())
    print("STDiT3-XL/2:", len(lines), "tensors,", n_params, "parameters")


if __name__ == "__main__":
    main()
