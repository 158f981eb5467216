package io.jsora.model.dit;

import io.jsora.nn.Attention;
import io.jsora.nn.Init;
import io.jsora.nn.Mlp;
import io.jsora.nn.Modulation;
import io.jsora.nn.Trace;
import org.bytedeco.pytorch.Tensor;

/**
 * adaLN-zero block whose only attention is from the video tokens to the raw text states ({@code
 * cross-attn}); keys and values are projected from the text width:
 *
 * <pre>
 *   x += gate1 · attn(modulate(LN(x), shift1, scale1), text)
 *   x += gate2 · mlp(modulate(LN(x), shift2, scale2))
 * </pre>
 *
 * Video tokens never attend to each other here, as in the reference.
 */
public final class CrossAttentionBlock extends DiTBlock {
  private final Attention attn;
  private final Mlp mlp;
  private final Modulation adaLN;
  private final long dim;

  CrossAttentionBlock(DiTConfig c) {
    dim = c.hiddenSize();
    attn = child("attn", new Attention(dim, c.textEmbedDim(), c.numHeads()));
    mlp = child("mlp", new Mlp(dim, c.mlpHidden()));
    adaLN = child("adaLN_modulation", new Modulation(dim, 6));
  }

  @Override
  public Tensor forward(Tensor x, Tensor c, Tensor context, Tensor selfMask, Tensor crossMask) {
    Tensor[] m = Trace.all("adaLN_modulation", () -> adaLN.forward(c)); // 6 x (B, D)
    Tensor h = Modulation.modulate(Modulation.norm(x, dim), m[0], m[1]); // (B, S, D)
    x =
        Modulation.gatedResidual(
            x, m[2], Trace.apply("attn", a -> attn.forward(a, context, crossMask), h)); // (B, S, D)
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
