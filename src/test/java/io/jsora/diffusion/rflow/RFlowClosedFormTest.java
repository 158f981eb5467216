package io.jsora.diffusion.rflow;

import static io.jsora.diffusion.rflow.RFlowGolden.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.diffusion.NoiseSource;
import io.jsora.diffusion.SamplingProgress;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Tensors;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Properties that hold exactly: straight paths, the transform's fixed points, the masked loss. */
class RFlowClosedFormTest {
  private static final Device CPU = new Device("cpu");

  @BeforeAll
  static void natives() {
    Natives.load();
  }

  private static Tensor randn(Generator g, long... shape) {
    return torch.randn(shape, new GeneratorOptional(g), new TensorOptions(ScalarType.Float));
  }

  /**
   * A doubled model whose guided velocity is exactly {@code v} although neither half is: the
   * conditional rows return {@code v − d + d/s}, the null rows {@code v − d}.
   */
  private static FlowModel guidedTo(Tensor v, Tensor d, double s) {
    return (x, t, xMask) -> {
      Tensor uncond = v.sub(d);
      Tensor cond = uncond.add(d.div(new Scalar(s)));
      try (TensorVector parts = new TensorVector(cond, uncond)) {
        Tensor velocity = torch.cat(parts, 0);
        try (TensorVector ch =
            new TensorVector(velocity, torch.full_like(velocity, new Scalar(99.0)))) {
          return torch.cat(ch, 1); // the second C channels (learned sigma) must be ignored
        }
      }
    };
  }

  @Test
  void eulerIntegratesAStraightPathExactlyWithGuidanceAndTransform() {
    try (PointerScope s = new PointerScope()) {
      Generator g = torch.createCPUGenerator(3);
      Tensor z = randn(g, 2, 4, 3, 2, 2);
      Tensor x0 = randn(g, 2, 4, 3, 2, 2);
      Tensor d = randn(g, 2, 4, 3, 2, 2);
      // the straight path from z (t = N) to x0 (t = 0) has the constant velocity x0 − z; the steps
      // sum to t_0/N = 1 however the transform spaced them, so Euler lands on x0
      for (RFlowConfig c :
          List.of(
              RFlowConfig.inference12(),
              RFlowConfig.classDefaults(),
              RFlowConfig.inference12().withNumSamplingSteps(1))) {
        RFlowSampler sampler =
            RFlowSampler.of(c, VideoSize.batch(2, 720, 1280, 102), SizePrecision.BFLOAT16);
        int[] progress = {0};
        SamplingProgress p =
            (done, total, t) -> {
              assertEquals(++progress[0], done);
              assertEquals(c.numSamplingSteps(), total);
            };
        try (Tensor out = sampler.sample(guidedTo(x0.sub(z), d, c.cfgScale()), z, null, null, p)) {
          assertClose(x0, out, 1e-5, 2e-6, c.numSamplingSteps() + " steps");
        }
        assertEquals(c.numSamplingSteps(), progress[0]);
      }
    }
  }

  @Test
  void stepSizesSumToOneAndTheModelSeesTheSchedule() {
    RFlowSchedule s =
        RFlowSchedule.forSampling(
            RFlowConfig.inference12(), VideoSize.batch(1, 240, 426, 51), SizePrecision.BFLOAT16);
    double sum = 0;
    for (int i = 0; i < s.steps(); i++) {
      sum += s.dt(i)[0];
      assertTrue(s.dt(i)[0] > 0, "step " + i);
    }
    assertEquals(1.0, sum, 1e-5);
    // the last step goes from t_29 all the way to 0
    assertEquals((float) (s.timesteps(29)[0] / 1000), (float) s.dt(29)[0], 0f);
    // REFERENCE-1.2 §8: 240p/51 f starts 1000, 985.96, 971.35 and ends at 77.08
    assertEquals(1000.0, s.timesteps(0)[0], 0.0);
    assertEquals(985.96, s.timesteps(1)[0], 0.005);
    assertEquals(971.35, s.timesteps(2)[0], 0.005);
    assertEquals(77.08, s.timesteps(29)[0], 0.005);
  }

