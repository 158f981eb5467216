package io.jsora.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.SafetensorsFile;
import io.jsora.checkpoint.StateDict;
import io.jsora.config.SettingException;
import io.jsora.data.ArrowVideoDataset;
import io.jsora.diffusion.PerSampleRandom;
import io.jsora.diffusion.rflow.MaskRatios;
import io.jsora.diffusion.rflow.RFlowConfig;
import io.jsora.diffusion.rflow.RFlowTraining;
import io.jsora.diffusion.rflow.SizePrecision;
import io.jsora.diffusion.rflow.VideoSize;
import io.jsora.model.stdit3.STDiT3;
import io.jsora.run.CheckpointLayout;
import io.jsora.run.DiffusionProcess;
import io.jsora.run.ModelFamily;
import io.jsora.run.ModelSpec;
import io.jsora.run.ResumeSpec;
import io.jsora.run.RunConfig;
import io.jsora.run.TrainConfig;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Seeds;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The trainer with {@code model_family: stdit3}: the first step's loss and gradient against the
 * model called directly (caption padded by hand, null caption, frame mask, fps and size), exact
 * resume with masks, dropout and activation checkpointing, and the settings it refuses.
 */
public class Stdit3TrainingTest {
  @TempDir static Path shared;
  static Path dataset;
  static Path single;

  @BeforeAll
  static void data() throws IOException {
    dataset = TrainFixtures.dataset(shared.resolve("many"), 8, 4, 3);
    single = TrainFixtures.dataset(shared.resolve("one"), 1, 4, 5);
  }

  /** A tiny STDiT3 with rectified flow and frame masks on {@code data}. */
  public static TrainConfig stdit3(Path data, Path run, long steps, int batch) {
    return TrainFixtures.config(data, run, steps, batch).toBuilder()
        .modelFamily(ModelFamily.STDIT3)
        .model("STDiT3-T/2")
        .arch(null)
        .textToC(false)
        .process(DiffusionProcess.RFLOW)
        .maskRatios(
            MaskRatios.of(RectifiedFlowTrainingTest.ordered("image_head", 0.5, "random", 0.25)))
        .textDropout(0.5)
        .build();
  }

