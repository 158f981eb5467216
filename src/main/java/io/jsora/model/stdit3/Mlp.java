package io.jsora.model.stdit3;

import io.jsora.nn.Layer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * timm's {@code Mlp} as upstream builds it: {@code fc1}, tanh-approximated GELU, {@code fc2}, no
 * dropout (the same math as {@code io.jsora.nn.Mlp}, here with separate in/out widths and
 * declarable on the meta device).
 */
public final class Mlp extends Layer {
  private final Linear fc1;
  private final Linear fc2;

  Mlp(long in, long hidden, long out, Device meta) {
    fc1 = child("fc1", new Linear(in, hidden, meta));
    fc2 = child("fc2", new Linear(hidden, out, meta));
  }

  /**
   * @param x {@code [..., in]}
   * @return {@code [..., out]}
   */
  public Tensor forward(Tensor x) {
    return fc2.forward(torch.gelu(fc1.forward(x), "tanh")); // (..., out)
  }

  public Linear fc1() {
    return fc1;
  }

  public Linear fc2() {
    return fc2;
  }
}
