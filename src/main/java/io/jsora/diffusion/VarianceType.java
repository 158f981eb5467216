package io.jsora.diffusion;

import java.util.Locale;

/** The variance of the reverse step {@code p(x_{t-1} | x_t)}. */
public enum VarianceType {
  /**
   * Learned: the model outputs {@code 2C} channels; the last {@code C}, {@code v} in [-1, 1],
   * interpolate the log variance between the posterior variance (clipped) and {@code beta_t}:
   * {@code log σ² = f·log β_t + (1 − f)·log β̃_t} with {@code f = (v + 1) / 2} (IDDPM, DiT).
   */
  LEARNED_RANGE,
  /** Fixed to the posterior variance {@code β̃_t} (clipped at t = 0). */
  FIXED_SMALL,
  /** Fixed to {@code β_t}, with {@code β̃_1} at t = 0 for a better decoder likelihood. */
  FIXED_LARGE;

  /** Whether the model outputs twice the input channels. */
  public boolean learned() {
    return this == LEARNED_RANGE;
  }

  /** Parses {@code learned}, {@code learned-range}, {@code fixed-small}, {@code fixed-large}. */
  public static VarianceType parse(String name) {
    switch (name.trim().toLowerCase(Locale.ROOT).replace('_', '-')) {
      case "learned": case "learned-range":
        return LEARNED_RANGE;
      case "fixed-small": case "small":
        return FIXED_SMALL;
      case "fixed-large": case "large":
        return FIXED_LARGE;
      default:
        throw new IllegalArgumentException(
            "unknown variance type '" + name + "' (expected learned-range, fixed-small or fixed-large)");
    }
  }
}
