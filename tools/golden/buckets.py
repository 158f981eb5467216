"""Generate src/test/resources/golden/buckets/buckets.json (Open-Sora 1.2 resolution buckets).

Upstream: hpcaitech/Open-Sora tag ``opensora/v1.2``, ``opensora/datasets/aspect.py``,
``bucket.py`` (``Bucket``) and ``sampler.py`` (``VariableVideoBatchSampler``), imported unmodified
from a checkout given with ``--upstream``. Needs only Debian's PyTorch 1.13 and NumPy:

    mkdir -p /tmp/os12 && git -C OPEN_SORA_GIT_DIR archive opensora/v1.2 | tar -x -C /tmp/os12
    /usr/bin/python3 tools/golden/buckets.py --upstream /tmp/os12 \
        --out src/test/resources/golden/buckets/buckets.json

Stand-ins (this script's own), for what the three files import but bucketing does not use: the
package initialisers of ``opensora`` and ``opensora.datasets`` (skipped), ``opensora.utils.misc``
(a logger and ``format_numel_str``), ``opensora.datasets.datasets`` (only the class name
``VariableVideoTextDataset`` is imported) and ``pandarallel`` (``parallel_apply`` runs the rows in
order in this process). The dataset is a stand-in holding a table of (num_frames, height, width,
id) rows with ``len``; ``frame_interval`` is an attribute.

What is written (all seeds below):
- ``tables``: ``ASPECT_RATIOS`` (resolution -> pixels and its ordered ratio -> (h, w) table).
- ``samples``: 240 shapes drawn from ``random.Random(7)`` out of the lists ``FRAMES`` and ``SIZES``.
- ``assign``: for ``CONFIG`` and frame intervals 1 and 2, ``Bucket.get_bucket_id(T, H, W,
  frame_interval, seed)`` for every sample at seeds ``s = 1000 + 13 n``.
- ``batches``: for each case (world, drop_last, epoch, frame_interval, sampler seed) the batches
  every rank's ``VariableVideoBatchSampler`` yields for that epoch, as
  (resolution, num_frames, ratio, [rows]); and ``resume``: the batches after
  ``load_state_dict(state_dict(k))`` for a sampler at the same epoch. Cases where the reference
  would hand out a short batch (its padded accesses overrunning a bucket) are not written.
"""

import argparse
import importlib.util
import json
import logging
import random
import sys
import types

CONFIG = {
    "144p": {1: (1.0, 7), 51: (1.0, 5), 102: ((1.0, 0.33), 3), 204: ((1.0, 0.1), 2)},
    "256": {1: (0.4, 6), 51: (0.5, 4), 102: ((0.5, 0.33), 2)},
    "240p": {1: (0.3, 6), 51: (0.4, 4), 102: ((0.4, 0.5), 2), 204: (0.0, None)},
    "360p": {1: (0.5, 4), 51: (0.7, 3), 102: (1.0, 2)},
    "512": {1: (0.1, 3)},
    "480p": {1: (0.6, 3), 51: ((0.9, 0.8), 2)},
    "720p": {1: (0.5, 2), 51: (0.5, 1)},
    "1080p": {1: (0.3, 1)},
}
FRAMES = [1, 1, 1, 20, 51, 52, 60, 102, 103, 150, 204, 205, 300, 409]
SIZES = [
    (96, 128), (144, 256), (256, 144), (180, 320), (240, 426), (256, 256), (360, 640),
    (640, 360), (480, 854), (512, 512), (720, 1280), (1080, 1920), (1920, 1080),
    (300, 300), (200, 600), (1000, 700),
]
CASES = [
    # world, drop_last, epoch, frame_interval, seed
    (1, True, 0, 1, 42),
    (1, False, 0, 1, 42),
    (2, True, 0, 1, 42),
    (2, True, 3, 2, 5),
    (3, True, 1, 1, 0),
    (1, False, 2, 2, 9),
    (2, False, 0, 1, 11),
    (3, False, 0, 1, 42),
]


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def stand_ins(upstream):
    for pkg in ["opensora", "opensora.utils", "opensora.datasets"]:
        m = types.ModuleType(pkg)
        m.__path__ = [upstream + "/" + pkg.replace(".", "/")]
        sys.modules[pkg] = m
    misc = types.ModuleType("opensora.utils.misc")
    misc.get_logger = lambda: logging.getLogger("buckets")
    misc.format_numel_str = str
    sys.modules["opensora.utils.misc"] = misc
    ds = types.ModuleType("opensora.datasets.datasets")
    ds.VariableVideoTextDataset = object
    sys.modules["opensora.datasets.datasets"] = ds
    pp = types.ModuleType("pandarallel")
    pp.pandarallel = types.SimpleNamespace(initialize=lambda **kw: None)
    sys.modules["pandarallel"] = pp


