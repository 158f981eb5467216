"""Generate src/test/resources/golden/clip/ (Hugging Face CLIP text model reference).

Upstream: huggingface/transformers ``src/transformers/models/clip/modeling_clip.py`` and
``configuration_clip.py`` with ``activations.py``, ``modeling_outputs.py`` and
``utils/generic.py`` (``ModelOutput``), imported unmodified from a checkout given with
``--upstream``. The committed files were made with transformers 4.57.6; the transformers tag
reachable here is v4.33.2 (the release tags of the lih1130/newT5 fork), whose CLIP forward
differs only in where the attention scale is applied (before instead of after q k^T) and whose
weight initialisation is the same, so it reproduces the weights bit for bit and the outputs to
float32 rounding (see tools/golden/README.md for the measured differences). Needs only Debian's
PyTorch 1.13 and NumPy:

    apt-get install -y python3-torch python3-numpy
    mkdir -p /tmp/tf && git -C TRANSFORMERS_GIT_DIR archive v4.33.2 src/transformers | tar -x -C /tmp/tf
    /usr/bin/python3 tools/golden/clip.py --upstream /tmp/tf --out /tmp/golden-clip
    /usr/bin/python3 tools/golden/compare.py /tmp/golden-clip src/test/resources/golden/clip

Stand-ins (this script's own), for library infrastructure the forward pass does not use:
``PreTrainedModel`` reduced to holding the config, ``post_init`` applying the model's own
``_init_weights`` to every module (children first, as upstream's ``apply``); ``PretrainedConfig``
reduced to keeping its keyword arguments (special token ids, ``return_dict`` True, no extra
outputs, eager attention); the docstring decorators; logging; ``OnnxConfig``; the import checks;
and ``packaging.version.parse`` (release numbers). Package initialisers are skipped.

What is generated, and how (seeds as in clip/README.md):
- ``tiny_clip_full/``: ``CLIPModel`` under ``torch.manual_seed(1234)``, every parameter (in
  ``named_parameters`` order) += 0.05 randn from ``torch.Generator().manual_seed(1)``; saved
  with ``torch.save`` plus the two ``position_ids`` buffers; text outputs of ``model.text_model``.
- ``tiny_text_gelu/``: ``CLIPTextModel`` under ``torch.manual_seed(4321)``, perturbed the same way
  with generator seed 2; saved as safetensors.
- ``clip-vit-base-patch32.keys.tsv`` and ``.config.json``: the state-dict keys of ``CLIPModel``
  built with that model's published configuration (``position_ids`` kept persistent).
- ``builtin/`` only with ``--builtin-dir DIR``, a directory written by jsora's
  ``BuiltinTextEncoder.create(DIR, BuiltinTextEncoderTest.CAPTIONS, 11)``: the captions of
  ``BUILTIN_CAPTIONS`` tokenised by the Python ``tokenizers`` library from DIR's ``tokenizer.json``
  (truncation 32, the file's padding) and run through ``CLIPTextModel`` loaded strictly from DIR.
  That library is Rust and not packaged by Debian; without it, ``--builtin-ids FILE`` takes the
  ids and mask from FILE (the committed ``expected.safetensors``), which checks the model half. ``bpe-tokenizer/``
  is written by ``clip_tokenizer.py``.
"""

import argparse
import importlib
import inspect
import json
import logging
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from goldenio import DTYPE_NAMES, load_safetensors, package_without_init, save_safetensors, stub_module  # noqa: E402

