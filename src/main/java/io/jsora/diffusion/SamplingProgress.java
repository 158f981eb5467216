package io.jsora.diffusion;

/** Told after each reverse step; a CLI draws its progress bar from it. */
@FunctionalInterface
public interface SamplingProgress {
  /** Does nothing. */
  SamplingProgress NONE = (done, total, timestep) -> {};

  /**
   * @param done reverse steps finished so far, 1..total
   * @param total reverse steps in this run
   * @param timestep the step just taken, numbered in the original training process
   */
  void onStep(int done, int total, int timestep);
}
