package io.jsora.diffusion;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.jsora.config.Choice;
import java.util.List;

/** The variance of the reverse step {@code p(x_{t-1} | x_t)}. */
public enum VarianceType implements Choice {
  /**
   * Learned: the model outputs {@code 2C} channels; the last {@code C}, {@code v} in [-1, 1],
   * interpolate the log variance between the posterior variance (clipped) and {@code beta_t}:
   * {@code log σ² = f·log β_t + (1 − f)·log β̃_t} with {@code f = (v + 1) / 2} (IDDPM, DiT).
   */
  LEARNED_RANGE("learned-range", "learned"),
  /** Fixed to the posterior variance {@code β̃_t} (clipped at t = 0). */
  FIXED_SMALL("fixed-small", "small"),
  /** Fixed to {@code β_t}, with {@code β̃_1} at t = 0 for a better decoder likelihood. */
  FIXED_LARGE("fixed-large", "large");

  /** Whether the model outputs twice the input channels. */
  public boolean learned() {
    return this == LEARNED_RANGE;
  }

  private final String id;
  private final List<String> aliases;

  VarianceType(String id, String... aliases) {
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

  /**
   * Parses {@code learned-range}, {@code fixed-small} or {@code fixed-large} ({@code _} for {@code
   * -} too).
   */
  @JsonCreator
  public static VarianceType parse(String name) {
    return Choice.parse(VarianceType.class, name);
  }

  @Override
  public String toString() {
    return id;
  }
}
