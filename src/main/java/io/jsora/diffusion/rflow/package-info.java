/**
 * Rectified flow as Open-Sora 1.2 trains and samples it: a straight path {@code x_t = (1 − t/N)·x0
 * + (t/N)·ε} from data (t = 0) to noise (t = N = 1000), a model predicting the velocity {@code x0 −
 * ε}, and Euler steps back along it.
 *
 * <ul>
 *   <li>{@link io.jsora.diffusion.rflow.RFlowConfig}: the settings, upstream's scheduler keys.
 *   <li>{@link io.jsora.diffusion.rflow.TimestepTransform}, {@link
 *       io.jsora.diffusion.rflow.RFlowSchedule}: the timestep list and its resolution/length shift.
 *   <li>{@link io.jsora.diffusion.rflow.RFlowSampler}: guided Euler sampling, mask-aware; {@link
 *       io.jsora.diffusion.rflow.StepNoise} replays a run's noise.
 *   <li>{@link io.jsora.diffusion.rflow.RFlowTraining}: timestep draws and the masked loss.
 *   <li>{@link io.jsora.diffusion.rflow.MaskGenerator}: training frame masks; {@link
 *       io.jsora.diffusion.rflow.MaskStrategy}: inference frame conditioning ({@code
 *       mask_strategy}); {@link io.jsora.diffusion.rflow.Loops}: long-video arithmetic.
 * </ul>
 *
 * <p>Like {@code io.jsora.diffusion} it knows no model: it calls a {@link
 * io.jsora.diffusion.rflow.FlowModel}, a closure that holds the conditioning. Layout {@code [B, C,
 * T, H, W]} (video latents); frame masks are {@code [B, T]} over latent frames; timesteps are
 * float32 {@code [B]} on the scale 0 … N.
 *
 * <p>May depend on: {@code io.jsora.config} (the enums' parse convention), {@code io.jsora.tensor}
 * and {@code io.jsora.diffusion} (noise sources, progress, guidance). Never on {@code
 * io.jsora.model}.
 */
package io.jsora.diffusion.rflow;