  @ParameterizedTest(name = "text dropout {0}")
  @ValueSource(doubles = {0.0, 1.0})
  void theFirstStepsLossAndGradientAreTheModelsCalledDirectly(double dropout, @TempDir Path dir)
      throws IOException {
    // one row, image_head masks only: frame 0 is a condition frame (clean, t = 0 modulation, not
    // in the loss); dropout 1 trains on the null caption, 0 on the caption padded to 32 tokens
    TrainConfig cfg =
        stdit3(single, dir, 1, 1).toBuilder()
            .maskRatios(MaskRatios.of(Map.of("image_head", 1.0)))
            .textDropout(dropout)
            .gradClip(0)
            .build();
    double directLoss;
    double directNorm;
    List<Double> seen = new ArrayList<>();
    try (Trainer t = new Trainer(cfg)) {
      STDiT3 model = (STDiT3) t.model();
      double fps = Math.floor(t.runConfig().data().fps());
      try (ArrowVideoDataset ds = ArrowVideoDataset.open(single, null);
          Tensor stored = ds.latent(0);
          Tensor states = ds.textStates(0);
          PointerScope s = new PointerScope();
          Device cpu = Devices.cpu()) {
        Tensor x0 = stored.to(ScalarType.Float).unsqueeze(0); // (1, C, T, H, W)
        long[] xs = Shapes.of(x0);
        PerSampleRandom random = new PerSampleRandom(cfg.seed());
        Tensor eps = random.noise(0, new long[] {0}, new long[] {xs[1], xs[2], xs[3], xs[4]}, cpu);
        double tt;
        try (Generator g =
            Seeds.cpuGenerator(random.streamSeed(PerSampleRandom.TIMESTEP_STREAM, 0, 0))) {
          tt =
              new RFlowTraining(RFlowConfig.training12().withTimestepTransform(false))
                  .sampleTimesteps(g, List.of(new VideoSize(16, 16, 4)), SizePrecision.FLOAT32, cpu)
                  .item_double();
        }
        // the path at t, the condition frame clean
        Tensor xt = x0.mul(new Scalar(1 - tt / 1000)).add(eps.mul(new Scalar(tt / 1000)));
        xt.narrow(2, 0, 1).copy_(x0.narrow(2, 0, 1));
        // the caption padded by hand to model_max_length, or the null caption
        long l = Shapes.of(states)[0];
        long lmax = model.config().modelMaxLength();
        Tensor y = torch.zeros(new long[] {1, 1, lmax, Shapes.of(states)[1]});
        Tensor mask = torch.zeros(new long[] {1, lmax}, new TensorOptions(ScalarType.Long));
        y.select(0, 0).select(0, 0).narrow(0, 0, l).copy_(states.to(ScalarType.Float));
        mask.narrow(1, 0, l).fill_(new Scalar(1.0));
        if (dropout == 1.0) {
          y = model.nullCaption().view(1, 1, lmax, -1).clone();
        }
        Tensor xMask = Tensors.ofBytes(new byte[] {0, 1, 1, 1}, 1, 4).to(ScalarType.Bool); // (1, T)
        Tensor one = torch.ones(new long[] {1});
        Tensor out =
            model.forward(
                xt,
                torch.full(new long[] {1}, new Scalar(tt)),
                y,
                mask,
                xMask,
                one.mul(new Scalar(fps)),
                one.mul(new Scalar(16.0)),
                one.mul(new Scalar(16.0)));
        Tensor d = out.narrow(1, 0, xs[1]).sub(x0.sub(eps)).narrow(2, 1, xs[2] - 1);
        Tensor loss = d.mul(d).mean();
        directLoss = loss.item_double();
        loss.backward();
        double sq = 0;
        StringTensorDict ps = model.named_parameters(true);
        for (long i = 0; i < ps.size(); i++) {
          Tensor p = ps.get(i).value();
          if (p.requires_grad() && p.grad().defined()) {
            sq += p.grad().pow(new Scalar(2.0)).sum().item_double();
          }
        }
        directNorm = Math.sqrt(sq);
        model.zero_grad(true);
      }
      t.listen(
          new TrainListener() {
            @Override
            public void onStep(StepMetrics m) {
              seen.add(m.loss());
              seen.add(m.gradNorm());
            }
          });
      t.run();
    }
    assertEquals(directLoss, seen.get(0), 1e-6 * directLoss, "loss");
    assertEquals(directNorm, seen.get(1), 1e-5 * directNorm, "gradient norm");
  }

  @Test
  void aKilledRunResumesBitExactWithMasksDropoutAndActivationCheckpointing(@TempDir Path dir)
      throws IOException {
    TrainConfig cfg =
        stdit3(dataset, dir.resolve("straight"), 4, 2).toBuilder()
            .saveInterval(2)
            .gradCheckpoint(true)
            .build();
    Trainer.Result straight;
    try (Trainer t = new Trainer(cfg)) {
      straight = t.run();
    }
    TrainConfig broken = cfg.toBuilder().checkpointDir(dir.resolve("broken").toString()).build();
    try (Trainer t = new Trainer(broken)) {
      t.listen(new TrainerTest.CrashAfter(2));
      assertThrows(IllegalStateException.class, t::run);
    }
    Trainer.Result resumed;
    try (Trainer t = new Trainer(broken.toBuilder().resume(ResumeSpec.AUTO).build())) {
      resumed = t.run();
    }
    assertEquals(4, resumed.steps());
    assertEquals(2, resumed.trained());
    assertEquals(straight.lastLoss(), resumed.lastLoss(), 0.0);
    assertSameWeights(straight.lastCheckpoint(), resumed.lastCheckpoint(), 0.0);

    RunConfig rc = CheckpointLayout.readConfig(straight.lastCheckpoint());
    assertEquals(ModelFamily.STDIT3, rc.model().family());
    assertEquals(3, rc.stdit3().inChannels());
    assertEquals(DiffusionProcess.RFLOW, rc.process().process());
  }

