package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checks the shape of what benchmarks report; never the times. */
class BenchCommandTest {
  @TempDir Path dir;

  @Test
  void matmulWritesOneRecordPerSizeAndDtype() throws Exception {
    Path json = dir.resolve("m.json");
    Cli r =
        Cli.run(
            "bench",
            "matmul",
            "--sizes",
            "32,64",
            "--dtypes",
            "f32",
            "--runs",
            "2",
            "--warmup",
            "0",
            "--device",
            "cpu",
            "--json",
            json.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("matmul_f32_64"), r.out());
    JsonNode records = new ObjectMapper().readTree(json.toFile());
    assertEquals(2, records.size());
    JsonNode first = records.get(0);
    assertEquals("matmul_f32_32", first.get("name").asText());
    assertEquals(32, first.get("config").get("n").asInt());
    for (String f : new String[] {"median_s", "min_s", "max_s", "tflops"}) {
      assertTrue(first.get(f).asDouble() > 0, f);
    }
    assertTrue(first.get("min_s").asDouble() <= first.get("median_s").asDouble());
    assertTrue(first.get("median_s").asDouble() <= first.get("max_s").asDouble());
  }

  @Test
  void jniReportsPerOpFigures() {
    Cli r = Cli.run("bench", "jni", "--runs", "1", "--warmup", "0");
    assertEquals(0, r.code(), r.err());
    for (String n :
        new String[] {"jni_op_new_tensor", "jni_op_closed", "jni_op_inplace", "jni_item"}) {
      assertTrue(r.out().contains(n), r.out());
    }
  }

  private static final double REL = 1e-9;

  private static void assertRel(double expected, double actual, String what) {
    assertEquals(expected, actual, Math.abs(expected) * REL + 1e-300, what);
  }

  @Test
  void modelRatesFollowTheModelCostAndTheMedian() throws Exception {
    Path json = dir.resolve("model.json");
    Cli r =
        Cli.run(
            "bench",
            "model",
            "--model",
            "DiT-T/4",
            "--arch",
            "cross-attn",
            "--frames",
            "2",
            "--height",
            "16",
            "--width",
            "16",
            "--batch",
            "2",
            "--text-len",
            "4",
            "--text-dim",
            "32",
            "--peak-tflops",
            "0.5",
            "--runs",
            "2",
            "--warmup",
            "0",
            "--device",
            "cpu",
            "--json",
            json.toString());
    assertEquals(0, r.code(), r.err());
    JsonNode records = new ObjectMapper().readTree(json.toFile());
    assertEquals(3, records.size(), r.out());
    // independent cost: the preset with 3 raw channels and the text width, 2 x (16/4) x (16/4)
    // tokens
    io.jsora.model.dit.DiTConfig c =
        io.jsora.model.dit.DiTPresets.get("DiT-T/4", io.jsora.model.dit.Arch.CROSS_ATTN)
            .withInChannels(3)
            .withTextEmbedDim(32);
    double macs = io.jsora.model.dit.DiTCost.forwardMacs(c, 2, 16, 16, 4);
    String[] names = {
      "model_forward", "model_forward_backward", "model_forward_backward_checkpointed"
    };
    double[] passes = {1, 3, 3};
    for (int i = 0; i < 3; i++) {
      JsonNode rec = records.get(i);
      assertEquals(names[i], rec.get("name").asText());
      assertEquals(32, rec.get("config").get("tokens_per_sample").asLong());
      double med = rec.get("median_s").asDouble();
      assertRel(2 * 32, rec.get("tokens_per_s").asDouble() * med, "tokens per iteration");
      assertRel(
          passes[i] * 2 * macs * 2,
          rec.get("tflops").asDouble() * 1e12 * med,
          "FLOPs per iteration");
      assertRel(rec.get("tflops").asDouble() / 0.5, rec.get("mfu").asDouble(), "mfu");
      assertTrue(rec.get("peak_mem_bytes").asLong() > 0);
    }
    assertTrue(records.get(2).get("config").get("grad_checkpoint").asBoolean());

    Cli only =
        Cli.run(
            "bench",
            "model",
            "--model",
            "DiT-T/4",
            "--frames",
            "2",
            "--height",
            "16",
            "--width",
            "16",
            "--text-dim",
            "32",
            "--peak-tflops",
            "1",
            "--runs",
            "1",
            "--warmup",
            "0",
            "--grad-checkpoint=false");
    assertEquals(0, only.code(), only.err());
    assertTrue(
        only.out().contains("model_forward_backward ") && !only.out().contains("checkpointed"),
        only.out());
  }

  @Test
  void modelRejectsASizeTheCompressorCannotTake() {
    Cli r =
        Cli.run("bench", "model", "--compressor", "vae", "--height", "100", "--peak-tflops", "1");
    assertTrue(r.code() != 0);
    assertTrue(r.err().contains("height 100") && r.err().contains("factor 8"), r.err());
  }

