/**
 * Video compressors: what maps pixel video {@code [B, 3, T, H, W]} in [-0.5, 0.5] to the latent the
 * DiT diffuses in, and back ({@link io.jsora.model.vae.VideoCompressor}).
 *
 * <ul>
 *   <li>{@code raw}: the identity ({@link io.jsora.model.vae.RawCompressor}).
 *   <li>{@code vqvae}: VideoGPT's VQ-VAE ({@link io.jsora.model.vae.VqVae}, state-dict names of
 *       {@code videogpt.vqvae.VQVAE}), loading {@code hpcai-tech/vqvae}; trainable with {@link
 *       io.jsora.model.vae.VqVaeTrainer}.
 *   <li>{@code vae}: the Stable Diffusion VAE ({@link io.jsora.model.vae.AutoencoderKL}, diffusers
 *       names) per frame, loading {@code stabilityai/sd-vae-ft-mse}.
 * </ul>
 *
 * {@link io.jsora.model.vae.Compressors#load} builds any of them from a Hugging Face-style
 * directory or a cached Hugging Face id; {@link io.jsora.model.vae.ReconMetrics} measures
 * reconstructions (PSNR, SSIM).
 *
 * <p>Modules register their parameters under the upstream names; forward methods run in the
 * caller's {@code PointerScope}, while the compressor methods open their own and hand back tensors
 * the caller owns.
 *
 * <p>Configs are read from {@code config.json} through {@code checkpoint.HfConfig} and models found
 * in the Hugging Face cache through {@code checkpoint.HubCache}, which the caller passes in.
 *
 * <p>Every module here extends {@code nn.Layer}; the plain layers ({@code Linear}, {@code Conv3d},
 * {@code GroupNorm} ...) are package-private, used by these compressors only.
 *
 * <p>May depend on: {@code io.jsora.nn} (the module base), {@code io.jsora.tensor}, {@code
 * io.jsora.checkpoint}, {@code io.jsora.video} (the moving-shapes clips), Jackson.
 */
package io.jsora.model.vae;