TINY_FULL = {
    "architectures": ["CLIPModel"],
    "model_type": "clip",
    "initializer_factor": 1.0,
    "logit_scale_init_value": 2.6592,
    "projection_dim": 8,
    "text_config": {
        "vocab_size": 64, "hidden_size": 32, "intermediate_size": 37, "projection_dim": 8,
        "num_hidden_layers": 2, "num_attention_heads": 4, "max_position_embeddings": 16,
        "hidden_act": "quick_gelu", "layer_norm_eps": 1e-05, "attention_dropout": 0.0,
        "initializer_range": 0.02, "initializer_factor": 1.0, "pad_token_id": 1, "bos_token_id": 0,
        "eos_token_id": 2, "model_type": "clip_text_model",
    },
    "text_config_dict": None,
    "vision_config": {
        "hidden_size": 16, "intermediate_size": 24, "projection_dim": 8, "num_hidden_layers": 1,
        "num_attention_heads": 2, "num_channels": 3, "image_size": 8, "patch_size": 4,
        "hidden_act": "quick_gelu", "layer_norm_eps": 1e-05, "attention_dropout": 0.0,
        "initializer_range": 0.02, "initializer_factor": 1.0, "model_type": "clip_vision_model",
    },
    "vision_config_dict": None,
}
TINY_GELU = {
    "architectures": ["CLIPTextModel"],
    "model_type": "clip_text_model",
    "vocab_size": 40, "hidden_size": 24, "intermediate_size": 48, "projection_dim": 24,
    "num_hidden_layers": 3, "num_attention_heads": 6, "max_position_embeddings": 12,
    "hidden_act": "gelu", "layer_norm_eps": 1e-06, "attention_dropout": 0.0,
    "pad_token_id": 0, "bos_token_id": 4, "eos_token_id": 5,
}
# hand-written captions for tiny_text_gelu: ids above the end-of-text id 5, one row padded with
# the end-of-text id and one with 0
GELU_IDS = [[4, 39, 12, 7, 38, 20, 33, 9, 17, 5],
            [4, 30, 36, 11, 8, 5, 5, 5, 5, 5],
            [4, 37, 5, 0, 0, 0, 0, 0, 0, 0]]
GELU_LENGTHS = [10, 6, 3]
# openai/clip-vit-base-patch32's config.json, reduced to the keys that shape the model
VIT_B32 = {
    "architectures": ["CLIPModel"],
    "initializer_factor": 1.0,
    "logit_scale_init_value": 2.6592,
    "model_type": "clip",
    "projection_dim": 512,
    "text_config": {
        "attention_dropout": 0.0, "bos_token_id": 0, "eos_token_id": 2, "hidden_act": "quick_gelu",
        "hidden_size": 512, "initializer_factor": 1.0, "initializer_range": 0.02, "intermediate_size": 2048,
        "layer_norm_eps": 1e-05, "max_position_embeddings": 77, "model_type": "clip_text_model",
        "num_attention_heads": 8, "num_hidden_layers": 12, "pad_token_id": 1, "projection_dim": 512,
        "vocab_size": 49408,
    },
    "text_config_dict": None,
    "torch_dtype": "float32",
    "vision_config": {
        "attention_dropout": 0.0, "hidden_act": "quick_gelu", "hidden_size": 768, "image_size": 224,
        "initializer_factor": 1.0, "initializer_range": 0.02, "intermediate_size": 3072,
        "layer_norm_eps": 1e-05, "model_type": "clip_vision_model", "num_attention_heads": 12,
        "num_channels": 3, "num_hidden_layers": 12, "patch_size": 32, "projection_dim": 512,
    },
    "vision_config_dict": None,
}


class _Version(tuple):
    pass


def _parse_version(text):
    """Stand-in for ``packaging.version.parse``: the release numbers as a comparable tuple."""
    nums = []
    for part in str(text).split("+")[0].split(".")[:3]:
        digits = ""
        for c in part:
            if not c.isdigit():
                break
            digits += c
        nums.append(int(digits or 0))
    return _Version(nums)