  @Test
  void trainReportsRatesAndThePhaseSplit() throws Exception {
    Path json = dir.resolve("train.json");
    Cli r =
        Cli.run(
            "bench",
            "train",
            "--model",
            "DiT-T/4",
            "--arch",
            "adaln",
            "--frames",
            "2",
            "--height",
            "16",
            "--width",
            "16",
            "--batch",
            "2",
            "--peak-tflops",
            "0.5",
            "--warmup",
            "1",
            "--runs",
            "2",
            "--device",
            "cpu",
            "--json",
            json.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("phases (median s): data"), r.out());
    JsonNode rec = new ObjectMapper().readTree(json.toFile()).get(0);
    assertEquals("train_step", rec.get("name").asText());
    double med = rec.get("median_s").asDouble();
    JsonNode extra = rec.get("extra");
    assertEquals(2, rec.get("config").get("samples_per_step").asLong());
    assertRel(2, extra.get("samples_per_s").asDouble() * med, "samples per step");
    assertRel(2 * 32, rec.get("tokens_per_s").asDouble() * med, "tokens per step");
    assertRel(rec.get("tflops").asDouble() / 0.5, rec.get("mfu").asDouble(), "mfu");
    JsonNode split = extra.get("phase_median_s");
    for (String p :
        new String[] {"data_s", "forward_s", "backward_s", "communication_s", "optimizer_s"}) {
      assertTrue(split.has(p), split.toString());
    }
    assertTrue(split.get("forward_s").asDouble() > 0 && split.get("backward_s").asDouble() > 0);
    assertTrue(Double.isFinite(extra.get("final_loss").asDouble()));
    assertTrue(rec.get("peak_mem_bytes").asLong() > 0);
  }

  @Test
  void trainFitsMemoryThroughARunAtHalfTheFrames() throws Exception {
    Path json = dir.resolve("fit.json");
    Cli r =
        Cli.run(
            "bench",
            "train",
            "--model",
            "DiT-T/4",
            "--arch",
            "adaln",
            "--frames",
            "4",
            "--height",
            "16",
            "--width",
            "16",
            "--peak-tflops",
            "1",
            "--warmup",
            "1",
            "--runs",
            "1",
            "--device",
            "cpu",
            "--fit-memory",
            "1g",
            "--json",
            json.toString());
    assertEquals(0, r.code(), r.err());
    JsonNode fit = new ObjectMapper().readTree(json.toFile()).get(0).get("extra").get("memory_fit");
    assertEquals(1L << 30, fit.get("limit_bytes").asLong());
    // 2 and 4 frames of 4 x 4 tokens
    assertEquals(32, fit.get("tokens_per_rank").get(0).asLong());
    assertEquals(64, fit.get("tokens_per_rank").get(1).asLong());
    assertTrue(
        fit.get("peak_bytes").get(0).asLong() > 0 && fit.get("peak_bytes").get(1).asLong() > 0,
        fit.toString());

    Cli one =
        Cli.run(
            "bench",
            "train",
            "--model",
            "DiT-T/4",
            "--frames",
            "4",
            "--height",
            "16",
            "--width",
            "16",
            "--peak-tflops",
            "1",
            "--warmup",
            "0",
            "--runs",
            "1",
            "--fit-memory",
            "1g");
    assertTrue(one.code() != 0);
    assertTrue(one.err().contains("--fit-memory needs at least 2 steps"), one.err());
  }

  @Test
  void trainOnSyntheticDataNeedsASquareSize() {
    Cli r =
        Cli.run(
            "bench",
            "train",
            "--model",
            "DiT-T/4",
            "--frames",
            "2",
            "--height",
            "16",
            "--width",
            "32",
            "--peak-tflops",
            "1");
    assertTrue(r.code() != 0);
    assertTrue(r.err().contains("--height equal to --width"), r.err());
  }

  @Test
  void sampleTimesVideosAndEachDenoisingStep() throws Exception {
    Path json = dir.resolve("sample.json");
    Cli r =
        Cli.run(
            "bench",
            "sample",
            "--model",
            "DiT-T/4",
            "--arch",
            "adaln",
            "--frames",
            "2",
            "--height",
            "16",
            "--width",
            "16",
            "--videos",
            "2",
            "--steps",
            "3",
            "--runs",
            "2",
            "--warmup",
            "1",
            "--device",
            "cpu",
            "--json",
            json.toString());
    assertEquals(0, r.code(), r.err());
    JsonNode records = new ObjectMapper().readTree(json.toFile());
    JsonNode video = records.get(0);
    assertEquals("sample_per_video", video.get("name").asText());
    assertRel(
        video.get("extra").get("seconds_per_call").asDouble() / 2,
        video.get("median_s").asDouble(),
        "per video");
    JsonNode step = records.get(1);
    assertEquals("sample_per_step", step.get("name").asText());
    // 2 videos under guidance: 4 samples of 2 x 4 x 4 tokens per step
    assertRel(
        4 * 32,
        step.get("tokens_per_s").asDouble() * step.get("median_s").asDouble(),
        "tokens per step");
    assertTrue(
        step.get("median_s").asDouble() < video.get("extra").get("seconds_per_call").asDouble());
  }

  @Test
  void dataReportsDecodeAndPreprocessRates() throws Exception {
    Path json = dir.resolve("data.json");
    Cli r =
        Cli.run(
            "bench",
            "data",
            "--videos",
            "2",
            "--frames",
            "4",
            "--size",
            "16",
            "--runs",
            "1",
            "--warmup",
            "0",
            "--device",
            "cpu",
            "--json",
            json.toString());
    assertEquals(0, r.code(), r.err());
    JsonNode records = new ObjectMapper().readTree(json.toFile());
    JsonNode decode = records.get(0);
    assertEquals("data_decode_per_video", decode.get("name").asText());
    // a run decodes 2 clips of 4 frames; median_s is per clip
    assertEquals(
        8,
        decode.get("extra").get("frames_per_s").asDouble() * decode.get("median_s").asDouble() * 2,
        1e-6);
    JsonNode pre = records.get(1);
    assertEquals("data_preprocess_per_video", pre.get("name").asText());
    assertRel(
        1,
        pre.get("extra").get("videos_per_s").asDouble() * pre.get("median_s").asDouble(),
        "videos per second");
    assertTrue(pre.get("extra").get("pairs_per_s").asDouble() > 0);
  }
}
