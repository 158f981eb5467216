package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.run.CheckpointLayout;
import io.jsora.train.TrainFixtures;
import io.jsora.video.DecodedVideo;
import io.jsora.video.VideoReader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** jsora train and jsora sample end to end on a tiny generated dataset. */
class TrainSampleCommandTest {
  @TempDir static Path dir;
  static Path dataset;

  @BeforeAll
  static void data() throws Exception {
    dataset = TrainFixtures.dataset(dir, 8, 4, 2);
  }

  @Test
  void configFileSetsAndFlagsOverride() throws Exception {
    Path cfg = dir.resolve("train.yaml");
    Files.writeString(
        cfg,
        "model: DiT-T/4\narch: adaln\nbatch_size: 4\nmax_steps: 3\nlr: 0.002\nprediction: x0\nsave_interval: 2\n");
    Path run = dir.resolve("run-config");
    Cli r =
        Cli.run(
            "train",
            "--config",
            cfg.toString(),
            "-d",
            dataset.toString(),
            "--checkpoint-dir",
            run.toString(),
            "--max-steps",
            "4",
            "--device",
            "cpu");
    assertEquals(0, r.code(), r.err() + r.out());
    assertTrue(
        r.out().contains("\"batch_size\":4")
            && r.out().contains("\"max_steps\":4")
            && r.out().contains("\"arch\":\"adaln\""),
        r.out());
    assertTrue(r.out().contains("trained 4 steps"), r.out());
    assertEquals(4, CheckpointLayout.stepOf(CheckpointLayout.latest(run).orElseThrow()));
    assertEquals(2, CheckpointLayout.list(run).size(), "steps 2 and 4");
    JsonNode saved = CheckpointLayout.readConfigTree(CheckpointLayout.latest(run).orElseThrow());
    assertEquals(0.002, saved.path("train").path("lr").asDouble());
    assertEquals("dit", saved.path("model_family").asText());
    // the same command again: the run is complete, nothing is trained and nothing rewritten
    long written =
        Files.getLastModifiedTime(
                CheckpointLayout.latest(run).orElseThrow().resolve(CheckpointLayout.MODEL))
            .toMillis();
    r =
        Cli.run(
            "train",
            "--config",
            cfg.toString(),
            "-d",
            dataset.toString(),
            "--checkpoint-dir",
            run.toString(),
            "--max-steps",
            "4",
            "--device",
            "cpu");
    assertEquals(0, r.code(), r.err() + r.out());
    assertTrue(
        r.out().contains("the run was already complete")
            && r.out().contains("is at step 4")
            && !r.out().contains("NaN"),
        r.out());
    assertEquals(
        written,
        Files.getLastModifiedTime(
                CheckpointLayout.latest(run).orElseThrow().resolve(CheckpointLayout.MODEL))
            .toMillis());
  }

  @Test
  void unknownConfigKeyIsNamed() throws Exception {
    Path cfg = dir.resolve("bad.yaml");
    Files.writeString(cfg, "batch_sise: 4\n");
    Cli r =
        Cli.run(
            "train",
            "--config",
            cfg.toString(),
            "-d",
            dataset.toString(),
            "--checkpoint-dir",
            dir.resolve("x").toString());
    assertEquals(1, r.code());
    assertTrue(
        r.err().contains("unknown key 'batch_sise'") && r.err().contains("batch_size"), r.err());
  }

  @Test
  void sampleWritesVideosManifestAndExtras() throws Exception {
    Path run = dir.resolve("run-sample");
    assertEquals(
        0,
        Cli.run(
                "train",
                "-d",
                dataset.toString(),
                "-m",
                "DiT-T/4",
                "-x",
                "cross-attn",
                "-b",
                "4",
                "--max-steps",
                "2",
                "--checkpoint-dir",
                run.toString(),
                "--device",
                "cpu")
            .code());
    Path out = dir.resolve("samples");
    Cli r =
        Cli.run(
            "sample",
            "--ckpt",
            run.toString(),
            "--ema",
            "--text",
            "a red circle moving left",
            "--text",
            "a blue square moving up",
            "--num-sampling-steps",
            "3",
            "--sampler",
            "ddim",
            "--gif",
            "--contact-sheet",
            "-o",
            out.toString(),
            "--device",
            "cpu");
    assertEquals(0, r.code(), r.err() + r.out());
    for (String f :
        new String[] {
          "sample-00.mp4", "sample-01.mp4", "sample-00.gif", "sample-01.png", "samples.json"
        }) {
      assertTrue(Files.isRegularFile(out.resolve(f)), f);
    }
    try (DecodedVideo v = VideoReader.decode(out.resolve("sample-00.mp4"))) {
      assertEquals(4, v.length(), "frames default to the training data's");
      assertEquals(16, v.info().width());
      assertEquals(8.0, v.fps(), 1e-9);
    }
    JsonNode manifest = new ObjectMapper().readTree(out.resolve("samples.json").toFile());
    assertEquals("a blue square moving up", manifest.get(1).get("prompt").asText());
    // frames = fps x sec
    Cli longer =
        Cli.run(
            "sample",
            "--ckpt",
            run.toString(),
            "--text",
            "a red circle moving left",
            "--fps",
            "4",
            "--sec",
            "2",
            "--num-sampling-steps",
            "2",
            "--disable-cfg",
            "-o",
            dir.resolve("one.mp4").toString(),
            "--device",
            "cpu");
    assertEquals(0, longer.code(), longer.err());
    try (DecodedVideo v = VideoReader.decode(dir.resolve("one.mp4"))) {
      assertEquals(8, v.length());
    }
  }

