package io.jsora.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsora.checkpoint.AtomicFiles;
import io.jsora.data.CaptionsFile;
import io.jsora.data.LatentSpec;
import io.jsora.data.PreprocessConfig;
import io.jsora.data.Preprocessor;
import io.jsora.data.Progress;
import io.jsora.data.Synth;
import io.jsora.data.SynthConfig;
import io.jsora.data.SynthJudge;
import io.jsora.data.SynthScore;
import io.jsora.diffusion.BetaSchedule;
import io.jsora.diffusion.Prediction;
import io.jsora.model.dit.Arch;
import io.jsora.model.text.TextEncoder;
import io.jsora.model.text.TextEncoders;
import io.jsora.model.vae.Compressors;
import io.jsora.model.vae.VideoCompressor;
import io.jsora.pipeline.GenerationRequest;
import io.jsora.pipeline.TextToVideoPipeline;
import io.jsora.run.ResumeSpec;
import io.jsora.run.TrainConfig;
import io.jsora.tensor.DeviceSpec;
import io.jsora.tensor.Devices;
import io.jsora.train.Trainer;
import io.jsora.video.VideoWriter;
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
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jsora demo}: the whole pipeline on this machine, no GPU, no downloads. Synthesise a
 * moving-shapes dataset with some (colour, shape, direction) combinations held out, preprocess it
 * with the built-in text encoder, train a small DiT, sample videos for held-out and seen prompts,
 * and report whether the videos show the colour and direction their prompts ask for.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Run the whole pipeline on this machine: synthesise moving shapes -> preprocess (built-in text encoder) -> train a small DiT",
      "-> sample prompts, including colour/shape/direction combinations held out of training -> MP4s, contact sheet, loss curve",
      "-> adherence report. A few minutes on 2 CPU cores; --quick is a 1-minute smoke run."
    })
