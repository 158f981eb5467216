package io.jsora.parallel;

import java.util.Map;
import java.util.function.Predicate;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Data-parallel helpers for any optimizer: the same starting weights everywhere ({@link
 * #broadcastFromRank0}), and gradients averaged over the data-parallel replicas with bucketed
 * all-reduce ({@link #sync}).
 *
 * <pre>{@code
 * var sync = new GradientSync(ctx, params, name -> !name.startsWith("blocks."));  // once
 * GradientSync.broadcastFromRank0(ctx, params.values());
 * for (...) { try (PointerScope s = new PointerScope()) {
 *   opt.zero_grad(); loss(model, batch).backward();
 *   sync.sync();                  // every rank now holds the average gradient
 *   opt.step();                   // identical update on every rank
 * } }
 * }</pre>
 *
 * Gradients are flattened into buckets of about 25 MB (one dtype each), scaled, summed over the
 * world group and written back. A parameter that has no gradient on any rank is skipped (its {@code
 * .grad} stays undefined, so optimizers skip it as in a single process); one that has a gradient on
 * some ranks only counts as zero elsewhere and gets the average everywhere. With sequence
 * parallelism, {@code complete} names the parameters whose gradients are already complete on each
 * SP rank (see {@link SequenceParallel}); at SP size 1 it does not matter.
 */
public final class GradientSync implements AutoCloseable {
  private final GradBuckets buckets;

  /** With the default bucket size (25 MB). */
  public GradientSync(ParallelContext ctx, Map<String, Tensor> params, Predicate<String> complete) {
    this(ctx, params, complete, GradBuckets.DEFAULT_BUCKET_BYTES);
  }

  /**
   * @param params the model's parameters by name, in the same order on every rank
   * @param complete names of parameters used outside the sequence-split region
   * @param bucketBytes bucket size limit in bytes
   */
  public GradientSync(
      ParallelContext ctx,
      Map<String, Tensor> params,
      Predicate<String> complete,
      long bucketBytes) {
    this.buckets = new GradBuckets(ctx, params, complete, bucketBytes, false);
  }

  /** Number of buckets (for logs and tests). */
  public int bucketCount() {
    return buckets.layout.buckets.size();
  }

  /** Replaces every rank's gradients by their average over the data-parallel replicas. */
  public void sync() {
    if (buckets.world.size() == 1) {
      return;
    }
    boolean[] active = buckets.active();
    for (FlatLayout.Bucket b : buckets.layout.buckets) {
      if (!GradBuckets.anyActive(b, active)) {
        continue;
      }
      try (PointerScope s = new PointerScope()) {
        Tensor flat = buckets.flatten(b, active);
        buckets.world.allReduceSum(flat);
        buckets.unflattenGrads(b, flat, active);
      }
    }
  }

  /**
   * Copies rank 0's values of {@code tensors} (parameters and buffers) to every rank, in buckets:
   * call once after building the model so every replica starts identical.
   */
  public static void broadcastFromRank0(ParallelContext ctx, Iterable<Tensor> tensors) {
    Group world = ctx.world();
    if (world.size() == 1) {
      return;
    }
    try (PointerScope s = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      java.util.List<Tensor> batch = new java.util.ArrayList<>();
      long bytes = 0;
      for (Tensor t : tensors) {
        long nb = t.nbytes();
        if (!batch.isEmpty()
            && (bytes + nb > GradBuckets.DEFAULT_BUCKET_BYTES || !sameKind(batch.get(0), t))) {
          broadcastBatch(world, batch);
          batch.clear();
          bytes = 0;
        }
        batch.add(t);
        bytes += nb;
      }
      if (!batch.isEmpty()) {
        broadcastBatch(world, batch);
      }
    }
  }

  private static void broadcastBatch(Group world, java.util.List<Tensor> batch) {
    try (PointerScope s = new PointerScope();
        TensorVector flats = new TensorVector()) {
      for (Tensor t : batch) {
        flats.push_back(t.reshape(-1));
      }
      Tensor flat = torch.cat(flats, 0);
      world.broadcast(flat, 0);
      long off = 0;
      for (Tensor t : batch) {
        long n = t.numel();
        t.copy_(flat.narrow(0, off, n).view(io.jsora.tensor.Shapes.of(t)));
        off += n;
      }
    }
  }

  private static boolean sameKind(Tensor a, Tensor b) {
    return a.scalar_type().value == b.scalar_type().value && a.is_cuda() == b.is_cuda();
  }

  @Override
  public void close() {
    buckets.close();
  }
}
