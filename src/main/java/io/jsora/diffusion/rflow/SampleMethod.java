package io.jsora.diffusion.rflow;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.jsora.config.Choice;

/**
 * How training draws the timestep {@code t ∈ [0, num_timesteps)} (the config's {@code
 * sample_method}).
 */
public enum SampleMethod implements Choice {
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
  @Override
  public String id() {
    return id;
  }

  /** Parses {@code uniform} or {@code logit-normal} ({@code logit_normal}). */
  @JsonCreator
  public static SampleMethod parse(String name) {
    return Choice.parse(SampleMethod.class, name);
  }

  @Override
  public String toString() {
    return id;
  }
}
