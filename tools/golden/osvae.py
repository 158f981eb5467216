"""Golden data for io.jsora.model.osvae (Open-Sora 1.2's VideoAutoencoderPipeline).

Runs the upstream code unmodified under PyTorch 1.13 (CPU, float32): Open-Sora's
opensora/models/vae/{vae,vae_temporal,utils}.py at branch opensora/v1.2 and diffusers' AutoencoderKL
(src/diffusers/models/..., tag v0.27.2). What they import but do not need here (einops, transformers'
config/model base classes, mmengine's registry, colossalai checkpoint helpers, diffusers' package
init, hub, config and logging utilities) is replaced by small stand-ins defined below.

    git -C /work/.mirror/hpcaitech+Open-Sora/repo archive opensora/v1.2 opensora | tar -x -C /tmp/os12
    git -C /work/.mirror/huggingface+diffusers/repo archive v0.27.2 src/diffusers | tar -x -C /tmp/diffusers
    /usr/bin/python3 tools/golden/osvae.py --upstream /tmp/os12 --diffusers /tmp/diffusers/src \
        --out src/test/resources/golden/osvae

Writes (see README.md there): the tiny seeded pipeline (config.json, spatial/config.json,
model.safetensors and the same as a torch.save pytorch_model.bin), encode/decode inputs and outputs for 20-, 35- and 1-frame clips of odd sizes,
and the released VAE's key/shape list (released.keys.json, released.config.json,
sdxl-vae.config.json), the latter built with parameter allocation skipped.
"""
import argparse
import collections
import importlib
import importlib.util
import inspect
import json
import os
import struct
import sys
import types

import numpy as np
import torch
import torch.nn as nn


# ---------------------------------------------------------------- stand-ins


def rearrange(x, pattern, **sizes):
    """einops.rearrange for plain axis names and parenthesised groups (all the upstream code uses)."""
    left, right = [side.strip() for side in pattern.split("->")]

    def parse(side):
        groups, cur, inside = [], None, False
        for tok in side.replace("(", " ( ").replace(")", " ) ").split():
            if tok == "(":
                cur, inside = [], True
            elif tok == ")":
                groups.append(cur)
                inside = False
            elif inside:
                cur.append(tok)
            else:
                groups.append([tok])
        return groups

    lg, rg = parse(left), parse(right)
    assert len(lg) == x.dim(), (pattern, x.shape)
    known = dict(sizes)
    for g, n in zip(lg, x.shape):
        unknown = [a for a in g if a not in known]
        prod = 1
        for a in g:
            if a in known:
                prod *= known[a]
        assert len(unknown) <= 1, (pattern, g)
        if unknown:
            known[unknown[0]] = n // prod
    elementary = [a for g in lg for a in g]
    x = x.reshape([known[a] for a in elementary])
    order = [a for g in rg for a in g]
    x = x.permute([elementary.index(a) for a in order])
    shape = []
    for g in rg:
        n = 1
        for a in g:
            n *= known[a]
        shape.append(n)
    return x.reshape(shape)


def module(name, **attrs):
    m = types.ModuleType(name)
    for k, v in attrs.items():
        setattr(m, k, v)
    sys.modules[name] = m
    return m


def package(name, path):
    m = module(name)
    m.__path__ = [path]
    return m


class Registry:
    """mmengine.registry.Registry, reduced to register_module and build(dict with 'type')."""

    def __init__(self, name, locations=None):
        self.name = name
        self.entries = {}

    def register_module(self, name=None, force=False, module=None):
        def add(obj):
            self.entries[name or obj.__name__] = obj
            return obj

        return add

    def build(self, cfg):
        cfg = dict(cfg)
        return self.entries[cfg.pop("type")](**cfg)


class PretrainedConfig:
    """transformers.PretrainedConfig: keeps its attributes."""

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)


