package io.jsora.model.t5;

import io.jsora.tensor.DType;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * T5's bidirectional self-attention, without the usual 1/sqrt(d) scaling (T5 folds it into the
 * initialisation of {@code q}) and with an additive position bias instead of position embeddings:
 *
 * <pre>
 *   A = softmax(Q Kᵀ + bias + mask) V,    Q = x Wq, K = x Wk, V = x Wv,    out = A Wo
 * </pre>
 *
 * The softmax runs in float32 and is cast back to the model dtype. {@code bias[h, i, j]} is the
 * learned {@code relative_attention_bias} row of the bucket of {@code j - i} (see {@link
 * #relativePositionBucket}); only the first block holds that table and every block reuses its bias.
 *
 * <p>State-dict names: {@code q.weight}, {@code k.weight}, {@code v.weight} [H·d_kv, D], {@code
 * o.weight} [D, H·d_kv], and in block 0 {@code relative_attention_bias.weight} [buckets, H].
 */
final class T5Attention extends T5Layer {
  private final T5Config config;
  private final Tensor q;
  private final Tensor k;
  private final Tensor v;
  private final Tensor o;
  private final Tensor relativeBias; // null except in block 0

  T5Attention(Placement p, T5Config c, boolean hasRelativeBias) {
    super(p);
    config = c;
    long d = c.dModel();
    long inner = c.innerDim();
    q = weightChild("q", inner, d);
    k = weightChild("k", inner, d);
    v = weightChild("v", inner, d);
    o = weightChild("o", d, inner);
    relativeBias =
        hasRelativeBias
            ? weightChild("relative_attention_bias", c.relativeAttentionNumBuckets(), c.numHeads())
            : null;
  }

  /**
   * Upstream's initialisation (factor 1): N(0, (D·d_kv)^-1) for q, N(0, 1/D) for k, v and the bias.
   */
  void initialize(Generator g) {
    double d = config.dModel();
    normal(q, Math.pow(d * config.dKv(), -0.5), g);
    normal(k, Math.pow(d, -0.5), g);
    normal(v, Math.pow(d, -0.5), g);
    normal(o, Math.pow(config.innerDim(), -0.5), g);
    if (relativeBias != null) {
      normal(relativeBias, Math.pow(d, -0.5), g);
    }
  }

  /**
   * @param x {@code [B, L, D]} normalised hidden states
   * @param bias {@code [B, H, L, L]} position bias plus padding mask, in the model dtype
   * @return {@code [B, L, D]}
   */
  Tensor forward(Tensor x, Tensor bias) {
    long b = x.size(0);
    long l = x.size(1);
    long h = config.numHeads();
    long dkv = config.dKv();
    Tensor qs = torch.linear(x, q).view(b, l, h, dkv).transpose(1, 2); //          (B, H, L, d_kv)
    Tensor ks = torch.linear(x, k).view(b, l, h, dkv).transpose(1, 2); //          (B, H, L, d_kv)
    Tensor vs = torch.linear(x, v).view(b, l, h, dkv).transpose(1, 2); //          (B, H, L, d_kv)
    Tensor scores =
        qs.matmul(ks.transpose(3, 2)).add(bias); //                    (B, H, L, L), no 1/sqrt(d_kv)
    Tensor weights =
        torch
            .softmax(scores.to(DType.F32.scalarType()), -1)
            .to(scores.scalar_type()); // (B, H, L, L)
    Tensor a =
        weights.matmul(vs).transpose(1, 2).contiguous().view(b, l, h * dkv); // (B, L, H·d_kv)
    return torch.linear(a, o); //                                                  (B, L, D)
  }

  /**
   * The learned position bias for {@code length} tokens attending to each other.
   *
   * @return {@code [1, H, L, L]} in the model dtype, on the parameters' device
   */
  Tensor positionBias(long length) {
    if (relativeBias == null) {
      throw new IllegalStateException("only the first block holds relative_attention_bias");
    }
    try (TensorOptions longs = new TensorOptions(DType.I64.scalarType())) {
      Tensor pos = torch.arange(new Scalar(length), longs); //                       (L)
      Tensor relative =
          pos.view(1, length).sub(pos.view(length, 1)); //           (L, L) key - query
      Tensor buckets =
          relativePositionBucket(
                  relative,
                  config.relativeAttentionNumBuckets(),
                  config.relativeAttentionMaxDistance())
              .to(relativeBias.device(), DType.I64.scalarType()); // (L, L)
      Tensor values = torch.embedding(relativeBias, buckets); //                   (L, L, H)
      return values.permute(2, 0, 1).unsqueeze(0); //                              (1, H, L, L)
    }
  }

  /**
   * The bidirectional bucket of each relative position (key - query), as Mesh TensorFlow defines
   * it: half of the buckets for positive offsets, half for the rest; within a half, offsets below
   * {@code buckets/4} get one bucket each, larger ones share buckets spaced logarithmically up to
   * {@code maxDistance}, beyond which all fall in the last. Computed with upstream's float32 steps,
   * so the boundaries round identically.
   *
   * @param relative int64 tensor of any shape
   * @return int64 buckets in {@code [0, buckets)}, the same shape
   */
  static Tensor relativePositionBucket(Tensor relative, int buckets, int maxDistance) {
    long half = buckets / 2;
    long maxExact = half / 2;
    Tensor base =
        relative.gt(new Scalar(0L)).to(DType.I64.scalarType()).mul(new Scalar(half)); // 0 or half
    Tensor distance = relative.abs(); //                                         |j - i|
    Tensor small = distance.lt(new Scalar(maxExact));
    Tensor logScaled =
        torch
            .log(distance.to(DType.F32.scalarType()).div(new Scalar((double) maxExact)))
            .div(new Scalar(Math.log((double) maxDistance / maxExact)))
            .mul(new Scalar((double) (half - maxExact)));
    Tensor large = logScaled.to(DType.I64.scalarType()).add(new Scalar(maxExact));
    large = torch.clamp_max(large, new Scalar(half - 1));
    return base.add(torch.where(small, distance, large));
  }
}
