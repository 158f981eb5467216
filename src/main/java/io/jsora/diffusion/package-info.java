/**
 * Gaussian diffusion as in improved DDPM (IDDPM) and DiT: beta schedules, the forward process
 * {@code q}, the model's reverse process {@code p} with learned-range or fixed variance, the
 * training loss (MSE plus the variational bound), timestep respacing, the DDPM and DDIM samplers
 * and classifier-free guidance.
 *
 * <p>The package knows nothing of any model: it takes a {@link io.jsora.diffusion.Denoiser}, a
 * function from a noisy batch and its timesteps to the model output; conditioning (text, labels)
 * lives in the caller's closure. Schedules are computed in {@code double[]} and copied to the
 * device once per {@link io.jsora.diffusion.GaussianDiffusion}.
 *
 * <p>Layout: every tensor is {@code [B, C, ...]} with the channels in dimension 1 (images {@code
 * [B, C, H, W]}, video latents {@code [B, C, T, H, W]}); timesteps are int64 {@code [B]}.
 *
 * <p>Randomness comes only from explicit sources: a {@link io.jsora.diffusion.NoiseSource} for the
 * samplers and {@link io.jsora.diffusion.PerSampleRandom} for training, which draws each sample's
 * timestep and noise from {@code (seed, step, global sample index)} so results do not depend on the
 * batch layout or on how samples are spread over data-parallel ranks.
 *
 * <p>May depend on: {@code io.jsora.tensor}, {@code io.jsora.config}. Never on {@code
 * io.jsora.model}.
 */
package io.jsora.diffusion;
