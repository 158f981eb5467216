"""Generate src/test/resources/golden/sdvae/ (diffusers' AutoencoderKL, the SD VAE).

Upstream: huggingface/diffusers at tag v0.26.3, ``src/diffusers/models/autoencoders/
autoencoder_kl.py`` and ``vae.py`` with the blocks they use (``unets/unet_2d_blocks.py``,
``resnet.py``, ``attention_processor.py``, ...) and ``utils/outputs.py``, ``utils/torch_utils.py``
(``randn_tensor``), ``utils/accelerate_utils.py``, all imported unmodified from the checkout.
Needs only Debian's PyTorch 1.13 and NumPy:

    apt-get install -y python3-torch python3-numpy
    mkdir -p /tmp/diffusers && git -C DIFFUSERS_GIT_DIR archive v0.26.3 src/diffusers | tar -x -C /tmp/diffusers
    /usr/bin/python3 tools/golden/sdvae.py --upstream /tmp/diffusers --out /tmp/golden-sdvae
    /usr/bin/python3 tools/golden/compare.py /tmp/golden-sdvae src/test/resources/golden/sdvae

Stand-ins (this script's own), for library infrastructure the forward pass does not use:
``ModelMixin`` as a plain ``nn.Module`` (loading/saving helpers only), ``ConfigMixin`` and
``register_to_config`` reduced to storing the constructor arguments as ``self.config``,
``FromOriginalVAEMixin`` (single-file loading), the logging, import-check and deprecation helpers
(no peft, no xformers, no accelerate, no transformers), and ``packaging``. The package
initialisers of diffusers (which import the hub client and every pipeline) are skipped. Under
PyTorch 1.13 diffusers picks its classic attention processor (no ``scaled_dot_product_attention``).

Weights: ``AutoencoderKL`` built under ``torch.manual_seed(0)``, then, from the same global
generator, each GroupNorm in module order gets weight ``uniform_(0.5, 1.5)`` and bias
``uniform_(-0.2, 0.2)``. Inputs come from ``torch.Generator().manual_seed(2)``: the video, uniform
in [-1, 1), then the decoder latent N(0, 1). The posterior sample uses diffusers' own
``latent_dist.sample(generator=torch.Generator().manual_seed(42))``. Frames go through the 2-D
VAE one by one: [B, C, T, H, W] -> [B*T, C, H, W] and back.
"""

import argparse
import functools
import importlib
import inspect
import json
import logging
import os
import sys
import types

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from goldenio import DTYPE_NAMES, package_without_init, save_safetensors, stub_module  # noqa: E402

TINY = {
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
    "scaling_factor": 0.18215,
}
# config.json of stabilityai/sd-vae-ft-mse as published (written by diffusers 0.4.2)
FT_MSE = {
    "_class_name": "AutoencoderKL",
    "_diffusers_version": "0.4.2",
    "act_fn": "silu",
    "block_out_channels": [128, 256, 512, 512],
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "in_channels": 3,
    "latent_channels": 4,
    "layers_per_block": 2,
    "norm_num_groups": 32,
    "out_channels": 3,
    "sample_size": 256,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
}
KEYS_CONFIG_ORDER = ["act_fn", "block_out_channels", "down_block_types", "up_block_types", "in_channels",
                     "out_channels", "latent_channels", "layers_per_block", "norm_num_groups", "sample_size"]


def _version_tuple(text):
    """'1.13.0a0+gitabc' -> (1, 13, 0): the release numbers only."""
    parts = []
    for x in text.split("+")[0].split(".")[:3]:
        digits = ""
        for c in x:
            if not c.isdigit():
                break
            digits += c
        parts.append(int(digits or 0))
    return tuple(parts)


def _is_torch_version(operation, version):
    """Stand-in for diffusers' version check, comparing release numbers."""
    have, want = _version_tuple(torch.__version__), _version_tuple(version)
    return {">=": have >= want, ">": have > want, "<": have < want, "<=": have <= want,
            "==": have == want, "!=": have != want}[operation]


class _ModelMixin(nn.Module):
    """Stand-in for diffusers' ``ModelMixin``: its hub and serialisation helpers are not needed."""


class _ConfigMixin:
    """Stand-in for diffusers' ``ConfigMixin``: ``self.config`` holds the constructor arguments."""

    config_name = "config.json"


def _register_to_config(init):
    sig = inspect.signature(init)

    @functools.wraps(init)
    def wrapped(self, *args, **kwargs):
        bound = sig.bind(self, *args, **kwargs)
        bound.apply_defaults()
        self.config = types.SimpleNamespace(**{k: v for k, v in bound.arguments.items() if k != "self"})
        init(self, *args, **kwargs)

    return wrapped


