package io.jsora.diffusion;

import java.util.Locale;

/**
 * What the model's first {@code C} output channels predict. With {@code a = sqrt(alphaBar_t)} and
 * {@code s = sqrt(1 - alphaBar_t)}, so that {@code x_t = a·x0 + s·eps}:
 *
 * <ul>
 *   <li>{@link #EPS}: the noise {@code eps} (DDPM, IDDPM, DiT, Open-Sora);
 *   <li>{@link #V}: the velocity {@code v = a·eps − s·x0} (Salimans &amp; Ho 2022); then {@code
 *       x0 = a·x_t − s·v} and {@code eps = s·x_t + a·v};
 *   <li>{@link #X0}: the clean sample {@code x0}.
 * </ul>
 *
 * The MSE loss is taken against the chosen target; sampling converts any prediction to {@code x0}
 * and {@code eps}.
 */
public enum Prediction {
  EPS,
  V,
  X0;

  /** Parses {@code eps}, {@code epsilon}, {@code v}, {@code x0}, {@code xstart} (any case). */
  public static Prediction parse(String name) {
    switch (name.trim().toLowerCase(Locale.ROOT)) {
      case "eps": case "epsilon": case "noise":
        return EPS;
      case "v": case "v_prediction": case "velocity":
        return V;
      case "x0": case "xstart": case "x_0": case "sample":
        return X0;
      default:
        throw new IllegalArgumentException("unknown prediction '" + name + "' (expected eps, v or x0)");
    }
  }

  /** The CLI spelling: {@code eps}, {@code v} or {@code x0}. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
