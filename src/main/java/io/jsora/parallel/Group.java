package io.jsora.parallel;

import io.jsora.tensor.Shapes;
import java.util.Arrays;
import java.util.function.Supplier;
import org.bytedeco.pytorch.AllreduceOptions;
import org.bytedeco.pytorch.Backend;
import org.bytedeco.pytorch.BroadcastOptions;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.ReduceOp;
import org.bytedeco.pytorch.ReduceScatterOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.Work;
import org.bytedeco.pytorch.global.torch;

/**
 * A process group: an ordered set of ranks that run collectives together, on Gloo (CPU tensors) or
 * NCCL (CUDA tensors). The job's groups come from {@link ParallelContext}: {@code world}, and the
 * mesh's {@code dp} and {@code sp} groups.
 *
 * <p>Every collective here is synchronous (it returns when this rank's part is done), is watched by
 * the context's peer monitor, and fails with a {@link DistributedException} naming the rank at
 * fault instead of hanging. A group of one rank needs no backend: its collectives return their
 * input's value without communicating.
 *
 * <p>Collectives must be called in the same order on every rank of the group, with tensors of the
 * same shape and dtype. Outputs are new tensors the caller owns (the enclosing {@code PointerScope}
 * releases them); inputs are never modified except by the in-place operations {@link #allReduceSum}
 * and {@link #broadcast}.
 */
public final class Group {
  private final String name;
  private final int[] ranks;
  private final int rank;
  private final Backend backend;
  private final PeerMonitor monitor;
  private final boolean cuda;

  Group(String name, int[] ranks, int rank, Backend backend, PeerMonitor monitor, boolean cuda) {
    this.name = name;
    this.ranks = ranks.clone();
    this.rank = rank;
    this.backend = backend;
    this.monitor = monitor;
    this.cuda = cuda;
    if (ranks.length > 1 && backend == null) {
      throw new IllegalArgumentException(
          "group " + name + " of " + ranks.length + " ranks needs a backend");
    }
  }

  /** A group holding only this process (every collective is the identity). */
  static Group solo(String name, int globalRank) {
    return new Group(name, new int[] {globalRank}, 0, null, null, false);
  }

  /** Name of the group: {@code world}, {@code dp} or {@code sp}. */
  public String name() {
    return name;
  }

  /** This process's rank within the group. */
  public int rank() {
    return rank;
  }

  /** Number of ranks in the group. */
  public int size() {
    return ranks.length;
  }

  /** The global ranks of the members, in group-rank order. */
  public int[] globalRanks() {
    return ranks.clone();
  }

  @Override
  public String toString() {
    return name + Arrays.toString(ranks);
  }

  /** Sums {@code t} over the group, in place. */
  public void allReduceSum(Tensor t) {
    if (size() == 1) {
      return;
    }
    requireContiguous(t, "allReduceSum");
    run(
        "all_reduce",
        () -> {
          try (TensorVector v = new TensorVector(t);
              ReduceOp op = new ReduceOp(ReduceOp.RedOpType.SUM);
              AllreduceOptions o = new AllreduceOptions()) {
            o.reduceOp(op);
            return backend.allreduce(v, o);
          }
        });
  }

  /** Copies {@code t} from group rank {@code root} to every member, in place. */
  public void broadcast(Tensor t, int root) {
    if (root < 0 || root >= size()) {
      throw new IllegalArgumentException("broadcast root " + root + " outside group " + this);
    }
    if (size() == 1) {
      return;
    }
    requireContiguous(t, "broadcast");
    run(
        "broadcast",
        () -> {
          try (TensorVector v = new TensorVector(t);
              BroadcastOptions o = new BroadcastOptions()) {
            o.rootRank(root);
            return backend.broadcast(v, o);
          }
        });
  }

  /**
   * Concatenates every member's {@code local} along {@code dim}, in group-rank order.
   *
   * @param local this rank's part; same shape on every rank
   * @return a new tensor, {@code local}'s shape with {@code dim} multiplied by the group size
   */
  public Tensor allGather(Tensor local, int dim) {
    long[] shape = Shapes.of(local);
    int d = axis(dim, shape.length);
    if (size() == 1) {
      return local.clone();
    }
    int p = size();
    Tensor in = local.contiguous();
    Tensor flat = in.new_empty(p * in.numel());
    run(
        "all_gather",
        () -> {
          try (Tensor inFlat = in.view(-1)) {
            return backend._allgather_base(flat, inFlat);
          }
        });
    long[] stacked = prepend(p, shape);
    long[] out = shape.clone();
    out[d] *= p;
    return flat.view(stacked).movedim(0, d).reshape(out); // (P, ..., n_d, ...) → (..., P·n_d, ...)
  }

