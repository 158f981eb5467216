package io.jsora.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jsora.checkpoint.StateDict;
import io.jsora.diffusion.PerSampleRandom;
import io.jsora.parallel.AdamWConfig;
import io.jsora.run.CheckpointLayout;
import io.jsora.run.ResumeSpec;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Natives;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointerTest {
  @TempDir Path root;

  @BeforeAll
  static void natives() {
    Natives.load();
  }

  static final AdamWConfig ADAMW = AdamWConfig.defaults().withLr(0.02).withWeightDecay(0.01);
  static final LrSchedule SCHEDULE = LrSchedule.of("cosine", 0.02, 2, 12, 1e-4);
  static final long SEED = 77;

  /** A model, its optimizer and EMA, trained the way a trainer would. */
  static final class Run implements AutoCloseable {
    final TinyNet net;
    final AdamWOptimizer opt;
    final Ema ema;
    final NanGuard guard = new NanGuard(3);
    TrainState state = TrainState.fresh(SEED, SCHEDULE);

    Run(long initSeed) {
      net = new TinyNet(initSeed);
      opt = AdamWOptimizer.create(net, ADAMW);
      ema = Ema.of(net, 0.9);
    }

    /** Steps up to {@code end}; inputs get per-sample noise keyed by (seed, step, index). */
    void trainTo(long end) {
      PerSampleRandom random = new PerSampleRandom(state.seed());
      LrSchedule schedule = state.schedule();
      for (long step = state.step(); step < end; step++) {
        try (PointerScope s = new PointerScope();
            Device cpu = Devices.cpu()) {
          schedule.apply(opt, step);
          Tensor[] b = TinyNet.batch(step % 4); // an "epoch" of 4 batches
          Tensor x = b[0].add(random.noise(step, PerSampleRandom.range(0, 8), new long[] {3}, cpu));
          Tensor err = net.forward(x).sub(b[1]);
          Tensor loss = err.mul(err).mean();
          opt.zeroGrad();
          loss.backward();
          double norm = GradClip.clip(opt.parameters(), 1.0);
          if (guard.admit(step, loss.item_double(), norm)) {
            opt.step();
            ema.update();
          }
        }
        state =
            state
                .withStep(step + 1, (step + 1) / 4, (step + 1) * 8)
                .withData(new SamplerPosition(0, (int) ((step + 1) / 4), (int) ((step + 1) % 4), 8))
                .withNan(guard);
      }
    }

    Path save(Checkpointer c) throws IOException {
      return c.save(
          net, ema, opt, state, Map.of("model", Map.of("name", "tiny"), "lr", ADAMW.lr()));
    }

    @Override
    public void close() {
      ema.close();
      opt.close();
      net.close();
    }
  }

  private static void assertSameWeights(StateDict a, StateDict b, String what) {
    assertEquals(a.names(), b.names(), what);
    for (String n : a.names()) {
      assertTrue(a.get(n).equal(b.get(n)), what + ": " + n + " differs");
    }
  }

  @Test
  void resumedRunEndsBitIdenticalToAnUninterruptedOne() throws Exception {
    Checkpointer cp = new Checkpointer(root, 3);
    try (Run straight = new Run(5);
        Run first = new Run(5)) {
      straight.trainTo(10);
      first.trainTo(5);
      Path dir = first.save(cp);
      assertEquals(root.resolve("step-0000005"), dir);
      for (String f :
          List.of(
              CheckpointLayout.MODEL,
              CheckpointLayout.EMA,
              CheckpointLayout.OPTIMIZER,
              CheckpointLayout.STATE,
              CheckpointLayout.CONFIG)) {
        assertTrue(Files.isRegularFile(dir.resolve(f)), f);
      }
      // a fresh process: different initial weights, everything comes from the checkpoint
      try (Run resumed = new Run(123)) {
        resumed.state = Checkpointer.restore(dir, resumed.net, resumed.ema, resumed.opt);
        assertEquals(5, resumed.state.step());
        assertEquals(1, resumed.state.epoch());
        assertEquals(40, resumed.state.samplesSeen());
        assertEquals(new SamplerPosition(0, 1, 1, 8), resumed.state.data());
        assertEquals(SCHEDULE, resumed.state.schedule());
        resumed.trainTo(10);
        try (StateDict a = StateDict.of(straight.net);
            StateDict b = StateDict.of(resumed.net)) {
          assertSameWeights(a, b, "model");
        }
        try (StateDict a = straight.ema.stateDict();
            StateDict b = resumed.ema.stateDict()) {
          assertSameWeights(a, b, "EMA");
        }
        try (StateDict a = straight.opt.stateDict(root);
            StateDict b = resumed.opt.stateDict(root)) {
          assertSameWeights(a, b, "optimizer");
        }
      }
      JsonNode config = CheckpointLayout.readConfigTree(dir);
      assertEquals("tiny", config.path("model").path("name").asText());
      // EMA weights load into a model for sampling (buffers are in the file too)
      try (TinyNet sampler = new TinyNet(9);
          StateDict ema = first.ema.stateDict()) {
        CheckpointLayout.loadWeights(dir, sampler, true);
        try (StateDict got = StateDict.of(sampler)) {
          for (String n : ema.names()) {
            assertTrue(ema.get(n).equal(got.get(n)), n);
          }
        }
      }
    }
  }

  @Test
  void aCrashMidSaveLeavesThePreviousCheckpointUsable() throws Exception {
    Checkpointer cp = new Checkpointer(root, 0);
    try (Run run = new Run(5)) {
      run.trainTo(3);
      Path good = run.save(cp);
      run.trainTo(6);
      cp.setHook(
          file -> {
            if (file.equals(CheckpointLayout.OPTIMIZER)) {
              throw new IOException("simulated crash after " + file);
            }
          });
      IOException e = assertThrows(IOException.class, () -> run.save(cp));
      assertTrue(e.getMessage().contains("simulated crash"));
      assertEquals(Optional.of(good), CheckpointLayout.latest(root));
      assertFalse(Files.exists(root.resolve("step-0000006")));
      // what a killed process leaves: a half-written temporary directory, and a foreign
      // step directory with no state.json; neither is taken for a checkpoint
      Path stale = Files.createDirectories(root.resolve(".tmp-step-0000006-12345"));
      Files.write(stale.resolve(CheckpointLayout.MODEL), new byte[] {1, 2, 3});
      Files.createDirectories(root.resolve("step-0000009"));
      assertEquals(Optional.of(good), CheckpointLayout.latest(root));
      assertEquals(Optional.of(good), CheckpointLayout.resolveResume(ResumeSpec.AUTO, root));
      try (Run resumed = new Run(8)) {
        assertEquals(3, Checkpointer.restore(good, resumed.net, resumed.ema, resumed.opt).step());
      }
      cp.setHook(file -> {});
      Path next = run.save(cp);
      assertEquals(Optional.of(next), CheckpointLayout.latest(root));
      assertFalse(Files.exists(stale), "the next save removes leftovers");
    }
  }

  @Test
  void keepsTheLastKAndResolvesResumeSpecs() throws Exception {
    assertEquals(
        Optional.empty(),
        CheckpointLayout.resolveResume(ResumeSpec.AUTO, root),
        "auto with nothing saved: a fresh run");
    assertEquals(Optional.empty(), CheckpointLayout.resolveResume(ResumeSpec.NONE, root));
    Checkpointer cp = new Checkpointer(root, 2);
    try (Run run = new Run(5)) {
      for (int k = 1; k <= 4; k++) {
        run.trainTo(k);
        run.save(cp);
      }
      run.save(cp); // the same step again (a final save after an interval save) replaces it
    }
    List<Path> left = CheckpointLayout.list(root);
    assertEquals(List.of(root.resolve("step-0000003"), root.resolve("step-0000004")), left);
    try (var s = Files.list(root)) {
      assertEquals(2, s.count(), "no temporary or trash directories remain");
    }
    assertEquals(
        Optional.of(root.resolve("step-0000004")),
        CheckpointLayout.resolveResume(ResumeSpec.AUTO, root));
    assertEquals(
        Optional.of(root.resolve("step-0000003")),
        CheckpointLayout.resolveResume(
            ResumeSpec.parse(root.resolve("step-0000003").toString()), root));
    assertEquals(
        root.resolve("step-0000004"),
        CheckpointLayout.resolve(root),
        "a run directory means its latest checkpoint");
    NoSuchFileException e =
        assertThrows(
            NoSuchFileException.class,
            () ->
                CheckpointLayout.resolveResume(
                    ResumeSpec.parse(root.resolve("nope").toString()), root));
    assertTrue(e.getMessage().contains("nope"), e.getMessage());
    assertEquals(4, CheckpointLayout.stepOf(root.resolve("step-0000004")));
    assertEquals("step-12345678", CheckpointLayout.dirName(12345678));
  }
}
