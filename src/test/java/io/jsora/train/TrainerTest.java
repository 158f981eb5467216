package io.jsora.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.SafetensorsFile;
import io.jsora.checkpoint.StateDict;
import io.jsora.run.CheckpointLayout;
import io.jsora.run.ResumeSpec;
import io.jsora.run.TrainConfig;
import io.jsora.tensor.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
  @TempDir static Path shared;
  static Path dataset;

  @BeforeAll
  static void data() throws IOException {
    dataset = TrainFixtures.dataset(shared, 16, 4, 3);
  }

  /** Stops a run right after the checkpoint of step {@code at}, as a crash would. */
  static final class CrashAfter implements TrainListener {
    final long at;

    CrashAfter(long at) {
      this.at = at;
    }

    @Override
    public void onCheckpoint(long step, Path dir) {
      if (step == at) {
        throw new IllegalStateException("simulated crash after step " + step);
      }
    }
  }

  private static void assertSameTensors(Path a, Path b) throws IOException {
    try (StateDict x = SafetensorsFile.read(a);
        StateDict y = SafetensorsFile.read(b)) {
      assertEquals(x.names(), y.names());
      for (String n : x.names()) {
        Tensor p = x.get(n);
        Tensor q = y.get(n);
        assertTrue(p.equal(q), n + " differs between " + a + " and " + b);
      }
    }
  }

  @Test
  void interruptedAndResumedRunEndsWithIdenticalWeights(@TempDir Path dir) throws IOException {
    TrainConfig cfg =
        TrainFixtures.config(dataset, dir.resolve("straight"), 8, 4).toBuilder()
            .saveInterval(4)
            .build();
    Trainer.Result straight;
    try (Trainer t = new Trainer(cfg)) {
      straight = t.run();
    }
    assertEquals(8, straight.steps());

    TrainConfig broken = cfg.toBuilder().checkpointDir(dir.resolve("broken").toString()).build();
    try (Trainer t = new Trainer(broken)) {
      t.listen(new CrashAfter(4));
      IllegalStateException e = assertThrows(IllegalStateException.class, t::run);
      assertEquals("simulated crash after step 4", e.getMessage());
    }
    assertEquals(
        List.of(dir.resolve("broken/step-0000004")), CheckpointLayout.list(dir.resolve("broken")));
    Trainer.Result resumed;
    try (Trainer t = new Trainer(broken.toBuilder().resume(ResumeSpec.AUTO).build())) {
      resumed = t.run();
    }
    assertEquals(8, resumed.steps());
    assertEquals(straight.lastLoss(), resumed.lastLoss(), 0.0, "same last loss");
    for (String f :
        new String[] {CheckpointLayout.MODEL, CheckpointLayout.EMA, CheckpointLayout.OPTIMIZER}) {
      assertSameTensors(straight.lastCheckpoint().resolve(f), resumed.lastCheckpoint().resolve(f));
    }
    // the metrics log holds each step once, also across the crash
    List<String> lines = Files.readAllLines(dir.resolve("broken/metrics.jsonl"));
    assertEquals(8, lines.size());
  }

  @Test
  void checkpointsCarryEverythingSamplingNeeds(@TempDir Path dir) throws IOException {
    try (Trainer t = new Trainer(TrainFixtures.config(dataset, dir, 2, 4))) {
      Trainer.Result r = t.run();
      Path ck = r.lastCheckpoint();
      for (String f :
          new String[] {
            "model.safetensors",
            "ema.safetensors",
            "optimizer.safetensors",
            "state.json",
            "config.json",
            "text_encoder/config.json",
            "text_encoder/tokenizer.json",
            "text_encoder/model.safetensors"
          }) {
        assertTrue(Files.isRegularFile(ck.resolve(f)), f);
      }
      var cfg = CheckpointLayout.readConfigTree(ck);
      assertEquals("builtin:text_encoder", cfg.path("text_encoder").asText());
      assertEquals("raw", cfg.path("compressor").path("name").asText());
      assertEquals(4, cfg.path("data").path("frames").asInt());
      assertEquals(16, cfg.path("data").path("height").asInt());
      assertEquals(8.0, cfg.path("data").path("fps").asDouble());
      assertEquals("self-cross", cfg.path("model").path("model_arch").asText());
      assertEquals("states", cfg.path("text_input").asText());
      assertTrue(Files.isRegularFile(dir.resolve("loss.png")));
    }
  }

  @Test
  void divergingRunStopsWithAClearMessage(@TempDir Path dir) throws IOException {
    TrainConfig cfg =
        TrainFixtures.config(dataset, dir, 50, 4).toBuilder()
            .lr(1e30)
            .nanTolerance(3)
            .gradClip(0.0)
            .warmupSteps(0)
            .build();
    try (Trainer t = new Trainer(cfg)) {
      NanGuard.DivergedException e = assertThrows(NanGuard.DivergedException.class, t::run);
      assertTrue(e.getMessage().contains("3"), e.getMessage());
    }
  }

  @Test
  void mismatchedResumeIsRefused(@TempDir Path dir) throws IOException {
    try (Trainer t = new Trainer(TrainFixtures.config(dataset, dir, 1, 4))) {
      t.run();
    }
    TrainConfig other =
        TrainFixtures.config(dataset, dir, 2, 4).toBuilder().model("DiT-T/8").build();
    try (Trainer t = new Trainer(other)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, t::run);
      assertTrue(e.getMessage().contains("differs from this run's"), e.getMessage());
    }
  }

  @Test
  void badSettingsAreRefusedUpFront(@TempDir Path dir) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> TrainFixtures.config(dataset, dir, 1, 4).toBuilder().batchSize(0).build());
    assertEquals("batch_size must be >= 1, got 0", e.getMessage());
    IllegalArgumentException c =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new Trainer(
                        TrainFixtures.config(dataset, dir, 1, 4).toBuilder()
                            .compressor(io.jsora.model.vae.CompressorKind.VAE)
                            .build())
                    .close());
    assertTrue(c.getMessage().contains("caches latents made by 'raw'"), c.getMessage());
  }

  @Test
  void perSampleRandomnessDoesNotDependOnBatchSize(@TempDir Path dir) throws IOException {
    // one step of 8 samples vs two accumulated micro-batches of 4: the same samples, noise and
    // timesteps
    TrainConfig whole =
        TrainFixtures.config(dataset, dir.resolve("whole"), 1, 8).toBuilder()
            .textDropout(0.5)
            .build();
    TrainConfig halves =
        whole.toBuilder()
            .checkpointDir(dir.resolve("halves").toString())
            .batchSize(4)
            .accumulationSteps(2)
            .build();
    Trainer.Result a;
    Trainer.Result b;
    try (Trainer t = new Trainer(whole)) {
      a = t.run();
    }
    try (Trainer t = new Trainer(halves)) {
      b = t.run();
    }
    assertEquals(a.lastLoss(), b.lastLoss(), 1e-5 * Math.abs(a.lastLoss()));
    try (StateDict x = SafetensorsFile.read(a.lastCheckpoint().resolve("model.safetensors"));
        StateDict y = SafetensorsFile.read(b.lastCheckpoint().resolve("model.safetensors"))) {
      for (String n : x.names()) {
        float[] p = Tensors.toFloats(x.get(n));
        float[] q = Tensors.toFloats(y.get(n));
        for (int i = 0; i < p.length; i++) {
          assertEquals(p[i], q[i], 1e-5f + 1e-4f * Math.abs(p[i]), n + "[" + i + "]");
        }
      }
    }
    assertArrayEquals(new long[] {1}, new long[] {a.steps()});
  }
}
