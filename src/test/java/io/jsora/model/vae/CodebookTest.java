package io.jsora.model.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.tensor.Devices;
import io.jsora.tensor.Seeds;
import io.jsora.tensor.Tensors;
import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class CodebookTest {
  /** Java loops over |z − e|², the definition, as the oracle for the matmul form. */
  private static long[] naiveNearest(float[] z, float[] codes, int n, int k, int d) {
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      double best = Double.MAX_VALUE;
      for (int c = 0; c < k; c++) {
        double dist = 0;
        for (int j = 0; j < d; j++) {
          double diff = (double) z[i * d + j] - codes[c * d + j];
          dist += diff * diff;
        }
        if (dist < best) {
          best = dist;
          out[i] = c;
        }
      }
    }
    return out;
  }

  @Test
  void matmulDistanceSearchEqualsNaiveSearch() {
    int n = 500;
    int k = 64;
    int d = 16;
    Random r = new Random(7);
    float[] z = new float[n * d];
    float[] codes = new float[k * d];
    for (int i = 0; i < z.length; i++) {
      z[i] =
          (float) (r.nextGaussian() + 3.0); // offset: the |z|² term dominates, as in real latents
    }
    for (int i = 0; i < codes.length; i++) {
      codes[i] = (float) (r.nextGaussian() + 3.0);
    }
    long[] want = naiveNearest(z, codes, n, k, d);
    try (PointerScope s = new PointerScope()) {
      long[] got = Tensors.toLongs(Codebook.nearest(Tensors.of(z, n, d), Tensors.of(codes, k, d)));
      assertArrayEquals(want, got);
    }
  }

  /** With every code used by several vectors, one EMA step has a closed form (no restart). */
  @Test
  void emaStepFollowsTheClosedForm() {
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        Codebook cb = new Codebook(2, 1, cpu);
        Generator g = Seeds.cpuGenerator(0);
        NoGradGuard ng = new NoGradGuard()) {
      // codes at 0 and 10; z = 1, 2 (nearest 0) and 9 (nearest 10), as [B=1, D=1, T=3, H=1, W=1]
      cb.embeddings.copy_(Tensors.of(new float[] {0, 10}, 2, 1));
      cb.zAvg.copy_(Tensors.of(new float[] {0, 10}, 2, 1));
      cb.counts.copy_(Tensors.of(new float[] {100, 100}, 2));
      cb.setNeedsInit(false);
      cb.train(true);
      Codebook.Output o = cb.forward(Tensors.of(new float[] {1, 2, 9}, 1, 1, 3, 1, 1), g);
      assertArrayEquals(new long[] {0, 0, 1}, Tensors.toLongs(o.indices()));
      // N = 0.99·100 + 0.01·count; z_avg = 0.99·old + 0.01·sum
      float[] n = Tensors.toFloats(cb.counts);
      assertEquals(99.02, n[0], 1e-4);
      assertEquals(99.01, n[1], 1e-4);
      float[] avg = Tensors.toFloats(cb.zAvg);
      assertEquals(0.03, avg[0], 1e-5);
      assertEquals(9.99, avg[1], 1e-4);
      // e = z_avg / N (the Laplace smoothing changes N by ~1e-7 here)
      float[] e = Tensors.toFloats(cb.embeddings);
      assertEquals(0.03 / 99.02, e[0], 1e-6);
      assertEquals(9.99 / 99.01, e[1], 1e-6);
      // commitment 0.25·mean((z − e)²) with the codes before the update: (1 + 4 + 1)/3
      assertEquals(0.25 * 2.0, o.commitmentLoss().item_double(), 1e-6);
      // perplexity of usage (2/3, 1/3)
      double h = -(2.0 / 3 * Math.log(2.0 / 3) + 1.0 / 3 * Math.log(1.0 / 3));
      assertEquals(Math.exp(h), o.perplexity().item_double(), 1e-5);
    }
  }

  /** A code whose count EMA drops below 1 is replaced by an encoder vector of the batch. */
  @Test
  void deadCodesRestartAtBatchVectors() {
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        Codebook cb = new Codebook(3, 2, cpu);
        Generator g = Seeds.cpuGenerator(3);
        NoGradGuard ng = new NoGradGuard()) {
      cb.embeddings.copy_(Tensors.of(new float[] {0, 0, 50, 50, 100, 100}, 3, 2));
      cb.zAvg.copy_(cb.embeddings.mul(new org.bytedeco.pytorch.Scalar(5.0)));
      cb.counts.copy_(Tensors.of(new float[] {5, 0.5f, 5}, 3)); // code 1 is dead
      cb.setNeedsInit(false);
      cb.train(true);
      float[] batch = {1, 1, 2, 2, 99, 99, 98, 98};
      Tensor z = Tensors.of(batch, 4, 2).t().reshape(1, 2, 4, 1, 1); // [B, D, T=4, 1, 1]
      cb.forward(z, g);
      float[] e = Tensors.toFloats(cb.embeddings);
      // the dead code now equals one of the batch vectors
      boolean found = false;
      for (int v = 0; v < 4; v++) {
        found |= e[2] == batch[2 * v] && e[3] == batch[2 * v + 1];
      }
      assertTrue(found, "restarted code " + e[2] + "," + e[3]);
    }
  }
}
