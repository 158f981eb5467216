package io.jsora.bench;

import org.bytedeco.javacpp.PointerScope;

/** Runs a body repeatedly, each run inside its own {@link PointerScope}, and times the runs. */
public final class Stopwatch {
  private Stopwatch() {}

  /** One timed unit of work; may throw. */
  @FunctionalInterface
  public interface Body {
    void run() throws Exception;
  }

  /**
   * Runs {@code body} {@code warmup} times untimed, then {@code runs} times timed; each timed
   * sample is the mean over {@code inner} consecutive calls (for bodies too short to time alone).
   */
  public static Timing time(int warmup, int runs, int inner, Body body) throws Exception {
    if (runs < 1 || inner < 1 || warmup < 0) {
      throw new IllegalArgumentException("need warmup >= 0, runs >= 1, inner >= 1");
    }
    for (int i = 0; i < warmup; i++) {
      try (PointerScope s = new PointerScope()) {
        body.run();
      }
    }
    double[] samples = new double[runs];
    for (int r = 0; r < runs; r++) {
      try (PointerScope s = new PointerScope()) {
        long t0 = System.nanoTime();
        for (int i = 0; i < inner; i++) {
          body.run();
        }
        samples[r] = (System.nanoTime() - t0) / 1e9 / inner;
      }
    }
    return new Timing(samples);
  }
}
