"""Generate src/test/resources/golden/diffusion/ (the IDDPM/DiT Gaussian diffusion reference).

Upstream: the ``diffusion`` package of facebookresearch/DiT at commit
ed81ce2229091fd4ecc9a223645f95cf379d582b, which the committed files were made from. Open-Sora's
March-2024 copy (hpcaitech/Open-Sora at 0a4a091, ``open_sora/diffusion``) differs from it only in
formatting, an optional loss mask and its tensor layout: it splits the model output along
dimension 2 (patch tokens [B, S, C, p, p]) instead of 1. With that checkout the script swaps
dimensions 1 and 2 of every tensor going in and coming out; the results agree with the committed
files to within float32 rounding of the reordered means (see tools/golden/README.md).
Needs only Debian's PyTorch 1.13 and NumPy:

    apt-get install -y python3-torch python3-numpy
    mkdir -p /tmp/dit && git -C DIT_GIT_DIR archive ed81ce2229091fd4ecc9a223645f95cf379d582b | tar -x -C /tmp/dit
    /usr/bin/python3 tools/golden/diffusion.py --upstream /tmp/dit --out /tmp/golden-diffusion
    /usr/bin/python3 tools/golden/compare.py /tmp/golden-diffusion src/test/resources/golden/diffusion
    # or: --upstream /tmp/os0 (Open-Sora 0a4a091 exported the same way)

Random inputs come from one ``torch.Generator().manual_seed(1234)`` in this order: x0 (clamped
to [-1, 1]), noise, pmv_xt, ddim_xT, then the per-step ``randn_like`` draws of the DDIM (eta 0.5)
and DDPM loops, which are taken from that generator and recorded. The eta-0 DDIM loop multiplies
its draws by zero; they come from the global generator (seeded 0) and are not recorded.
"""

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from goldenio import package_without_init, save_safetensors  # noqa: E402

SHAPE = (4, 3, 2, 4, 4)
RESPACING = [(1000, "250"), (1000, "ddim25"), (300, "10,15,20"), (1000, "7"), (1000, "ddim50")]


def import_upstream(root):
    root = os.path.abspath(root)
    for rel in ("diffusion", os.path.join("open_sora", "diffusion")):
        if os.path.exists(os.path.join(root, rel, "gaussian_diffusion.py")):
            break
    else:
        sys.exit(f"--upstream {root}: neither diffusion/ (DiT) nor open_sora/diffusion/ (Open-Sora) found")
    sys.path.insert(0, root)
    if rel != "diffusion":
        import open_sora  # noqa: F401  (its __init__.py is empty)
    import importlib
    pkg = importlib.import_module(rel.replace(os.sep, "."))
    global CHANNEL_DIM
    CHANNEL_DIM = 1 if rel == "diffusion" else 2
    return pkg, importlib.import_module(pkg.__name__ + ".diffusion_utils")


CHANNEL_DIM = 1  # where the upstream copy splits eps from the variance values


def up(x):
    """Our [B, C, T, H, W] tensor in the upstream copy's layout."""
    return x if CHANNEL_DIM == 1 else x.transpose(1, 2).contiguous()


def down(x):
    """An upstream result back in [B, C, T, H, W]; per-sample results pass through."""
    return x if CHANNEL_DIM == 1 or x is None or x.ndim < 3 else x.transpose(1, 2).contiguous()


def model(x, t):
    """Deterministic stand-in network: eps half 0.3 x + 0.001 t, learned-range half tanh(x) / 2."""
    eps = 0.3 * x + 0.001 * t.float().view(-1, *([1] * (x.ndim - 1)))
    return torch.cat([eps, torch.tanh(x) / 2], dim=CHANNEL_DIM)


def model_eps(x, t):
    return model(x, t).narrow(CHANNEL_DIM, 0, x.shape[CHANNEL_DIM])


