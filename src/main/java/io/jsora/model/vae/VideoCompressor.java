package io.jsora.model.vae;

import org.bytedeco.pytorch.Tensor;

/**
 * Maps pixel video to the latent space the DiT diffuses in, and back.
 *
 * <p>Video tensors are {@code [B, 3, T, H, W]} float32 with pixels in {@code [-0.5, 0.5]}.
 */
public interface VideoCompressor extends AutoCloseable {
  /** {@code raw}, {@code vqvae} or {@code vae}. */
  String name();

  /** Channels of the latent. */
  int latentChannels();

  /** Downsampling factors (time, height, width). */
  int[] factors();

  /**
   * The latent shape {@code [C, T', H', W']} for a video of T×H×W pixels.
   *
   * @throws IllegalArgumentException naming the dimension when T, H or W does not fit the factors
   */
  long[] latentShape(long frames, long height, long width);

  /** Encodes video {@code [B, 3, T, H, W]} to a latent {@code [B, C, T', H', W']}; caller owns. */
  Tensor encode(Tensor video);

  /** Decodes a latent back to video in {@code [-0.5, 0.5]} (not clamped); caller owns. */
  Tensor decode(Tensor latent);

  @Override
  void close();
}
