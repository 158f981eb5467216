package io.jsora.model.stdit3;

import io.jsora.nn.Layer;
import io.jsora.parallel.SequenceParallel;
import io.jsora.parallel.SpAttention;
import io.jsora.tensor.Shapes;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Multi-head self-attention with a fused qkv projection, optional per-head RMS q/k norm and
 * optional RoPE (upstream {@code Attention}, {@code qk_norm_legacy=False}):
 *
 * <pre>
 *   q, k, v = split(qkv(x))                  // rows [q | k | v], each head-major
 *   q, k = q_norm(q), k_norm(k)              // per head, over head_dim
 *   q, k = rope(q), rope(k)                  // temporal blocks only
 *   y = proj( softmax(q kᵀ / sqrt(head_dim)) v )
 * </pre>
 *
 * Spatial blocks can split their sequence over a sequence-parallel group (Ulysses or FastSeq, see
 * {@link SpAttention}); temporal blocks never need to, as each rank holds every frame of its
 * tokens.
 *
 * <p>State-dict names: {@code qkv.{weight,bias}}, {@code q_norm.weight}, {@code k_norm.weight}
 * (with qk-norm), {@code proj.{weight,bias}}.
 */
public final class SelfAttention extends Layer {
  private final Linear qkv;
  private final RmsNorm qNorm;
  private final RmsNorm kNorm;
  private final Linear proj;
  private final int heads;
  private final long headDim;
  private SequenceParallel sp = SequenceParallel.none();

  SelfAttention(long dim, int heads, boolean qkNorm, Device meta) {
    this.heads = heads;
    this.headDim = dim / heads;
    qkv = child("qkv", new Linear(dim, 3 * dim, meta));
    qNorm = qkNorm ? child("q_norm", new RmsNorm(headDim, meta)) : null;
    kNorm = qkNorm ? child("k_norm", new RmsNorm(headDim, meta)) : null;
    proj = child("proj", new Linear(dim, dim, meta));
  }

  /**
   * Splits the sequence over {@code sp}'s group from now on (spatial attention only); {@link
   * SequenceParallel#none()} switches it off.
   */
  void setSequenceParallel(SequenceParallel sp) {
    this.sp = sp;
  }

  /**
   * @param x {@code [B, N, C]} (with sequence parallelism: this rank's {@code N/P} tokens)
   * @param rope rotary embedding over N, or null
   * @param keyMask {@code [1, 1, 1, N]} bool (false = padding token nobody attends to), or null
   * @return {@code [B, N, C]}
   */
  public Tensor forward(Tensor x, Rope rope, Tensor keyMask) {
    if (sp.enabled()) {
      if (rope != null) {
        throw new IllegalStateException(
            "sequence parallelism splits the spatial attention only, which has no RoPE");
      }
      return parallel(x, keyMask);
    }
    long[] s = Shapes.of(x);
    long b = s[0], n = s[1], c = s[2];
    Tensor all =
        qkv.forward(x).view(b, n, 3, heads, headDim).permute(2, 0, 3, 1, 4); // (3, B, h, N, hd)
    TensorVector qkvParts = all.unbind(0);
    Tensor q = qkvParts.get(0); // (B, h, N, hd)
    Tensor k = qkvParts.get(1); // (B, h, N, hd)
    Tensor v = qkvParts.get(2); // (B, h, N, hd)
    if (qNorm != null) {
      q = qNorm.forward(q); // (B, h, N, hd)
      k = kNorm.forward(k); // (B, h, N, hd)
    }
    if (rope != null) {
      q = rope.rotate(q); // (B, h, N, hd)
      k = rope.rotate(k); // (B, h, N, hd)
    }
    Tensor o = sdpa(q, k, v, keyMask); // (B, h, N, hd)
    return proj.forward(o.transpose(1, 2).reshape(b, n, c)); // (B, N, C)
  }

  /**
   * The same attention with the tokens split over the group ({@link SpAttention}): q/k/v for all
   * heads of the local tokens (then RMS-normed per head), all-to-all to whole-sequence head slices,
   * attention, all-to-all back, output projection.
   */
  private Tensor parallel(Tensor x, Tensor keyMask) {
    SpAttention.QkvProjection fused = SpAttention.fusedQkv(qkv.weight(), qkv.bias(), heads);
    SpAttention.QkvProjection normed =
        (in, h0, hn) -> {
          SpAttention.Qkv t = fused.project(in, h0, hn); // (B, N, hn, hd) each
          return qNorm == null
              ? t
              : new SpAttention.Qkv(qNorm.forward(t.q()), kNorm.forward(t.k()), t.v());
        };
    SpAttention.AttentionCore core =
        (q, k, v) ->
            sdpa(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), keyMask)
                .transpose(1, 2); // (B, S, h, hd)
    return SpAttention.forward(sp, x, heads, normed, core, proj::forward); // (B, N, C)
  }

  /** softmax(q kᵀ / sqrt(hd) + mask) v on {@code [B, h, N, hd]}. */
  private static Tensor sdpa(Tensor q, Tensor k, Tensor v, Tensor keyMask) {
    TensorOptional mask = keyMask == null ? new TensorOptional() : new TensorOptional(keyMask);
    return torch.scaled_dot_product_attention(
        q, k, v, mask, 0.0, false, new DoubleOptional(), false); // (B, h, N, hd)
  }

  public Linear qkv() {
    return qkv;
  }

  public Linear proj() {
    return proj;
  }
}
