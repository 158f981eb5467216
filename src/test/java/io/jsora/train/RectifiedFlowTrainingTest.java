package io.jsora.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.SafetensorsFile;
import io.jsora.checkpoint.StateDict;
import io.jsora.data.ArrowVideoDataset;
import io.jsora.diffusion.PerSampleRandom;
import io.jsora.diffusion.Sampler;
import io.jsora.diffusion.rflow.MaskRatios;
import io.jsora.diffusion.rflow.MaskType;
import io.jsora.pipeline.GenerationRequest;
import io.jsora.pipeline.TextToVideoPipeline;
import io.jsora.run.CheckpointLayout;
import io.jsora.run.DiffusionProcess;
import io.jsora.run.ResumeSpec;
import io.jsora.run.RunConfig;
import io.jsora.run.TrainConfig;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer with {@code process: rflow}: the loss it optimises, frame masks, per-sample
 * randomness, exact resume, and sampling the checkpoint it writes.
 */
public class RectifiedFlowTrainingTest {
  @TempDir static Path shared;
  static Path dataset;
  static Path single;

  @BeforeAll
  static void data() throws IOException {
    dataset = TrainFixtures.dataset(shared.resolve("many"), 16, 4, 3);
    single = TrainFixtures.dataset(shared.resolve("one"), 1, 4, 5);
  }

  static TrainConfig flow(Path data, Path run, long steps, int batch) {
    return TrainFixtures.config(data, run, steps, batch).toBuilder()
        .process(DiffusionProcess.RFLOW)
        .maskRatios(MaskRatios.of(ordered("image_head", 0.5, "random", 0.25)))
        .build();
  }

  /** Ratios in the order given (the draw order matters; {@code Map.of} has none). */
  public static Map<String, Double> ordered(String a, double p, String b, double q) {
    Map<String, Double> m = new java.util.LinkedHashMap<>();
    m.put(a, p);
    m.put(b, q);
    return m;
  }

  @Test
  void theFirstLossIsTheVelocityErrorOverTheGeneratedFramesOnly(@TempDir Path dir)
      throws IOException {
    // the DiT starts with a zero final layer, so its velocity is 0 and the loss of step 1 is
    // mean over generated frames of (x0 − ε)², whatever the timestep; with image_head masks only,
    // frame 0 is a condition and frames 1..T-1 count
    TrainConfig cfg =
        TrainFixtures.config(single, dir, 1, 1).toBuilder()
            .process(DiffusionProcess.RFLOW)
            .maskRatios(MaskRatios.of(Map.of("image_head", 1.0)))
            .build();
    double trained;
    try (Trainer t = new Trainer(cfg)) {
      trained = t.run().lastLoss();
    }
    double expected;
    try (ArrowVideoDataset ds = ArrowVideoDataset.open(single, null);
        Tensor stored = ds.latent(0);
        PointerScope s = new PointerScope();
        Device cpu = Devices.cpu()) {
      Tensor x0 = stored.to(torch.ScalarType.Float).unsqueeze(0); // (1, C, T, H, W)
      long[] xs = Shapes.of(x0);
      Tensor eps =
          new PerSampleRandom(cfg.seed())
              .noise(0, new long[] {0}, new long[] {xs[1], xs[2], xs[3], xs[4]}, cpu);
      Tensor d = x0.sub(eps).narrow(2, 1, xs[2] - 1); // generated frames
      expected = d.mul(d).mean().item_double();
    }
    assertEquals(expected, trained, 1e-6 * expected);
  }

  @Test
  void perSampleTimestepsAndMasksDoNotDependOnTheBatchSplit(@TempDir Path dir) throws IOException {
    TrainConfig whole = flow(dataset, dir.resolve("whole"), 1, 8);
    TrainConfig halves =
        whole.toBuilder()
            .checkpointDir(dir.resolve("halves").toString())
            .batchSize(4)
            .accumulationSteps(2)
            .build();
    double a;
    double b;
    try (Trainer t = new Trainer(whole)) {
      a = t.run().lastLoss();
    }
    try (Trainer t = new Trainer(halves)) {
      b = t.run().lastLoss();
    }
    assertEquals(a, b, 1e-6 * Math.abs(a));
    assertWeightsClose(
        dir.resolve("whole").resolve(CheckpointLayout.dirName(1)),
        dir.resolve("halves").resolve(CheckpointLayout.dirName(1)),
        1e-5);
  }

  @Test
  void aCrashedMaskedRunResumesToTheSameWeightsAndItsCheckpointSamples(@TempDir Path dir)
      throws IOException {
    TrainConfig cfg =
        flow(dataset, dir.resolve("straight"), 4, 4).toBuilder().saveInterval(2).build();
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
    assertEquals(straight.lastLoss(), resumed.lastLoss(), 0.0);
    assertWeightsClose(straight.lastCheckpoint(), resumed.lastCheckpoint(), 0.0);

    RunConfig rc = CheckpointLayout.readConfig(straight.lastCheckpoint());
    assertEquals(DiffusionProcess.RFLOW, rc.process().process());
    assertEquals(
        List.of(MaskType.IMAGE_HEAD, MaskType.RANDOM, MaskType.IDENTITY),
        List.copyOf(rc.train().maskRatios().ratios().keySet()));
    try (TextToVideoPipeline p =
            TextToVideoPipeline.load(straight.lastCheckpoint(), true, Devices.cpu());
        Tensor video =
            p.generate(
                new GenerationRequest(
                    List.of("a red square moving right"),
                    4,
                    16,
                    16,
                    3,
                    Sampler.Method.DDIM,
                    0,
                    4.0,
                    1),
                io.jsora.diffusion.SamplingProgress.NONE)) {
      org.junit.jupiter.api.Assertions.assertArrayEquals(
          new long[] {1, 4, 16, 16, 3}, Shapes.of(video));
    }
  }

  @Test
  void frameMasksNeedRectifiedFlow() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                TrainFixtures.config(dataset, shared.resolve("x"), 1, 1).toBuilder()
                    .maskRatios(MaskRatios.of(Map.of("image_head", 1.0)))
                    .build());
    assertTrue(e.getMessage().contains("mask_ratios"), e.getMessage());
  }

  @Test
  void theTimestepTransformOnShortVideosIsRefusedBeforeTraining(@TempDir Path dir) {
    TrainConfig cfg = flow(dataset, dir, 1, 1).toBuilder().timestepTransform(true).build();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new Trainer(cfg).close());
    assertTrue(
        e.getMessage().contains("timestep_transform") && e.getMessage().contains("4 frames"),
        e.getMessage());
  }

  private static void assertWeightsClose(Path a, Path b, double tol) throws IOException {
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
