package io.jsora.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A rank that dies, hangs or fails makes the other stop with a message naming it, within the
 * collective timeout (4 s here), instead of waiting forever. Workers run without the launcher, so
 * nothing else stops them.
 */
class FailureTest {
  /** Start-up (two JVMs, libtorch) plus a few timeouts: far below this unless something hangs. */
  static final Duration DEADLINE = Duration.ofSeconds(60);

  @Test
  @Timeout(90)
  void aKilledRankIsNamedAtOnce() throws Exception {
    List<Workers.Proc> p = Workers.spawn(2, FailureWorker.class, DEADLINE, "kill");
    assertEquals(137, p.get(1).status(), p.get(1).output());
    assertEquals(DistributedException.EXIT_STATUS, p.get(0).status(), p.get(0).output());
    assertTrue(
        p.get(0).output().contains("rank 0: all_reduce #")
            && p.get(0).output().contains("failed: rank 1 died"),
        p.get(0).output());
  }

  @Test
  @Timeout(90)
  void aHungRankIsNamedAfterTheTimeoutAndThenStopsToo() throws Exception {
    List<Workers.Proc> p = Workers.spawn(2, FailureWorker.class, DEADLINE, "hang");
    String out0 = p.get(0).output();
    assertEquals(DistributedException.EXIT_STATUS, p.get(0).status(), out0);
    assertTrue(
        out0.contains("rank 1 has not entered it")
            && out0.contains("stuck or slower than the collective timeout (4.0 s)"),
        out0);
    // the hung rank's own watchdog ends it once it learns that rank 0 gave up
    String out1 = p.get(1).output();
    assertEquals(DistributedException.EXIT_STATUS, p.get(1).status(), out1);
    assertTrue(out1.contains("rank 1: stopping because rank 0 failed"), out1);
  }

  @Test
  @Timeout(90)
  void aFailingRankTellsItsPeerWhy() throws Exception {
    List<Workers.Proc> p = Workers.spawn(2, FailureWorker.class, DEADLINE, "error");
    assertEquals(1, p.get(1).status(), p.get(1).output());
    assertEquals(DistributedException.EXIT_STATUS, p.get(0).status(), p.get(0).output());
    assertTrue(
        p.get(0).output().contains("rank 1 failed: simulated failure in rank 1"),
        p.get(0).output());
  }
}
