package io.jsora.parallel;

import io.jsora.tensor.DType;
import io.jsora.tensor.Scopes;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * AdamW over data-parallel replicas, with the ZeRO stage-2 option: each rank keeps the optimizer
 * state (fp32 master weights, first and second moments) of its own shard of the flattened
 * parameters only, receives only its shard of the averaged gradients, updates it, and all-gathers
 * the updated shards back into the full parameters. Stage 0 keeps the whole state on every rank and
 * all-reduces the gradients: the same arithmetic, so a run can switch stages on resume.
 *
 * <pre>{@code
 * ZeroAdamW opt = new ZeroAdamW(ctx, params, AdamWConfig.of(1e-4).withWeightDecay(0), 2, complete);
 * GradientSync.broadcastFromRank0(ctx, params.values());   // identical start (before the optimizer copies them)
 * for (...) { try (PointerScope s = new PointerScope()) {
 *   opt.zeroGrad();
 *   loss(model, batch).backward();
 *   opt.setLr(schedule.at(step));
 *   double norm = opt.step(1.0);        // reduce-scatter, clip to 1.0, update, all-gather
 * } }
 * Map<String, Tensor> state = opt.fullOptimizerState();   // collective; every rank gets it, rank 0 saves it
 * }</pre>
 *
 * <h2>Arithmetic</h2>
 *
 * The update is libtorch's {@code torch::optim::AdamW} step, op for op, on flat tensors: {@code p
 * *= 1 - lr·wd} (parameters with ≥ 2 dimensions; through a per-element factor), {@code m = β1·m +
 * (1-β1)·g}, {@code v = β2·v + (1-β2)·g²}, {@code p -= lr/(1-β1^t) · m / (√v/√(1-β2^t) + ε)}. A
 * parameter with no gradient on any rank is skipped for the step (its state and its step count
 * stay), as in PyTorch; the per-parameter step counts then differ, and the update runs per
 * parameter segment instead of over the whole shard.
 *
 * <h2>Gradients</h2>
 *
 * Gradients are flattened into buckets of about 25 MB, scaled (see {@link GradBuckets}), and
 * reduce-scattered (Gloo and NCCL both implement {@code _reduce_scatter_base}) over the world
 * group; with sequence parallelism the world is DP × SP ranks, so the state is sharded over all of
 * them. The parameters' own {@code .grad} tensors are full-size until {@link #zeroGrad} (no release
 * during backward yet). Each rank holds, for its 1/world of the parameters, fp32 master weights,
 * both moments and the reduced gradient (16 bytes per parameter) and a 1-byte decay mask: 17/world
 * bytes per parameter beside the full-size gradients, against libtorch AdamW's 8 (its moments; it
 * updates the parameters themselves). So ZeRO-2 saves memory from about 3 ranks on; at 2 it costs
 * 0.5 byte per parameter more (measured in the README's Performance section).
 */
public final class ZeroAdamW implements AutoCloseable {
  private final GradBuckets buckets;
  private final Group world;
  private final int stage;
  private AdamWConfig config;
  private final long[] steps;
  private final boolean[] decays;
  private Tensor master;
  private Tensor expAvg;
  private Tensor expAvgSq;
  private Tensor gradShard;
  private Tensor decayMask;
  private boolean reduced;
  private double lastNorm = Double.NaN;
  private boolean[] lastActive;

  /**
   * @param params the parameters by name, same order on every rank; the optimizer copies their
   *     current values as fp32 master weights, so broadcast them first
   * @param stage 0 (state replicated, gradients all-reduced) or 2 (state and gradients sharded)
   * @param complete names of parameters whose gradients are complete on each SP rank (see {@link
   *     SequenceParallel}); irrelevant at SP size 1
   */
  public ZeroAdamW(
      ParallelContext ctx,
      Map<String, Tensor> params,
      AdamWConfig config,
      int stage,
      Predicate<String> complete) {
    this(ctx, params, config, stage, complete, GradBuckets.DEFAULT_BUCKET_BYTES);
  }

  /** As above, with an explicit bucket size in bytes. */
  public ZeroAdamW(
      ParallelContext ctx,
      Map<String, Tensor> params,
      AdamWConfig config,
      int stage,
      Predicate<String> complete,
      long bucketBytes) {
    if (stage != 0 && stage != 2) {
      throw new IllegalArgumentException("--zero must be 0 or 2, found " + stage);
    }
    this.stage = stage;
    this.config = config;
    this.world = ctx.world();
    this.buckets = new GradBuckets(ctx, params, complete, bucketBytes, stage == 2);
    int n = buckets.size();
    this.steps = new long[n];
    this.decays = new boolean[n];
    for (int i = 0; i < n; i++) {
      decays[i] = buckets.params.get(i).dim() >= 2;
    }
    FlatLayout layout = buckets.layout;
    try (PointerScope s = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      Tensor first = buckets.params.get(0);
      Tensor m =
          first.new_zeros(layout.shardNumel).to(DType.F32.scalarType()); // fp32 master weights
      Tensor mask =
          first
              .new_zeros(layout.shardNumel)
              .to(DType.BOOL.scalarType()); // true: weight decay applies
      for (FlatLayout.Segment seg : layout.segments) {
        Tensor p = buckets.params.get(seg.param());
        m.narrow(0, seg.shardOffset(), seg.numel())
            .copy_(p.reshape(-1).narrow(0, seg.paramOffset(), seg.numel()));
        if (decays[seg.param()]) {
          mask.narrow(0, seg.shardOffset(), seg.numel()).fill_(new Scalar(1.0));
        }
      }
      master = Scopes.keep(m);
      expAvg = Scopes.keep(torch.zeros_like(m));
      expAvgSq = Scopes.keep(torch.zeros_like(m));
      gradShard = Scopes.keep(torch.zeros_like(m));
      decayMask = Scopes.keep(mask);
    }
  }

  public AdamWConfig config() {
    return config;
  }

  /** Sets the learning rate for the next steps (a schedule calls it every step). */
  public void setLr(double lr) {
    config =
        new AdamWConfig(lr, config.beta1(), config.beta2(), config.eps(), config.weightDecay());
  }

  public int stage() {
    return stage;
  }

  /** Steps taken by the parameter with the most steps. */
  public long stepCount() {
    return Arrays.stream(steps).max().orElse(0);
  }

  /** Elements of optimizer state (per tensor) this rank holds. */
  public long shardNumel() {
    return buckets.layout.shardNumel;
  }

  /**
   * Bytes of optimizer state this rank holds: its fp32 master weights, both moments and its
   * gradient shard, as allocated (under ZeRO-2 about 1/N of the replicated figure).
   */
  public long stateBytes() {
    long n = 0;
    for (Tensor t : new Tensor[] {master, expAvg, expAvgSq, gradShard}) {
      n += t.nbytes();
    }
    return n;
  }

  /** Drops every parameter's gradient (as {@code zero_grad(set_to_none=True)}). */
  public void zeroGrad() {
    try (Tensor none = new Tensor()) {
      for (Tensor p : buckets.params) {
        if (GradBuckets.hasGrad(p)) {
          p.mutable_grad().put(none);
        }
      }
    }
  }

  /**
   * Averages the gradients over the replicas into this rank's shard (reduce-scatter, or all-reduce
   * at stage 0) and returns the global L2 norm of the averaged gradient (identical on every rank).
   * {@link #step} calls it when it has not been called since the last step.
   */
  public double reduceGradients() {
    boolean[] active = buckets.active();
    try (PointerScope s = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      gradShard.zero_();
      for (FlatLayout.Bucket b : buckets.layout.buckets) {
        if (!GradBuckets.anyActive(b, active)) {
          continue;
        }
        try (PointerScope perBucket =
            new PointerScope()) { // one bucket's flat buffers alive at a time
          Tensor flat = buckets.flatten(b, active);
          Tensor part;
          if (stage == 2) {
            part = world.reduceScatterSum(flat, 0);
          } else {
            world.allReduceSum(flat);
            part = flat;
          }
          gradShard.narrow(0, b.shardOffset(), b.part(buckets.layout.shards)).copy_(part);
        }
      }
      Tensor sq = gradShard.to(DType.F64.scalarType()).pow(new Scalar(2.0)).sum().reshape(1);
      if (stage == 2) {
        world.allReduceSum(sq);
      }
      lastNorm = Math.sqrt(sq.item_double());
    }
    lastActive = active;
    reduced = true;
    return lastNorm;
  }

  /** {@link #step(double)} without clipping. */
  public double step() {
    return step(0);
  }

  /**
   * One optimizer step: reduces the gradients (unless {@link #reduceGradients} already did), clips
   * them to global norm {@code maxNorm} when it is positive (as {@code clip_grad_norm_}: scale by
   * {@code maxNorm / (norm + 1e-6)} when below 1), updates this rank's shard, and all-gathers the
   * result into the parameters. When the norm is not finite the update is skipped on every rank
   * (the norm is the same everywhere) and NaN or infinity is returned.
   *
   * @return the global gradient norm before clipping
   */
  public double step(double maxNorm) {
    if (!reduced) {
      reduceGradients();
    }
    reduced = false;
    double norm = lastNorm;
    boolean[] active = lastActive;
    if (!Double.isFinite(norm)) {
      return norm;
    }
    try (PointerScope s = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      if (maxNorm > 0) {
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1) {
          gradShard.mul_(new Scalar(coef));
        }
      }
      boolean uniform = true;
      for (int i = 0; i < steps.length; i++) {
        uniform &= active[i] && steps[i] == steps[0];
      }
      if (uniform) {
        updateWhole(steps[0] + 1);
        Arrays.fill(steps, steps[0] + 1);
      } else {
        updateSegments(active);
        for (int i = 0; i < steps.length; i++) {
          steps[i] += active[i] ? 1 : 0;
        }
      }
      writeBack(active);
    }
    return norm;
  }

  /**
   * The whole optimizer state, gathered from every shard: for each parameter {@code name}, {@code
   * name.exp_avg} and {@code name.exp_avg_sq} (fp32, the parameter's shape) and {@code name.step}
   * (int64, one element), in parameter order. A collective: every rank must call it; every rank
   * receives the same map and owns its tensors (the enclosing scope, or close them).
   */
  public Map<String, Tensor> fullOptimizerState() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    try (NoGradGuard ng = new NoGradGuard()) {
      Tensor[] avg = gatherPerParam(expAvg);
      Tensor[] sq = gatherPerParam(expAvgSq);
      for (int i = 0; i < buckets.size(); i++) {
        String name = buckets.names.get(i);
        out.put(name + ".exp_avg", avg[i]);
        out.put(name + ".exp_avg_sq", sq[i]);
        out.put(name + ".step", Tensors.of(new long[] {steps[i]}, 1));
      }
    }
    return out;
  }

  /**
   * Restores the state {@link #fullOptimizerState} produced (possibly with another world size or
   * stage): each rank keeps its shard. The parameters themselves must already hold the checkpoint's
   * weights; their values become the new master weights.
   *
   * @throws IllegalArgumentException naming a missing entry or a shape mismatch
   */
  public void loadFullOptimizerState(Map<String, Tensor> state) {
    for (int i = 0; i < buckets.size(); i++) {
      String name = buckets.names.get(i);
      long[] shape = Shapes.of(buckets.params.get(i));
      for (String k : new String[] {".exp_avg", ".exp_avg_sq"}) {
        Tensor t = state.get(name + k);
        if (t == null) {
          throw new IllegalArgumentException("optimizer state: missing " + name + k);
        }
        if (!Arrays.equals(Shapes.of(t), shape)) {
          throw new IllegalArgumentException(
              "optimizer state: "
                  + name
                  + k
                  + " has shape "
                  + Arrays.toString(Shapes.of(t))
                  + ", the parameter has "
                  + Arrays.toString(shape));
        }
      }
      Tensor st = state.get(name + ".step");
      if (st == null || st.numel() != 1) {
        throw new IllegalArgumentException(
            "optimizer state: missing or malformed " + name + ".step");
      }
    }
    try (PointerScope s = new PointerScope();
        NoGradGuard ng = new NoGradGuard()) {
      for (FlatLayout.Segment seg : buckets.layout.segments) {
        String name = buckets.names.get(seg.param());
        Tensor p = buckets.params.get(seg.param());
        copySegment(expAvg, state.get(name + ".exp_avg"), seg);
        copySegment(expAvgSq, state.get(name + ".exp_avg_sq"), seg);
        copySegment(master, p, seg);
      }
      for (int i = 0; i < buckets.size(); i++) {
        steps[i] = state.get(buckets.names.get(i) + ".step").item_long();
      }
    }
  }

  @Override
  public void close() {
    for (Tensor t : new Tensor[] {master, expAvg, expAvgSq, gradShard, decayMask}) {
      if (t != null) {
        t.close();
      }
    }
    master = expAvg = expAvgSq = gradShard = decayMask = null;
    buckets.close();
  }

  // ---------------------------------------------------------------------------------------------

  /** libtorch's AdamW step over the whole shard, all parameters at step {@code t}. */
  private void updateWhole(long t) {
    double lr = config.lr();
    double wd = config.weightDecay();
    double b1 = config.beta1();
    double b2 = config.beta2();
    if (wd != 0) {
      // the per-element factor lives only during the step (the step's scope frees it), not beside
      // the state
      Tensor factor = torch.ones_like(master);
      factor.masked_fill_(decayMask, new Scalar(1 - lr * wd));
      master.mul_(factor);
    }
    adam(master, expAvg, expAvgSq, gradShard, t, lr, b1, b2);
  }

  /** The same per parameter segment, each with its own step count; inactive parameters stay. */
  private void updateSegments(boolean[] active) {
    double lr = config.lr();
    double wd = config.weightDecay();
    for (FlatLayout.Segment seg : buckets.layout.segments) {
      int i = seg.param();
      if (!active[i]) {
        continue;
      }
      Tensor p = master.narrow(0, seg.shardOffset(), seg.numel());
      if (wd != 0 && decays[i]) {
        p.mul_(new Scalar(1 - lr * wd));
      }
      adam(
          p,
          expAvg.narrow(0, seg.shardOffset(), seg.numel()),
          expAvgSq.narrow(0, seg.shardOffset(), seg.numel()),
          gradShard.narrow(0, seg.shardOffset(), seg.numel()),
          steps[i] + 1,
          lr,
          config.beta1(),
          config.beta2());
    }
  }

  private void adam(
      Tensor p, Tensor m, Tensor v, Tensor g, long t, double lr, double b1, double b2) {
    double bc1 = 1 - Math.pow(b1, t);
    double bc2 = 1 - Math.pow(b2, t);
    m.mul_(new Scalar(b1)).add_(g, new Scalar(1 - b1));
    v.mul_(new Scalar(b2)).addcmul_(g, g, new Scalar(1 - b2));
    Tensor denom = v.sqrt().div_(new Scalar(Math.sqrt(bc2))).add_(new Scalar(config.eps()));
    p.addcdiv_(m, denom, new Scalar(-lr / bc1));
  }

  /** Copies the updated master weights into the parameters (all-gathering shards at stage 2). */
  private void writeBack(boolean[] active) {
    for (FlatLayout.Bucket b : buckets.layout.buckets) {
      if (!GradBuckets.anyActive(b, active)) {
        continue;
      }
      try (PointerScope perBucket =
          new PointerScope()) { // one bucket's gathered buffer alive at a time
        long part = b.part(buckets.layout.shards);
        Tensor mine = master.narrow(0, b.shardOffset(), part);
        Tensor full = stage == 2 ? world.allGather(mine.contiguous(), 0) : mine;
        for (FlatLayout.Slot s : b.slots()) {
          if (!active[s.param()]) {
            continue;
          }
          Tensor p = buckets.params.get(s.param());
          p.copy_(full.narrow(0, s.offset(), s.numel()).view(Shapes.of(p)));
        }
      }
    }
  }

  /** Every parameter's full view of a shard-laid-out state tensor. Caller owns the results. */
  private Tensor[] gatherPerParam(Tensor shardState) {
    Tensor[] out = new Tensor[buckets.size()];
    for (FlatLayout.Bucket b : buckets.layout.buckets) {
      long part = b.part(buckets.layout.shards);
      Tensor mine = shardState.narrow(0, b.shardOffset(), part).contiguous();
      Tensor full = stage == 2 ? world.allGather(mine, 0) : mine;
      for (FlatLayout.Slot s : b.slots()) {
        Tensor p = buckets.params.get(s.param());
        out[s.param()] = full.narrow(0, s.offset(), s.numel()).view(Shapes.of(p)).clone();
      }
    }
    return out;
  }

  private static void copySegment(Tensor shardState, Tensor full, FlatLayout.Segment seg) {
    Tensor src = full.reshape(-1).narrow(0, seg.paramOffset(), seg.numel());
    shardState.narrow(0, seg.shardOffset(), seg.numel()).copy_(src);
  }
}
