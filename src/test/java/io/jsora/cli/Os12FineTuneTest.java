package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.SafetensorsWriter;
import io.jsora.checkpoint.StateDict;
import io.jsora.checkpoint.Weights;
import io.jsora.model.stdit3.STDiT3;
import io.jsora.model.stdit3.STDiT3Config;
import io.jsora.pipeline.Os12Fixture;
import io.jsora.run.CheckpointLayout;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Tensors;
import io.jsora.testing.TensorAssert;
import io.jsora.video.TestVideos;
import io.jsora.video.VideoInfo;
import io.jsora.video.VideoReader;
import io.jsora.video.VideoWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fine-tuning an Open-Sora 1.2 STDiT3 directory as published (the tiny seeded one of {@link
 * Os12Fixture}, plus an EMA file) from the command line on new data preprocessed with the tiny 1.2
 * VAE and T5, then sampling the result to MP4: the run starts at the directory's exact weights and
 * EMA with a fresh optimizer at step 0; a directory whose keys, shapes or widths do not fit is
 * refused naming the key or setting.
 */
class Os12FineTuneTest {
  static final double LR = 1e-6;

  @TempDir static Path dir;
  static Path models;
  static Path released;
  static Path dataset;

  @BeforeAll
  static void build() throws Exception {
    Natives.load();
    models = Files.createDirectories(dir.resolve("models"));
    Os12Fixture.build(models);
    // the published layout plus an EMA file: the weights + 1, so the EMA's source shows
    released = Files.createDirectories(dir.resolve("released"));
    Path st = models.resolve(Os12Fixture.STDIT3);
    Files.copy(st.resolve("config.json"), released.resolve("config.json"));
    Files.copy(st.resolve("model.safetensors"), released.resolve("model.safetensors"));
    try (PointerScope s = new PointerScope();
        Weights.Loaded w = Weights.read(st.resolve("model.safetensors"))) {
      Map<String, Tensor> ema = new LinkedHashMap<>();
      for (String k : w.tensors().names()) {
        ema.put(k, w.tensors().get(k).add(new Scalar(1.0)));
      }
      SafetensorsWriter.write(released.resolve("ema.safetensors"), ema, Map.of());
    }
    Path videos = Files.createDirectories(dir.resolve("videos"));
    for (int i = 0; i < 4; i++) {
      try (Tensor v =
          i % 2 == 0 ? TestVideos.gradient(17, 32, 32) : TestVideos.noise(17, 32, 32, i)) {
        VideoWriter.writeMp4(videos.resolve("v" + i + ".mp4"), v, 8);
      }
    }
    String[] captions = {"sunset", "rain", "a slow pan", "snow"};
    StringBuilder jsonl = new StringBuilder();
    for (int i = 0; i < captions.length; i++) {
      jsonl.append("{\"file\": \"v" + i + ".mp4\", \"captions\": [\"" + captions[i] + "\"]}\n");
    }
    Path file = dir.resolve("captions.jsonl");
    Files.writeString(file, jsonl.toString());
    dataset = dir.resolve("dataset");
    Cli r =
        Cli.run(
            "preprocess",
            "-c",
            file.toString(),
            "-v",
            videos.toString(),
            "-o",
            dataset.toString(),
            "--text-model",
            models.resolve(Os12Fixture.T5).toString(),
            "--text-max-length",
            "8", // the tiny STDiT3's model_max_length
            "--cache-latents",
            "--compressor",
            "osvae",
            "--compressor-dir",
            models.resolve(Os12Fixture.VAE).toString(),
            "--device",
            "cpu");
    assertEquals(0, r.code(), r.err() + r.out());
  }

