package io.jsora.diffusion;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How a diffusion process is defined; saved with checkpoints so sampling uses what training used.
 *
 * @param schedule the noise schedule ({@code linear} as DiT/Open-Sora, or {@code cosine})
 * @param numTimesteps steps of the training process (1000 upstream)
 * @param prediction what the model predicts: eps (upstream), v or x0
 * @param variance learned-range (upstream: the model outputs 2C channels) or a fixed variance
 */
public record DiffusionConfig(
    @JsonProperty("noise_schedule") BetaSchedule schedule,
    @JsonProperty("num_timesteps") int numTimesteps,
    @JsonProperty("prediction") Prediction prediction,
    @JsonProperty("variance") VarianceType variance) {
  public DiffusionConfig {
    if (schedule == null || prediction == null || variance == null) {
      throw new IllegalArgumentException(
          "diffusion config: schedule, prediction and variance must be set");
    }
    if (numTimesteps < 2) {
      throw new IllegalArgumentException(
          "diffusion config: numTimesteps must be >= 2, got " + numTimesteps);
    }
  }

  /** Upstream's process: linear betas, 1000 steps, epsilon prediction, learned-range variance. */
  public static DiffusionConfig defaults() {
    return new DiffusionConfig(
        BetaSchedule.LINEAR, 1000, Prediction.EPS, VarianceType.LEARNED_RANGE);
  }

  public DiffusionConfig withSchedule(BetaSchedule s) {
    return new DiffusionConfig(s, numTimesteps, prediction, variance);
  }

  public DiffusionConfig withPrediction(Prediction p) {
    return new DiffusionConfig(schedule, numTimesteps, p, variance);
  }

  public DiffusionConfig withVariance(VarianceType v) {
    return new DiffusionConfig(schedule, numTimesteps, prediction, v);
  }

  /**
   * Model output channels for {@code inChannels} input channels: doubled when the variance is
   * learned.
   */
  public int outChannels(int inChannels) {
    return variance.learned() ? 2 * inChannels : inChannels;
  }
}
