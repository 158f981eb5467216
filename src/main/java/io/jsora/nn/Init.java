package io.jsora.nn;

import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Parameter initialisers matching PyTorch's {@code torch.nn.init}; each runs under no-grad and
 * draws from libtorch's global generator (seed it with {@code Seeds.manualSeed}).
 */
public final class Init {
  private Init() {}

  /** Xavier-uniform weight, zero bias: what DiT's {@code _basic_init} does for every Linear. */
  public static void xavier(LinearImpl linear) {
    try (NoGradGuard g = new NoGradGuard();
        Tensor w = linear.weight();
        Tensor b = linear.bias()) {
      torch.xavier_uniform_(w).close();
      b.zero_().close();
    }
  }

  /** Weight from N(0, std²); the bias is left as it is. */
  public static void normalWeight(LinearImpl linear, double std) {
    try (NoGradGuard g = new NoGradGuard();
        Tensor w = linear.weight();
        org.bytedeco.pytorch.GeneratorOptional global =
            new org.bytedeco.pytorch.GeneratorOptional()) {
      w.normal_(0.0, std, global).close();
    }
  }

  /** Weight and bias set to zero (adaLN-zero, zero output layers). */
  public static void zeros(LinearImpl linear) {
    try (NoGradGuard g = new NoGradGuard();
        Tensor w = linear.weight();
        Tensor b = linear.bias()) {
      w.zero_().close();
      b.zero_().close();
    }
  }
}
