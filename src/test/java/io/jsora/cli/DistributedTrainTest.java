package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.checkpoint.SafetensorsFile;
import io.jsora.checkpoint.StateDict;
import io.jsora.parallel.DistEnv;
import io.jsora.parallel.DistributedException;
import io.jsora.parallel.Launcher;
import io.jsora.parallel.Workers;
import io.jsora.run.CheckpointLayout;
import io.jsora.run.TrainConfig;
import io.jsora.train.TrainFixtures;
import io.jsora.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code jsora train} on several processes through {@code jsora launch} (Gloo on 127.0.0.1),
 * against the real trainer in one process on the same tiny dataset: data parallelism, ZeRO-2, data
 * × sequence parallelism with resume, and which rank writes what.
 *
 * <p>The reference is one process with batch 4 (a global batch of 4 rows per step); the distributed
 * runs use batch 2 per data-parallel replica and 2 replicas, so every step sees the same rows with
 * the same noise, timesteps and caption dropout. A constant learning rate (after warm-up) makes a
 * run that stops at step 3 the prefix of one that stops at step 4.
 */
class DistributedTrainTest {
  /**
   * Max |weight or optimizer-state difference| after a few AdamW steps, relative to the tensor's
   * largest magnitude (at least 1): gradients averaged over two ranks (or summed over sequence
   * slices) differ from one process's by float32 round-off, which Adam's normalisation passes on to
   * the update. Measured: 1.0e-6 (2 ranks), 1.2e-6 (2 × 2 ranks and a resume); ZeRO-2 against plain
   * data parallelism: identical.
   */
  static final double WEIGHT_TOL = 5e-6;

  /**
   * Max relative difference of a step's loss and gradient norm. Measured: 1.1e-7 for the loss;
   * 4.4e-7 for ZeRO-2's gradient norm (summed in float64 over shards, against libtorch's float32
   * norm).
   */
  static final double LOSS_TOL = 2e-6;

  @TempDir static Path shared;
  static Path dataset;
  static Path reference;
  static final List<String> report = new ArrayList<>();

  @BeforeAll
  static void referenceRun() throws IOException {
    dataset = TrainFixtures.dataset(shared, 16, 4, 3);
    reference = shared.resolve("reference");
    try (Trainer t = new Trainer(config(reference, 4, 4))) {
      assertEquals(4, t.run().steps());
    }
  }

  /**
   * The fixture's tiny self-cross DiT-T/4 with a constant learning rate and a checkpoint every
   * step.
   */
  static TrainConfig config(Path run, long steps, int batch) {
    return TrainFixtures.config(dataset, run, steps, batch).toBuilder()
        .lrSchedule(TrainConfig.LrScheduleKind.CONSTANT)
        .saveInterval(1)
        .keepLast(0)
        .build();
  }

  static Path configFile(Path dir, TrainConfig cfg) throws IOException {
    Path f = dir.resolve("train-" + Path.of(cfg.checkpointDir()).getFileName() + ".json");
    new ObjectMapper().writeValue(f.toFile(), cfg);
    return f;
  }

  /**
   * {@code jsora train} on {@code nproc} workers started by the launcher itself, with jsora's info
   * logging on (the tests' logging configuration is otherwise warnings only), so that what each
   * rank logs can be checked.
   */
  static Workers.Result launchLogging(int nproc, String... trainArgs) throws Exception {
    List<String> args = new ArrayList<>(List.of("train"));
    args.addAll(List.of(trainArgs));
    return Workers.launch(
        new Launcher.Spec(
            nproc,
            1,
            0,
            "127.0.0.1",
            0,
            Main.class.getName(),
            args,
            Duration.ofSeconds(5),
            Map.of("JSORA_LOG_LEVEL", "INFO")),
        Duration.ofSeconds(100));
  }

