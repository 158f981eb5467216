package io.jsora.data.bucket;

/**
 * The bucket a sample was put in: its resolution, its number of frames and, within the resolution's
 * table, its aspect ratio. A batch holds samples of one bucket, all brought to {@link #numFrames()}
 * × {@link #height()} × {@link #width()}.
 */
public record BucketId(Resolution resolution, int numFrames, AspectRatio aspectRatio) {
  public int height() {
    return aspectRatio.height();
  }

  public int width() {
    return aspectRatio.width();
  }

  /** As the reference writes a bucket id: {@code (resolution, num_frames, ratio)}. */
  @Override
  public String toString() {
    return "(" + resolution.id() + ", " + numFrames + ", " + aspectRatio.name() + ")";
  }
}
