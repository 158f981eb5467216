package io.jsora.cli;

import io.jsora.data.ClipCrop;
import io.jsora.model.vae.CompressorOptions;
import io.jsora.model.vae.Compressors;
import io.jsora.model.vae.ReconMetrics;
import io.jsora.model.vae.VideoClips;
import io.jsora.model.vae.VideoCompressor;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Shapes;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code jsora eval-recon}: how well a compressor reconstructs videos (PSNR, SSIM). */
@Command(
    name = "eval-recon",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Encode and decode each clip with a video compressor and print PSNR and SSIM per clip and on average.",
      "Pixels are compared in [0, 1] after clamping the reconstruction (as when writing 8-bit video); SSIM uses an 11x11 Gaussian window (sigma 1.5) per frame and channel."
    })
public final class EvalReconCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--compressor", required = true, description = "raw, vqvae or vae.")
  io.jsora.model.vae.CompressorKind compressor;

  @Option(
      names = "--model",
      paramLabel = "DIR|ORG/NAME",
      description =
          "Model directory or cached Hugging Face id (default: hpcai-tech/vqvae for vqvae, stabilityai/sd-vae-ft-mse for vae).")
  Path model;

  @Mixin ClipOptions clips;

  @Option(
      names = "--micro-batch",
      defaultValue = "8",
      description = "Frames per SD-VAE call (default: ${DEFAULT-VALUE}).")
  int microBatch;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "Seed of the SD-VAE latent sampling (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--device",
      defaultValue = "auto",
      description = "cpu, cuda, cuda:N or auto (default: ${DEFAULT-VALUE}).")
  io.jsora.tensor.DeviceSpec device;

  @Override
  public Integer call() throws Exception {
    PrintWriter o = spec.commandLine().getOut();
    Natives.load();
    try (VideoClips data = clips.open();
        Device dev = Devices.resolve(device);
        VideoCompressor c =
            Compressors.load(
                compressor,
                model,
                dev,
                new CompressorOptions(null, microBatch, seed),
                Environment.hubCache())) {
      long[] latent = c.latentShape(clips.frames, clips.size, clips.size);
      o.printf(
          Locale.ROOT,
          "%s on %s: %d clips of %dx%dx%d -> latent %s%n",
          c.name(),
          Devices.name(dev),
          data.size(),
          clips.frames,
          clips.size,
          clips.size,
          Shapes.format(latent));
      double psnrSum = 0;
      double ssimSum = 0;
      int exact = 0;
      int skipped = 0;
      for (int i = 0; i < data.size(); i++) {
        double psnr;
        double ssim;
        try (PointerScope s = new PointerScope();
            Tensor clip = data.clip(i)) {
          Tensor x = ClipCrop.firstWindow(clip, clips.frames, data.name(i));
          try (Tensor z = c.encode(x);
              Tensor y = c.decode(z)) {
            psnr = ReconMetrics.psnr(x, y).item_double();
            ssim = ReconMetrics.ssim(x, y).item_double();
          }
        } catch (java.io.IOException e) {
          skipped++;
          o.printf(Locale.ROOT, "%-32s skipped: %s%n", data.name(i), e.getMessage());
          continue;
        }
        if (Double.isInfinite(psnr)) {
          exact++;
        } else {
          psnrSum += psnr;
        }
        ssimSum += ssim;
        o.printf(Locale.ROOT, "%-32s PSNR %7.2f dB  SSIM %.4f%n", data.name(i), psnr, ssim);
        o.flush();
      }
      int evaluated = data.size() - skipped;
      if (evaluated == 0) {
        throw new IllegalArgumentException("no clip could be read (" + skipped + " skipped)");
      }
      int finite = evaluated - exact;
      o.printf(
          Locale.ROOT,
          "mean over %d clips%s: PSNR %s  SSIM %.4f%n",
          evaluated,
          skipped > 0 ? " (" + skipped + " skipped)" : "",
          finite == 0
              ? "inf (every reconstruction exact)"
              : String.format(Locale.ROOT, "%.2f dB", psnrSum / finite)
                  + (exact > 0
                      ? " (" + exact + " exact reconstructions with infinite PSNR left out)"
                      : ""),
          ssimSum / evaluated);
      o.flush();
    }
    return 0;
  }
}