public final class DemoCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--out",
      defaultValue = "jsora-demo",
      paramLabel = "DIR",
      description = "Where the dataset, run, videos and report go (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(
      names = "--quick",
      description =
          "A 1-minute smoke run (few steps; the videos will not follow their prompts yet).")
  boolean quick;

  @Option(names = "--steps", description = "Training steps (default 800, or 60 with --quick).")
  Integer steps;

  @Option(
      names = "--start",
      defaultValue = "fixed",
      description =
          "Where motions start: fixed, jitter or random (harder) (default: ${DEFAULT-VALUE}).")
  io.jsora.data.SynthConfig.Start start;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "Seed of data, training and sampling (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--device",
      defaultValue = "auto",
      description = "cpu, cuda, cuda:N or auto (default: ${DEFAULT-VALUE}).")
  DeviceSpec device;

  /** The demo's data: 16×16 pixels, 8 frames at 8 fps. */
  static final int SIZE = 16;

  static final int FRAMES = 8;
  static final double FPS = 8;

  @Override
  public Integer call() throws Exception {
    PrintWriter o = spec.commandLine().getOut();
    long total0 = System.nanoTime();
    Map<String, Double> stageSeconds = new LinkedHashMap<>();
    int trainSteps = steps != null ? steps : quick ? 60 : 800;
    Files.createDirectories(out);
    Path data = out.resolve("data");
    Path dataset = out.resolve("dataset");
    Path run = out.resolve("run");
    Path samples = out.resolve("samples");
    for (Path p : new Path[] {data, dataset, run, samples}) {
      AtomicFiles.deleteTree(p); // a demo run always starts from scratch
    }

    // 1. Synthesise: every (colour, shape, direction) combination, 12 of them held out
    long t = System.nanoTime();
    SynthConfig base =
        SynthConfig.defaults(1).withSize(SIZE).withFrames(FRAMES).withSeed(seed).withStart(start);
    List<String> heldOut = heldOut(base);
    int perCombination = base.start() == SynthConfig.Start.FIXED ? 1 : 8;
    int seen =
        base.colours().size() * base.shapes().size() * base.directions().size() - heldOut.size();
    SynthConfig synth =
        new SynthConfig(
            seen * perCombination,
            FRAMES,
            SIZE,
            FPS,
            seed,
            base.start(),
            base.colours(),
            base.shapes(),
            base.directions(),
            heldOut,
            false);
    Synth.generate(synth, data, Progress.NONE);
    stageSeconds.put("synthesise", seconds(t));
    o.printf(
        Locale.ROOT,
        "1/5 synthesised %d clips (%dx%d px, %d frames, %s start), %d combinations held out (%.1f s)%n",
        synth.count(),
        SIZE,
        SIZE,
        FRAMES,
        synth.start().label(),
        heldOut.size(),
        stageSeconds.get("synthesise"));
    o.flush();

    // 2. Preprocess with the built-in text encoder, caching raw latents
    t = System.nanoTime();
    try (Device dev = Devices.resolve(device)) {
      List<String> captions = new ArrayList<>();
      for (CaptionsFile.Entry e : CaptionsFile.read(data.resolve("captions.json")).entries()) {
        captions.addAll(e.captions());
      }
      PreprocessConfig pc =
          PreprocessConfig.of(data.resolve("captions.json"), data.resolve("videos"), dataset);
      try (TextEncoder text =
              TextEncoders.loadForDataset(TextEncoders.BUILTIN, dataset, captions, seed, dev);
          VideoCompressor raw = Compressors.load("raw", null, dev)) {
        new Preprocessor(pc, text, LatentSpec.floats(raw, LatentSpec.Kind.FLOAT16), dev)
            .run(Progress.NONE);
      }
    }
    stageSeconds.put("preprocess", seconds(t));
    o.printf(
        Locale.ROOT,
        "2/5 preprocessed into %s with the built-in text encoder (%.1f s)%n",
        dataset,
        stageSeconds.get("preprocess"));
    o.flush();

    // 3. Train
    t = System.nanoTime();
    TrainConfig tc = trainConfig(dataset, run, trainSteps);
    Trainer.Result result;
    try (Trainer trainer = new Trainer(tc)) {
      trainer.listen(new ProgressListener("train", o, Math.max(1, trainSteps / 10)));
      o.printf(
          Locale.ROOT,
          "3/5 training %s (%,d parameters) for %d steps of %d clips%n",
          "DiT-T/4 adaln",
          trainer.model().parameterCount(),
          trainSteps,
          tc.batchSize());
      o.flush();
      result = trainer.run();
    }
    stageSeconds.put("train", seconds(t));
    o.printf(
        Locale.ROOT,
        "    final loss %.4f (%.1f s)%n",
        result.lastLoss(),
        stageSeconds.get("train"));

    // 4. Sample held-out and seen prompts
    t = System.nanoTime();
    List<String> unseen = new ArrayList<>();
    for (Synth.Combination c : Synth.combinations(synth, true)) {
      unseen.add(c.caption());
    }
    List<String> seenPrompts = new ArrayList<>();
    List<Synth.Combination> trained = Synth.combinations(synth, false);
    for (int i = 0; i < unseen.size() && i < trained.size(); i++) {
      seenPrompts.add(trained.get(i * trained.size() / unseen.size()).caption());
    }
    List<String> prompts = new ArrayList<>(unseen);
    prompts.addAll(seenPrompts);
    Files.createDirectories(samples);
    List<Path> files = new ArrayList<>();
    try (TextToVideoPipeline pipe = TextToVideoPipeline.load(run, true, Devices.resolve(device));
        PointerScope scope = new PointerScope()) {
      GenerationRequest req =
          new GenerationRequest(
              prompts,
              FRAMES,
              SIZE,
              SIZE,
              quick ? 10 : 25,
              io.jsora.diffusion.Sampler.Method.DDIM,
              0,
              4.0,
              seed);
      Tensor video = pipe.generate(req, (done, all, ts) -> {});
      TensorVector rows = new TensorVector();
      for (int i = 0; i < prompts.size(); i++) {
        Tensor clip = video.select(0, i); // (T, H, W, 3)
        Path f =
            samples.resolve(
                String.format(
                    Locale.ROOT, "%s-%02d.mp4", i < unseen.size() ? "heldout" : "seen", i));
        VideoWriter.writeMp4(f, clip, FPS);
        files.add(f);
        rows.push_back(clip);
      }
      // one sheet: a row per video, a column per frame
      io.jsora.video.ContactSheet.write(
          samples.resolve("contact-sheet.png"), video, prompts, FRAMES);
      video.close();
    }
    SampleCommand.writeManifest(files, prompts);
    stageSeconds.put("sample", seconds(t));
    o.printf(
        Locale.ROOT,
        "4/5 sampled %d videos (%d held-out prompts, %d seen), DDIM %d steps, guidance 4 (%.1f s)%n",
        prompts.size(),
        unseen.size(),
        seenPrompts.size(),
        quick ? 10 : 25,
        stageSeconds.get("sample"));

    // 5. Judge
    t = System.nanoTime();
    SynthScore held = new SynthScore();
    SynthScore seenScore = new SynthScore();
    for (int i = 0; i < files.size(); i++) {
      try (io.jsora.video.DecodedVideo v = io.jsora.video.VideoReader.decode(files.get(i))) {
        SynthJudge.Reading r = SynthJudge.judge(v.frames(), Synth.COLOURS);
        SynthScore.Item item =
            new SynthScore.Item(
                files.get(i).getFileName().toString(),
                prompts.get(i),
                SynthJudge.parse(prompts.get(i)),
                r);
        (i < unseen.size() ? held : seenScore).add(item);
      }
    }
    stageSeconds.put("evaluate", seconds(t));
    double totalSeconds = seconds(total0);
    o.println("5/5 adherence (colour and direction read back from each generated video):");
    o.printf(
        Locale.ROOT,
        "    %-22s %8s %10s %18s%n",
        "prompts",
        "colour",
        "direction",
        "colour+direction");
    row(o, "held-out combinations", held);
    row(o, "seen combinations", seenScore);
    o.printf(
        Locale.ROOT, "stage times: %s; total %.1f s%n", stageTimes(stageSeconds), totalSeconds);
    o.printf(
        Locale.ROOT,
        "outputs: %s (videos, contact-sheet.png), %s (checkpoints, loss.png, metrics.jsonl), %s%n",
        samples,
        run,
        out.resolve("report.json"));
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("train_steps", trainSteps);
    report.put("final_loss", result.lastLoss());
    report.put("start", synth.start().label());
    report.put("held_out", held.summary());
    report.put("seen", seenScore.summary());
    report.put("stage_seconds", stageSeconds);
    report.put("total_seconds", totalSeconds);
    AtomicFiles.writeString(
        out.resolve("report.json"),
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report)
            + "\n");
    o.flush();
    return 0;
  }

  /**
   * 12 combinations (colour i mod 6, shape i mod 3, direction i mod 4): each colour, shape and
   * direction still appears in training.
   */
  static List<String> heldOut(SynthConfig c) {
    List<String> h = new ArrayList<>();
    int n = Math.min(12, c.colours().size() * c.shapes().size() * c.directions().size() / 6);
    for (int i = 0; i < n; i++) {
      h.add(
          c.colours().get(i % c.colours().size())
              + ":"
              + c.shapes().get(i % c.shapes().size())
              + ":"
              + c.directions().get(i % c.directions().size()));
    }
    return h;
  }

  /** The training settings the demo uses (measured on a 2-core CPU; see the README). */
  TrainConfig trainConfig(Path dataset, Path run, int trainSteps) {
    return TrainConfig.defaults().toBuilder()
        .model("DiT-T/4")
        .arch(Arch.ADALN)
        .dataset(List.of(dataset.toString()))
        .maxSteps(trainSteps)
        .batchSize(quick ? 16 : 32)
        .lr(3e-3)
        .warmupSteps(Math.min(50, trainSteps / 4))
        .emaDecay(0.995)
        .gradClip(1.0)
        .noiseSchedule(BetaSchedule.COSINE)
        .prediction(Prediction.X0)
        .learnSigma(false)
        .saveInterval(0)
        .keepLast(1)
        .checkpointDir(run.toString())
        .resume(ResumeSpec.NONE)
        .seed(seed)
        .device(device)
        .logInterval(Math.max(1, trainSteps / 10))
        .build();
  }

  private static void row(PrintWriter o, String name, SynthScore s) {
    o.printf(
        Locale.ROOT,
        "    %-22s %7.1f%% %9.1f%% %17.1f%%%n",
        name,
        100 * s.colourAccuracy(),
        100 * s.directionAccuracy(),
        100 * s.colourAndDirectionAccuracy());
  }

  private static String stageTimes(Map<String, Double> s) {
    List<String> parts = new ArrayList<>();
    s.forEach((k, v) -> parts.add(String.format(Locale.ROOT, "%s %.1f s", k, v)));
    return String.join(", ", parts);
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
