package io.jsora.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.run.TrainConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer's timing seam: every phase of every step, in order, and the run's results unchanged.
 */
class StepTimerTest {
  @Test
  void everyPhaseOfEveryStepIsTimedInOrder(@TempDir Path dir) throws IOException {
    Path data = TrainFixtures.dataset(dir, 8, 2, 5);
    TrainConfig cfg =
        TrainFixtures.config(data, dir.resolve("timed"), 2, 2).toBuilder()
            .accumulationSteps(2)
            .saveInterval(2)
            .build();
    List<String> seen = new ArrayList<>();
    long[] total = new long[1];
    Trainer.Result timed;
    try (Trainer t = new Trainer(cfg)) {
      t.listen(
          (StepTimer)
              (step, micro, phase, nanos) -> {
                seen.add(step + ":" + micro + ":" + phase);
                assertTrue(nanos >= 0, phase + " took " + nanos + " ns");
                total[0] += nanos;
              });
      timed = t.run();
    }
    List<String> expected = new ArrayList<>();
    for (int step = 0; step < 2; step++) {
      for (int m = 0; m < 2; m++) {
        for (String p : new String[] {"DATA", "FORWARD", "BACKWARD"}) {
          expected.add(step + ":" + m + ":" + p);
        }
      }
      expected.add(step + ":-1:COMMUNICATION");
      expected.add(step + ":-1:OPTIMIZER");
    }
    expected.add("1:-1:CHECKPOINT");
    assertEquals(expected, seen);
    assertTrue(
        total[0] > 0 && total[0] <= timed.seconds() * 1e9,
        "phases add up to at most the run's time");
    Trainer.Result plain;
    try (Trainer t =
        new Trainer(cfg.toBuilder().checkpointDir(dir.resolve("plain").toString()).build())) {
      plain = t.run();
    }
    assertEquals(plain.lastLoss(), timed.lastLoss(), 0.0, "timing changes nothing");
  }
}
