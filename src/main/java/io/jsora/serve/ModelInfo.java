package io.jsora.serve;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What the loaded checkpoint is and what it allows, as {@code GET /v1/models} shows it.
 *
 * @param id the model's name in video objects (the checkpoint directory's name)
 * @param arch DiT conditioning architecture
 * @param dit depth, width and patch size of the transformer
 * @param compressor raw, vqvae or vae
 * @param textEncoder the recorded text encoder
 * @param widthMultiple width must be a multiple of this (compressor factor × patch size)
 * @param heightMultiple likewise for height
 * @param frameMultiple frames must be a multiple of this (the compressor's time factor)
 * @param diffusionSteps the training process's steps: the most a sampler can take
 * @param defaultWidth the training data's width
 * @param defaultHeight the training data's height
 * @param defaultFrames the training data's frames
 * @param defaultFps the training data's fps
 */
public record ModelInfo(
    @JsonProperty("id") String id,
    @JsonProperty("arch") String arch,
    @JsonProperty("dit") String dit,
    @JsonProperty("compressor") String compressor,
    @JsonProperty("text_encoder") String textEncoder,
    @JsonProperty("width_multiple") int widthMultiple,
    @JsonProperty("height_multiple") int heightMultiple,
    @JsonProperty("frame_multiple") int frameMultiple,
    @JsonProperty("diffusion_steps") int diffusionSteps,
    @JsonProperty("default_width") int defaultWidth,
    @JsonProperty("default_height") int defaultHeight,
    @JsonProperty("default_frames") int defaultFrames,
    @JsonProperty("default_fps") double defaultFps) {
  public ModelInfo {
    if (widthMultiple < 1 || heightMultiple < 1 || frameMultiple < 1 || diffusionSteps < 1) {
      throw new IllegalArgumentException(
          "model info: multiples and diffusion steps must be >= 1, got "
              + widthMultiple
              + ", "
              + heightMultiple
              + ", "
              + frameMultiple
              + ", "
              + diffusionSteps);
    }
  }
}
