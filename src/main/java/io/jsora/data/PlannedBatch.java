package io.jsora.data;

import io.jsora.data.bucket.BucketId;
import java.util.Arrays;

/**
 * One batch a {@link BatchPlan} names.
 *
 * @param rows dataset rows, in batch order
 * @param bucket the bucket whose length and size every sample is brought to ({@link
 *     BucketTransform}), or null to take the samples as stored
 * @param epoch the epoch the batch belongs to (seeds the samples' temporal windows)
 */
public record PlannedBatch(long[] rows, BucketId bucket, int epoch) {
  public PlannedBatch {
    rows = rows.clone();
  }

  @Override
  public long[] rows() {
    return rows.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PlannedBatch p
        && Arrays.equals(p.rows, rows)
        && java.util.Objects.equals(p.bucket, bucket)
        && p.epoch == epoch;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(rows) * 31 + java.util.Objects.hashCode(bucket) + epoch;
  }

  @Override
  public String toString() {
    return (bucket == null ? "" : bucket + " ") + Arrays.toString(rows);
  }
}
