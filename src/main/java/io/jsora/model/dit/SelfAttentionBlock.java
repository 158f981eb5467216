package io.jsora.model.dit;

import io.jsora.nn.Attention;
import io.jsora.nn.Init;
import io.jsora.nn.Mlp;
import io.jsora.nn.Modulation;
import io.jsora.nn.Trace;
import org.bytedeco.pytorch.Tensor;

/**
 * adaLN-zero block with self-attention over all tokens ({@code adaln} and {@code token-concat}):
 *
 * <pre>
 *   x += gate1 · attn(modulate(LN(x), shift1, scale1))
 *   x += gate2 · mlp(modulate(LN(x), shift2, scale2))
 * </pre>
 *
 * State-dict names: {@code attn.to_q/to_k/to_v/to_out.0}, {@code mlp.fc1/fc2}, {@code
 * adaLN_modulation.1}.
 */
public final class SelfAttentionBlock extends DiTBlock {
  private final Attention attn;
  private final Mlp mlp;
  private final Modulation adaLN;
  private final long dim;

  SelfAttentionBlock(DiTConfig c) {
    dim = c.hiddenSize();
    attn = child("attn", new Attention(dim, dim, c.numHeads()));
    mlp = child("mlp", new Mlp(dim, c.mlpHidden()));
    adaLN = child("adaLN_modulation", new Modulation(dim, 6));
  }

  @Override
  public Tensor forward(Tensor x, Tensor c, Tensor context, Tensor selfMask, Tensor crossMask) {
    Tensor[] m =
        Trace.all(
            "adaLN_modulation",
            () -> adaLN.forward(c)); // 6 x (B, D): shift/scale/gate for attention, then for the MLP
    Tensor h = Modulation.modulate(Modulation.norm(x, dim), m[0], m[1]); // (B, S, D)
    x =
        Modulation.gatedResidual(
            x, m[2], Trace.apply("attn", a -> selfAttention(attn, a, selfMask), h)); // (B, S, D)
    h = Modulation.modulate(Modulation.norm(x, dim), m[3], m[4]); // (B, S, D)
    return Modulation.gatedResidual(x, m[5], Trace.apply("mlp", mlp::forward, h)); // (B, S, D)
  }

  @Override
  void initialize() {
    xavier(attn);
    xavier(mlp);
    Init.zeros(adaLN.linear());
  }

  public Attention attn() {
    return attn;
  }
}
