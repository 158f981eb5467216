package io.jsora.diffusion;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.jsora.config.Choice;
import java.util.List;

/**
 * Noise schedules: the variance {@code β_t} added at each of the {@code T} forward steps, in double
 * precision.
 */
public enum BetaSchedule implements Choice {
  /**
   * Ho et al.: {@code β} evenly spaced from {@code 1e-4·s} to {@code 0.02·s} with {@code s = 1000 /
   * T}, so the schedule keeps its shape for any {@code T}.
   */
  LINEAR("linear"),
  /**
   * Nichol &amp; Dhariwal's cosine schedule ({@code squaredcos_cap_v2}): {@code ᾱ(u) = cos²((u +
   * 0.008) / 1.008 · π/2)} discretised as {@code β_i = min(1 − ᾱ((i+1)/T) / ᾱ(i/T), 0.999)}.
   */
  COSINE("cosine", "squaredcos_cap_v2", "squaredcos");

  /** The largest beta of the cosine schedule; avoids a singular last step. */
  public static final double MAX_BETA = 0.999;

  /** {@code T} betas, each in (0, 1]. */
  public double[] betas(int numTimesteps) {
    if (numTimesteps < 1) {
      throw new IllegalArgumentException(
          "number of diffusion steps must be >= 1, got " + numTimesteps);
    }
    return this == LINEAR ? linear(numTimesteps) : cosine(numTimesteps);
  }

  private static double[] linear(int n) {
    double scale = 1000.0 / n;
    double start = scale * 0.0001;
    double end = scale * 0.02;
    double[] b = new double[n];
    if (n == 1) {
      b[0] = start;
      return b;
    }
    // same arithmetic as numpy.linspace: start + i·step, last value exactly the end point
    double step = (end - start) / (n - 1);
    for (int i = 0; i < n; i++) {
      b[i] = i * step + start;
    }
    b[n - 1] = end;
    return b;
  }

  private static double[] cosine(int n) {
    double[] b = new double[n];
    for (int i = 0; i < n; i++) {
      double t1 = (double) i / n;
      double t2 = (double) (i + 1) / n;
      b[i] = Math.min(1 - alphaBar(t2) / alphaBar(t1), MAX_BETA);
    }
    return b;
  }

  private static double alphaBar(double u) {
    double c = Math.cos((u + 0.008) / 1.008 * Math.PI / 2);
    return c * c;
  }

  private final String id;
  private final List<String> aliases;

  BetaSchedule(String id, String... aliases) {
    this.id = id;
    this.aliases = List.of(aliases);
  }

  /** The spelling configs, checkpoints and the command line use. */
  @JsonValue
  @Override
  public String id() {
    return id;
  }

  @Override
  public List<String> aliases() {
    return aliases;
  }

  /** Parses {@code linear} or {@code cosine} (also {@code squaredcos_cap_v2}). */
  @JsonCreator
  public static BetaSchedule parse(String name) {
    return Choice.parse(BetaSchedule.class, name);
  }

  @Override
  public String toString() {
    return id;
  }
}
