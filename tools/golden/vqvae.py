"""Generate src/test/resources/golden/vqvae/ (the VideoGPT VQ-VAE reference).

Upstream: wilson1yan/VideoGPT at commit 733d2b1, ``videogpt/vqvae.py``, ``attention.py`` and
``utils.py`` (the VQ-VAE that Open-Sora's March-2024 ``hpcai-tech/vqvae`` hub model wraps),
imported unmodified from the checkout. Needs only Debian's PyTorch 1.13 and NumPy:

    apt-get install -y python3-torch python3-numpy
    mkdir -p /tmp/vgpt && git -C VIDEOGPT_GIT_DIR archive 733d2b1 | tar -x -C /tmp/vgpt
    /usr/bin/python3 tools/golden/vqvae.py --upstream /tmp/vgpt --out /tmp/golden-vqvae
    /usr/bin/python3 tools/golden/compare.py /tmp/golden-vqvae src/test/resources/golden/vqvae

Stand-ins (this script's own): ``pytorch_lightning.LightningModule`` as a plain ``nn.Module``
with a no-op ``save_hyperparameters``, and ``skvideo.io`` (video file writing, unused). The
``videogpt`` package initialiser (which imports the GPT, data and download modules) is skipped.

Weights: ``VQVAE`` built under ``torch.manual_seed(0)``; then, from the same global generator,
every parameter of rank >= 2 redrawn as randn * sqrt(2 / fan_in) in ``named_parameters`` order
(fan_in = input channels x kernel volume, also for the transposed convolutions), then per batch
norm in module order ``uniform_`` draws of weight [0.5, 1.5), bias [-0.2, 0.2), running mean
[-0.3, 0.3), running variance [0.5, 2), and ``num_batches_tracked`` = 7. The test video and the
codebook come from ``torch.Generator().manual_seed(1)``: the video (uniform in [-0.5, 0.5)),
then attempts of (randperm of the 64 encoder output vectors, first 16 + 0.02 randn) until every
vector's nearest code beats the second nearest by more than 1e-3 in squared distance and all 16
codes are used (the second attempt), then ``N`` = 3 rand, then the decoder input N(0, 1).
``z_avg`` = 1.5 x codebook. The training step runs after ``torch.manual_seed(123)``.
"""

import argparse
import json
import math
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from goldenio import DTYPE_NAMES, add_upstream, package_without_init, save_safetensors, stub_module  # noqa: E402

TINY = dict(embedding_dim=8, n_codes=16, n_hiddens=8, n_res_layers=2, downsample=[2, 4, 4])
HPCAI = dict(embedding_dim=256, n_codes=2048, n_hiddens=240, n_res_layers=4, downsample=[2, 4, 4])
GRADS = ["decoder.convts.1.convt.weight", "encoder.convs.0.conv.weight",
         "encoder.res_stack.0.block.8.attn_t.w_qs.weight", "post_vq_conv.conv.bias", "pre_vq_conv.conv.weight"]
MARGIN = 1e-3


class _LightningModule(nn.Module):
    """Stand-in for ``pytorch_lightning.LightningModule``: only what ``VQVAE.__init__`` calls."""

    def save_hyperparameters(self, *args, **kwargs):
        pass


def import_upstream(root):
    add_upstream(root, "videogpt/vqvae.py")
    stub_module("pytorch_lightning", LightningModule=_LightningModule)
    stub_module("skvideo.io")
    package_without_init("videogpt", os.path.join(root, "videogpt"))
    from videogpt.vqvae import VQVAE
    return VQVAE


def build(VQVAE, cfg):
    return VQVAE(argparse.Namespace(**cfg))


def seeded_model(VQVAE):
    """The tiny VQ-VAE with every weight and batch-norm statistic redrawn (codebook set later)."""
    torch.manual_seed(0)
    model = build(VQVAE, TINY)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim >= 2:
                fan_in = p.shape[0] * p[0, 0].numel() if name.endswith("convt.weight") else p[0].numel()
                p.copy_(torch.randn(p.shape) * math.sqrt(2.0 / fan_in))
        for m in model.modules():
            if isinstance(m, nn.BatchNorm3d):
                n = m.num_features
                m.weight.copy_(torch.empty(n).uniform_(0.5, 1.5))
                m.bias.copy_(torch.empty(n).uniform_(-0.2, 0.2))
                m.running_mean.copy_(torch.empty(n).uniform_(-0.3, 0.3))
                m.running_var.copy_(torch.empty(n).uniform_(0.5, 2.0))
                m.num_batches_tracked.fill_(7)
    return model