  /** {@code jsora train} of an STDiT3 with rectified flow from {@code source} into {@code run}. */
  static Cli fineTune(Path source, Path run, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "train",
                "-d",
                dataset.toString(),
                "--init-from",
                source.toString(),
                "--model-family",
                "stdit3",
                "--process",
                "rflow",
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
                "--lr",
                Double.toString(LR),
                "--checkpoint-dir",
                run.toString(),
                "--workers",
                "1",
                "--seed",
                "5",
                "--device",
                "cpu"));
    if (List.of(extra).contains("--model-family")) { // the test names another family
      int i = a.indexOf("--model-family");
      a.remove(i + 1);
      a.remove(i);
    }
    a.addAll(List.of(extra));
    return Cli.run(a.toArray(new String[0]));
  }

  /** The STDiT3's parameter names (the EMA averages these; buffers are copied). */
  static Set<String> parameterNames() throws Exception {
    Set<String> names = new TreeSet<>();
    try (PointerScope s = new PointerScope();
        STDiT3 m = new STDiT3(STDiT3Config.read(released.resolve("config.json")))) {
      StringTensorDict d = m.named_parameters(true);
      for (long i = 0; i < d.size(); i++) {
        names.add(d.get(i).key().getString());
      }
    }
    return names;
  }

  @Test
  void fineTunesTheReleasedLayoutFromItsWeightsAndEmaWithAFreshOptimizerThenSamples()
      throws Exception {
    Path run = dir.resolve("fine-tune");
    Cli r = fineTune(released, run, "--max-steps", "1");
    assertEquals(0, r.code(), r.err() + r.out());
    assertEquals(List.of(run.resolve("step-0000001")), CheckpointLayout.list(run), "step 0 + 1");
    Path tuned = run.resolve("step-0000001");
    Set<String> params = parameterNames();
    try (PointerScope s = new PointerScope();
        Weights.Loaded from = Weights.read(released.resolve("model.safetensors"));
        Weights.Loaded to = Weights.read(tuned.resolve(CheckpointLayout.MODEL));
        Weights.Loaded toEma = Weights.read(tuned.resolve(CheckpointLayout.EMA));
        Weights.Loaded opt = Weights.read(tuned.resolve(CheckpointLayout.OPTIMIZER))) {
      StateDict a = from.tensors();
      StateDict b = to.tensors();
      assertEquals(a.names(), b.names(), "the checkpoint keeps upstream's keys");
      double moved = 0;
      for (String k : a.names()) {
        double d = Tensors.toDoubles(b.get(k).sub(a.get(k)).abs().max())[0];
        // one Adam step moves a weight by at most lr, plus float32 rounding below 2
        assertTrue(d <= LR + 2.5e-7, k + " moved " + d + " from the released weights");
        moved = Math.max(moved, d);
      }
      assertTrue(moved > LR / 2, "the step trained: largest move " + moved);
      int counted = 0;
      for (String k : opt.tensors().names()) {
        if (k.endsWith(".step")) {
          assertEquals(1, opt.tensors().get(k).item_long(), "a fresh optimizer: " + k);
          counted++;
        }
      }
      assertTrue(counted > 0, "optimizer state written");
      // EMA continues from the directory's EMA file (weights + 1): d·(w0 + 1) + (1 − d)·w1
      for (String k : params) {
        Tensor expected = a.get(k).add(new Scalar(1.0)).add(b.get(k)).mul(new Scalar(0.5));
        TensorAssert.assertClose(expected, toEma.tensors().get(k), 1e-6, 1e-6, "EMA " + k);
      }
    }
    // a few more steps: the run resumes its own checkpoint (optimizer at 3), not the source
    r = fineTune(released, run, "--max-steps", "3");
    assertEquals(0, r.code(), r.err() + r.out());
    try (PointerScope s = new PointerScope();
        Weights.Loaded opt =
            Weights.read(run.resolve("step-0000003").resolve(CheckpointLayout.OPTIMIZER))) {
      for (String k : opt.tensors().names()) {
        if (k.endsWith(".step")) {
          assertEquals(3, opt.tensors().get(k).item_long(), "resumed, not restarted: " + k);
        }
      }
    }
    // sample the fine-tuned run with the 1.2 pipeline: VAE and T5 as the checkpoint records
    Path mp4 = dir.resolve("tuned.mp4");
    Cli sample =
        Cli.run(
            "sample",
            "--stdit3",
            run.toString(),
            "--text",
            "a slow pan",
            "--resolution",
            "144p",
            "--aspect-ratio",
            "1:1",
            "--num-frames",
            "17",
            "--num-sampling-steps",
            "2",
            "--dtype",
            "fp32",
            "--t5-dtype",
            "fp32",
            "--device",
            "cpu",
            "-o",
            mp4.toString());
    assertEquals(0, sample.code(), sample.err() + sample.out());
    VideoInfo info = VideoReader.probe(mp4);
    assertEquals(17, info.frames());
    assertEquals(192, info.width(), "144p 1:1 is 192 x 192 in upstream's table");
    // and as a run checkpoint (--ckpt): T5 and the VAE it recorded, at the data's size
    Path viaCkpt = dir.resolve("tuned-ckpt.mp4");
    sample =
        Cli.run(
            "sample",
            "--ckpt",
            run.toString(),
            "--text",
            "a slow pan",
            "--num-sampling-steps",
            "2",
            "--device",
            "cpu",
            "-o",
            viaCkpt.toString());
    assertEquals(0, sample.code(), sample.err() + sample.out());
    info = VideoReader.probe(viaCkpt);
    assertEquals(17, info.frames());
    assertEquals(32, info.width());
    // a checkpoint recording other encoders than the 1.2 VAE and T5 is refused, naming them
    Path other = Files.createDirectories(dir.resolve("other-run").resolve("step-0000003"));
    for (String f : List.of(CheckpointLayout.STATE, CheckpointLayout.MODEL)) {
      Files.copy(run.resolve("step-0000003").resolve(f), other.resolve(f));
    }
    Files.writeString(
        other.resolve(CheckpointLayout.CONFIG),
        Files.readString(run.resolve("step-0000003").resolve(CheckpointLayout.CONFIG))
            .replace("\"osvae\"", "\"vae\""));
    sample =
        Cli.run(
            "sample",
            "--stdit3",
            other.getParent().toString(),
            "--text",
            "x",
            "--device",
            "cpu",
            "-o",
            dir.resolve("other.mp4").toString());
    assertNotEquals(0, sample.code());
    assertTrue(
        sample.err().contains("trained on vae latents") && sample.err().contains("osvae"),
        sample.err());
  }

  @Test
  void aDirectoryWithAMisShapedOrMissingKeyIsRefusedNamingIt() throws Exception {
    Path bad = Files.createDirectories(dir.resolve("bad"));
    Files.copy(released.resolve("config.json"), bad.resolve("config.json"));
    String key = "spatial_blocks.1.attn.qkv.weight";
    String dropped = "final_layer.scale_shift_table";
    try (PointerScope s = new PointerScope();
        Weights.Loaded w = Weights.read(released.resolve("model.safetensors"))) {
      Map<String, Tensor> changed = new LinkedHashMap<>();
      for (String k : w.tensors().names()) {
        if (k.equals(key)) {
          changed.put(k, torch.zeros(new long[] {3, 5}));
        } else if (!k.equals(dropped)) {
          changed.put(k, w.tensors().get(k));
        }
      }
      assertTrue(changed.containsKey(key));
      SafetensorsWriter.write(bad.resolve("model.safetensors"), changed, Map.of());
    }
    Path run = dir.resolve("bad-run");
    Cli r = fineTune(bad, run, "--max-steps", "1");
    assertNotEquals(0, r.code());
    assertTrue(r.err().contains(key) && r.err().contains("[3, 5]"), r.err());
    assertTrue(r.err().contains(dropped), "the missing key is named too: " + r.err());
    assertFalse(Files.exists(run.resolve("step-0000001")));
  }

  @Test
  void aWidthOrFamilyTheDataDoesNotFitIsRefusedNamingIt() throws Exception {
    Path wide = Files.createDirectories(dir.resolve("wide"));
    Files.writeString(
        wide.resolve("config.json"),
        Files.readString(released.resolve("config.json"))
            .replace("\"caption_channels\": 32", "\"caption_channels\": 64"));
    Files.copy(released.resolve("model.safetensors"), wide.resolve("model.safetensors"));
    Cli r = fineTune(wide, dir.resolve("wide-run"), "--max-steps", "1");
    assertNotEquals(0, r.code());
    assertTrue(r.err().contains("caption_channels 64") && r.err().contains("32 wide"), r.err());
    r = fineTune(released, dir.resolve("dit-run"), "--max-steps", "1", "--model-family", "dit");
    assertNotEquals(0, r.code());
    assertTrue(r.err().contains("--model-family stdit3"), r.err());
  }
}
