package io.jsora.data;

import io.jsora.model.vae.VideoCompressor;
import io.jsora.tensor.DType;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import org.bytedeco.pytorch.Tensor;

/**
 * How cached video latents are made and stored in the {@code video_latent_states} column.
 *
 * <ul>
 *   <li>{@link Kind#FLOAT16} / {@link Kind#FLOAT32}: the latent {@code [C, T', H', W']} (raw and
 *       vae). float16 is the default: raw pixels {@code k/255 - 0.5} come back exactly after
 *       rounding to the 1/255 grid (float16 spacing ≤ 2^-12 in [-0.5, 0.5]), and vae latents keep a
 *       relative error ≤ 2^-11, far below the latent's own sampling noise.
 *   <li>{@link Kind#INDICES}: VQ-VAE code indices {@code [T', H', W']} as int32 (256× smaller than
 *       the 256-d vectors; the codebook turns them back into vectors).
 * </ul>
 *
 * @param compressor the compressor's name, recorded in the dataset
 * @param kind what is stored
 * @param factors the (time, height, width) multiples a video is cut to before encoding: the
 *     compressor's downsampling factors, but time 1 for the 1.2 VAE, which encodes any frame count
 *     ({@link VideoCompressor#fitMultiples()})
 * @param channels latent channels C
 * @param encode video {@code [1, 3, T, H, W]} in [-0.5, 0.5] → latent {@code [1, C, T', H', W']}
 *     (float kinds) or indices {@code [1, T', H', W']} (integers); caller owns the result
 */
public record LatentSpec(
    String compressor, Kind kind, int[] factors, int channels, UnaryOperator<Tensor> encode) {
  /** What the latent column holds. */
  public enum Kind {
    FLOAT16("float16", DType.F16),
    FLOAT32("float32", DType.F32),
    INDICES("int32", DType.I32);

    final String hfDtype;
    final DType dtype;

    Kind(String hfDtype, DType dtype) {
      this.hfDtype = hfDtype;
      this.dtype = dtype;
    }

    /** The Hugging Face {@code Value} dtype of the stored numbers. */
    public String hfDtype() {
      return hfDtype;
    }

    public DType dtype() {
      return dtype;
    }

    /** Rank of one stored latent: 4 ([C, T, H, W]) or 3 ([T, H, W]). */
    public int rank() {
      return this == INDICES ? 3 : 4;
    }
  }

  public LatentSpec {
    if (factors.length != 3) {
      throw new IllegalArgumentException(
          "factors: expected (t, h, w), found " + Arrays.toString(factors));
    }
    factors = factors.clone();
  }

  /** Stores the compressor's float latent in {@code dtype} (FLOAT16 or FLOAT32). */
  public static LatentSpec floats(VideoCompressor c, Kind dtype) {
    if (dtype == Kind.INDICES) {
      throw new IllegalArgumentException("floats() takes FLOAT16 or FLOAT32");
    }
    return new LatentSpec(c.name(), dtype, c.fitMultiples(), c.latentChannels(), c::encode);
  }

  /** Stores code indices produced by {@code encodeIndices} (video → {@code [1, T', H', W']}). */
  public static LatentSpec indices(VideoCompressor c, UnaryOperator<Tensor> encodeIndices) {
    return new LatentSpec(
        c.name(), Kind.INDICES, c.fitMultiples(), c.latentChannels(), encodeIndices);
  }

  /**
   * The frame window a video of T×H×W is cut to so it fits the factors: T down to a multiple of the
   * time factor (dropping trailing frames), H and W centre-cropped to multiples of theirs.
   *
   * @return {t, h, w, y0, x0}; a zero size means the video is too small
   */
  public long[] fit(long t, long h, long w) {
    long ft = t / factors[0] * factors[0];
    long fh = h / factors[1] * factors[1];
    long fw = w / factors[2] * factors[2];
    return new long[] {ft, fh, fw, (h - fh) / 2, (w - fw) / 2};
  }

  /** {@code uint8 [T, H, W, 3]} narrowed to {@link #fit}; a view, caller owns. */
  public Tensor fitFrames(Tensor frames) {
    long[] f = fit(frames.size(0), frames.size(1), frames.size(2));
    return frames.narrow(0, 0, f[0]).narrow(1, f[3], f[1]).narrow(2, f[4], f[2]);
  }
}
