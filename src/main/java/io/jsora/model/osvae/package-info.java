/**
 * Open-Sora 1.2's video VAE ({@code hpcai-tech/OpenSora-VAE-v1.2}): the pipeline config in the
 * released field names ({@link io.jsora.model.osvae.OsVaeConfig}), the per-frame SDXL-type 2D VAE
 * (jsora's {@link io.jsora.model.vae.AutoencoderKL} under {@code spatial_vae.module.}), the causal
 * temporal VAE ({@link io.jsora.model.osvae.TemporalVae} under {@code temporal_vae.}), the pipeline
 * that chains them with 17-frame chunks and per-channel shift/scale ({@link
 * io.jsora.model.osvae.OpenSoraVae}), its loader ({@link io.jsora.model.osvae.OsVaeFiles}) and a
 * {@link io.jsora.model.vae.VideoCompressor} over it ({@link
 * io.jsora.model.osvae.OsVaeCompressor}); {@link io.jsora.model.osvae.AllCompressors} loads every
 * compressor by kind, this one included (the lowest package that sees them all).
 *
 * <p>Modules register their parameters under upstream's state-dict keys; forward methods run in the
 * caller's {@code PointerScope} (each chunk in its own), while the compressor opens its own scope
 * and hands back tensors the caller owns.
 *
 * <p>May depend on: {@code tensor}, {@code nn}, {@code checkpoint}, {@code model.vae}, {@code
 * video}.
 */
package io.jsora.model.osvae;