class _PretrainedConfig:
    """Stand-in for ``PretrainedConfig``: keeps its keyword arguments as attributes."""

    model_type = ""

    def __init__(self, **kwargs):
        self.output_attentions = kwargs.pop("output_attentions", False)
        self.output_hidden_states = kwargs.pop("output_hidden_states", False)
        self.use_return_dict = kwargs.pop("return_dict", True)
        self.torchscript = False
        self._attn_implementation = "eager"
        for name in ("pad_token_id", "bos_token_id", "eos_token_id"):
            setattr(self, name, kwargs.pop(name, None))
        for k, v in kwargs.items():
            setattr(self, k, v)

    def to_dict(self):
        d = dict(self.__dict__)
        d["model_type"] = self.model_type
        return d


class _PreTrainedModel(nn.Module):
    """Stand-in for ``PreTrainedModel``: config holding and the model's own weight initialisation."""

    def __init__(self, config, *args, **kwargs):
        super().__init__()
        self.config = config

    def post_init(self):
        self.apply(self._init_weights)

    @classmethod
    def _from_config(cls, config, **kwargs):
        return cls(config)


def _identity_decorator(*args, **kwargs):
    return lambda fn: fn


def import_upstream(root):
    root = os.path.abspath(root)
    src = next((p for p in (os.path.join(root, "src", "transformers"), os.path.join(root, "transformers"))
                if os.path.exists(os.path.join(p, "models", "clip", "modeling_clip.py"))), None)
    if src is None:
        sys.exit(f"--upstream {root}: src/transformers/models/clip/modeling_clip.py not found")
    sys.path.insert(0, os.path.dirname(src))
    stub_module("packaging.version", parse=_parse_version)
    package_without_init("transformers", src)
    utils = package_without_init("transformers.utils", os.path.join(src, "utils"))
    yes, no = (lambda *a, **k: True), (lambda *a, **k: False)
    stub_module("transformers.utils.import_utils", is_torch_available=yes, is_flax_available=no,
                is_tf_available=no, is_torch_fx_proxy=no)
    generic = importlib.import_module("transformers.utils.generic")
    utils.ModelOutput = generic.ModelOutput
    utils.logging = stub_module("transformers.utils.logging", get_logger=logging.getLogger)
    for name in ("add_start_docstrings", "add_start_docstrings_to_model_forward", "replace_return_docstrings",
                 "add_code_sample_docstrings", "auto_docstring", "can_return_tuple"):
        setattr(utils, name, _identity_decorator)
    stub_module("transformers.configuration_utils", PretrainedConfig=_PretrainedConfig)
    stub_module("transformers.modeling_utils", PreTrainedModel=_PreTrainedModel)
    stub_module("transformers.onnx", OnnxConfig=type("OnnxConfig", (), {}))
    package_without_init("transformers.models", os.path.join(src, "models"))
    package_without_init("transformers.models.clip", os.path.join(src, "models", "clip"))
    return importlib.import_module("transformers.models.clip.modeling_clip")


def build_clip_model(clip, cfg):
    """``CLIPModel(cfg)`` with the random draws in the order transformers 4.57 makes them.

    In 4.57 ``CLIPModel.__init__`` builds each tower as a whole ``CLIPTextModel`` /
    ``CLIPVisionModel`` (``_from_config``, which initialises it), then the projections and
    ``logit_scale``, then initialises everything again. Older releases (4.33) build the towers as
    bare transformers; for those the same sequence is replayed here with upstream's classes.
    """
    if "_from_config" in inspect.getsource(clip.CLIPModel.__init__):
        return clip.CLIPModel(cfg)
    with torch.random.fork_rng():
        model = clip.CLIPModel(cfg)  # the module tree only; its draws are discarded
    text = clip.CLIPTextModel(cfg.text_config)
    vision = clip.CLIPVisionModel(cfg.vision_config)
    model.text_model = text.text_model
    model.vision_model = vision.vision_model
    model.visual_projection = nn.Linear(model.vision_embed_dim, model.projection_dim, bias=False)
    model.text_projection = nn.Linear(model.text_embed_dim, model.projection_dim, bias=False)
    model.logit_scale = nn.Parameter(torch.tensor(cfg.logit_scale_init_value))
    model.post_init()
    return model