  @Test
  void sampleWithoutPromptsOrCheckpointIsAClearError() {
    Cli r = Cli.run("sample", "--ckpt", dir.resolve("none").toString(), "--text", "x");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("none"), r.err());
    Cli p = Cli.run("sample", "--ckpt", dir.toString());
    assertEquals(1, p.code());
    assertTrue(p.err().contains("no prompt"), p.err());
  }

  @Test
  void demoQuickRunsEveryStage() throws Exception {
    Path out = dir.resolve("demo");
    Cli r = Cli.run("demo", "--quick", "--steps", "3", "--out", out.toString(), "--device", "cpu");
    assertEquals(0, r.code(), r.err() + r.out());
    assertTrue(r.out().contains("5/5 adherence"), r.out());
    for (String f :
        new String[] {
          "report.json",
          "samples/contact-sheet.png",
          "samples/samples.json",
          "samples/heldout-00.mp4",
          "run/loss.png",
          "run/metrics.jsonl",
          "dataset/dataset_info.json",
          "data/captions.json"
        }) {
      assertTrue(Files.isRegularFile(out.resolve(f)), f);
    }
    JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
    assertEquals(12, report.path("held_out").path("videos").asInt());
    assertEquals(3, report.path("train_steps").asInt());
    // the default is the hard task: random starts at 24 px, all three attributes scored
    assertEquals("random", report.path("start").asText());
    assertEquals(24, report.path("size").asInt());
    assertTrue(report.path("held_out").has("all_three_accuracy"), report.toString());
    assertTrue(r.out().contains("random start"), r.out());
  }

  @Test
  void demoCompareTrainsEverySettingOnTheSameData() throws Exception {
    Path out = dir.resolve("compare");
    Cli r =
        Cli.run(
            "demo",
            "--quick",
            "--compare",
            "--steps",
            "3",
            "--start",
            "fixed",
            "--out",
            out.toString(),
            "--device",
            "cpu");
    assertEquals(0, r.code(), r.err() + r.out());
    assertTrue(Files.isRegularFile(out.resolve("compare.png")), "one plot of every loss curve");
    JsonNode report = new ObjectMapper().readTree(out.resolve("compare.json").toFile());
    assertEquals(16, report.path("size").asInt(), "fixed starts keep the 16-pixel easy task");
    JsonNode rows = report.path("settings");
    assertEquals(3, rows.size(), report.toString());
    assertEquals("adaln", rows.get(0).path("arch").asText());
    assertEquals("cross-attn", rows.get(1).path("arch").asText());
    assertEquals("iddpm", rows.get(1).path("process").asText());
    assertEquals("rflow", rows.get(2).path("process").asText());
    for (JsonNode row : rows) {
      assertEquals(12, row.path("held_out").path("videos").asInt());
      String name = row.path("setting").asText();
      assertTrue(
          Files.isRegularFile(out.resolve("compare").resolve(name).resolve("run/metrics.jsonl")),
          name);
      assertTrue(r.out().contains("--- " + name), r.out());
    }
  }

  @Test
  void demoWithRectifiedFlowContinuesHeldOutClipsAndScoresTheGeneratedRest() throws Exception {
    Path out = dir.resolve("demo-rflow");
    Cli r =
        Cli.run(
            "demo",
            "--quick",
            "--steps",
            "3",
            "--process",
            "rflow",
            "--out",
            out.toString(),
            "--device",
            "cpu");
    assertEquals(0, r.code(), r.err() + r.out());
    assertTrue(r.out().contains("held-out continuation"), r.out());
    Path cont = out.resolve("samples/continuation");
    for (String f :
        new String[] {
          "reference-00.mp4", "continuation-11.mp4", "samples.json", "contact-sheet.png"
        }) {
      assertTrue(Files.isRegularFile(cont.resolve(f)), f);
    }
    JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
    assertEquals(2, report.path("given_frames").asInt());
    JsonNode c = report.path("continuation");
    assertEquals(12, c.path("videos").asInt(), report.toString());
    // the same score from the MP4s' pixels through the separate eval-synth path
    Path json = dir.resolve("continuation-score.json");
    Cli e =
        Cli.run(
            "eval-synth",
            "--videos",
            cont.toString(),
            "--skip-frames",
            "2",
            "--json",
            json.toString());
    assertEquals(0, e.code(), e.err());
    JsonNode score = new ObjectMapper().readTree(json.toFile());
    assertEquals(12, score.path("videos").asInt());
    for (String k : new String[] {"colour_accuracy", "direction_accuracy", "shape_accuracy"}) {
      assertEquals(c.path(k).asDouble(), score.path(k).asDouble(), 1e-12, k);
    }
  }
}
