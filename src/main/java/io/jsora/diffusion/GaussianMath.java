package io.jsora.diffusion;

import io.jsora.tensor.Shapes;
import java.util.Arrays;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Element-wise Gaussian formulas used by the variational bound, and the (masked) per-sample mean.
 * All results are tensors created in the caller's scope.
 */
public final class GaussianMath {
  private GaussianMath() {}

  /** Natural log of 2, to turn nats into bits. */
  public static final double LN2 = Math.log(2.0);

  /**
   * {@code KL(N(m1, e^lv1) ‖ N(m2, e^lv2))} element-wise, in nats: {@code ½(−1 + lv2 − lv1 +
   * e^{lv1−lv2} + (m1 − m2)² e^{−lv2})}.
   */
  public static Tensor normalKl(Tensor mean1, Tensor logVar1, Tensor mean2, Tensor logVar2) {
    Tensor d = mean1.sub(mean2);
    return logVar2
        .sub(s(1.0))
        .sub(logVar1)
        .add(logVar1.sub(logVar2).exp())
        .add(d.mul(d).mul(logVar2.neg().exp()))
        .mul(s(0.5));
  }

  /**
   * The tanh approximation of the standard normal CDF: {@code ½(1 + tanh(√(2/π)(x + 0.044715x³)))}.
   */
  public static Tensor approxStandardNormalCdf(Tensor x) {
    Tensor inner = x.add(x.pow(s(3.0)).mul(s(0.044715))).mul(s(Math.sqrt(2.0 / Math.PI)));
    return inner.tanh().add(s(1.0)).mul(s(0.5));
  }

  /**
   * Log-likelihood (nats) of data in [-1, 1] quantised to 256 levels under {@code N(means,
   * e^{2·logScales})}: the probability mass of the bin {@code x ± 1/255}, with the outermost bins
   * open-ended (x below −0.999 or above 0.999).
   */
  public static Tensor discretizedGaussianLogLikelihood(Tensor x, Tensor means, Tensor logScales) {
    Tensor centered = x.sub(means);
    Tensor invStd = logScales.neg().exp();
    Tensor cdfPlus = approxStandardNormalCdf(invStd.mul(centered.add(s(1.0 / 255.0))));
    Tensor cdfMin = approxStandardNormalCdf(invStd.mul(centered.sub(s(1.0 / 255.0))));
    Tensor logCdfPlus = cdfPlus.clamp_min(s(1e-12)).log();
    Tensor logOneMinusCdfMin = cdfMin.neg().add(s(1.0)).clamp_min(s(1e-12)).log();
    Tensor logDelta = cdfPlus.sub(cdfMin).clamp_min(s(1e-12)).log();
    Tensor inner = torch.where(x.gt(s(0.999)), logOneMinusCdfMin, logDelta);
    return torch.where(x.lt(s(-0.999)), logCdfPlus, inner);
  }

  /**
   * The mean of {@code v [B, ...]} over every dimension but the first, counting only elements where
   * {@code mask} is non-zero.
   *
   * @param mask null (every element counts) or a tensor with v's rank whose sizes equal v's or are
   *     1 (broadcast), e.g. {@code [B, 1, T, 1, 1]} for clips padded in time; 1 marks real
   *     elements, 0 padding. A sample with no real element gets 0.
   * @return {@code [B]}
   */
  public static Tensor meanFlat(Tensor v, Tensor mask) {
    long[] shape = Shapes.of(v);
    long[] dims = new long[shape.length - 1];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = i + 1;
    }
    if (mask == null) {
      return dims.length == 0 ? v : v.mean(dims, false, new ScalarTypeOptional());
    }
    checkMask(mask, shape);
    Tensor m;
    try (Device d = v.device()) {
      m = mask.to(d, v.scalar_type());
    }
    Tensor num = v.mul(m).sum(dims, false, new ScalarTypeOptional());
    Tensor den = m.expand(shape).sum(dims, false, new ScalarTypeOptional()).clamp_min(s(1.0));
    return num.div(den);
  }

  /** Checks that {@code mask} broadcasts to {@code shape} dimension by dimension (same rank). */
  static void checkMask(Tensor mask, long[] shape) {
    long[] ms = Shapes.of(mask);
    boolean ok = ms.length == shape.length && ms.length > 0 && ms[0] == shape[0];
    for (int i = 1; ok && i < ms.length; i++) {
      ok = ms[i] == 1 || ms[i] == shape[i];
    }
    if (!ok) {
      throw new IllegalArgumentException(
          "loss mask: expected shape "
              + Arrays.toString(shape)
              + " or one with 1 in broadcast dimensions (same rank, batch "
              + shape[0]
              + "), found "
              + Arrays.toString(ms));
    }
  }

  static Scalar s(double v) {
    return new Scalar(v);
  }
}
