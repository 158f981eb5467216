package io.jsora.parallel;

import io.jsora.tensor.DType;
import io.jsora.tensor.Scopes;
import io.jsora.tensor.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * The parameters of a model as communication buckets: own handles to the parameters, their gradient
 * scales, the flat layout, and the moves between {@code .grad} tensors and flat buffers. Shared by
 * {@link GradientSync} and {@link ZeroAdamW}.
 *
 * <p>Gradient scale: the reduction runs over the whole world (DP × SP ranks) as a sum. A partial
 * gradient (a parameter used on this rank's sequence slice only) is scaled by 1/dpSize, so the sum
 * over the SP group completes it and the sum over DP averages it; a complete gradient (identical on
 * every SP rank) by 1/(dpSize · spSize).
 */
final class GradBuckets implements AutoCloseable {
  /** Default bucket size in bytes, as PyTorch DDP's bucket_cap_mb. */
  static final long DEFAULT_BUCKET_BYTES = 25L << 20;

  final List<String> names = new ArrayList<>();
  final List<Tensor> params = new ArrayList<>();
  final double[] scale;
  final FlatLayout layout;
  final Group world;

  GradBuckets(
      ParallelContext ctx,
      Map<String, Tensor> named,
      Predicate<String> complete,
      long bucketBytes,
      boolean shard) {
    if (named.isEmpty()) {
      throw new IllegalArgumentException("no parameters given");
    }
    this.world = ctx.world();
    int n = named.size();
    long[] numels = new long[n];
    int[] dtypes = new int[n];
    scale = new double[n];
    long maxItem = 1;
    try (PointerScope s = new PointerScope()) {
      int i = 0;
      for (Map.Entry<String, Tensor> e : named.entrySet()) {
        Tensor p = e.getValue();
        if (!p.is_contiguous()) {
          throw new IllegalArgumentException("parameter " + e.getKey() + " is not contiguous");
        }
        names.add(e.getKey());
        params.add(Scopes.keep(new Tensor(p)));
        numels[i] = p.numel();
        DType d = DType.of(p);
        dtypes[i] = d.ordinal() + (p.is_cuda() ? 100 : 0);
        maxItem = Math.max(maxItem, d.byteSize());
        boolean full = complete.test(e.getKey());
        scale[i] = 1.0 / (full ? (double) ctx.dpSize() * ctx.spSize() : ctx.dpSize());
        i++;
      }
    }
    int shards = shard ? world.size() : 1;
    int index = shard ? world.rank() : 0;
    layout = new FlatLayout(numels, dtypes, Math.max(1, bucketBytes / maxItem), shards, index);
  }

  int size() {
    return params.size();
  }

  /**
   * Which parameters have a gradient on at least one rank (one small all-reduce): a parameter with
   * none anywhere is skipped, consistently on every rank.
   */
  boolean[] active() {
    int n = params.size();
    float[] has = new float[n];
    for (int i = 0; i < n; i++) {
      has[i] = hasGrad(params.get(i)) ? 1f : 0f;
    }
    if (world.size() > 1) {
      try (PointerScope s = new PointerScope()) {
        Tensor t = Tensors.of(has, n);
        Tensor onDevice =
            params.get(0).is_cuda() ? t.to(params.get(0).device(), t.scalar_type()) : t;
        world.allReduceSum(onDevice);
        has = Tensors.toFloats(onDevice);
      }
    }
    boolean[] out = new boolean[n];
    for (int i = 0; i < n; i++) {
      out[i] = has[i] > 0;
    }
    return out;
  }

  /** Whether any parameter of bucket {@code b} is active. */
  static boolean anyActive(FlatLayout.Bucket b, boolean[] active) {
    for (FlatLayout.Slot s : b.slots()) {
      if (active[s.param()]) {
        return true;
      }
    }
    return false;
  }

  /**
   * A new flat buffer (padded length) holding bucket {@code b}'s gradients, each times its scale;
   * zero where a parameter has no gradient on this rank. Caller's scope owns it.
   */
  Tensor flatten(FlatLayout.Bucket b, boolean[] active) {
    try (NoGradGuard ng = new NoGradGuard()) {
      Tensor first = params.get(b.slots().get(0).param());
      Tensor buf = first.new_zeros(b.padded());
      double common = scale[b.slots().get(0).param()];
      boolean uniform = true;
      for (FlatLayout.Slot s : b.slots()) {
        uniform &= scale[s.param()] == common;
      }
      for (FlatLayout.Slot s : b.slots()) {
        Tensor p = params.get(s.param());
        if (!active[s.param()] || !hasGrad(p)) {
          continue;
        }
        Tensor seg = buf.narrow(0, s.offset(), s.numel());
        seg.copy_(p.grad().reshape(-1));
        if (!uniform) {
          seg.mul_(new Scalar(scale[s.param()]));
        }
      }
      if (uniform && common != 1.0) {
        buf.mul_(new Scalar(common));
      }
      return buf;
    }
  }

  /**
   * Writes a reduced bucket back into the gradients of its active parameters (creating missing
   * ones).
   */
  void unflattenGrads(FlatLayout.Bucket b, Tensor flat, boolean[] active) {
    try (NoGradGuard ng = new NoGradGuard()) {
      for (FlatLayout.Slot s : b.slots()) {
        if (!active[s.param()]) {
          continue;
        }
        Tensor p = params.get(s.param());
        Tensor v = flat.narrow(0, s.offset(), s.numel()).view(io.jsora.tensor.Shapes.of(p));
        if (hasGrad(p)) {
          p.grad().copy_(v);
        } else {
          p.mutable_grad().put(v.clone());
        }
      }
    }
  }

  static boolean hasGrad(Tensor p) {
    try (Tensor g = p.grad()) {
      return g.defined();
    }
  }

  @Override
  public void close() {
    Scopes.closeAll(params);
    params.clear();
  }
}
