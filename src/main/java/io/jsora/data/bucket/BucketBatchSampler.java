package io.jsora.data.bucket;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntFunction;

/**
 * Batches of one bucket each, the bucket's batch size per rank, in an order every rank computes
 * alike from (seed, epoch), as the reference's {@code VariableVideoBatchSampler} (Open-Sora 1.2).
 *
 * <p>Epoch {@code e}, with a generator {@code g} as {@code torch.Generator().manual_seed(seed + e)}
 * ({@link Mt19937}):
 *
 * <ol>
 *   <li>the samples are assigned to buckets for the epoch and grouped, buckets in the order their
 *       first sample appears;
 *   <li>each bucket's list is cut to a multiple of its batch size b ({@code dropLast}) or padded
 *       with its first samples (at most its length, so a bucket with fewer than b / 2 samples still
 *       yields no batch, as in the reference), then shuffled by {@code randperm(n, g)};
 *   <li>one access per batch of each bucket, the accesses shuffled by {@code randperm(·, g)}, the
 *       list cut ({@code dropLast}) or padded with its first accesses to a multiple of the world
 *       size;
 *   <li>step {@code s} is accesses {@code s·world .. s·world + world − 1}; rank {@code r} takes the
 *       {@code r}-th, the next b unconsumed samples of that bucket.
 * </ol>
 *
 * So every rank has the same number of batches per epoch and each batch is one bucket's. Where the
 * padded accesses ask a bucket for more batches than it holds, its samples are taken again from its
 * start (the reference hands out a short or empty batch there).
 *
 * <p>{@link #position()} is where this rank stands; {@link #restore} continues exactly there, also
 * under another world size (at the step covering the same number of consumed accesses, as the
 * reference).
 */
public final class BucketBatchSampler {
  /**
   * Where a sampler stands.
   *
   * @param seed the sampler's seed
   * @param epoch the epoch being read
   * @param position batches of the epoch already handed out on each rank (steps taken)
   * @param world ranks the position was counted with
   */
  public record Position(
      @JsonProperty("seed") long seed,
      @JsonProperty("epoch") int epoch,
      @JsonProperty("position") int position,
      @JsonProperty("world") int world) {
    public Position {
      if (epoch < 0 || position < 0 || world < 1) {
        throw new IllegalArgumentException(
            "bucket sampler position: epoch and position must be >= 0 and world >= 1, got "
                + epoch
                + ", "
                + position
                + ", "
                + world);
      }
    }
  }

  /** One rank's batch: the bucket and the dataset rows in it. */
  public record BucketBatch(BucketId bucket, long[] rows) {
    @Override
    public boolean equals(Object o) {
      return o instanceof BucketBatch b && b.bucket.equals(bucket) && Arrays.equals(b.rows, rows);
    }

    @Override
    public int hashCode() {
      return bucket.hashCode() * 31 + Arrays.hashCode(rows);
    }

    @Override
    public String toString() {
      return bucket + Arrays.toString(rows);
    }
  }

  private final BucketConfig config;
  private final IntFunction<List<Optional<BucketId>>> assignment;
  private final boolean dropLast;
  private final long seed;
  private final int rank;
  private final int world;

  private int epoch;
  private int position;
  private List<BucketBatch> plan;

  /**
   * Samples bucketed by {@code assigner} anew each epoch (seed {@code seed + epoch + n × ...}, see
   * {@link BucketAssigner#assignAll}).
   *
   * @throws IllegalArgumentException when epoch 0 fills no step (see {@link #batchesPerEpoch()})
   */
  public BucketBatchSampler(
      BucketAssigner assigner,
      List<SampleShape> samples,
      boolean dropLast,
      long seed,
      int rank,
      int world) {
    this(assigner.config(), e -> assigner.assignAll(samples, seed, e), dropLast, seed, rank, world);
  }

  /**
   * Samples bucketed by {@code assignment}: for an epoch, per dataset row its bucket or empty.
   *
   * @throws IllegalArgumentException when epoch 0 fills no step (see {@link #batchesPerEpoch()})
   */
  public BucketBatchSampler(
      BucketConfig config,
      IntFunction<List<Optional<BucketId>>> assignment,
      boolean dropLast,
      long seed,
      int rank,
      int world) {
    if (world < 1 || rank < 0 || rank >= world) {
      throw new IllegalArgumentException(
          "rank " + rank + " of world " + world + ": need 0 <= rank < world");
    }
    if (seed < 0) {
      throw new IllegalArgumentException("bucket sampler seed must be >= 0, got " + seed);
    }
    this.config = config;
    this.assignment = assignment;
    this.dropLast = dropLast;
    this.seed = seed;
    this.rank = rank;
    this.world = world;
    plan();
  }

  /** Starts epoch {@code e} from its first batch. */
  public void setEpoch(int e) {
    if (e < 0) {
      throw new IllegalArgumentException("epoch must be >= 0, got " + e);
    }
    if (e != epoch || plan == null) {
      plan = null;
    }
    epoch = e;
    position = 0;
  }

  public int epoch() {
    return epoch;
  }

  public Position position() {
    return new Position(seed, epoch, position, world);
  }

