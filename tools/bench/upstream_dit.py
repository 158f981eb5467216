"""Time the upstream DiT's forward + backward under Debian's PyTorch, for comparison with
``jsora bench model`` on the same machine.

Upstream: hpcaitech/Open-Sora at commit 0a4a091 (March 2024), ``open_sora/modeling/dit/dit.py``,
imported unmodified from a checkout through tools/golden/dit.py's loader (the same stand-ins for
colossalai, timm's ``Mlp``, the dataset/compressor imports, and ``F.scaled_dot_product_attention``,
which PyTorch 1.13 lacks: the stand-in computes ``softmax(q k^T * scale + mask) v`` with two matmuls,
the same as the upstream's own non-SDPA path). Nothing upstream is stored in the project:

    apt-get install -y python3-torch python3-numpy libopenblas0-pthread   # OpenBLAS: see check_blas
    mkdir -p /tmp/os0 && git -C OPEN_SORA_GIT_DIR archive 0a4a091 | tar -x -C /tmp/os0
    /usr/bin/python3 tools/bench/upstream_dit.py --upstream /tmp/os0            # A, B and C
    /usr/bin/python3 tools/bench/upstream_dit.py --upstream /tmp/os0 --workloads C --json /tmp/up.json

Workloads (the jsora side: the ``bench model`` command printed with each result):

    A  DiT-S/8 cross-attn, raw 16x64x64 latents, batch 2 (2,048 tokens), 16 text tokens of width 512
    B  DiT-S/8 adaln,      raw 16x128x128 latents, batch 1 (4,096 tokens)
    C  DiT-T/4 adaln (depth 4, width 64, 4 heads), raw 8x16x16 latents, batch 32

A step is what ``bench model`` times as ``model_forward_backward``: the model on random latents,
random timesteps and random text, loss = mean square of the output in fp32, backward, and the
gradients dropped (``zero_grad(set_to_none=True)``). The latents are patchified once, outside the
timed loop, as the upstream's data pipeline does; no attention mask is passed (no padding).

Each workload runs in a child process per thread setting (the environment must be set before
PyTorch starts): ``torch.set_num_threads(N)`` with ``OMP_WAIT_POLICY=PASSIVE``, and OpenBLAS
either single-threaded (``OPENBLAS_NUM_THREADS=1``) or left at its default. The printed result is
the faster setting's median; both are in ``--json``.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# name: (model config, arch, latent [C, T, H, W], batch, text tokens, text width, warm-up, timed runs)
WORKLOADS = {
    "A": (dict(hidden_size=384, depth=12, num_heads=6, patch_size=8), "cross-attn", (3, 16, 64, 64), 2, 16, 512, 1, 5),
    "B": (dict(hidden_size=384, depth=12, num_heads=6, patch_size=8), "adaln", (3, 16, 128, 128), 1, 16, 512, 1, 2),
    "C": (dict(hidden_size=64, depth=4, num_heads=4, patch_size=4), "adaln", (3, 8, 16, 16), 32, 16, 512, 3, 20),
}
JSORA = {
    "A": "./jsora bench model --model DiT-S/8 --arch cross-attn --frames 16 --height 64 --width 64 --batch 2 "
         "--grad-checkpoint false --runs 5",
    "B": "./jsora bench model --model DiT-S/8 --arch adaln --frames 16 --height 128 --width 128 --batch 1 "
         "--grad-checkpoint false --runs 2",
    "C": "./jsora bench model --model DiT-T/4 --arch adaln --frames 8 --height 16 --width 16 --batch 32 "
         "--grad-checkpoint false --runs 20",
}
SETTINGS = {
    "openblas1": {"OPENBLAS_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"},
    "openblas_default": {"OMP_WAIT_POLICY": "PASSIVE"},
}


def child(upstream, name, threads):
    """Runs one workload in this process; prints one JSON line."""
    import torch

    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "golden"))
    import dit as golden_dit  # tools/golden/dit.py: the upstream loader and its stand-ins

    DiT, data = golden_dit.import_upstream(os.path.abspath(upstream))
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg, arch, latent, batch, text_len, text_dim, warmup, runs = WORKLOADS[name]
    model = DiT(in_channels=latent[0], text_embed_dim=text_dim, mlp_ratio=4.0, learn_sigma=True, model_arch=arch, **cfg)
    model.train()
    videos = [torch.randn(latent) for _ in range(batch)]
    frames = [v.permute(1, 0, 2, 3) for v in videos]  # [T, C, H, W], as the upstream's batching sees them
    x, _ = data.patchify_batch(frames, cfg["patch_size"])
    t = torch.randint(0, 1000, (batch,))
    text = torch.randn((batch, text_dim) if arch == "adaln" else (batch, text_len, text_dim))

    def step():
        loss = model(x, t, text).float().square().mean()
        loss.backward()
        model.zero_grad(set_to_none=True)

    for _ in range(warmup):
        step()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    tokens = x.shape[0] * x.shape[1]
    print(json.dumps(dict(workload=name, threads=torch.get_num_threads(), tokens=tokens, samples_s=times,
                          median_s=statistics.median(times), torch=torch.__version__)))


def seconds(s):
    return f"{s * 1e3:.1f} ms" if s < 1 else f"{s:.3f} s"


def gemm_gflops(threads, n=1024, runs=5):
    """fp32 GEMM rate of this PyTorch (its BLAS), to tell a reference BLAS from an optimised one."""
    import time
    import torch
    torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    t = time.perf_counter()
    for _ in range(runs):
        a @ b
    return 2 * n ** 3 * runs / (time.perf_counter() - t) / 1e9


def check_blas(threads, allow_slow):
    """Debian's python3-torch links libblas.so.3, which is the reference BLAS (libblas3) unless
    OpenBLAS is installed; the reference BLAS runs an order of magnitude slower and would make any
    comparison meaningless. Refuse it unless asked."""
    rate = gemm_gflops(threads)
    print(f"PyTorch fp32 GEMM (n = 1024, {threads} threads): {rate:.1f} GFLOP/s", flush=True)
    if rate < 20 and not allow_slow:
        sys.exit(f"PyTorch's BLAS runs {rate:.1f} GFLOP/s: probably the reference libblas3. Install "
                 "OpenBLAS (apt-get install -y libopenblas0-pthread), or pass --allow-slow-blas")
    return rate


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--upstream", required=True, help="Open-Sora checkout at commit 0a4a091")
    p.add_argument("--workloads", default="A,B,C", help="comma-separated subset of A,B,C (default: all)")
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="torch.set_num_threads (default: the CPU count)")
    p.add_argument("--json", help="also write every setting's samples here")
    p.add_argument("--allow-slow-blas", action="store_true", help="run even on a reference BLAS")
    p.add_argument("--child", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        child(a.upstream, a.child, a.threads)
        return
    check_blas(a.threads, a.allow_slow_blas)
    names = [w.strip().upper() for w in a.workloads.split(",") if w.strip()]
    for n in names:
        if n not in WORKLOADS:
            p.error(f"unknown workload {n!r}; expected some of {', '.join(WORKLOADS)}")
    results = []
    print(f"{'workload':8}  {'tokens':>7}  {'upstream median':>15}  {'setting':16}  jsora side")
    for n in names:
        runs = {}
        for setting, env in SETTINGS.items():
            e = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
            e.update(env)
            out = subprocess.run([sys.executable, os.path.abspath(__file__), "--upstream", a.upstream, "--child", n,
                                  "--threads", str(a.threads)], env=e, check=True, capture_output=True, text=True).stdout
            runs[setting] = json.loads(out.strip().splitlines()[-1])
        best = min(runs, key=lambda s: runs[s]["median_s"])
        r = runs[best]
        print(f"{n:8}  {r['tokens']:>7}  {seconds(r['median_s']):>15}  {best:16}  {JSORA[n]}", flush=True)
        results.append(dict(workload=n, best=best, settings=runs, jsora_command=JSORA[n]))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=2)
            f.write("\n")
        print("wrote", a.json)


if __name__ == "__main__":
    main()
