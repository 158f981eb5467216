package io.jsora.diffusion.rflow;

/**
 * Long videos as upstream's inference builds them from {@code loop} clips: before clip k ≥ 1 the
 * previous decoded clip is encoded again, appended to each sample's references, and the group
 * {@code k,<its index>,−L,0,L,edit} is appended to the sample's strategy, so clip k starts with the
 * last L latent frames of clip k−1 (L = {@code condition_frame_length}, 5 in the 1.2 config; edit =
 * {@code condition_frame_edit}, 0.0). The saved video is clip 0 followed by every later clip
 * without its first {@code 17·L/5} pixel frames (those L latent frames decoded).
 */
public final class Loops {
  /**
   * The 1.2 VAE's temporal compression as upstream hard-codes it: 5 latent frames ↔ 17 pixel
   * frames.
   */
  public static final int LATENT_GROUP = 5;

  public static final int PIXEL_GROUP = 17;

  private Loops() {}

  /**
   * Pixel frames of {@code latentFrames} condition latent frames (upstream's {@code
   * dframe_to_frame}).
   *
   * @throws IllegalArgumentException unless a multiple of 5
   */
  public static int pixelFrames(int latentFrames) {
    if (latentFrames < 0 || latentFrames % LATENT_GROUP != 0) {
      throw new IllegalArgumentException(
          "condition_frame_length must be a non-negative multiple of "
              + LATENT_GROUP
              + " latent frames, got "
              + latentFrames);
    }
    return latentFrames / LATENT_GROUP * PIXEL_GROUP;
  }

  /**
   * Frames of the saved long video: {@code numFrames + (loops − 1)·(numFrames − 17·L/5)}; 51
   * frames, L = 5: {@code 51 + 34·(loops − 1)}.
   *
   * @param numFrames pixel frames of each clip
   * @param loops number of clips, ≥ 1
   * @param conditionFrameLength L, latent frames carried over
   */
  public static int outputFrames(int numFrames, int loops, int conditionFrameLength) {
    if (loops < 1) {
      throw new IllegalArgumentException("loop must be >= 1, got " + loops);
    }
    int carried = pixelFrames(conditionFrameLength);
    if (loops > 1 && carried >= numFrames) {
      throw new IllegalArgumentException(
          "condition_frame_length "
              + conditionFrameLength
              + " latent frames ("
              + carried
              + " pixel frames) leaves nothing new in a clip of "
              + numFrames
              + " frames");
    }
    return numFrames + (loops - 1) * (numFrames - carried);
  }

  /** The group upstream appends before clip {@code loop}: {@code loop,refId,−L,0,L,edit}. */
  public static MaskGroup conditionGroup(
      int loop, int refId, int conditionFrameLength, double conditionFrameEdit) {
    if (loop < 1) {
      throw new IllegalArgumentException(
          "condition group: loop must be >= 1 (clip 0 has no previous clip), got " + loop);
    }
    return new MaskGroup(
        loop, refId, -conditionFrameLength, 0, conditionFrameLength, conditionFrameEdit);
  }

  /**
   * Gradio's choice of L for a clip of {@code numFrames} pixel frames: {@code ⌊numFrames/17·5/3⌋}.
   */
  public static int gradioConditionLength(int numFrames) {
    return (int) ((double) numFrames / PIXEL_GROUP * LATENT_GROUP / 3);
  }
}
