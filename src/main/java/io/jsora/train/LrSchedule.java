package io.jsora.train;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The learning rate as a pure function of the optimizer step, so a resumed run needs only the step
 * to continue the schedule exactly. {@code step} counts optimizer updates already taken (0 for the
 * first update).
 *
 * <p>Warm-up is linear: {@code peak·(step + 1)/warmup} for {@code step < warmup}, so the first
 * update already moves.
 */
public sealed interface LrSchedule permits LrSchedule.Constant, LrSchedule.Cosine {
  /** The learning rate for update number {@code step} (0-based). */
  double lr(long step);

  /** A JSON-friendly description, written to {@code state.json}; {@link #fromMap} reads it. */
  Map<String, Object> toMap();

  /** Sets every group of {@code optimizer} to {@link #lr}{@code (step)}. */
  default void apply(AdamWOptimizer optimizer, long step) {
    optimizer.setLr(lr(step));
  }

  /** The peak learning rate, optionally after a linear warm-up. */
  record Constant(double peak, long warmupSteps) implements LrSchedule {
    public Constant {
      check(peak, warmupSteps);
    }

    @Override
    public double lr(long step) {
      return warm(peak, warmupSteps, step);
    }

    @Override
    public Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("kind", "constant");
      m.put("lr", peak);
      m.put("warmup_steps", warmupSteps);
      return m;
    }
  }

  /**
   * Linear warm-up, then half a cosine from {@code peak} down to {@code minLr} at {@code
   * totalSteps}, and {@code minLr} after: {@code min + ½(peak − min)(1 + cos(π·p))}, {@code p =
   * (step − warmup)/(total − warmup)}. Upstream used it without warm-up and with min 0.
   */
  record Cosine(double peak, long warmupSteps, long totalSteps, double minLr)
      implements LrSchedule {
    public Cosine {
      check(peak, warmupSteps);
      if (totalSteps <= warmupSteps) {
        throw new IllegalArgumentException(
            "cosine schedule: total steps ("
                + totalSteps
                + ") must exceed the warm-up steps ("
                + warmupSteps
                + ")");
      }
      if (!(minLr >= 0 && minLr <= peak)) {
        throw new IllegalArgumentException(
            "cosine schedule: min lr " + minLr + " must be in [0, peak " + peak + "]");
      }
    }

    @Override
    public double lr(long step) {
      if (step < warmupSteps) {
        return warm(peak, warmupSteps, step);
      }
      double p = Math.min(1.0, (double) (step - warmupSteps) / (totalSteps - warmupSteps));
      return minLr + 0.5 * (peak - minLr) * (1 + Math.cos(Math.PI * p));
    }

    @Override
    public Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("kind", "cosine");
      m.put("lr", peak);
      m.put("warmup_steps", warmupSteps);
      m.put("total_steps", totalSteps);
      m.put("min_lr", minLr);
      return m;
    }
  }

  /**
   * Builds a schedule from CLI-style settings.
   *
   * @param kind {@code cosine} or {@code constant}
   */
  static LrSchedule of(String kind, double peak, long warmupSteps, long totalSteps, double minLr) {
    switch (kind.trim().toLowerCase(Locale.ROOT)) {
      case "cosine":
        return new Cosine(peak, warmupSteps, totalSteps, minLr);
      case "constant":
        return new Constant(peak, warmupSteps);
      default:
        throw new IllegalArgumentException(
            "unknown lr schedule '" + kind + "' (expected cosine or constant)");
    }
  }

  /** Reads {@link #toMap}'s output. */
  static LrSchedule fromMap(Map<String, ?> m) {
    Object kind = m.get("kind");
    if (kind == null) {
      throw new IllegalArgumentException("lr schedule: missing 'kind' in " + m);
    }
    double lr = number(m, "lr").doubleValue();
    long warmup = number(m, "warmup_steps").longValue();
    if ("constant".equals(kind)) {
      return new Constant(lr, warmup);
    }
    if ("cosine".equals(kind)) {
      return new Cosine(
          lr, warmup, number(m, "total_steps").longValue(), number(m, "min_lr").doubleValue());
    }
    throw new IllegalArgumentException(
        "lr schedule: unknown kind '" + kind + "' (expected cosine or constant)");
  }

  private static Number number(Map<String, ?> m, String key) {
    Object v = m.get(key);
    if (!(v instanceof Number)) {
      throw new IllegalArgumentException("lr schedule: '" + key + "' must be a number, found " + v);
    }
    return (Number) v;
  }

  private static void check(double peak, long warmup) {
    if (!(peak >= 0) || Double.isInfinite(peak)) {
      throw new IllegalArgumentException("learning rate must be a finite number >= 0, got " + peak);
    }
    if (warmup < 0) {
      throw new IllegalArgumentException("warm-up steps must be >= 0, got " + warmup);
    }
  }

  private static double warm(double peak, long warmup, long step) {
    return step < warmup ? peak * (step + 1) / warmup : peak;
  }
}
