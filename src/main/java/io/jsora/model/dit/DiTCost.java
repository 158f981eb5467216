package io.jsora.model.dit;

/**
 * Size and cost of a DiT without building it: parameter count, tokens and forward
 * multiply-accumulates per sample.
 *
 * <p>FLOPs follow the DiT paper's convention (its 118.6 GFLOPs for DiT-XL/2 at 256×256 through the
 * SD VAE): one multiply-add counts once, every matrix product is counted (linear layers, the
 * attention's {@code q·kᵀ} and {@code attn·v}, the per-sample adaLN and timestep MLPs), and
 * element-wise work (norms, softmax, activations, modulation) is not.
 */
public final class DiTCost {
  private DiTCost() {}

  /** Parameter elements of {@code new DiT(c)}. */
  public static long parameters(DiTConfig c) {
    long d = c.hiddenSize();
    long dt = c.textEmbedDim();
    long p2 = (long) c.patchSize() * c.patchSize();
    long m = c.mlpHidden();
    long n = d * c.inChannels() * p2 + d; // video_embedder
    n += TimestepEmbedderSize.of(d); // t_embedder
    if (!c.modelArch().crossAttends() || c.textToC()) {
      n += dt * d + d; // text_embedder
    }
    long selfAttn = 4 * (d * d + d);
    long crossAttn = 2 * (d * d + d) + 2 * (dt * d + d);
    long block = (d * 6 * d + 6 * d) + (d * m + m + m * d + d);
    switch (c.modelArch()) {
      case CROSS_ATTN:
        block += crossAttn;
        break;
      case SELF_CROSS:
        block += selfAttn + crossAttn;
        break;
      default:
        block += selfAttn;
    }
    n += c.depth() * block;
    n += (d * 2 * d + 2 * d) + (d * p2 * c.outChannels() + p2 * c.outChannels()); // final_layer
    return n;
  }

  /** Video tokens of a latent of {@code frames × height × width} (latent units). */
  public static long videoTokens(DiTConfig c, long frames, long height, long width) {
    int p = c.patchSize();
    if (height % p != 0 || width % p != 0) {
      throw new IllegalArgumentException(
          "latent height "
              + height
              + " and width "
              + width
              + " must be multiples of the patch size "
              + p);
    }
    return frames * (height / p) * (width / p);
  }

  /**
   * Forward multiply-accumulates for one sample.
   *
   * @param frames latent frames
   * @param height latent height
   * @param width latent width
   * @param textLen text tokens (cross-attention and token-concat; ignored for adaln)
   */
  public static double forwardMacs(
      DiTConfig c, long frames, long height, long width, long textLen) {
    double d = c.hiddenSize();
    double dt = c.textEmbedDim();
    double p2 = (double) c.patchSize() * c.patchSize();
    double m = c.mlpHidden();
    double n = videoTokens(c, frames, height, width);
    double l = c.modelArch().pooledText() ? 0 : textLen;
    double macs = n * c.inChannels() * p2 * d; // patch embedding
    macs += TimestepEmbedderSize.FREQ * d + d * d; // timestep MLP
    double s = n; // tokens the blocks see
    switch (c.modelArch()) {
      case ADALN:
        macs += dt * d;
        break;
      case TOKEN_CONCAT:
        macs += l * dt * d;
        s = n + l;
        break;
      default:
        if (c.textToC()) {
          macs += dt * d; // masked-mean text into c
        }
        break;
    }
    double selfAttn = 4 * s * d * d + 2 * s * s * d; // q, k, v, out projections; q·kᵀ and attn·v
    double crossAttn = 2 * n * d * d + 2 * l * dt * d + 2 * n * l * d;
    double block = 6 * d * d + 2 * s * d * m; // adaLN, MLP
    switch (c.modelArch()) {
      case CROSS_ATTN:
        block += crossAttn;
        break;
      case SELF_CROSS:
        block += selfAttn + crossAttn;
        break;
      default:
        block += selfAttn;
    }
    macs += c.depth() * block;
    macs += 2 * d * d + n * d * p2 * c.outChannels(); // final layer
    return macs;
  }

  /** Timestep embedder sizes, kept beside the layer they describe. */
  private static final class TimestepEmbedderSize {
    static final long FREQ = io.jsora.nn.TimestepEmbedder.FREQUENCY_DIM;

    static long of(long d) {
      return FREQ * d + d + d * d + d;
    }
  }
}