  @Test
  void discreteTimestepsRoundHalfToEvenAsPython() {
    RFlowConfig c =
        new RFlowConfig(16, 1000, 7.0, true, false, 1.0, SampleMethod.UNIFORM, 0.0, 1.0);
    RFlowSchedule s =
        RFlowSchedule.forSampling(c, VideoSize.batch(1, 240, 426, 51), SizePrecision.FLOAT32);
    assertEquals(938.0, s.timesteps(1)[0]); // 937.5 → 938 (even)
    assertEquals(812.0, s.timesteps(3)[0]); // 812.5 → 812 (even)
    assertEquals(62.0, s.timesteps(15)[0]); // 62.5 → 62
  }

  @Test
  void transformRatiosAndFixedPoints() {
    // REFERENCE-1.2 §4.2: with bf16 sizes 240p, 360p and 720p at 51 frames give these ratios
    assertEquals(
        2.421875f,
        TimestepTransform.ratio(new VideoSize(240, 426, 51), 1.0, SizePrecision.BFLOAT16),
        0f);
    assertEquals(
        3.625f,
        TimestepTransform.ratio(new VideoSize(360, 640, 51), 1.0, SizePrecision.BFLOAT16),
        0f);
    assertEquals(
        7.25f,
        TimestepTransform.ratio(new VideoSize(720, 1280, 51), 1.0, SizePrecision.BFLOAT16),
        0f);
    assertEquals(
        (float) (Math.sqrt(240.0 * 426 / (512 * 512)) * Math.sqrt(15)),
        TimestepTransform.ratio(new VideoSize(240, 426, 51), 1.0, SizePrecision.FLOAT32),
        1e-6f);
    // a 512² image has ratio 1: the identity
    assertEquals(
        1f, TimestepTransform.ratio(new VideoSize(512, 512, 1), 1.0, SizePrecision.FLOAT32), 0f);
    for (SizePrecision p : SizePrecision.values()) {
      float r = TimestepTransform.ratio(new VideoSize(480, 854, 204), 1.0, p);
      assertEquals(0f, TimestepTransform.apply(0f, r, 1000, p), 0f);
      assertEquals(1000f, TimestepTransform.apply(1000f, r, 1000, p), 1e-3f);
      float prev = -1;
      for (int t = 0; t <= 1000; t += 50) {
        float shifted = TimestepTransform.apply(t, r, 1000, p);
        assertTrue(shifted > prev && shifted >= t, "monotone and towards noise at " + t);
        prev = shifted;
      }
      // closed form: t' = r·s/(1 + (r−1)·s)·N at s = 0.5 is N·r/(r+1)
      assertEquals(1000.0 * r / (r + 1), TimestepTransform.apply(500f, r, 1000, p), 1e-3);
    }
    // fps plays no part, sizes only through H·W
    assertEquals(
        TimestepTransform.ratio(new VideoSize(640, 360, 51), 1.0, SizePrecision.FLOAT32),
        TimestepTransform.ratio(new VideoSize(360, 640, 51), 1.0, SizePrecision.FLOAT32),
        0f);
    assertThrows(
        IllegalArgumentException.class,
        () ->
            RFlowSchedule.forSampling(
                RFlowConfig.inference12(),
                List.of(new VideoSize(240, 426, 1), new VideoSize(240, 426, 51)),
                SizePrecision.FLOAT32));
  }

  @Test
  void frameMaskKeepsEditRatioZeroFramesExactlyAndDrawsOncePerStep() {
    try (PointerScope s = new PointerScope()) {
      Generator g = torch.createCPUGenerator(11);
      Tensor z = randn(g, 1, 4, 5, 2, 2);
      Tensor mask = Tensors.of(new float[] {0f, 1f, 0f, 0.3f, 1f}, 1, 5);
      FlowModel model =
          (x, t, xMask) -> {
            boolean on = t.select(0, 0).item_double() <= 300;
            assertArrayEquals(
                new double[] {0, 1, 0, on ? 1 : 0, 1, 0, 1, 0, on ? 1 : 0, 1},
                Tensors.toDoubles(xMask.to(ScalarType.Double)),
                0.0,
                "x_mask");
            return torch.tanh(x).mul(new Scalar(3.0));
          };
      int[] draws = {0};
      NoiseSource noise =
          (shape, call) -> {
            draws[0]++;
            return torch.randn(
                shape, new GeneratorOptional(g), new TensorOptions(ScalarType.Float));
          };
      RFlowSampler sampler =
          RFlowSampler.of(
              RFlowConfig.inference12().withNumSamplingSteps(7),
              VideoSize.batch(1, 240, 426, 51),
              SizePrecision.BFLOAT16);
      try (Tensor out = sampler.sample(model, z, mask, noise, SamplingProgress.NONE)) {
        for (int f : new int[] {0, 2}) {
          assertTrue(torch.equal(z.select(2, f), out.select(2, f)), "frame " + f + " unchanged");
        }
        for (int f : new int[] {1, 3, 4}) {
          assertTrue(!torch.equal(z.select(2, f), out.select(2, f)), "frame " + f + " generated");
        }
      }
      assertEquals(7, draws[0]);
    }
  }

