package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.SafetensorsFile;
import io.jsora.checkpoint.StateDict;
import io.jsora.parallel.Launcher;
import io.jsora.run.CheckpointLayout;
import io.jsora.train.TrainFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real {@code jsora train} process killed with SIGKILL (no shutdown hook, no flush) at a seeded
 * random step, then run again with {@code --resume auto}, ends with the same weights, EMA and
 * optimizer state as an uninterrupted run, to the bit.
 */
class TrainKillResumeTest {
  private static final int STEPS = 16;

  private static List<String> trainArgs(Path dataset, Path run) {
    return List.of(
        "train",
        "-d",
        dataset.toString(),
        "-m",
        "DiT-T/4",
        "-x",
        "self-cross",
        "-b",
        "4",
        "--max-steps",
        Integer.toString(STEPS),
        "--lr",
        "2e-3",
        "--warmup-steps",
        "2",
        "--ema-decay",
        "0.9",
        "--text-dropout",
        "0.5",
        "--save-interval",
        "1",
        "--keep-last",
        "0",
        "--seed",
        "5",
        "--workers",
        "1",
        "--device",
        "cpu",
        "--checkpoint-dir",
        run.toString());
  }

  /** The CLI in a child JVM (one libtorch thread, so every process sums in the same order). */
  private static Process start(List<String> args, Path log) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(Launcher.javaCommand(Main.class.getName(), args))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().put("JSORA_THREADS", "1");
    return pb.start();
  }

  private static void finish(Process p, Path log) throws Exception {
    try {
      assertTrue(
          p.waitFor(150, TimeUnit.SECONDS), "train did not finish:\n" + Files.readString(log));
      assertEquals(0, p.exitValue(), Files.readString(log));
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  @Timeout(400)
  void killedAtARandomStepAndResumedEqualsAnUninterruptedRun(@TempDir Path dir) throws Exception {
    Path dataset = TrainFixtures.dataset(dir, 8, 4, 2);
    int killAfter = 2 + new Random(20261203L).nextInt(STEPS - 6); // a checkpoint in 2..11
    Path straight = dir.resolve("straight");
    Path killed = dir.resolve("killed");
    Path log = dir.resolve("train.log");

    Process p = start(trainArgs(dataset, killed), log);
    long killedAt;
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
      while (CheckpointLayout.latest(killed).map(CheckpointLayout::stepOf).orElse(0L) < killAfter) {
        assertTrue(p.isAlive(), "train ended before it could be killed:\n" + Files.readString(log));
        assertTrue(
            System.nanoTime() < deadline, "train made no progress:\n" + Files.readString(log));
        Thread.sleep(5);
      }
    } finally {
      p.destroyForcibly(); // SIGKILL: maybe in the middle of the next step or of writing its
      // checkpoint
      p.waitFor();
    }
    killedAt = CheckpointLayout.latest(killed).map(CheckpointLayout::stepOf).orElse(0L);
    assertTrue(
        killedAt >= killAfter && killedAt < STEPS, "killed at step " + killedAt + " of " + STEPS);

    List<String> resume = new ArrayList<>(trainArgs(dataset, killed));
    resume.addAll(List.of("--resume", "auto"));
    finish(start(resume, log), log);
    String resumedLog = Files.readString(log);
    finish(start(trainArgs(dataset, straight), log), log);

    Path a = straight.resolve(CheckpointLayout.dirName(STEPS));
    Path b = killed.resolve(CheckpointLayout.dirName(STEPS));
    assertTrue(Files.isDirectory(b), "the resumed run's last checkpoint:\n" + resumedLog);
    for (String f :
        new String[] {CheckpointLayout.MODEL, CheckpointLayout.EMA, CheckpointLayout.OPTIMIZER}) {
      try (StateDict x = SafetensorsFile.read(a.resolve(f));
          StateDict y = SafetensorsFile.read(b.resolve(f))) {
        assertEquals(x.names(), y.names(), f);
        for (String n : x.names()) {
          Tensor s = x.get(n);
          Tensor r = y.get(n);
          assertTrue(
              s.equal(r),
              f + " " + n + " differs after a kill at step " + killedAt + " and --resume auto");
        }
      }
    }
    List<String> metrics = Files.readAllLines(killed.resolve("metrics.jsonl"));
    assertEquals(STEPS, metrics.size(), "each step logged once across the kill");
    System.out.println(
        "killed after checkpoint " + killAfter + " was written; resumed from step " + killedAt);
  }
}
