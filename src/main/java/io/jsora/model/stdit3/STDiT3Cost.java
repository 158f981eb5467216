package io.jsora.model.stdit3;

/**
 * Size and cost of an STDiT3 without building it, in closed form.
 *
 * <p>FLOPs follow the convention of {@code model.dit.DiTCost} (the DiT paper's): one multiply-add
 * counts once; every matrix product is counted (the patch convolution, all linear layers including
 * the per-sample timestep/fps MLPs and {@code t_block}, the caption projection, and the attention
 * products {@code q·kᵀ} and {@code attn·v}); element-wise work (norms, softmax, RoPE, modulation,
 * sinusoids) is not. With a frame mask the timestep-0 embedding adds one more timestep MLP and
 * {@code t_block} per sample; that is not included here.
 */
public final class STDiT3Cost {
  private STDiT3Cost() {}

  /** Width of the sinusoidal timestep/fps code. */
  private static final long FREQ = io.jsora.nn.TimestepEmbedder.FREQUENCY_DIM;

  /** Parameter elements of {@code new STDiT3(c)} (buffers not included). */
  public static long parameters(STDiT3Config c) {
    long d = c.hiddenSize();
    long hd = c.headDim();
    long m = c.mlpHidden();
    long dc = c.captionChannels();
    long patch = (long) c.patch(0) * c.patch(1) * c.patch(2);
    long n = d * c.inChannels() * patch + d; // x_embedder
    n += 2 * (FREQ * d + d + d * d + d); // t_embedder, fps_embedder
    n += d * 6 * d + 6 * d; // t_block
    n += dc * d + d + d * d + d; // y_embedder.y_proj
    n += hd / 2; // rope.freqs
    long block =
        6 * d // scale_shift_table
            + 3 * d * d
            + 3 * d
            + d * d
            + d // attn.qkv, attn.proj
            + (c.qkNorm() ? 2 * hd : 0) // q_norm, k_norm
            + d * d
            + d
            + 2 * d * d
            + 2 * d
            + d * d
            + d // cross_attn q_linear, kv_linear, proj
            + d * m
            + m
            + m * d
            + d; // mlp
    n += 2L * c.depth() * block;
    n += 2 * d + d * c.patchOutputs() + c.patchOutputs(); // final_layer
    return n;
  }

  /** Elements of the persistent buffers: the null caption {@code y_embedding}. */
  public static long bufferElements(STDiT3Config c) {
    return (long) c.modelMaxLength() * c.captionChannels();
  }

  /**
   * Tokens (T'·H'·W') of a latent of {@code frames × height × width}, each padded up to the patch.
   */
  public static long tokens(STDiT3Config c, long frames, long height, long width) {
    return ceil(frames, c.patch(0)) * ceil(height, c.patch(1)) * ceil(width, c.patch(2));
  }

  /**
   * Forward multiply-accumulates for one sample of the batch.
   *
   * @param frames latent frames T
   * @param height latent height H
   * @param width latent width W
   * @param textLen caption tokens given (the projection runs on all of them)
   * @param validText real caption tokens the cross-attention attends to
   */
  public static double forwardMacs(
      STDiT3Config c, long frames, long height, long width, long textLen, long validText) {
    double d = c.hiddenSize();
    double m = c.mlpHidden();
    double dc = c.captionChannels();
    double patch = (double) c.patch(0) * c.patch(1) * c.patch(2);
    long tp = ceil(frames, c.patch(0));
    long sp = ceil(height, c.patch(1)) * ceil(width, c.patch(2));
    double n = (double) tp * sp;
    double macs = n * c.inChannels() * patch * d; // x_embedder
    macs += 2 * (FREQ * d + d * d); // t_embedder, fps_embedder
    macs += d * 6 * d; // t_block
    macs += textLen * (dc * d + d * d); // y_embedder
    double spatialAttn = 4 * n * d * d + 2 * tp * (double) sp * sp * d; // qkv, proj; per frame S×S
    double temporalAttn = 4 * n * d * d + 2 * sp * (double) tp * tp * d; // qkv, proj; per token T×T
    double cross =
        2 * n * d * d
            + 2 * textLen * d * d
            + 2 * n * validText * d; // q, proj; kv on all tokens; q·kᵀ, attn·v
    double mlp = 2 * n * d * m;
    macs += c.depth() * (spatialAttn + temporalAttn + 2 * (cross + mlp));
    macs += n * d * c.patchOutputs(); // final_layer.linear
    return macs;
  }

  private static long ceil(long n, long p) {
    return (n + p - 1) / p;
  }
}
