package io.jsora.diffusion;

import io.jsora.tensor.Devices;
import io.jsora.tensor.Natives;
import io.jsora.testing.GpuTest;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;

/** The same losses and samples on CUDA as on the CPU (per-sample noise is drawn on the CPU). */
class DiffusionGpuTest {
  @BeforeAll
  static void natives() {
    Natives.load();
  }

  private static Denoiser model() {
    return (x, t) -> {
      Tensor eps =
          x.mul(new Scalar(0.3))
              .add(t.to(ScalarType.Float).mul(new Scalar(1e-3)).view(-1, 1, 1, 1, 1));
      try (TensorVector v = new TensorVector(eps, x.tanh().mul(new Scalar(0.5)))) {
        return torch.cat(v, 1);
      }
    };
  }

  @GpuTest
  void lossesAndSamplesMatchTheCpu() {
    DiffusionConfig c =
        DiffusionConfig.defaults().withPrediction(Prediction.V).withSchedule(BetaSchedule.COSINE);
    PerSampleRandom r = new PerSampleRandom(1);
    long[] idx = PerSampleRandom.range(0, 4);
    long[] one = {3, 2, 4, 4};
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        Device gpu = Devices.resolve("cuda");
        GaussianDiffusion dc = GaussianDiffusion.create(c, "", cpu);
        GaussianDiffusion dg = GaussianDiffusion.create(c, "", gpu);
        GaussianDiffusion sc = GaussianDiffusion.create(c, "ddim20", cpu);
        GaussianDiffusion sg = GaussianDiffusion.create(c, "ddim20", gpu)) {
      Tensor x0 = r.noise(99, idx, one, cpu).tanh();
      Tensor t = r.timesteps(0, idx, 1000, cpu);
      Tensor n = r.noise(0, idx, one, cpu);
      GaussianDiffusion.Losses lc = dc.trainingLosses(model(), x0, t, n, null);
      GaussianDiffusion.Losses lg =
          dg.trainingLosses(
              model(),
              x0.to(gpu, ScalarType.Float),
              r.timesteps(0, idx, 1000, gpu),
              r.noise(0, idx, one, gpu),
              null);
      Golden.assertClose(lc.loss(), lg.loss().cpu(), 1e-4, 1e-6, "loss on CUDA");
      long[] shape = {4, 3, 2, 4, 4};
      Tensor outC =
          new Sampler(sc, Sampler.Method.DDIM, 0.5, false)
              .sample(model(), shape, NoiseSource.perSample(5, idx, cpu), SamplingProgress.NONE);
      Tensor outG =
          new Sampler(sg, Sampler.Method.DDIM, 0.5, false)
              .sample(model(), shape, NoiseSource.perSample(5, idx, gpu), SamplingProgress.NONE);
      Golden.assertClose(outC, outG.cpu(), 1e-3, 1e-4, "DDIM sample on CUDA");
    }
  }
}
