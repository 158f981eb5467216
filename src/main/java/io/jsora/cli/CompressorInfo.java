package io.jsora.cli;

import io.jsora.model.vae.AutoencoderKL;
import io.jsora.model.vae.CompressorOptions;
import io.jsora.model.vae.RawCompressor;
import io.jsora.model.vae.SdVaeCompressor;
import io.jsora.model.vae.SdVaeConfig;
import io.jsora.model.vae.VideoCompressor;
import io.jsora.model.vae.VqVae;
import io.jsora.model.vae.VqVaeCompressor;
import io.jsora.model.vae.VqVaeConfig;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Shapes;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch.DeviceType;

/**
 * {@code jsora model info --model raw|vqvae|vae [--config CONFIG.json|DIR] --frames T --height H
 * --width W}: parameter count and the latent shape of a T×H×W video. Without {@code --config}, the
 * configuration of the model the reference used ({@code hpcai-tech/vqvae}, {@code
 * stabilityai/sd-vae-ft-mse}). The model is built on the {@code meta} device: no weights, no
 * memory.
 */
final class CompressorInfo implements ModelInfoKind {
  private static final Set<String> NAMES = Set.of("raw", "vqvae", "vae");

  @Override
  public boolean accepts(String model) {
    return NAMES.contains(model.toLowerCase(Locale.ROOT));
  }

  @Override
  public void print(ModelCommand.Info request, PrintWriter out) throws IOException {
    String name = request.model.toLowerCase(Locale.ROOT);
    Natives.load();
    try (PointerScope scope = new PointerScope();
        Device meta = new Device(DeviceType.Meta)) {
      VideoCompressor c;
      String description;
      long params;
      switch (name) {
        case "vqvae":
          {
            VqVaeConfig cfg =
                request.config == null
                    ? VqVaeConfig.hpcaiTech()
                    : VqVaeConfig.read(configFile(request.config));
            VqVae m = new VqVae(cfg, meta);
            params = m.parameterCount();
            description =
                "VideoGPT VQ-VAE "
                    + (request.config == null ? "(hpcai-tech/vqvae) " : "")
                    + cfg
                    + String.format(
                        Locale.ROOT,
                        "%ncodebook: %d codes x %d (buffers, not counted as parameters)",
                        cfg.nCodes(),
                        cfg.embeddingDim());
            c = new VqVaeCompressor(m);
            break;
          }
        case "vae":
          {
            SdVaeConfig cfg =
                request.config == null
                    ? SdVaeConfig.sdVaeFtMse()
                    : SdVaeConfig.read(configFile(request.config));
            AutoencoderKL m = new AutoencoderKL(cfg, meta);
            params = m.parameterCount();
            description =
                "SD VAE (AutoencoderKL, per frame) "
                    + (request.config == null ? "(stabilityai/sd-vae-ft-mse) " : "")
                    + cfg;
            c = new SdVaeCompressor(m, CompressorOptions.defaults());
            break;
          }
        default:
          c = new RawCompressor(meta);
          params = 0;
          description = "raw: the identity on pixels in [-0.5, 0.5]";
      }
      try (c) {
        long[] video = {3, request.frames, request.height, request.width};
        long[] latent = c.latentShape(request.frames, request.height, request.width);
        int[] f = c.factors();
        out.println(description);
        out.printf(Locale.ROOT, "parameters: %,d%n", params);
        out.printf(
            Locale.ROOT,
            "latent channels: %d, factors (t, h, w): %d, %d, %d%n",
            c.latentChannels(),
            f[0],
            f[1],
            f[2]);
        out.printf(
            Locale.ROOT,
            "video %s -> latent %s (%,d values per video, %,d per latent)%n",
            Shapes.format(video),
            Shapes.format(latent),
            Shapes.numel(video),
            Shapes.numel(latent));
        if (name.equals("vqvae")) {
          out.printf(
              Locale.ROOT,
              "as code indices: [%d, %d, %d] (%,d integers)%n",
              latent[1],
              latent[2],
              latent[3],
              latent[1] * latent[2] * latent[3]);
        }
      }
    }
  }

  /** A config file, or a model directory holding {@code config.json}. */
  private static Path configFile(Path p) {
    return Files.isDirectory(p) ? p.resolve("config.json") : p;
  }
}
