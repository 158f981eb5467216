package io.jsora.data.bucket;

/**
 * What bucketing needs of a sample: its length and frame size as stored (an image has one frame).
 */
public record SampleShape(int numFrames, int height, int width) {
  public SampleShape {
    if (numFrames < 1 || height < 1 || width < 1) {
      throw new IllegalArgumentException(
          "sample shape must be positive, got " + numFrames + " frames of " + height + "x" + width);
    }
  }
}
