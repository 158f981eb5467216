package io.jsora.diffusion;

import io.jsora.tensor.Shapes;
import java.util.Arrays;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Classifier-free guidance (Ho &amp; Salimans): the model runs ONCE on a doubled batch, the first
 * half with the real conditioning and the second with the null conditioning (zeros as the null text
 * in jsora), and the prediction channels are pushed away from the unconditional ones: {@code guided
 * = uncond + scale·(cond − uncond)}. Variance channels are taken from the conditional half, as
 * DiT's {@code forward_with_cfg} does.
 *
 * <p>The guidance is applied to the first {@code C} channels whatever they predict: eps, v and x0
 * are affine in each other for a fixed {@code x_t} with weights summing to one, so guiding any of
 * them equals guiding eps.
 */
public final class Guidance {
  private Guidance() {}

  /**
   * A denoiser over a batch of B samples that runs {@code doubled} on {@code [x; x]} and {@code [t;
   * t]} and combines the halves.
   *
   * @param doubled the model whose closure supplies the conditioning for 2B rows: the B real
   *     conditions, then B null conditions
   * @param scale the guidance scale (upstream 4.0; 1.0 is the conditional model alone)
   * @param channels {@code C}, the number of prediction channels (the input's channels)
   */
  public static Denoiser classifierFree(Denoiser doubled, double scale, int channels) {
    return (x, t) -> {
      Tensor xx;
      Tensor tt;
      try (TensorVector xs = new TensorVector(x, x);
          TensorVector ts = new TensorVector(t, t)) {
        xx = torch.cat(xs, 0);
        tt = torch.cat(ts, 0);
      }
      return combine(doubled.apply(xx, tt), scale, channels);
    };
  }

  /**
   * Combines a doubled model output {@code [2B, C_out, ...]} (conditional half first) into {@code
   * [B, C_out, ...]}: the first {@code channels} channels guided, the rest from the conditional
   * half.
   */
  public static Tensor combine(Tensor output, double scale, int channels) {
    long[] s = Shapes.of(output);
    if (s.length < 2 || s[0] % 2 != 0 || s[1] < channels) {
      throw new IllegalArgumentException(
          "guided model output: expected [2B, >= "
              + channels
              + ", ...] (conditional rows then unconditional), found "
              + Arrays.toString(s));
    }
    long b = s[0] / 2;
    Tensor cond = output.narrow(0, 0, b);
    Tensor uncond = output.narrow(0, b, b);
    Tensor cp = cond.narrow(1, 0, channels);
    Tensor up = uncond.narrow(1, 0, channels);
    Tensor guided = up.add(cp.sub(up).mul(new Scalar(scale)));
    if (s[1] == channels) {
      return guided;
    }
    try (TensorVector parts = new TensorVector(guided, cond.narrow(1, channels, s[1] - channels))) {
      return torch.cat(parts, 1);
    }
  }
}
