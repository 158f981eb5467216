package io.jsora.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.tensor.Devices;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Seeds;
import io.jsora.tensor.Tensors;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SamplerTest {
  @BeforeAll
  static void natives() {
    Natives.load();
  }

  /**
   * A denoiser that knows x0: from x_t and the ORIGINAL timestep it returns the exact eps, v or x0
   * using the full 1000-step table, so it is only right on a respaced process if the timestep map
   * and the respaced ᾱ agree with the original.
   */
  private static Denoiser oracle(Tensor x0, double[] fullAlphaBar, Prediction p, boolean learned) {
    Tensor table = Tensors.of(fullAlphaBar, fullAlphaBar.length);
    return (x, t) -> {
      Tensor a = table.index_select(0, t).view(-1, 1, 1, 1).to(ScalarType.Double);
      Tensor xd = x.to(ScalarType.Double);
      Tensor eps = xd.sub(a.sqrt().mul(x0)).div(a.neg().add(new Scalar(1.0)).sqrt());
      Tensor out;
      switch (p) {
        case EPS:
          out = eps;
          break;
        case V:
          out = a.sqrt().mul(eps).sub(a.neg().add(new Scalar(1.0)).sqrt().mul(x0));
          break;
        default:
          out = x0;
      }
      out = out.to(ScalarType.Float);
      if (!learned) {
        return out;
      }
      try (TensorVector v = new TensorVector(out, torch.zeros_like(out))) {
        return torch.cat(v, 1);
      }
    };
  }

  @ParameterizedTest
  @EnumSource(Prediction.class)
  void ddimWithEtaZeroRecoversX0FromAnOracle(Prediction p) {
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu()) {
      DiffusionConfig c = DiffusionConfig.defaults().withPrediction(p);
      Tensor x0 =
          Tensors.of(new float[] {0.9f, -0.4f, 0.1f, -1f, 0.5f, 0.33f, -0.77f, 0f}, 2, 1, 2, 2)
              .to(ScalarType.Double);
      try (GaussianDiffusion full = GaussianDiffusion.create(c, "", cpu);
          GaussianDiffusion ddim = GaussianDiffusion.create(c, "ddim25", cpu);
          Generator g = Seeds.cpuGenerator(5)) {
        Denoiser model = oracle(x0, full.alphasCumprod(), p, true);
        try (Tensor out =
            new Sampler(ddim, Sampler.Method.DDIM, 0.0, false)
                .sample(
                    model,
                    new long[] {2, 1, 2, 2},
                    NoiseSource.fromGenerator(g, cpu),
                    SamplingProgress.NONE)) {
          Golden.assertClose(x0, out, 0, 2e-5, p + ": DDIM(0) from the oracle");
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Prediction.class)
  void ddpmAndNoisyDdimEndAtX0WithAnOracle(Prediction p) {
    // at the last step ᾱ_{t−1} = 1: the posterior mean is x0 itself and no noise is added
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu()) {
      DiffusionConfig c =
          DiffusionConfig.defaults().withPrediction(p).withSchedule(BetaSchedule.COSINE);
      Tensor x0 =
          Tensors.of(new float[] {0.2f, -0.6f, 0.8f, 0.05f}, 1, 1, 2, 2).to(ScalarType.Double);
      try (GaussianDiffusion full = GaussianDiffusion.create(c, "", cpu);
          GaussianDiffusion spaced = GaussianDiffusion.create(c, "50", cpu)) {
        Denoiser model = oracle(x0, full.alphasCumprod(), p, true);
        NoiseSource noise = NoiseSource.perSample(11, new long[] {0}, cpu);
        try (Tensor out =
                new Sampler(spaced, Sampler.Method.DDPM, 0, false)
                    .sample(model, new long[] {1, 1, 2, 2}, noise, SamplingProgress.NONE);
            Tensor out2 =
                new Sampler(spaced, Sampler.Method.DDIM, 1.0, false)
                    .sample(model, new long[] {1, 1, 2, 2}, noise, SamplingProgress.NONE)) {
          Golden.assertClose(x0, out, 0, 2e-5, p + ": DDPM from the oracle");
          Golden.assertClose(x0, out2, 0, 2e-5, p + ": DDIM(1) from the oracle");
        }
      }
    }
  }

  @Test
  void guidanceCombinesTheEpsHalfAndRunsTheModelOnceOnADoubledBatch() {
    try (PointerScope s = new PointerScope()) {
      // rows: cond sample 0, cond sample 1, uncond sample 0, uncond sample 1; channels: 2 eps + 2
      // variance
      float[] data = new float[4 * 4];
      for (int i = 0; i < data.length; i++) {
        data[i] = i * 0.5f - 3;
      }
      Tensor out = Tensors.of(data, 4, 4);
      double[] g = Tensors.toDoubles(Guidance.combine(out, 4.0, 2));
      for (int b = 0; b < 2; b++) {
        for (int ch = 0; ch < 4; ch++) {
          double cond = data[b * 4 + ch];
          double uncond = data[(b + 2) * 4 + ch];
          double want = ch < 2 ? uncond + 4.0 * (cond - uncond) : cond;
          assertEquals(want, g[b * 4 + ch], 1e-6, "sample " + b + " channel " + ch);
        }
      }
      int[] calls = {0};
      List<long[]> seen = new ArrayList<>();
      Denoiser doubled =
          (x, t) -> {
            calls[0]++;
            seen.add(Tensors.toLongs(t));
            // conditional rows see +1, unconditional rows -1 (what a closure over [cond; null]
            // would do)
            Tensor sign = Tensors.of(new float[] {1, 1, -1, -1}, 4, 1, 1);
            try (TensorVector v = new TensorVector(x.add(sign), torch.zeros_like(x))) {
              return torch.cat(v, 1);
            }
          };
      Tensor x = Tensors.of(new float[] {0.5f, -0.5f}, 2, 1, 1);
      Tensor guided =
          Guidance.classifierFree(doubled, 3.0, 1).apply(x, Tensors.of(new long[] {7, 9}, 2));
      assertEquals(1, calls[0]);
      assertArrayEquals(new long[] {7, 9, 7, 9}, seen.get(0));
      // uncond + 3·(cond − uncond) = (x − 1) + 3·2 = x + 5; variance channel from the conditional
      // half
      assertArrayEquals(new float[] {5.5f, 0f, 4.5f, 0f}, Tensors.toFloats(guided), 1e-6f);
    }
  }

  @Test
  void perSampleRandomnessDoesNotDependOnTheBatchLayout() {
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu()) {
      PerSampleRandom r = new PerSampleRandom(42);
      long[] shape = {3, 2, 2};
      Tensor whole = r.noise(17, PerSampleRandom.range(0, 4), shape, cpu);
      Tensor first = r.noise(17, PerSampleRandom.range(0, 2), shape, cpu);
      Tensor second = r.noise(17, PerSampleRandom.range(2, 2), shape, cpu);
      try (TensorVector v = new TensorVector(first, second)) {
        assertTrue(whole.equal(torch.cat(v, 0)), "two ranks' halves equal one process's batch");
      }
      assertFalse(
          whole.equal(r.noise(18, PerSampleRandom.range(0, 4), shape, cpu)),
          "the next step draws new noise");
      long[] t4 = Tensors.toLongs(r.timesteps(17, PerSampleRandom.range(0, 4), 1000, cpu));
      long[] t2 = Tensors.toLongs(r.timesteps(17, new long[] {2, 3}, 1000, cpu));
      assertArrayEquals(new long[] {t4[2], t4[3]}, t2);
      // timesteps cover the range uniformly: 20 000 draws over 10 bins, each within 5 sigma of 2000
      long[] many = Tensors.toLongs(r.timesteps(3, PerSampleRandom.range(0, 20_000), 10, cpu));
      int[] bins = new int[10];
      for (long t : many) {
        bins[(int) t]++;
      }
      for (int b : bins) {
        assertEquals(2000, b, 5 * Math.sqrt(20_000 * 0.1 * 0.9));
      }
      Tensor n = r.noise(5, PerSampleRandom.range(0, 2000), new long[] {50}, cpu);
      assertEquals(0.0, n.mean().item_double(), 5 / Math.sqrt(100_000));
      assertEquals(1.0, n.var().item_double(), 5 * Math.sqrt(2.0 / 100_000));
      assertEquals(
          r.uniform(PerSampleRandom.DROPOUT_STREAM, 4, 9),
          new PerSampleRandom(42).uniform(PerSampleRandom.DROPOUT_STREAM, 4, 9));
      // sampling noise too: sample 5 gets the same start whether drawn alone or in a batch
      Tensor alone = NoiseSource.perSample(1, new long[] {5}, cpu).draw(new long[] {1, 3}, 0);
      Tensor batch = NoiseSource.perSample(1, new long[] {4, 5, 6}, cpu).draw(new long[] {3, 3}, 0);
      assertTrue(alone.equal(batch.narrow(0, 1, 1)));
    }
  }
}
