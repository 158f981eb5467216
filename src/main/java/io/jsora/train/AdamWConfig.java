package io.jsora.train;

/**
 * AdamW hyper-parameters.
 *
 * @param lr peak learning rate (upstream 1e-4); schedules scale it per step
 * @param beta1 first-moment decay
 * @param beta2 second-moment decay
 * @param eps added to the denominator
 * @param weightDecay decoupled weight decay (upstream 0); when non-zero it applies only to
 *     parameters of 2 or more dimensions (matrices, convolution kernels, embeddings), never to
 *     biases and norm scales
 */
public record AdamWConfig(double lr, double beta1, double beta2, double eps, double weightDecay) {
  public AdamWConfig {
    if (!(lr >= 0) || Double.isInfinite(lr)) {
      throw new IllegalArgumentException("AdamW lr must be a finite number >= 0, got " + lr);
    }
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("AdamW betas must be in [0, 1), got (" + beta1 + ", " + beta2 + ")");
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

  public AdamWConfig withLr(double v) {
    return new AdamWConfig(v, beta1, beta2, eps, weightDecay);
  }

  public AdamWConfig withWeightDecay(double v) {
    return new AdamWConfig(lr, beta1, beta2, eps, v);
  }
}
