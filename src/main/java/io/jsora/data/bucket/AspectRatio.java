package io.jsora.data.bucket;

/**
 * One row of a resolution's aspect-ratio table.
 *
 * @param name the table's key, height / width with up to two decimals (e.g. {@code "0.56"})
 * @param height pixels
 * @param width pixels
 */
public record AspectRatio(String name, int height, int width) {
  public AspectRatio {
    if (height < 1 || width < 1) {
      throw new IllegalArgumentException(
          "aspect ratio " + name + ": size must be positive, got " + height + "x" + width);
    }
    Double.parseDouble(name);
  }

  /** The ratio the name stands for, height / width. */
  public double value() {
    return Double.parseDouble(name);
  }
}
