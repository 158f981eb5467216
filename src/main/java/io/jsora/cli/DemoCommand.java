package io.jsora.cli;

import com.fasterxml.jackson.databind.JsonNode;
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
import io.jsora.diffusion.rflow.MaskRatios;
import io.jsora.diffusion.rflow.MaskType;
import io.jsora.model.dit.Arch;
import io.jsora.model.dit.DiTConfig;
import io.jsora.model.dit.DiTCost;
import io.jsora.model.dit.DiTPresets;
import io.jsora.model.dit.PosEmbed;
import io.jsora.model.text.TextEncoder;
import io.jsora.model.text.TextEncoders;
import io.jsora.model.vae.Compressors;
import io.jsora.model.vae.VideoCompressor;
import io.jsora.pipeline.GenerationRequest;
import io.jsora.pipeline.GivenFrames;
import io.jsora.pipeline.TextToVideoPipeline;
import io.jsora.run.DiffusionProcess;
import io.jsora.run.ResumeSpec;
import io.jsora.run.TrainConfig;
import io.jsora.tensor.DeviceSpec;
import io.jsora.tensor.Devices;
import io.jsora.train.MetricsLog;
import io.jsora.train.Trainer;
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
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jsora demo}: the whole pipeline on this machine, no GPU, no downloads. Synthesise a
 * moving-shapes dataset with some (colour, shape, direction) combinations held out, preprocess it
 * with the built-in text encoder, train a small DiT, sample videos for held-out and seen prompts,
 * and report whether the videos show the colour, direction and shape their prompts ask for, read
 * back from the decoded MP4s by {@link SynthJudge}. The default task starts every motion at a
 * random place in a 24-pixel frame; {@code --start fixed} is the easy 16-pixel task where each
 * direction always starts at the same edge. {@code --compare} trains several settings on the same
 * data and budget and plots their loss curves together.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Run the whole pipeline on this machine: synthesise moving shapes -> preprocess (built-in text encoder) -> train a small DiT",
      "-> sample prompts, including colour/shape/direction combinations held out of training -> MP4s, contact sheet, loss curve",
      "-> adherence report (colour, direction, shape). A few minutes on 2 CPU cores; --quick is a 1-minute smoke run;",
      "--start fixed is the easy task (each direction starts at one edge); --compare trains several settings on the same budget."
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
      defaultValue = "random",
      description =
          "Where motions start: random (anywhere the path fits), jitter, or fixed (one place per direction: the easy task) (default: ${DEFAULT-VALUE}).")
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

  @Option(
      names = "--size",
      description = "Frame side in pixels (default 24; 16 with --start fixed).")
  Integer size;

  @Option(
      names = "--frames",
      defaultValue = "8",
      description = "Frames per clip (default: ${DEFAULT-VALUE}).")
  int frames;

  @Option(
      names = "--clips-per-combination",
      description = "Training clips per seen combination (default 16; 1 with --start fixed).")
  Integer perCombination;

  @Option(
      names = "--patch",
      description = "Patch side in pixels (default 6 at 24 px: 128 tokens per clip; else 4).")
  Integer patch;

  @Option(
      names = "--width",
      description =
          "Transformer width (default 112: wider than a 6x6x3 patch; 64 with --start fixed).")
  Integer width;

  @Option(names = "--depth", description = "Transformer blocks (default 2; 4 with --start fixed).")
  Integer depth;

  @Option(
      names = "--arch",
      defaultValue = "adaln",
      description = "adaln or cross-attn (default: ${DEFAULT-VALUE}).")
  Arch arch;

  @Option(
      names = "--pos-embed",
      defaultValue = "thw",
      description = "thw or index (default: ${DEFAULT-VALUE}).")
  PosEmbed posEmbed;

  @Option(
      names = "--prediction",
      defaultValue = "x0",
      description = "eps, v or x0 (default: ${DEFAULT-VALUE}).")
  Prediction prediction;

  @Option(
      names = "--lr",
      defaultValue = "3e-3",
      description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
  double lr;

  @Option(names = "--batch", description = "Clips per step (default 32, 16 with --quick).")
  Integer batch;

  @Option(names = "--sample-steps", description = "DDIM steps (default 25, 10 with --quick).")
  Integer sampleSteps;

  @Option(
      names = "--guidance",
      defaultValue = "4",
      description = "Classifier-free guidance scale (default: ${DEFAULT-VALUE}).")
  double guidance;

  /** Text tokens the built-in encoder gives a caption (for the cross-attention FLOP count). */
  static final int TEXT_TOKENS = 8;

  /** The demo's frame rate. */
  static final double FPS = 8;

  /** Frame side of the hard (random-start) task: shape is readable from 24 px on. */
  static final int SIZE = 24;

  /** Frame side of the easy (fixed-start) task. */
  static final int FIXED_SIZE = 16;

  @Option(
      names = "--process",
      defaultValue = "iddpm",
      description = "iddpm or rflow (rectified flow) (default: ${DEFAULT-VALUE}).")
  DiffusionProcess process;

  @Option(
      names = "--mask-ratio",
      paramLabel = "TYPE=P",
      description =
          "rflow: train with frame mask TYPE drawn with probability P (repeatable; identity takes the rest) so the model learns to continue given frames (default with rflow: quarter_head=0.3, image_head=0.2).")
  LinkedHashMap<MaskType, Double> maskRatios;

  @Option(
      names = "--given-frames",
      defaultValue = "2",
      description =
          "rflow: continuation is scored by giving the model the first N frames of each held-out reference clip and judging the frames it generates after them (default: ${DEFAULT-VALUE}).")
  int givenFrames;

  @Option(
      names = "--compare",
      description =
          "Train, sample and judge each compared setting (adaln and cross-attn with IDDPM, adaln with rectified flow) on the same data and budget: one table, the loss curves in one plot (compare.png).")
  boolean compare;

  /**
   * One trained setting of the demo: how text conditions the model and what it predicts. A
   * comparison trains several on the same data, steps and seed.
   */
  record Setting(String name, Arch arch, Prediction prediction, DiffusionProcess process) {}

  /** What one setting gave: the scores, its stage times and its loss log. */
  record Outcome(
      Setting setting,
      SynthScore held,
      SynthScore seen,
      SynthScore continued,
      double lastLoss,
      double stepFlops,
      double stepsPerSecond,
      Map<String, Double> stageSeconds,
      Path metrics) {}

  @Override
  public Integer call() throws Exception {
    PrintWriter o = spec.commandLine().getOut();
    long total0 = System.nanoTime();
    Map<String, Double> stageSeconds = new LinkedHashMap<>();
    int trainSteps = steps != null ? steps : quick ? 60 : 800;
    boolean fixed = start == SynthConfig.Start.FIXED;
    int side = size != null ? size : fixed ? FIXED_SIZE : SIZE;
    if (maskRatios != null && !compare && process != DiffusionProcess.RFLOW) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--mask-ratio: frame masks need --process rflow");
    }
    if (givenFrames < 1 || givenFrames >= frames) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--given-frames: expected 1.."
              + (frames - 1)
              + " (fewer than --frames), got "
              + givenFrames);
    }
    Files.createDirectories(out);
    Path data = out.resolve("data");
    Path dataset = out.resolve("dataset");
    for (Path p :
        new Path[] {
          data, dataset, out.resolve("run"), out.resolve("samples"), out.resolve("compare")
        }) {
      AtomicFiles.deleteTree(p); // a demo run always starts from scratch
    }

    // 1. Synthesise: every (colour, shape, direction) combination, 12 of them held out
    long t = System.nanoTime();
    SynthConfig base =
        SynthConfig.defaults(1).withSize(side).withFrames(frames).withSeed(seed).withStart(start);
    List<String> heldOut = heldOut(base);
    int clipsEach = perCombination != null ? perCombination : fixed ? 1 : quick ? 2 : 16;
    int seen =
        base.colours().size() * base.shapes().size() * base.directions().size() - heldOut.size();
    SynthConfig synth =
        new SynthConfig(
            seen * clipsEach,
            frames,
            side,
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
        side,
        side,
        frames,
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

    List<Setting> settings =
        compare
            ? List.of(
                new Setting("adaln", Arch.ADALN, prediction, DiffusionProcess.IDDPM),
                new Setting("cross-attn", Arch.CROSS_ATTN, prediction, DiffusionProcess.IDDPM),
                new Setting("adaln-rflow", Arch.ADALN, prediction, DiffusionProcess.RFLOW))
            : List.of(new Setting(arch.id(), arch, prediction, process));
    List<Outcome> outcomes = new ArrayList<>();
    for (Setting st : settings) {
      Path where = compare ? out.resolve("compare").resolve(st.name()) : out;
      if (compare) {
        o.printf(
            Locale.ROOT,
            "--- %s (%s, %s)%n",
            st.name(),
            st.process().id(),
            st.process() == DiffusionProcess.IDDPM
                ? st.prediction().id() + "-prediction"
                : "velocity");
      }
      outcomes.add(trainSampleJudge(o, st, synth, dataset, where, trainSteps));
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("train_steps", trainSteps);
    report.put("start", synth.start().label());
    report.put("size", side);
    report.put("frames", frames);
    report.put("clips", synth.count());
    if (!compare) {
      Outcome r = outcomes.get(0);
      stageSeconds.putAll(r.stageSeconds());
      double totalSeconds = seconds(total0);
      o.println("5/5 adherence (colour, direction and shape read back from each generated video):");
      header(o);
      row(o, "held-out combinations", r.held());
      row(o, "seen combinations", r.seen());
      if (r.continued() != null) {
        row(o, "held-out continuation", r.continued());
        o.printf(
            Locale.ROOT,
            "    (continuation: the first %d frames of a held-out clip given, the other %d generated and judged)%n",
            givenFrames,
            frames - givenFrames);
      }
      o.printf(
          Locale.ROOT, "stage times: %s; total %.1f s%n", stageTimes(stageSeconds), totalSeconds);
      o.printf(
          Locale.ROOT,
          "outputs: %s (videos, contact-sheet.png), %s (checkpoints, loss.png, metrics.jsonl), %s%n",
          out.resolve("samples"),
          out.resolve("run"),
          out.resolve("report.json"));
      report.put("final_loss", r.lastLoss());
      report.put("gflop_per_step", r.stepFlops() / 1e9);
      report.put("steps_per_second", r.stepsPerSecond());
      report.put("held_out", r.held().summary());
      report.put("seen", r.seen().summary());
      if (r.continued() != null) {
        report.put("given_frames", givenFrames);
        report.put("continuation", r.continued().summary());
      }
      report.put("stage_seconds", stageSeconds);
      report.put("total_seconds", totalSeconds);
    } else {
      Path png = out.resolve("compare.png");
      Map<String, Path> curves = new LinkedHashMap<>();
      for (Outcome r : outcomes) {
        curves.put(r.setting().name(), r.metrics());
      }
      plotLosses(png, curves, "training loss, same data, steps and seed");
      o.println("comparison (held-out combinations; colour, direction and shape read back):");
      o.printf(
          Locale.ROOT,
          "    %-22s %8s %10s %8s %10s %12s %10s %8s%n",
          "setting",
          "colour",
          "direction",
          "shape",
          "all three",
          "continuation",
          "last loss",
          "train s");
      List<Map<String, Object>> rows = new ArrayList<>();
      for (Outcome r : outcomes) {
        o.printf(
            Locale.ROOT,
            "    %-22s %7.1f%% %9.1f%% %7.1f%% %9.1f%% %12s %10.4f %8.1f%n",
            r.setting().name(),
            100 * r.held().colourAccuracy(),
            100 * r.held().directionAccuracy(),
            100 * r.held().shapeAccuracy(),
            100 * r.held().allAccuracy(),
            r.continued() == null
                ? "-"
                : String.format(Locale.ROOT, "%.1f%%", 100 * r.continued().allAccuracy()),
            r.lastLoss(),
            r.stageSeconds().get("train"));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("setting", r.setting().name());
        m.put("arch", r.setting().arch().id());
        m.put("prediction", r.setting().prediction().id());
        m.put("process", r.setting().process().id());
        m.put("final_loss", r.lastLoss());
        m.put("gflop_per_step", r.stepFlops() / 1e9);
        m.put("steps_per_second", r.stepsPerSecond());
        m.put("stage_seconds", r.stageSeconds());
        m.put("held_out", r.held().summary());
        m.put("seen", r.seen().summary());
        if (r.continued() != null) {
          m.put("continuation", r.continued().summary());
        }
        rows.add(m);
      }
      double totalSeconds = seconds(total0);
      o.printf(
          Locale.ROOT,
          "stage times: %s; total %.1f s; loss curves in %s%n",
          stageTimes(stageSeconds),
          totalSeconds,
          png);
      report.put("stage_seconds", stageSeconds);
      report.put("settings", rows);
      report.put("total_seconds", totalSeconds);
    }
    AtomicFiles.writeString(
        out.resolve(compare ? "compare.json" : "report.json"),
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report)
            + "\n");
    o.flush();
    return 0;
  }

  /** Stages 3 to 5 for one setting: train into {@code where/run}, sample, judge. */
  private Outcome trainSampleJudge(
      PrintWriter o, Setting st, SynthConfig synth, Path dataset, Path where, int trainSteps)
      throws Exception {
    Map<String, Double> stageSeconds = new LinkedHashMap<>();
    int side = synth.size();
    int sampling = sampleSteps != null ? sampleSteps : quick ? 10 : 25;
    Path run = where.resolve("run");
    Path samples = where.resolve("samples");
    Files.createDirectories(where);
    // 3. Train
    long t = System.nanoTime();
    Path modelJson = where.resolve("model.json");
    AtomicFiles.writeString(modelJson, modelConfig(st.arch(), side).toJson() + "\n");
    TrainConfig tc = trainConfig(dataset, run, modelJson, trainSteps, st);
    Trainer.Result result;
    double stepFlops;
    try (Trainer trainer = new Trainer(tc)) {
      trainer.listen(new ProgressListener("train", o, Math.max(1, trainSteps / 10)));
      DiTConfig mc = trainer.modelConfig();
      // forward + backward ≈ 3 forwards, 2 FLOPs per multiply-accumulate
      stepFlops =
          6 * DiTCost.forwardMacs(mc, synth.frames(), side, side, TEXT_TOKENS) * tc.batchSize();
      o.printf(
          Locale.ROOT,
          "3/5 training DiT %s (depth %d, width %d, patch %d: %d tokens per clip; %,d parameters) for %d steps of %d clips, %.2f GFLOP per step%n",
          mc.modelArch().id(),
          mc.depth(),
          mc.hiddenSize(),
          mc.patchSize(),
          DiTCost.videoTokens(mc, synth.frames(), side, side),
          trainer.model().parameterCount(),
          trainSteps,
          tc.batchSize(),
          stepFlops / 1e9);
      o.flush();
      result = trainer.run();
    }
    stageSeconds.put("train", seconds(t));
    double stepsPerSecond = trainSteps / stageSeconds.get("train");
    o.printf(
        Locale.ROOT,
        "    final loss %.4f (%.1f s, %.2f steps/s, %.1f GFLOP/s; at 70 GFLOP/s the steps' arithmetic alone takes %.0f s)%n",
        result.lastLoss(),
        stageSeconds.get("train"),
        stepsPerSecond,
        stepFlops * stepsPerSecond / 1e9,
        stepFlops * trainSteps / 70e9);

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
    SynthScore continuation = null;
    try (TextToVideoPipeline pipe = TextToVideoPipeline.load(run, true, Devices.resolve(device));
        PointerScope scope = new PointerScope()) {
      GenerationRequest req =
          new GenerationRequest(
              prompts,
              synth.frames(),
              side,
              side,
              sampling,
              io.jsora.diffusion.Sampler.Method.DDIM,
              0,
              guidance,
              seed);
      Tensor video = pipe.generate(req, (done, all, ts) -> {});
      for (int i = 0; i < prompts.size(); i++) {
        Tensor clip = video.select(0, i); // (T, H, W, 3)
        Path f =
            samples.resolve(
                String.format(
                    Locale.ROOT, "%s-%02d.mp4", i < unseen.size() ? "heldout" : "seen", i));
        VideoWriter.writeMp4(f, clip, FPS);
        files.add(f);
      }
      // one sheet: a row per video, a column per frame
      io.jsora.video.ContactSheet.write(
          samples.resolve("contact-sheet.png"), video, prompts, synth.frames());
      video.close();
      if (st.process() == DiffusionProcess.RFLOW) {
        continuation = continueClips(pipe, synth, samples.resolve("continuation"), sampling);
      }
    }
    SampleCommand.writeManifest(files, prompts);
    stageSeconds.put("sample", seconds(t));
    o.printf(
        Locale.ROOT,
        "4/5 sampled %d videos (%d held-out prompts, %d seen%s), %s %d steps, guidance %s (%.1f s)%n",
        prompts.size(),
        unseen.size(),
        seenPrompts.size(),
        continuation == null
            ? ""
            : String.format(
                Locale.ROOT,
                "; and %d continuations of held-out clips from their first %d frames",
                continuation.items().size(),
                givenFrames),
        st.process() == DiffusionProcess.RFLOW ? "Euler" : "DDIM",
        sampling,
        guidance,
        stageSeconds.get("sample"));

    // 5. Judge: read colour, direction and shape back from the decoded MP4s
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
    return new Outcome(
        st,
        held,
        seenScore,
        continuation,
        result.lastLoss(),
        stepFlops,
        stepsPerSecond,
        stageSeconds,
        run.resolve("metrics.jsonl"));
  }

  /**
   * Continuation: for each held-out combination, a fresh clip (seeded apart from the training data)
   * is rendered and written as MP4 ({@code reference-NN.mp4}); its first {@code --given-frames}
   * decoded frames are given to the model through the frame mask, which generates the rest ({@code
   * continuation-NN.mp4}). The judge reads colour, direction and shape from the generated frames
   * only, decoded from the MP4, against the clip's caption.
   */
  private SynthScore continueClips(
      TextToVideoPipeline pipe, SynthConfig synth, Path dir, int sampling) throws IOException {
    Files.createDirectories(dir);
    int combos = Synth.combinations(synth, true).size();
    SynthConfig refs =
        new SynthConfig(
            combos,
            synth.frames(),
            synth.size(),
            synth.fps(),
            synth.seed() + 1,
            synth.start(),
            synth.colours(),
            synth.shapes(),
            synth.directions(),
            synth.holdOut(),
            true);
    List<Synth.Clip> clips = Synth.plan(refs);
    List<String> captions = new ArrayList<>();
    List<Path> outputs = new ArrayList<>();
    try (PointerScope scope = new PointerScope()) {
      List<Tensor> decoded = new ArrayList<>();
      for (int i = 0; i < clips.size(); i++) {
        Synth.Clip c = clips.get(i);
        Path ref = dir.resolve(String.format(Locale.ROOT, "reference-%02d.mp4", i));
        try (Tensor pixels = Synth.render(c, refs)) {
          VideoWriter.writeMp4(ref, pixels, FPS);
        }
        // given as the training clips were seen: through H.264 and back
        try (io.jsora.video.DecodedVideo v = io.jsora.video.VideoReader.decode(ref)) {
          decoded.add(v.frames().clone());
        }
        captions.add(c.caption());
      }
      Tensor given = torch.stack(new TensorVector(decoded.toArray(new Tensor[0]))); // (B,T,H,W,3)
      GenerationRequest req =
          new GenerationRequest(
              captions,
              synth.frames(),
              synth.size(),
              synth.size(),
              sampling,
              io.jsora.diffusion.Sampler.Method.DDIM,
              0,
              guidance,
              synth.seed());
      try (Tensor video =
          pipe.generate(req, new GivenFrames(given, givenFrames), (d, n, ts) -> {})) {
        for (int i = 0; i < clips.size(); i++) {
          Path f = dir.resolve(String.format(Locale.ROOT, "continuation-%02d.mp4", i));
          VideoWriter.writeMp4(f, video.select(0, i), FPS);
          outputs.add(f);
        }
        io.jsora.video.ContactSheet.write(
            dir.resolve("contact-sheet.png"), video, captions, synth.frames());
      }
    }
    SampleCommand.writeManifest(outputs, captions); // eval-synth --skip-frames reads it
    SynthScore score = new SynthScore();
    for (int i = 0; i < outputs.size(); i++) {
      try (io.jsora.video.DecodedVideo v = io.jsora.video.VideoReader.decode(outputs.get(i));
          PointerScope scope = new PointerScope()) {
        Tensor rest = v.frames().narrow(0, givenFrames, synth.frames() - givenFrames);
        SynthJudge.Reading r = SynthJudge.judge(rest, Synth.COLOURS);
        score.add(
            new SynthScore.Item(
                outputs.get(i).getFileName().toString(),
                captions.get(i),
                SynthJudge.parse(captions.get(i)),
                r));
      }
    }
    return score;
  }

  /**
   * Every curve's loss against step in one PNG (smoothed by an EMA of 0.98, log scale): the
   * comparison's plot.
   */
  public static void plotLosses(Path png, Map<String, Path> metrics, String title)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYChart chart =
        new XYChartBuilder()
            .width(900)
            .height(520)
            .title(title)
            .xAxisTitle("step")
            .yAxisTitle("loss (EMA 0.98)")
            .build();
    chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
    chart.getStyler().setYAxisLogarithmic(true);
    for (Map.Entry<String, Path> e : metrics.entrySet()) {
      List<Double> xs = new ArrayList<>();
      List<Double> ys = new ArrayList<>();
      double acc = Double.NaN;
      for (JsonNode n : MetricsLog.read(e.getValue())) {
        double y = n.path("loss").asDouble(Double.NaN);
        if (n.has("step") && Double.isFinite(y) && y > 0) {
          acc = Double.isNaN(acc) ? y : 0.98 * acc + 0.02 * y;
          xs.add(n.get("step").asDouble());
          ys.add(acc);
        }
      }
      if (xs.isEmpty()) {
        throw new IllegalArgumentException(e.getValue() + ": no positive loss to plot");
      }
      XYSeries s = chart.addSeries(e.getKey(), xs, ys);
      s.setMarker(SeriesMarkers.NONE);
    }
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    BitmapEncoder.saveBitmap(chart, bytes, BitmapEncoder.BitmapFormat.PNG);
    Files.createDirectories(png.toAbsolutePath().getParent());
    Files.write(png, bytes.toByteArray());
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

  /**
   * The model: DiT-T's 4 heads and MLP ratio 4 at the chosen width, depth, patch and positions
   * (channels and text width follow the data). Patch 6 at 24 px keeps the easy task's 128 tokens
   * and cost per step; patch 4 there is 288 tokens, about 3 times the FLOPs. Width 112 (wider than
   * the patch's 108 values) at depth 2 learned direction where width 64 at depth 4 did not (see the
   * README).
   */
  DiTConfig modelConfig(Arch a, int side) {
    DiTConfig t = DiTPresets.get("DiT-T/4", a);
    return new DiTConfig(
        patch != null ? patch : side == SIZE ? 6 : 4,
        t.inChannels(),
        t.textEmbedDim(),
        width != null ? width : side == SIZE ? 112 : 64,
        depth != null ? depth : side == SIZE ? 2 : 4,
        t.numHeads(),
        t.mlpRatio(),
        t.maxNumEmbeddings(),
        t.textDropoutProb(),
        false,
        a,
        posEmbed,
        false,
        false);
  }

  /** The training settings the demo uses (measured on a 2-core CPU; see the README). */
  TrainConfig trainConfig(Path dataset, Path run, Path modelJson, int trainSteps, Setting st) {
    return TrainConfig.defaults().toBuilder()
        .modelConfig(modelJson.toString())
        .arch(st.arch())
        .dataset(List.of(dataset.toString()))
        .maxSteps(trainSteps)
        .batchSize(batch != null ? batch : quick ? 16 : 32)
        .lr(lr)
        .warmupSteps(Math.min(50, trainSteps / 4))
        .emaDecay(0.995)
        .gradClip(1.0)
        .noiseSchedule(BetaSchedule.COSINE)
        .prediction(st.prediction())
        .process(st.process())
        .maskRatios(st.process() == DiffusionProcess.RFLOW ? masks() : null)
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

  /**
   * The rectified-flow runs' frame masks: the given ratios, or the demo's default (the first one or
   * two of 8 frames as conditions in half of the samples: what continuation asks of the model).
   */
  MaskRatios masks() {
    Map<String, Double> byName = new LinkedHashMap<>();
    if (maskRatios != null) {
      maskRatios.forEach((k, v) -> byName.put(k.id(), v));
    } else {
      byName.put(MaskType.QUARTER_HEAD.id(), 0.3);
      byName.put(MaskType.IMAGE_HEAD.id(), 0.2);
    }
    return MaskRatios.of(byName);
  }

  private static void header(PrintWriter o) {
    o.printf(
        Locale.ROOT,
        "    %-22s %8s %10s %8s %10s%n",
        "prompts",
        "colour",
        "direction",
        "shape",
        "all three");
  }

  private static void row(PrintWriter o, String name, SynthScore s) {
    o.printf(
        Locale.ROOT,
        "    %-22s %7.1f%% %9.1f%% %7.1f%% %9.1f%%%n",
        name,
        100 * s.colourAccuracy(),
        100 * s.directionAccuracy(),
        100 * s.shapeAccuracy(),
        100 * s.allAccuracy());
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
