package io.jsora.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.tensor.Devices;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Tensors;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The diffusion formulas against closed forms computed here in double precision. */
class GaussianDiffusionTest {
  @BeforeAll
  static void natives() {
    Natives.load();
  }

  private static Tensor randn(long seed, long... shape) {
    Generator g = torch.createCPUGenerator(seed);
    return torch.randn(shape, new GeneratorOptional(g), new TensorOptions(ScalarType.Float));
  }

  private static Tensor ts(long... t) {
    return Tensors.of(t, t.length);
  }

  @Test
  void qSampleHasTheClosedFormMeanAndVariance() {
    int n = 200_000;
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        GaussianDiffusion d = GaussianDiffusion.create(DiffusionConfig.defaults(), "", cpu)) {
      double[] ac = d.alphasCumprod();
      for (int step : new int[] {0, 300, 999}) {
        Tensor x0 = torch.full(new long[] {n, 1}, new Scalar(0.7));
        Tensor t =
            torch.full(new long[] {n}, new Scalar((long) step), new TensorOptions(ScalarType.Long));
        Tensor xt = d.qSample(x0, t, randn(step + 1, n, 1)).to(ScalarType.Double);
        double mean = xt.mean().item_double();
        double var = xt.var().item_double();
        double wantMean = Math.sqrt(ac[step]) * 0.7;
        double wantVar = 1 - ac[step];
        // 5 standard errors: mean sqrt(var/n), sample variance var·sqrt(2/n)
        assertEquals(wantMean, mean, 5 * Math.sqrt(wantVar / n), "mean at t=" + step);
        assertEquals(wantVar, var, 5 * wantVar * Math.sqrt(2.0 / n), "variance at t=" + step);
        GaussianDiffusion.Gaussian q = d.qMeanVariance(x0.narrow(0, 0, 1), t.narrow(0, 0, 1));
        assertEquals(wantMean, q.mean().item_double(), 1e-6);
        assertEquals(wantVar, q.variance().item_double(), 1e-6 * wantVar);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(BetaSchedule.class)
  void posteriorIsTheBayesProductOfTheTwoGaussians(BetaSchedule schedule) {
    // q(x_{t-1}|x0) = N(√ᾱ_{t−1}x0, 1−ᾱ_{t−1}) and q(x_t|x_{t−1}) = N(√α_t x_{t−1}, β_t):
    // precision 1/(1−ᾱ_{t−1}) + α_t/β_t, mean var·(√ᾱ_{t−1}x0/(1−ᾱ_{t−1}) + √α_t x_t/β_t)
    double[] beta = schedule.betas(1000);
    double[] ac = new double[1000];
    double acc = 1;
    for (int i = 0; i < 1000; i++) {
      acc *= 1 - beta[i];
      ac[i] = acc;
    }
    double x0v = 0.4;
    double xtv = -1.3;
    long[] steps = {1, 2, 10, 500, 998, 999};
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        GaussianDiffusion d =
            GaussianDiffusion.create(DiffusionConfig.defaults().withSchedule(schedule), "", cpu)) {
      Tensor t = ts(steps);
      Tensor x0 =
          torch.full(
              new long[] {steps.length, 1}, new Scalar(x0v), new TensorOptions(ScalarType.Double));
      Tensor xt =
          torch.full(
              new long[] {steps.length, 1}, new Scalar(xtv), new TensorOptions(ScalarType.Double));
      GaussianDiffusion.Gaussian q = d.qPosterior(x0, xt, t);
      double[] mean = Tensors.toDoubles(q.mean());
      double[] var = Tensors.toDoubles(q.variance());
      double[] logVar = Tensors.toDoubles(q.logVariance());
      for (int i = 0; i < steps.length; i++) {
        int k = (int) steps[i];
        double prev = ac[k - 1];
        double alpha = 1 - beta[k];
        double v = 1 / (1 / (1 - prev) + alpha / beta[k]);
        double m = v * (Math.sqrt(prev) * x0v / (1 - prev) + Math.sqrt(alpha) * xtv / beta[k]);
        // coefficients are gathered as float32, as upstream does
        assertEquals(m, mean[i], 2e-6 * (1 + Math.abs(m)), "posterior mean at t=" + k);
        assertEquals(v, var[i], 1e-6 * v, "posterior variance at t=" + k);
        assertEquals(
            Math.log(v),
            logVar[i],
            1e-6 * Math.abs(Math.log(v)),
            "posterior log variance at t=" + k);
      }
      // t = 0: the posterior collapses onto x0 (variance 0); its log is clipped to the t = 1 value
      GaussianDiffusion.Gaussian q0 = d.qPosterior(x0.narrow(0, 0, 1), xt.narrow(0, 0, 1), ts(0));
      assertEquals(x0v, q0.mean().item_double(), 1e-6);
      assertEquals(0.0, q0.variance().item_double(), 0.0);
      assertEquals(d.posteriorLogVarianceClipped()[1], q0.logVariance().item_double(), 1e-6);
    }
  }

  @Test
  void respacedProcessKeepsAlphaBarAtTheKeptSteps() {
    try (Device cpu = Devices.cpu();
        GaussianDiffusion full = GaussianDiffusion.create(DiffusionConfig.defaults(), "", cpu);
        GaussianDiffusion spaced =
            GaussianDiffusion.create(DiffusionConfig.defaults(), "250", cpu);
        GaussianDiffusion ddim =
            GaussianDiffusion.create(
                DiffusionConfig.defaults().withSchedule(BetaSchedule.COSINE), "ddim25", cpu);
        GaussianDiffusion fullCos =
            GaussianDiffusion.create(
                DiffusionConfig.defaults().withSchedule(BetaSchedule.COSINE), "", cpu)) {
      assertEquals(250, spaced.numTimesteps());
      assertEquals(25, ddim.numTimesteps());
      for (var pair : new GaussianDiffusion[][] {{full, spaced}, {fullCos, ddim}}) {
        double[] a = pair[0].alphasCumprod();
        double[] b = pair[1].alphasCumprod();
        int[] map = pair[1].timestepMap();
        for (int i = 0; i < map.length; i++) {
          assertEquals(a[map[i]], b[i], 1e-12 * a[map[i]], "ᾱ at kept step " + map[i]);
        }
        double[] beta = pair[1].betas();
        assertEquals(1 - a[map[0]], beta[0], 1e-15, "first respaced beta");
      }
      assertArrayEquals(new int[] {0, 40, 80}, java.util.Arrays.copyOf(ddim.timestepMap(), 3));
      try (PointerScope s = new PointerScope()) {
        assertArrayEquals(
            new long[] {0, 4, 999}, Tensors.toLongs(spaced.modelTimesteps(ts(0, 1, 249))));
        assertArrayEquals(
            new long[] {0, 1, 999}, Tensors.toLongs(full.modelTimesteps(ts(0, 1, 999))));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Prediction.class)
  void epsVelocityAndX0ConvertIntoEachOther(Prediction p) {
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        GaussianDiffusion d =
            GaussianDiffusion.create(
                DiffusionConfig.defaults().withPrediction(p).withSchedule(BetaSchedule.COSINE),
                "",
                cpu)) {
      Tensor x0 = randn(1, 3, 2, 4, 4).to(ScalarType.Double);
      Tensor eps = randn(2, 3, 2, 4, 4).to(ScalarType.Double);
      Tensor t = ts(0, 250, 900);
      Tensor xt = d.qSample(x0, t, eps);
      Tensor target = d.target(x0, t, eps);
      // the model that predicts its target perfectly recovers x0 and eps
      Golden.assertClose(x0, d.predictX0(xt, t, target), 1e-5, 1e-5, p + ": x0 from the target");
      Golden.assertClose(eps, d.predictEps(xt, t, x0), 1e-4, 1e-4, p + ": eps from x0");
      double[] ac = d.alphasCumprod();
      if (p == Prediction.V) {
        // v = √ᾱ·eps − √(1−ᾱ)·x0 element by element
        double[] v = Tensors.toDoubles(target);
        double[] e = Tensors.toDoubles(eps);
        double[] x = Tensors.toDoubles(x0);
        int per = v.length / 3;
        long[] steps = {0, 250, 900};
        for (int i = 0; i < v.length; i++) {
          double a = ac[(int) steps[i / per]];
          assertEquals(Math.sqrt(a) * e[i] - Math.sqrt(1 - a) * x[i], v[i], 1e-6);
        }
      }
    }
  }

  @Test
  void vlbTermIsTheKlOfTwoKnownGaussians() {
    // model output: eps half constant 0.2, variance values constant 0.5 (frac 0.75)
    int[] steps = {3, 400, 999};
    double x0v = 0.3;
    double epsv = -0.8;
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        GaussianDiffusion d = GaussianDiffusion.create(DiffusionConfig.defaults(), "", cpu)) {
      double[] ac = d.alphasCumprod();
      double[] beta = d.betas();
      double[] postVar = d.posteriorVariance();
      double[] postLog = d.posteriorLogVarianceClipped();
      Tensor x0 =
          torch.full(new long[] {3, 2, 4}, new Scalar(x0v), new TensorOptions(ScalarType.Double));
      Tensor noise =
          torch.full(new long[] {3, 2, 4}, new Scalar(epsv), new TensorOptions(ScalarType.Double));
      Tensor t = ts(3, 400, 999);
      Tensor xt = d.qSample(x0, t, noise);
      Tensor out;
      try (TensorVector parts =
          new TensorVector(
              torch.full(
                  new long[] {3, 2, 4}, new Scalar(0.2), new TensorOptions(ScalarType.Double)),
              torch.full(
                  new long[] {3, 2, 4}, new Scalar(0.5), new TensorOptions(ScalarType.Double)))) {
        out = torch.cat(parts, 1);
      }
      double[] vb = Tensors.toDoubles(d.vbTermsBpd(out, x0, xt, t, null));
      for (int i = 0; i < 3; i++) {
        int k = steps[i];
        double a = ac[k];
        double prev = ac[k - 1];
        double xtv = Math.sqrt(a) * x0v + Math.sqrt(1 - a) * epsv;
        // true posterior N(m1, s1²)
        double s1 = postVar[k];
        double m1 =
            (beta[k] * Math.sqrt(prev) * x0v + (1 - prev) * Math.sqrt(1 - beta[k]) * xtv) / (1 - a);
        // model: x0 from eps 0.2, log variance 0.75·log β + 0.25·log β̃
        double x0hat = xtv / Math.sqrt(a) - Math.sqrt(1 / a - 1) * 0.2;
        double m2 =
            (beta[k] * Math.sqrt(prev) * x0hat + (1 - prev) * Math.sqrt(1 - beta[k]) * xtv)
                / (1 - a);
        double s2 = Math.exp(0.75 * Math.log(beta[k]) + 0.25 * postLog[k]);
        double klNats = 0.5 * Math.log(s2 / s1) + (s1 + (m1 - m2) * (m1 - m2)) / (2 * s2) - 0.5;
        double bits = klNats / Math.log(2);
        assertEquals(bits, vb[i], 1e-5 * Math.abs(bits) + 1e-7, "KL in bits at t=" + k);
        assertTrue(bits > 0);
      }
    }
  }

  @Test
  void discretizedLogLikelihoodIsTheBinMassOfAGaussian() {
    double[] x = {-1.0, -0.5, 0.0, 0.3, 1.0};
    double[] m = {-0.95, -0.45, 0.02, 0.3, 0.9};
    double[] ls = {-3.0, -2.0, -4.0, -1.0, -2.5};
    try (PointerScope s = new PointerScope()) {
      double[] ll =
          Tensors.toDoubles(
              GaussianMath.discretizedGaussianLogLikelihood(
                  Tensors.of(x, 5), Tensors.of(m, 5), Tensors.of(ls, 5)));
      for (int i = 0; i < x.length; i++) {
        double sd = Math.exp(ls[i]);
        double hi = x[i] > 0.999 ? 1 : approxCdf((x[i] - m[i] + 1 / 255.0) / sd);
        double lo = x[i] < -0.999 ? 0 : approxCdf((x[i] - m[i] - 1 / 255.0) / sd);
        assertEquals(Math.log(hi - lo), ll[i], 1e-9, "approximate CDF at " + i);
        double hiExact = x[i] > 0.999 ? 1 : phi((x[i] - m[i] + 1 / 255.0) / sd);
        double loExact = x[i] < -0.999 ? 0 : phi((x[i] - m[i] - 1 / 255.0) / sd);
        // the tanh approximation is within ~1e-3 of the exact CDF
        assertEquals(
            Math.log(hiExact - loExact),
            ll[i],
            2e-2 * Math.abs(Math.log(hiExact - loExact)) + 2e-3,
            "exact CDF at " + i);
      }
    }
  }

  private static double approxCdf(double v) {
    return 0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
  }

  /** Φ via erf (Abramowitz–Stegun 7.1.26, |error| ≤ 1.5e-7). */
  private static double phi(double v) {
    double z = Math.abs(v) / Math.sqrt(2);
    double t = 1 / (1 + 0.3275911 * z);
    double erf =
        1
            - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t
                    + 0.254829592)
                * t
                * Math.exp(-z * z);
    return v >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
  }

