package io.jsora.model.stdit3;

import io.jsora.nn.Layer;
import io.jsora.tensor.Shapes;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Rotary position embedding over the sequence axis (rotary-embedding-torch 0.5.3's {@code
 * RotaryEmbedding(dim)} with {@code rotate_queries_or_keys}), used on q and k of the temporal
 * attention, where the sequence is the frame index.
 *
 * <pre>
 *   ω_i = 10000^(-2i/dim), i < dim/2            (the stored `freqs`)
 *   θ_{n,i} = n · ω_i, n = 0..N-1                 (n in the input's dtype, then the freqs' dtype)
 *   (a, b) at channels (2i, 2i+1) → (a·cos θ − b·sin θ, b·cos θ + a·sin θ)
 * </pre>
 *
 * State-dict name: {@code freqs} {@code [dim/2]}, a parameter that never requires grad.
 */
public final class Rope extends Layer {
  private final Tensor freqs;
  private final long dim;

  Rope(long dim, Device meta) {
    this.dim = dim;
    freqs = own(Params.parameter(this, "freqs", meta, () -> frequencies(dim), false, dim / 2));
  }

  /** {@code 1 / 10000^(2i/dim)}, {@code i < dim/2}, in float32 as upstream. */
  static Tensor frequencies(long dim) {
    Tensor k =
        torch.arange(
            new Scalar(0),
            new Scalar(dim),
            new Scalar(2),
            new TensorOptions(ScalarType.Float)); // (dim/2)
    return torch.pow(new Scalar(10000.0), k.div(new Scalar((double) dim))).reciprocal(); // (dim/2)
  }

  /**
   * Rotates every channel pair by its position's angle.
   *
   * @param t {@code [..., N, dim]} (the sequence is the second-last axis)
   * @return {@code [..., N, dim]} in t's dtype
   */
  public Tensor rotate(Tensor t) {
    long[] s = Shapes.of(t);
    if (s[s.length - 1] != dim) {
      throw new IllegalArgumentException(
          "rope: expected " + dim + " channels, found " + Shapes.format(s));
    }
    long n = s[s.length - 2];
    Tensor pos =
        torch
            .arange(new Scalar(n), new TensorOptions(t.scalar_type()))
            .to(t.device(), freqs.scalar_type()); // (N)
    Tensor theta = torch.outer(pos, freqs); // (N, dim/2)
    theta =
        theta
            .unsqueeze(-1)
            .expand(n, dim / 2, 2)
            .reshape(n, dim); // (N, dim): each angle on its pair
    Tensor pairs = t.view(withLast(s, dim / 2, 2)); // (..., N, dim/2, 2)
    TensorVector ab = pairs.unbind(-1); // a, b: (..., N, dim/2)
    Tensor rotated =
        torch
            .stack(new TensorVector(ab.get(1).neg(), ab.get(0)), -1)
            .view(s); // (..., N, dim): (-b, a)
    return t.mul(theta.cos()).add(rotated.mul(theta.sin())).to(t.scalar_type()); // (..., N, dim)
  }

  public Tensor freqs() {
    return freqs;
  }

  private static long[] withLast(long[] s, long a, long b) {
    long[] out = java.util.Arrays.copyOf(s, s.length + 1);
    out[s.length - 1] = a;
    out[s.length] = b;
    return out;
  }
}