  /**
   * Continues where {@code p} was taken: the same batch next, or, when {@code p} was counted with
   * another world size, the step after the accesses {@code p} had consumed (rounded down).
   */
  public void restore(Position p) {
    if (p.seed() != seed) {
      throw new IllegalArgumentException(
          "bucket sampler position has seed " + p.seed() + ", this sampler " + seed);
    }
    setEpoch(p.epoch());
    int at = (int) ((long) p.position() * p.world() / world);
    if (at > batchesPerEpoch()) {
      throw new IllegalArgumentException(
          "bucket sampler position "
              + p.position()
              + " (of "
              + p.world()
              + " ranks) is past epoch "
              + p.epoch()
              + "'s "
              + batchesPerEpoch()
              + " steps on "
              + world
              + " ranks");
    }
    position = at;
  }

  /**
   * Batches each rank gets this epoch.
   *
   * @throws IllegalArgumentException when the epoch's buckets fill no step: no sample fits a
   *     bucket, or the buckets hold too few samples for a batch on every rank
   */
  public int batchesPerEpoch() {
    return plan().size();
  }

  /** The next batch of this rank, or null at the end of the epoch. */
  public BucketBatch next() {
    List<BucketBatch> p = plan();
    if (position >= p.size()) {
      return null;
    }
    BucketBatch b = p.get(position++);
    return new BucketBatch(b.bucket(), b.rows().clone());
  }

  private List<BucketBatch> plan() {
    if (plan == null) {
      plan = build(epoch);
    }
    return plan;
  }

  private List<BucketBatch> build(int e) {
    List<Optional<BucketId>> ids = assignment.apply(e);
    Map<BucketId, List<Long>> groups = new LinkedHashMap<>();
    for (int n = 0; n < ids.size(); n++) {
      Optional<BucketId> id = ids.get(n);
      if (id.isPresent()) {
        groups.computeIfAbsent(id.get(), k -> new ArrayList<>()).add((long) n);
      }
    }
    Mt19937 g = new Mt19937(seed + e);
    Map<BucketId, long[]> rows = new LinkedHashMap<>();
    List<BucketId> accesses = new ArrayList<>();
    for (Map.Entry<BucketId, List<Long>> en : groups.entrySet()) {
      int bs = batchSize(en.getKey());
      List<Long> list = new ArrayList<>(en.getValue());
      int rem = list.size() % bs;
      if (rem > 0) {
        if (dropLast) {
          list = list.subList(0, list.size() - rem);
        } else {
          list.addAll(new ArrayList<>(list.subList(0, Math.min(bs - rem, list.size()))));
        }
      }
      int[] perm = g.randperm(list.size());
      long[] shuffled = new long[list.size()];
      for (int i = 0; i < perm.length; i++) {
        shuffled[i] = list.get(perm[i]);
      }
      rows.put(en.getKey(), shuffled);
      for (int k = 0; k < shuffled.length / bs; k++) {
        accesses.add(en.getKey());
      }
    }
    int[] perm = g.randperm(accesses.size());
    List<BucketId> order = new ArrayList<>(accesses.size());
    for (int i : perm) {
      order.add(accesses.get(i));
    }
    int rem = order.size() % world;
    if (rem > 0) {
      if (dropLast) {
        order = order.subList(0, order.size() - rem);
      } else {
        order.addAll(new ArrayList<>(order.subList(0, Math.min(world - rem, order.size()))));
      }
    }
    int steps = order.size() / world;
    if (steps == 0) {
      throw new IllegalArgumentException(emptyMessage(e, ids.size(), groups));
    }
    Map<BucketId, Integer> consumed = new LinkedHashMap<>();
    List<BucketBatch> mine = new ArrayList<>(steps);
    for (int s = 0; s < steps; s++) {
      for (int k = 0; k < world; k++) {
        BucketId b = order.get(s * world + k);
        int bs = batchSize(b);
        int start = consumed.getOrDefault(b, 0);
        consumed.put(b, start + bs);
        if (k == rank) {
          long[] all = rows.get(b);
          long[] batch = new long[bs];
          for (int j = 0; j < bs; j++) {
            batch[j] = all[(start + j) % all.length];
          }
          mine.add(new BucketBatch(b, batch));
        }
      }
    }
    return List.copyOf(mine);
  }

  private int batchSize(BucketId b) {
    BucketConfig.Bucket c = config.bucket(b.resolution(), b.numFrames());
    if (c == null || c.batchSize() < 1) {
      throw new IllegalArgumentException(
          "sample assigned to " + b + ", which the bucket config has no batch size for");
    }
    return c.batchSize();
  }

  private String emptyMessage(int e, int samples, Map<BucketId, List<Long>> groups) {
    if (groups.isEmpty()) {
      return "bucket config fills no batch in epoch "
          + e
          + ": none of the "
          + samples
          + " samples fits a bucket (a resolution takes samples of at least 0.8 of its pixels, a"
          + " t-frame bucket videos of more than t × frame interval frames, kept with its keep"
          + " probability); buckets: "
          + config.toJson();
    }
    StringBuilder b = new StringBuilder();
    for (Map.Entry<BucketId, List<Long>> en : groups.entrySet()) {
      b.append(b.length() == 0 ? "" : ", ")
          .append(en.getKey())
          .append(": ")
          .append(en.getValue().size())
          .append(" samples for batch size ")
          .append(batchSize(en.getKey()));
    }
    return "bucket config fills no step in epoch "
        + e
        + " on "
        + world
        + " rank(s)"
        + (dropLast ? " with drop_last" : "")
        + ": every rank needs a full batch of one bucket, and the buckets hold "
        + b;
  }
}
