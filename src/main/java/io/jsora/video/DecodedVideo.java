package io.jsora.video;

import org.bytedeco.pytorch.Tensor;

/**
 * Decoded frames; owns its tensor.
 *
 * @param frames {@code uint8 [T, H, W, 3]} RGB on the CPU
 * @param fps the frame rate of {@code frames} (the requested rate when resampled)
 * @param info the source file's header information
 */
public record DecodedVideo(Tensor frames, double fps, VideoInfo info) implements AutoCloseable {
  /** T, the number of frames. */
  public long length() {
    return frames.size(0);
  }

  @Override
  public void close() {
    frames.close();
  }
}
