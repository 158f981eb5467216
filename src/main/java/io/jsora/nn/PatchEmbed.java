package io.jsora.nn;

import io.jsora.tensor.Shapes;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Conv2dImpl;
import org.bytedeco.pytorch.Conv2dOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * Video tokens: each frame is cut into {@code p×p} patches (no temporal patching), tokens in
 * frame-major then row-major order, and each {@code C·p·p} patch vector (channel-major, then patch
 * row, then patch column) is embedded by one linear map.
 *
 * <p>The map is stored as a Conv2d weight {@code proj.weight [D, C, p, p]} plus {@code proj.bias}
 * (as the reference checkpoints do) and initialised as PyTorch initialises a Conv2d, but applied as
 * a matrix product on the flattened patches.
 */
public final class PatchEmbed extends Layer {
  private final Conv2dImpl proj;
  private final int patch;
  private final long channels;
  private final long dim;

  /** {@code channels} latent channels in, {@code dim} out, square patches of side {@code patch}. */
  public PatchEmbed(long channels, long dim, int patch) {
    this.patch = patch;
    this.channels = channels;
    this.dim = dim;
    try (LongPointer k = new LongPointer(new long[] {patch, patch});
        Conv2dOptions o = new Conv2dOptions(channels, dim, k)) {
      this.proj = child("proj", new Conv2dImpl(o));
    }
  }

  /**
   * Embeds flattened patches.
   *
   * @param tokens {@code [B, S, C·p·p]} from {@link #patchify}
   * @return {@code [B, S, D]}
   */
  public Tensor forward(Tensor tokens) {
    Tensor w = proj.weight().view(dim, -1); // (D, C*p*p)
    return torch.linear(tokens, w, new TensorOptional(proj.bias())); // (B, S, D)
  }

  /**
   * Cuts a video latent into per-frame patches.
   *
   * @param x {@code [B, C, T, H, W]} with H and W multiples of {@code p}
   * @return {@code [B, T·(H/p)·(W/p), C·p·p]}
   */
  public static Tensor patchify(Tensor x, int p) {
    long[] s = Shapes.of(x);
    checkDivisible(s, p);
    long b = s[0], c = s[1], t = s[2], hp = s[3] / p, wp = s[4] / p;
    Tensor v = x.view(b, c, t, hp, p, wp, p); // (B, C, T, H/p, p, W/p, p)
    v = v.permute(0, 2, 3, 5, 1, 4, 6); // (B, T, H/p, W/p, C, p, p)
    return v.reshape(b, t * hp * wp, c * p * p); // (B, S, C*p*p)
  }

  /**
   * Inverse of {@link #patchify}.
   *
   * @param tokens {@code [B, T·(H/p)·(W/p), C·p·p]}
   * @return {@code [B, C, T, H, W]}
   */
  public static Tensor unpatchify(Tensor tokens, long c, long t, long h, long w, int p) {
    long b = Shapes.of(tokens)[0];
    Tensor v = tokens.reshape(b, t, h / p, w / p, c, p, p); // (B, T, H/p, W/p, C, p, p)
    v = v.permute(0, 4, 1, 2, 5, 3, 6); // (B, C, T, H/p, p, W/p, p)
    return v.reshape(b, c, t, h, w); // (B, C, T, H, W)
  }

  /** Tokens in a {@code T×H×W} latent. */
  public static long tokens(long t, long h, long w, int p) {
    return t * (h / p) * (w / p);
  }

  static void checkDivisible(long[] s, int p) {
    if (s.length != 5) {
      throw new IllegalArgumentException(
          "video latent: expected [B, C, T, H, W], found " + Shapes.format(s));
    }
    if (s[3] % p != 0 || s[4] % p != 0) {
      throw new IllegalArgumentException(
          "video latent: height "
              + s[3]
              + " and width "
              + s[4]
              + " must be multiples of the patch size "
              + p);
    }
  }

  public int patchSize() {
    return patch;
  }

  public long channels() {
    return channels;
  }

  /** The Conv2d-shaped parameters ({@code weight [D, C, p, p]}, {@code bias [D]}). */
  public Conv2dImpl proj() {
    return proj;
  }
}
