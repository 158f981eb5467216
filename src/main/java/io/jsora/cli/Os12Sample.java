package io.jsora.cli;

import io.jsora.checkpoint.SafetensorsWriter;
import io.jsora.data.Progress;
import io.jsora.pipeline.Os12Components.StageDtypes;
import io.jsora.pipeline.Os12Files;
import io.jsora.pipeline.Os12Listener;
import io.jsora.pipeline.Os12Pipeline;
import io.jsora.pipeline.Os12Request;
import io.jsora.pipeline.Os12Result;
import io.jsora.tensor.DeviceSpec;
import io.jsora.tensor.Devices;
import io.jsora.video.VideoWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;

/**
 * {@code jsora sample} on an Open-Sora 1.2 model: turns the parsed flags into an {@link
 * Os12Request} (every value checked before a file is opened), finds the components, runs {@link
 * Os12Pipeline} with a progress bar per stage and writes the MP4s.
 */
final class Os12Sample {
  private Os12Sample() {}

  /** Settings shared with the training-checkpoint sampler, already resolved to 1.2 defaults. */
  record Shared(
      List<String> prompts,
      int steps,
      double cfgScale,
      long seed,
      double fps,
      DeviceSpec device,
      boolean gif,
      boolean contactSheet) {}

  static Os12Request request(Os12Options o, Shared s) {
    int[] hw = o.resolution.size(o.aspectRatio);
    return new Os12Request(
        s.prompts(),
        hw[0],
        hw[1],
        o.numFrames.frames(),
        s.fps(),
        s.seed(),
        s.steps(),
        s.cfgScale(),
        o.aes,
        o.flow,
        o.references,
        o.strategy(),
        o.loops,
        o.conditionFrameLength,
        o.cleanPrompt);
  }

  static int run(SampleCommand cmd, Os12Options o, Shared s) throws IOException {
    PrintWriter out = cmd.spec.commandLine().getOut();
    // 1. Every setting checked before any file is opened
    Os12Request req = request(o, s);
    for (Path r : req.references()) {
      if (!Files.isRegularFile(r)) {
        throw new NoSuchFileException(r.toString(), null, "--reference: no such file");
      }
    }
    List<Path> files = cmd.outputs(req.prompts().size());
    StageDtypes dtypes = new StageDtypes(o.t5Dtype, o.dtype, o.dtype);
    try (Device device = Devices.resolve(s.device())) {
      // 2. The components: found and checked, nothing loaded yet
      Os12Files parts =
          Os12Files.locate(
              new Os12Files.Sources(o.modelDir, o.stdit3, o.vae, o.t5),
              Environment.hubCache(),
              dtypes,
              device);
      out.printf(
          Locale.ROOT,
          "Open-Sora 1.2: STDiT3 %s, VAE %s, T5 %s%n"
              + "sampling %d video(s) of %d frames (%d per clip x %d clip(s)) at %dx%d (HxW), %d steps,"
              + " guidance %s, seed %d, %s fps%n",
          parts.stdit3Dir(),
          parts.vaeDir(),
          parts.t5Dir(),
          req.prompts().size(),
          req.outputFrames(),
          req.numFrames(),
          req.loops(),
          req.height() / parts.spatialFactor() * parts.spatialFactor(),
          req.width() / parts.spatialFactor() * parts.spatialFactor(),
          req.numSteps(),
          req.cfgScale(),
          req.seed(),
          req.fps());
      out.flush();
      long t0 = System.nanoTime();
      // 3. Generate, a bar per stage
      try (Os12Result result = new Os12Pipeline(parts, device).generate(req, new Bars(out));
          PointerScope scope = new PointerScope()) {
        for (int i = 0; i < files.size(); i++) {
          Tensor clip = result.video().select(0, i); // (T, H, W, 3)
          Path mp4 = files.get(i);
          VideoWriter.writeMp4(mp4, clip, req.fps());
          String base = mp4.getFileName().toString().replaceFirst("\\.mp4$", "");
          if (s.gif()) {
            VideoWriter.writeGif(mp4.resolveSibling(base + ".gif"), clip, req.fps());
          }
          if (s.contactSheet()) {
            io.jsora.video.ContactSheet.write(
                mp4.resolveSibling(base + ".png"),
                clip.unsqueeze(0),
                List.of(req.prompts().get(i)),
                8);
          }
          out.printf(Locale.ROOT, "wrote %s  (%s)%n", mp4, req.prompts().get(i));
        }
        if (o.saveLatents != null) {
          Map<String, Tensor> t = new LinkedHashMap<>();
          for (int k = 0; k < result.latents().size(); k++) {
            t.put("latent_" + k, result.latents().get(k));
          }
          for (int k = 0; k < result.referenceLatents().size(); k++) {
            t.put("reference_" + k, result.referenceLatents().get(k));
          }
          SafetensorsWriter.write(o.saveLatents, t, Map.of());
          out.printf(Locale.ROOT, "wrote %s (latents)%n", o.saveLatents);
        }
      }
      if (files.size() > 1) {
        SampleCommand.writeManifest(files, req.prompts());
      }
      out.printf(
          Locale.ROOT,
          "%.1f s for %d video(s)%n",
          (System.nanoTime() - t0) / 1e9,
          req.prompts().size());
      out.flush();
    }
    return 0;
  }

  /** A line per stage on stdout and a bar with ETA on stderr. */
  private static final class Bars implements Os12Listener {
    private final PrintWriter out;
    private Progress bar = Progress.NONE;
    private long started;

    Bars(PrintWriter out) {
      this.out = out;
    }

    @Override
    public void begin(Stage stage, String what, long units) {
      out.printf(Locale.ROOT, "[%s] %s%n", name(stage), what);
      out.flush();
      started = System.nanoTime();
      bar =
          Progress.console(
              name(stage),
              units,
              0,
              stage == Stage.DENOISE ? "steps" : "items",
              false,
              System.err,
              Environment.progressBar());
    }

    @Override
    public void step(Stage stage) {
      bar.step(1);
    }

    @Override
    public void end(Stage stage) {
      bar.close();
      bar = Progress.NONE;
      out.printf(
          Locale.ROOT, "[%s] done in %.1f s%n", name(stage), (System.nanoTime() - started) / 1e9);
      out.flush();
    }

    private static String name(Stage s) {
      return s.name().toLowerCase(Locale.ROOT);
    }
  }
}
