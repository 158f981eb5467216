package io.jsora.data;

/**
 * The order a {@link Loader} builds batches in, epoch by epoch: the rows of each batch and, when
 * samples are brought to a bucket's size, that bucket; and where the plan stands, to resume from.
 * {@link BucketSampler} (batches of one stored shape) and {@link BucketPlan} (resolution buckets)
 * are the two plans.
 *
 * @param <P> the position type a checkpoint keeps
 */
public interface BatchPlan<P> {
  /** Starts epoch {@code e} from its first batch. */
  void setEpoch(int e);

  /** The epoch being read. */
  int epoch();

  /** Batches this rank gets per epoch. */
  int batchesPerEpoch();

  /** The next batch of this rank, or null at the end of the epoch. */
  PlannedBatch nextBatch();

  /** Where the plan stands after the batches handed out so far: restoring it continues there. */
  P position();
}
