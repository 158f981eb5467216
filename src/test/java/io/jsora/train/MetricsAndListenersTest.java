package io.jsora.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.jsora.run.CheckpointLayout;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsAndListenersTest {
  @TempDir Path dir;

  private static TrainListener.StepMetrics step(long s, double loss) {
    return new TrainListener.StepMetrics(
        s,
        0,
        loss,
        1e-4,
        0.5,
        !Double.isFinite(loss),
        4,
        256,
        250_000_000L,
        Map.of("mse", loss / 2));
  }

  @Test
  void metricsAreAppendedAndCutBackToTheResumedStep() throws Exception {
    Path file = dir.resolve("run/metrics.jsonl");
    try (MetricsLog log = MetricsLog.open(file, -1)) {
      MetricsListener l = new MetricsListener(log, 2);
      for (int s = 1; s <= 8; s++) {
        l.onStep(step(s, s == 5 ? Double.NaN : 1.0 / s));
      }
    }
    List<JsonNode> all = MetricsLog.read(file);
    long[] steps = all.stream().mapToLong(n -> n.get("step").asLong()).toArray();
    assertArrayEquals(new long[] {2, 4, 5, 6, 8}, steps, "every 2nd step, plus the skipped one");
    assertEquals("NaN", all.get(2).get("loss").asText());
    assertTrue(all.get(2).get("skipped").asBoolean());
    assertEquals(0.125, all.get(4).get("loss").asDouble(), 0);
    assertEquals(0.0625, all.get(4).get("mse").asDouble(), 0);
    // a crash left half a line; a resume from step 4 drops it and everything after step 4
    Files.writeString(
        file,
        "{\"step\": 9, \"lo",
        StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.APPEND);
    try (MetricsLog log = MetricsLog.open(file, 4)) {
      log.append(Map.of("step", 5, "loss", 0.3));
    }
    long[] after = MetricsLog.read(file).stream().mapToLong(n -> n.get("step").asLong()).toArray();
    assertArrayEquals(new long[] {2, 4, 5}, after);
    assertEquals(0.3, MetricsLog.read(file).get(2).get("loss").asDouble(), 0);
  }

  @Test
  void lossPlotIsAValidPng() throws Exception {
    Path metrics = dir.resolve("metrics.jsonl");
    try (MetricsLog log = MetricsLog.open(metrics, -1)) {
      for (int s = 1; s <= 200; s++) {
        log.append(Map.of("step", s, "loss", 1.0 / Math.sqrt(s) + 0.05 * Math.sin(s)));
      }
      log.append(Map.of("step", 201, "loss", "NaN"));
    }
    Path png = dir.resolve("loss.png");
    new LossPlotListener(metrics, png, "tiny run").onCheckpoint(200, dir);
    byte[] bytes = Files.readAllBytes(png);
    assertArrayEquals(
        new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, Arrays.copyOf(bytes, 8));
    BufferedImage img = ImageIO.read(png.toFile());
    assertEquals(800, img.getWidth());
    assertEquals(500, img.getHeight());
    // an empty log still gives a (blank) chart instead of an error
    Path empty = dir.resolve("empty.png");
    LossPlot.write(empty, new long[0], new double[0], "no steps yet", 0.98);
    assertEquals(800, ImageIO.read(empty.toFile()).getWidth());
  }

  @Test
  void throughputAndCheckpointIntervals() throws Exception {
    ThroughputListener t = new ThroughputListener(4);
    List<Long> saved = new ArrayList<>();
    List<Long> told = new ArrayList<>();
    CheckpointListener c =
        new CheckpointListener(
            3,
            s -> {
              saved.add(s);
              return dir.resolve(CheckpointLayout.dirName(s));
            },
            new TrainListener() {
              @Override
              public void onCheckpoint(long step, Path d) {
                told.add(step);
              }
            });
    TrainListener all = TrainListener.all(List.of(t, c));
    all.onTrainBegin(new TrainListener.TrainInfo(10, 30, dir));
    for (long s = 11; s <= 20; s++) {
      all.onStep(step(s, 0.1)); // 0.25 s per step, 4 samples, 256 tokens
    }
    assertEquals(4.0, t.stepsPerSecond(), 1e-9);
    assertEquals(16.0, t.samplesPerSecond(), 1e-9);
    assertEquals(1024.0, t.tokensPerSecond(), 1e-9);
    assertEquals(2.5, t.etaSeconds(), 1e-9, "10 steps left at 4 it/s");
    assertEquals(List.of(12L, 15L, 18L), saved);
    assertEquals(saved, told);
  }
}
