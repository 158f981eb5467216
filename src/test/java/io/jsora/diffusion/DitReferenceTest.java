package io.jsora.diffusion;

import static io.jsora.diffusion.Golden.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Tensors;
import java.util.function.Function;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Compares against facebookresearch/DiT's {@code diffusion} package run on the same inputs
 * (src/test/resources/golden/diffusion/README.md). float32 results agree to a few ulps; the
 * tolerances allow for different summation orders only.
 */
class DitReferenceTest {
  @BeforeAll
  static void natives() {
    Natives.load();
  }

  /** The golden model: eps half {@code 0.3x + 0.001t}, variance half {@code tanh(x)/2}. */
  static Tensor model(Tensor x, Tensor t) {
    long[] shape = {-1, 1, 1, 1, 1};
    Tensor eps =
        x.mul(new Scalar(0.3)).add(t.to(ScalarType.Float).mul(new Scalar(0.001)).view(shape));
    Tensor var = x.tanh().mul(new Scalar(0.5));
    try (TensorVector v = new TensorVector(eps, var)) {
      return torch.cat(v, 1);
    }
  }

  static Tensor modelEps(Tensor x, Tensor t) {
    return model(x, t).narrow(1, 0, x.size(1));
  }

  private static GaussianDiffusion diffusion(DiffusionConfig c, String respacing, Device d) {
    return GaussianDiffusion.create(c, respacing, d);
  }

  @Test
  void betaSchedulesMatchBitForBit() {
    try (PointerScope s = new PointerScope();
        StateDict g = Golden.tensors()) {
      assertArrayEquals(
          Tensors.toDoubles(g.get("betas_linear")), BetaSchedule.LINEAR.betas(1000), 0.0);
      // cos() may differ by an ulp between libms
      assertArrayEquals(
          Tensors.toDoubles(g.get("betas_cosine")), BetaSchedule.COSINE.betas(1000), 1e-15);
    }
  }

  @Test
  void respacingKeepsTheSameSteps() {
    JsonNode r = Golden.json().get("respacing");
    for (var it = r.fields(); it.hasNext(); ) {
      var e = it.next();
      String[] parts = e.getKey().split(":");
      int[] expected = new int[e.getValue().size()];
      for (int i = 0; i < expected.length; i++) {
        expected[i] = e.getValue().get(i).asInt();
      }
      assertArrayEquals(
          expected, Respacing.timesteps(Integer.parseInt(parts[0]), parts[1]), e.getKey());
    }
  }

  @Test
  void trainingLossesMatch() {
    try (PointerScope s = new PointerScope();
        StateDict g = Golden.tensors();
        Device cpu = Devices.cpu()) {
      for (String sched : new String[] {"linear", "squaredcos_cap_v2"}) {
        for (Prediction p : new Prediction[] {Prediction.EPS, Prediction.X0}) {
          DiffusionConfig c =
              DiffusionConfig.defaults().withSchedule(BetaSchedule.parse(sched)).withPrediction(p);
          try (GaussianDiffusion d = diffusion(c, "", cpu)) {
            GaussianDiffusion.Losses l =
                d.trainingLosses(
                    DitReferenceTest::model,
                    g.get("x0"),
                    g.get("loss_" + sched + "_t"),
                    g.get("noise"),
                    null);
            String key = p == Prediction.EPS ? "loss_" : "lossx0_";
            assertClose(g.get(key + sched + "_mse"), l.mse(), 1e-5, 1e-7, sched + " " + p + " mse");
            assertClose(g.get(key + sched + "_vb"), l.vb(), 1e-4, 1e-7, sched + " " + p + " vb");
            if (p == Prediction.EPS) {
              assertClose(g.get("loss_" + sched + "_loss"), l.loss(), 1e-5, 1e-7, sched + " loss");
            }
          }
        }
      }
    }
  }

