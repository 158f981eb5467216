package io.jsora.model.dit;

import io.jsora.nn.Init;
import io.jsora.nn.Layer;
import io.jsora.nn.Modulation;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Tensor;

/**
 * LayerNorm, adaLN shift/scale from {@code c}, then {@code linear} to {@code p·p·C_out} values per
 * token (channel-major, then patch row, then column). Both linears start at zero.
 */
public final class FinalLayer extends Layer {
  private final LinearImpl linear;
  private final Modulation adaLN;
  private final long dim;

  FinalLayer(long dim, int patch, int outChannels) {
    this.dim = dim;
    linear = child("linear", new LinearImpl(dim, (long) patch * patch * outChannels));
    adaLN = child("adaLN_modulation", new Modulation(dim, 2));
  }

  /**
   * @param x {@code [B, S, D]}
   * @param c {@code [B, D]}
   * @return {@code [B, S, p·p·C_out]}
   */
  public Tensor forward(Tensor x, Tensor c) {
    Tensor[] m = adaLN.forward(c); // shift, scale: 2 x (B, D)
    Tensor h = Modulation.modulate(Modulation.norm(x, dim), m[0], m[1]); // (B, S, D)
    return linear.forward(h); // (B, S, p*p*C_out)
  }

  void initialize() {
    Init.zeros(adaLN.linear());
    Init.zeros(linear);
  }
}
