package io.jsora.diffusion.rflow;

import org.bytedeco.pytorch.Tensor;

/**
 * The model as rectified flow sees it: a batch on the path between data and noise, its timesteps
 * and its frame mask in, the velocity prediction out. Text, fps and size conditioning are captured
 * by the implementing closure (for guided sampling: the B real conditions, then the B null
 * conditions, matching the doubled batch the sampler passes).
 */
@FunctionalInterface
public interface FlowModel {
  /**
   * Runs the model.
   *
   * @param x the point on the path {@code [B, C, T, H, W]}
   * @param t float32 timesteps {@code [B]} on the scale {@code 0 … num_timesteps} (not integers:
   *     the schedule is continuous and transformed)
   * @param xMask bool {@code [B, T]}, true for frames being generated and false for frames given as
   *     condition (upstream's {@code x_mask}: the model gives those frames the t = 0 modulation);
   *     null when no frame is conditioned
   * @return {@code [B, C, T, H, W]} or {@code [B, 2C, T, H, W]}: the first C channels are the
   *     velocity {@code x0 − ε}, any further C (STDiT3's learned-sigma half) are ignored; a tensor
   *     in the caller's current {@link org.bytedeco.javacpp.PointerScope} (not kept by the model)
   */
  Tensor apply(Tensor x, Tensor t, Tensor xMask);
}
