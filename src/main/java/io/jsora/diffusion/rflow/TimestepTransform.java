package io.jsora.diffusion.rflow;

/**
 * Open-Sora 1.2's resolution- and length-dependent timestep shift ({@code timestep_transform}).
 * Larger and longer videos keep more signal at a given noise level, so their timesteps are moved
 * towards pure noise:
 *
 * <pre>
 *   s     = t / N                                   (N = num_timesteps, s ∈ [0, 1])
 *   ratio = sqrt(H·W / 512²) · sqrt(T_eff) · scale,  T_eff = 1 for an image, else ⌊T/17⌋·5
 *   t'    = N · ratio·s / (1 + (ratio − 1)·s)
 * </pre>
 *
 * <p>{@code T_eff} converts pixel frames to latent frames with the 1.2 VAE's hard-coded factor (17
 * pixel frames → 5 latent frames); fps plays no part. The map fixes 0 and N and is monotone, so a
 * schedule stays ordered. Arithmetic is float32 as upstream's tensors are, with the size terms
 * optionally rounded to bf16 per operation ({@link SizePrecision}).
 *
 * <p>Upstream's formula gives {@code T_eff = 0} for 2..16 frames, so every t collapses to 0 (and t
 * = N becomes 0/0); such sizes are rejected here instead of producing a schedule of NaN and zeros.
 */
public final class TimestepTransform {
  /** Upstream's {@code base_resolution}, 512·512 pixels. */
  public static final int BASE_RESOLUTION = 512 * 512;

  private TimestepTransform() {}

  /**
   * The ratio for one sample, as the float32 value upstream multiplies with.
   *
   * @param scale {@code transform_scale}
   * @throws IllegalArgumentException for 2..16 frames (upstream's ratio would be 0)
   */
  public static float ratio(VideoSize size, double scale, SizePrecision precision) {
    if (!size.isImage() && size.numFrames() < 17) {
      throw new IllegalArgumentException(
          "timestep transform: num_frames "
              + size.numFrames()
              + " gives floor(num_frames/17)·5 = 0 latent frames, so every timestep would collapse to 0;"
              + " use 1 (an image) or >= 17 frames, or turn use_timestep_transform off");
    }
    boolean bf = precision == SizePrecision.BFLOAT16;
    float h = round(size.height(), bf);
    float w = round(size.width(), bf);
    float resolution = round(h * w, bf);
    float ratioSpace = round((float) Math.sqrt(round(resolution / BASE_RESOLUTION, bf)), bf);
    float frames;
    if (size.isImage()) {
      frames = 1f;
    } else {
      float f = round(size.numFrames(), bf);
      frames = round(round((float) Math.floor(f / 17f), bf) * 5f, bf);
    }
    float ratioTime = round((float) Math.sqrt(frames), bf);
    return round(round(ratioSpace * ratioTime, bf) * (float) scale, bf);
  }

  /**
   * Transforms one float32 timestep {@code t ∈ [0, numTimesteps]} with a ratio from {@link #ratio}.
   * With bf16 sizes the factor {@code ratio − 1} is itself a bf16 value, as upstream computes it on
   * the bf16 ratio tensor.
   */
  public static float apply(float t, float ratio, int numTimesteps, SizePrecision precision) {
    float s = t / numTimesteps;
    float ratioMinusOne = round(ratio - 1f, precision == SizePrecision.BFLOAT16);
    float shifted = ratio * s / (1f + ratioMinusOne * s);
    return shifted * numTimesteps;
  }

  /** Rounds a float32 to the nearest bf16 value (ties to even), as torch's float → bf16 cast. */
  static float bf16(float x) {
    if (Float.isNaN(x)) {
      return x;
    }
    int bits = Float.floatToRawIntBits(x);
    int lsb = (bits >>> 16) & 1;
    bits += 0x7FFF + lsb;
    return Float.intBitsToFloat(bits & 0xFFFF0000);
  }

  private static float round(float x, boolean bf) {
    return bf ? bf16(x) : x;
  }
}
