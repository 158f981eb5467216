package io.jsora.pipeline;

import io.jsora.tensor.DType;
import io.jsora.tensor.Shapes;
import org.bytedeco.pytorch.Tensor;

/**
 * The first frames each generated video must start with: image-to-video (one frame) or extension
 * (several). The pipeline encodes them, keeps their latents clean through the frame mask and
 * generates the rest.
 *
 * @param video {@code uint8 [B, T, H, W, 3]}, one clip per prompt with at least {@code count}
 *     frames (only the first {@code count} are read); owned by the caller
 * @param count frames given, at least 1; a multiple of the compressor's time factor, and fewer than
 *     the frames generated
 */
public record GivenFrames(Tensor video, int count) {
  public GivenFrames {
    if (video == null) {
      throw new IllegalArgumentException("given frames: no video");
    }
    long[] s = Shapes.of(video);
    if (s.length != 5 || s[4] != 3 || DType.of(video) != DType.U8) {
      throw new IllegalArgumentException(
          "given frames: expected uint8 [B, T, H, W, 3], found "
              + DType.of(video)
              + " "
              + Shapes.format(s));
    }
    if (count < 1 || count > s[1]) {
      throw new IllegalArgumentException(
          "given frames: count must be in 1.." + s[1] + " (the clip's frames), got " + count);
    }
  }
}