  /**
   * Sums {@code full} over the group and returns this rank's slice of the sum along {@code dim}
   * (slice {@code rank} of {@code size} equal slices).
   *
   * @param full same shape on every rank; {@code dim} divisible by the group size
   * @return a new tensor with {@code dim} divided by the group size
   */
  public Tensor reduceScatterSum(Tensor full, int dim) {
    long[] shape = Shapes.of(full);
    int d = axis(dim, shape.length);
    int p = size();
    requireDivisible(shape, d, p, "reduceScatterSum");
    if (p == 1) {
      return full.clone();
    }
    long[] split = splitAxis(shape, d, p);
    Tensor in = full.reshape(split).movedim(d, 0).contiguous(); // (P, ..., n_d/P, ...)
    long[] local = shape.clone();
    local[d] /= p;
    Tensor out = full.new_empty(local);
    run(
        "reduce_scatter",
        () -> {
          try (Tensor inFlat = in.view(-1);
              Tensor outFlat = out.view(-1);
              ReduceOp op = new ReduceOp(ReduceOp.RedOpType.SUM);
              ReduceScatterOptions o = new ReduceScatterOptions()) {
            o.reduceOp(op);
            return backend._reduce_scatter_base(outFlat, inFlat, o);
          }
        });
    return out;
  }

  /**
   * All-to-all: splits {@code x} into {@code size} equal chunks along {@code scatterDim}, sends
   * chunk j to group rank j, and concatenates the chunks received along {@code gatherDim} in rank
   * order. {@code allToAll(allToAll(x, s, g), g, s)} is {@code x}.
   *
   * @return a new tensor: {@code scatterDim} divided and {@code gatherDim} multiplied by the size
   */
  public Tensor allToAll(Tensor x, int scatterDim, int gatherDim) {
    long[] shape = Shapes.of(x);
    int s = axis(scatterDim, shape.length);
    int g = axis(gatherDim, shape.length);
    int p = size();
    requireDivisible(shape, s, p, "allToAll");
    if (s == g) {
      throw new IllegalArgumentException(
          "allToAll: scatter and gather dims must differ, both " + s);
    }
    if (p == 1) {
      return x.clone();
    }
    Tensor in =
        x.reshape(splitAxis(shape, s, p)).movedim(s, 0).contiguous(); // (P, ..., n_s/P, ...)
    Tensor recv = in.new_empty(Shapes.of(in)); // contiguous: c10d writes linearly
    run(
        "all_to_all",
        () -> {
          try (LongVector none = new LongVector();
              LongVector none2 = new LongVector()) {
            return backend.alltoall_base(recv, in, none, none2);
          }
        });
    long[] out = shape.clone();
    out[s] /= p;
    out[g] *= p;
    return recv.movedim(0, g).reshape(out); // chunk i (from rank i) lands at slot i of gatherDim
  }

  /**
   * Waits until every member has reached this call (a one-element all-reduce, so it is watched).
   */
  public void barrier() {
    if (size() == 1) {
      return;
    }
    try (TensorOptions o = new TensorOptions(torch.ScalarType.Float);
        Tensor one = cuda ? torch.ones(new long[] {1}, o).cuda() : torch.ones(new long[] {1}, o)) {
      allReduceSum(one);
    }
  }

  // ---------------------------------------------------------------------------------------------

  private void run(String op, Supplier<Work> start) {
    long seq = monitor == null ? 0 : monitor.enter(name, op);
    try (Work w = start.get()) {
      w._wait();
    } catch (DistributedException e) {
      throw e;
    } catch (RuntimeException e) {
      if (monitor == null) {
        throw e;
      }
      throw monitor.failure(name, ranks, op, seq, e);
    } finally {
      if (monitor != null) {
        monitor.leave();
      }
    }
  }

  private static void requireContiguous(Tensor t, String op) {
    if (!t.is_contiguous()) {
      throw new IllegalArgumentException(
          op + ": the tensor must be contiguous (it is updated in place)");
    }
  }

  private void requireDivisible(long[] shape, int d, int p, String op) {
    if (shape[d] % p != 0) {
      throw new IllegalArgumentException(
          op
              + " on group "
              + this
              + ": dimension "
              + d
              + " of shape "
              + Arrays.toString(shape)
              + " has size "
              + shape[d]
              + ", not divisible by the group size "
              + p);
    }
  }

  private static int axis(int dim, int rank) {
    int d = dim < 0 ? dim + rank : dim;
    if (d < 0 || d >= rank) {
      throw new IllegalArgumentException(
          "dimension " + dim + " out of range for a " + rank + "-d tensor");
    }
    return d;
  }

  private static long[] prepend(long first, long[] shape) {
    long[] out = new long[shape.length + 1];
    out[0] = first;
    System.arraycopy(shape, 0, out, 1, shape.length);
    return out;
  }

  /** {@code shape} with axis d of size n replaced by the two axes (p, n/p). */
  private static long[] splitAxis(long[] shape, int d, int p) {
    long[] out = new long[shape.length + 1];
    for (int i = 0, j = 0; i < shape.length; i++) {
      if (i == d) {
        out[j++] = p;
        out[j++] = shape[i] / p;
      } else {
        out[j++] = shape[i];
      }
    }
    return out;
  }
}
