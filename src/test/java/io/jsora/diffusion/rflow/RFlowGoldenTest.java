package io.jsora.diffusion.rflow;

import static io.jsora.diffusion.rflow.RFlowGolden.assertClose;
import static io.jsora.diffusion.rflow.RFlowGolden.doubles;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jsora.checkpoint.StateDict;
import io.jsora.diffusion.NoiseSource;
import io.jsora.diffusion.SamplingProgress;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Tensors;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Rectified flow against upstream's {@code RFLOW} / {@code RFlowScheduler} / inference utils run
 * under PyTorch.
 */
class RFlowGoldenTest {
  private static JsonNode json;

  @BeforeAll
  static void load() {
    Natives.load();
    json = RFlowGolden.json();
  }

  @AfterAll
  static void drop() {
    json = null;
  }

  // ---- 1. timestep schedules ----

  @Test
  void schedulesMatchUpstreamBitForBitInFloat32AndBf16Sizes() {
    int checked = 0;
    for (JsonNode row : json.get("schedules")) {
      VideoSize size =
          new VideoSize(
              row.get("height").asInt(), row.get("width").asInt(), row.get("num_frames").asInt());
      RFlowConfig c =
          new RFlowConfig(
              30,
              1000,
              7.0,
              false,
              true,
              row.get("transform_scale").asDouble(),
              SampleMethod.UNIFORM,
              0.0,
              1.0);
      for (SizePrecision p : SizePrecision.values()) {
        double[] want = doubles(row.get(p == SizePrecision.FLOAT32 ? "float32" : "bfloat16"));
        if (!size.isImage() && size.numFrames() < 17) {
          // upstream's ratio is 0 here: NaN then zeros; rejected with a message instead
          assertTrue(Double.isNaN(want[0]) && want[1] == 0.0, "golden for " + size);
          IllegalArgumentException e =
              assertThrows(
                  IllegalArgumentException.class,
                  () -> RFlowSchedule.forSampling(c, List.of(size), p));
          assertTrue(e.getMessage().contains("num_frames " + size.numFrames()), e.getMessage());
          continue;
        }
        RFlowSchedule s = RFlowSchedule.forSampling(c, List.of(size, size), p);
        for (int i = 0; i < 30; i++) {
          assertEquals(
              (float) want[i], (float) s.timesteps(i)[0], 0f, size + " " + p + " step " + i);
          assertEquals(
              (float) want[i],
              (float) s.timesteps(i)[1],
              0f,
              size + " " + p + " step " + i + " sample 1");
        }
        checked++;
      }
    }
    assertEquals(20, checked);
  }

  // ---- 2. sampling ----

  private static final class Run implements AutoCloseable {
    final StateDict g = RFlowGolden.tensors();
    final Tensor y = g.get("sample_y_cond");
    final double[] rowText;

    Run() {
      try (PointerScope s = new PointerScope();
          TensorVector v = new TensorVector(g.get("sample_y_cond"), g.get("sample_y_null"))) {
        rowText = RFlowGolden.rowMeans(torch.cat(v, 0));
      }
    }

    FlowModel model(List<double[][]> calls) {
      return RFlowGolden.fakeModel(
          g.get("sample_A"),
          g.get("sample_beta"),
          g.get("sample_delta"),
          g.get("sample_gamma"),
          rowText,
          calls);
    }

    @Override
    public void close() {
      g.close();
    }
  }

  private static RFlowSampler inference5Steps() {
    return RFlowSampler.of(
        RFlowConfig.inference12().withNumSamplingSteps(5),
        VideoSize.batch(2, 240, 426, 51),
        SizePrecision.BFLOAT16);
  }

  @Test
  void guidedSamplingMatchesUpstream() {
    try (Run r = new Run();
        PointerScope s = new PointerScope()) {
      List<double[][]> calls = new ArrayList<>();
      NoiseSource never =
          (shape, call) -> {
            throw new AssertionError("an unmasked run draws no noise");
          };
      try (Tensor out =
          inference5Steps()
              .sample(r.model(calls), r.g.get("sample_z"), null, never, SamplingProgress.NONE)) {
        assertClose(r.g.get("sample_out_plain"), out, 1e-5, 1e-6, "5 guided steps");
      }
      JsonNode want = json.get("sampling").get("plain").get("model_calls");
      assertEquals(want.size(), calls.size());
      for (int i = 0; i < calls.size(); i++) {
        assertArrayEquals(
            doubles(want.get(i).get("t")), calls.get(i)[0], 0.0, "model t at step " + i);
        assertNull(calls.get(i)[1], "no x_mask without a frame mask");
      }
    }
  }

