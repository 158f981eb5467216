package io.jsora.model.vae;

import java.util.List;

/**
 * A compressor's shape factors without loading it: for sizing models and benchmarks before (or
 * instead of) having its weights. The loaded compressors report the same through {@link
 * VideoCompressor#factors()} and {@link VideoCompressor#latentChannels()}.
 *
 * @param name {@code raw}, {@code vqvae} or {@code vae}
 * @param t time downsampling
 * @param h height downsampling
 * @param w width downsampling
 * @param channels latent channels
 */
public record CompressorShape(String name, int t, int h, int w, int channels) {
  /** The shapes of {@link Compressors#NAMES}, in that order. */
  public static final List<CompressorShape> ALL =
      List.of(
          new CompressorShape("raw", 1, 1, 1, 3),
          new CompressorShape("vqvae", 2, 4, 4, 256),
          new CompressorShape("vae", 1, 8, 8, 4));

  /** The shape of compressor {@code kind}. */
  public static CompressorShape of(CompressorKind kind) {
    return of(kind.id());
  }

  /** The shape of compressor {@code name} (case-insensitive). */
  public static CompressorShape of(String name) {
    for (CompressorShape c : ALL) {
      if (c.name.equalsIgnoreCase(name)) {
        return c;
      }
    }
    throw new IllegalArgumentException(
        "unknown compressor '" + name + "'; expected raw, vqvae or vae");
  }

  /**
   * The latent {@code [C, T', H', W']} of a {@code frames × height × width} pixel video.
   *
   * @throws IllegalArgumentException naming the dimension ({@code frames}, {@code height} or {@code
   *     width}, first in the message) when a size is not a positive multiple of its factor
   */
  public long[] latent(long frames, long height, long width) {
    check("frames", frames, t);
    check("height", height, h);
    check("width", width, w);
    return new long[] {channels, frames / t, height / h, width / w};
  }

  private void check(String what, long v, int f) {
    if (v < 1 || v % f != 0) {
      throw new IllegalArgumentException(
          what
              + " "
              + v
              + " is not a positive multiple of the "
              + name
              + " compressor's factor "
              + f);
    }
  }
}
