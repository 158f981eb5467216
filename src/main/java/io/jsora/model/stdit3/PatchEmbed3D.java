package io.jsora.model.stdit3;

import io.jsora.nn.Layer;
import io.jsora.tensor.Shapes;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * Video latent to tokens (upstream {@code PatchEmbed3D}, no norm): zero-pad T, H, W at the end up
 * to multiples of the patch, then a Conv3d with kernel = stride = patch; tokens in (t, h, w)
 * row-major order.
 *
 * <p>State-dict names: {@code proj.weight} {@code [C, in, pt, ph, pw]}, {@code proj.bias}.
 */
public final class PatchEmbed3D extends Layer {
  private final Tensor weight;
  private final Tensor bias;
  private final long[] patch;

  PatchEmbed3D(long in, long dim, long[] patch, Device meta) {
    this.patch = patch.clone();
    long fanIn = in * patch[0] * patch[1] * patch[2];
    Layer proj = child("proj", new Holder());
    weight =
        own(
            Params.parameter(
                proj,
                "weight",
                meta,
                Params.uniform(fanIn, dim, in, patch[0], patch[1], patch[2]),
                true,
                dim,
                in,
                patch[0],
                patch[1],
                patch[2]));
    bias = own(Params.parameter(proj, "bias", meta, Params.uniform(fanIn, dim), true, dim));
  }

  /** The {@code proj} submodule: holds the Conv3d's parameters under their PyTorch names. */
  private static final class Holder extends Layer {}

  /**
   * @param x {@code [B, in, T, H, W]}
   * @return {@code [B, T'·H'·W', C]} with {@code T' = ceil(T/pt)} etc.
   */
  public Tensor forward(Tensor x) {
    long[] s = Shapes.of(x);
    long pt = pad(s[2], patch[0]), ph = pad(s[3], patch[1]), pw = pad(s[4], patch[2]);
    if (pt + ph + pw > 0) {
      x = torch.pad(x, new long[] {0, pw, 0, ph, 0, pt}); // (B, in, T_pad, H_pad, W_pad)
    }
    Tensor h =
        torch.conv3d(
            x,
            weight,
            new TensorOptional(bias),
            patch,
            new long[] {0, 0, 0},
            new long[] {1, 1, 1},
            1); // (B, C, T', H', W')
    return h.flatten(2, -1).transpose(1, 2); // (B, T'*H'*W', C)
  }

  /** Zeros to append so that {@code n} becomes a multiple of {@code p}. */
  static long pad(long n, long p) {
    return (p - n % p) % p;
  }

  /** {@code proj.weight} {@code [C, in, pt, ph, pw]}. */
  public Tensor weight() {
    return weight;
  }
}
