/**
 * Inference: {@link io.jsora.pipeline.TextToVideoPipeline} turns prompts into videos from a
 * training checkpoint (model, diffusion process, compressor and text encoder as recorded there).
 * {@link io.jsora.pipeline.Os12Pipeline} generates with the released Open-Sora 1.2 checkpoints
 * (STDiT3, the 1.2 VAE and T5, {@link io.jsora.pipeline.Os12Files}) through rectified flow, with
 * references, mask strategies and long videos; its settings ({@link io.jsora.pipeline.Resolution},
 * {@link io.jsora.pipeline.AspectRatio}, {@link io.jsora.pipeline.NumFrames}) follow upstream's
 * tables.
 *
 * <p>May depend on: {@code model.*}, {@code diffusion}, {@code diffusion.rflow}, {@code
 * data.bucket} (upstream's resolution tables), {@code run} (the checkpoint layout and run config;
 * never {@code train}), {@code video}, {@code checkpoint}, {@code config}, {@code tensor}.
 */
package io.jsora.pipeline;
