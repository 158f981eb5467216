package io.jsora.cli;

import io.jsora.model.stdit3.STDiT3Config;
import io.jsora.model.stdit3.STDiT3Cost;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Set;
import picocli.CommandLine.ParseResult;

/**
 * {@code jsora model info --model STDiT3-XL/2 [--config config.json|DIR] [--frames T --height H
 * --width W] [--text-len L]}: parameters and forward GFLOPs of an STDiT3, in closed form. Sizes are
 * latent units; without them, the Open-Sora 1.2 default video: 240p 9:16 (240 × 426 pixels) × 51
 * frames, latent 4 × 15 × 30 × 53 through the 1.2 VAE. Captions are always padded to {@code
 * model_max_length} tokens; {@code --text-len} (default: all) is how many are real.
 */
final class Stdit3Info implements ModelInfoKind {
  /** Names {@code --model} accepts. */
  static final Set<String> NAMES = Set.of("stdit3", "stdit3-xl/2", "hpcai-tech/opensora-stdit-v3");

  /** The 1.2 VAE latent of 51 frames at 240 × 426: (5·floor(51/17), floor(240/8), floor(426/8)). */
  static final long[] DEFAULT_LATENT = {15, 30, 53};

  @Override
  public boolean accepts(String model) {
    return model != null && NAMES.contains(model.trim().toLowerCase(Locale.ROOT));
  }

  /** The config a preset name stands for: STDiT3-XL/2 as released. */
  static STDiT3Config preset(String name) {
    if (name == null || !NAMES.contains(name.trim().toLowerCase(Locale.ROOT))) {
      throw new IllegalArgumentException(
          "stdit3: give --config config.json (or a checkpoint directory), or --model STDiT3-XL/2;"
              + " got --model "
              + name);
    }
    return STDiT3Config.xl2();
  }

  @Override
  public void print(ModelCommand.Info r, PrintWriter out) throws IOException {
    STDiT3Config c = r.config != null ? STDiT3Config.read(r.config) : preset(r.model);
    String name = r.config != null ? r.config.toString() : "STDiT3-XL/2";
    ParseResult pr = r.spec.commandLine().getParseResult();
    boolean sized =
        pr.hasMatchedOption("--frames")
            || pr.hasMatchedOption("--height")
            || pr.hasMatchedOption("--width");
    if (pr.hasMatchedOption("--compressor")) {
      throw new IllegalArgumentException(
          "stdit3: --compressor does not apply; give latent --frames/--height/--width");
    }
    long t = sized ? r.frames : DEFAULT_LATENT[0];
    long h = sized ? r.height : DEFAULT_LATENT[1];
    long w = sized ? r.width : DEFAULT_LATENT[2];
    if (t < 1 || h < 1 || w < 1) {
      throw new IllegalArgumentException(
          "stdit3: latent sizes must be >= 1, got " + t + " x " + h + " x " + w);
    }
    long textLen = c.modelMaxLength();
    long valid = pr.hasMatchedOption("--text-len") ? r.textLen : textLen;
    if (valid < 1 || valid > textLen) {
      throw new IllegalArgumentException(
          "stdit3: --text-len must be in 1.." + textLen + " (model_max_length), got " + valid);
    }
    long params = STDiT3Cost.parameters(c);
    long buffers = STDiT3Cost.bufferElements(c);
    double gflops = STDiT3Cost.forwardMacs(c, t, h, w, textLen, valid) / 1e9;
    out.printf(Locale.ROOT, "model       %s (STDiT3)%n", name);
    out.printf(
        Locale.ROOT,
        "config      depth %d (spatial + temporal), hidden %d, heads %d, patch %s, mlp ratio %s, channels %d -> %d,"
            + " captions %d x %d%n",
        c.depth(),
        c.hiddenSize(),
        c.numHeads(),
        c.patchSize(),
        c.mlpRatio(),
        c.inChannels(),
        c.outChannels(),
        c.modelMaxLength(),
        c.captionChannels());
    out.printf(
        Locale.ROOT,
        "parameters  %,d (%.1f M), plus %,d buffer values (null caption)%n",
        params,
        params / 1e6,
        buffers);
    out.printf(
        Locale.ROOT,
        "latent      %d x %d x %d x %d%s%n",
        c.inChannels(),
        t,
        h,
        w,
        sized ? "" : " (240p 9:16, 51 frames through the 1.2 VAE)");
    out.printf(
        Locale.ROOT,
        "tokens      %d video (%d frames x %d), %d caption (%d real)%n",
        STDiT3Cost.tokens(c, t, h, w),
        (t + c.patch(0) - 1) / c.patch(0),
        STDiT3Cost.tokens(c, 1, h, w),
        textLen,
        valid);
    out.printf(
        Locale.ROOT,
        "forward     %.1f GFLOPs per sample (multiply-adds); a guided step runs 2 samples%n",
        gflops);
  }
}