  /** {@code jsora launch --nproc-per-node N -- train ...}, in-process. */
  static Cli launch(int nproc, String... trainArgs) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "launch",
                "--nproc-per-node",
                Integer.toString(nproc),
                "--grace-period",
                "5",
                "--",
                "train"));
    args.addAll(List.of(trainArgs));
    return Cli.run(args.toArray(new String[0]));
  }

  @Test
  @Timeout(240)
  void twoProcessesEqualOneWithTheDoubledBatchAndZero2EqualsPlainDataParallel(@TempDir Path dir)
      throws Exception {
    Path dp = dir.resolve("dp");
    Workers.Result r = launchLogging(2, "--config", configFile(dir, config(dp, 3, 2)).toString());
    assertEquals(0, r.status(), r.all());
    // rank 0 speaks and writes for the job; rank 1 only trains
    assertTrue(r.out().contains("[rank 0] trained 3 steps"), r.out());
    assertTrue(
        r.err().contains("[rank 0]")
            && r.err().contains("over 2 data-parallel replica(s) x 1 sequence-parallel rank(s)"),
        r.err());
    assertFalse(
        r.out().contains("[rank 1] trained") || r.out().contains("[rank 1] effective config"),
        r.out());
    assertFalse(
        r.err().lines().anyMatch(l -> l.startsWith("[rank 1]") && l.contains(" INFO ")), r.err());
    try (Stream<Path> files = Files.list(dp)) {
      assertEquals(
          List.of("loss.png", "metrics.jsonl", "step-0000001", "step-0000002", "step-0000003"),
          files.map(p -> p.getFileName().toString()).sorted().toList());
    }
    compareMetrics("dp 2x2 vs 1x4", dp, reference, 3);
    compareCheckpoints(
        "dp 2x2 vs 1x4", dp.resolve("step-0000003"), reference.resolve("step-0000003"));

    Path zero = dir.resolve("zero");
    Workers.Result z =
        launchLogging(2, "--config", configFile(dir, config(zero, 3, 2)).toString(), "--zero", "2");
    assertEquals(0, z.status(), z.all());
    assertTrue(
        z.err().contains("over 2 data-parallel replica(s) x 1 sequence-parallel rank(s), ZeRO-2"),
        z.err());
    compareCheckpoints(
        "zero-2 vs plain dp", zero.resolve("step-0000003"), dp.resolve("step-0000003"));
    compareMetrics("zero-2 vs 1x4", zero, reference, 3);
    System.out.println(String.join("\n", report));
    report.clear();
  }

  @Test
  @Timeout(240)
  void rectifiedFlowWithFrameMasksOnTwoProcessesEqualsOne(@TempDir Path dir) throws Exception {
    TrainConfig one =
        config(dir.resolve("one"), 2, 4).toBuilder()
            .process(io.jsora.run.DiffusionProcess.RFLOW)
            .maskRatios(
                io.jsora.diffusion.rflow.MaskRatios.of(
                    io.jsora.train.RectifiedFlowTrainingTest.ordered(
                        "image_head", 0.4, "quarter_tail", 0.3)))
            .build();
    try (Trainer t = new Trainer(one)) {
      assertEquals(2, t.run().steps());
    }
    Path dp = dir.resolve("dp");
    TrainConfig two = one.toBuilder().checkpointDir(dp.toString()).batchSize(2).build();
    Workers.Result r = launchLogging(2, "--config", configFile(dir, two).toString());
    assertEquals(0, r.status(), r.all());
    compareMetrics("rflow dp 2x2 vs 1x4", dp, dir.resolve("one"), 2);
    compareCheckpoints(
        "rflow dp 2x2 vs 1x4",
        dp.resolve("step-0000002"),
        dir.resolve("one").resolve("step-0000002"));
    System.out.println(String.join("\n", report));
    report.clear();
  }

  @Test
  @Timeout(300)
  void fourProcessesOfDataTimesSequenceParallelTrainAndResume(@TempDir Path dir) throws Exception {
    Path run = dir.resolve("mesh");
    Path cfg = configFile(dir, config(run, 3, 2));
    // from the one-process checkpoint of step 1: two steps as 2 replicas x 2 sequence ranks, ZeRO-2
    Cli first =
        launch(
            4,
            "--config",
            cfg.toString(),
            "--sp-size",
            "2",
            "--zero",
            "2",
            "--resume",
            reference.resolve(CheckpointLayout.dirName(1)).toString());
    assertEquals(0, first.code(), first.out() + first.err());
    assertTrue(
        first.out().contains("[rank 0] trained 2 steps (steps 2 to 3)")
            && !first.out().contains("[rank 2] trained"),
        first.out());
    assertEquals(
        List.of(run.resolve("step-0000002"), run.resolve("step-0000003")),
        CheckpointLayout.list(run));
    // then resume its own checkpoint for one more step, with the other attention mode
    Cli second =
        launch(
            4,
            "--config",
            cfg.toString(),
            "--max-steps",
            "4",
            "--sp-size",
            "2",
            "--sp-mode",
            "fastseq",
            "--zero",
            "2");
    assertEquals(0, second.code(), second.out() + second.err());
    assertEquals(
        List.of(2L, 3L, 4L),
        new ArrayList<>(metrics(run).keySet()),
        "steps logged by the first run, then the resumed one");
    compareCheckpoints(
        "dp 2 x sp 2 + resume vs 1x4",
        run.resolve("step-0000004"),
        reference.resolve("step-0000004"));
    compareMetrics("dp 2 x sp 2 + resume vs 1x4", run, reference, 4);
    System.out.println(String.join("\n", report));
    report.clear();
  }

  @ParameterizedTest(name = "sp size {0}")
  @ValueSource(ints = {1, 2})
  @Timeout(150)
  void aKilledRankMakesTheOtherStopWithAMessageNamingIt(int sp, @TempDir Path dir)
      throws Exception {
    Path run = dir.resolve("killed");
    List<String> cmd =
        Launcher.javaCommand(
            Main.class.getName(),
            List.of(
                "train",
                "--config",
                configFile(dir, config(run, 100_000, 2).toBuilder().saveInterval(0).build())
                    .toString(),
                "--dist-timeout",
                "10",
                "--sp-size",
                Integer.toString(sp)));
    int port = Launcher.freePort();
    List<Process> ps = new ArrayList<>();
    List<Path> logs = new ArrayList<>();
    try {
      for (int rank = 0; rank < 2; rank++) {
        Path log = dir.resolve("rank" + rank + ".log");
        logs.add(log);
        ProcessBuilder pb =
            new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment()
            .putAll(new DistEnv(rank, 2, rank, 2, "127.0.0.1", port, "test").toEnvironment());
        pb.environment().put("JSORA_THREADS", "1");
        ps.add(pb.start());
      }
      // mid-run: rank 0 has logged a few steps
      Path metrics = run.resolve("metrics.jsonl");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (!Files.exists(metrics) || Files.readAllLines(metrics).size() < 3) {
        assertTrue(
            System.nanoTime() < deadline && ps.get(0).isAlive() && ps.get(1).isAlive(),
            "the run did not get going:\n"
                + Files.readString(logs.get(0))
                + Files.readString(logs.get(1)));
        Thread.sleep(50);
      }
      long killed = System.nanoTime();
      ps.get(1).destroyForcibly(); // SIGKILL
      boolean stopped = ps.get(0).waitFor(60, TimeUnit.SECONDS);
      double seconds = (System.nanoTime() - killed) / 1e9;
      String out0 = Files.readString(logs.get(0));
      assertTrue(stopped, "rank 0 still runs 60 s after rank 1 was killed:\n" + out0);
      assertEquals(DistributedException.EXIT_STATUS, ps.get(0).exitValue(), out0);
      assertTrue(
          out0.contains("jsora train: error: rank 0: ") && out0.contains("failed: rank 1 died"),
          out0);
      System.out.printf(
          "killed rank 1 at step %d; rank 0 exited %.1f s later (collective timeout 10 s): %s%n",
          Files.readAllLines(metrics).size(),
          seconds,
          out0.lines().filter(l -> l.contains("error:")).findFirst().orElse(""));
    } finally {
      for (Process p : ps) {
        p.destroyForcibly();
      }
    }
  }

  /**
   * Step losses and gradient norms of {@code run} (its metrics.jsonl, from its first logged step)
   * equal the reference's.
   */
  static void compareMetrics(String what, Path run, Path ref, long lastStep) throws IOException {
    Map<Long, JsonNode> a = metrics(run);
    Map<Long, JsonNode> b = metrics(ref);
    double worst = 0;
    for (Map.Entry<Long, JsonNode> e : a.entrySet()) {
      JsonNode want = b.get(e.getKey());
      for (String k : new String[] {"loss", "grad_norm", "mse"}) {
        double x = e.getValue().path(k).asDouble();
        double y = want.path(k).asDouble();
        double rel = Math.abs(x - y) / Math.abs(y);
        assertTrue(
            rel <= LOSS_TOL,
            what
                + ": step "
                + e.getKey()
                + " "
                + k
                + " "
                + x
                + " vs "
                + y
                + " (relative "
                + rel
                + ")");
        worst = Math.max(worst, rel);
      }
      assertEquals(
          want.path("samples").asLong(),
          e.getValue().path("samples").asLong(),
          what + ": samples of step " + e.getKey());
    }
    assertTrue(a.containsKey(lastStep), what + ": metrics end at step " + lastStep);
    report.add(
        String.format(
            "%s: worst relative loss/grad-norm difference %.2e over %d steps",
            what, worst, a.size()));
  }

  static Map<Long, JsonNode> metrics(Path run) throws IOException {
    Map<Long, JsonNode> m = new java.util.TreeMap<>();
    ObjectMapper json = new ObjectMapper();
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      JsonNode n = json.readTree(line);
      m.put(n.path("step").asLong(), n);
    }
    return m;
  }

  /** Model, EMA and (full) optimizer state of two checkpoints agree within {@link #WEIGHT_TOL}. */
  static void compareCheckpoints(String what, Path a, Path b) throws IOException {
    double worst = 0;
    String worstName = "";
    for (String f :
        new String[] {CheckpointLayout.MODEL, CheckpointLayout.EMA, CheckpointLayout.OPTIMIZER}) {
      try (StateDict x = SafetensorsFile.read(a.resolve(f));
          StateDict y = SafetensorsFile.read(b.resolve(f));
          PointerScope s = new PointerScope()) {
        assertEquals(y.names(), x.names(), what + ": entries of " + f);
        for (String n : x.names()) {
          Tensor p = x.get(n).to(org.bytedeco.pytorch.global.torch.ScalarType.Double);
          Tensor q = y.get(n).to(org.bytedeco.pytorch.global.torch.ScalarType.Double);
          double rel =
              p.sub(q).abs().max().item_double() / Math.max(1, q.abs().max().item_double());
          assertTrue(
              rel <= WEIGHT_TOL, what + ": " + f + " " + n + " differs by " + rel + " (relative)");
          if (rel > worst) {
            worst = rel;
            worstName = f + " " + n;
          }
        }
      }
    }
    report.add(
        String.format(
            "%s: worst relative weight/state difference %.2e (%s)", what, worst, worstName));
  }
}
