package io.jsora.model.vae;

/**
 * Settings of the SD-VAE compressor (the others ignore them).
 *
 * @param scalingFactor multiplies the sampled latent before diffusion; null takes the model's
 *     {@code scaling_factor} ({@code 0.18215} for SD 1.x VAEs)
 * @param microBatch frames per encoder/decoder call; bounds activation memory on long videos (each
 *     256×256 frame needs a few hundred MB in the decoder)
 * @param seed seeds the generator that samples latents from the posterior
 */
public record CompressorOptions(Double scalingFactor, int microBatch, long seed) {
  public CompressorOptions {
    if (microBatch < 1) {
      throw new IllegalArgumentException("micro-batch must be at least 1 frame, got " + microBatch);
    }
    if (scalingFactor != null && !(scalingFactor > 0)) {
      throw new IllegalArgumentException("scaling factor must be positive, got " + scalingFactor);
    }
  }

  /** The model's scaling factor, 8 frames per call, seed 0. */
  public static CompressorOptions defaults() {
    return new CompressorOptions(null, 8, 0);
  }
}