class PreTrainedModel(nn.Module):
    """transformers.PreTrainedModel: an nn.Module holding its config."""

    def __init__(self, config, *args, **kwargs):
        super().__init__()
        self.config = config


class FrozenDict(dict):
    def __getattr__(self, k):
        return self[k]


def register_to_config(init):
    """diffusers' decorator: the bound arguments (defaults included) become self.config."""

    def wrapped(self, *args, **kwargs):
        bound = inspect.signature(init).bind(self, *args, **kwargs)
        bound.apply_defaults()
        cfg = {k: v for k, v in bound.arguments.items() if k != "self"}
        object.__setattr__(self, "_internal_dict", FrozenDict(cfg))
        init(self, *args, **kwargs)

    return wrapped


class ConfigMixin:
    @property
    def config(self):
        return self._internal_dict


class ModelMixin(nn.Module):
    """diffusers.ModelMixin: from_pretrained reads <path>/<subfolder>/config.json (no weights: they are set later)."""

    @classmethod
    def from_pretrained(cls, path, subfolder=None, **kwargs):
        folder = os.path.join(path, subfolder) if subfolder else path
        with open(os.path.join(folder, "config.json")) as f:
            cfg = {k: v for k, v in json.load(f).items() if not k.startswith("_")}
        return cls(**cfg)


def randn_tensor(shape, generator=None, device=None, dtype=None, layout=None):
    """diffusers.utils.torch_utils.randn_tensor on the CPU."""
    return torch.randn(shape, generator=generator, device=device, dtype=dtype, layout=layout or torch.strided)


class Logger:
    def __getattr__(self, name):
        return lambda *a, **k: None


def install_stand_ins(diffusers_src):
    module("einops", rearrange=rearrange)
    module("transformers", PretrainedConfig=PretrainedConfig, PreTrainedModel=PreTrainedModel,
           CLIPTextModel=None, CLIPTextModelWithProjection=None)
    package("mmengine", "/nonexistent")
    module("mmengine.registry", Registry=Registry)

    root = os.path.join(diffusers_src, "diffusers")
    package("diffusers", root)
    base_output = type("BaseOutput", (collections.OrderedDict,), {
        "__post_init__": lambda self: None,
    })
    module("diffusers.utils", BaseOutput=object, is_torch_version=lambda op, v: False,
           deprecate=lambda *a, **k: None, logging=types.SimpleNamespace(get_logger=lambda n: Logger()),
           USE_PEFT_BACKEND=False)
    sys.modules["diffusers.utils"].__path__ = ["/nonexistent"]
    del base_output
    module("diffusers.utils.torch_utils", randn_tensor=randn_tensor, maybe_allow_in_graph=lambda c: c,
           apply_freeu=None)
    module("diffusers.utils.import_utils", is_xformers_available=lambda: False, is_transformers_available=lambda: False)
    module("diffusers.utils.accelerate_utils", apply_forward_hook=lambda f: f)
    module("diffusers.configuration_utils", ConfigMixin=ConfigMixin, register_to_config=register_to_config)
    module("diffusers.loaders", FromOriginalVAEMixin=type("FromOriginalVAEMixin", (), {}))
    module("diffusers.image_processor", IPAdapterMaskProcessor=None)
    models = package("diffusers.models", os.path.join(root, "models"))
    module("diffusers.models.modeling_utils", ModelMixin=ModelMixin)
    package("diffusers.models.autoencoders", os.path.join(root, "models", "autoencoders"))
    package("diffusers.models.unets", os.path.join(root, "models", "unets"))
    package("diffusers.models.transformers", "/nonexistent")
    module("diffusers.models.transformers.dual_transformer_2d", DualTransformer2DModel=None)
    module("diffusers.models.transformers.transformer_2d", Transformer2DModel=None)
    kl = importlib.import_module("diffusers.models.autoencoders.autoencoder_kl")
    models.AutoencoderKL = kl.AutoencoderKL
    models.AutoencoderKLTemporalDecoder = None
    return kl


