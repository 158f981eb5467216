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
  void perItemDividesEveryRunAndFromListKeepsRunOrder() {
    Timing t = Timing.of(java.util.List.of(8.0, 2.0, 4.0));
    assertEquals(4, t.median());
    Timing per = t.per(4);
    assertEquals(2, per.max());
    assertEquals(0.5, per.min());
    assertEquals(1, per.median());
    assertEquals(0.5, per.samples()[1]);
    assertThrows(IllegalArgumentException.class, () -> t.per(0));
  }

  @Test
  void stopwatchRunsWarmupsAndTimedRuns() throws Exception {
    int[] calls = {0};
    Timing t = Stopwatch.time(2, 3, 4, () -> calls[0]++);
    assertEquals(2 + 3 * 4, calls[0]);
    assertEquals(3, t.samples().length);
  }
}