  @Test
  void maskAwareSamplingWithReplayedNoiseMatchesUpstream() {
    try (Run r = new Run();
        PointerScope s = new PointerScope()) {
      List<double[][]> calls = new ArrayList<>();
      int[] draws = {0};
      NoiseSource replay = StepNoise.replay(r.g.get("sample_step_noise"));
      NoiseSource counted =
          (shape, call) -> {
            assertEquals(++draws[0], call, "draws are numbered by step");
            return replay.draw(shape, call);
          };
      try (Tensor out =
          inference5Steps()
              .sample(
                  r.model(calls),
                  r.g.get("sample_z"),
                  r.g.get("sample_frame_mask"),
                  counted,
                  SamplingProgress.NONE)) {
        assertClose(r.g.get("sample_out_masked"), out, 1e-5, 1e-6, "masked sampling");
        // edit ratio 0 (frames 0 and 5 of sample 0) keeps z exactly
        for (int f : new int[] {0, 5}) {
          assertTrue(
              torch.equal(
                  r.g.get("sample_z").select(0, 0).select(1, f), out.select(0, 0).select(1, f)),
              "frame " + f);
        }
      }
      assertEquals(json.get("sampling").get("masked").get("noise_draws").asInt(), draws[0]);
      JsonNode want = json.get("sampling").get("masked").get("model_calls");
      for (int i = 0; i < calls.size(); i++) {
        assertArrayEquals(
            doubles(want.get(i).get("t")), calls.get(i)[0], 0.0, "model t at step " + i);
        double[] mask = new double[calls.get(i)[1].length];
        int k = 0;
        for (JsonNode rowNode : want.get(i).get("x_mask")) {
          for (JsonNode v : rowNode) {
            mask[k++] = v.asBoolean() ? 1 : 0;
          }
        }
        assertArrayEquals(mask, calls.get(i)[1], 0.0, "x_mask at step " + i);
      }
    }
  }

  @Test
  void maskAwareSamplingWithGeneratorNoiseMatchesUpstreamsDefaultGenerator() {
    try (Run r = new Run();
        PointerScope s = new PointerScope()) {
      Generator gen = torch.createCPUGenerator(77);
      Device cpu = new Device("cpu");
      try (Tensor out =
          inference5Steps()
              .sample(
                  r.model(null),
                  r.g.get("sample_z"),
                  r.g.get("sample_frame_mask"),
                  NoiseSource.fromGenerator(gen, cpu),
                  SamplingProgress.NONE)) {
        assertClose(r.g.get("sample_out_seeded"), out, 1e-5, 1e-6, "masked sampling, seed 77");
      }
    }
  }

  @Test
  void classDefaultsMatchUpstream() {
    try (Run r = new Run();
        PointerScope s = new PointerScope()) {
      RFlowSampler sampler =
          RFlowSampler.of(
              RFlowConfig.classDefaults(),
              VideoSize.batch(2, 240, 426, 51),
              SizePrecision.BFLOAT16);
      assertEquals(10, sampler.schedule().steps());
      assertEquals(4.0, sampler.guidanceScale());
      try (Tensor out =
          sampler.sample(r.model(null), r.g.get("sample_z"), null, null, SamplingProgress.NONE)) {
        assertClose(
            r.g.get("sample_out_class_defaults"), out, 1e-5, 1e-6, "10 steps, cfg 4, no transform");
      }
    }
  }

  // ---- 3. training losses ----

  private static FlowModel trainModel(StateDict g) {
    return RFlowGolden.fakeModel(
        g.get("sample_A"),
        g.get("sample_beta"),
        g.get("sample_delta"),
        g.get("sample_gamma"),
        RFlowGolden.rowMeans(g.get("train_y")),
        null);
  }

  @Test
  void trainingLossesWithGivenTimestepsMatchUpstream() {
    JsonNode want = json.get("losses");
    try (StateDict g = RFlowGolden.tensors();
        PointerScope s = new PointerScope()) {
      RFlowTraining training = new RFlowTraining(RFlowConfig.training12());
      FlowLoss plain =
          training.losses(
              trainModel(g), g.get("train_x0"), g.get("train_noise"), g.get("train_t"), null);
      FlowLoss masked =
          training.losses(
              trainModel(g),
              g.get("train_x0"),
              g.get("train_noise"),
              g.get("train_t"),
              g.get("train_mask"));
      assertClose(
          Tensors.of(doubles(want.get("masked")), 3), masked.loss(), 1e-6, 0, "masked loss");
      assertClose(Tensors.of(doubles(want.get("plain")), 3), plain.loss(), 1e-6, 0, "plain loss");
    }
  }

