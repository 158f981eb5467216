"""Generate src/test/resources/golden/buckets/transform.safetensors and transform.json.

What Open-Sora 1.2's bucketed dataset (``VariableVideoTextDataset.getitem``) does to a video of a
bucket: ``temporal_random_crop`` (``opensora/datasets/utils.py``) picks the frames,
``resize_crop_to_fill`` (``opensora/datasets/video_transforms.py``) brings each frame to the
bucket's (h, w). Upstream: hpcaitech/Open-Sora tag ``opensora/v1.2``, both files imported
unmodified from ``--upstream``:

    mkdir -p /tmp/os12 && git -C OPEN_SORA_GIT_DIR archive opensora/v1.2 | tar -x -C /tmp/os12
    /usr/bin/python3 tools/golden/bucket_transform.py --upstream /tmp/os12 \
        --out src/test/resources/golden/buckets

Stand-ins: the ``opensora`` and ``opensora.datasets`` packages are registered without running
their initialisers; ``utils.py``'s imports that the two functions do not use (pandas, requests,
torchvision, PIL) are ``goldenio.stub_module`` stand-ins. The window start that upstream draws with
Python's ``random.randint(0, rand_end)`` is fixed per case by replacing ``random.randint`` in
``video_transforms`` with a function that checks the bounds and returns the case's start, so the
file records, per (total, num_frames, frame_interval, start), the bounds and the frame indices.

``transform.safetensors`` holds, per case ``k``, ``k.input`` (torch.rand with manual_seed(k),
shape [T, 3, H, W]) and ``k.output`` (its resize_crop_to_fill); ``transform.json`` the cases'
target sizes and the temporal cases.
"""

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import goldenio  # noqa: E402

RESIZE = [
    # T, H, W, th, tw
    (2, 20, 30, 12, 12),  # height scale larger: width resized to round(30 * 0.6), cropped
    (1, 30, 20, 16, 8),  # height scale larger, odd excess (11 - 8)
    (2, 10, 10, 16, 24),  # enlarged, height cropped
    (1, 4, 6, 3, 3),  # 6 * 0.75 = 4.5: Python rounds half to even
    (1, 12, 12, 12, 12),  # already the size
    (3, 36, 64, 24, 24),  # landscape to square
]
TEMPORAL = [
    # total, num_frames, frame_interval, start (None: the lowest)
    (5, 4, 1, 0),
    (10, 4, 1, 5),
    (10, 4, 2, 1),
    (9, 4, 2, 0),
    (20, 3, 3, 7),
    (3, 2, 1, 0),
    (1, 1, 1, 0),
    (17, 5, 1, 11),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    root = goldenio.add_upstream(args.upstream, "opensora/datasets/video_transforms.py")
    goldenio.package_without_init("opensora", os.path.join(root, "opensora"))
    goldenio.package_without_init("opensora.datasets", os.path.join(root, "opensora/datasets"))
    for m in [
        "pandas",
        "requests",
        "torchvision",
        "torchvision.transforms",
        "torchvision.datasets.folder",
        "torchvision.io",
        "torchvision.utils",
        "PIL",
    ]:
        goldenio.stub_module(m)
    sys.modules["torchvision.datasets.folder"].IMG_EXTENSIONS = ()
    sys.modules["PIL"].Image = None
    import opensora.datasets.utils as utils
    import opensora.datasets.video_transforms as vt

    tensors = {}
    sizes = []
    for k, (t, h, w, th, tw) in enumerate(RESIZE):
        torch.manual_seed(k)
        clip = torch.rand(t, 3, h, w)
        tensors[f"{k}.input"] = clip
        tensors[f"{k}.output"] = vt.resize_crop_to_fill(clip, (th, tw)).contiguous()
        sizes.append({"height": th, "width": tw})

    temporal = []
    for total, n, fi, start in TEMPORAL:
        bounds = []

        def fixed(lo, hi, start=start, bounds=bounds):
            bounds.append((lo, hi))
            assert lo <= start <= hi, (lo, hi, start)
            return start

        vt.random.randint = fixed
        idx = utils.temporal_random_crop(torch.arange(total), n, fi)
        temporal.append(
            {
                "total": total,
                "num_frames": n,
                "frame_interval": fi,
                "start": start,
                "start_max": bounds[0][1],
                "indices": [int(i) for i in idx],
            }
        )

    os.makedirs(args.out, exist_ok=True)
    goldenio.save_safetensors(os.path.join(args.out, "transform.safetensors"), tensors)
    with open(os.path.join(args.out, "transform.json"), "w") as f:
        json.dump({"resize": sizes, "temporal": temporal}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
