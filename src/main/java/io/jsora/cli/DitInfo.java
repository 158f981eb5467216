package io.jsora.cli;

import io.jsora.model.dit.Arch;
import io.jsora.model.dit.DiTConfig;
import io.jsora.model.dit.DiTCost;
import io.jsora.model.dit.DiTPresets;
import io.jsora.model.vae.CompressorShape;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code jsora model info --model DiT-XL/2 --arch adaln --frames T --height H --width W
 * [--compressor raw|vqvae|vae]}: parameters, tokens and forward GFLOPs of a DiT, computed without
 * building it. With a compressor the sizes are pixels, else latent units (with the config's
 * channels, or 4 for a preset).
 */
final class DitInfo implements ModelInfoKind {
  /** Latent channels assumed without a compressor (the SD VAE's). */
  static final int DEFAULT_CHANNELS = 4;

  @Override
  public boolean accepts(String model) {
    return model.equalsIgnoreCase("dit") || DiTPresets.isPreset(model);
  }

  @Override
  public void print(ModelCommand.Info r, PrintWriter out) throws IOException {
    CompressorShape comp = r.compressor == null ? null : CompressorShape.of(r.compressor);
    DiTConfig c;
    String name;
    if (r.config != null) {
      Path file = Files.isDirectory(r.config) ? r.config.resolve("config.json") : r.config;
      c = DiTConfig.read(file);
      name = file.toString();
    } else if (DiTPresets.isPreset(r.model)) {
      name = DiTPresets.canonical(r.model);
      c =
          DiTPresets.get(name, Arch.parse(r.arch))
              .withInChannels(comp == null ? DEFAULT_CHANNELS : comp.channels());
    } else {
      throw new IllegalArgumentException(
          "--model dit needs --config CONFIG.json; or name a preset such as DiT-XL/2");
    }
    long[] latent;
    try {
      latent =
          comp == null
              ? new long[] {c.inChannels(), r.frames, r.height, r.width}
              : comp.latent(r.frames, r.height, r.width);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--" + e.getMessage(),
          e); // the message starts with the dimension: --frames, --height, --width
    }
    if (c.inChannels() != latent[0]) {
      throw new IllegalArgumentException(
          name
              + " takes "
              + c.inChannels()
              + " latent channels but the "
              + comp.name()
              + " compressor gives "
              + latent[0]);
    }
    long tokens = DiTCost.videoTokens(c, latent[1], latent[2], latent[3]);
    long params = DiTCost.parameters(c);
    double gflops = DiTCost.forwardMacs(c, latent[1], latent[2], latent[3], r.textLen) / 1e9;
    out.printf(
        Locale.ROOT, "model       %s (%s, pos_embed %s)%n", name, c.modelArch(), c.posEmbed());
    out.printf(
        Locale.ROOT,
        "config      depth %d, hidden %d, heads %d, patch %d, mlp ratio %s, channels %d -> %d, text %d%n",
        c.depth(),
        c.hiddenSize(),
        c.numHeads(),
        c.patchSize(),
        c.mlpRatio(),
        c.inChannels(),
        c.outChannels(),
        c.textEmbedDim());
    out.printf(Locale.ROOT, "parameters  %,d (%.1f M)%n", params, params / 1e6);
    if (comp != null) {
      out.printf(
          Locale.ROOT,
          "input       %d x %d x %d pixels (%s) -> latent %d x %d x %d x %d%n",
          r.frames,
          r.height,
          r.width,
          comp.name(),
          latent[0],
          latent[1],
          latent[2],
          latent[3]);
    } else {
      out.printf(
          Locale.ROOT,
          "latent      %d x %d x %d x %d%n",
          latent[0],
          latent[1],
          latent[2],
          latent[3]);
    }
    String text = c.modelArch().pooledText() ? "pooled text" : r.textLen + " text tokens";
    out.printf(Locale.ROOT, "tokens      %d video (%s)%n", tokens, text);
    out.printf(Locale.ROOT, "forward     %.1f GFLOPs per sample (multiply-adds)%n", gflops);
  }
}
