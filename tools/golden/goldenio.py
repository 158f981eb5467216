"""Small helpers shared by the golden-data generators in this folder.

Not a generator itself. It holds a safetensors writer and reader written from the format's
description (8-byte little-endian header length, a compact JSON header, the raw little-endian
tensor bytes), so the generators need no package beyond PyTorch and NumPy, and a function that
puts an upstream checkout on ``sys.path``. The writer lays the header out as the committed files
have it: keys sorted, ``__metadata__`` first when given, tensor data in key order, the header padded
with spaces to a multiple of 8 bytes.
"""

import json
import os
import struct
import sys

import torch

DTYPE_NAMES = {
    torch.float64: "F64",
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.int16: "I16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}
_BY_NAME = {v: k for k, v in DTYPE_NAMES.items()}


def save_safetensors(path, tensors, metadata=None):
    """Write ``tensors`` (name -> tensor) to ``path``; ``metadata`` (str -> str) goes first."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = dict(metadata)
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        data = t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    """Read a safetensors file into name -> tensor (metadata dropped)."""
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    base = 8 + n
    out = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        dtype = _BY_NAME[info["dtype"]]
        buf = bytearray(raw[base + start:base + end])
        t = torch.frombuffer(buf, dtype=dtype) if end > start else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info["shape"]).clone()
    return out


def add_upstream(path, must_contain):
    """Put the checkout ``path`` first on ``sys.path`` after checking it holds ``must_contain``."""
    path = os.path.abspath(path)
    if not os.path.exists(os.path.join(path, must_contain)):
        sys.exit(f"--upstream {path}: expected {must_contain} inside it (wrong checkout or commit?)")
    sys.path.insert(0, path)
    return path


class _Unused:
    """Stands for an upstream import the generator never calls; fails loudly if it is used."""

    def __init__(self, name):
        self._name = name

    def __call__(self, *args, **kwargs):
        raise RuntimeError(f"{self._name} is a stand-in; the golden generator must not call it")

    def __getattr__(self, attr):
        return _Unused(f"{self._name}.{attr}")

    def __mro_entries__(self, bases):
        return (object,)


def stub_module(name, **attrs):
    """Register ``name`` (and its parents) in ``sys.modules`` as a stand-in module.

    Attributes given in ``attrs`` are set; any other attribute looked up is an ``_Unused`` that
    raises when called, so a module upstream imports but the generated path never uses can be
    satisfied without installing it.
    """
    import types

    parts = name.split(".")
    for i in range(1, len(parts) + 1):
        sub = ".".join(parts[:i])
        if sub not in sys.modules:
            m = types.ModuleType(sub)
            m.__path__ = []
            m.__getattr__ = (lambda n: (lambda attr: _Unused(f"{n}.{attr}")))(sub)
            sys.modules[sub] = m
            if i > 1:
                setattr(sys.modules[".".join(parts[:i - 1])], parts[i - 1], m)
    mod = sys.modules[name]
    for k, v in attrs.items():
        setattr(mod, k, v)
    return mod


def package_without_init(name, directory):
    """Register package ``name`` at ``directory`` without running its ``__init__.py``.

    Upstream package initialisers often import every model of the package (and their heavy
    dependencies); this lets a generator import just the submodule it needs.
    """
    import types

    m = types.ModuleType(name)
    m.__path__ = [directory]
    sys.modules[name] = m
    parent, _, leaf = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], leaf, m)
    return m
