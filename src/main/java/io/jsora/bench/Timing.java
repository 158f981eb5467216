package io.jsora.bench;

import java.util.Arrays;

/**
 * Seconds per iteration over several timed runs.
 *
 * @param samples each run's seconds, in run order
 */
public record Timing(double[] samples) {
  public Timing {
    if (samples.length == 0) {
      throw new IllegalArgumentException("a timing needs at least one sample");
    }
    samples = samples.clone();
  }

  /** A timing from seconds in run order. */
  public static Timing of(java.util.List<Double> seconds) {
    return new Timing(seconds.stream().mapToDouble(Double::doubleValue).toArray());
  }

  /** The same runs per item, for runs of {@code n} items each. */
  public Timing per(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("items per run must be >= 1, got " + n);
    }
    double[] s = samples.clone();
    for (int i = 0; i < s.length; i++) {
      s[i] /= n;
    }
    return new Timing(s);
  }

  public double median() {
    double[] s = samples.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  public double min() {
    return Arrays.stream(samples).min().orElseThrow();
  }

  public double max() {
    return Arrays.stream(samples).max().orElseThrow();
  }

  @Override
  public double[] samples() {
    return samples.clone();
  }
}
