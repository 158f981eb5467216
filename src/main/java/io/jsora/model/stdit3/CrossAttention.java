package io.jsora.model.stdit3;

import io.jsora.nn.Layer;
import io.jsora.tensor.Shapes;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Video tokens attending to caption tokens (upstream {@code MultiHeadCrossAttention}): no norm, no
 * modulation, scale {@code 1/sqrt(head_dim)}, each sample seeing only its own real tokens.
 *
 * <pre>
 *   q = q_linear(x);  k, v = split(kv_linear(y))      // kv rows [k | v]
 *   out = proj( softmax(q kᵀ / sqrt(hd) + mask) v )   // mask: −∞ on padded caption tokens
 * </pre>
 *
 * Upstream packs the real tokens of all samples into one sequence and uses xformers' block-diagonal
 * mask; a per-sample key-padding mask over the padded captions gives the same attention.
 *
 * <p>State-dict names: {@code q_linear}, {@code kv_linear}, {@code proj} (each weight + bias).
 */
public final class CrossAttention extends Layer {
  private final Linear qLinear;
  private final Linear kvLinear;
  private final Linear proj;
  private final int heads;
  private final long headDim;

  CrossAttention(long dim, int heads, Device meta) {
    this.heads = heads;
    this.headDim = dim / heads;
    qLinear = child("q_linear", new Linear(dim, dim, meta));
    kvLinear = child("kv_linear", new Linear(dim, 2 * dim, meta));
    proj = child("proj", new Linear(dim, dim, meta));
  }

  /**
   * @param x {@code [B, N, C]} video tokens
   * @param y {@code [B, L, C]} projected caption tokens
   * @param keyMask {@code [B, 1, 1, L]} bool (true = real token; every row has one), or null
   * @return {@code [B, N, C]}
   */
  public Tensor forward(Tensor x, Tensor y, Tensor keyMask) {
    long[] s = Shapes.of(x);
    long b = s[0], n = s[1], c = s[2];
    long l = Shapes.of(y)[1];
    Tensor q = qLinear.forward(x).view(b, n, heads, headDim).transpose(1, 2); // (B, h, N, hd)
    TensorVector kv =
        kvLinear.forward(y).view(b, l, 2, heads, headDim).unbind(2); // k, v: (B, L, h, hd)
    Tensor k = kv.get(0).transpose(1, 2); // (B, h, L, hd)
    Tensor v = kv.get(1).transpose(1, 2); // (B, h, L, hd)
    TensorOptional mask = keyMask == null ? new TensorOptional() : new TensorOptional(keyMask);
    Tensor o =
        torch.scaled_dot_product_attention(
            q, k, v, mask, 0.0, false, new DoubleOptional(), false); // (B, h, N, hd)
    return proj.forward(o.transpose(1, 2).reshape(b, n, c)); // (B, N, C)
  }

  public Linear qLinear() {
    return qLinear;
  }

  public Linear kvLinear() {
    return kvLinear;
  }

  public Linear proj() {
    return proj;
  }
}
