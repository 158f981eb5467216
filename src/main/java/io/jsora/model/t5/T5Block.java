package io.jsora.model.t5;

import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.ModuleListImpl;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * One pre-norm T5 encoder block:
 *
 * <pre>
 *   x += attn(rms(x), bias)                              (layer.0)
 *   x += wo · (gelu_tanh(wi_0 · rms(x)) ⊙ (wi_1 · rms(x)))   (layer.1)
 * </pre>
 *
 * No dropout (inference). State-dict names, as Hugging Face's {@code T5Block} of an encoder: {@code
 * layer.0.SelfAttention.{q,k,v,o}.weight}, {@code layer.0.layer_norm.weight}, {@code
 * layer.1.DenseReluDense.{wi_0,wi_1,wo}.weight}, {@code layer.1.layer_norm.weight}; the first block
 * also has {@code layer.0.SelfAttention.relative_attention_bias.weight}.
 */
final class T5Block extends T5Layer {
  private final SelfAttentionLayer attention;
  private final FeedForwardLayer feedForward;

  T5Block(Placement p, T5Config c, boolean hasRelativeBias) {
    super(p);
    ModuleListImpl layer = child("layer", new ModuleListImpl());
    attention = own(new SelfAttentionLayer(p, c, hasRelativeBias));
    layer.push_back(attention);
    feedForward = own(new FeedForwardLayer(p, c));
    layer.push_back(feedForward);
  }

  void initialize(Generator g, T5Config c) {
    attention.selfAttention.initialize(g);
    feedForward.dense.initialize(g, c);
  }

  /**
   * @param x {@code [B, L, D]}
   * @param bias {@code [B, H, L, L]} position bias plus padding mask
   * @return {@code [B, L, D]}
   */
  Tensor forward(Tensor x, Tensor bias) {
    x = x.add(attention.selfAttention.forward(attention.norm.forward(x), bias)); // (B, L, D)
    return x.add(feedForward.dense.forward(feedForward.norm.forward(x))); //        (B, L, D)
  }

  /** The block's attention, which in block 0 owns the relative-position table. */
  T5Attention selfAttention() {
    return attention.selfAttention;
  }

  /** {@code layer.0}: {@code SelfAttention} and its {@code layer_norm}. */
  static final class SelfAttentionLayer extends T5Layer {
    final T5Attention selfAttention;
    final T5LayerNorm norm;

    SelfAttentionLayer(Placement p, T5Config c, boolean hasRelativeBias) {
      super(p);
      selfAttention = child("SelfAttention", new T5Attention(p, c, hasRelativeBias));
      norm = child("layer_norm", new T5LayerNorm(p, c.dModel(), c.layerNormEpsilon()));
    }
  }

  /**
   * {@code layer.1}: {@code DenseReluDense} (named so upstream whatever the activation) and its
   * {@code layer_norm}.
   */
  static final class FeedForwardLayer extends T5Layer {
    final GatedGelu dense;
    final T5LayerNorm norm;

    FeedForwardLayer(Placement p, T5Config c) {
      super(p);
      dense = child("DenseReluDense", new GatedGelu(p, c));
      norm = child("layer_norm", new T5LayerNorm(p, c.dModel(), c.layerNormEpsilon()));
    }
  }

  /**
   * The gated-GELU feed-forward of T5 v1.1, {@code wo · (gelu_tanh(wi_0 · x) ⊙ (wi_1 · x))},
   * without biases. {@code gelu_tanh} is upstream's {@code gelu_new}, the tanh approximation.
   */
  static final class GatedGelu extends T5Layer {
    private final Tensor wi0;
    private final Tensor wi1;
    private final Tensor wo;

    GatedGelu(Placement p, T5Config c) {
      super(p);
      wi0 = weightChild("wi_0", c.dFf(), c.dModel());
      wi1 = weightChild("wi_1", c.dFf(), c.dModel());
      wo = weightChild("wo", c.dModel(), c.dFf());
    }

    /** Upstream's initialisation (factor 1): N(0, 1/D) for wi_0 and wi_1, N(0, 1/d_ff) for wo. */
    void initialize(Generator g, T5Config c) {
      normal(wi0, Math.pow(c.dModel(), -0.5), g);
      normal(wi1, Math.pow(c.dModel(), -0.5), g);
      normal(wo, Math.pow(c.dFf(), -0.5), g);
    }

    /**
     * @param x {@code [B, L, D]}
     * @return {@code [B, L, D]}
     */
    Tensor forward(Tensor x) {
      Tensor gate = geluNew(torch.linear(x, wi0)); //            (B, L, d_ff)
      Tensor linear = torch.linear(x, wi1); //                    (B, L, d_ff)
      return torch.linear(gate.mul(linear), wo); //               (B, L, D)
    }

    /**
     * {@code 0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³)))}, op by op as upstream's {@code
     * gelu_new}, so that in bf16 every step rounds where upstream's does (libtorch's fused tanh
     * GELU rounds once).
     */
    static Tensor geluNew(Tensor x) {
      Tensor cube = x.pow(new Scalar(3.0)).mul(new Scalar(0.044715)); //                 0.044715·x³
      Tensor inner =
          x.add(cube).mul(new Scalar(Math.sqrt(2.0 / Math.PI))); //            sqrt(2/π)·(x + ...)
      return x.mul(new Scalar(0.5))
          .mul(torch.tanh(inner).add(new Scalar(1.0))); //      0.5·x·(1 + tanh(...))
    }
  }
}
