package io.jsora.data;

import io.jsora.data.bucket.BucketId;
import io.jsora.tensor.DType;
import io.jsora.tensor.Shapes;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.InterpolateFuncOptions;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.kBilinear;

/**
 * Brings a decoded video to its bucket's length and size, as the reference's bucketed dataset
 * (Open-Sora 1.2's {@code VariableVideoTextDataset} with {@code transform_name="resize_crop"}):
 *
 * <ol>
 *   <li>time: a window of {@code numFrames × frameInterval} frames at a random start (the
 *       reference's {@code TemporalRandomCrop}: start uniform in {@code [0, max(0, T − size −
 *       1)]}), {@code numFrames} evenly spaced indices in it ({@code linspace}, truncated);
 *   <li>space: bilinear resize (no antialias, corners not aligned) so the frame covers the bucket's
 *       {@code (h, w)} keeping its aspect ratio, then a centre crop to exactly {@code (h, w)};
 *   <li>then a centre crop to multiples of {@code align} (the compressor's factors times the patch
 *       size, so the model can take the latent), which the reference does not need: it pads.
 * </ol>
 *
 * Where the reference draws the window start from Python's global generator, here it comes from a
 * seed the loader derives from (run seed, epoch, row), so a resumed run reads the same frames.
 */
public final class BucketTransform {
  private BucketTransform() {}

  /**
   * The frame indices of the window, its start drawn from {@code seed}: uniform in {@code [0,
   * }{@link #lastStart}{@code ]}.
   *
   * @param total frames decoded
   * @return {@code numFrames} indices, or null when the video has fewer than {@code numFrames}
   */
  public static long[] frameIndices(long total, int numFrames, int frameInterval, long seed) {
    long last = lastStart(total, numFrames, frameInterval);
    long begin = last == 0 ? 0 : new SplittableRandom(seed).nextLong(last + 1);
    return window(total, numFrames, frameInterval, begin);
  }

  /** The latest window start: {@code max(0, total − numFrames × frameInterval − 1)}. */
  public static long lastStart(long total, int numFrames, int frameInterval) {
    return Math.max(0, total - (long) numFrames * frameInterval - 1);
  }

  /**
   * The indices of the window starting at {@code begin}: {@code numFrames} evenly spaced over
   * {@code [begin, min(begin + numFrames × frameInterval, total) − 1]}, truncated ({@code
   * np.linspace(..., dtype=int)}); null when the window has fewer than {@code numFrames} frames.
   */
  public static long[] window(long total, int numFrames, int frameInterval, long begin) {
    long end = Math.min(begin + (long) numFrames * frameInterval, total);
    if (end - begin < numFrames) {
      return null;
    }
    // NumPy's arithmetic: i · (delta / div) + start, the last one exactly stop, then truncated
    double start = begin;
    double stop = end - 1;
    double delta = stop - start;
    int div = numFrames - 1;
    double step = div > 0 ? delta / div : Double.NaN;
    long[] idx = new long[numFrames];
    for (int i = 0; i < numFrames; i++) {
      double y;
      if (div <= 0) {
        y = i * delta;
      } else if (step == 0) {
        y = (double) i / div * delta;
      } else {
        y = i * step;
      }
      y += start;
      if (div > 0 && i == numFrames - 1) {
        y = stop;
      }
      idx[i] = (long) y;
    }
    return idx;
  }

  /**
   * The reference's {@code resize_crop_to_fill}: resize {@code clip} so it covers {@code (th, tw)}
   * with its aspect ratio kept (the side that needs the larger scale gets exactly its target), then
   * crop the other side's excess, offset {@code floor(excess / 2)}.
   *
   * @param clip {@code [T, C, H, W]} float
   * @return {@code [T, C, th, tw]}, the caller's (in its scope)
   */
  public static Tensor resizeCropToFill(Tensor clip, int th, int tw) {
    long[] s = Shapes.of(clip);
    if (s.length != 4) {
      throw new IllegalArgumentException(
          "clip: expected shape [T, C, H, W], found " + Shapes.format(s));
    }
    long h = s[2];
    long w = s[3];
    double rh = (double) th / h;
    double rw = (double) tw / w;
    long sh;
    long sw;
    if (rh > rw) {
      sh = th;
      sw = (long) Math.rint(w * rh); // Python's round: half to even
    } else {
      sh = (long) Math.rint(h * rw);
      sw = tw;
    }
    Tensor resized = clip;
    if (sh != h || sw != w) {
      InterpolateFuncOptions io = new InterpolateFuncOptions();
      io.size().put(new LongVector(sh, sw));
      io.mode().put(new kBilinear());
      io.align_corners().put(false);
      resized = torch.interpolate(clip, io); // (T, C, sh, sw)
    }
    long i = (sh - th) / 2;
    long j = (sw - tw) / 2;
    return resized.narrow(2, i, th).narrow(3, j, tw); // (T, C, th, tw)
  }

  /**
   * A decoded video in its bucket: window, resize and crop, centre cut to {@code align}, in the
   * model's range.
   *
   * @param frames {@code uint8 [T, H, W, 3]}
   * @param align (t, h, w) multiples the result is cut to; null = none
   * @return {@code float32 [3, T', H', W']} in [-0.5, 0.5], caller owns it; null when the video has
   *     fewer frames than the bucket takes
   */
  public static Tensor apply(
      Tensor frames, BucketId bucket, int frameInterval, int[] align, long seed) {
    long[] s = Shapes.of(frames);
    if (s.length != 4 || s[3] != 3 || DType.of(frames) != DType.U8) {
      throw new IllegalArgumentException(
          "frames: expected uint8 [T, H, W, 3], found "
              + DType.of(frames)
              + " "
              + Shapes.format(s));
    }
    long[] idx = frameIndices(s[0], bucket.numFrames(), frameInterval, seed);
    if (idx == null) {
      return null;
    }
    try (PointerScope scope = new PointerScope()) {
      Tensor picked =
          frames.index_select(0, io.jsora.tensor.Tensors.of(idx, idx.length)); // (T, H, W, 3)
      Tensor clip =
          picked
              .permute(0, 3, 1, 2)
              .to(DType.F32.scalarType())
              .div(new Scalar(255.0)); // (T, 3, H, W)
      Tensor sized = resizeCropToFill(clip, bucket.height(), bucket.width()); // (T, 3, h, w)
      Tensor x = sized.sub(new Scalar(0.5)).permute(1, 0, 2, 3); // (3, T, h, w) in [-0.5, 0.5]
      if (align != null) {
        long t = x.size(1) / align[0] * align[0];
        long hh = x.size(2) / align[1] * align[1];
        long ww = x.size(3) / align[2] * align[2];
        if (t == 0 || hh == 0 || ww == 0) {
          throw new IllegalArgumentException(
              "bucket "
                  + bucket
                  + ": its "
                  + bucket.numFrames()
                  + " x "
                  + bucket.height()
                  + " x "
                  + bucket.width()
                  + " is smaller than one "
                  + align[0]
                  + " x "
                  + align[1]
                  + " x "
                  + align[2]
                  + " unit of the compressor and patch");
        }
        x =
            x.narrow(1, 0, t)
                .narrow(2, (x.size(2) - hh) / 2, hh)
                .narrow(3, (x.size(3) - ww) / 2, ww); // (3, T', H', W')
      }
      return io.jsora.tensor.Scopes.keep(x.contiguous());
    }
  }
}
