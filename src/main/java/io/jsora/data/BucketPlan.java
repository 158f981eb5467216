package io.jsora.data;

import io.jsora.data.bucket.BucketAssigner;
import io.jsora.data.bucket.BucketBatchSampler;
import io.jsora.data.bucket.BucketConfig;
import io.jsora.data.bucket.BucketId;
import io.jsora.data.bucket.SampleShape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Resolution buckets as a {@link BatchPlan}: a {@link BucketBatchSampler} over the dataset's stored
 * shapes, each batch naming its bucket, so the loader brings the samples to the bucket's length and
 * size ({@link BucketTransform}). Batches are always full ({@code drop_last}, as the reference
 * trains).
 */
public final class BucketPlan implements BatchPlan<BucketBatchSampler.Position> {
  private final BucketBatchSampler sampler;
  private final BucketAssigner assigner;
  private final long seed;

  /**
   * @param shapes per dataset row, its stored length and frame size
   * @param frameInterval the stride at which frames are read
   * @param seed the run's seed (the reference seeds its bucket sampler with it), >= 0
   * @param rank this data-parallel replica
   * @param world data-parallel replicas
   * @throws IllegalArgumentException when the buckets fill no step (naming the buckets and their
   *     batch sizes), or a sample lands in a bucket without a batch size
   */
  public BucketPlan(
      BucketConfig config,
      List<SampleShape> shapes,
      int frameInterval,
      long seed,
      int rank,
      int world) {
    this.assigner = new BucketAssigner(config, frameInterval);
    this.seed = seed;
    this.sampler = new BucketBatchSampler(assigner, shapes, true, seed, rank, world);
  }

  /**
   * The buckets that take samples in epoch 0 but fewer than one batch of them, so never fill a
   * batch, each as {@code "bucket (144p, 51, 0.56) holds 3 samples, fewer than its batch size 4"}.
   */
  public List<String> starved(List<SampleShape> shapes) {
    Map<BucketId, Integer> counts = new LinkedHashMap<>();
    for (Optional<BucketId> id : assigner.assignAll(shapes, seed, 0)) {
      id.ifPresent(b -> counts.merge(b, 1, Integer::sum));
    }
    List<String> out = new ArrayList<>();
    for (Map.Entry<BucketId, Integer> e : counts.entrySet()) {
      BucketId b = e.getKey();
      int bs = assigner.config().bucket(b.resolution(), b.numFrames()).batchSize();
      if (e.getValue() < bs) {
        out.add(
            "bucket "
                + b
                + " holds "
                + e.getValue()
                + " sample(s), fewer than its batch size "
                + bs);
      }
    }
    return out;
  }

  /** The stored shape of each row, from {@link Loader#shapeKeys} with no cut. */
  public static List<SampleShape> shapes(long[][] keys) {
    SampleShape[] out = new SampleShape[keys.length];
    for (int i = 0; i < keys.length; i++) {
      long[] k = keys[i];
      out[i] = new SampleShape((int) k[0], (int) k[1], (int) k[2]);
    }
    return List.of(out);
  }

  @Override
  public void setEpoch(int e) {
    sampler.setEpoch(e);
  }

  @Override
  public int epoch() {
    return sampler.epoch();
  }

  @Override
  public int batchesPerEpoch() {
    return sampler.batchesPerEpoch();
  }

  @Override
  public PlannedBatch nextBatch() {
    BucketBatchSampler.BucketBatch b = sampler.next();
    return b == null ? null : new PlannedBatch(b.rows(), b.bucket(), sampler.epoch());
  }

  @Override
  public BucketBatchSampler.Position position() {
    return sampler.position();
  }

  /** Continues where {@code p} was taken (also under another number of replicas). */
  public void restore(BucketBatchSampler.Position p) {
    sampler.restore(p);
  }
}
