package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.SafetensorsWriter;
import io.jsora.checkpoint.StateDict;
import io.jsora.checkpoint.Weights;
import io.jsora.pipeline.Os12Fixture;
import io.jsora.run.CheckpointLayout;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Tensors;
import io.jsora.train.TrainFixtures;
import io.jsora.video.TestVideos;
import io.jsora.video.VideoInfo;
import io.jsora.video.VideoReader;
import io.jsora.video.VideoWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fine-tuning from the command line ({@code jsora train --init-from}) on data preprocessed with the
 * Open-Sora 1.2 VAE and T5 ({@link Os12Fixture}'s tiny seeded components): a model trained on one
 * dataset is fine-tuned on another, starting from its exact weights with a fresh optimizer at step
 * 0, and then sampled to MP4; a source whose keys or shapes do not fit, or whose encoders differ
 * from the data's, is refused naming the key or the encoders.
 */
class InitFromTest {
  /** The fine-tune's learning rate: Adam's first step moves every weight by at most this. */
  static final double LR = 1e-6;

  @TempDir static Path dir;
  static Path models;
  static Path first;
  static Path second;
  static Path source;

  @BeforeAll
  static void build() throws Exception {
    Natives.load();
    models = Files.createDirectories(dir.resolve("models"));
    Os12Fixture.build(models);
    Path videos = Files.createDirectories(dir.resolve("videos"));
    for (int i = 0; i < 4; i++) {
      try (Tensor v =
          i % 2 == 0 ? TestVideos.gradient(17, 32, 32) : TestVideos.noise(17, 32, 32, i)) {
        VideoWriter.writeMp4(videos.resolve("v" + i + ".mp4"), v, 8);
      }
    }
    first = preprocess(videos, "first", "a red ball", "blue noise", "a green ramp", "grey static");
    second = preprocess(videos, "second", "sunset", "rain", "a slow pan", "snow falling");
    Path run = dir.resolve("source-run");
    Cli r =
        train(first, run, "--model", "DiT-T/2", "--max-steps", "2", "--lr", "1e-3", "--seed", "3");
    assertEquals(0, r.code(), r.err() + r.out());
    source = CheckpointLayout.latest(run).orElseThrow();
  }

  static Path preprocess(Path videos, String name, String... captions) throws Exception {
    StringBuilder jsonl = new StringBuilder();
    for (int i = 0; i < captions.length; i++) {
      jsonl.append("{\"file\": \"v" + i + ".mp4\", \"captions\": [\"" + captions[i] + "\"]}\n");
    }
    Path file = dir.resolve(name + ".jsonl");
    Files.writeString(file, jsonl.toString());
    Path out = dir.resolve(name);
    Cli r =
        Cli.run(
            "preprocess",
            "-c",
            file.toString(),
            "-v",
            videos.toString(),
            "-o",
            out.toString(),
            "--text-model",
            models.resolve(Os12Fixture.T5).toString(),
            "--cache-latents",
            "--compressor",
            "osvae",
            "--compressor-dir",
            models.resolve(Os12Fixture.VAE).toString(),
            "--device",
            "cpu");
    assertEquals(0, r.code(), r.err() + r.out());
    return out;
  }

  /** {@code jsora train} on {@code dataset} into {@code run} with the 1.2 VAE, batch 2, CPU. */
  static Cli train(Path dataset, Path run, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "train",
                "-d",
                dataset.toString(),
                "--compressor",
                "osvae",
                "--compressor-dir",
                models.resolve(Os12Fixture.VAE).toString(),
                "--batch-size",
                "2",
                "--ema-decay",
                "0.5",
                "--weight-decay",
                "0",
                "--warmup-steps",
                "0",
                "--lr-schedule",
                "constant",
                "--checkpoint-dir",
                run.toString(),
                "--workers",
                "1",
                "--device",
                "cpu"));
    a.addAll(List.of(extra));
    return Cli.run(a.toArray(new String[0]));
  }

  @Test
  void fineTuneStartsAtTheSourcesWeightsWithAFreshOptimizerAtStepZeroThenSamples()
      throws Exception {
    Path run = dir.resolve("fine-tune");
    Cli r =
        train(
            second,
            run,
            "--init-from",
            source.getParent().toString(), // a run directory: its newest checkpoint
            "--max-steps",
            "1",
            "--lr",
            Double.toString(LR),
            "--seed",
            "5");
    assertEquals(0, r.code(), r.err() + r.out());
    assertEquals(List.of(run.resolve("step-0000001")), CheckpointLayout.list(run), "step 0 + 1");
    Path tuned = run.resolve("step-0000001");
    try (PointerScope s = new PointerScope();
        Weights.Loaded from = Weights.read(source.resolve(CheckpointLayout.MODEL));
        Weights.Loaded fromEma = Weights.read(source.resolve(CheckpointLayout.EMA));
        Weights.Loaded to = Weights.read(tuned.resolve(CheckpointLayout.MODEL));
        Weights.Loaded toEma = Weights.read(tuned.resolve(CheckpointLayout.EMA));
        Weights.Loaded opt = Weights.read(tuned.resolve(CheckpointLayout.OPTIMIZER))) {
      StateDict a = from.tensors();
      StateDict b = to.tensors();
      assertEquals(a.names(), b.names());
      double moved = 0;
      for (String k : a.names()) {
        double d = Tensors.toDoubles(b.get(k).sub(a.get(k)).abs().max())[0];
        // one Adam step from the source's weights moves each by at most lr (|m̂/√v̂| <= 1), plus
        // float32 rounding of weights below 2 (2 ulps of 1.2e-7); a fresh init is ~1e-2 away
        assertTrue(d <= LR + 2.5e-7, k + " moved " + d + " from the source's weights");
        moved = Math.max(moved, d);
      }
      assertTrue(moved > LR / 2, "the step trained: largest move " + moved);
      // the optimizer is fresh: one step counted for every parameter (the source took 2)
      for (String k : opt.tensors().names()) {
        if (k.endsWith(".step")) {
          assertEquals(1, opt.tensors().get(k).item_long(), k);
        }
      }
      // the EMA continues from the source's EMA: ema1 = d·ema0 + (1 − d)·w1 with d = 0.5
      for (String k : fromEma.tensors().names()) {
        if (!b.contains(k) || !toEma.tensors().contains(k)) {
          continue;
        }
        Tensor expected =
            fromEma.tensors().get(k).add(b.get(k)).mul(new org.bytedeco.pytorch.Scalar(0.5));
        io.jsora.testing.TensorAssert.assertClose(
            expected, toEma.tensors().get(k), 1e-6, 1e-7, "EMA " + k);
      }
    }
    // the fine-tuned model samples through the 1.2 VAE and T5 it was trained on
    Path mp4 = dir.resolve("tuned.mp4");
    Cli sample =
        Cli.run(
            "sample",
            "--ckpt",
            run.toString(),
            "--text",
            "a slow pan",
            "--num-sampling-steps",
            "2",
            "-o",
            mp4.toString(),
            "--device",
            "cpu");
    assertEquals(0, sample.code(), sample.err() + sample.out());
    VideoInfo info = VideoReader.probe(mp4);
    assertEquals(17, info.frames(), "the 1.2 VAE decodes 5 latent frames to 17");
    assertEquals(32, info.width());
    assertEquals(32, info.height());
    // run again with more steps: the fine-tune resumes its own checkpoint, not the source
    r =
        train(
            second,
            run,
            "--init-from",
            source.toString(),
            "--max-steps",
            "2",
            "--lr",
            Double.toString(LR),
            "--seed",
            "5");
    assertEquals(0, r.code(), r.err() + r.out());
    try (PointerScope s = new PointerScope();
        Weights.Loaded opt =
            Weights.read(run.resolve("step-0000002").resolve(CheckpointLayout.OPTIMIZER))) {
      for (String k : opt.tensors().names()) {
        if (k.endsWith(".step")) {
          assertEquals(2, opt.tensors().get(k).item_long(), "resumed, not restarted: " + k);
        }
      }
    }
  }

  @Test
  void aSourceWithAMisShapedOrMissingKeyIsRefusedNamingIt() throws Exception {
    String key;
    Path bad = Files.createDirectories(dir.resolve("bad-source"));
    for (String f :
        List.of(CheckpointLayout.CONFIG, CheckpointLayout.STATE, CheckpointLayout.EMA)) {
      Files.copy(source.resolve(f), bad.resolve(f));
    }
    try (PointerScope s = new PointerScope();
        Weights.Loaded w = Weights.read(source.resolve(CheckpointLayout.MODEL))) {
      StateDict sd = w.tensors();
      List<String> names = new ArrayList<>(sd.names());
      key = names.get(names.size() / 2);
      Map<String, Tensor> changed = new java.util.LinkedHashMap<>();
      String dropped = names.get(0);
      for (String k : names) {
        if (k.equals(key)) {
          changed.put(k, org.bytedeco.pytorch.global.torch.zeros(new long[] {3, 5}));
        } else if (!k.equals(dropped)) {
          changed.put(k, sd.get(k));
        }
      }
      SafetensorsWriter.write(bad.resolve(CheckpointLayout.MODEL), changed, Map.of());
      Cli r =
          train(second, dir.resolve("bad-run"), "--init-from", bad.toString(), "--max-steps", "1");
      assertNotEquals(0, r.code());
      assertTrue(r.err().contains(key) && r.err().contains("[3, 5]"), r.err());
      assertTrue(r.err().contains(dropped), "the missing key is named too: " + r.err());
      assertFalse(Files.exists(dir.resolve("bad-run").resolve("step-0000001")));
    }
  }

  @Test
  void dataFromOtherEncodersThanTheSourcesIsRefused() throws Exception {
    Path other = TrainFixtures.dataset(Files.createDirectories(dir.resolve("raw")), 4, 4, 1);
    Cli r =
        Cli.run(
            "train",
            "-d",
            other.toString(),
            "--init-from",
            source.toString(),
            "--checkpoint-dir",
            dir.resolve("raw-run").toString(),
            "--max-steps",
            "1",
            "--device",
            "cpu");
    assertNotEquals(0, r.code());
    assertTrue(
        r.err().contains("trained on osvae latents") && r.err().contains("compressor raw"),
        r.err());
  }
}
