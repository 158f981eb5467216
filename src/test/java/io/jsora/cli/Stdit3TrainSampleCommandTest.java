package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jsora.run.CheckpointLayout;
import io.jsora.train.TrainFixtures;
import io.jsora.video.DecodedVideo;
import io.jsora.video.VideoReader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jsora train --model-family stdit3} from a config file with rectified flow and mask ratios,
 * then {@code jsora sample} of the run's checkpoint; and the settings the command refuses.
 */
class Stdit3TrainSampleCommandTest {
  @TempDir static Path dir;
  static Path dataset;

  @BeforeAll
  static void data() throws Exception {
    dataset = TrainFixtures.dataset(dir, 8, 4, 2);
  }

  @Test
  void aTrainedStdit3RunSamples() throws Exception {
    Path cfg = dir.resolve("stdit3.yaml");
    Files.writeString(
        cfg,
        String.join(
            "\n",
            "model_family: stdit3",
            "model: STDiT3-T/2",
            "process: rflow",
            "mask_ratios: {image_head: 0.3, random: 0.2}",
            "batch_size: 4",
            "max_steps: 2",
            "lr: 0.002",
            "grad_checkpoint: true",
            ""));
    Path run = dir.resolve("run");
    Cli t =
        Cli.run(
            "train",
            "--config",
            cfg.toString(),
            "-d",
            dataset.toString(),
            "--checkpoint-dir",
            run.toString(),
            "--device",
            "cpu");
    assertEquals(0, t.code(), t.err() + t.out());
    assertTrue(t.out().contains("trained 2 steps"), t.out());
    JsonNode saved = CheckpointLayout.readConfigTree(CheckpointLayout.latest(run).orElseThrow());
    assertEquals("stdit3", saved.path("model_family").asText());
    assertEquals(32, saved.path("model").path("hidden_size").asInt());
    assertEquals(64, saved.path("model").path("caption_channels").asInt());

    Path out = dir.resolve("clip.mp4");
    String[] sample = {
      "sample",
      "--ckpt",
      run.toString(),
      "--ema",
      "--text",
      "a red circle moving left",
      "--num-sampling-steps",
      "3",
      "-o",
      out.toString(),
      "--device",
      "cpu"
    };
    Cli s = Cli.run(sample);
    assertEquals(0, s.code(), s.err() + s.out());
    byte[] first = Files.readAllBytes(out);
    try (DecodedVideo v = VideoReader.decode(out)) {
      assertEquals(4, v.length(), "frames default to the training data's");
      assertEquals(16, v.info().width());
      assertEquals(16, v.info().height());
    }
    // the same seed samples the same video
    assertEquals(0, Cli.run(sample).code());
    assertTrue(java.util.Arrays.equals(first, Files.readAllBytes(out)));
  }

  @Test
  void stdit3WithIddpmIsRefusedNamingTheSetting() {
    Cli r =
        Cli.run(
            "train",
            "--model-family",
            "stdit3",
            "-d",
            dataset.toString(),
            "--checkpoint-dir",
            dir.resolve("x").toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("process") && r.err().contains("rflow"), r.err());
    Cli p =
        Cli.run(
            "train",
            "--model-family",
            "stdit3",
            "--process",
            "rflow",
            "-m",
            "DiT-T/4",
            "-d",
            dataset.toString(),
            "--checkpoint-dir",
            dir.resolve("y").toString());
    assertEquals(1, p.code());
    assertTrue(p.err().contains("STDiT3-T/2"), p.err());
  }
}