class Recorder:
    """Replaces ``torch.randn_like`` by draws from ``gen``, keeping each draw."""

    def __init__(self, gen):
        self.gen, self.draws, self.saved = gen, [], None

    def __enter__(self):
        self.saved = torch.randn_like
        torch.randn_like = lambda x, **kw: self._draw(x)
        return self

    def _draw(self, x):
        n = torch.randn(down(x).shape, generator=self.gen, dtype=x.dtype)
        self.draws.append(n.clone())
        return up(n)

    def __exit__(self, *exc):
        torch.randn_like = self.saved


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--upstream", required=True, help="DiT checkout at ed81ce2 or Open-Sora checkout at 0a4a091")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    pkg, utils = import_upstream(a.upstream)
    gd = pkg.gaussian_diffusion
    create = pkg.create_diffusion
    cpu = torch.device("cpu")
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1234)
    out = {}
    out["betas_linear"] = torch.from_numpy(gd.get_named_beta_schedule("linear", 1000))
    out["betas_cosine"] = torch.from_numpy(gd.get_named_beta_schedule("squaredcos_cap_v2", 1000))
    respacing = {f"{n}:{spec}": sorted(pkg.space_timesteps(n, spec)) for n, spec in RESPACING}

    x0 = torch.randn(SHAPE, generator=g).clamp(-1, 1)
    noise = torch.randn(SHAPE, generator=g)
    out.update(x0=x0, noise=noise)
    t = torch.tensor([0, 1, 500, 999])
    for sched in ("linear", "squaredcos_cap_v2"):
        terms = create("", noise_schedule=sched).training_losses(model, up(x0), t, noise=up(noise))
        out[f"loss_{sched}_t"] = t
        for k in ("mse", "vb", "loss"):
            out[f"loss_{sched}_{k}"] = terms[k]
        terms = create("", noise_schedule=sched, predict_xstart=True).training_losses(model, up(x0), t, noise=up(noise))
        for k in ("mse", "vb"):
            out[f"lossx0_{sched}_{k}"] = terms[k]

    xt = torch.randn(SHAPE, generator=g)
    tp = torch.tensor([0, 1, 100, 249])
    d250 = create("250")
    pmv = {k: down(v) for k, v in d250.p_mean_variance(model, up(xt), tp, clip_denoised=False).items()}
    out.update(pmv_xt=xt, pmv_t=tp, pmv_mean=pmv["mean"], pmv_variance=pmv["variance"],
               pmv_log_variance=pmv["log_variance"], pmv_pred_xstart=pmv["pred_xstart"])
    out["pmv_clip_mean"] = down(d250.p_mean_variance(model, up(xt), tp, clip_denoised=True)["mean"])
    for name, small in (("large", False), ("small", True)):
        fixed = create("250", learn_sigma=False, sigma_small=small).p_mean_variance(model_eps, up(xt), tp, clip_denoised=False)
        out[f"pmv_fixed{name}_mean"] = down(fixed["mean"])
        out[f"pmv_fixed{name}_log_variance"] = down(fixed["log_variance"])

    xT = torch.randn(2, *SHAPE[1:], generator=g)
    out["ddim_xT"] = xT
    ddim = create("ddim10")
    xTu = up(xT)
    out["ddim_eta0"] = down(ddim.ddim_sample_loop(model, xTu.shape, noise=xTu, clip_denoised=False, device=cpu))
    with Recorder(g) as r:
        out["ddim_eta05"] = down(ddim.ddim_sample_loop(model, xTu.shape, noise=xTu, clip_denoised=False,
                                                       device=cpu, eta=0.5))
    out["ddim_eta05_noises"] = torch.stack(r.draws)
    with Recorder(g) as r:
        out["ddpm_final"] = down(create("10").p_sample_loop(model, xTu.shape, noise=xTu, clip_denoised=False,
                                                            device=cpu))
    out["ddpm_noises"] = torch.stack(r.draws)

    dx = torch.tensor([-1.0, -0.9995, -0.5, 0.0, 0.25, 0.9995, 1.0])
    dm = torch.tensor([-0.9, -1.0, -0.4, 0.01, 0.3, 0.99, 0.5])
    ds = torch.tensor([-2.0, -3.0, -1.0, -4.0, -0.5, -5.0, -1.5])
    out.update(dgll_x=dx, dgll_means=dm, dgll_log_scales=ds,
               dgll=utils.discretized_gaussian_log_likelihood(dx, means=dm, log_scales=ds))

    os.makedirs(a.out, exist_ok=True)
    save_safetensors(os.path.join(a.out, "dit_reference.safetensors"), out)
    with open(os.path.join(a.out, "dit_reference.json"), "w") as f:
        json.dump({"respacing": respacing}, f)


if __name__ == "__main__":
    main()
