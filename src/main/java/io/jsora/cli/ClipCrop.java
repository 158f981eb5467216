package io.jsora.cli;

import io.jsora.tensor.Shapes;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;

/** Temporal windows of clips {@code [1, 3, T, H, W]}. */
final class ClipCrop {
  private ClipCrop() {}

  /** The first {@code frames} frames; the caller's scope owns the view. */
  static Tensor firstWindow(Tensor clip, int frames, String name) {
    long t = Shapes.of(clip)[2];
    if (t < frames) {
      throw new IllegalArgumentException(name + ": " + t + " frames, fewer than --frames " + frames);
    }
    return clip.narrow(2, 0, frames);
  }

  /** A random window of {@code frames} frames; the caller's scope owns it. */
  static Tensor randomWindow(Tensor clip, int frames, Random r, String name) {
    long t = Shapes.of(clip)[2];
    if (t < frames) {
      throw new IllegalArgumentException(name + ": " + t + " frames, fewer than --frames " + frames);
    }
    return clip.narrow(2, r.nextInt((int) (t - frames + 1)), frames);
  }
}
