package io.jsora.model.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.tensor.Natives;
import io.jsora.tensor.Tensors;
import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ReconMetricsTest {
  @BeforeAll
  static void natives() {
    Natives.load();
  }

  @Test
  void psnrOfAConstantErrorIsMinusTenLogTenOfItsSquare() {
    try (PointerScope s = new PointerScope()) {
      // pixels in [-0.4, 0.3] so +0.1 stays inside the range (no clamping)
      Tensor x = torch.rand(2, 3, 4, 8, 8).mul(new Scalar(0.7)).sub(new Scalar(0.4));
      double[] p = Tensors.toDoubles(ReconMetrics.psnr(x, x.add(new Scalar(0.1))));
      assertEquals(20.0, p[0], 1e-4); // -10·log10(0.01), float32 inputs
      assertEquals(20.0, p[1], 1e-4);
      assertEquals(Double.POSITIVE_INFINITY, Tensors.toDoubles(ReconMetrics.psnr(x, x))[0]);
    }
  }

  @Test
  void psnrClampsTheReconstructionToThePixelRange() {
    try (PointerScope s = new PointerScope()) {
      Tensor white = torch.full(new long[] {1, 3, 2, 4, 4}, new Scalar(0.5));
      // 0.9 is clamped to 0.5: identical after clamping
      assertEquals(
          Double.POSITIVE_INFINITY,
          Tensors.toDoubles(ReconMetrics.psnr(white, white.add(new Scalar(0.4))))[0]);
      // black vs white: MSE 1, PSNR 0
      assertEquals(0.0, Tensors.toDoubles(ReconMetrics.psnr(white, white.neg()))[0], 1e-12);
    }
  }

  @Test
  void ssimOfConstantFramesHasTheClosedForm() {
    try (PointerScope s = new PointerScope()) {
      double a = 0.3;
      double b = 0.6;
      Tensor x = torch.full(new long[] {1, 3, 2, 16, 16}, new Scalar(a - 0.5));
      Tensor y = torch.full(new long[] {1, 3, 2, 16, 16}, new Scalar(b - 0.5));
      // no variance: SSIM = (2ab + C1) / (a² + b² + C1)
      double want = (2 * a * b + ReconMetrics.C1) / (a * a + b * b + ReconMetrics.C1);
      assertEquals(want, Tensors.toDoubles(ReconMetrics.ssim(x, y))[0], 1e-6);
      Tensor r = torch.rand(2, 3, 2, 16, 16).sub(new Scalar(0.5));
      double[] same = Tensors.toDoubles(ReconMetrics.ssim(r, r));
      assertEquals(1.0, same[0], 1e-12);
      assertEquals(1.0, same[1], 1e-12);
    }
  }

  /** Against a direct evaluation of the definition (Java loops over every window position). */
  @Test
  void ssimEqualsANaiveComputation() {
    int h = 14;
    int w = 13;
    Random r = new Random(5);
    float[] x = new float[h * w];
    float[] y = new float[h * w];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (r.nextDouble() - 0.5);
      y[i] = (float) Math.max(-0.5, Math.min(0.5, x[i] + 0.2 * r.nextGaussian()));
    }
    double[] g = ReconMetrics.gaussianWeights();
    double total = 0;
    int windows = 0;
    for (int i = 0; i + 11 <= h; i++) {
      for (int j = 0; j + 11 <= w; j++) {
        double mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;
        for (int u = 0; u < 11; u++) {
          for (int v = 0; v < 11; v++) {
            double k = g[u] * g[v];
            double a = x[(i + u) * w + j + v] + 0.5;
            double b = y[(i + u) * w + j + v] + 0.5;
            mx += k * a;
            my += k * b;
            sxx += k * a * a;
            syy += k * b * b;
            sxy += k * a * b;
          }
        }
        double vx = sxx - mx * mx;
        double vy = syy - my * my;
        double cxy = sxy - mx * my;
        total +=
            (2 * mx * my + ReconMetrics.C1)
                * (2 * cxy + ReconMetrics.C2)
                / ((mx * mx + my * my + ReconMetrics.C1) * (vx + vy + ReconMetrics.C2));
        windows++;
      }
    }
    double want = total / windows;
    try (PointerScope s = new PointerScope()) {
      double got =
          Tensors.toDoubles(
              ReconMetrics.ssim(Tensors.of(x, 1, 1, 1, h, w), Tensors.of(y, 1, 1, 1, h, w)))[0];
      assertEquals(want, got, 1e-10);
      assertTrue(want > 0.1 && want < 0.99, "a non-trivial value: " + want);
    }
  }

  @Test
  void mismatchedShapesAndTinyFramesAreRefused() {
    try (PointerScope s = new PointerScope()) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> ReconMetrics.psnr(torch.zeros(1, 3, 2, 8, 8), torch.zeros(1, 3, 2, 8, 4)));
      assertTrue(e.getMessage().contains("[1, 3, 2, 8, 8] and [1, 3, 2, 8, 4]"), e.getMessage());
      e =
          assertThrows(
              IllegalArgumentException.class,
              () -> ReconMetrics.ssim(torch.zeros(1, 3, 2, 8, 8), torch.zeros(1, 3, 2, 8, 8)));
      assertEquals("ssim: frames must be at least 11x11, found 8x8", e.getMessage());
    }
  }
}
