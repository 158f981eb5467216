package io.jsora.nn;

import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * adaLN: from the conditioning vector {@code c}, SiLU then one Linear ({@code 1}, so the state-dict
 * name is {@code adaLN_modulation.1.*}) gives {@code n} vectors of the model width (shift, scale,
 * gate ...), plus the parameter-free LayerNorm and the modulation they act on.
 */
public final class Modulation extends Layer {
  /** LayerNorm epsilon used everywhere in DiT. */
  public static final double EPS = 1e-6;

  private final LinearImpl linear;
  private final int chunks;
  private final long dim;

  /** {@code chunks} vectors of width {@code dim}. */
  public Modulation(long dim, int chunks) {
    this.dim = dim;
    this.chunks = chunks;
    linear = child("1", new LinearImpl(dim, chunks * dim));
  }

  /**
   * @param c {@code [B, D]}
   * @return {@code chunks} tensors {@code [B, D]}, in the order the caller defines
   */
  public Tensor[] forward(Tensor c) {
    Tensor all =
        Trace.apply("linear", linear::forward, Trace.apply("silu", torch::silu, c)); // (B, n*D)
    TensorVector parts = all.chunk(chunks, 1); // n x (B, D)
    Tensor[] out = new Tensor[chunks];
    for (int i = 0; i < chunks; i++) {
      out[i] = parts.get(i);
    }
    return out;
  }

  /**
   * {@code x·(1 + scale) + shift}, per sample: x {@code [B, S, D]}, shift and scale {@code [B, D]}.
   */
  public static Tensor modulate(Tensor x, Tensor shift, Tensor scale) {
    return Trace.of(
        "modulate",
        () ->
            torch.addcmul(
                shift.unsqueeze(1),
                x,
                scale.unsqueeze(1).add(new Scalar(1.0)))); // (B, S, D): one kernel, one temporary
  }

  /**
   * The gated residual {@code x + gate·y}, per sample: x and y {@code [B, S, D]}, gate {@code [B,
   * D]}; one fused kernel ({@code addcmul}) instead of a product and a sum.
   */
  public static Tensor gatedResidual(Tensor x, Tensor gate, Tensor y) {
    return Trace.of("residual", () -> torch.addcmul(x, gate.unsqueeze(1), y)); // (B, S, D)
  }

  /** LayerNorm over the last dimension without affine parameters, eps 1e-6. */
  public static Tensor norm(Tensor x, long dim) {
    return Trace.of(
        "layer_norm",
        () ->
            torch.layer_norm(
                x,
                new long[] {dim},
                new TensorOptional(),
                new TensorOptional(),
                EPS,
                true)); // (B, S, D)
  }

  public LinearImpl linear() {
    return linear;
  }

  public long dim() {
    return dim;
  }
}
