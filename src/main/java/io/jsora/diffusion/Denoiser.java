package io.jsora.diffusion;

import org.bytedeco.pytorch.Tensor;

/**
 * The model as the diffusion sees it: a noisy batch and its timesteps in, the prediction out.
 *
 * <p>Conditioning (text embeddings, masks, class labels) is captured by the implementing closure,
 * so diffusion code never needs to know what a model consumes.
 */
@FunctionalInterface
public interface Denoiser {
  /**
   * Runs the model.
   *
   * @param x noisy input {@code [B, C, ...]}
   * @param t int64 timesteps {@code [B]}, numbered in the ORIGINAL (training) process, e.g. 0..999
   *     even when sampling on a respaced 250-step process
   * @return {@code [B, C, ...]}, or {@code [B, 2C, ...]} when the variance is learned (prediction
   *     channels first, then the variance interpolation values in [-1, 1]); a tensor created in the
   *     caller's current {@link org.bytedeco.javacpp.PointerScope} (the implementation must not
   *     keep it)
   */
  Tensor apply(Tensor x, Tensor t);
}
