package io.jsora.pipeline;

import io.jsora.diffusion.rflow.Loops;
import io.jsora.diffusion.rflow.MaskStrategy;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What to generate with Open-Sora 1.2, with the defaults of its inference config ({@code
 * configs/opensora-v1-2/inference/sample.py}) in {@link #defaults}.
 *
 * @param prompts one video per prompt; a prompt may change per loop ({@link LoopPrompt}: {@code |0|
 *     text |2| text})
 * @param height pixel rows as the resolution table gives them (the model and the timestep transform
 *     see this; the video is cut to a multiple of the VAE's factor, as upstream's latent is)
 * @param width pixel columns, likewise
 * @param numFrames pixel frames of each clip
 * @param fps frames per second: the model's fps conditioning (120 for an image, as upstream) and
 *     the file's rate
 * @param seed seeds the initial noise, the re-noising draws and the VAE posteriors
 * @param numSteps Euler steps (30)
 * @param cfgScale classifier-free guidance scale (7.0)
 * @param aes aesthetic score appended to each prompt as {@code " aesthetic score: 6.5."} (6.5), or
 *     null for none
 * @param flow motion score appended as {@code " motion score: F."}, or null for none (the default)
 * @param references reference images or videos (upstream's {@code reference_path}, indexed by the
 *     strategy's {@code ref_id}), the same for every prompt; empty for none
 * @param maskStrategy where the references go (upstream syntax); {@link MaskStrategy#none()}
 *     generates every frame (the command line defaults to {@code "0"} when references are given)
 * @param loops clips generated one after the other, each starting from the end of the previous
 * @param conditionFrameLength latent frames carried from one clip to the next (5)
 * @param cleanPrompts clean each prompt as upstream's inference does before T5 ({@link
 *     CaptionCleaner}, the default); without, prompts are only lower-cased and trimmed, as upstream
 *     with {@code use_text_preprocessing} off
 */
public record Os12Request(
    List<String> prompts,
    int height,
    int width,
    int numFrames,
    double fps,
    long seed,
    int numSteps,
    double cfgScale,
    Double aes,
    Double flow,
    List<Path> references,
    MaskStrategy maskStrategy,
    int loops,
    int conditionFrameLength,
    boolean cleanPrompts) {

  /** Upstream's {@code condition_frame_edit}: carried frames are kept exactly. */
  public static final double CONDITION_FRAME_EDIT = 0.0;

  /** Upstream's {@code align}: mask-strategy starts snap to multiples of 5 latent frames. */
  public static final int ALIGN = 5;

  /** Upstream's {@code IMG_FPS}: the fps an image (one frame) is conditioned on. */
  public static final double IMAGE_FPS = 120;

  public Os12Request {
    prompts = List.copyOf(prompts);
    references = List.copyOf(references);
    check(!prompts.isEmpty(), "no prompt given");
    prompts.forEach(LoopPrompt::parse); // a malformed loop prompt fails here, naming it
    check(
        height >= 1 && width >= 1 && numFrames >= 1,
        "height, width and num_frames must be >= 1, got "
            + height
            + ", "
            + width
            + ", "
            + numFrames);
    check(fps > 0 && Double.isFinite(fps), "fps must be > 0, got " + fps);
    check(numSteps >= 1, "num_sampling_steps must be >= 1, got " + numSteps);
    check(Double.isFinite(cfgScale), "cfg_scale must be finite, got " + cfgScale);
    check(aes == null || Double.isFinite(aes), "aes must be finite, got " + aes);
    check(flow == null || Double.isFinite(flow), "flow must be finite, got " + flow);
    check(maskStrategy != null, "mask strategy is required (MaskStrategy.none() for none)");
    check(loops >= 1, "loops must be >= 1, got " + loops);
    if (loops > 1) {
      Loops.outputFrames(numFrames, loops, conditionFrameLength); // checks L against the clip
    } else {
      check(
          conditionFrameLength >= 0 && conditionFrameLength % Loops.LATENT_GROUP == 0,
          "condition_frame_length must be a non-negative multiple of 5, got "
              + conditionFrameLength);
    }
    int refs = references.size();
    for (var g : maskStrategy.groups()) {
      check(
          g.refId() < refs,
          "mask strategy group "
              + g
              + " names reference "
              + g.refId()
              + " but "
              + refs
              + " reference(s) were given");
      check(
          g.loopId() < loops,
          "mask strategy group " + g + " is for loop " + g.loopId() + " of " + loops);
    }
  }

  /**
   * The 1.2 inference defaults for {@code prompts} at {@code resolution} and {@code ratio}: 51
   * frames, 24 fps, seed 42, 30 steps, guidance 7.0, aesthetic score 6.5, one clip, 5 carried
   * frames.
   */
  public static Os12Request defaults(
      List<String> prompts, Resolution resolution, AspectRatio ratio) {
    int[] hw = resolution.size(ratio);
    return new Os12Request(
        prompts,
        hw[0],
        hw[1],
        51,
        24,
        42,
        30,
        7.0,
        6.5,
        null,
        List.of(),
        MaskStrategy.none(),
        1,
        5,
        true);
  }

  /** Frames of the saved video (upstream's loop formula). */
  public int outputFrames() {
    return loops == 1 ? numFrames : Loops.outputFrames(numFrames, loops, conditionFrameLength);
  }

  /** The fps the model is conditioned on: {@link #IMAGE_FPS} for one frame, else {@link #fps}. */
  public double conditionFps() {
    return numFrames == 1 ? IMAGE_FPS : fps;
  }

  /**
   * What T5 reads for prompt {@code i} in loop {@code loop}, as upstream's inference makes it: the
   * loop's text of the prompt, the scores appended ({@link #withScores}), then cleaned ({@link
   * CaptionCleaner#clean}) or lower-cased and trimmed.
   */
  public String textFor(int i, int loop) {
    String text = withScores(LoopPrompt.parse(prompts.get(i)).at(loop));
    return cleanPrompts ? CaptionCleaner.clean(text) : text.toLowerCase(Locale.ROOT).strip();
  }

  /** {@code prompt} with the scores appended as upstream's {@code append_score_to_prompts}. */
  public String withScores(String prompt) {
    String p = prompt;
    if (aes != null && !prompt.contains("aesthetic score:")) {
      p = p + String.format(Locale.ROOT, " aesthetic score: %.1f.", aes);
    }
    if (flow != null && !prompt.contains("motion score:")) {
      p = p + String.format(Locale.ROOT, " motion score: %.1f.", flow);
    }
    return p;
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
