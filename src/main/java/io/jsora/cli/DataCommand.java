package io.jsora.cli;

import io.jsora.data.Progress;
import io.jsora.data.Synth;
import io.jsora.data.SynthConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jsora data synth|download-msrvtt|collate-msrvtt}. */
@Command(
    name = "data",
    mixinStandardHelpOptions = true,
    description =
        "Make and fetch video-caption datasets: a synthetic moving-shapes set, MSR-VTT download and collation.",
    subcommands = {
      DataCommand.SynthCmd.class,
      MsrVttCommands.Download.class,
      MsrVttCommands.Collate.class
    })
public final class DataCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code jsora data synth}. */
  @Command(
      name = "synth",
      mixinStandardHelpOptions = true,
      showDefaultValues = true,
      description =
          "Write a captioned dataset of moving coloured shapes (\"a red circle moving left\") as MP4 files, captions.json (the reference's captions format) and metadata.json (each clip's colour, shape, direction and path, for scoring generated videos).")
  static final class SynthCmd implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(
        names = {"-o", "--out"},
        required = true,
        paramLabel = "DIR",
        description = "Output directory.")
    Path out;

    @Option(names = "--count", defaultValue = "200", description = "Number of clips.")
    int count;

    @Option(names = "--frames", defaultValue = "8", description = "Frames per clip.")
    int frames;

    @Option(
        names = "--size",
        defaultValue = "16",
        description = "Frame width and height in pixels.")
    int size;

    @Option(names = "--fps", defaultValue = "8", description = "Frame rate of the MP4 files.")
    double fps;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of every random choice.")
    long seed;

    @Option(
        names = "--start",
        defaultValue = "fixed",
        description =
            "Where each motion starts: fixed (same place per direction, crossing the frame), jitter (near it) or random (anywhere the path fits).")
    SynthConfig.Start start;

    @Option(
        names = "--colours",
        split = ",",
        paramLabel = "C",
        description = "Colours (of ${COMPLETION-CANDIDATES}).",
        completionCandidates = ColourNames.class)
    List<String> colours = new ArrayList<>(Synth.DEFAULT_COLOURS);

    @Option(
        names = "--shapes",
        split = ",",
        paramLabel = "S",
        description = "Shapes (circle, square, triangle, diamond).")
    List<String> shapes = new ArrayList<>(Synth.DEFAULT_SHAPES);

    @Option(
        names = "--directions",
        split = ",",
        paramLabel = "D",
        description = "Directions (left, right, up, down).")
    List<String> directions = new ArrayList<>(Synth.DIRECTIONS);

    @Option(
        names = "--hold-out",
        split = ",",
        paramLabel = "C:S:D",
        description =
            "Leave out combinations, colour:shape:direction with * as wildcard, e.g. red:circle:* (listed in metadata.json).")
    List<String> holdOut = new ArrayList<>();

    @Option(
        names = "--only-held-out",
        description = "Generate only the held-out combinations (an evaluation set).")
    boolean onlyHeldOut;

    @Override
    public Integer call() throws Exception {
      SynthConfig c =
          new SynthConfig(
              count,
              frames,
              size,
              fps,
              seed,
              start,
              colours,
              shapes,
              directions,
              holdOut,
              onlyHeldOut);
      long t0 = System.nanoTime();
      List<Synth.Clip> clips;
      try (Progress p =
          Progress.console(
              "synth", count, 0, "clips", false, System.err, Environment.progressBar())) {
        clips = Synth.generate(c, out, p);
      }
      double s = (System.nanoTime() - t0) / 1e9;
      PrintWriter o = spec.commandLine().getOut();
      o.printf(
          "wrote %d clips (%d frames, %dx%d, %s start) to %s in %.1f s%n",
          clips.size(), frames, size, size, start.label(), out.resolve("videos"), s);
      o.printf(
          "captions: %s%nmetadata: %s%n",
          out.resolve("captions.json"), out.resolve("metadata.json"));
      List<Synth.Combination> held = Synth.combinations(c, true);
      if (!held.isEmpty() && !onlyHeldOut) {
        o.printf("held out: %d combination(s), e.g. \"%s\"%n", held.size(), held.get(0).caption());
      }
      o.flush();
      return 0;
    }
  }

  /** Completion candidates for --colours. */
  static final class ColourNames extends ArrayList<String> {
    ColourNames() {
      super(Synth.COLOURS.keySet());
    }
  }
}