def load_upstream(upstream):
    package("opensora", os.path.join(upstream, "opensora"))
    spec = importlib.util.spec_from_file_location("opensora.registry", os.path.join(upstream, "opensora", "registry.py"))
    registry = importlib.util.module_from_spec(spec)
    sys.modules["opensora.registry"] = registry
    spec.loader.exec_module(registry)
    package("opensora.utils", "/nonexistent")

    def load_checkpoint(*a, **k):
        raise RuntimeError("not used: weights are set by this script")

    module("opensora.utils.ckpt_utils", load_checkpoint=load_checkpoint)
    package("opensora.models", os.path.join(upstream, "opensora", "models"))
    package("opensora.models.vae", os.path.join(upstream, "opensora", "models", "vae"))
    vt = importlib.import_module("opensora.models.vae.vae_temporal")
    vae = importlib.import_module("opensora.models.vae.vae")
    utils = importlib.import_module("opensora.models.vae.utils")
    return registry, vae, vt, utils


# ---------------------------------------------------------------- output


DTYPES = {torch.float32: "F32", torch.int64: "I64", torch.bfloat16: "BF16"}


def save_safetensors(path, tensors):
    header, chunks, off = {}, [], 0
    for k in sorted(tensors):
        t = tensors[k].detach().contiguous().cpu()
        b = t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        header[k] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        chunks.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in chunks:
            f.write(b)


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


# ---------------------------------------------------------------- tiny model


TINY_SPATIAL = {
    "_class_name": "AutoencoderKL",
    "act_fn": "silu",
    "block_out_channels": [4, 8],
    "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D"],
    "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D"],
    "in_channels": 3,
    "out_channels": 3,
    "latent_channels": 4,
    "layers_per_block": 1,
    "norm_num_groups": 2,
    "sample_size": 16,
    "scaling_factor": 0.13025,
}

TINY_PIPELINE = {
    "architectures": ["VideoAutoencoderPipeline"],
    "cal_loss": False,
    "freeze_vae_2d": False,
    "from_pretrained": None,
    "micro_frame_size": 17,
    "model_type": "VideoAutoencoderPipeline",
    "scale": [3.85, 2.32, 2.33, 3.06],
    "shift": [-0.1, 0.34, 0.27, 0.98],
    "torch_dtype": "float32",
    "transformers_version": "4.36.2",
    "vae_2d": {"type": "VideoAutoencoderKL", "from_pretrained": "spatial", "subfolder": None, "micro_batch_size": 3,
               "local_files_only": True},
    "vae_temporal": {"type": "VAE_Temporal", "in_out_channels": 4, "latent_embed_dim": 4,
                     "embed_dim": 4, "filters": 2, "num_res_blocks": 2, "channel_multipliers": [1, 2, 2, 4],
                     "temporal_downsample": [False, True, True], "num_groups": 2, "activation_fn": "swish"},
}

# the released pipeline config (hpcai-tech/OpenSora-VAE-v1.2 config.json)
RELEASED_PIPELINE = {
    "architectures": ["VideoAutoencoderPipeline"],
    "cal_loss": False,
    "freeze_vae_2d": False,
    "from_pretrained": None,
    "micro_frame_size": 17,
    "model_type": "VideoAutoencoderPipeline",
    "scale": [3.85, 2.32, 2.33, 3.06],
    "shift": [-0.1, 0.34, 0.27, 0.98],
    "torch_dtype": "float32",
    "transformers_version": "4.36.2",
    "vae_2d": {"from_pretrained": "PixArt-alpha/pixart_sigma_sdxlvae_T5_diffusers", "local_files_only": True,
               "micro_batch_size": 4, "subfolder": "vae", "type": "VideoAutoencoderKL"},
    "vae_temporal": {"from_pretrained": None, "type": "VAE_Temporal_SD"},
}