  @Test
  void drawnTimestepsAndTheirLossMatchUpstreamsGenerator() {
    JsonNode want = json.get("losses");
    for (SampleMethod m : SampleMethod.values()) {
      try (StateDict g = RFlowGolden.tensors();
          PointerScope s = new PointerScope()) {
        RFlowTraining training = new RFlowTraining(RFlowConfig.training12().withSampleMethod(m));
        Tensor t =
            training.sampleTimesteps(
                torch.createCPUGenerator(5),
                VideoSize.batch(3, 360, 640, 102),
                SizePrecision.BFLOAT16,
                new Device("cpu"));
        JsonNode w = want.get("drawn_" + m.id());
        assertClose(Tensors.of(doubles(w.get("t")), 3), t, 1e-6, 0, m + " t");
        FlowLoss loss =
            training.losses(trainModel(g), g.get("train_x0"), g.get("train_noise"), t, null);
        assertClose(Tensors.of(doubles(w.get("loss")), 3), loss.loss(), 1e-5, 0, m + " loss");
      }
    }
  }

  // ---- 4. inference mask strategies ----

  @Test
  void maskStrategiesPasteAndMaskAsUpstream() {
    JsonNode ms = json.get("mask_strategies");
    int frames = ms.get("latent_frames").asInt();
    double[] lengths = doubles(ms.get("ref_lengths"));
    for (JsonNode c : ms.get("cases")) {
      try (PointerScope s = new PointerScope()) {
        Tensor z =
            torch.zeros(
                new long[] {1, 1, frames, 1, 1},
                new org.bytedeco.pytorch.TensorOptions(ScalarType.Float));
        List<Tensor> refs = new ArrayList<>();
        for (int r = 0; r < lengths.length; r++) {
          int len = (int) lengths[r];
          refs.add(
              torch
                  .arange(new org.bytedeco.pytorch.Scalar(len))
                  .to(ScalarType.Float)
                  .add(new org.bytedeco.pytorch.Scalar(100.0 * (r + 1)))
                  .view(1, len, 1, 1));
        }
        int align = c.get("align").isNull() ? 1 : c.get("align").asInt();
        String where =
            c.get("strategy").asText() + " align " + align + " loop " + c.get("loop").asInt();
        Tensor mask =
            MaskStrategy.apply(
                z,
                List.of(refs),
                List.of(MaskStrategy.parse(c.get("strategy").asText())),
                c.get("loop").asInt(),
                align);
        assertArrayEquals(doubles(c.get("mask")), Tensors.toDoubles(mask), 0.0, where + ": mask");
        assertArrayEquals(doubles(c.get("z")), Tensors.toDoubles(z), 0.0, where + ": z");
      }
    }
  }

  @Test
  void parsedGroupsMatchUpstream() {
    json.get("parsed")
        .fields()
        .forEachRemaining(
            e -> {
              MaskStrategy s = MaskStrategy.parse(e.getKey());
              assertEquals(e.getValue().size(), s.groups().size(), e.getKey());
              for (int i = 0; i < s.groups().size(); i++) {
                MaskGroup g = s.groups().get(i);
                double[] want = doubles(e.getValue().get(i));
                assertArrayEquals(
                    want,
                    new double[] {
                      g.loopId(),
                      g.refId(),
                      g.refStart(),
                      g.targetStart(),
                      g.length(),
                      g.editRatio()
                    },
                    0.0,
                    e.getKey() + " group " + i);
              }
              assertEquals(s, MaskStrategy.parse(s.toString()), "round trip of " + e.getKey());
            });
  }

  @Test
  void nearestPointAndConditionFramesMatchUpstream() {
    // the golden lists (value, result) for max 15, then 20, for each value
    JsonNode np = json.get("nearest_point");
    for (int i = 0; i < np.size(); i++) {
      int v = np.get(i).get(0).asInt();
      int max = i % 2 == 0 ? 15 : 20;
      assertEquals(
          np.get(i).get(1).asInt(),
          MaskStrategy.nearestPoint(v, 5, max),
          "value " + v + " max " + max);
    }
    for (JsonNode c : json.get("dframe_to_frame")) {
      assertEquals(c.get(1).asInt(), Loops.pixelFrames(c.get(0).asInt()));
    }
  }
}
