package io.jsora.serve;

import io.jsora.diffusion.SamplingProgress;
import org.bytedeco.pytorch.Tensor;

/**
 * Makes one video for validated settings. {@link PipelineGenerator} is the real one; tests wrap it
 * (to count runs or inject a failure).
 */
public interface VideoGenerator extends AutoCloseable {
  /** The checkpoint's description, defaults and size constraints. */
  ModelInfo model();

  /**
   * Generates on the calling thread; safe to call from as many threads as there are workers.
   * Throwing from {@code progress} stops it (that is how cancellation works).
   *
   * @return {@code uint8 [T, H, W, 3]} on the CPU; the caller owns it (it is also attached to the
   *     caller's {@code PointerScope}, if any)
   */
  Tensor generate(JobParams params, SamplingProgress progress);

  @Override
  void close();
}
