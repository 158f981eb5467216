package io.jsora.nn;

import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Transformer MLP: {@code fc1} (Linear), tanh-approximated GELU, {@code fc2} (Linear). No dropout.
 */
public final class Mlp extends Layer {
  private final LinearImpl fc1;
  private final LinearImpl fc2;

  public Mlp(long dim, long hidden) {
    fc1 = child("fc1", new LinearImpl(dim, hidden));
    fc2 = child("fc2", new LinearImpl(hidden, dim));
  }

  /**
   * @param x {@code [B, S, D]}
   * @return {@code [B, S, D]}
   */
  public Tensor forward(Tensor x) {
    Tensor h =
        Trace.apply(
            "gelu",
            a -> torch.gelu(a, "tanh"),
            Trace.apply("linear", fc1::forward, x)); // (B, S, hidden)
    return Trace.apply("linear", fc2::forward, h); // (B, S, D)
  }

  public LinearImpl fc1() {
    return fc1;
  }

  public LinearImpl fc2() {
    return fc2;
  }
}
