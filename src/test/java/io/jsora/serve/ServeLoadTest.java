package io.jsora.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.bench.Memory;
import io.jsora.bench.ServeBench;
import io.jsora.serve.ServeFixtures.TestGenerator;
import io.jsora.tensor.DeviceSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 32 concurrent clients, 200 jobs, a queue of 16: every job is accepted once (after 429s), runs
 * exactly once and completes; resident memory after the run stays near where it was after warm-up.
 */
class ServeLoadTest {
  static final int CLIENTS = 32;
  static final int JOBS = 200;

  /** Resident growth allowed over the run (the JVM heap may still grow a little). */
  static final long RSS_SLACK = 384L << 20;

  @TempDir Path dir;

  @Test
  void noJobIsLostOrRunTwiceAndEveryAcceptedJobCompletes() throws Exception {
    Path ckpt = ServeFixtures.checkpoint(dir);
    try (PipelineGenerator real = PipelineGenerator.load(ckpt, true, DeviceSpec.CPU, 1)) {
      TestGenerator gen = new TestGenerator(real);
      gen.release();
      ServeConfig cfg = ServeFixtures.config(ckpt, dir.resolve("outputs")).withMaxQueue(16);
      try (VideoServer server = VideoServer.start(cfg, gen)) {
        IntFunction<String> body = i -> ServeFixtures.body("load job " + i);
        ServeBench.drive(
            server.uri(),
            Optional.empty(),
            1,
            1,
            i -> ServeFixtures.body("warm-up"),
            Duration.ofMillis(20),
            Duration.ofMillis(50),
            Duration.ofMinutes(2));
        System.gc();
        long rssBefore = Memory.residentBytes();
        ServeBench.Load load =
            ServeBench.drive(
                server.uri(),
                Optional.empty(),
                CLIENTS,
                JOBS,
                body,
                Duration.ofMillis(50),
                Duration.ofMillis(100),
                Duration.ofMinutes(6));
        System.gc();
        long rssAfter = Memory.residentBytes();
        System.out.printf(
            "load: %d jobs in %.1f s (%.2f jobs/s), %d answers 429, status p50 %.4f s p99 %.4f s, queue wait p50 %.2f s,"
                + " resident %d -> %d MiB%n",
            JOBS,
            load.wallS(),
            JOBS / load.wallS(),
            load.rejected(),
            ServeBench.quantile(load.statusLatencyS(), 0.5),
            ServeBench.quantile(load.statusLatencyS(), 0.99),
            ServeBench.quantile(load.queueWaitS(), 0.5),
            rssBefore >> 20,
            rssAfter >> 20);
        assertEquals(java.util.List.of(), load.errors());
        assertEquals(JOBS, load.accepted().size(), "each job accepted once");
        assertEquals(JOBS, new HashSet<>(load.accepted()).size(), "distinct ids");
        assertTrue(load.rejected() > 0, "32 clients against a queue of 16 meet 429s");
        assertEquals(
            JOBS,
            load.finalStatus().values().stream().filter("completed"::equals).count(),
            load.finalStatus().toString());
        for (int i = 0; i < JOBS; i++) {
          assertEquals(1, gen.runs("load job " + i), "job " + i + " ran once");
        }
        assertEquals(
            JOBS + 1,
            gen.runs.values().stream()
                .mapToInt(java.util.concurrent.atomic.AtomicInteger::get)
                .sum());
        if (rssBefore > 0) {
          assertTrue(
              rssAfter - rssBefore < RSS_SLACK,
              "resident " + (rssBefore >> 20) + " -> " + (rssAfter >> 20) + " MiB");
        }
      }
    }
  }
}