def perturb(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, p in model.named_parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=g))


def captions_a():
    """Three captions of lengths 16, 9, 4: start 62, random body ids in [3, 62), end 63, padded with 63."""
    g = torch.Generator().manual_seed(7)
    ids = torch.full((3, 16), 63, dtype=torch.long)
    mask = torch.zeros(3, 16, dtype=torch.long)
    for row, n in enumerate((16, 9, 4)):
        ids[row, 0] = 62
        ids[row, 1:n - 1] = torch.randint(3, 62, (n - 2,), generator=g)
        mask[row, :n] = 1
    return ids, mask


def captions_b():
    ids = torch.tensor(GELU_IDS)
    mask = torch.zeros_like(ids)
    for row, n in enumerate(GELU_LENGTHS):
        mask[row, :n] = 1
    return ids, mask


def outputs(text_model, ids, mask):
    with torch.no_grad():
        a = text_model(input_ids=ids, attention_mask=mask)
        b = text_model(input_ids=ids)
    return {"last_hidden_state": a.last_hidden_state, "pooler_output": a.pooler_output,
            "last_hidden_state_nomask": b.last_hidden_state, "pooler_output_nomask": b.pooler_output}


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)


def keys_tsv(clip, path):
    cfg = clip.CLIPConfig(text_config=VIT_B32["text_config"], vision_config=VIT_B32["vision_config"],
                          projection_dim=VIT_B32["projection_dim"],
                          logit_scale_init_value=VIT_B32["logit_scale_init_value"])
    model = clip.CLIPModel(cfg)
    for m in model.modules():
        m._non_persistent_buffers_set.discard("position_ids")
    with open(path, "w") as f:
        f.write("# openai/clip-vit-base-patch32 (CLIPModel): name, dtype, shape of every tensor in its checkpoint\n")
        f.write("# derived from transformers 4.57.6 modeling_clip.py with the model's published config;\n")
        f.write("# position_ids buffers included, as in checkpoints written before they became non-persistent\n")
        for k, v in model.state_dict().items():
            f.write(f"{k}\t{DTYPE_NAMES[v.dtype]}\t{','.join(str(s) for s in v.shape)}\n")


BUILTIN_CAPTIONS = [
    "A red ball bounces from left to right!",
    "two green circles",
    "a purple ball, unseen words",
    " ".join(["a red ball"] * 12),
]


