package io.jsora.parallel;

import io.jsora.tensor.Natives;
import io.jsora.tensor.Tensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Splits the sample indices {@code 0 .. size-1} among data-parallel replicas, epoch by epoch, as
 * PyTorch's {@code DistributedSampler} does (same indices for the same seed, epoch, rank and
 * replica count): a permutation drawn with a generator seeded {@code seed + epoch} (or the identity
 * without shuffling), padded by repeating its start to a multiple of the replica count (or
 * truncated with {@code dropLast}), then every {@code replicas}-th index from {@code rank}.
 *
 * <p>It also keeps a cursor, so training can resume mid-epoch: {@link #next} hands out this
 * replica's indices in order and rolls into the next epoch; {@link #position} and {@link #seek}
 * save and restore the cursor. A position is only meaningful with the same replica count and
 * dataset size. Indices only: the dataset decides what an index means (bucketed batching can build
 * on the permutation too).
 */
public final class ShardedSampler {
  private final long size;
  private final int rank;
  private final int replicas;
  private final long seed;
  private final boolean shuffle;
  private final boolean dropLast;
  private final long perReplica;
  private long epoch;
  private long offset;
  private long[] cached;
  private long cachedEpoch = -1;

  /** Where the cursor is: the epoch and how many of this replica's indices it has handed out. */
  public record Position(long epoch, long offset) {}

  /**
   * @param size number of samples
   * @param rank this replica ({@link ParallelContext#dpRank()})
   * @param replicas number of replicas ({@link ParallelContext#dpSize()})
   */
  public ShardedSampler(
      long size, int rank, int replicas, long seed, boolean shuffle, boolean dropLast) {
    if (replicas < 1 || rank < 0 || rank >= replicas) {
      throw new IllegalArgumentException(
          "sampler rank " + rank + " outside " + replicas + " replicas");
    }
    if (size < 1) {
      throw new IllegalArgumentException("cannot sample from an empty dataset");
    }
    if (dropLast && size < replicas) {
      throw new IllegalArgumentException(
          "dataset of "
              + size
              + " samples is smaller than "
              + replicas
              + " replicas with dropLast");
    }
    this.size = size;
    this.rank = rank;
    this.replicas = replicas;
    this.seed = seed;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.perReplica = dropLast ? size / replicas : (size + replicas - 1) / replicas;
  }

  /** Indices each replica gets per epoch. */
  public long samplesPerReplica() {
    return perReplica;
  }

  /** This replica's indices for {@code epoch}, in order. */
  public long[] indices(long epoch) {
    long[] perm = permutation(epoch);
    long[] out = new long[Math.toIntExact(perReplica)];
    for (int i = 0; i < out.length; i++) {
      long j = rank + (long) i * replicas; // position in the padded (repeating) or truncated list
      out[i] = perm[(int) (j % size)];
    }
    return out;
  }

  /** The next index for this replica; after the last of an epoch, the first of the next. */
  public long next() {
    if (offset == perReplica) {
      epoch++;
      offset = 0;
    }
    if (cachedEpoch != epoch) {
      cached = indices(epoch);
      cachedEpoch = epoch;
    }
    return cached[(int) offset++];
  }

  /** The next {@code n} indices (possibly crossing into the next epoch). */
  public long[] next(int n) {
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = next();
    }
    return out;
  }

  /** The current epoch (the one the next index comes from, unless this one is used up). */
  public long epoch() {
    return epoch;
  }

  public Position position() {
    return new Position(epoch, offset);
  }

  /** Moves the cursor to a saved position. */
  public void seek(Position p) {
    if (p.epoch() < 0 || p.offset() < 0 || p.offset() > perReplica) {
      throw new IllegalArgumentException(
          "sampler position "
              + p
              + " is invalid: offset must be within 0.."
              + perReplica
              + " (is the dataset size or replica count different?)");
    }
    epoch = p.epoch();
    offset = p.offset();
  }

  /** The epoch's permutation of all indices (identity without shuffling). */
  private long[] permutation(long epoch) {
    if (!shuffle) {
      long[] id = new long[Math.toIntExact(size)];
      for (int i = 0; i < id.length; i++) {
        id[i] = i;
      }
      return id;
    }
    Natives.load();
    try (PointerScope s = new PointerScope()) {
      Generator g = torch.createCPUGenerator(seed + epoch);
      Tensor perm =
          torch.randperm(size, new GeneratorOptional(g), new TensorOptions(torch.ScalarType.Long));
      return Tensors.toLongs(perm);
    }
  }
}