  @Test
  void maskedLossEqualsTheLossOfTheUnpaddedSample() {
    // a per-position model (no mixing along time), so padding cannot leak into real positions
    Denoiser model =
        (x, t) -> {
          Tensor eps =
              x.mul(new Scalar(0.5))
                  .add(t.to(ScalarType.Float).view(-1, 1, 1, 1, 1).mul(new Scalar(1e-3)));
          try (TensorVector v = new TensorVector(eps, x.sin().mul(new Scalar(0.3)))) {
            return torch.cat(v, 1);
          }
        };
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        GaussianDiffusion d = GaussianDiffusion.create(DiffusionConfig.defaults(), "", cpu)) {
      // sample 0 has 3 real frames of 5, sample 1 all 5
      Tensor x0 =
          randn(7, 2, 4, 5, 3, 3)
              .clamp(
                  new org.bytedeco.pytorch.ScalarOptional(new Scalar(-1.0)),
                  new org.bytedeco.pytorch.ScalarOptional(new Scalar(1.0)));
      Tensor noise = randn(8, 2, 4, 5, 3, 3);
      Tensor t = ts(0, 37);
      Tensor mask = torch.ones(new long[] {2, 1, 5, 1, 1});
      mask.narrow(0, 0, 1).narrow(2, 3, 2).fill_(new Scalar(0.0));
      // garbage in the padded frames must not matter
      x0.narrow(0, 0, 1).narrow(2, 3, 2).fill_(new Scalar(123.0));
      GaussianDiffusion.Losses padded = d.trainingLosses(model, x0, t, noise, mask);
      for (int b = 0; b < 2; b++) {
        long frames = b == 0 ? 3 : 5;
        Tensor x0b = x0.narrow(0, b, 1).narrow(2, 0, frames);
        Tensor nb = noise.narrow(0, b, 1).narrow(2, 0, frames);
        GaussianDiffusion.Losses alone = d.trainingLosses(model, x0b, t.narrow(0, b, 1), nb, null);
        assertEquals(
            alone.mse().item_double(),
            padded.mse().select(0, b).item_double(),
            1e-6 * alone.mse().item_double(),
            "mse of sample " + b);
        assertEquals(
            alone.vb().item_double(),
            padded.vb().select(0, b).item_double(),
            1e-5 * Math.abs(alone.vb().item_double()) + 1e-9,
            "vb of sample " + b);
        assertEquals(
            alone.loss().item_double(),
            padded.loss().select(0, b).item_double(),
            1e-5 * alone.loss().item_double(),
            "loss of sample " + b);
      }
      // a mask that does not broadcast is refused with both shapes named
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> d.trainingLosses(model, x0, t, noise, torch.ones(new long[] {2, 5})));
      assertTrue(
          e.getMessage().contains("[2, 4, 5, 3, 3]") && e.getMessage().contains("[2, 5]"),
          e.getMessage());
    }
  }

  @Test
  void fixedVarianceLossIsJustTheMse() {
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        GaussianDiffusion d =
            GaussianDiffusion.create(
                DiffusionConfig.defaults()
                    .withVariance(VarianceType.FIXED_SMALL)
                    .withPrediction(Prediction.V),
                "",
                cpu)) {
      Tensor x0 = randn(3, 2, 3, 4);
      Tensor noise = randn(4, 2, 3, 4);
      Tensor t = ts(5, 600);
      Denoiser zero = (x, tt) -> torch.zeros_like(x);
      GaussianDiffusion.Losses l = d.trainingLosses(zero, x0, t, noise, null);
      assertEquals(null, l.vb());
      // the target is v, so the loss of a zero prediction is mean(v²)
      Tensor v = d.velocity(x0, t, noise);
      Golden.assertClose(v.mul(v).mean(new long[] {1, 2}), l.loss(), 1e-6, 0, "mse against v");
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  d.trainingLosses(
                      (x, tt) -> torch.zeros(new long[] {2, 6, 4}), x0, t, noise, null));
      assertTrue(
          e.getMessage().contains("expected shape [2, 3, 4]")
              && e.getMessage().contains("[2, 6, 4]"),
          e.getMessage());
    }
  }

  @Test
  void badSettingsAreRefusedWithTheReason() throws Exception {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Respacing.timesteps(1000, "ddim999"));
    assertTrue(
        e.getMessage().contains("no integer stride gives exactly 999 of 1000 steps"),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Respacing.timesteps(30, "5,20"));
    assertTrue(
        e.getMessage().contains("cannot take 20 steps from a section of 15 steps"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Respacing.timesteps(1000, "fast"));
    assertTrue(
        e.getMessage().contains("expected a positive step count, found 'fast'"), e.getMessage());
    assertEquals(7, Respacing.timesteps(1000, "ddim7").length);
    assertEquals(Prediction.V, Prediction.parse("v"));
    assertEquals(BetaSchedule.COSINE, BetaSchedule.parse("squaredcos_cap_v2"));
    assertEquals(VarianceType.FIXED_LARGE, VarianceType.parse("fixed_large"));
    assertEquals(Sampler.Method.DDIM, Sampler.Method.parse("DDIM"));
    assertThrows(IllegalArgumentException.class, () -> Prediction.parse("score"));
    // the config travels in checkpoints' config.json
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    DiffusionConfig c =
        DiffusionConfig.defaults().withPrediction(Prediction.V).withSchedule(BetaSchedule.COSINE);
    assertEquals(c, json.readValue(json.writeValueAsString(c), DiffusionConfig.class));
    assertEquals(6, c.outChannels(3));
  }
}