# the structural fields of PixArt-alpha/pixart_sigma_sdxlvae_T5_diffusers vae/config.json
SDXL_VAE = {
    "_class_name": "AutoencoderKL",
    "act_fn": "silu",
    "block_out_channels": [128, 256, 512, 512],
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
    "force_upcast": False,
    "in_channels": 3,
    "latent_channels": 4,
    "layers_per_block": 2,
    "norm_num_groups": 32,
    "out_channels": 3,
    "sample_size": 1024,
    "scaling_factor": 0.13025,
}

PIPELINE_KEYS = ["vae_2d", "vae_temporal", "from_pretrained", "freeze_vae_2d", "cal_loss", "micro_frame_size", "shift", "scale"]


def build(vae_mod, cfg):
    kwargs = {k: cfg[k] for k in PIPELINE_KEYS if k in cfg}
    for k in ("temporal_downsample", "channel_multipliers"):
        if k in kwargs["vae_temporal"]:  # upstream passes tuples
            kwargs["vae_temporal"] = dict(kwargs["vae_temporal"], **{k: tuple(kwargs["vae_temporal"][k])})
    return vae_mod.VideoAutoencoderPipeline(vae_mod.VideoAutoencoderPipelineConfig(**kwargs))


def seeded_weights(model):
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name and name.endswith("weight"):
                p.copy_(torch.rand(p.shape, generator=g) + 0.5)
            elif "norm" in name and name.endswith("bias"):
                p.copy_((torch.rand(p.shape, generator=g) - 0.5) * 0.4)
            else:
                fan_in = p[0].numel() if p.dim() > 1 else p.numel()
                p.copy_((torch.rand(p.shape, generator=g) * 2 - 1) * (3.0 / fan_in) ** 0.5)


def with_mode(classes, fn):
    """Runs fn with every posterior's sample() returning its mean (the deterministic contract)."""
    saved = [(c, c.sample) for c in classes]
    for c in classes:
        c.sample = lambda self, *a, **k: self.mean
    try:
        return fn()
    finally:
        for c, s in saved:
            c.sample = s


def tiny(vae_mod, kl_mod, utils_mod, out):
    os.makedirs(os.path.join(out, "spatial"), exist_ok=True)
    write_json(os.path.join(out, "spatial", "config.json"), TINY_SPATIAL)
    write_json(os.path.join(out, "config.json"), TINY_PIPELINE)
    cwd = os.getcwd()
    os.chdir(out)  # from_pretrained "spatial" is relative to the config's directory
    try:
        torch.manual_seed(0)
        model = build(vae_mod, TINY_PIPELINE)
    finally:
        os.chdir(cwd)
    seeded_weights(model)
    model.eval()
    sd = dict(model.state_dict())
    save_safetensors(os.path.join(out, "model.safetensors"), sd)
    torch.save(sd, os.path.join(out, "pytorch_model.bin"))  # the same weights as torch.save writes them
    posteriors = [sys.modules["diffusers.models.autoencoders.vae"].DiagonalGaussianDistribution,
                  utils_mod.DiagonalGaussianDistribution]
    g = torch.Generator().manual_seed(1)
    cases = {"a": (2, 20, 9, 11), "b": (1, 35, 8, 10), "c": (1, 1, 6, 7)}
    enc_in, enc_out, dec_in, dec_out = {}, {}, {}, {}
    with torch.no_grad():
        for name, (b, t, h, w) in cases.items():
            video = torch.rand((b, 3, t, h, w), generator=g) * 2 - 1
            enc_in["video_" + name] = video
            z = with_mode(posteriors, lambda: model.encode(video))
            enc_out["latent_" + name] = z
            x_z = with_mode(posteriors, lambda: model.spatial_vae.encode(video))
            enc_out["spatial_" + name] = x_z
            latent = torch.randn(z.shape, generator=g)
            dec_in["latent_" + name] = latent
            dec_in["num_frames_" + name] = torch.tensor([t], dtype=torch.int64)
            dec_out["video_" + name] = model.decode(latent, num_frames=t)
            dec_out["video_from_mean_" + name] = model.decode(z, num_frames=t)
        torch.manual_seed(42)
        enc_out["latent_a_sampled_seed42"] = model.encode(enc_in["video_a"])
    save_safetensors(os.path.join(out, "encode_in.safetensors"), enc_in)
    save_safetensors(os.path.join(out, "encode_out.safetensors"), enc_out)
    save_safetensors(os.path.join(out, "decode_in.safetensors"), dec_in)
    save_safetensors(os.path.join(out, "decode_out.safetensors"), dec_out)
    for k, v in list(enc_out.items()) + list(dec_out.items()):
        print(k, tuple(v.shape), float(v.abs().mean()))