def import_upstream(root):
    root = os.path.abspath(root)
    src = next((p for p in (os.path.join(root, "src", "diffusers"), os.path.join(root, "diffusers"))
                if os.path.exists(os.path.join(p, "models", "autoencoders", "autoencoder_kl.py"))), None)
    if src is None:
        sys.exit(f"--upstream {root}: src/diffusers/models/autoencoders/autoencoder_kl.py not found "
                 "(need a diffusers checkout at v0.26.3)")
    sys.path.insert(0, os.path.dirname(src))
    stub_module("packaging.version")
    d = package_without_init("diffusers", src)
    d.__version__ = "0.26.3"
    utils = package_without_init("diffusers.utils", os.path.join(src, "utils"))
    stub_module("diffusers.utils.logging", get_logger=logging.getLogger)
    no = lambda *a, **k: False  # noqa: E731
    stub_module("diffusers.utils.import_utils", is_torch_available=lambda: True, is_torch_version=_is_torch_version,
                is_xformers_available=no, is_transformers_available=no, is_accelerate_available=no,
                is_peft_available=no, is_flax_available=no)
    outputs = importlib.import_module("diffusers.utils.outputs")
    utils.BaseOutput = outputs.BaseOutput
    utils.USE_PEFT_BACKEND = False
    utils.is_torch_version = _is_torch_version
    utils.is_torch_available = lambda: True
    utils.is_flax_available = no
    utils.deprecate = lambda *a, **k: None
    utils.logging = sys.modules["diffusers.utils.logging"]
    importlib.import_module("diffusers.utils.torch_utils")
    importlib.import_module("diffusers.utils.accelerate_utils")
    stub_module("diffusers.configuration_utils", ConfigMixin=_ConfigMixin, register_to_config=_register_to_config)
    stub_module("diffusers.loaders", FromOriginalVAEMixin=type("FromOriginalVAEMixin", (), {}))
    models = os.path.join(src, "models")
    package_without_init("diffusers.models", models)
    stub_module("diffusers.models.modeling_utils", ModelMixin=_ModelMixin)
    for sub in ("unets", "transformers", "autoencoders"):
        package_without_init(f"diffusers.models.{sub}", os.path.join(models, sub))
    return importlib.import_module("diffusers.models.autoencoders.autoencoder_kl").AutoencoderKL


def model_kwargs(cfg):
    return {k: v for k, v in cfg.items() if not k.startswith("_")}


def frames(video):
    b, c, t, h, w = video.shape
    return video.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w)


def unframes(x, b):
    bt, c, h, w = x.shape
    return x.reshape(b, bt // b, c, h, w).permute(0, 2, 1, 3, 4).contiguous()


def keys_json(AutoencoderKL, path):
    cfg = model_kwargs(FT_MSE)
    model = AutoencoderKL(**cfg)
    sd = model.state_dict()
    count = sum(p.numel() for p in model.parameters())
    shown = {k: cfg[k] for k in KEYS_CONFIG_ORDER}
    lines = [f'    "{k}": ["{DTYPE_NAMES[v.dtype]}", {json.dumps(list(v.shape))}]' for k, v in sd.items()]
    with open(path, "w") as f:
        f.write("{\n")
        f.write('  "source": "diffusers 0.26.3 AutoencoderKL state_dict()",\n')
        f.write(f'  "config": {json.dumps(shown)},\n')
        f.write(f'  "parameters": {count},\n')
        f.write('  "tensors": {\n' + ",\n".join(lines) + "\n  }\n}\n")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--upstream", required=True, help="diffusers checkout at tag v0.26.3")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    AutoencoderKL = import_upstream(a.upstream)
    os.makedirs(a.out, exist_ok=True)
    out = lambda name: os.path.join(a.out, name)  # noqa: E731

    torch.manual_seed(0)
    vae = AutoencoderKL(**model_kwargs(TINY))
    with torch.no_grad():
        for m in vae.modules():
            if isinstance(m, nn.GroupNorm):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    vae.eval()
    save_safetensors(out("diffusion_pytorch_model.safetensors"), vae.state_dict(), metadata={"format": "pt"})
    with open(out("config.json"), "w") as f:
        json.dump(TINY, f, indent=2)
        f.write("\n")

    g = torch.Generator().manual_seed(2)
    video = torch.rand(2, 3, 3, 16, 16, generator=g) * 2 - 1
    latent = torch.randn(2, 4, 3, 8, 8, generator=g)
    with torch.no_grad():
        dist = vae.encode(frames(video)).latent_dist
        sample = dist.sample(generator=torch.Generator().manual_seed(42)) * TINY["scaling_factor"]
        decoded = vae.decode(frames(latent)).sample
    save_safetensors(out("encode_in.safetensors"), {"video": video})
    save_safetensors(out("encode_out.safetensors"), {"mean": unframes(dist.mean, 2), "logvar": unframes(dist.logvar, 2),
                                                     "latent_seed42_scaled": unframes(sample, 2)})
    save_safetensors(out("decode_in.safetensors"), {"latent": latent})
    save_safetensors(out("decode_out.safetensors"), {"video": unframes(decoded, 2)})

    keys_json(AutoencoderKL, out("sd-vae-ft-mse.keys.json"))
    with open(out("sd-vae-ft-mse.config.json"), "w") as f:
        json.dump(FT_MSE, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
