package io.jsora.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TimingTest {
  @Test
  void medianMinMax() {
    Timing odd = new Timing(new double[] {3, 1, 2});
    assertEquals(2, odd.median());
    assertEquals(1, odd.min());
    assertEquals(3, odd.max());
    assertEquals(2.5, new Timing(new double[] {4, 1, 2, 3}).median());
    assertThrows(IllegalArgumentException.class, () -> new Timing(new double[0]));
  }

  @Test
  void stopwatchRunsWarmupsAndTimedRuns() throws Exception {
    int[] calls = {0};
    Timing t = Stopwatch.time(2, 3, 4, () -> calls[0]++);
    assertEquals(2 + 3 * 4, calls[0]);
    assertEquals(3, t.samples().length);
  }
}
