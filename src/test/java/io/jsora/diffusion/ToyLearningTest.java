package io.jsora.diffusion;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.tensor.Devices;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Tensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * End to end: a small MLP trained with {@link GaussianDiffusion#trainingLosses} (v prediction,
 * cosine betas, learned-range variance) learns a 2-D mixture of four tight Gaussians, and DDIM
 * samples land on the modes in even proportions.
 */
class ToyLearningTest {
  @BeforeAll
  static void natives() {
    Natives.load();
  }

  /** x [B, 2] and t [B] → [B, 4]: 2 prediction channels, 2 variance channels. */
  static final class Mlp extends Module {
    final LinearImpl l1 = register_module("l1", new LinearImpl(2 + 17, 128));
    final LinearImpl l2 = register_module("l2", new LinearImpl(128, 128));
    final LinearImpl l3 = register_module("l3", new LinearImpl(128, 4));

    Tensor forward(Tensor x, Tensor t) {
      Tensor u = t.to(ScalarType.Float).div(new Scalar(1000.0)).unsqueeze(1); // (B, 1)
      Tensor k =
          torch
              .arange(new Scalar(1.0), new Scalar(9.0))
              .to(ScalarType.Float)
              .mul(new Scalar(Math.PI)); // (8)
      Tensor phase = u.mul(k); // (B, 8)
      Tensor h;
      try (TensorVector v = new TensorVector(x, u, phase.sin(), phase.cos())) {
        h = torch.cat(v, 1); // (B, 19)
      }
      h = torch.silu(l1.forward(h)); // (B, 128)
      h = torch.silu(l2.forward(h)); // (B, 128)
      return l3.forward(h); // (B, 4)
    }

    @Override
    public void close() {
      l1.close();
      l2.close();
      l3.close();
      super.close();
    }
  }

  /** Four modes at (±0.7, ±0.7), std 0.05. */
  private static Tensor data(Generator g, int n) {
    TensorOptions f = new TensorOptions(ScalarType.Float);
    Tensor signs =
        torch
            .randint(0, 2, new long[] {n, 2}, new GeneratorOptional(g), f)
            .mul(new Scalar(2.0))
            .sub(new Scalar(1.0));
    return signs
        .mul(new Scalar(0.7))
        .add(torch.randn(new long[] {n, 2}, new GeneratorOptional(g), f).mul(new Scalar(0.05)));
  }

  @Test
  void learnsAFourModeMixture() {
    torch.manual_seed(0);
    DiffusionConfig c =
        new DiffusionConfig(BetaSchedule.COSINE, 1000, Prediction.V, VarianceType.LEARNED_RANGE);
    PerSampleRandom random = new PerSampleRandom(3);
    try (Device cpu = Devices.cpu();
        GaussianDiffusion train = GaussianDiffusion.create(c, "", cpu);
        GaussianDiffusion ddim = GaussianDiffusion.create(c, "ddim50", cpu);
        Generator g = torch.createCPUGenerator(1);
        Mlp mlp = new Mlp();
        TensorVector params = mlp.parameters();
        AdamWOptions o = new AdamWOptions(3e-3);
        AdamW opt = new AdamW(params, o)) {
      int batch = 256;
      double last = 0;
      for (int step = 0; step < 1200; step++) {
        try (PointerScope s = new PointerScope()) {
          Tensor x0 = data(g, batch);
          Tensor t = random.timesteps(step, PerSampleRandom.range(0, batch), 1000, cpu);
          Tensor noise =
              torch.randn(
                  new long[] {batch, 2},
                  new GeneratorOptional(g),
                  new TensorOptions(ScalarType.Float));
          Tensor loss = train.trainingLosses(mlp::forward, x0, t, noise, null).loss().mean();
          opt.zero_grad();
          loss.backward();
          opt.step();
          last = 0.98 * last + 0.02 * loss.item_double();
        }
      }
      try (PointerScope s = new PointerScope()) {
        mlp.eval();
        int n = 1000;
        Tensor out =
            new Sampler(ddim, Sampler.Method.DDIM, 0.0, false)
                .sample(
                    mlp::forward,
                    new long[] {n, 2},
                    NoiseSource.fromGenerator(g, cpu),
                    SamplingProgress.NONE);
        float[] xy = Tensors.toFloats(out);
        out.close();
        int near = 0;
        int[] perMode = new int[4];
        for (int i = 0; i < n; i++) {
          float x = xy[2 * i];
          float y = xy[2 * i + 1];
          double dx = Math.abs(x) - 0.7;
          double dy = Math.abs(y) - 0.7;
          if (Math.sqrt(dx * dx + dy * dy) < 0.2) {
            near++;
            perMode[(x > 0 ? 1 : 0) + (y > 0 ? 2 : 0)]++;
          }
        }
        String report =
            "near a mode: "
                + near
                + "/"
                + n
                + ", per mode "
                + java.util.Arrays.toString(perMode)
                + ", smoothed loss "
                + last;
        assertTrue(near > 0.9 * n, report);
        for (int m : perMode) {
          assertTrue(m > 0.15 * n && m < 0.35 * n, report);
        }
      }
    }
  }
}
