package io.jsora.model.stdit3;

import io.jsora.nn.Layer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * RMS normalisation over the last dimension (upstream's {@code LlamaRMSNorm}, = T5's layer norm):
 *
 * <pre>
 *   y = weight · cast_back( x_f32 · rsqrt(mean(x_f32²) + eps) )
 * </pre>
 *
 * State-dict name: {@code weight} {@code [dim]} (starts at ones).
 */
public final class RmsNorm extends Layer {
  /** Upstream's epsilon for the q/k norms. */
  public static final double EPS = 1e-6;

  private final Tensor weight;

  RmsNorm(long dim, Device meta) {
    weight = own(Params.parameter(this, "weight", meta, () -> torch.ones(dim), true, dim));
  }

  /**
   * @param x {@code [..., dim]}
   * @return {@code [..., dim]} in x's dtype (times the weight's)
   */
  public Tensor forward(Tensor x) {
    ScalarType dtype = x.scalar_type();
    Tensor h = x.to(ScalarType.Float); // (..., dim) f32
    Tensor var =
        h.pow(new Scalar(2.0)).mean(new long[] {-1}, true, new ScalarTypeOptional()); // (..., 1)
    h = h.mul(torch.rsqrt(var.add(new Scalar(EPS)))); // (..., dim)
    return weight.mul(h.to(dtype)); // (..., dim)
  }

  public Tensor weight() {
    return weight;
  }
}
