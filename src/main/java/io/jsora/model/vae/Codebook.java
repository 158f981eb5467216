package io.jsora.model.vae;

import io.jsora.nn.Layer;
import io.jsora.tensor.Shapes;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * VideoGPT's codebook: {@code n_codes} vectors of {@code embedding_dim}, learnt by exponential
 * moving averages rather than gradients. Buffers: {@code embeddings [n_codes, D]}, {@code N
 * [n_codes]} (EMA of code counts) and {@code z_avg [n_codes, D]} (EMA of summed encoder outputs).
 *
 * <p>Quantisation picks, for each encoder vector z, the code minimising {@code |z|² − 2 z·e + |e|²}
 * (one matmul over the whole batch) and returns the straight-through value {@code (e − z).detach()
 * + z}: equal to e forward, gradient of the identity backward.
 *
 * <p>In training mode each call also, as VideoGPT does:
 *
 * <ol>
 *   <li>on the first call, initialises the codebook with randomly chosen encoder vectors of the
 *       batch (counts set to 1);
 *   <li>updates {@code N} and {@code z_avg} with decay 0.99 and sets each code to {@code z_avg / N}
 *       (N Laplace-smoothed with 1e-7);
 *   <li>restarts dead codes, those whose count EMA fell below 1, at random encoder vectors of the
 *       batch (the batch tiled with N(0, 0.01/√D) noise when it holds fewer vectors than codes).
 * </ol>
 *
 * Single-process only: VideoGPT all-reduces the counts and sums across ranks, which a data-parallel
 * trainer must add.
 */
final class Codebook extends Layer {
  static final double DECAY = 0.99;
  static final double COMMITMENT = 0.25;

  final Tensor embeddings;
  final Tensor counts;
  final Tensor zAvg;
  private final long nCodes;
  private final long dim;
  private boolean needInit = true;

  Codebook(long nCodes, long dim, Device device) {
    super(device);
    this.nCodes = nCodes;
    this.dim = dim;
    try (TensorOptions o = floatOptions(device)) {
      Tensor e = torch.randn(new long[] {nCodes, dim}, o);
      embeddings = buffer("embeddings", e.clone());
      counts = buffer("N", 0.0, nCodes);
      zAvg = buffer("z_avg", e);
    }
  }

  /** Whether the next training call initialises the codebook from the batch. */
  boolean needsInit() {
    return needInit;
  }

  /**
   * Sets whether the next training call initialises the codebook from its batch: true for a fresh
   * model (the default), false once trained weights are loaded.
   */
  void setNeedsInit(boolean v) {
    needInit = v;
  }

  /** What one quantisation produced; all tensors belong to the caller's scope. */
  record Output(Tensor embeddings, Tensor indices, Tensor commitmentLoss, Tensor perplexity) {}

  /**
   * Quantises {@code z [B, D, T, H, W]}.
   *
   * @param random draws for initialisation and dead-code restarts (training mode only; may be null
   *     in eval mode)
   */
  Output forward(Tensor z, Generator random) {
    long[] s = Shapes.of(z);
    Tensor flat = z.permute(0, 2, 3, 4, 1).reshape(-1, dim); // (n, D)
    boolean training = is_training();
    if (training && needInit) {
      initFromBatch(flat, random);
    }
    Tensor idx;
    try (NoGradGuard g = new NoGradGuard()) {
      idx = nearest(flat, embeddings); // (n)
    }
    Tensor emb =
        torch
            .embedding(embeddings, idx.view(s[0], s[2], s[3], s[4])) // (B, T, H, W, D)
            .permute(0, 4, 1, 2, 3); // (B, D, T, H, W)
    Tensor commitment = torch.mse_loss(z, emb.detach()).mul(new Scalar(COMMITMENT)); // ()
    Tensor used =
        idx.bincount(new TensorOptional(), nCodes)
            .to(torch.ScalarType.Float); // (n_codes) code counts
    if (training) {
      emaUpdate(flat, idx, used, random);
    }
    Tensor st = emb.sub(z).detach().add(z); // (B, D, T, H, W), straight-through
    Tensor p = used.div(new Scalar((double) s[0] * s[2] * s[3] * s[4]));
    Tensor perplexity = p.mul(p.add(new Scalar(1e-10)).log()).sum().neg().exp(); // ()
    return new Output(st, idx.view(s[0], s[2], s[3], s[4]), commitment, perplexity);
  }

