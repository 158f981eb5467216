package io.jsora.data;

import io.jsora.tensor.Seeds;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Batches of rows whose samples share a shape (T, H, W), so no padding is needed, in a seeded order
 * that every rank computes alike.
 *
 * <p>Epoch {@code e}: the rows are shuffled with a generator seeded by {@code (seed, e)}; rows of
 * each shape are cut, in that order, into batches of {@code batchSize} (the last, smaller batch of
 * a shape is dropped with {@code dropLast}); the batches are shuffled; the list is cut to a
 * multiple of {@code world}, and rank {@code r} takes batches {@code r, r + world, ...}, so every
 * rank runs the same number of steps. {@link #state()} is the place in that sequence; {@link
 * #restore} puts a sampler back exactly there (resume mid-epoch).
 */
public final class BucketSampler implements BatchPlan<BucketSampler.State> {
  /** Where a sampler stands: epoch and batches already handed out this epoch (by this rank). */
  public record State(long seed, int epoch, int position) {}

  private final long[][] keys;
  private final int batchSize;
  private final boolean dropLast;
  private final long seed;
  private final int rank;
  private final int world;

  /**
   * Micro-batches per optimizer step, when batches are cut from global batches (see {@link
   * #forSteps}); 0 otherwise.
   */
  private final int micro;

  private int epoch;
  private int position;
  private List<long[]> plan;

  /**
   * @param keys per row its shape key (e.g. latent or video T, H, W); rows with equal keys may
   *     share a batch
   */
  public BucketSampler(
      long[][] keys, int batchSize, boolean dropLast, long seed, int rank, int world) {
    this(keys, batchSize, dropLast, seed, rank, world, 0);
  }

  /**
   * Batches for training steps whose makeup does not depend on how a step is split: each epoch the
   * rows are cut (per shape, full batches only) into global batches of {@code microBatch ×
   * accumulation × world} rows, the global batches are shuffled, and each is cut into {@code
   * accumulation × world} slices of {@code microBatch}; rank {@code r} takes, per global batch,
   * slices {@code m·world + r} for {@code m = 0 .. accumulation−1}, in that order. So one process
   * with batch 2b, two micro-batches of b, and two ranks of b see the same rows in each step.
   */
  public static BucketSampler forSteps(
      long[][] keys, int microBatch, int accumulation, long seed, int rank, int world) {
    if (accumulation < 1) {
      throw new IllegalArgumentException("accumulation must be >= 1, got " + accumulation);
    }
    return new BucketSampler(keys, microBatch, true, seed, rank, world, accumulation);
  }

  private BucketSampler(
      long[][] keys, int batchSize, boolean dropLast, long seed, int rank, int world, int micro) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
    }
    if (world < 1 || rank < 0 || rank >= world) {
      throw new IllegalArgumentException(
          "rank " + rank + " of world " + world + ": need 0 <= rank < world");
    }
    this.keys = keys;
    this.batchSize = batchSize;
    this.dropLast = dropLast;
    this.seed = seed;
    this.rank = rank;
    this.world = world;
    this.micro = micro;
  }

  /** Starts epoch {@code e} from its first batch. */
  @Override
  public void setEpoch(int e) {
    epoch = e;
    position = 0;
    plan = null;
  }

  @Override
  public int epoch() {
    return epoch;
  }

  public State state() {
    return new State(seed, epoch, position);
  }

  /** Continues exactly where {@code s} was taken. */
  public void restore(State s) {
    if (s.seed() != seed) {
      throw new IllegalArgumentException(
          "sampler state has seed " + s.seed() + ", this sampler " + seed);
    }
    setEpoch(s.epoch());
    if (s.position() < 0 || s.position() > batchesPerEpoch()) {
      throw new IllegalArgumentException(
          "sampler position " + s.position() + " outside 0.." + batchesPerEpoch());
    }
    position = s.position();
  }

  /** Batches this rank gets per epoch. */
  @Override
  public int batchesPerEpoch() {
    return plan().size();
  }

  /** The next batch's row indices, or null at the end of the epoch. */
  public long[] next() {
    List<long[]> p = plan();
    if (position >= p.size()) {
      return null;
    }
    return p.get(position++).clone();
  }

  /** {@link #next()} as a plan's batch: the samples as stored. */
  @Override
  public PlannedBatch nextBatch() {
    long[] rows = next();
    return rows == null ? null : new PlannedBatch(rows, null, epoch);
  }

  /** {@link #state()}. */
  @Override
  public State position() {
    return state();
  }

  private List<long[]> plan() {
    if (plan == null) {
      plan = build(epoch);
    }
    return plan;
  }

  private List<long[]> build(int e) {
    int n = keys.length;
    long[] order = new long[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    SplittableRandom rnd = new SplittableRandom(Seeds.mix(seed, e));
    shuffle(order, rnd);
    Map<String, List<Long>> buckets = new LinkedHashMap<>();
    for (long r : order) {
      buckets.computeIfAbsent(Arrays.toString(keys[(int) r]), k -> new ArrayList<>()).add(r);
    }
    int cut = micro > 0 ? batchSize * micro * world : batchSize;
    List<long[]> all = new ArrayList<>();
    for (List<Long> rows : buckets.values()) {
      for (int i = 0; i < rows.size(); i += cut) {
        int m = Math.min(cut, rows.size() - i);
        if (m < cut && micro > 0) {
          break;
        }
        if (m < batchSize && dropLast) {
          break;
        }
        long[] b = new long[m];
        for (int j = 0; j < m; j++) {
          b[j] = rows.get(i + j);
        }
        all.add(b);
      }
    }
    long[][] arr = all.toArray(new long[0][]);
    for (int i = arr.length - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      long[] t = arr[i];
      arr[i] = arr[j];
      arr[j] = t;
    }
    if (micro > 0) {
      List<long[]> mine = new ArrayList<>();
      for (long[] global : arr) {
        for (int m = 0; m < micro; m++) {
          int slice = m * world + rank;
          mine.add(Arrays.copyOfRange(global, slice * batchSize, (slice + 1) * batchSize));
        }
      }
      return mine;
    }
    int usable = arr.length / world * world;
    List<long[]> mine = new ArrayList<>();
    for (int i = rank; i < usable; i += world) {
      mine.add(arr[i]);
    }
    return mine;
  }

  private static void shuffle(long[] a, SplittableRandom rnd) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      long t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
