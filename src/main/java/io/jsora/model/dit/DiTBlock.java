package io.jsora.model.dit;

import io.jsora.nn.Attention;
import io.jsora.nn.Init;
import io.jsora.nn.Layer;
import io.jsora.parallel.SequenceParallel;
import io.jsora.parallel.SpAttention;
import org.bytedeco.pytorch.Tensor;

/**
 * One transformer block of a {@link DiT}; the subclass depends on the {@link Arch}. Every block
 * takes the same arguments so the model can checkpoint them uniformly.
 */
public abstract class DiTBlock extends Layer {
  /** The sequence-parallel group the block's tokens are split over (identity by default). */
  private SequenceParallel sp = SequenceParallel.none();

  void setSequenceParallel(SequenceParallel sp) {
    this.sp = sp;
  }

  /**
   * Self-attention of this rank's tokens: {@code a.forward(h, null, keyMask)} in one process; with
   * sequence parallelism, {@link SpAttention} (Ulysses or FastSeq) over the group, built from the
   * same projections and core, so the weights and their names are unchanged.
   *
   * @param h {@code [B, S/P, D]} this rank's tokens (all tokens when P = 1)
   * @param keyMask {@code [B, 1, 1, S]} over the WHOLE sequence, or null
   * @return {@code [B, S/P, D]}
   */
  protected final Tensor selfAttention(Attention a, Tensor h, Tensor keyMask) {
    if (!sp.enabled()) {
      return a.forward(h, null, keyMask); // (B, S, D)
    }
    int heads = a.heads();
    return SpAttention.forward(
        sp,
        h,
        heads,
        SpAttention.separateQkv(
            a.toQ().weight(),
            a.toQ().bias(),
            a.toK().weight(),
            a.toK().bias(),
            a.toV().weight(),
            a.toV().bias(),
            heads),
        (q, k, v) ->
            Attention.core(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), keyMask)
                .transpose(1, 2), // (B, S, h, hd)
        a::projectOut); // (B, S/P, D)
  }

  /**
   * @param x tokens {@code [B, S, D]}
   * @param c conditioning vector {@code [B, D]}
   * @param context text states {@code [B, L, Dt]} for the cross-attending archs, else null
   * @param selfMask key-padding mask {@code [B, 1, 1, S]} bool for self-attention, or null
   * @param crossMask key-padding mask {@code [B, 1, 1, L]} bool for cross-attention, or null
   * @return {@code [B, S, D]}
   */
  public abstract Tensor forward(
      Tensor x, Tensor c, Tensor context, Tensor selfMask, Tensor crossMask);

  /** Sets the reference initialisation (Xavier linears with zero bias, zero adaLN). */
  abstract void initialize();

  /** The block for {@code config.modelArch()}. */
  static DiTBlock create(DiTConfig config) {
    switch (config.modelArch()) {
      case ADALN:
      case TOKEN_CONCAT:
        return new SelfAttentionBlock(config);
      case CROSS_ATTN:
        return new CrossAttentionBlock(config);
      case SELF_CROSS:
        return new SelfCrossBlock(config);
      default:
        throw new IllegalArgumentException("no block for " + config.modelArch());
    }
  }

  static void xavier(io.jsora.nn.Attention a) {
    Init.xavier(a.toQ());
    Init.xavier(a.toK());
    Init.xavier(a.toV());
    Init.xavier(a.toOut());
  }

  static void xavier(io.jsora.nn.Mlp m) {
    Init.xavier(m.fc1());
    Init.xavier(m.fc2());
  }
}