class Table:
    """The rows of a dataset, with pandas' ``parallel_apply(f, axis=1, **kw)`` run in order."""

    def __init__(self, rows):
        self.rows = rows

    def parallel_apply(self, f, axis, **kw):
        assert axis == 1
        return [f(r, **kw) for r in self.rows]


class Dataset:
    def __init__(self, rows, frame_interval):
        self.data = Table(rows)
        self.frame_interval = frame_interval

    def __len__(self):
        return len(self.data.rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    stand_ins(args.upstream)
    root = args.upstream + "/opensora/datasets/"
    aspect = load("opensora.datasets.aspect", root + "aspect.py")
    bucket = load("opensora.datasets.bucket", root + "bucket.py")
    sampler = load("opensora.datasets.sampler", root + "sampler.py")

    rnd = random.Random(7)
    samples = []
    for n in range(240):
        h, w = rnd.choice(SIZES)
        samples.append({"num_frames": rnd.choice(FRAMES), "height": h, "width": w, "id": n})

    b = bucket.Bucket(CONFIG)
    assign = {}
    for fi in [1, 2]:
        out = []
        for n, s in enumerate(samples):
            r = b.get_bucket_id(s["num_frames"], s["height"], s["width"], fi, 1000 + 13 * n)
            out.append(None if r is None else [r[0], r[1], r[2]])
        assign[str(fi)] = out

    batches = []
    for world, drop_last, epoch, fi, seed in CASES:
        ranks = []
        resume = []
        short = False
        for rank in range(world):
            s = sampler.VariableVideoBatchSampler(
                Dataset(samples, fi), CONFIG, num_replicas=world, rank=rank, shuffle=True,
                seed=seed, drop_last=drop_last)
            s.set_epoch(epoch)
            got = []
            for batch in s:
                got.append(batch)
            ranks.append(got)
            k = len(got) // 2
            s2 = sampler.VariableVideoBatchSampler(
                Dataset(samples, fi), CONFIG, num_replicas=world, rank=rank, shuffle=True,
                seed=seed, drop_last=drop_last)
            s2.set_epoch(epoch)
            s2.load_state_dict(s.state_dict(k))
            resume.append({"steps": k, "batches": list(iter(s2))})
        # the bucket of each batch, recomputed from the rows' assignment for this epoch
        b_epoch = bucket.Bucket(CONFIG)
        num_bucket = b_epoch.num_bucket
        ids = [b_epoch.get_bucket_id(x["num_frames"], x["height"], x["width"], fi,
                                     seed + epoch + x["id"] * num_bucket) for x in samples]

        def typed(batch):
            rows = [int(x.split("-")[0]) for x in batch]
            bid = ids[rows[0]]
            assert all(ids[r] == bid for r in rows)
            return {"bucket": [bid[0], bid[1], bid[2]], "rows": rows}

        for got in ranks + [r["batches"] for r in resume]:
            for batch in got:
                rows = [int(x.split("-")[0]) for x in batch]
                if not rows or len(rows) != b_epoch.get_batch_size(ids[rows[0]]):
                    short = True
        if short:
            print("skipped (short batch upstream):", world, drop_last, epoch, fi, seed)
            continue
        out_ranks = [[typed(x) for x in got] for got in ranks]
        batches.append({
            "world": world, "drop_last": drop_last, "epoch": epoch, "frame_interval": fi,
            "seed": seed, "ranks": out_ranks,
            "resume": [{"steps": r["steps"], "batches": [typed(x) for x in r["batches"]]}
                       for r in resume],
        })
        print("case", world, drop_last, epoch, fi, seed, "steps", len(out_ranks[0]))

    tables = {k: {"pixels": px, "ratios": [[a, hw[0], hw[1]] for a, hw in d.items()]}
              for k, (px, d) in aspect.ASPECT_RATIOS.items()}
    config = {k: {str(t): [list(v[0]) if isinstance(v[0], tuple) else v[0], v[1]]
                  for t, v in d.items()} for k, d in CONFIG.items()}
    with open(args.out, "w") as f:
        json.dump({"config": config, "tables": tables, "samples": samples, "assign": assign,
                   "batches": batches}, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
