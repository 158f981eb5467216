package io.jsora.diffusion;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.jsora.config.Choice;
import java.util.List;

/**
 * What the model's first {@code C} output channels predict. With {@code a = sqrt(alphaBar_t)} and
 * {@code s = sqrt(1 - alphaBar_t)}, so that {@code x_t = a·x0 + s·eps}:
 *
 * <ul>
 *   <li>{@link #EPS}: the noise {@code eps} (DDPM, IDDPM, DiT, Open-Sora);
 *   <li>{@link #V}: the velocity {@code v = a·eps − s·x0} (Salimans &amp; Ho 2022); then {@code x0
 *       = a·x_t − s·v} and {@code eps = s·x_t + a·v};
 *   <li>{@link #X0}: the clean sample {@code x0}.
 * </ul>
 *
 * The MSE loss is taken against the chosen target; sampling converts any prediction to {@code x0}
 * and {@code eps}.
 */
public enum Prediction implements Choice {
  EPS("eps", "epsilon", "noise"),
  V("v", "v_prediction", "velocity"),
  X0("x0", "xstart", "x_0", "sample");

  private final String id;
  private final List<String> aliases;

  Prediction(String id, String... aliases) {
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
   * Parses {@code eps}, {@code v} or {@code x0} (also {@code epsilon}, {@code v_prediction}, {@code
   * xstart}).
   */
  @JsonCreator
  public static Prediction parse(String name) {
    return Choice.parse(Prediction.class, name);
  }

  @Override
  public String toString() {
    return id;
  }
}
