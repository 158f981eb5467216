package io.jsora.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.jsora.data.BucketSampler;
import io.jsora.data.bucket.BucketBatchSampler;
import io.jsora.data.bucket.BucketConfig;

/**
 * Where the data sampler stood when a checkpoint was written ({@code data} in {@code state.json}),
 * with what the position counts in: a resume whose steps take other rows cannot use it.
 *
 * <p>Two samplers write it. Without buckets ({@link BucketSampler}) the position counts batches of
 * {@code global_batch} rows per step, and is meaningful only for a run taking as many. With
 * resolution buckets ({@link BucketBatchSampler}) it counts micro-batches handed out on each of
 * {@code world} replicas, and {@code buckets} records the bucket config: a run with the same
 * buckets continues there, on any number of replicas.
 *
 * @param seed the sampler's shuffle seed
 * @param epoch the epoch being read
 * @param position batches of the epoch already handed out (on each replica)
 * @param globalBatch without buckets, rows per optimizer step (batch × accumulation × data-parallel
 *     replicas); with buckets, micro-batches per optimizer step over the replicas (accumulation ×
 *     replicas)
 * @param world with buckets, the data-parallel replicas the position was counted on; else null
 * @param buckets with buckets, the bucket config the order was drawn from; else null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SamplerPosition(
    @JsonProperty("seed") long seed,
    @JsonProperty("epoch") int epoch,
    @JsonProperty("position") int position,
    @JsonProperty("global_batch") long globalBatch,
    @JsonProperty("world") Integer world,
    @JsonProperty("buckets") BucketConfig buckets) {
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
    if ((world == null) != (buckets == null) || (world != null && world < 1)) {
      throw new IllegalArgumentException(
          "sampler position: world (>= 1) and buckets come together, got world "
              + world
              + " and "
              + (buckets == null ? "no" : "")
              + " buckets");
    }
  }

  /** A position without buckets. */
  public SamplerPosition(long seed, int epoch, int position, long globalBatch) {
    this(seed, epoch, position, globalBatch, null, null);
  }

  /** {@code s} of a run taking {@code globalBatch} rows per step. */
  public static SamplerPosition of(BucketSampler.State s, long globalBatch) {
    return new SamplerPosition(s.seed(), s.epoch(), s.position(), globalBatch);
  }

  /** {@code p} of a bucketed run taking {@code microBatches} micro-batches per step over all. */
  public static SamplerPosition ofBuckets(
      BucketBatchSampler.Position p, BucketConfig buckets, long microBatches) {
    return new SamplerPosition(p.seed(), p.epoch(), p.position(), microBatches, p.world(), buckets);
  }

  /** Whether a bucketed run wrote this. */
  public boolean bucketed() {
    return buckets != null;
  }

  /** The sampler state to restore (without buckets). */
  public BucketSampler.State state() {
    return new BucketSampler.State(seed, epoch, position);
  }

  /** The bucket sampler position to restore (with buckets). */
  public BucketBatchSampler.Position bucketPosition() {
    if (world == null) {
      throw new IllegalStateException("not a bucketed position");
    }
    return new BucketBatchSampler.Position(seed, epoch, position, world);
  }
}
