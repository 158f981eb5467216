package io.jsora.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.jsora.data.BucketSampler;

/**
 * Where the data sampler stood when a checkpoint was written ({@code data} in {@code state.json}),
 * with the rows per step it counts in: a resume with another global batch cannot use the position.
 *
 * @param seed the sampler's shuffle seed
 * @param epoch the epoch being read
 * @param position batches of the epoch already handed out (on each replica)
 * @param globalBatch rows per optimizer step (batch × accumulation × data-parallel replicas)
 */
public record SamplerPosition(
    @JsonProperty("seed") long seed,
    @JsonProperty("epoch") int epoch,
    @JsonProperty("position") int position,
    @JsonProperty("global_batch") long globalBatch) {
  public SamplerPosition {
    if (epoch < 0 || position < 0 || globalBatch < 1) {
      throw new IllegalArgumentException(
          "sampler position: epoch and position must be >= 0 and global_batch >= 1, got "
              + epoch
              + ", "
              + position
              + ", "
              + globalBatch);
    }
  }

  /** {@code s} of a run taking {@code globalBatch} rows per step. */
  public static SamplerPosition of(BucketSampler.State s, long globalBatch) {
    return new SamplerPosition(s.seed(), s.epoch(), s.position(), globalBatch);
  }

  /** The sampler state to restore. */
  public BucketSampler.State state() {
    return new BucketSampler.State(seed, epoch, position);
  }
}
