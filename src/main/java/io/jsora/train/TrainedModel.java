package io.jsora.train;

import io.jsora.diffusion.Denoiser;
import io.jsora.diffusion.rflow.FlowModel;
import io.jsora.nn.Layer;
import io.jsora.parallel.SequenceParallel;
import io.jsora.run.ModelSpec;
import org.bytedeco.pytorch.Tensor;

/**
 * The model a run trains, as the trainer needs it: the module (for the optimizer, the EMA and
 * checkpoints), what a checkpoint records of it, and the forward the loss calls on one micro-batch.
 * One implementation per model family ({@link DitModel}, {@link Stdit3Model}), so the trainer knows
 * no family.
 */
sealed interface TrainedModel extends AutoCloseable permits DitModel, Stdit3Model {
  /**
   * What one micro-batch conditions the model on; the tensors live in the caller's scope.
   *
   * @param text {@code [B, L, D]} text states padded to the batch's longest (or pooled {@code [B,
   *     D]})
   * @param textMask {@code [B, L]} int64, 1 for real states; null when pooled
   * @param dropText {@code [B]} bool, true where the sample trains on the null text
   * @param fps the videos' frame rate (STDiT3's fps conditioning)
   * @param height the videos' height in pixels (STDiT3's position-table scale)
   * @param width the videos' width in pixels
   */
  record Conditions(
      Tensor text, Tensor textMask, Tensor dropText, double fps, long height, long width) {}

  /** The module whose parameters train; owned by this object. */
  Layer module();

  /** The family and config a checkpoint records. */
  ModelSpec spec();

  /**
   * Whether parameter {@code name} gets its complete gradient on every rank of a sequence-parallel
   * group (the predicate {@code GradientSync} and ZeRO-2 take).
   */
  boolean hasCompleteGradient(String name);

  /** Splits each sample's tokens over {@code sp}'s group from now on. */
  void setSequenceParallel(SequenceParallel sp);

  /** The model as rectified flow's loss calls it on this micro-batch. */
  FlowModel flow(Conditions c);

  /**
   * The model as Gaussian diffusion's loss calls it on this micro-batch.
   *
   * @throws IllegalStateException for a family that does not train with IDDPM
   */
  Denoiser denoiser(Conditions c);

  /** Tokens the transformer sees for latents of shape {@code [B, C, T, H, W]} (for throughput). */
  long tokens(long[] latentShape);

  @Override
  void close();
}
