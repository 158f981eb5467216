package io.jsora.model.osvae;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Open-Sora 1.2's {@code VideoAutoencoderPipelineConfig}, under the field names of the released
 * {@code hpcai-tech/OpenSora-VAE-v1.2} {@code config.json}. Absent keys take that class's defaults;
 * the bookkeeping keys Hugging Face's {@code save_pretrained} adds ({@code architectures}, {@code
 * torch_dtype}, {@code transformers_version}, {@code _name_or_path}) are read and ignored, {@code
 * model_type} must say {@code VideoAutoencoderPipeline}, and any other key is an error.
 *
 * @param vae2d the per-frame spatial VAE
 * @param vaeTemporal the causal temporal VAE
 * @param fromPretrained upstream's pointer to the pipeline checkpoint; kept, never used (the
 *     weights file is given separately)
 * @param freezeVae2d training only: no gradients for the spatial VAE; kept, not used here
 * @param calLoss training only (encode then returns the posterior and the 2D latent, decode skips
 *     the de-normalisation); must be false here
 * @param microFrameSize frames per temporal-VAE chunk when encoding (17 in the release; null
 *     encodes the whole clip at once); decoding uses the chunk's latent length
 * @param shift subtracted from the latent (after the temporal VAE) before dividing by {@code scale}
 * @param scale divides the shifted latent, bringing it to about unit variance
 */
