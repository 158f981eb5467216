package io.jsora.parallel;

/**
 * AdamW hyperparameters, with PyTorch's meaning and defaults.
 *
 * @param lr learning rate (a schedule changes it per step through {@link ZeroAdamW#setLr})
 * @param beta1 decay of the first-moment average
 * @param beta2 decay of the second-moment average
 * @param eps added to the denominator for stability
 * @param weightDecay decoupled weight decay, applied to parameters with two or more dimensions
 *     only (weights, not biases or norm gains); the reference trains with 0
 */
public record AdamWConfig(double lr, double beta1, double beta2, double eps, double weightDecay) {
  public AdamWConfig {
    if (!(lr >= 0)) {
      throw new IllegalArgumentException("learning rate must be >= 0, found " + lr);
    }
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("betas must be in [0, 1), found (" + beta1 + ", " + beta2 + ")");
    }
    if (!(eps >= 0) || !(weightDecay >= 0)) {
      throw new IllegalArgumentException("eps and weight decay must be >= 0, found " + eps + ", " + weightDecay);
    }
  }

  /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
  public static AdamWConfig of(double lr) {
    return new AdamWConfig(lr, 0.9, 0.999, 1e-8, 0.01);
  }

  public AdamWConfig withWeightDecay(double wd) {
    return new AdamWConfig(lr, beta1, beta2, eps, wd);
  }
}