def margins_ok(flat, codes):
    d = ((flat[:, None, :] - codes[None, :, :]) ** 2).sum(-1)  # [N, K]
    two = d.topk(2, dim=1, largest=False).values
    used = d.argmin(1).unique().numel()
    return bool((two[:, 1] - two[:, 0] > MARGIN).all()) and used == codes.shape[0]


def keys_json(VQVAE, path):
    torch.manual_seed(0)
    model = build(VQVAE, HPCAI)
    sd = model.state_dict()
    count = sum(p.numel() for p in model.parameters())
    lines = [f'    "{k}": ["{DTYPE_NAMES[v.dtype]}", {json.dumps(list(v.shape))}]' for k, v in sd.items()]
    with open(path, "w") as f:
        f.write("{\n")
        f.write('  "source": "videogpt.vqvae.VQVAE state_dict()",\n')
        f.write(f'  "config": {json.dumps(HPCAI)},\n')
        f.write(f'  "parameters": {count},\n')
        f.write('  "tensors": {\n' + ",\n".join(lines) + "\n  }\n}\n")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--upstream", required=True, help="VideoGPT checkout at commit 733d2b1")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    VQVAE = import_upstream(os.path.abspath(a.upstream))
    os.makedirs(a.out, exist_ok=True)
    out = lambda name: os.path.join(a.out, name)  # noqa: E731

    model = seeded_model(VQVAE).eval()
    g = torch.Generator().manual_seed(1)
    video = torch.rand(2, 3, 4, 16, 16, generator=g) - 0.5
    with torch.no_grad():
        z = model.pre_vq_conv(model.encoder(video))
    flat = z.permute(0, 2, 3, 4, 1).reshape(-1, TINY["embedding_dim"])
    for _ in range(100):
        pick = torch.randperm(flat.shape[0], generator=g)[: TINY["n_codes"]]
        codes = flat[pick] + 0.02 * torch.randn(TINY["n_codes"], TINY["embedding_dim"], generator=g)
        if margins_ok(flat, codes):
            break
    else:
        sys.exit("no codebook with the required margins in 100 attempts")
    cb = model.codebook
    cb.embeddings.copy_(codes)
    cb.z_avg.copy_(1.5 * codes)
    cb.N.copy_(torch.rand(TINY["n_codes"], generator=g) * 3)
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    save_safetensors(out("model.safetensors"), weights, metadata={"format": "pt"})
    save_safetensors(out("encode_in.safetensors"), {"video": video})

    dec_in = torch.randn(2, TINY["embedding_dim"], 2, 4, 4, generator=g)
    with torch.no_grad():
        indices, embeddings = model.encode(video, include_embeddings=True)
        dec = model.decoder(model.post_vq_conv(dec_in))
        from_codes = model.decoder(model.post_vq_conv(embeddings))
    save_safetensors(out("encode_out.safetensors"), {"embeddings": embeddings, "indices": indices})
    save_safetensors(out("decode_in.safetensors"), {"embeddings": dec_in})
    save_safetensors(out("decode_out.safetensors"), {"video": dec, "video_from_codes": from_codes})

    fresh = build(VQVAE, TINY)
    fresh.load_state_dict(weights)
    fresh.train()
    torch.manual_seed(123)
    recon_loss, _, vq = fresh(video)
    commitment = vq["commitment_loss"]
    (recon_loss + commitment).backward()
    step = {"recon_loss": recon_loss.detach().reshape(1), "commitment_loss": commitment.detach().reshape(1),
            "perplexity": vq["perplexity"].detach().reshape(1), "indices": vq["encodings"]}
    for k, v in fresh.state_dict().items():
        if k.startswith("codebook.") or "running_" in k or "num_batches_tracked" in k:
            step["after." + k] = v.clone()
    params = dict(fresh.named_parameters())
    for k in GRADS:
        step["grad." + k] = params[k].grad.clone()
    save_safetensors(out("train_step.safetensors"), step)

    with open(out("config.json"), "w") as f:
        json.dump(dict(architectures=["VQVAE"], model_type="vqvae", **TINY), f, indent=2)
        f.write("\n")
    keys_json(VQVAE, out("hpcai-tech-vqvae.keys.json"))
    with open(out("hpcai-tech-vqvae.config.json"), "w") as f:
        f.write('{\n  "architectures": ["VQVAE"],\n  "model_type": "vqvae",\n'
                + "".join(f'  "{k}": {json.dumps(v)},\n' for k, v in HPCAI.items())
                + '  "resolution": 128,\n  "sequence_length": 16\n}\n')


if __name__ == "__main__":
    main()
