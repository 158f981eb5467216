"""Compare a regenerated golden directory with the committed one.

    /usr/bin/python3 tools/golden/compare.py /tmp/golden-dit src/test/resources/golden/dit

For every file in the first directory: says whether the bytes equal the committed file's; for
safetensors files that differ, the largest absolute difference per tensor; for JSON files that
differ, the first differing path. Exits 1 when a tensor differs by more than --tol (default 1e-6)
or a non-tensor file differs.
"""

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from goldenio import load_safetensors  # noqa: E402


def _json_diff(a, b, path="$"):
    if type(a) != type(b):
        return f"{path}: {a!r} vs {b!r}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}.{k}: present in only one"
            d = _json_diff(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: length {len(a)} vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = _json_diff(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{path}: {a!r} vs {b!r}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("new")
    p.add_argument("committed")
    p.add_argument("--tol", type=float, default=1e-6)
    a = p.parse_args()
    bad = False
    for root, _, files in os.walk(a.new):
        for name in sorted(files):
            new = os.path.join(root, name)
            rel = os.path.relpath(new, a.new)
            old = os.path.join(a.committed, rel)
            if not os.path.exists(old):
                print(f"{rel}: not in the committed directory")
                bad = True
                continue
            if open(new, "rb").read() == open(old, "rb").read():
                print(f"{rel}: bit-equal")
                continue
            if name.endswith(".safetensors"):
                x, y = load_safetensors(new), load_safetensors(old)
                if set(x) != set(y):
                    print(f"{rel}: keys differ: only new {sorted(set(x) - set(y))}, only committed {sorted(set(y) - set(x))}")
                    bad = True
                    continue
                worst = 0.0
                for k in sorted(x):
                    if x[k].shape != y[k].shape or x[k].dtype != y[k].dtype:
                        print(f"  {k}: {x[k].dtype}{list(x[k].shape)} vs {y[k].dtype}{list(y[k].shape)}")
                        bad = True
                        continue
                    d = (x[k].double() - y[k].double()).abs().max().item() if x[k].numel() else 0.0
                    if d > 0:
                        print(f"  {k}: max |diff| {d:.3g}")
                    worst = max(worst, d)
                print(f"{rel}: bytes differ, largest tensor difference {worst:.3g}")
                bad |= worst > a.tol
            elif name.endswith(".json"):
                d = _json_diff(json.load(open(new)), json.load(open(old)))
                print(f"{rel}: bytes differ; " + (f"first difference {d}" if d else "same JSON value"))
                bad |= d is not None
            else:
                print(f"{rel}: bytes differ")
                bad = True
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
