package io.jsora.nn;

import io.jsora.tensor.Shapes;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * Multi-head attention, self or cross, with the reference state-dict names {@code to_q}, {@code
 * to_k}, {@code to_v} and {@code to_out.0}.
 *
 * <p>The pass is split into steps so that sequence parallelism can wrap each one (all-to-all
 * between {@link #projectQ}/{@link #projectK}/{@link #projectV} and {@link #splitHeads}, and
 * between {@link #mergeHeads} and {@link #projectOut}; or all-gather before the projections):
 *
 * <pre>
 *   q = projectQ(x); k = projectK(ctx); v = projectV(ctx)     // [B, S, inner]
 *   o = core(splitHeads(q), splitHeads(k), splitHeads(v), m)  // [B, heads, S, head_dim]
 *   y = projectOut(mergeHeads(o))                              // [B, S, D]
 * </pre>
 *
 * {@link #splitHeads} derives the head count from the tensor's width, so it works on a slice of the
 * heads. The core is libtorch's {@code scaled_dot_product_attention} (fused kernels where the
 * device has them), scale {@code 1/sqrt(head_dim)}.
 */
public class Attention extends Layer {
  private final LinearImpl toQ;
  private final LinearImpl toK;
  private final LinearImpl toV;
  private final LinearImpl toOut;
  private final int heads;
  private final long headDim;

  /**
   * @param queryDim width of the attending tokens (and of the output)
   * @param contextDim width of the attended tokens (= queryDim for self-attention)
   * @param heads number of heads; {@code queryDim} must be divisible by it
   */
  public Attention(long queryDim, long contextDim, int heads) {
    if (queryDim % heads != 0) {
      throw new IllegalArgumentException(
          "attention width " + queryDim + " not divisible by heads " + heads);
    }
    this.heads = heads;
    this.headDim = queryDim / heads;
    toQ = child("to_q", new LinearImpl(queryDim, queryDim));
    toK = child("to_k", new LinearImpl(contextDim, queryDim));
    toV = child("to_v", new LinearImpl(contextDim, queryDim));
    Module toOutList = child("to_out", new Module());
    toOut = child(toOutList, "0", new LinearImpl(queryDim, queryDim));
  }

  /**
   * The whole pass.
   *
   * @param x {@code [B, Sq, D]}
   * @param context {@code [B, Skv, Dc]}, or null for self-attention
   * @param keyMask {@code [B, 1, 1, Skv]} bool (true = attend), or null
   * @return {@code [B, Sq, D]}
   */
  public Tensor forward(Tensor x, Tensor context, Tensor keyMask) {
    Tensor ctx = context == null ? x : context;
    Tensor q = splitHeads(Trace.apply("linear", this::projectQ, x)); // (B, h, Sq, hd)
    Tensor k = splitHeads(Trace.apply("linear", this::projectK, ctx)); // (B, h, Skv, hd)
    Tensor v = splitHeads(Trace.apply("linear", this::projectV, ctx)); // (B, h, Skv, hd)
    Tensor o = Trace.of("sdpa", () -> core(q, k, v, keyMask)); // (B, h, Sq, hd)
    return Trace.apply("linear", this::projectOut, mergeHeads(o)); // (B, Sq, D)
  }

  /** {@code [B, S, D]} → {@code [B, S, inner]}. */
  public Tensor projectQ(Tensor x) {
    return toQ.forward(x);
  }

  /** {@code [B, S, Dc]} → {@code [B, S, inner]}. */
  public Tensor projectK(Tensor context) {
    return toK.forward(context);
  }

  /** {@code [B, S, Dc]} → {@code [B, S, inner]}. */
  public Tensor projectV(Tensor context) {
    return toV.forward(context);
  }

  /** {@code [B, S, n·head_dim]} → {@code [B, n, S, head_dim]} for any number n of heads. */
  public Tensor splitHeads(Tensor t) {
    long[] s = Shapes.of(t);
    return t.view(s[0], s[1], -1, headDim).transpose(1, 2); // (B, n, S, hd)
  }

  /** {@code [B, n, S, head_dim]} → {@code [B, S, n·head_dim]}. */
  public static Tensor mergeHeads(Tensor o) {
    long[] s = Shapes.of(o);
    return o.transpose(1, 2).reshape(s[0], s[2], s[1] * s[3]); // (B, S, n*hd)
  }

  /**
   * softmax(q kᵀ / sqrt(head_dim) + mask) v through SDPA.
   *
   * @param q {@code [B, n, Sq, hd]}
   * @param k {@code [B, n, Skv, hd]}
   * @param v {@code [B, n, Skv, hd]}
   * @param keyMask {@code [B, 1, 1, Skv]} bool (true = attend; broadcast over heads and queries),
   *     or null
   * @return {@code [B, n, Sq, hd]}
   */
  public static Tensor core(Tensor q, Tensor k, Tensor v, Tensor keyMask) {
    TensorOptional mask = keyMask == null ? new TensorOptional() : new TensorOptional(keyMask);
    return torch.scaled_dot_product_attention(
        q, k, v, mask, 0.0, false, new DoubleOptional(), false); // (B, n, Sq, hd)
  }

  /** {@code [B, S, inner]} → {@code [B, S, D]}. */
  public Tensor projectOut(Tensor o) {
    return toOut.forward(o);
  }

  /**
   * A broadcast key-padding mask for {@link #core} from per-token validity.
   *
   * @param valid {@code [B, S]} (bool, or 0/1 of any type), true/1 = real token
   * @return {@code [B, 1, 1, S]} bool. A row with no real token at all is made all-true, so it
   *     attends uniformly instead of producing NaN.
   */
  public static Tensor keyPaddingMask(Tensor valid) {
    Tensor m = valid.to(torch.ScalarType.Bool); // (B, S)
    Tensor none = m.any(1, true).logical_not(); // (B, 1)
    return m.logical_or(none).unsqueeze(1).unsqueeze(1); // (B, 1, 1, S)
  }

  public int heads() {
    return heads;
  }

  public long headDim() {
    return headDim;
  }

  public LinearImpl toQ() {
    return toQ;
  }

  public LinearImpl toK() {
    return toK;
  }

  public LinearImpl toV() {
    return toV;
  }

  /** The output projection, {@code to_out.0}. */
  public LinearImpl toOut() {
    return toOut;
  }
}
