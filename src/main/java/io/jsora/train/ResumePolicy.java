package io.jsora.train;

import io.jsora.data.BucketSampler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a resumed run restores of its data order. Weights, EMA, optimizer state, step, schedule and
 * NaN counts always continue ({@link Checkpointer#restore}); the sampler continues at its saved
 * position only when the run takes as many rows per step as the saved one: with another batch size,
 * accumulation or number of replicas the saved position would mean other rows, so the data restarts
 * at the beginning of the saved epoch instead (with a warning).
 */
final class ResumePolicy {
  private static final Logger log = LoggerFactory.getLogger(ResumePolicy.class);

  private ResumePolicy() {}

  /**
   * Places {@code sampler} for a run taking {@code globalBatch} rows per step.
   *
   * @param saved the checkpoint's position; null for a fresh run (epoch 0)
   * @param main whether this rank reports
   */
  static void placeSampler(
      SamplerPosition saved, long globalBatch, BucketSampler sampler, boolean main) {
    if (saved == null) {
      sampler.setEpoch(0);
    } else if (saved.globalBatch() != globalBatch) {
      sampler.setEpoch(saved.epoch());
      if (main) {
        log.warn(
            "resume: the checkpoint was written with {} rows per step, this run takes {} (batch size x accumulation x "
                + "data-parallel replicas); weights, optimizer and schedule continue, the data restarts at the beginning of epoch {}",
            saved.globalBatch(),
            globalBatch,
            saved.epoch());
      }
    } else {
      sampler.restore(saved.state());
    }
  }
}
