/**
 * A training run as its checkpoints record it: {@link io.jsora.run.RunConfig} (model family and
 * config, diffusion process and config, compressor, text encoder, data size, the {@link
 * io.jsora.run.TrainConfig} that made it) bound with Jackson both ways, and {@link
 * io.jsora.run.CheckpointLayout} (where checkpoints are, what each file holds, reading the config
 * and weights). Sampling reads checkpoints through this package and never through {@code train},
 * which writes them.
 *
 * <p>May use {@code config}, {@code tensor}, {@code checkpoint}, {@code diffusion} and {@code
 * diffusion.rflow} (their config records), {@code parallel} (its enums), {@code model.dit}, {@code
 * model.stdit3} and {@code model.vae} (their config records and kinds), {@code data.bucket} (the
 * bucket config a training setting holds).
 */
package io.jsora.run;
