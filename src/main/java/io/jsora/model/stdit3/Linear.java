package io.jsora.model.stdit3;

import io.jsora.nn.Layer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * {@code y = x·weightᵀ + bias} with PyTorch's {@code nn.Linear} state-dict names and default
 * initialisation, declarable on the {@code meta} device (see {@link Params}).
 */
public final class Linear extends Layer {
  private final Tensor weight;
  private final Tensor bias;

  /**
   * @param meta null to build on the CPU, or the meta device to declare only
   */
  Linear(long in, long out, Device meta) {
    weight =
        own(Params.parameter(this, "weight", meta, Params.uniform(in, out, in), true, out, in));
    bias = own(Params.parameter(this, "bias", meta, Params.uniform(in, out), true, out));
  }

  /**
   * @param x {@code [..., in]}
   * @return {@code [..., out]}
   */
  public Tensor forward(Tensor x) {
    return torch.linear(x, weight, new TensorOptional(bias)); // (..., out)
  }

  public Tensor weight() {
    return weight;
  }

  public Tensor bias() {
    return bias;
  }

  /** Xavier-uniform weight, zero bias (upstream's {@code _basic_init}). */
  void xavier() {
    // in-place ops return the receiver itself: work on new handles so closing them keeps ours
    try (NoGradGuard g = new NoGradGuard();
        Tensor w = new Tensor(weight);
        Tensor b = new Tensor(bias)) {
      torch.xavier_uniform_(w).close();
      b.zero_().close();
    }
  }

  /** Sets {@code t} (a parameter) to zero in place. */
  static void zero(Tensor t) {
    try (NoGradGuard g = new NoGradGuard();
        Tensor h = new Tensor(t)) {
      h.zero_().close();
    }
  }
}
