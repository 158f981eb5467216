package io.jsora.nn;

import io.jsora.tensor.Shapes;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
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
 * {@link #forward} itself runs the projections of the same input as one matrix product (q, k and v
 * for self-attention; k and v of the context for cross-attention): fewer, larger GEMMs and fewer
 * native calls, the same weights and names.
 *
 * <p>{@link #splitHeads} derives the head count from the tensor's width, so it works on a slice of
 * the heads. The core is libtorch's {@code scaled_dot_product_attention} (fused kernels where the
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
    Tensor q;
    Tensor k;
    Tensor v;
    if (context == null) {
      TensorVector qkv =
          Trace.of("linear", () -> packed(x, toQ, toK, toV))
              .unbind(0); // 3 x (B, h, S, hd): strided views of one product
      q = qkv.get(0);
      k = qkv.get(1);
      v = qkv.get(2);
    } else {
      q = splitHeads(Trace.apply("linear", this::projectQ, x)); // (B, h, Sq, hd)
      TensorVector kv =
          Trace.of("linear", () -> packed(context, toK, toV)).unbind(0); // 2 x (B, h, Skv, hd)
      k = kv.get(0);
      v = kv.get(1);
    }
    Tensor o = Trace.of("sdpa", () -> core(q, k, v, keyMask)); // (B, h, Sq, hd)
    return Trace.apply("linear", this::projectOut, mergeHeads(o)); // (B, Sq, D)
  }

  /**
   * The projections {@code ps} of the same input as one matrix product: {@code x·[W₁; W₂; …]ᵀ +
   * [b₁; b₂; …]}, split into heads. Each output element is the same dot product as in the separate
   * projections; the gradients reach each weight through the concatenation.
   *
   * @param x {@code [B, S, Din]}
   * @return {@code [n, B, heads, S, head_dim]} for n projections, a permuted view
   */
  private Tensor packed(Tensor x, LinearImpl... ps) {
    TensorVector ws = new TensorVector();
    TensorVector bs = new TensorVector();
    for (LinearImpl p : ps) {
      ws.push_back(p.weight());
      bs.push_back(p.bias());
    }
    Tensor w = torch.cat(ws, 0); // (n*inner, Din)
    Tensor b = torch.cat(bs, 0); // (n*inner)
    long[] s = Shapes.of(x);
    return torch
        .linear(x, w, new TensorOptional(b)) // (B, S, n*inner)
        .view(s[0], s[1], ps.length, heads, headDim) // (B, S, n, h, hd)
        .permute(2, 0, 3, 1, 4); // (n, B, h, S, hd)
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
    return BlasThreads.single(
        () ->
            torch.scaled_dot_product_attention(
                q, k, v, mask, 0.0, false, new DoubleOptional(), false),
        q); // (B, n, Sq, hd); OpenBLAS at one thread inside the fused kernel
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