# ---------------------------------------------------------------- released keys


def released(vae_mod, out):
    with open(os.path.join(out, "sdxl-vae.config.json"), "w") as f:
        json.dump(SDXL_VAE, f, indent=2)
        f.write("\n")
    write_json(os.path.join(out, "released.config.json"), RELEASED_PIPELINE)
    tmp = os.path.join(out, "_hub")
    os.makedirs(os.path.join(tmp, "PixArt-alpha", "pixart_sigma_sdxlvae_T5_diffusers", "vae"), exist_ok=True)
    write_json(os.path.join(tmp, "PixArt-alpha", "pixart_sigma_sdxlvae_T5_diffusers", "vae", "config.json"), SDXL_VAE)
    # no parameter memory: every module's reset_parameters is skipped and tensors are only reserved
    skipped = []
    for cls in (nn.Conv2d, nn.Conv3d, nn.Linear, nn.GroupNorm):
        skipped.append((cls, cls.reset_parameters))
        cls.reset_parameters = lambda self: None
    cwd = os.getcwd()
    os.chdir(tmp)
    try:
        model = build(vae_mod, RELEASED_PIPELINE)
    finally:
        os.chdir(cwd)
        for cls, fn in skipped:
            cls.reset_parameters = fn
        for root, dirs, files in os.walk(tmp, topdown=False):
            for n in files:
                os.remove(os.path.join(root, n))
            for n in dirs:
                os.rmdir(os.path.join(root, n))
        os.rmdir(tmp)
    tensors = collections.OrderedDict()
    for k, v in model.state_dict().items():
        tensors[k] = [DTYPES[v.dtype], list(v.shape)]
    params = sum(p.numel() for p in model.parameters())
    spatial = sum(p.numel() for p in model.spatial_vae.parameters())
    temporal = sum(p.numel() for p in model.temporal_vae.parameters())
    with open(os.path.join(out, "released.keys.json"), "w") as f:
        f.write("{\n")
        f.write('  "source": "Open-Sora opensora/v1.2 VideoAutoencoderPipeline (released config) state_dict(), diffusers v0.27.2",\n')
        f.write('  "parameters": %d,\n  "spatial_parameters": %d,\n  "temporal_parameters": %d,\n' % (params, spatial, temporal))
        f.write('  "tensors": {\n')
        f.write(",\n".join('    %s: %s' % (json.dumps(k), json.dumps(v)) for k, v in tensors.items()))
        f.write("\n  }\n}\n")
    print("released:", len(tensors), "tensors,", params, "parameters (spatial", spatial, "temporal", temporal, ")")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--upstream", required=True, help="Open-Sora checkout at opensora/v1.2 (holds opensora/)")
    ap.add_argument("--diffusers", required=True, help="diffusers v0.27.2 src directory (holds diffusers/)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    kl = install_stand_ins(os.path.abspath(a.diffusers))
    registry, vae_mod, vt_mod, utils_mod = load_upstream(os.path.abspath(a.upstream))
    torch.set_num_threads(1)
    tiny(vae_mod, kl, utils_mod, os.path.abspath(a.out))
    released(vae_mod, os.path.abspath(a.out))


if __name__ == "__main__":
    main()