  @Test
  void aFrameIsRenoisedToTheLevelWhereItsEditRatioActivatesIt() {
    try (PointerScope s = new PointerScope()) {
      Generator g = torch.createCPUGenerator(12);
      Tensor z = randn(g, 1, 2, 3, 2, 2);
      Tensor stepNoise = randn(g, 5, 1, 2, 3, 2, 2);
      Tensor mask = Tensors.of(new float[] {0.5f, 1f, 0f}, 1, 3);
      RFlowSampler sampler =
          RFlowSampler.of(
              RFlowConfig.inference12().withNumSamplingSteps(5).withTimestepTransform(false),
              VideoSize.batch(1, 240, 426, 51),
              SizePrecision.FLOAT32);
      // t = 1000, 800, 600, 400, 200: frame 0 (m = 0.5) becomes active at step 3 (t = 400)
      List<double[]> frame0 = new ArrayList<>(); // frame 0 of the first (conditional) row, per call
      FlowModel zero =
          (x, t, xMask) -> {
            frame0.add(Tensors.toDoubles(x.narrow(0, 0, 1).select(2, 0)));
            return torch.zeros_like(x);
          };
      try (Tensor out =
          sampler.sample(zero, z, mask, StepNoise.replay(stepNoise), SamplingProgress.NONE)) {
        for (int i = 0; i < 3; i++) {
          assertArrayEquals(
              Tensors.toDoubles(z.select(2, 0)), frame0.get(i), 0.0, "frame 0 held at step " + i);
        }
        // re-noised to t = 400 with step 3's noise: 0.6·x0 + 0.4·ε
        Tensor want =
            z.select(2, 0)
                .mul(new Scalar(0.6))
                .add(stepNoise.select(0, 3).select(2, 0).mul(new Scalar(0.4)));
        assertArrayEquals(Tensors.toDoubles(want), frame0.get(3), 1e-6, "re-noised frame 0");
        // a zero velocity then leaves it where it was re-noised; frame 1 (m = 1) is never re-noised
        assertClose(want, out.select(2, 0), 1e-6, 1e-7, "frame 0 after the run");
        assertTrue(
            torch.equal(z.select(2, 1), out.select(2, 1)), "frame 1 untouched by re-noising");
      }
    }
  }

