package io.jsora.parallel;

/**
 * AdamW hyperparameters, with PyTorch's meaning; used by the single-process optimizer and by {@link
 * ZeroAdamW} alike, so a run's settings mean the same on any number of ranks.
 *
 * @param lr peak learning rate (upstream 1e-4); schedules change it per step
 * @param beta1 decay of the first-moment average
 * @param beta2 decay of the second-moment average
 * @param eps added to the denominator for stability
 * @param weightDecay decoupled weight decay, applied to parameters with two or more dimensions only
 *     (weights, not biases or norm gains); the reference trains with 0
 */
public record AdamWConfig(double lr, double beta1, double beta2, double eps, double weightDecay) {
  public AdamWConfig {
    if (!(lr >= 0) || Double.isInfinite(lr)) {
      throw new IllegalArgumentException("AdamW lr must be a finite number >= 0, got " + lr);
    }
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException(
          "AdamW betas must be in [0, 1), got (" + beta1 + ", " + beta2 + ")");
    }
    if (!(eps > 0)) {
      throw new IllegalArgumentException("AdamW eps must be > 0, got " + eps);
    }
    if (!(weightDecay >= 0)) {
      throw new IllegalArgumentException("AdamW weight decay must be >= 0, got " + weightDecay);
    }
  }

  /** lr 1e-4, betas (0.9, 0.999), eps 1e-8, no weight decay: upstream's settings. */
  public static AdamWConfig defaults() {
    return new AdamWConfig(1e-4, 0.9, 0.999, 1e-8, 0.0);
  }

  /**
   * PyTorch's {@code torch.optim.AdamW} defaults at {@code lr}: betas (0.9, 0.999), eps 1e-8,
   * weight decay 0.01.
   */
  public static AdamWConfig of(double lr) {
    return new AdamWConfig(lr, 0.9, 0.999, 1e-8, 0.01);
  }

  public AdamWConfig withLr(double v) {
    return new AdamWConfig(v, beta1, beta2, eps, weightDecay);
  }

  public AdamWConfig withWeightDecay(double v) {
    return new AdamWConfig(lr, beta1, beta2, eps, v);
  }
}
