package io.jsora.serve;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.jsora.diffusion.Sampler;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a request may ask for, from the checkpoint and the server's flags, and the defaults it gets.
 * {@link #validate} is the one place requests are checked: each failure is a 400 naming the field,
 * the value and the limit.
 */
public record Limits(
    @JsonProperty("width_multiple") int widthMultiple,
    @JsonProperty("height_multiple") int heightMultiple,
    @JsonProperty("frame_multiple") int frameMultiple,
    @JsonProperty("min_side") int minSide,
    @JsonProperty("max_side") int maxSide,
    @JsonProperty("max_frames") int maxFrames,
    @JsonProperty("max_steps") int maxSteps,
    @JsonProperty("max_prompt_chars") int maxPromptChars,
    @JsonProperty("max_fps") double maxFps,
    @JsonProperty("max_cfg_scale") double maxCfgScale,
    @JsonProperty("defaults") JobDefaults defaults) {

  /** The most frames per second accepted. */
  public static final double MAX_FPS = 120;

  /** The largest guidance scale accepted (beyond it samples saturate). */
  public static final double MAX_CFG_SCALE = 50;

  /** The smallest width or height the MP4 encoder (OpenH264) takes. */
  public static final int MIN_SIDE = 16;

  private static final Pattern SIZE = Pattern.compile("([0-9]{1,6})x([0-9]{1,6})");

  /**
   * What an absent field becomes.
   *
   * @param size {@code WxH}
   */
  public record JobDefaults(
      @JsonProperty("size") String size,
      @JsonProperty("num_frames") int numFrames,
      @JsonProperty("fps") double fps,
      @JsonProperty("num_steps") int numSteps,
      @JsonProperty("cfg_scale") double cfgScale,
      @JsonProperty("sampler") Sampler.Method sampler) {}

  /** The guidance scale when a request gives none (the sample command's default). */
  public static final double DEFAULT_CFG_SCALE = 4.0;

  public static Limits of(ModelInfo m, ServeConfig c) {
    int maxFrames = c.maxFrames() / m.frameMultiple() * m.frameMultiple();
    int maxSide =
        Math.max(Math.max(Math.max(m.widthMultiple(), m.heightMultiple()), MIN_SIDE), c.maxSide());
    JobDefaults d =
        new JobDefaults(
            m.defaultWidth() + "x" + m.defaultHeight(),
            m.defaultFrames(),
            m.defaultFps(),
            Math.min(c.defaultSteps(), m.diffusionSteps()),
            DEFAULT_CFG_SCALE,
            Sampler.Method.DDIM);
    return new Limits(
        m.widthMultiple(),
        m.heightMultiple(),
        m.frameMultiple(),
        MIN_SIDE,
        maxSide,
        Math.max(m.frameMultiple(), maxFrames),
        Math.min(c.maxSteps(), m.diffusionSteps()),
        c.maxPromptChars(),
        MAX_FPS,
        MAX_CFG_SCALE,
        d);
  }

  /** Checks every field of {@code r} and fills the defaults. */
  public JobParams validate(CreateVideoRequest r) {
    // 1. The prompt
    if (r.prompt() == null || r.prompt().isBlank()) {
      throw ApiException.invalid("prompt", "prompt: required, a non-blank string");
    }
    String prompt = r.prompt().strip();
    if (prompt.length() > maxPromptChars) {
      throw ApiException.invalid(
          "prompt", "prompt: " + prompt.length() + " characters, the limit is " + maxPromptChars);
    }
    if (r.negativePrompt() != null && !r.negativePrompt().isBlank()) {
      throw ApiException.invalid(
          "negative_prompt",
          "negative_prompt: not supported by this model (guidance is against the empty text); leave it out");
    }
    // 2. Timing: fps, then frames from num_frames or seconds
    double fps = r.fps() == null ? defaults.fps() : r.fps();
    if (!(fps > 0 && fps <= maxFps)) {
      throw ApiException.invalid("fps", "fps: " + fmt(fps) + " must be > 0 and <= " + fmt(maxFps));
    }
    if (r.numFrames() != null && r.seconds() != null) {
      throw ApiException.invalid(
          "num_frames",
          "num_frames: give seconds or num_frames, not both (got "
              + fmt(r.seconds())
              + " and "
              + r.numFrames()
              + ")");
    }
    int frames;
    String framesField;
    if (r.seconds() != null) {
      double s = r.seconds();
      if (!(s > 0) || s * fps > maxFrames + 0.5) {
        throw ApiException.invalid(
            "seconds",
            "seconds: "
                + fmt(s)
                + " at "
                + fmt(fps)
                + " fps must be > 0 and give at most "
                + maxFrames
                + " frames ("
                + fmt(maxFrames / fps)
                + " s)");
      }
      frames = (int) Math.round(s * fps);
      framesField = "seconds";
    } else {
      frames = r.numFrames() == null ? defaults.numFrames() : r.numFrames();
      framesField = "num_frames";
    }
    if (frames < 1 || frames > maxFrames) {
      throw ApiException.invalid(
          framesField, framesField + ": " + frames + " frames, must be in 1.." + maxFrames);
    }
    if (frames % frameMultiple != 0) {
      throw ApiException.invalid(
          framesField,
          framesField
              + ": "
              + frames
              + " frames is not a multiple of "
              + frameMultiple
              + " (the compressor's time factor)");
    }
    // 3. Size
    String size = r.size() == null ? defaults.size() : r.size().strip();
    Matcher m = SIZE.matcher(size);
    if (!m.matches()) {
      throw ApiException.invalid(
          "size", "size: '" + size + "' is not WIDTHxHEIGHT in pixels, e.g. " + defaults.size());
    }
    int w = Integer.parseInt(m.group(1));
    int h = Integer.parseInt(m.group(2));
    checkSide(size, "width", w, widthMultiple);
    checkSide(size, "height", h, heightMultiple);
    // 4. Sampling
    int steps = r.numSteps() == null ? defaults.numSteps() : r.numSteps();
    if (steps < 1 || steps > maxSteps) {
      throw ApiException.invalid(
          "num_steps", "num_steps: " + steps + ", must be in 1.." + maxSteps);
    }
    double cfg = r.cfgScale() == null ? defaults.cfgScale() : r.cfgScale();
    if (!(cfg >= 0 && cfg <= maxCfgScale)) {
      throw ApiException.invalid(
          "cfg_scale", "cfg_scale: " + fmt(cfg) + ", must be in 0.." + fmt(maxCfgScale));
    }
    if (r.seed() != null && r.seed() < 0) {
      throw ApiException.invalid("seed", "seed: " + r.seed() + ", must be >= 0");
    }
    long seed =
        r.seed() != null
            ? r.seed()
            : ThreadLocalRandom.current().nextLong(1L << 53); // exact in JavaScript numbers
    Sampler.Method sampler = r.sampler() == null ? defaults.sampler() : r.sampler();
    return new JobParams(prompt, frames, w, h, fps, steps, cfg, sampler, seed);
  }

  private void checkSide(String size, String what, int v, int multiple) {
    int min = (minSide + multiple - 1) / multiple * multiple;
    if (v < min || v > maxSide || v % multiple != 0) {
      throw ApiException.invalid(
          "size",
          String.format(
              Locale.ROOT,
              "size: %s has %s %d; it must be a multiple of %d in %d..%d",
              size,
              what,
              v,
              multiple,
              min,
              maxSide / multiple * multiple));
    }
  }

  private static String fmt(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
  }
}