  @Test
  void reverseStepMatchesOnARespacedProcess() {
    try (PointerScope s = new PointerScope();
        StateDict g = Golden.tensors();
        Device cpu = Devices.cpu();
        GaussianDiffusion d = diffusion(DiffusionConfig.defaults(), "250", cpu)) {
      Tensor xt = g.get("pmv_xt");
      Tensor t = g.get("pmv_t");
      GaussianDiffusion.PMeanVariance p = d.pMeanVariance(DitReferenceTest::model, xt, t, false);
      assertClose(g.get("pmv_mean"), p.mean(), 1e-5, 1e-6, "mean");
      assertClose(g.get("pmv_variance"), p.variance().expand_as(xt), 1e-5, 1e-9, "variance");
      assertClose(
          g.get("pmv_log_variance"), p.logVariance().expand_as(xt), 1e-5, 1e-6, "log variance");
      assertClose(g.get("pmv_pred_xstart"), p.predX0(), 1e-5, 1e-5, "pred x0");
      assertClose(
          g.get("pmv_clip_mean"),
          d.pMeanVariance(DitReferenceTest::model, xt, t, true).mean(),
          1e-5,
          1e-6,
          "clipped mean");
      for (String name : new String[] {"large", "small"}) {
        DiffusionConfig c =
            DiffusionConfig.defaults()
                .withVariance(
                    name.equals("large") ? VarianceType.FIXED_LARGE : VarianceType.FIXED_SMALL);
        try (GaussianDiffusion f = diffusion(c, "250", cpu)) {
          GaussianDiffusion.PMeanVariance q =
              f.pMeanVariance(DitReferenceTest::modelEps, xt, t, false);
          assertClose(g.get("pmv_fixed" + name + "_mean"), q.mean(), 1e-5, 1e-6, name + " mean");
          assertClose(
              g.get("pmv_fixed" + name + "_log_variance"),
              q.logVariance(),
              1e-5,
              1e-6,
              name + " log variance");
        }
      }
    }
  }

  /** Replays DiT's recorded per-step noise: call k ≥ 1 is its k-th draw. */
  private static NoiseSource replay(Tensor noises) {
    return (shape, call) -> noises.select(0, call - 1).clone();
  }

  @Test
  void samplersMatch() {
    try (PointerScope s = new PointerScope();
        StateDict g = Golden.tensors();
        Device cpu = Devices.cpu()) {
      Tensor xT = g.get("ddim_xT");
      Function<String, GaussianDiffusion> make = r -> diffusion(DiffusionConfig.defaults(), r, cpu);
      try (GaussianDiffusion ddim10 = make.apply("ddim10");
          GaussianDiffusion ddpm10 = make.apply("10")) {
        assertEquals(10, ddim10.numTimesteps());
        try (Tensor out =
            new Sampler(ddim10, Sampler.Method.DDIM, 0.0, false)
                .sample(DitReferenceTest::model, xT, null, SamplingProgress.NONE)) {
          assertClose(g.get("ddim_eta0"), out, 1e-4, 1e-5, "DDIM eta 0");
        }
        try (Tensor out =
            new Sampler(ddim10, Sampler.Method.DDIM, 0.5, false)
                .sample(
                    DitReferenceTest::model,
                    xT,
                    replay(g.get("ddim_eta05_noises")),
                    SamplingProgress.NONE)) {
          assertClose(g.get("ddim_eta05"), out, 1e-4, 1e-5, "DDIM eta 0.5");
        }
        int[] seen = new int[10];
        int[] count = {0};
        try (Tensor out =
            new Sampler(ddpm10, Sampler.Method.DDPM, 0.0, false)
                .sample(
                    DitReferenceTest::model,
                    xT,
                    replay(g.get("ddpm_noises")),
                    (done, total, ts) -> seen[count[0]++] = ts)) {
          assertClose(g.get("ddpm_final"), out, 1e-4, 1e-5, "DDPM");
        }
        int[] map = ddpm10.timestepMap();
        for (int k = 0; k < 10; k++) {
          assertEquals(
              map[9 - k], seen[k], "progress reports original timesteps in sampling order");
        }
      }
    }
  }

  @Test
  void discretizedLogLikelihoodMatches() {
    try (PointerScope s = new PointerScope();
        StateDict g = Golden.tensors()) {
      Tensor ll =
          GaussianMath.discretizedGaussianLogLikelihood(
              g.get("dgll_x"), g.get("dgll_means"), g.get("dgll_log_scales"));
      assertClose(g.get("dgll"), ll, 1e-5, 1e-7, "log likelihood");
    }
  }
}