  @Test
  void activationCheckpointingChangesNeitherLossNorGradient(@TempDir Path dir) throws IOException {
    // compared per step: loss and gradient norm (weights are not, since AdamW's first steps turn
    // the rounding noise of exactly-zero gradients, such as a key bias's, into full-size updates)
    TrainConfig plain = stdit3(dataset, dir.resolve("plain"), 2, 2);
    TrainConfig recompute =
        plain.toBuilder()
            .checkpointDir(dir.resolve("recompute").toString())
            .gradCheckpoint(true)
            .build();
    List<double[]> runs = new ArrayList<>();
    for (TrainConfig c : List.of(plain, recompute)) {
      List<Double> seen = new ArrayList<>();
      try (Trainer t = new Trainer(c)) {
        t.listen(
            new TrainListener() {
              @Override
              public void onStep(StepMetrics m) {
                seen.add(m.loss());
                seen.add(m.gradNorm());
              }
            });
        t.run();
      }
      runs.add(seen.stream().mapToDouble(Double::doubleValue).toArray());
    }
    assertEquals(4, runs.get(0).length);
    for (int i = 0; i < 4; i++) {
      double a = runs.get(0)[i];
      assertEquals(a, runs.get(1)[i], 1e-5 * Math.abs(a), (i % 2 == 0 ? "loss" : "norm") + i);
    }
  }

  @Test
  void iddpmIsRefusedForStdit3() {
    SettingException e =
        assertThrows(
            SettingException.class,
            () ->
                stdit3(dataset, shared.resolve("x"), 1, 1).toBuilder()
                    .maskRatios(null)
                    .process(DiffusionProcess.IDDPM)
                    .build());
    assertTrue(
        e.getMessage().contains("process") && e.getMessage().contains("rflow"), e.getMessage());
  }

  @Test
  void aDitCheckpointIsNotResumedAsStdit3(@TempDir Path dir) throws IOException {
    TrainConfig dit = TrainFixtures.config(dataset, dir, 1, 2);
    try (Trainer t = new Trainer(dit)) {
      t.run();
    }
    TrainConfig st = stdit3(dataset, dir, 2, 2).toBuilder().resume(ResumeSpec.AUTO).build();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> {
              try (Trainer t = new Trainer(st)) {
                t.run();
              }
            });
    assertTrue(
        e.getMessage().contains("model family") && e.getMessage().contains("stdit3"),
        e.getMessage());
  }

  @Test
  void theSpecRecordsTheDataWidths(@TempDir Path dir) throws IOException {
    try (Trainer t = new Trainer(stdit3(dataset, dir, 1, 1))) {
      ModelSpec spec = t.modelSpec();
      assertEquals(ModelFamily.STDIT3, spec.family());
      assertEquals(64, ((ModelSpec.Stdit3) spec).config().captionChannels());
      assertThrows(IllegalStateException.class, t::modelConfig);
    }
  }

  static void assertSameWeights(Path a, Path b, double tol) throws IOException {
    for (String f : new String[] {CheckpointLayout.MODEL, CheckpointLayout.EMA}) {
      try (StateDict x = SafetensorsFile.read(a.resolve(f));
          StateDict y = SafetensorsFile.read(b.resolve(f))) {
        assertEquals(x.names(), y.names());
        for (String n : x.names()) {
          float[] p = Tensors.toFloats(x.get(n));
          float[] q = Tensors.toFloats(y.get(n));
          for (int i = 0; i < p.length; i++) {
            assertEquals(
                p[i], q[i], tol * Math.max(1, Math.abs(p[i])), f + " " + n + "[" + i + "]");
          }
        }
      }
    }
  }
}
