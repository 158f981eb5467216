package io.jsora.model.vae;

import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import java.util.Arrays;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * Reconstruction quality of videos {@code [B, 3, T, H, W]} in jsora's pixel range [-0.5, 0.5],
 * measured as on 8-bit video: both are shifted to [0, 1] and clamped there (a reconstruction is
 * clamped before it becomes pixels), and computed in float64.
 *
 * <ul>
 *   <li>PSNR per video: {@code 10·log10(1 / MSE)} over all its pixels and channels; +∞ for
 *       identical videos.
 *   <li>SSIM per video: the mean over frames and channels of Wang et al.'s SSIM, with their
 *       constants (K1 = 0.01, K2 = 0.03, range 1) and an 11×11 Gaussian window of σ 1.5 over the
 *       positions where it fits entirely ('valid'); frames must be at least 11×11.
 * </ul>
 *
 * Methods run in the caller's scope and return float64 tensors {@code [B]} it owns.
 */
public final class ReconMetrics {
  static final int WINDOW = 11;
  static final double SIGMA = 1.5;
  static final double C1 = 0.01 * 0.01;
  static final double C2 = 0.03 * 0.03;

  private ReconMetrics() {}

  /** Peak signal-to-noise ratio in dB, one per video. */
  public static Tensor psnr(Tensor reference, Tensor reconstruction) {
    check(reference, reconstruction);
    Tensor a = unit(reference);
    Tensor b = unit(reconstruction);
    Tensor mse =
        a.sub(b)
            .pow(new Scalar(2.0))
            .flatten(1, -1)
            .mean(new long[] {1}, false, new ScalarTypeOptional()); // (B)
    return mse.log10().mul(new Scalar(-10.0)); // (B), +inf where mse = 0
  }

  /** Structural similarity, one per video (mean over frames and channels). */
  public static Tensor ssim(Tensor reference, Tensor reconstruction) {
    check(reference, reconstruction);
    long[] s = Shapes.of(reference);
    if (s[3] < WINDOW || s[4] < WINDOW) {
      throw new IllegalArgumentException(
          "ssim: frames must be at least "
              + WINDOW
              + "x"
              + WINDOW
              + ", found "
              + s[3]
              + "x"
              + s[4]);
    }
    Tensor x = planes(unit(reference)); // (B·C·T, 1, H, W)
    Tensor y = planes(unit(reconstruction));
    Tensor g = gaussian(x); // (11)
    Tensor mx = blur(x, g);
    Tensor my = blur(y, g);
    Tensor mx2 = mx.mul(mx);
    Tensor my2 = my.mul(my);
    Tensor mxy = mx.mul(my);
    Tensor vx = blur(x.mul(x), g).sub(mx2);
    Tensor vy = blur(y.mul(y), g).sub(my2);
    Tensor cxy = blur(x.mul(y), g).sub(mxy);
    Tensor num =
        mxy.mul(new Scalar(2.0))
            .add(new Scalar(C1))
            .mul(cxy.mul(new Scalar(2.0)).add(new Scalar(C2)));
    Tensor den = mx2.add(my2).add(new Scalar(C1)).mul(vx.add(vy).add(new Scalar(C2)));
    Tensor map = num.div(den); // (B·C·T, 1, H−10, W−10)
    return map.reshape(s[0], -1).mean(new long[] {1}, false, new ScalarTypeOptional()); // (B)
  }

  /** The normalised 1D Gaussian window, float64 on {@code like}'s device. */
  static Tensor gaussian(Tensor like) {
    return Tensors.of(gaussianWeights(), WINDOW).to(like.device(), torch.ScalarType.Double);
  }

  /** exp(−(i − 5)² / 2σ²), normalised to sum 1. */
  static double[] gaussianWeights() {
    double[] w = new double[WINDOW];
    double sum = 0;
    for (int i = 0; i < WINDOW; i++) {
      double d = i - WINDOW / 2;
      w[i] = Math.exp(-d * d / (2 * SIGMA * SIGMA));
      sum += w[i];
    }
    for (int i = 0; i < WINDOW; i++) {
      w[i] /= sum;
    }
    return w;
  }

  /** Separable 'valid' Gaussian filtering of {@code x [N, 1, H, W]}. */
  private static Tensor blur(Tensor x, Tensor g) {
    Tensor h =
        torch.conv2d(
            x,
            g.view(1, 1, 1, WINDOW),
            new TensorOptional(),
            new long[] {1, 1},
            new long[] {0, 0},
            new long[] {1, 1},
            1);
    return torch.conv2d(
        h,
        g.view(1, 1, WINDOW, 1),
        new TensorOptional(),
        new long[] {1, 1},
        new long[] {0, 0},
        new long[] {1, 1},
        1);
  }

  /** [-0.5, 0.5] → [0, 1], clamped, float64. */
  private static Tensor unit(Tensor v) {
    return v.to(torch.ScalarType.Double)
        .add(new Scalar(0.5))
        .clamp(new ScalarOptional(new Scalar(0.0)), new ScalarOptional(new Scalar(1.0)));
  }

  /** {@code [B, C, T, H, W]} → {@code [B·C·T, 1, H, W]}. */
  private static Tensor planes(Tensor v) {
    long[] s = Shapes.of(v);
    return v.reshape(s[0] * s[1] * s[2], 1, s[3], s[4]);
  }

  private static void check(Tensor a, Tensor b) {
    long[] sa = Shapes.of(a);
    long[] sb = Shapes.of(b);
    if (sa.length != 5 || !Arrays.equals(sa, sb)) {
      throw new IllegalArgumentException(
          "metrics: expected two videos of the same shape [B, C, T, H, W], found "
              + Arrays.toString(sa)
              + " and "
              + Arrays.toString(sb));
    }
  }
}
