package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.config.Settings;
import io.jsora.data.bucket.BucketConfig;
import io.jsora.data.bucket.Resolution;
import io.jsora.run.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bucket_config} as a setting: a map in the config file, or {@code --bucket-config} with
 * inline JSON, the reference's Python spelling or a file, bound once into {@link BucketConfig}.
 */
class BucketConfigSettingTest {
  private static final String PY =
      "{'144p': {1: (1.0, 4), 4: ((0.5, 0.5), 2)}, '240p': {1: (0.2, 3)}}";

  private static void assertThePyConfig(BucketConfig b) {
    assertEquals(3, b.buckets().size());
    BucketConfig.Bucket four = b.bucket(Resolution.P144, 4);
    assertEquals(0.5, four.keep());
    assertEquals(0.5, four.lengthKeep().getAsDouble());
    assertEquals(2, four.batchSize());
    assertEquals(3, b.bucket(Resolution.P240, 1).batchSize());
    assertEquals(Resolution.P240, b.buckets().get(0).resolution()); // largest budget first
  }

  @Test
  void absentByDefault() throws Exception {
    assertNull(TrainCommandConfigTest.parse("train").bucketConfig());
    assertNull(TrainConfig.defaults().bucketConfig());
  }

  @Test
  void flagTakesInlinePythonJsonOrAFile(@TempDir Path dir) throws Exception {
    assertThePyConfig(TrainCommandConfigTest.parse("train", "--bucket-config", PY).bucketConfig());
    String json =
        "{\"144p\": {\"1\": [1.0, 4], \"4\": [[0.5, 0.5], 2]}, \"240p\": {\"1\": [0.2, 3]}}";
    assertThePyConfig(
        TrainCommandConfigTest.parse("train", "--bucket-config", json).bucketConfig());
    Path file = dir.resolve("buckets.py");
    Files.writeString(file, PY);
    assertThePyConfig(
        TrainCommandConfigTest.parse("train", "--bucket-config", file.toString()).bucketConfig());
  }

  @Test
  void configFileEmbedsTheMapAndTheFlagOverridesIt(@TempDir Path dir) throws Exception {
    Path yaml = dir.resolve("cfg.yaml");
    Files.writeString(
        yaml,
        "bucket_config:\n"
            + "  144p: {1: [1.0, 4], 4: [[0.5, 0.5], 2]}\n"
            + "  240p: {1: [0.2, 3]}\n");
    TrainConfig c = TrainCommandConfigTest.parse("train", "--config", yaml.toString());
    assertThePyConfig(c.bucketConfig());
    TrainConfig f =
        TrainCommandConfigTest.parse(
            "train", "--config", yaml.toString(), "--bucket-config", "{'144p': {2: (1.0, 7)}}");
    assertEquals(1, f.bucketConfig().buckets().size());
    assertEquals(7, f.bucketConfig().bucket(Resolution.P144, 2).batchSize());
  }

  @Test
  void survivesTheCheckpointsJson() throws Exception {
    TrainConfig c = TrainCommandConfigTest.parse("train", "--bucket-config", PY);
    String json = Settings.JSON.writeValueAsString(c);
    TrainConfig back = Settings.JSON.readValue(json, TrainConfig.class);
    assertEquals(c.bucketConfig(), back.bucketConfig());
    assertEquals(c, back);
  }

  @Test
  void badValuesNameTheSetting(@TempDir Path dir) {
    Exception e =
        assertThrows(
            Exception.class,
            () -> TrainCommandConfigTest.parse("train", "--bucket-config", "{'99p': {1: (1, 2)}}"));
    assertTrue(message(e).contains("bucket_config") && message(e).contains("99p"), message(e));
    Exception missing =
        assertThrows(
            Exception.class,
            () ->
                TrainCommandConfigTest.parse(
                    "train", "--bucket-config", dir.resolve("nope.json").toString()));
    assertTrue(
        message(missing).contains("bucket_config") && message(missing).contains("nope.json"),
        message(missing));
  }

  private static String message(Throwable t) {
    StringBuilder b = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      b.append(c.getMessage()).append(" | ");
    }
    return b.toString();
  }
}
