package io.jsora.model.dit;

import io.jsora.nn.Layer;
import io.jsora.nn.Init;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

/**
 * One transformer block of a {@link DiT}; the subclass depends on the {@link Arch}. Every block
 * takes the same arguments so the model can checkpoint them uniformly.
 */
public abstract class DiTBlock extends Layer {
  /**
   * @param x tokens {@code [B, S, D]}
   * @param c conditioning vector {@code [B, D]}
   * @param context text states {@code [B, L, Dt]} for the cross-attending archs, else null
   * @param selfMask key-padding mask {@code [B, 1, 1, S]} bool for self-attention, or null
   * @param crossMask key-padding mask {@code [B, 1, 1, L]} bool for cross-attention, or null
   * @return {@code [B, S, D]}
   */
  public abstract Tensor forward(Tensor x, Tensor c, Tensor context, Tensor selfMask, Tensor crossMask);

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
