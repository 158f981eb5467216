package io.jsora.diffusion.rflow;

/**
 * The number type the video size ({@code height}, {@code width}, {@code num_frames}) has when the
 * timestep transform reads it.
 *
 * <p>Upstream builds these as tensors in the model's dtype, bf16 at 1.2 inference ({@code
 * prepare_multi_resolution_info}) and in training ({@code model_args[k] = v.to(dtype)}), so every
 * operation of the ratio rounds to 8 significant bits: 240p (240×426, 51 frames) gets the ratio
 * 2.421875 instead of 2.4187, which moves every transformed timestep (985.96 vs 985.94 at the
 * second of 30 steps). {@link #BFLOAT16} reproduces that rounding so a run matches what the
 * released model was sampled and trained with; {@link #FLOAT32} is the exact formula.
 */
public enum SizePrecision {
  /** The ratio in float32, as upstream with fp32 size tensors. */
  FLOAT32,
  /** Each operation of the ratio rounded to bf16, as upstream with bf16 size tensors. */
  BFLOAT16
}
