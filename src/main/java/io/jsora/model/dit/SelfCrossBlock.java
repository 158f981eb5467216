package io.jsora.model.dit;

import io.jsora.nn.Attention;
import io.jsora.nn.Init;
import io.jsora.nn.Mlp;
import io.jsora.nn.Modulation;
import io.jsora.nn.Trace;
import org.bytedeco.pytorch.Tensor;

/**
 * Self-attention, then cross-attention to the text, then the MLP ({@code self-cross}, as later
 * video DiTs do; the reference has no such arch):
 *
 * <pre>
 *   x += gate1 · attn(modulate(LN(x), shift1, scale1))
 *   x += cross_attn(LN(x), text)
 *   x += gate2 · mlp(modulate(LN(x), shift2, scale2))
 * </pre>
 *
 * The cross-attention residual is not gated; its output projection starts at zero instead, so a
 * fresh block is still the identity. State-dict names: {@code attn.*}, {@code cross_attn.*}, {@code
 * mlp.*}, {@code adaLN_modulation.1}.
 */
public final class SelfCrossBlock extends DiTBlock {
  private final Attention attn;
  private final Attention crossAttn;
  private final Mlp mlp;
  private final Modulation adaLN;
  private final long dim;

  SelfCrossBlock(DiTConfig c) {
    dim = c.hiddenSize();
    attn = child("attn", new Attention(dim, dim, c.numHeads()));
    crossAttn = child("cross_attn", new Attention(dim, c.textEmbedDim(), c.numHeads()));
    mlp = child("mlp", new Mlp(dim, c.mlpHidden()));
    adaLN = child("adaLN_modulation", new Modulation(dim, 6));
  }

  @Override
  public Tensor forward(Tensor x, Tensor c, Tensor context, Tensor selfMask, Tensor crossMask) {
    Tensor[] m = Trace.all("adaLN_modulation", () -> adaLN.forward(c)); // 6 x (B, D)
    Tensor h = Modulation.modulate(Modulation.norm(x, dim), m[0], m[1]); // (B, S, D)
    x =
        Modulation.gatedResidual(
            x, m[2], Trace.apply("attn", a -> selfAttention(attn, a, selfMask), h)); // (B, S, D)
    x =
        x.add(
            Trace.apply(
                "cross_attn",
                a -> crossAttn.forward(a, context, crossMask),
                Modulation.norm(x, dim))); // (B, S, D)
    h = Modulation.modulate(Modulation.norm(x, dim), m[3], m[4]); // (B, S, D)
    return Modulation.gatedResidual(x, m[5], Trace.apply("mlp", mlp::forward, h)); // (B, S, D)
  }

  @Override
  void initialize() {
    xavier(attn);
    xavier(crossAttn);
    Init.zeros(crossAttn.toOut());
    xavier(mlp);
    Init.zeros(adaLN.linear());
  }

  public Attention attn() {
    return attn;
  }

  public Attention crossAttn() {
    return crossAttn;
  }
}
