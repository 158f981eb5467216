package io.jsora.model.vae;

import org.bytedeco.pytorch.Tensor;

/**
 * Maps pixel video to the latent space the DiT diffuses in, and back.
 *
 * <p>Video tensors are {@code [B, 3, T, H, W]} float32 with pixels in {@code [-0.5, 0.5]} (what
 * {@code io.jsora.video.Frames.toModel} produces); latents are {@code [B, C, T', H', W']} with
 * {@code T' = T / factors()[0]}, {@code H' = H / factors()[1]}, {@code W' = W / factors()[2]}. T, H
 * and W must be multiples of the factors: nothing is cropped or padded silently, and a mismatch is
 * an {@link IllegalArgumentException} naming the dimension.
 *
 * <p>Inputs may live on any device; outputs are on the compressor's device. Encoding and decoding
 * run without gradients. Each returned tensor is owned by the caller, who closes it (it is not
 * attached to the caller's {@code PointerScope}). Implementations are not thread-safe.
 *
 * <p>Get one from {@link Compressors#load}.
 */
public interface VideoCompressor extends AutoCloseable {
  /** {@code raw}, {@code vqvae}, {@code vae} or {@code osvae}. */
  String name();

  /** Channels of the latent: 3 (raw), 256 (hpcai-tech/vqvae), 4 (SD VAE). */
  int latentChannels();

  /** Downsampling factors (time, height, width): 1,1,1 (raw), 2,4,4 (vqvae), 1,8,8 (vae). */
  int[] factors();

  /**
   * The (time, height, width) multiples a video is cut to before encoding: {@link #factors()},
   * except for a compressor that takes any frame count (the 1.2 VAE: time 1).
   */
  default int[] fitMultiples() {
    return factors();
  }

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

  /** Releases the model's weights. */
  @Override
  void close();
}
