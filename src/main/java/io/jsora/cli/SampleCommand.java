package io.jsora.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsora.checkpoint.AtomicFiles;
import io.jsora.data.Progress;
import io.jsora.diffusion.Sampler;
import io.jsora.pipeline.GenerationRequest;
import io.jsora.pipeline.TextToVideoPipeline;
import io.jsora.run.DataInfo;
import io.jsora.tensor.DeviceSpec;
import io.jsora.tensor.Devices;
import io.jsora.video.VideoWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jsora sample}: prompts in, MP4s out, from a training checkpoint. */
@Command(
    name = "sample",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Generate videos from text with a trained checkpoint (--ckpt) or with Open-Sora 1.2 (--model-dir, --stdit3, --vae, --t5).",
      "A training checkpoint gives the model, compressor and text encoder; size, fps and length default to those of its",
      "training data. Open-Sora 1.2 takes --resolution, --aspect-ratio and --num-frames, with its inference defaults."
    })
public final class SampleCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--text", paramLabel = "PROMPT", description = "A prompt (repeatable).")
  List<String> texts = new ArrayList<>();

  @Option(
      names = "--prompts",
      paramLabel = "FILE",
      description =
          "Prompts: one per line, or a captions JSON ([{\"file\", \"captions\"}]: the first caption of each).")
  Path promptsFile;

  @Option(
      names = "--ckpt",
      paramLabel = "DIR",
      description = "A checkpoint (step-N directory) or a run's checkpoint directory (its latest).")
  Path ckpt;

  @Option(names = "--ema", description = "Sample with the EMA weights.")
  boolean ema;

  @Option(
      names = "--cfg-scale",
      defaultValue = "4.0",
      description =
          "Classifier-free guidance scale (default: ${DEFAULT-VALUE}; Open-Sora 1.2: 7.0).")
  double cfgScale;

  @Option(names = "--disable-cfg", description = "No guidance: one model call per step.")
  boolean disableCfg;

  @Option(
      names = "--num-sampling-steps",
      defaultValue = "250",
      description = "Denoising steps (default: ${DEFAULT-VALUE}; Open-Sora 1.2: 30).")
  int steps;

  @Option(
      names = "--sampler",
      defaultValue = "ddpm",
      description = "ddpm (ancestral) or ddim (default: ${DEFAULT-VALUE}).")
  Sampler.Method sampler;

  @Option(
      names = "--eta",
      defaultValue = "0",
      description = "DDIM noise scale, 0 = deterministic (default: ${DEFAULT-VALUE}).")
  double eta;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description =
          "Noise seed; prompt i gets the same noise for a seed (default: ${DEFAULT-VALUE}; Open-Sora 1.2: 42).")
  long seed;

  @Option(names = "--width", description = "Pixels (default: the training data's).")
  Integer width;

  @Option(names = "--height", description = "Pixels (default: the training data's).")
  Integer height;

  @Option(
      names = "--fps",
      description = "Frames per second (default: the training data's; Open-Sora 1.2: 24).")
  Double fps;

  @Option(
      names = "--sec",
      description = "Seconds; frames = fps x sec (default: the training data's length).")
  Double sec;

  @Option(names = "--frames", description = "Frames, instead of --sec.")
  Integer frames;

  @Option(
      names = {"-o", "--output"},
      defaultValue = "sample.mp4",
      paramLabel = "FILE|DIR",
      description =
          "One prompt: the MP4 file. Several: NAME.mp4 gives NAME-00.mp4, NAME-01.mp4 ... beside it, a directory gets sample-NN.mp4; samples.json maps files to prompts (default: ${DEFAULT-VALUE}).")
  Path output;

  @Option(names = "--gif", description = "Also write an animated GIF beside each MP4.")
  boolean gif;

  @Option(
      names = "--contact-sheet",
      description = "Also write a PNG contact sheet (all frames) beside each MP4.")
  boolean contactSheet;

  @Option(
      names = "--device",
      defaultValue = "auto",
      description = "cpu, cuda, cuda:N or auto (default: ${DEFAULT-VALUE}).")
  DeviceSpec device;

  @CommandLine.Mixin Os12Options os12;

  /** Flags only a training checkpoint takes. */
  private static final List<String> ONLY_CKPT =
      List.of(
          "--ckpt",
          "--ema",
          "--disable-cfg",
          "--sampler",
          "--eta",
          "--width",
          "--height",
          "--sec",
          "--frames");

  @Override
  public Integer call() throws Exception {
    CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
    boolean os12Model = Os12Options.SELECTORS.stream().anyMatch(parsed::hasMatchedOption);
    List<String> wrong =
        (os12Model ? ONLY_CKPT : Os12Options.ONLY_OS12)
            .stream().filter(parsed::hasMatchedOption).toList();
    if (!wrong.isEmpty()) {
      throw new IllegalArgumentException(
          (os12Model
                  ? "Open-Sora 1.2 (--model-dir/--stdit3/--vae/--t5) does not take "
                  : "a training checkpoint (--ckpt) does not take ")
              + String.join(", ", wrong));
    }
    if (os12Model) {
      return Os12Sample.run(
          this,
          os12,
          new Os12Sample.Shared(
              prompts(),
              parsed.hasMatchedOption("--num-sampling-steps") ? steps : 30,
              parsed.hasMatchedOption("--cfg-scale") ? cfgScale : 7.0,
              parsed.hasMatchedOption("--seed") ? seed : 42,
              fps != null ? fps : 24,
              device,
              gif,
              contactSheet));
    }
    if (ckpt == null) {
      throw new IllegalArgumentException(
          "no model: give --ckpt DIR (a training checkpoint) or --model-dir DIR (Open-Sora 1.2)");
    }
    List<String> prompts = prompts();
    PrintWriter out = spec.commandLine().getOut();
    try (TextToVideoPipeline pipe =
        TextToVideoPipeline.load(ckpt, ema, Devices.resolve(device), Environment.hubCache())) {
      DataInfo data = pipe.data();
      double f = fps != null ? fps : data.fps() != null ? data.fps() : 8;
      int n =
          frames != null
              ? frames
              : sec != null
                  ? (int) Math.round(f * sec)
                  : data.frames() != null ? data.frames() : 16;
      int h = height != null ? height : data.height() != null ? data.height() : 64;
      int w = width != null ? width : data.width() != null ? data.width() : 64;
      GenerationRequest req =
          new GenerationRequest(
              prompts, n, h, w, steps, sampler, eta, disableCfg ? 0 : cfgScale, seed);
      List<Path> files = outputs(prompts.size());
      out.printf(
          Locale.ROOT,
          "sampling %d video(s) of %d frames at %dx%d, %d %s steps, %s, from %s%n",
          prompts.size(),
          n,
          w,
          h,
          steps,
          req.sampler(),
          disableCfg ? "no guidance" : "guidance " + cfgScale,
          pipe.checkpoint());
      out.flush();
      long t0 = System.nanoTime();
      try (Progress bar =
              Progress.console(
                  "sample", steps, 0, "steps", false, System.err, Environment.progressBar());
          PointerScope scope = new PointerScope();
          Tensor video = pipe.generate(req, (done, total, t) -> bar.step(1))) {
        for (int i = 0; i < prompts.size(); i++) {
          Tensor clip = video.select(0, i); // (T, H, W, 3)
          Path mp4 = files.get(i);
          VideoWriter.writeMp4(mp4, clip, f);
          String base = mp4.getFileName().toString().replaceFirst("\\.mp4$", "");
          if (gif) {
            VideoWriter.writeGif(mp4.resolveSibling(base + ".gif"), clip, f);
          }
          if (contactSheet) {
            io.jsora.video.ContactSheet.write(
                mp4.resolveSibling(base + ".png"), clip.unsqueeze(0), List.of(prompts.get(i)), 8);
          }
          out.printf(Locale.ROOT, "wrote %s  (%s)%n", mp4, prompts.get(i));
        }
      }
      if (prompts.size() > 1) {
        writeManifest(files, prompts);
      }
      out.printf(
          Locale.ROOT, "%.1f s for %d video(s)%n", (System.nanoTime() - t0) / 1e9, prompts.size());
      out.flush();
    }
    return 0;
  }

  List<String> prompts() throws IOException {
    List<String> all = new ArrayList<>(texts);
    if (promptsFile != null) {
      if (!Files.isRegularFile(promptsFile)) {
        throw new IllegalArgumentException("--prompts " + promptsFile + ": no such file");
      }
      String text = Files.readString(promptsFile);
      if (text.stripLeading().startsWith("[")) {
        JsonNode root;
        try {
          root = new ObjectMapper().readTree(text);
        } catch (IOException e) {
          throw new IllegalArgumentException(
              "--prompts "
                  + promptsFile
                  + ": not valid JSON: "
                  + e.getMessage().lines().findFirst().orElse(""));
        }
        for (int i = 0; i < root.size(); i++) {
          JsonNode e = root.get(i);
          JsonNode p =
              e.isTextual() ? e : e.has("prompt") ? e.get("prompt") : e.path("captions").path(0);
          if (!p.isTextual()) {
            throw new IllegalArgumentException(
                "--prompts "
                    + promptsFile
                    + ": entry "
                    + i
                    + " has no prompt (a string, \"prompt\" or \"captions\")");
          }
          all.add(p.asText());
        }
      } else {
        text.lines()
            .map(String::strip)
            .filter(l -> !l.isEmpty() && !l.startsWith("#"))
            .forEach(all::add);
      }
    }
    if (all.isEmpty()) {
      throw new IllegalArgumentException(
          "no prompt: give --text PROMPT (repeatable) or --prompts FILE");
    }
    return all;
  }

  /** Output files: the one given, or numbered files beside it / inside the directory. */
  List<Path> outputs(int count) throws IOException {
    boolean dir =
        Files.isDirectory(output)
            || !output.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".mp4");
    List<Path> files = new ArrayList<>();
    if (dir) {
      Files.createDirectories(output);
      for (int i = 0; i < count; i++) {
        files.add(output.resolve(String.format(Locale.ROOT, "sample-%02d.mp4", i)));
      }
    } else if (count == 1) {
      files.add(output);
    } else {
      String base = output.getFileName().toString().replaceFirst("(?i)\\.mp4$", "");
      for (int i = 0; i < count; i++) {
        files.add(output.resolveSibling(String.format(Locale.ROOT, "%s-%02d.mp4", base, i)));
      }
    }
    Path parent = files.get(0).toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    return files;
  }

  /** {@code samples.json} beside the videos: which file shows which prompt (read by eval-synth). */
  static void writeManifest(List<Path> files, List<String> prompts) throws IOException {
    Path dir = files.get(0).toAbsolutePath().getParent();
    List<Map<String, Object>> entries = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("file", files.get(i).getFileName().toString());
      e.put("prompt", prompts.get(i));
      entries.add(e);
    }
    AtomicFiles.writeString(
        dir.resolve("samples.json"),
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(entries)
            + "\n");
  }
}
