"""Golden data for jsora's T5 v1.1 encoder and tokenizer (src/test/resources/golden/t5/).

Runs the upstream Hugging Face T5 code (transformers v4.33.2, models/t5/modeling_t5.py and
configuration_t5.py, activations.py, modeling_outputs.py) under PyTorch 1.13. The rest of the
library (modeling_utils, configuration_utils, utils, onnx, ...) is not importable here, so this
script puts small stand-ins for the names modeling_t5.py imports into sys.modules; the two that
take part in the forward pass are written out below and marked (PreTrainedModel's
get_extended_attention_mask, get_head_mask and dtype).

Run (Debian's python3-torch 1.13, python3-numpy, python3-sentencepiece, sentencepiece's spm_train):

    git -C TRANSFORMERS_GIT archive v4.33.2 src/transformers/models/t5 src/transformers/activations.py \
        src/transformers/modeling_outputs.py | tar -x -C /tmp/tf433
    /usr/bin/python3 tools/golden/t5.py --upstream /tmp/tf433 --out src/test/resources/golden/t5

Writes:
  tiny/config.json                      a tiny T5 v1.1 config with the keys a published one carries
  tiny/model.safetensors                the encoder's tensors (shared.weight only, as save_pretrained does)
  tiny/sharded-safetensors/...          a whole T5ForConditionalGeneration in 2 safetensors shards + index
  tiny/sharded-bin/...                  the same in 3 torch.save shards + pytorch_model.bin.index.json
  tiny/inputs.safetensors               input_ids [2, 9] int64 (row 1 padded after 5 tokens), attention_mask
  tiny/outputs.safetensors              last_hidden_state [2, 9, 16] float32, and last_hidden_state_bf16
                                        (the model cast to bfloat16, output cast back to float32)
  buckets.json                          upstream relative-position buckets for two configs
  t5-v1_1-xxl.config.json               the released config of DeepFloyd/t5-v1_1-xxl
  t5-v1_1-xxl-encoder.keys.txt          T5EncoderModel(that config).state_dict() names and shapes,
                                        built on the meta device (nothing allocated)
  spiece/spiece.model                   a 200-piece unigram model made by spm_train (T5 ids: pad 0, eos 1, unk 2)
  spiece/tokens.json                    sentencepiece ids for test strings, and the T5 framing of them
"""

import argparse
import dataclasses
import functools
import importlib.util
import json
import os
import random
import subprocess
import sys
import tempfile
import types
from collections import OrderedDict

import numpy as np
import torch
from torch import nn


# ---------------------------------------------------------------------------------------------
# Stand-ins for the parts of transformers that modeling_t5.py imports but this run does not need.


