package io.jsora.video;

/**
 * How to turn a file into frames. The default, {@link #NATIVE}, keeps every frame at the file's own
 * size, as the reference did.
 *
 * @param fps resample to this frame rate by picking, for each output time {@code k / fps}, the last
 *     frame shown at or before it; 0 keeps every decoded frame
 * @param width resize to this width; 0 keeps the width, or follows the aspect ratio when only
 *     {@code height} is given
 * @param height resize to this height; 0 as for width
 * @param cropWidth centre-crop to this width after resizing; 0 = no crop
 * @param cropHeight centre-crop to this height after resizing; 0 = no crop
 * @param maxFrames refuse videos with more frames than this ({@link
 *     BadVideoException.Reason#TOO_LONG}), checked on the header before decoding and again while
 *     decoding; 0 = no limit
 * @param threads decoder threads; 1 keeps each decode on one core (callers decode several videos at
 *     once); 0 lets FFmpeg choose
 */
public record DecodeOptions(
    double fps, int width, int height, int cropWidth, int cropHeight, long maxFrames, int threads) {
  /** Every frame at the stored size, no limit, one decoder thread. */
  public static final DecodeOptions NATIVE = new DecodeOptions(0, 0, 0, 0, 0, 0, 1);

  public DecodeOptions {
    if (fps < 0 || Double.isNaN(fps)) {
      throw new IllegalArgumentException("fps must be >= 0 (0 = native), got " + fps);
    }
    if (width < 0 || height < 0 || cropWidth < 0 || cropHeight < 0) {
      throw new IllegalArgumentException(
          "sizes must be >= 0 (0 = keep), got resize "
              + width
              + "x"
              + height
              + ", crop "
              + cropWidth
              + "x"
              + cropHeight);
    }
    if (maxFrames < 0) {
      throw new IllegalArgumentException("maxFrames must be >= 0 (0 = no limit), got " + maxFrames);
    }
    if (threads < 0) {
      throw new IllegalArgumentException(
          "threads must be >= 0 (0 = FFmpeg chooses), got " + threads);
    }
  }

  public DecodeOptions withFps(double f) {
    return new DecodeOptions(f, width, height, cropWidth, cropHeight, maxFrames, threads);
  }

  public DecodeOptions withResize(int w, int h) {
    return new DecodeOptions(fps, w, h, cropWidth, cropHeight, maxFrames, threads);
  }

  public DecodeOptions withCrop(int w, int h) {
    return new DecodeOptions(fps, width, height, w, h, maxFrames, threads);
  }

  public DecodeOptions withMaxFrames(long n) {
    return new DecodeOptions(fps, width, height, cropWidth, cropHeight, n, threads);
  }

  public DecodeOptions withThreads(int n) {
    return new DecodeOptions(fps, width, height, cropWidth, cropHeight, maxFrames, n);
  }

  /**
   * The frame size {@code [h, w]} after resizing (before cropping) for a source of {@code srcW x
   * srcH}.
   */
  public int[] resizedSize(int srcW, int srcH) {
    int w = width;
    int h = height;
    if (w == 0 && h == 0) {
      return new int[] {srcH, srcW};
    }
    if (w == 0) {
      w = Math.max(1, (int) Math.round((double) srcW * h / srcH));
    } else if (h == 0) {
      h = Math.max(1, (int) Math.round((double) srcH * w / srcW));
    }
    return new int[] {h, w};
  }

  /** The output frame size {@code [h, w]} for a source of {@code srcW x srcH}. */
  public int[] outputSize(int srcW, int srcH) {
    int[] r = resizedSize(srcW, srcH);
    int h = cropHeight == 0 ? r[0] : Math.min(cropHeight, r[0]);
    int w = cropWidth == 0 ? r[1] : Math.min(cropWidth, r[1]);
    return new int[] {h, w};
  }

  /**
   * Output frame count for {@code frames} source frames at {@code srcFps} (native rate: unchanged).
   */
  public long outputFrames(long frames, double srcFps) {
    if (fps == 0 || srcFps <= 0) {
      return frames;
    }
    return Math.max(1, (long) Math.ceil(frames / srcFps * fps - 1e-9));
  }
}
