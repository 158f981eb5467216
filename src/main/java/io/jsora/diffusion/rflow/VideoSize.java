package io.jsora.diffusion.rflow;

import java.util.Collections;
import java.util.List;

/**
 * The pixel size of one sample as the timestep transform sees it (upstream's {@code height}, {@code
 * width} and {@code num_frames} model arguments): the video's size before the VAE, not the
 * latent's.
 *
 * @param height pixel rows
 * @param width pixel columns
 * @param numFrames pixel frames; 1 for an image
 */
public record VideoSize(int height, int width, int numFrames) {
  public VideoSize {
    if (height < 1 || width < 1 || numFrames < 1) {
      throw new IllegalArgumentException(
          "video size: height, width and num_frames must be >= 1, got "
              + height
              + "x"
              + width
              + "x"
              + numFrames);
    }
  }

  /** The same size for each of {@code batch} samples. */
  public static List<VideoSize> batch(int batch, int height, int width, int numFrames) {
    if (batch < 1) {
      throw new IllegalArgumentException("video size: batch must be >= 1, got " + batch);
    }
    return Collections.nCopies(batch, new VideoSize(height, width, numFrames));
  }

  public boolean isImage() {
    return numFrames == 1;
  }
}