  @Test
  void lossIsTheMeanSquaredVelocityErrorOverGeneratedFramesOnly() {
    try (PointerScope s = new PointerScope()) {
      Generator g = torch.createCPUGenerator(13);
      Tensor x0 = randn(g, 2, 3, 4, 2, 2);
      Tensor noise = randn(g, 2, 3, 4, 2, 2);
      Tensor t = Tensors.of(new float[] {250f, 900f}, 2);
      Tensor frameMask =
          Tensors.ofBytes(new byte[] {0, 1, 1, 0, 1, 1, 1, 1}, 2, 4).to(ScalarType.Bool);
      // the exact velocity plus c on frame f = 1 only (and 2c on frame 0, a condition frame in row
      // 0)
      double c = 0.5;
      Tensor offset = torch.zeros_like(x0);
      offset.select(2, 1).fill_(new Scalar(c));
      offset.select(2, 0).fill_(new Scalar(2 * c));
      List<Tensor> seen = new ArrayList<>(); // the model's inputs, kept past the loss's own scope
      FlowModel model =
          (x, tt, xMask) -> {
            seen.add(io.jsora.tensor.Scopes.keep(x.clone()));
            seen.add(xMask == null ? null : io.jsora.tensor.Scopes.keep(xMask.clone()));
            Tensor v = x0.sub(noise).add(offset);
            try (TensorVector parts = new TensorVector(v, torch.zeros_like(v))) {
              return torch.cat(parts, 1);
            }
          };
      RFlowTraining training = new RFlowTraining(RFlowConfig.training12());
      FlowLoss plain = training.losses(model, x0, noise, t, null);
      // all 4 frames: (c² + 4c²)/4
      assertArrayEquals(
          new double[] {5 * c * c / 4, 5 * c * c / 4}, Tensors.toDoubles(plain.loss()), 1e-6);
      Tensor xt = seen.get(0);
      assertClose(
          x0.mul(new Scalar(0.75)).add(noise.mul(new Scalar(0.25))).narrow(0, 0, 1),
          xt.narrow(0, 0, 1),
          1e-6,
          1e-7,
          "x_t at t = 250");
      assertClose(
          x0.mul(new Scalar(0.1)).add(noise.mul(new Scalar(0.9))).narrow(0, 1, 1),
          xt.narrow(0, 1, 1),
          1e-6,
          1e-7,
          "x_t at t = 900");
      xt.close();
      seen.clear();
      FlowLoss masked = training.losses(model, x0, noise, t, frameMask);
      // row 0 counts frames 1, 2 (c² over 2 frames); row 1 all four
      assertArrayEquals(
          new double[] {c * c / 2, 5 * c * c / 4}, Tensors.toDoubles(masked.loss()), 1e-6);
      // condition frames enter the model clean, and the model is told which they are
      assertTrue(
          torch.equal(x0.select(0, 0).select(1, 0), seen.get(0).select(0, 0).select(1, 0)),
          "clean frame 0");
      assertTrue(
          torch.equal(x0.select(0, 0).select(1, 3), seen.get(0).select(0, 0).select(1, 3)),
          "clean frame 3");
      assertTrue(torch.equal(frameMask, seen.get(1)), "x_mask");
      seen.get(0).close();
      seen.get(1).close();
    }
  }

  @Test
  void drawnTimestepsFollowTheirDistribution() {
    try (PointerScope s = new PointerScope()) {
      int n = 4000;
      List<VideoSize> sizes = VideoSize.batch(n, 512, 512, 1); // ratio 1: transform is the identity
      double[] uni =
          Tensors.toDoubles(
              new RFlowTraining(RFlowConfig.training12().withSampleMethod(SampleMethod.UNIFORM))
                  .sampleTimesteps(torch.createCPUGenerator(1), sizes, SizePrecision.FLOAT32, CPU));
      double[] logit =
          Tensors.toDoubles(
              new RFlowTraining(RFlowConfig.training12())
                  .sampleTimesteps(torch.createCPUGenerator(1), sizes, SizePrecision.FLOAT32, CPU));
      RFlowConfig discrete =
          new RFlowConfig(10, 1000, 4.0, true, false, 1.0, SampleMethod.UNIFORM, 0.0, 1.0);
      double[] ints =
          Tensors.toDoubles(
              new RFlowTraining(discrete)
                  .sampleTimesteps(torch.createCPUGenerator(1), sizes, SizePrecision.FLOAT32, CPU));
      int uniMiddle = 0;
      int logitMiddle = 0;
      for (int i = 0; i < n; i++) {
        assertTrue(uni[i] >= 0 && uni[i] < 1000 && logit[i] > 0 && logit[i] < 1000);
        assertEquals(Math.rint(ints[i]), ints[i], 0.0);
        uniMiddle += Math.abs(uni[i] - 500) < 250 ? 1 : 0;
        logitMiddle += Math.abs(logit[i] - 500) < 250 ? 1 : 0;
      }
      // P(|t − 500| < 250): uniform 0.5; logit-normal P(|N(0,1)| < logit(0.75) = 1.0986) = 0.728
      assertEquals(0.5, uniMiddle / (double) n, 0.03);
      assertEquals(0.728, logitMiddle / (double) n, 0.03);
    }
  }
}