def builtin(clip, directory, out_dir, ids_from=None):
    """``builtin/``: upstream tokenizer and text model on a directory jsora's BuiltinTextEncoder wrote."""
    os.makedirs(os.path.join(out_dir, "builtin"), exist_ok=True)
    with open(os.path.join(out_dir, "builtin", "captions.json"), "w") as f:
        json.dump({"captions": BUILTIN_CAPTIONS, "seed": 11}, f, indent=1)
    try:
        from tokenizers import Tokenizer  # the Python tokenizers library; not in Debian
    except ImportError:
        if ids_from is None:
            sys.exit("builtin/: the Python tokenizers library is not importable (pass --builtin-ids FILE "
                     "to check the model half with ids from FILE)")
        given = load_safetensors(ids_from)
        ids, mask = given["input_ids"], given["attention_mask"]
        print(f"builtin/: tokenizers not importable; input_ids and attention_mask taken from {ids_from}")
    else:
        tok = Tokenizer.from_file(os.path.join(directory, "tokenizer.json"))
        tok.enable_truncation(32)
        enc = tok.encode_batch(BUILTIN_CAPTIONS)
        ids = torch.tensor([e.ids for e in enc])
        mask = torch.tensor([e.attention_mask for e in enc])
    with open(os.path.join(directory, "config.json")) as f:
        cfg = json.load(f)
    model = clip.CLIPTextModel(clip.CLIPTextConfig(**{k: v for k, v in cfg.items() if k != "architectures"}))
    model.load_state_dict(load_safetensors(os.path.join(directory, "model.safetensors")), strict=True)
    model.eval()
    with torch.no_grad():
        o = model(input_ids=ids, attention_mask=mask)
    save_safetensors(os.path.join(out_dir, "builtin", "expected.safetensors"),
                     {"input_ids": ids, "attention_mask": mask, "last_hidden_state": o.last_hidden_state,
                      "pooler_output": o.pooler_output}, metadata={"format": "pt"})


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--upstream", required=True, help="transformers checkout (v4.57.6 made the files; v4.33.2 works)")
    p.add_argument("--out", required=True)
    p.add_argument("--builtin-dir", help="directory written by BuiltinTextEncoder.create with seed 11 "
                   "(needs the Python tokenizers library)")
    p.add_argument("--builtin-ids", help="without tokenizers: take builtin/ input_ids and attention_mask from "
                   "this safetensors file (checks the model half only)")
    a = p.parse_args()
    clip = import_upstream(a.upstream)
    os.makedirs(a.out, exist_ok=True)
    sub = lambda *names: os.path.join(a.out, *names)  # noqa: E731

    os.makedirs(sub("tiny_clip_full"), exist_ok=True)
    torch.manual_seed(1234)
    cfg = clip.CLIPConfig(text_config=TINY_FULL["text_config"], vision_config=TINY_FULL["vision_config"],
                          projection_dim=TINY_FULL["projection_dim"],
                          logit_scale_init_value=TINY_FULL["logit_scale_init_value"])
    full = build_clip_model(clip, cfg).eval()
    perturb(full, 1)
    state = dict(full.state_dict())
    state["text_model.embeddings.position_ids"] = full.text_model.embeddings.position_ids
    state["vision_model.embeddings.position_ids"] = full.vision_model.embeddings.position_ids
    torch.save(state, sub("tiny_clip_full", "pytorch_model.bin"))
    write_json(sub("tiny_clip_full", "config.json"), TINY_FULL)
    ids, mask = captions_a()
    save_safetensors(sub("tiny_clip_full", "inputs.safetensors"), {"input_ids": ids, "attention_mask": mask},
                     metadata={"format": "pt"})
    save_safetensors(sub("tiny_clip_full", "outputs.safetensors"), outputs(full.text_model, ids, mask),
                     metadata={"format": "pt"})

    os.makedirs(sub("tiny_text_gelu"), exist_ok=True)
    torch.manual_seed(4321)
    gelu = clip.CLIPTextModel(clip.CLIPTextConfig(**{k: v for k, v in TINY_GELU.items() if k != "architectures"})).eval()
    perturb(gelu, 2)
    save_safetensors(sub("tiny_text_gelu", "model.safetensors"), gelu.state_dict(), metadata={"format": "pt"})
    write_json(sub("tiny_text_gelu", "config.json"), TINY_GELU)
    ids, mask = captions_b()
    save_safetensors(sub("tiny_text_gelu", "inputs.safetensors"), {"input_ids": ids, "attention_mask": mask},
                     metadata={"format": "pt"})
    save_safetensors(sub("tiny_text_gelu", "outputs.safetensors"), outputs(gelu, ids, mask),
                     metadata={"format": "pt"})

    keys_tsv(clip, sub("clip-vit-base-patch32.keys.tsv"))
    with open(sub("clip-vit-base-patch32.config.json"), "w") as f:
        f.write(_vit_config_text())
    if a.builtin_dir:
        builtin(clip, a.builtin_dir, a.out, a.builtin_ids)


def _vit_config_text():
    """The published file's layout: two-space indent, one key per line, the architectures inline."""
    text = json.dumps(VIT_B32, indent=2)
    return text.replace('"architectures": [\n    "CLIPModel"\n  ]', '"architectures": ["CLIPModel"]') + "\n"


if __name__ == "__main__":
    main()
