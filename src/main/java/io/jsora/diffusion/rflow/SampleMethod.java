package io.jsora.diffusion.rflow;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * How training draws the timestep {@code t ∈ [0, num_timesteps)} (the config's {@code
 * sample_method}).
 */
public enum SampleMethod {
  /**
   * {@code t = U(0, 1) · num_timesteps}; integers {@code U{0 … num_timesteps−1}} with discrete
   * timesteps.
   */
  UNIFORM("uniform"),
  /**
   * {@code t = sigmoid(N(loc, scale)) · num_timesteps}, the first component of torch's {@code
   * LogisticNormal}: more weight on the middle of the path, where the velocity is hardest to
   * predict (Open-Sora 1.2's training configs).
   */
  LOGIT_NORMAL("logit-normal");

  private final String id;

  SampleMethod(String id) {
    this.id = id;
  }

  /** The name used in configs. */
  @JsonValue
  public String id() {
    return id;
  }

  /** Parses {@code uniform} or {@code logit-normal}. */
  @JsonCreator
  public static SampleMethod parse(String name) {
    for (SampleMethod m : values()) {
      if (m.id.equals(name)) {
        return m;
      }
    }
    throw new IllegalArgumentException(
        "unknown sample_method '"
            + name
            + "'; expected one of "
            + Arrays.stream(values()).map(SampleMethod::id).collect(Collectors.joining(", ")));
  }

  @Override
  public String toString() {
    return id;
  }
}
