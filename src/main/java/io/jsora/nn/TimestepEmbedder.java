package io.jsora.nn;

import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Diffusion timesteps to vectors: a 256-wide sinusoidal code (cos half then sin half, max period
 * 10000, float32 as the reference computes it) through {@code mlp.0} (Linear), SiLU and {@code
 * mlp.2} (Linear).
 */
public final class TimestepEmbedder extends Layer {
  /** Width of the sinusoidal code. */
  public static final int FREQUENCY_DIM = 256;

  private final LinearImpl fc0;
  private final LinearImpl fc2;

  public TimestepEmbedder(long dim) {
    Module mlp = child("mlp", new Module());
    fc0 = child(mlp, "0", new LinearImpl(FREQUENCY_DIM, dim));
    fc2 = child(mlp, "2", new LinearImpl(dim, dim));
  }

  /**
   * @param t {@code [B]} timesteps, integer or float (may be fractional)
   * @return {@code [B, D]}
   */
  public Tensor forward(Tensor t) {
    Tensor freq =
        sinusoidal(t, FREQUENCY_DIM)
            .to(fc0.weight().scalar_type()); // (B, 256) in the weights' dtype
    return fc2.forward(torch.silu(fc0.forward(freq))); // (B, D)
  }

  /**
   * The sinusoidal code: {@code [cos(t·f_k), sin(t·f_k)]} with {@code f_k =
   * exp(-ln(maxPeriod)·k/half)}, {@code k < half = dim/2}, zero-padded by one column for odd {@code
   * dim}.
   *
   * @param t {@code [B]}
   * @return {@code [B, dim]} float32
   */
  public static Tensor sinusoidal(Tensor t, int dim) {
    int half = dim / 2;
    Tensor k =
        torch.arange(
            new Scalar(0), new Scalar(half), new TensorOptions(ScalarType.Float)); // (half)
    Tensor freqs =
        k.mul(new Scalar(-Math.log(10000.0)))
            .div(new Scalar((double) half))
            .exp()
            .to(t.device(), ScalarType.Float); // (half)
    Tensor args = t.to(ScalarType.Float).unsqueeze(1).mul(freqs.unsqueeze(0)); // (B, half)
    Tensor emb = torch.cat(new TensorVector(args.cos(), args.sin()), -1); // (B, 2*half)
    if (dim % 2 == 1) {
      emb = torch.cat(new TensorVector(emb, torch.zeros_like(emb.narrow(1, 0, 1))), -1); // (B, dim)
    }
    return emb;
  }

  public LinearImpl fc0() {
    return fc0;
  }

  public LinearImpl fc2() {
    return fc2;
  }
}
