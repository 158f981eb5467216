package io.jsora.data;

import io.jsora.tensor.Shapes;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;

/**
 * Temporal windows of clips {@code [1, 3, T, H, W]}: what a video autoencoder trains and is
 * evaluated on.
 */
public final class ClipCrop {
  private ClipCrop() {}

  /**
   * The first {@code frames} frames; the caller's scope owns the view.
   *
   * @param name the clip's name, for the error when it is shorter than the window
   */
  public static Tensor firstWindow(Tensor clip, int frames, String name) {
    long t = Shapes.of(clip)[2];
    if (t < frames) {
      throw new IllegalArgumentException(
          name + ": " + t + " frames, fewer than the window of " + frames + " frames");
    }
    return clip.narrow(2, 0, frames);
  }

  /**
   * A window of {@code frames} frames starting at a position drawn from {@code r}; the caller's
   * scope owns it.
   */
  public static Tensor randomWindow(Tensor clip, int frames, Random r, String name) {
    long t = Shapes.of(clip)[2];
    if (t < frames) {
      throw new IllegalArgumentException(
          name + ": " + t + " frames, fewer than the window of " + frames + " frames");
    }
    return clip.narrow(2, r.nextInt((int) (t - frames + 1)), frames);
  }
}
