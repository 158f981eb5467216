"""Generate src/test/resources/golden/parallel/distributed_sampler.json.

The upstream code here is PyTorch itself: ``torch.utils.data.DistributedSampler`` as Debian's
python3-torch 1.13 ships it (the committed file records ``torch.__version__`` = 1.13.0a0). Run:

    apt-get install -y python3-torch python3-numpy
    /usr/bin/python3 tools/golden/parallel.py --out /tmp/golden-parallel
    /usr/bin/python3 tools/golden/compare.py /tmp/golden-parallel src/test/resources/golden/parallel

Every case lists the indices one rank yields for one epoch (set with ``set_epoch``). Read by
``io.jsora.parallel.ShardedSamplerTest``.
"""

import argparse
import json
import os

import torch
from torch.utils.data import DistributedSampler

# (dataset size, replicas, seed, shuffle, drop_last)
CASES = [
    (10, 3, 0, True, False),
    (10, 3, 5, True, True),
    (7, 2, 42, False, False),
    (5, 4, 1, True, False),
    (100, 4, 123, True, False),
]
EPOCHS = (0, 1, 3)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="directory to write distributed_sampler.json into")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    cases = []
    for size, replicas, seed, shuffle, drop_last in CASES:
        dataset = list(range(size))
        for rank in range(replicas):
            for epoch in EPOCHS:
                s = DistributedSampler(dataset, num_replicas=replicas, rank=rank, shuffle=shuffle,
                                       seed=seed, drop_last=drop_last)
                s.set_epoch(epoch)
                cases.append({"size": size, "replicas": replicas, "rank": rank, "seed": seed,
                              "shuffle": shuffle, "dropLast": drop_last, "epoch": epoch,
                              "indices": [int(i) for i in s]})
    with open(os.path.join(a.out, "distributed_sampler.json"), "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f)


if __name__ == "__main__":
    main()
