/**
 * Inference: {@link io.jsora.pipeline.TextToVideoPipeline} turns prompts into videos from a
 * training checkpoint (model, diffusion process, compressor and text encoder as recorded there).
 *
 * <p>May depend on: {@code model.*}, {@code diffusion} (and {@code diffusion.rflow}), {@code run}
 * (the checkpoint layout and run config; never {@code train}), {@code video}, {@code checkpoint},
 * {@code config}, {@code tensor}.
 */
package io.jsora.pipeline;
