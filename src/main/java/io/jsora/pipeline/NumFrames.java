package io.jsora.pipeline;

import java.util.Locale;

/**
 * A clip length in pixel frames, written as upstream's {@code num_frames} is ({@code
 * opensora/datasets/aspect.py get_num_frames}): a duration name ({@code 2s} = 51 frames, {@code 4s}
 * = 102, {@code 8s} = 204, {@code 16s} = 408, {@code 32s} = 816; the aliases {@code 1x} … {@code
 * 16x} likewise) or a frame count.
 *
 * @param frames pixel frames, ≥ 1 (1 = an image)
 */
public record NumFrames(int frames) {
  private static final String[] NAMES = {"2s", "4s", "8s", "16s", "32s"};
  private static final String[] ALIASES = {"1x", "2x", "4x", "8x", "16x"};
  private static final int[] FRAMES = {51, 102, 204, 408, 816};

  public NumFrames {
    if (frames < 1) {
      throw new IllegalArgumentException("num_frames must be >= 1, got " + frames);
    }
  }

  /**
   * Parses {@code 2s|4s|8s|16s|32s}, {@code 1x|2x|4x|8x|16x} or a positive integer.
   *
   * @throws IllegalArgumentException naming the value and the accepted forms
   */
  public static NumFrames parse(String text) {
    String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    for (int i = 0; i < NAMES.length; i++) {
      if (s.equals(NAMES[i]) || s.equals(ALIASES[i])) {
        return new NumFrames(FRAMES[i]);
      }
    }
    int n;
    try {
      n = Integer.parseInt(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "num_frames '"
              + text
              + "': expected 2s, 4s, 8s, 16s, 32s (51, 102, 204, 408, 816 frames) or a frame count");
    }
    return new NumFrames(n);
  }

  @Override
  public String toString() {
    return Integer.toString(frames);
  }
}
