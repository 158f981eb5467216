package io.jsora.model.t5;

import io.jsora.tensor.DType;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * T5's layer norm, a root-mean-square norm with a learned scale and no bias or mean subtraction:
 *
 * <pre>
 *   y = weight · x / sqrt(mean(x², last axis) + ε)
 * </pre>
 *
 * The mean of squares is taken in float32 whatever the input dtype; with bf16 weights the
 * normalised value is cast back to bf16 before the scale, as upstream does. State-dict name: {@code
 * weight} [D], initialised to ones.
 */
final class T5LayerNorm extends T5Layer {
  private final Tensor weight;
  private final double eps;

  T5LayerNorm(Placement p, long dim, double eps) {
    super(p);
    this.eps = eps;
    weight = typedParameter("weight", dim);
    try (Scalar one = new Scalar(1.0);
        NoGradGuard g = new NoGradGuard()) {
      weight.fill_(one);
    }
  }

  /**
   * @param x {@code [..., D]}
   * @return {@code [..., D]}, float32 for float32 weights, bf16 for bf16 weights
   */
  Tensor forward(Tensor x) {
    Tensor variance =
        x.to(DType.F32.scalarType())
            .pow(new Scalar(2.0))
            .mean(new long[] {-1}, true, new ScalarTypeOptional()); // (..., 1) fp32
    Tensor h =
        x.mul(
            torch.rsqrt(variance.add(new Scalar(eps)))); //                            (..., D) fp32
    if (placement.dtype() != DType.F32) {
      h =
          h.to(
              placement
                  .dtype()
                  .scalarType()); //                                              (..., D)
    }
    return weight.mul(
        h); //                                                                    (..., D)
  }

  Tensor weight() {
    return weight;
  }
}