  /**
   * Index of the nearest code for each row of {@code flat [n, D]}, by the matmul form of the
   * squared distance (ties go to the lower index, as {@code argmin} does).
   */
  static Tensor nearest(Tensor flat, Tensor codes) {
    Tensor d =
        flat.pow(new Scalar(2.0))
            .sum(new long[] {1}, true, new ScalarTypeOptional()) // (n, 1)
            .sub(flat.matmul(codes.t()).mul(new Scalar(2.0))) // (n, n_codes)
            .add(
                codes
                    .t()
                    .pow(new Scalar(2.0))
                    .sum(new long[] {0}, true, new ScalarTypeOptional())); // (n, n_codes)
    return torch.argmin(d, new LongOptional(1), false); // (n)
  }

  /** Codes for {@code indices [...]}: {@code [..., D]}; caller's scope owns it. */
  Tensor lookup(Tensor indices) {
    return torch.embedding(embeddings, indices);
  }

  private void initFromBatch(Tensor flat, Generator random) {
    needInit = false;
    try (NoGradGuard g = new NoGradGuard()) {
      Tensor pick = randomRows(flat, random); // (n_codes, D)
      embeddings.copy_(pick);
      zAvg.copy_(pick);
      fill(counts, 1.0);
    }
  }

  private void emaUpdate(Tensor flat, Tensor idx, Tensor used, Generator random) {
    try (NoGradGuard g = new NoGradGuard()) {
      Tensor f = flat.detach();
      Tensor sums = torch.zeros_like(zAvg).index_add_(0, idx, f); // (n_codes, D)
      counts.mul_(new Scalar(DECAY)).add_(used, new Scalar(1 - DECAY));
      zAvg.mul_(new Scalar(DECAY)).add_(sums, new Scalar(1 - DECAY));
      Tensor n = counts.sum(); // ()
      Tensor weights =
          counts.add(new Scalar(1e-7)).div(n.add(new Scalar(nCodes * 1e-7))).mul(n); // (n_codes)
      embeddings.copy_(zAvg.div(weights.unsqueeze(1)));
      Tensor restart = randomRows(f, random); // (n_codes, D)
      Tensor usage =
          counts.view(nCodes, 1).ge(new Scalar(1.0)).to(torch.ScalarType.Float); // (n_codes, 1)
      embeddings.mul_(usage).add_(restart.mul(usage.neg().add(new Scalar(1.0))));
    }
  }

  /**
   * {@code n_codes} rows drawn without replacement from {@code flat [n, D]}, tiled with small noise
   * first when {@code n < n_codes} (VideoGPT's {@code _tile}). The draws come from {@code random},
   * a CPU generator, whatever the device, so a seed gives the same codebook on CPU and GPU.
   */
  private Tensor randomRows(Tensor flat, Generator random) {
    if (random == null) {
      throw new IllegalStateException("codebook training needs a random generator");
    }
    long n = Shapes.of(flat)[0];
    Tensor y = flat;
    if (n < nCodes) {
      long repeats = (nCodes + n - 1) / n;
      y = flat.repeat(repeats, 1); // (n·repeats, D)
      double std = 0.01 / Math.sqrt(dim);
      Tensor noise =
          torch.randn(
              Shapes.of(y),
              new GeneratorOptional(random),
              new TensorOptions(torch.ScalarType.Float));
      y = y.add(noise.to(y.device(), torch.ScalarType.Float).mul(new Scalar(std)));
    }
    long m = Shapes.of(y)[0];
    Tensor perm =
        torch.randperm(
            m, new GeneratorOptional(random), new TensorOptions(torch.ScalarType.Long)); // (m)
    return y.index_select(
        0, perm.narrow(0, 0, nCodes).to(y.device(), torch.ScalarType.Long)); // (n_codes, D)
  }
}
