package io.jsora.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsora.checkpoint.AtomicFiles;
import io.jsora.data.Synth;
import io.jsora.data.SynthJudge;
import io.jsora.data.SynthScore;
import io.jsora.video.DecodedVideo;
import io.jsora.video.VideoReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jsora eval-synth}: do generated moving-shape videos show what their prompts asked for? */
@Command(
    name = "eval-synth",
    mixinStandardHelpOptions = true,
    description = {
      "Score videos of moving shapes against their prompts: dominant colour, direction of motion and shape class (reliable from 24 px).",
      "Prompts come from DIR/samples.json (written by jsora sample), a captions JSON ([{\"file\", \"captions\"}]), or a text file with one prompt per line matched to the videos in name order."
    })
public final class EvalSynthCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--videos",
      required = true,
      paramLabel = "DIR",
      description =
          "Directory of videos (or of samples.json / captions.json with a videos/ folder).")
  Path videos;

  @Option(
      names = "--prompts",
      paramLabel = "FILE",
      description =
          "Prompts: captions JSON, samples.json or one prompt per line (default: DIR/samples.json or DIR/captions.json).")
  Path prompts;

  @Option(
      names = "--json",
      paramLabel = "FILE",
      description = "Write the scores and per-video readings as JSON.")
  Path json;

  @Option(
      names = "--skip-frames",
      defaultValue = "0",
      paramLabel = "N",
      description =
          "Judge only the frames after the first N (a continuation's generated rest, e.g. demo's samples/continuation with --skip-frames 2) (default: ${DEFAULT-VALUE}).")
  int skipFrames;

  @Option(names = "--details", description = "Print one line per video.")
  boolean details;

  /** A video and the prompt it was made from. */
  record Pair(Path video, String prompt) {}

  @Override
  public Integer call() throws Exception {
    List<Pair> pairs = pairs();
    SynthScore score = new SynthScore();
    for (Pair p : pairs) {
      try (DecodedVideo v = VideoReader.decode(p.video());
          org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
        long frames = v.frames().size(0);
        if (skipFrames < 0 || skipFrames + 2 > frames) {
          throw new CommandLine.ParameterException(
              spec.commandLine(),
              "--skip-frames "
                  + skipFrames
                  + ": "
                  + p.video()
                  + " has "
                  + frames
                  + " frames; at least 2 must be left to judge");
        }
        SynthJudge.Reading r =
            SynthJudge.judge(v.frames().narrow(0, skipFrames, frames - skipFrames), Synth.COLOURS);
        score.add(
            new SynthScore.Item(
                videos.relativize(p.video()).toString(),
                p.prompt(),
                SynthJudge.parse(p.prompt()),
                r));
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    if (details) {
      for (SynthScore.Item i : score.items()) {
        out.printf(
            Locale.ROOT,
            "%-28s %-36s -> %s %s %s (travel %.1f px, fill %.2f)%n",
            i.file(),
            i.prompt(),
            i.reading().colour(),
            i.reading().shape(),
            i.reading().direction(),
            i.reading().travel(),
            i.reading().fill());
      }
    }
    out.printf(Locale.ROOT, "videos: %d%n", pairs.size());
    row(out, "colour", score.colourAccuracy());
    row(out, "direction", score.directionAccuracy());
    row(out, "colour+direction", score.colourAndDirectionAccuracy());
    row(out, "shape", score.shapeAccuracy());
    row(out, "all three", score.allAccuracy());
    out.println(
        "(shape is read from how much of its bounding box the shape fills: exact on real clips from 24 px, about 83% at 16 px)");
    if (json != null) {
      AtomicFiles.writeString(
          json,
          new ObjectMapper()
                  .enable(SerializationFeature.INDENT_OUTPUT)
                  .writeValueAsString(score.summary())
              + "\n");
      out.println("wrote " + json);
    }
    out.flush();
    return 0;
  }

  private static void row(PrintWriter out, String name, double acc) {
    out.printf(
        Locale.ROOT,
        "%-17s %s%n",
        name,
        Double.isNaN(acc)
            ? "n/a (prompts name none)"
            : String.format(Locale.ROOT, "%5.1f%%", 100 * acc));
  }

  List<Pair> pairs() throws IOException {
    if (!Files.isDirectory(videos)) {
      throw new IllegalArgumentException("--videos " + videos + ": not a directory");
    }
    Path source = prompts;
    if (source == null) {
      for (String name : new String[] {"samples.json", "captions.json"}) {
        if (Files.isRegularFile(videos.resolve(name))) {
          source = videos.resolve(name);
          break;
        }
      }
    }
    if (source == null) {
      throw new IllegalArgumentException(
          "no prompts: give --prompts FILE, or put samples.json or captions.json in " + videos);
    }
    String text = Files.readString(source);
    List<Pair> pairs = new ArrayList<>();
    if (text.stripLeading().startsWith("[")) {
      JsonNode root;
      try {
        root = new ObjectMapper().readTree(text);
      } catch (IOException e) {
        throw new IllegalArgumentException(
            source + ": not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
      }
      for (int i = 0; i < root.size(); i++) {
        JsonNode e = root.get(i);
        JsonNode file = e.get("file");
        JsonNode prompt =
            e.has("prompt")
                ? e.get("prompt")
                : e.has("captions") && e.get("captions").size() > 0
                    ? e.get("captions").get(0)
                    : null;
        if (file == null || prompt == null) {
          throw new IllegalArgumentException(
              source + ": entry " + i + " needs \"file\" and \"prompt\" (or \"captions\")");
        }
        pairs.add(new Pair(locate(file.asText(), source), prompt.asText()));
      }
    } else {
      List<String> lines = text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
      List<Path> files;
      try (Stream<Path> s = Files.list(videos)) {
        files =
            s.filter(f -> f.getFileName().toString().matches("(?i).*\\.(mp4|gif|avi|mkv|webm|mov)"))
                .sorted()
                .toList();
      }
      if (files.size() != lines.size()) {
        throw new IllegalArgumentException(
            source + ": " + lines.size() + " prompts but " + files.size() + " videos in " + videos);
      }
      for (int i = 0; i < files.size(); i++) {
        pairs.add(new Pair(files.get(i), lines.get(i)));
      }
    }
    return pairs;
  }

  /** A manifest's file name, relative to the video directory or its videos/ folder. */
  private Path locate(String file, Path source) {
    for (Path p : new Path[] {videos.resolve(file), videos.resolve("videos").resolve(file)}) {
      if (Files.exists(p)) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        source + ": video " + file + " not found in " + videos + " or " + videos.resolve("videos"));
  }
}