def _module(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


class _Logger:
    def __getattr__(self, _):
        return lambda *a, **k: None


def _identity_decorator(*_a, **_k):
    return lambda f: f


class _ModelOutput(OrderedDict):
    """Enough of transformers.utils.ModelOutput for dataclass outputs read by key or attribute."""

    def __post_init__(self):
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if v is not None:
                self[f.name] = v

    def __getitem__(self, k):
        if isinstance(k, str):
            return OrderedDict.__getitem__(self, k)
        return self.to_tuple()[k]

    def to_tuple(self):
        return tuple(self[k] for k in self.keys())


class _PretrainedConfig:
    """configuration_utils.PretrainedConfig reduced to attribute storage with upstream's defaults."""

    def __init__(self, **kwargs):
        self.is_decoder = kwargs.pop("is_decoder", False)
        self.output_attentions = kwargs.pop("output_attentions", False)
        self.output_hidden_states = kwargs.pop("output_hidden_states", False)
        self.use_return_dict = kwargs.pop("return_dict", True)
        self.is_encoder_decoder = kwargs.pop("is_encoder_decoder", False)
        for k, v in kwargs.items():
            setattr(self, k, v)


class _PreTrainedModel(nn.Module):
    """modeling_utils.PreTrainedModel reduced to what T5's encoder forward and init call."""

    def __init__(self, config, *args, **kwargs):
        super().__init__()
        self.config = config

    def post_init(self):
        self.apply(self._init_weights)

    @property
    def dtype(self):
        return next(self.parameters()).dtype

    @property
    def device(self):
        return next(self.parameters()).device

    # the two ModuleUtilsMixin methods the encoder's forward uses, following v4.33.2's semantics
    def get_extended_attention_mask(self, attention_mask, input_shape, device=None, dtype=None):
        if dtype is None:
            dtype = self.dtype
        assert attention_mask.dim() == 2 and not self.config.is_decoder
        extended = attention_mask[:, None, None, :]
        extended = extended.to(dtype=dtype)
        return (1.0 - extended) * torch.finfo(dtype).min

    def get_head_mask(self, head_mask, num_hidden_layers, is_attention_chunked=False):
        assert head_mask is None
        return [None] * num_hidden_layers


def install_shims():
    _module("transformers").__path__ = []
    _module("transformers.models").__path__ = []
    _module("transformers.models.t5").__path__ = []
    logging = types.SimpleNamespace(get_logger=lambda *_: _Logger())
    _module(
        "transformers.utils",
        DUMMY_INPUTS=[[7, 6, 0, 0, 1], [1, 2, 3, 0, 0], [0, 0, 0, 4, 5]],
        DUMMY_MASK=[[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [0, 0, 0, 1, 1]],
        add_start_docstrings=_identity_decorator,
        add_start_docstrings_to_model_forward=_identity_decorator,
        replace_return_docstrings=_identity_decorator,
        is_torch_fx_proxy=lambda _: False,
        logging=logging,
        ModelOutput=_ModelOutput,
    ).__path__ = []
    _module("transformers.utils.model_parallel_utils", assert_device_map=None, get_device_map=None)
    _module("transformers.modeling_utils", PreTrainedModel=_PreTrainedModel)
    _module("transformers.configuration_utils", PretrainedConfig=_PretrainedConfig)
    _module("transformers.onnx", OnnxSeq2SeqConfigWithPast=object)
    _module(
        "transformers.pytorch_utils",
        ALL_LAYERNORM_LAYERS=[],
        find_pruneable_heads_and_indices=None,
        prune_linear_layer=None,
    )
    _module("packaging", version=types.SimpleNamespace(parse=lambda s: tuple(int(x) for x in s.split(".")[:2] if x.isdigit())))
    sys.modules["packaging.version"] = sys.modules["packaging"].version


def load_upstream(root):
    """Imports the real upstream files under their package names; returns modeling_t5."""
    install_shims()
    src = os.path.join(root, "src", "transformers")
    mods = {}
    for name, rel in [
        ("transformers.activations", "activations.py"),
        ("transformers.modeling_outputs", "modeling_outputs.py"),
        ("transformers.models.t5.configuration_t5", "models/t5/configuration_t5.py"),
        ("transformers.models.t5.modeling_t5", "models/t5/modeling_t5.py"),
    ]:
        spec = importlib.util.spec_from_file_location(name, os.path.join(src, rel))
        m = importlib.util.module_from_spec(spec)
        sys.modules[name] = m
        spec.loader.exec_module(m)
        mods[name] = m
    return mods["transformers.models.t5.modeling_t5"], mods["transformers.models.t5.configuration_t5"]


# ---------------------------------------------------------------------------------------------
# Files


def write_safetensors(path, tensors, metadata=None):
    dtypes = {torch.float32: "F32", torch.int64: "I64", torch.bfloat16: "BF16"}
    header = {}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        if t.dtype == torch.bfloat16:
            data = t.view(torch.int16).numpy().tobytes()
        else:
            data = t.numpy().tobytes()
        header[name] = {"dtype": dtypes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(len(h).to_bytes(8, "little"))
        f.write(h)
        for b in blobs:
            f.write(b)


def write_shards(directory, sd, groups, kind):
    """Writes sd split into len(groups) shards (groups: lists of names) plus the index json."""
    os.makedirs(directory, exist_ok=True)
    n = len(groups)
    weight_map = {}
    total = 0
    for i, names in enumerate(groups):
        if kind == "safetensors":
            fname = f"model-{i + 1:05d}-of-{n:05d}.safetensors"
            write_safetensors(os.path.join(directory, fname), {k: sd[k] for k in names}, {"format": "pt"})
        else:
            fname = f"pytorch_model-{i + 1:05d}-of-{n:05d}.bin"
            torch.save({k: sd[k] for k in names}, os.path.join(directory, fname))
        for k in names:
            weight_map[k] = fname
            total += sd[k].numel() * sd[k].element_size()
    index = "model.safetensors.index.json" if kind == "safetensors" else "pytorch_model.bin.index.json"
    with open(os.path.join(directory, index), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)


# ---------------------------------------------------------------------------------------------

TINY = {
    "architectures": ["T5ForConditionalGeneration"],
    "d_ff": 24,
    "d_kv": 4,
    "d_model": 16,
    "decoder_start_token_id": 0,
    "dense_act_fn": "gelu_new",
    "dropout_rate": 0.1,
    "eos_token_id": 1,
    "feed_forward_proj": "gated-gelu",
    "initializer_factor": 1.0,
    "is_encoder_decoder": True,
    "is_gated_act": True,
    "layer_norm_epsilon": 1e-06,
    "model_type": "t5",
    "num_decoder_layers": 1,
    "num_heads": 3,
    "num_layers": 2,
    "output_past": True,
    "pad_token_id": 0,
    "relative_attention_max_distance": 6,
    "relative_attention_num_buckets": 8,
    "tie_word_embeddings": False,
    "torch_dtype": "float32",
    "transformers_version": "4.33.2",
    "use_cache": True,
    "vocab_size": 40,
}

# DeepFloyd/t5-v1_1-xxl config.json, as published
XXL = {
    "architectures": ["T5EncoderModel"],
    "d_ff": 10240,
    "d_kv": 64,
    "d_model": 4096,
    "decoder_start_token_id": 0,
    "dense_act_fn": "gelu_new",
    "dropout_rate": 0.1,
    "eos_token_id": 1,
    "feed_forward_proj": "gated-gelu",
    "initializer_factor": 1.0,
    "is_encoder_decoder": True,
    "is_gated_act": True,
    "layer_norm_epsilon": 1e-06,
    "model_type": "t5",
    "num_decoder_layers": 24,
    "num_heads": 64,
    "num_layers": 24,
    "output_past": True,
    "pad_token_id": 0,
    "relative_attention_max_distance": 128,
    "relative_attention_num_buckets": 32,
    "tie_word_embeddings": False,
    "torch_dtype": "float32",
    "transformers_version": "4.21.1",
    "use_cache": True,
    "vocab_size": 32128,
}


def config_of(configuration_t5, d):
    kw = {k: v for k, v in d.items() if k not in ("architectures", "model_type", "transformers_version", "torch_dtype")}
    return configuration_t5.T5Config(**kw)


def tiny_model(modeling_t5, configuration_t5, out):
    torch.manual_seed(0)
    cfg = config_of(configuration_t5, TINY)
    full = modeling_t5.T5ForConditionalGeneration(cfg).eval()
    with torch.no_grad():
        for name, p in full.named_parameters():
            if "layer_norm" in name:  # upstream initialises the norms to 1: vary them so the scale is tested
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
    full_sd = {k: v.clone() for k, v in full.state_dict().items()}
    encoder = modeling_t5.T5EncoderModel(cfg).eval()
    enc_sd = encoder.state_dict()
    encoder.load_state_dict({k: full_sd[k] for k in enc_sd.keys()})

    tiny = os.path.join(out, "tiny")
    os.makedirs(tiny, exist_ok=True)
    with open(os.path.join(tiny, "config.json"), "w") as f:
        json.dump(TINY, f, indent=2)
    # save_pretrained drops the tied encoder.embed_tokens.weight from safetensors files
    write_safetensors(os.path.join(tiny, "model.safetensors"),
                      {k: v for k, v in encoder.state_dict().items() if k != "encoder.embed_tokens.weight"},
                      {"format": "pt"})
    names = list(full_sd.keys())
    st_sd = {k: v for k, v in full_sd.items() if k not in ("encoder.embed_tokens.weight", "decoder.embed_tokens.weight")}
    st_names = [k for k in names if k in st_sd]
    half = len(st_names) // 2
    write_shards(os.path.join(tiny, "sharded-safetensors"), st_sd, [st_names[:half], st_names[half:]], "safetensors")
    third = len(names) // 3
    write_shards(os.path.join(tiny, "sharded-bin"), full_sd, [names[:third], names[third:2 * third], names[2 * third:]],
                 "bin")

    g = torch.Generator().manual_seed(1)
    ids = torch.randint(2, TINY["vocab_size"], (2, 9), generator=g)
    mask = torch.ones(2, 9, dtype=torch.int64)
    ids[0, 8] = 1
    ids[1, 4] = 1
    ids[1, 5:] = 0
    mask[1, 5:] = 0
    write_safetensors(os.path.join(tiny, "inputs.safetensors"), {"input_ids": ids, "attention_mask": mask})
    with torch.no_grad():
        last = encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        bf = modeling_t5.T5EncoderModel(cfg).eval()
        bf.load_state_dict(encoder.state_dict())
        bf = bf.to(torch.bfloat16)
        last_bf16 = bf(input_ids=ids, attention_mask=mask).last_hidden_state.float()
    write_safetensors(os.path.join(tiny, "outputs.safetensors"),
                      {"last_hidden_state": last, "last_hidden_state_bf16": last_bf16})
    print("tiny: last_hidden_state", tuple(last.shape), "max |fp32 - bf16|", (last - last_bf16).abs().max().item())


def buckets(modeling_t5, out):
    bucket = modeling_t5.T5Attention._relative_position_bucket
    rel = torch.arange(-300, 301, dtype=torch.long)
    res = {
        "relative_positions": rel.tolist(),
        "xxl": bucket(rel, bidirectional=True, num_buckets=32, max_distance=128).tolist(),
        "tiny": bucket(rel, bidirectional=True, num_buckets=8, max_distance=6).tolist(),
    }
    with open(os.path.join(out, "buckets.json"), "w") as f:
        json.dump(res, f)


def xxl_keys(modeling_t5, configuration_t5, out):
    cfg = config_of(configuration_t5, XXL)
    # build every Linear and Embedding on the meta device: names and shapes without 19 GB
    originals = {}
    for cls in (nn.Linear, nn.Embedding):
        originals[cls] = cls.__init__
        cls.__init__ = functools.partialmethod(cls.__init__, device="meta")
    try:
        model = modeling_t5.T5EncoderModel(cfg)
    finally:
        for cls, init in originals.items():
            cls.__init__ = init
    lines = [f"{k} {','.join(str(s) for s in v.shape)}" for k, v in model.state_dict().items()]
    with open(os.path.join(out, "t5-v1_1-xxl-encoder.keys.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(out, "t5-v1_1-xxl.config.json"), "w") as f:
        json.dump(XXL, f, indent=2)
    print("xxl:", len(lines), "keys,", sum(v.numel() for k, v in model.named_parameters()), "parameters")


WORDS = ("a red fox jumps over the lazy dog while two cats watch from an old wooden fence near the river "
         "bank under a bright blue sky with white clouds drifting slowly toward distant green hills and "
         "mountains covered in snow at sunset video of city streets at night with cars lights rain "
         "people walking dancing singing running along beach ocean waves crash against rocks seagulls fly "
         "high above small boat sails calm water morning fog lifts forest trees leaves turn orange yellow "
         "autumn wind blows through tall grass field horse gallops children play football park bench "
         "elderly man reads newspaper woman drinks coffee cafe table window shop bakery bread cake "
         "camera slowly pans across kitchen chef cooks pasta tomato sauce steam rises pot timelapse "
         "flowers bloom spring garden bees butterflies insects macro shot drone flies over desert sand "
         "dunes camel caravan astronaut floats space station earth planet stars galaxy nebula cinematic "
         "photorealistic aesthetic score quality high resolution slow motion close up wide angle").split()


def tokenizer(out):
    import sentencepiece as spm

    rng = random.Random(0)
    d = os.path.join(out, "spiece")
    os.makedirs(d, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus.txt")
        with open(corpus, "w") as f:
            for _ in range(3000):
                words = [rng.choice(WORDS) for _ in range(rng.randint(3, 14))]
                if rng.random() < 0.3:
                    words[0] = words[0].capitalize()
                f.write(" ".join(words) + (", " if rng.random() < 0.2 else ". ") + str(rng.randint(0, 99)) + "\n")
        subprocess.run(["spm_train", f"--input={corpus}", f"--model_prefix={os.path.join(tmp, 'spiece')}",
                        "--vocab_size=200", "--model_type=unigram", "--character_coverage=1.0",
                        "--pad_id=0", "--eos_id=1", "--unk_id=2", "--bos_id=-1",
                        "--pad_piece=<pad>", "--eos_piece=</s>", "--unk_piece=<unk>", "--num_threads=1",
                        "--input_sentence_size=0"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(os.path.join(tmp, "spiece.model"), "rb") as f:
            model_bytes = f.read()
    with open(os.path.join(d, "spiece.model"), "wb") as f:
        f.write(model_bytes)
    sp = spm.SentencePieceProcessor(model_file=os.path.join(d, "spiece.model"))
    texts = [
        "a red fox jumps over the lazy dog",
        "Video of city streets at night, with cars and rain.",
        "  extra   spaces   and Capitals  ",
        "unknown symbols: ß, 東京, €42 and emoji 🎉",
        "",
        "mountains covered in snow at sunset " * 12,
    ]
    pieces = {t: sp.encode(t) for t in texts}
    # T5 framing (transformers' T5Tokenizer, add_special_tokens=True, truncation=True,
    # padding="max_length"): ids + [eos], truncated to max_length keeping the final eos, padded with 0
    max_length = 16
    framed = []
    for t in texts:
        ids = pieces[t][: max_length - 1] + [sp.eos_id()]
        mask = [1] * len(ids) + [0] * (max_length - len(ids))
        framed.append({"text": t, "input_ids": ids + [sp.pad_id()] * (max_length - len(ids)), "attention_mask": mask})
    # sentinels: <extra_id_N> has id piece_size + 99 - N and is split out of the text before encoding
    n = sp.get_piece_size()
    sentinel_text = "the dog <extra_id_0> over <extra_id_99> river"
    sentinel_ids = sp.encode("the dog") + [n + 99] + sp.encode(" over") + [n] + sp.encode(" river") + [1]
    res = {
        "piece_size": n,
        "pad_id": sp.pad_id(),
        "eos_id": sp.eos_id(),
        "unk_id": sp.unk_id(),
        "pieces": [{"text": t, "ids": pieces[t]} for t in texts],
        "max_length": max_length,
        "framed": framed,
        "sentinel": {"text": sentinel_text, "input_ids": sentinel_ids},
    }
    with open(os.path.join(d, "tokens.json"), "w") as f:
        json.dump(res, f, indent=1, ensure_ascii=False)
    print("spiece:", n, "pieces,", len(model_bytes), "bytes")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--upstream", required=True, help="root of a transformers v4.33.2 checkout (holds src/transformers)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    torch.set_num_threads(1)
    modeling_t5, configuration_t5 = load_upstream(a.upstream)
    os.makedirs(a.out, exist_ok=True)
    tiny_model(modeling_t5, configuration_t5, a.out)
    buckets(modeling_t5, a.out)
    xxl_keys(modeling_t5, configuration_t5, a.out)
    tokenizer(a.out)


if __name__ == "__main__":
    main()
