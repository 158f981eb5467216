package io.jsora.diffusion.rflow;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The settings of Open-Sora 1.2's rectified flow ({@code RFLOW} and {@code RFlowScheduler}). The
 * JSON form uses upstream's scheduler config keys; absent keys take upstream's class defaults
 * ({@link #classDefaults()}), unknown keys are errors. The released inference config changes three
 * of them ({@link #inference12()}), the training configs two ({@link #training12()}).
 *
 * @param numSamplingSteps Euler steps at sampling (class default 10, 1.2 inference 30)
 * @param numTimesteps length of the time axis: t runs from {@code numTimesteps} (noise) to 0 (data)
 *     and the model sees t on this scale (1000)
 * @param cfgScale classifier-free guidance scale s in {@code v = v_u + s·(v_c − v_u)} (class
 *     default 4.0, 1.2 inference 7.0)
 * @param useDiscreteTimesteps round sampling timesteps to integers and draw integer training
 *     timesteps (uniform only, as upstream asserts)
 * @param useTimestepTransform shift timesteps towards noise for large or long videos (see {@link
 *     TimestepTransform}); on in every 1.2 config
 * @param transformScale extra factor on the transform's ratio (1.0)
 * @param sampleMethod how training draws t
 * @param loc mean of the logit-normal's underlying normal (0.0)
 * @param scale standard deviation of the logit-normal's underlying normal (1.0)
 */
@JsonPropertyOrder({
  "num_sampling_steps",
  "num_timesteps",
  "cfg_scale",
  "use_discrete_timesteps",
  "use_timestep_transform",
  "transform_scale",
  "sample_method",
  "loc",
  "scale"
})
public record RFlowConfig(
    @JsonProperty("num_sampling_steps") int numSamplingSteps,
    @JsonProperty("num_timesteps") int numTimesteps,
    @JsonProperty("cfg_scale") double cfgScale,
    @JsonProperty("use_discrete_timesteps") boolean useDiscreteTimesteps,
    @JsonProperty("use_timestep_transform") boolean useTimestepTransform,
    @JsonProperty("transform_scale") double transformScale,
    @JsonProperty("sample_method") SampleMethod sampleMethod,
    @JsonProperty("loc") double loc,
    @JsonProperty("scale") double scale) {

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(SerializationFeature.INDENT_OUTPUT);

  public RFlowConfig {
    check(numSamplingSteps >= 1, "num_sampling_steps must be >= 1, got " + numSamplingSteps);
    check(numTimesteps >= 1, "num_timesteps must be >= 1, got " + numTimesteps);
    check(Double.isFinite(cfgScale), "cfg_scale must be finite, got " + cfgScale);
    check(
        transformScale > 0 && Double.isFinite(transformScale),
        "transform_scale must be > 0, got " + transformScale);
    check(sampleMethod != null, "sample_method is required");
    check(Double.isFinite(loc), "loc must be finite, got " + loc);
    check(scale > 0 && Double.isFinite(scale), "scale must be > 0, got " + scale);
    check(
        !useDiscreteTimesteps || sampleMethod == SampleMethod.UNIFORM,
        "use_discrete_timesteps needs sample_method uniform, got " + sampleMethod);
  }

  /** Upstream's constructor defaults: 10 steps, cfg 4.0, continuous t, no transform, uniform t. */
  public static RFlowConfig classDefaults() {
    return new RFlowConfig(10, 1000, 4.0, false, false, 1.0, SampleMethod.UNIFORM, 0.0, 1.0);
  }

  /** {@code configs/opensora-v1-2/inference/sample.py}: 30 steps, cfg 7.0, transform on. */
  public static RFlowConfig inference12() {
    return new RFlowConfig(30, 1000, 7.0, false, true, 1.0, SampleMethod.UNIFORM, 0.0, 1.0);
  }

  /**
   * {@code configs/opensora-v1-2/train/stage*.py}: logit-normal t, transform on (sampling knobs at
   * class defaults).
   */
  public static RFlowConfig training12() {
    return new RFlowConfig(10, 1000, 4.0, false, true, 1.0, SampleMethod.LOGIT_NORMAL, 0.0, 1.0);
  }

  /** Reads absent keys as upstream's class defaults. */
  @JsonCreator
  static RFlowConfig fromJsonFields(
      @JsonProperty("num_sampling_steps") Integer numSamplingSteps,
      @JsonProperty("num_timesteps") Integer numTimesteps,
      @JsonProperty("cfg_scale") Double cfgScale,
      @JsonProperty("use_discrete_timesteps") Boolean useDiscreteTimesteps,
      @JsonProperty("use_timestep_transform") Boolean useTimestepTransform,
      @JsonProperty("transform_scale") Double transformScale,
      @JsonProperty("sample_method") SampleMethod sampleMethod,
      @JsonProperty("loc") Double loc,
      @JsonProperty("scale") Double scale) {
    RFlowConfig d = classDefaults();
    return new RFlowConfig(
        or(numSamplingSteps, d.numSamplingSteps),
        or(numTimesteps, d.numTimesteps),
        or(cfgScale, d.cfgScale),
        or(useDiscreteTimesteps, d.useDiscreteTimesteps),
        or(useTimestepTransform, d.useTimestepTransform),
        or(transformScale, d.transformScale),
        or(sampleMethod, d.sampleMethod),
        or(loc, d.loc),
        or(scale, d.scale));
  }

  public RFlowConfig withNumSamplingSteps(int steps) {
    return new RFlowConfig(
        steps,
        numTimesteps,
        cfgScale,
        useDiscreteTimesteps,
        useTimestepTransform,
        transformScale,
        sampleMethod,
        loc,
        scale);
  }

  public RFlowConfig withCfgScale(double s) {
    return new RFlowConfig(
        numSamplingSteps,
        numTimesteps,
        s,
        useDiscreteTimesteps,
        useTimestepTransform,
        transformScale,
        sampleMethod,
        loc,
        scale);
  }

  public RFlowConfig withTimestepTransform(boolean on) {
    return new RFlowConfig(
        numSamplingSteps,
        numTimesteps,
        cfgScale,
        useDiscreteTimesteps,
        on,
        transformScale,
        sampleMethod,
        loc,
        scale);
  }

  public RFlowConfig withSampleMethod(SampleMethod m) {
    return new RFlowConfig(
        numSamplingSteps,
        numTimesteps,
        cfgScale,
        useDiscreteTimesteps,
        useTimestepTransform,
        transformScale,
        m,
        loc,
        scale);
  }

  /** The config as JSON (upstream key names, indented). */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
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
  public static RFlowConfig fromJson(String json, String source) {
    try {
      RFlowConfig c = JSON.readValue(json, RFlowConfig.class);
      if (c == null) {
        throw new IllegalArgumentException(source + ": empty rectified-flow config");
      }
      return c;
    } catch (ValueInstantiationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IllegalArgumentException(
          source + ": invalid rectified-flow config: " + cause.getMessage(), e);
    } catch (JsonProcessingException e) {
      Throwable root = e;
      while (root.getCause() instanceof IllegalArgumentException) {
        root = root.getCause();
      }
      String msg = root == e ? e.getOriginalMessage() : root.getMessage();
      throw new IllegalArgumentException(source + ": invalid rectified-flow config: " + msg, e);
    }
  }

  /** Reads a config JSON file. */
  public static RFlowConfig read(Path file) throws IOException {
    return fromJson(Files.readString(file), file.toString());
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("rectified flow: " + message);
    }
  }

  private static <T> T or(T v, T fallback) {
    return v == null ? fallback : v;
  }
}
