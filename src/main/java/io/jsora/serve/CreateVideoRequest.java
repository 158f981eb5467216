package io.jsora.serve;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.jsora.diffusion.Sampler;

/**
 * The body of {@code POST /v1/videos}, as sent; every field may be absent (defaults come from the
 * checkpoint) and unknown fields are refused. {@link Limits#validate} turns it into {@link
 * JobParams}.
 *
 * @param model accepted for OpenAI clients; the server has one model
 * @param prompt what to show
 * @param negativePrompt refused when given: guidance here is against the empty text
 * @param seconds length; frames = round(seconds × fps). Not with {@code num_frames}
 * @param numFrames frames, instead of {@code seconds}
 * @param fps frames per second of the MP4
 * @param size {@code WIDTHxHEIGHT} in pixels
 * @param seed noise seed; absent: the server picks one and reports it
 * @param numSteps denoising steps
 * @param cfgScale classifier-free guidance scale, 0 = off
 * @param sampler ddpm or ddim
 */
public record CreateVideoRequest(
    @JsonProperty("model") String model,
    @JsonProperty("prompt") String prompt,
    @JsonProperty("negative_prompt") String negativePrompt,
    @JsonProperty("seconds") Double seconds,
    @JsonProperty("num_frames") Integer numFrames,
    @JsonProperty("fps") Double fps,
    @JsonProperty("size") String size,
    @JsonProperty("seed") Long seed,
    @JsonProperty("num_steps") Integer numSteps,
    @JsonProperty("cfg_scale") Double cfgScale,
    @JsonProperty("sampler") Sampler.Method sampler) {}
