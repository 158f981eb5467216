package io.jsora.model.osvae;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * The pipeline's {@code vae_2d} entry: upstream's {@code VideoAutoencoderKL}, a diffusers {@code
 * AutoencoderKL} applied to each frame. The entry names the diffusers model only by {@code
 * from_pretrained} (a Hugging Face id or a directory) and {@code subfolder}; its shape comes from
 * that model's {@code config.json} (see {@link OsVaeFiles#spatialConfig}). The weights never come
 * from there: the pipeline's own file holds them under {@code spatial_vae.module.}.
 *
 * @param type {@code VideoAutoencoderKL}, the only 2D VAE the 1.2 pipeline uses
 * @param fromPretrained where the diffusers model lives: a Hugging Face id or a directory (relative
 *     paths are taken from the directory of the pipeline's config)
 * @param subfolder the model's folder inside {@code fromPretrained} ({@code vae}), or null
 * @param microBatchSize frames per spatial encoder/decoder call; null runs all frames at once.
 *     Results do not depend on it; memory does
 * @param localFilesOnly upstream's download switch; read and kept, never used (jsora does not
 *     download)
 * @param cacheDir upstream's download cache; read and kept, never used
 */
@JsonPropertyOrder({
  "type",
  "from_pretrained",
  "subfolder",
  "micro_batch_size",
  "local_files_only",
  "cache_dir"
})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SpatialVaeConfig(
    @JsonProperty("type") String type,
    @JsonProperty("from_pretrained") String fromPretrained,
    @JsonProperty("subfolder") String subfolder,
    @JsonProperty("micro_batch_size") Integer microBatchSize,
    @JsonProperty("local_files_only") Boolean localFilesOnly,
    @JsonProperty("cache_dir") String cacheDir) {
  /** The registered name of upstream's per-frame 2D VAE. */
  public static final String TYPE = "VideoAutoencoderKL";

  /** The diffusers SDXL VAE that the 1.2 VAE's spatial half was initialised from. */
  public static final String PIXART_SDXL_VAE = "PixArt-alpha/pixart_sigma_sdxlvae_T5_diffusers";

  @JsonCreator
  public SpatialVaeConfig {
    if (!TYPE.equals(type)) {
      throw new IllegalArgumentException("vae_2d.type is " + type + ", expected " + TYPE);
    }
    if (fromPretrained == null || fromPretrained.isBlank()) {
      throw new IllegalArgumentException(
          "vae_2d.from_pretrained is required: it names the diffusers AutoencoderKL (id or directory)");
    }
    if (microBatchSize != null && microBatchSize < 1) {
      throw new IllegalArgumentException(
          "vae_2d.micro_batch_size must be >= 1 or null, got " + microBatchSize);
    }
  }

  /** The released entry: the PixArt SDXL VAE's {@code vae} folder, 4 frames per call. */
  public static SpatialVaeConfig released() {
    return new SpatialVaeConfig(TYPE, PIXART_SDXL_VAE, "vae", 4, true, null);
  }

  /** A copy with another micro-batch size. */
  public SpatialVaeConfig withMicroBatchSize(Integer n) {
    return new SpatialVaeConfig(type, fromPretrained, subfolder, n, localFilesOnly, cacheDir);
  }
}
