package io.jsora.serve;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.jsora.diffusion.Sampler;
import java.util.Locale;

/**
 * A job's settings after validation: everything resolved, the seed chosen. Stored with the job and
 * shown as {@code params}, so "use these settings" reproduces a video.
 *
 * @param prompt the text
 * @param numFrames frames in the video
 * @param width pixels
 * @param height pixels
 * @param fps frames per second of the MP4
 * @param numSteps denoising steps
 * @param cfgScale guidance scale, 0 = off
 * @param sampler ddpm or ddim
 * @param seed the noise seed used
 */
public record JobParams(
    @JsonProperty("prompt") String prompt,
    @JsonProperty("num_frames") int numFrames,
    @JsonProperty("width") int width,
    @JsonProperty("height") int height,
    @JsonProperty("fps") double fps,
    @JsonProperty("num_steps") int numSteps,
    @JsonProperty("cfg_scale") double cfgScale,
    @JsonProperty("sampler") Sampler.Method sampler,
    @JsonProperty("seed") long seed) {
  public JobParams {
    if (prompt == null || prompt.isBlank() || sampler == null) {
      throw new IllegalArgumentException("job params: prompt and sampler must be set");
    }
    if (numFrames < 1
        || width < 1
        || height < 1
        || numSteps < 1
        || !(fps > 0)
        || !(cfgScale >= 0)) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "job params: frames %d, size %dx%d, steps %d must be >= 1, fps %s > 0, cfg_scale %s >= 0",
              numFrames,
              width,
              height,
              numSteps,
              fps,
              cfgScale));
    }
  }

  /** {@code WIDTHxHEIGHT}, as OpenAI writes sizes. */
  @JsonIgnore
  public String size() {
    return width + "x" + height;
  }

  /** The video's length. */
  @JsonIgnore
  public double seconds() {
    return numFrames / fps;
  }
}
