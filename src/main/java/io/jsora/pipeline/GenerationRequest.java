package io.jsora.pipeline;

import io.jsora.diffusion.Sampler;
import java.util.List;

/**
 * What to generate.
 *
 * @param prompts one video per prompt
 * @param frames frames per video (the reference computed fps × seconds)
 * @param height pixels; a multiple of the compressor's factor times the patch size
 * @param width pixels; likewise
 * @param numSteps denoising steps (the process is respaced to this many)
 * @param sampler DDPM (ancestral, the reference's) or DDIM
 * @param eta DDIM's noise scale (0 = deterministic); ignored by DDPM
 * @param guidanceScale classifier-free guidance scale; 0 disables guidance (one model call per
 *     step)
 * @param seed seeds each prompt's noise: prompt i always gets the same noise for a seed
 */
public record GenerationRequest(
    List<String> prompts,
    int frames,
    int height,
    int width,
    int numSteps,
    Sampler.Method sampler,
    double eta,
    double guidanceScale,
    long seed) {
  public GenerationRequest {
    prompts = List.copyOf(prompts);
    if (prompts.isEmpty()) {
      throw new IllegalArgumentException("no prompt given");
    }
    if (frames < 1 || height < 1 || width < 1) {
      throw new IllegalArgumentException(
          "frames, height and width must be >= 1, got " + frames + ", " + height + ", " + width);
    }
    if (numSteps < 1) {
      throw new IllegalArgumentException("sampling steps must be >= 1, got " + numSteps);
    }
    if (sampler == null) {
      throw new IllegalArgumentException("no sampler given");
    }
    if (guidanceScale < 0) {
      throw new IllegalArgumentException("the guidance scale must be >= 0, got " + guidanceScale);
    }
  }
}