@JsonIgnoreProperties({"architectures", "torch_dtype", "transformers_version", "_name_or_path"})
public record OsVaeConfig(
    SpatialVaeConfig vae2d,
    TemporalVaeConfig vaeTemporal,
    String fromPretrained,
    boolean freezeVae2d,
    boolean calLoss,
    Integer microFrameSize,
    PerChannel shift,
    PerChannel scale) {

  /** The {@code model_type} the released config carries. */
  public static final String MODEL_TYPE = "VideoAutoencoderPipeline";

  /** Upstream's fixed factor between the 2D VAE's posterior and the temporal VAE's input. */
  public static final double SPATIAL_SCALING = 0.18215;

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(SerializationFeature.INDENT_OUTPUT);

  public OsVaeConfig {
    check(vae2d != null, "vae_2d is required");
    check(vaeTemporal != null, "vae_temporal is required");
    check(
        !calLoss,
        "cal_loss true is upstream's training mode (encode returns the posterior, decode skips shift/scale); "
            + "inference needs cal_loss false");
    check(
        microFrameSize == null || microFrameSize >= 1,
        "micro_frame_size must be >= 1 or null, got " + microFrameSize);
    check(shift != null && scale != null, "shift and scale are required");
    check(
        shift.fits(vaeTemporal.embedDim()),
        "shift has "
            + shift.values().length
            + " values, the latent has "
            + vaeTemporal.embedDim()
            + " channels");
    check(
        scale.fits(vaeTemporal.embedDim()),
        "scale has "
            + scale.values().length
            + " values, the latent has "
            + vaeTemporal.embedDim()
            + " channels");
    for (double s : scale.values()) {
      check(s != 0, "scale must not hold 0, found " + scale);
    }
  }

  @JsonCreator
  static OsVaeConfig fromJsonFields(
      @JsonProperty("vae_2d") SpatialVaeConfig vae2d,
      @JsonProperty("vae_temporal") TemporalVaeConfig vaeTemporal,
      @JsonProperty("from_pretrained") String fromPretrained,
      @JsonProperty("freeze_vae_2d") Boolean freezeVae2d,
      @JsonProperty("cal_loss") Boolean calLoss,
      @JsonProperty("micro_frame_size") Integer microFrameSize,
      @JsonProperty("shift") PerChannel shift,
      @JsonProperty("scale") PerChannel scale,
      @JsonProperty("model_type") String modelType) {
    check(
        modelType == null || modelType.equals(MODEL_TYPE),
        "model_type is " + modelType + ", expected " + MODEL_TYPE);
    return new OsVaeConfig(
        vae2d,
        vaeTemporal,
        fromPretrained,
        freezeVae2d != null && freezeVae2d,
        calLoss != null && calLoss,
        microFrameSize,
        shift == null ? PerChannel.of(0.0) : shift,
        scale == null ? PerChannel.of(1.0) : scale);
  }

  /**
   * {@code hpcai-tech/OpenSora-VAE-v1.2}: SDXL-type spatial VAE 4 frames per call, {@code
   * VAE_Temporal_SD} in 17-frame chunks, shift (−0.10, 0.34, 0.27, 0.98), scale (3.85, 2.32, 2.33,
   * 3.06).
   */
  public static OsVaeConfig released() {
    return new OsVaeConfig(
        SpatialVaeConfig.released(),
        TemporalVaeConfig.sd(),
        null,
        false,
        false,
        17,
        PerChannel.perChannel(-0.10, 0.34, 0.27, 0.98),
        PerChannel.perChannel(3.85, 2.32, 2.33, 3.06));
  }

  /** Channels of the latent the pipeline returns. */
  public int latentChannels() {
    return vaeTemporal.embedDim();
  }

  /**
   * Latent frames for {@code frames} video frames (upstream's {@code get_latent_size}): each full
   * chunk of {@code micro_frame_size} frames and the remainder are compressed separately.
   */
  public long latentFrames(long frames) {
    if (frames < 1) {
      throw new IllegalArgumentException("frames must be >= 1, got " + frames);
    }
    if (microFrameSize == null) {
      return vaeTemporal.latentFrames(frames);
    }
    long full = frames / microFrameSize;
    long rest = frames % microFrameSize;
    return full * vaeTemporal.latentFrames(microFrameSize)
        + (rest > 0 ? vaeTemporal.latentFrames(rest) : 0);
  }

  /** A copy with another chunk length (null: whole clips). */
  public OsVaeConfig withMicroFrameSize(Integer n) {
    return new OsVaeConfig(
        vae2d, vaeTemporal, fromPretrained, freezeVae2d, calLoss, n, shift, scale);
  }

  /** A copy with another spatial micro-batch size. */
  public OsVaeConfig withMicroBatchSize(Integer n) {
    return new OsVaeConfig(
        vae2d.withMicroBatchSize(n),
        vaeTemporal,
        fromPretrained,
        freezeVae2d,
        calLoss,
        microFrameSize,
        shift,
        scale);
  }

  /** The config as the released {@code config.json} lays it out (indented). */
  public String toJson() {
    ObjectNode n = JSON.createObjectNode();
    n.putArray("architectures").add(MODEL_TYPE);
    n.put("cal_loss", calLoss);
    n.put("freeze_vae_2d", freezeVae2d);
    if (fromPretrained == null) {
      n.putNull("from_pretrained");
    } else {
      n.put("from_pretrained", fromPretrained);
    }
    if (microFrameSize == null) {
      n.putNull("micro_frame_size");
    } else {
      n.put("micro_frame_size", microFrameSize);
    }
    n.put("model_type", MODEL_TYPE);
    n.set("scale", JSON.valueToTree(scale));
    n.set("shift", JSON.valueToTree(shift));
    n.set("vae_2d", JSON.valueToTree(vae2d));
    vaeTemporal.writeTo(n.putObject("vae_temporal"));
    try {
      return JSON.writeValueAsString(n);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Parses a config.
   *
   * @param source names the JSON in error messages (a file name)
   * @throws IllegalArgumentException naming {@code source} and the faulty key or value
   */
  public static OsVaeConfig fromJson(String json, String source) {
    try {
      JsonNode tree = JSON.readTree(json);
      if (tree == null || !tree.isObject()) {
        throw new IllegalArgumentException(source + ": expected a JSON object");
      }
      return JSON.treeToValue(tree, OsVaeConfig.class);
    } catch (ValueInstantiationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IllegalArgumentException(
          source + ": invalid Open-Sora VAE config: " + cause.getMessage(), e);
    } catch (JsonProcessingException e) {
      Throwable root = e;
      while (root.getCause() instanceof IllegalArgumentException) {
        root = root.getCause();
      }
      String msg = root == e ? e.getOriginalMessage() : root.getMessage();
      throw new IllegalArgumentException(source + ": invalid Open-Sora VAE config: " + msg, e);
    }
  }

  /** Reads a config JSON file. */
  public static OsVaeConfig read(Path file) throws IOException {
    return fromJson(Files.readString(file), file.toString());
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
