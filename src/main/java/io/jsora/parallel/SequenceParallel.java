package io.jsora.parallel;

import io.jsora.tensor.Scopes;
import io.jsora.tensor.Shapes;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.TensorTensorHook;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Differentiable communication over a sequence-parallel group of P ranks that share the same
 * samples, each holding S/P tokens. With P = 1 every operation is the identity, so a model calls
 * them unconditionally.
 *
 * <h2>Gradient convention</h2>
 *
 * Every rank runs the same program on its slice. Each operation's backward is the exact adjoint of
 * its forward, so activation gradients equal the single-process ones restricted to this rank's
 * tokens:
 *
 * <table>
 *   <caption>forward and backward of each operation</caption>
 *   <tr><th>op</th><th>forward</th><th>backward</th></tr>
 *   <tr><td>{@link #split}</td><td>keep this rank's slice</td><td>all-gather</td></tr>
 *   <tr><td>{@link #gather}</td><td>all-gather</td><td>keep this rank's slice</td></tr>
 *   <tr><td>{@link #gatherForSlicedUse}</td><td>all-gather</td><td>reduce-scatter (sum)</td></tr>
 *   <tr><td>{@link #allToAll}</td><td>all-to-all</td><td>the inverse all-to-all</td></tr>
 *   <tr><td>{@link #replicated}</td><td>identity</td><td>all-reduce (sum)</td></tr>
 * </table>
 *
 * A model's parameters then end up with two kinds of gradient on an SP rank: <b>partial</b> for
 * parameters used between {@link #split} and {@link #gather} (they saw only this rank's tokens; the
 * true gradient is the sum over the SP group), and <b>complete</b> for parameters used before the
 * split or after the gather (identical on every SP rank). Replicated tensors that enter the split
 * region (timestep and caption conditioning) must pass through {@link #replicated} once, and the
 * returned tensor must be used only inside the region; the original stays in use outside. {@link
 * GradientSync} and {@link ZeroAdamW} take a predicate naming the complete parameters and scale
 * each kind so one world-wide sum gives the average over data-parallel replicas.
 *
 * <h2>Memory and lifetime</h2>
 *
 * Operations with a custom backward register a tensor hook (libtorch's custom autograd functions
 * cannot be subclassed from Java). The hook is a native callback owned by the enclosing {@link
 * PointerScope}: forward and backward must run inside the same scope, which these methods check. A
 * model that runs parts of its forward pass in shorter-lived local scopes (a DiT runs each block in
 * its own, so only what autograd saves outlives the block) names the step's scope as the hooks'
 * owner with {@link #withHookOwner}. The output of an operation must take part in the loss on every
 * rank of the group: each backward is a collective.
 */
public final class SequenceParallel {
  private final Group group;
  private final SpMode mode;
  private final ConcurrentLinkedQueue<Tensor> deferred = new ConcurrentLinkedQueue<>();

  /** Where this thread's hooks go instead of the innermost scope (see {@link #withHookOwner}). */
  private static final ThreadLocal<PointerScope> HOOK_OWNER = new ThreadLocal<>();

  /** The last peer failure a backward collective raised inside native autograd. */
  private static final java.util.concurrent.atomic.AtomicReference<DistributedException>
      HOOK_FAILURE = new java.util.concurrent.atomic.AtomicReference<>();

  /**
   * @param group the SP group ({@link ParallelContext#sp()})
   * @param mode how {@link SpAttention} distributes attention
   */
  public SequenceParallel(Group group, SpMode mode) {
    this.group = group;
    this.mode = mode;
  }

  /** No sequence parallelism: every operation is the identity. */
  public static SequenceParallel none() {
    return new SequenceParallel(Group.solo("sp", 0), SpMode.ULYSSES);
  }

  public Group group() {
    return group;
  }

  public SpMode mode() {
    return mode;
  }

  /** Group size P. */
  public int size() {
    return group.size();
  }

  /** This rank's slice index. */
  public int rank() {
    return group.rank();
  }

  /** Whether P > 1. */
  public boolean enabled() {
    return group.size() > 1;
  }

  /**
   * Checks that a sequence of {@code length} tokens can be split over P ranks.
   *
   * @throws IllegalArgumentException naming the length, P and the padded length to use instead
   */
  public void checkSequence(long length, String what) {
    checkSequence(length, size(), what);
  }

  /** {@link #checkSequence(long, String)} for a group of {@code p} ranks. */
  public static void checkSequence(long length, int p, String what) {
    if (length % p != 0) {
      long padded = (length + p - 1) / p * p;
      throw new IllegalArgumentException(
          what
              + ": sequence length "
              + length
              + " is not divisible by the sequence-parallel size "
              + p
              + "; pad it to "
              + padded
              + " tokens (and mask the "
              + (padded - length)
              + " padding tokens out of attention and the loss), or choose a resolution or frame count whose token count is a multiple of "
              + p);
    }
  }

  /**
   * Checks that {@code heads} attention heads can be spread over P ranks.
   *
   * @throws IllegalArgumentException naming the head count and P
   */
  public void checkHeads(long heads) {
    checkHeads(heads, size());
  }

  /** {@link #checkHeads(long)} for a group of {@code p} ranks. */
  public static void checkHeads(long heads, int p) {
    if (heads % p != 0) {
      throw new IllegalArgumentException(
          "attention has "
              + heads
              + " heads, not divisible by the sequence-parallel size "
              + p
              + "; use an --sp-size that divides "
              + heads);
    }
  }

  /**
   * This rank's slice of {@code x} along {@code dim}; backward all-gathers the gradient, so the
   * replicated input gets its complete gradient on every rank.
   *
   * @param x the full sequence, the same on every rank of the group, e.g. (B, S, C)
   * @return a view (B, S/P, C): slice {@link #rank()} of P
   */
  public Tensor split(Tensor x, int dim) {
    if (!enabled()) {
      return x;
    }
    long[] shape = Shapes.of(x);
    int d = axis(dim, shape.length);
    checkSequence(shape[d], "split");
    long n = shape[d] / size();
    long start = rank() * n;
    if (!tracksGrad(x)) {
      return x.narrow(d, start, n);
    }
    requireScope("split");
    Tensor u = x.view_as(x);
    // u's gradient arrives zero outside this rank's slice; replace it by every rank's slice
    hook(u, g -> group.allGather(g.narrow(d, start, n).contiguous(), d));
    return u.narrow(d, start, n);
  }

  /**
   * Concatenates every rank's slice along {@code dim}; backward keeps this rank's slice of the
   * gradient. Use it where every rank then computes the same thing from the whole sequence (the
   * final layer, the loss).
   *
   * @param x this rank's slice (B, S/P, C)
   * @return the whole sequence (B, S, C)
   */
  public Tensor gather(Tensor x, int dim) {
    if (!enabled()) {
      return x;
    }
    int d = axis(dim, Shapes.of(x).length);
    Tensor full;
    try (NoGradGuard ng = new NoGradGuard()) {
      full = group.allGather(x.detach(), d);
    }
    if (!tracksGrad(x)) {
      return full;
    }
    return withOwnSlice(full, x, d); // cat's backward hands this rank exactly its slice
  }

  /**
   * Concatenates every rank's slice along {@code dim} for a computation that each rank applies to
   * the whole sequence but with its own share of the weights (FastSeq's head-sliced projection):
   * every rank's result depends on every token, so backward sums the gradient over the group and
   * keeps this rank's slice (a reduce-scatter).
   *
   * @param x this rank's slice (B, S/P, C)
   * @return the whole sequence (B, S, C)
   */
  public Tensor gatherForSlicedUse(Tensor x, int dim) {
    if (!enabled()) {
      return x;
    }
    long[] shape = Shapes.of(x);
    int d = axis(dim, shape.length);
    Tensor full;
    try (NoGradGuard ng = new NoGradGuard()) {
      full = group.allGather(x.detach(), d);
    }
    if (!tracksGrad(x)) {
      return full;
    }
    requireScope("gatherForSlicedUse");
    Tensor y = withOwnSlice(full, x, d);
    long n = shape[d];
    long start = rank() * n;
    // y's gradient: every rank's contribution for every token; sum them, keep this rank's slice,
    // and put it where cat's backward will take it from
    hook(
        y,
        g -> {
          Tensor mine = group.reduceScatterSum(g, d);
          Tensor out = g.new_zeros(Shapes.of(g));
          out.narrow(d, start, n).copy_(mine);
          return out;
        });
    return y;
  }

  /**
   * All-to-all within the group (see {@link Group#allToAll}); backward is the inverse all-to-all.
   * Ulysses uses {@code allToAll(qkv, headDim, seqDim)} to trade the sequence split for a head
   * split and {@code allToAll(o, seqDim, headDim)} to trade back.
   */
  public Tensor allToAll(Tensor x, int scatterDim, int gatherDim) {
    if (!enabled()) {
      return x;
    }
    int rank = Shapes.of(x).length;
    int s = axis(scatterDim, rank);
    int g = axis(gatherDim, rank);
    Tensor y;
    try (NoGradGuard ng = new NoGradGuard()) {
      y = group.allToAll(x.detach(), s, g);
    }
    if (!tracksGrad(x)) {
      return y;
    }
    requireScope("allToAll");
    long[] yShape = Shapes.of(y);
    Tensor carrier = x.reshape(yShape); // same elements, differentiable; its gradient is replaced
    hook(carrier, grad -> group.allToAll(grad.contiguous(), g, s).reshape(yShape));
    return y.add(carrier.sub(carrier.detach())); // value y exactly; gradient through the hook
  }

  /**
   * Identity forward; backward sums the gradient over the group. For a tensor that is the same on
   * every rank (conditioning) and is consumed by per-token computations inside the split region:
   * each rank's gradient then covers only its tokens, and the sum is the complete gradient. Use the
   * returned tensor only inside the region.
   */
  public Tensor replicated(Tensor x) {
    if (!enabled() || !tracksGrad(x)) {
      return x;
    }
    requireScope("replicated");
    Tensor u = x.view_as(x);
    hook(
        u,
        g -> {
          Tensor sum = g.contiguous().clone();
          group.allReduceSum(sum);
          return sum;
        });
    return u;
  }

  /**
   * Runs {@code body} with the backward hooks it registers owned by {@code owner} (which must be
   * open, and enclose the backward pass) instead of the innermost scope at each call. For a forward
   * pass whose pieces run in local scopes that close before backward. Nested calls restore the
   * previous owner; a null owner means the innermost scope again.
   */
  public static <T> T withHookOwner(PointerScope owner, Supplier<T> body) {
    PointerScope previous = HOOK_OWNER.get();
    HOOK_OWNER.set(owner);
    try {
      return body.get();
    } finally {
      if (previous == null) {
        HOOK_OWNER.remove();
      } else {
        HOOK_OWNER.set(previous);
      }
    }
  }

  /**
   * The {@link DistributedException} behind {@code e} when {@code e} is how libtorch handed back
   * one that a backward collective raised (an exception thrown inside autograd's native code
   * reaches {@code backward()}'s caller as a plain {@code RuntimeException} carrying only its
   * text); otherwise {@code e} itself. Lets an error path tell a peer's failure from its own.
   */
  public static RuntimeException unwrapFailure(RuntimeException e) {
    DistributedException d = HOOK_FAILURE.get();
    if (d != null
        && e != d
        && !(e instanceof DistributedException)
        && String.valueOf(e.getMessage()).contains(d.getMessage())) {
      return d;
    }
    return e;
  }

  // ---------------------------------------------------------------------------------------------

  /** {@code full} with this rank's slice replaced by {@code x} itself (same values), via cat. */
  private Tensor withOwnSlice(Tensor full, Tensor x, int d) {
    try (TensorVector chunks = full.chunk(size(), d);
        TensorVector parts = new TensorVector()) {
      for (int i = 0; i < size(); i++) {
        parts.push_back(i == rank() ? x : chunks.get(i));
      }
      return torch.cat(parts, d);
    }
  }

  /**
   * Registers {@code backward} as {@code t}'s gradient hook. On CPU autograd calls it on the thread
   * that called {@code backward()}, inside the caller's scope, which frees what it makes. On CUDA
   * it runs on autograd's device threads, which have no scope: there the hook makes its own scope
   * and keeps only its result, which libtorch copies after the hook returns; that handle is
   * released at the next hook or operation of this object.
   */
  private void hook(Tensor t, UnaryOperator<Tensor> backward) {
    TensorTensorHook h =
        new TensorTensorHook() {
          @Override
          public TensorBase call(TensorBase grad) {
            try {
              releaseDeferred();
              if (PointerScope.getInnerScope() != null) {
                return backward.apply(new Tensor(grad));
              }
              try (PointerScope s = new PointerScope()) {
                Tensor result = Scopes.keep(backward.apply(new Tensor(grad)));
                deferred.add(result);
                return result;
              }
            } catch (DistributedException e) {
              HOOK_FAILURE.set(e); // it reaches backward()'s caller as a plain RuntimeException
              throw e;
            }
          }
        };
    t.register_hook(h); // h is owned by the enclosing PointerScope, which outlives backward()
    PointerScope owner = HOOK_OWNER.get();
    if (owner != null && owner != PointerScope.getInnerScope()) {
      owner.attach(
          h); // one more reference, released when the owner closes: h outlives the local scope
    }
  }

  private void releaseDeferred() {
    Tensor r;
    while ((r = deferred.poll()) != null) {
      r.close();
    }
  }

  private static boolean tracksGrad(Tensor x) {
    return x.requires_grad() && GradMode.is_enabled();
  }

  private void requireScope(String op) {
    releaseDeferred();
    if (PointerScope.getInnerScope() == null) {
      throw new IllegalStateException(
          op
              + ": sequence-parallel ops with autograd must run inside a PointerScope that also encloses backward()"
              + " (their backward is a native callback owned by that scope)");
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
}
