package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.parallel.SpMode;
import io.jsora.run.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code jsora train}'s settings: defaults, then the config file, then the flags, including the
 * distributed ones.
 */
class TrainCommandConfigTest {
  static TrainConfig parse(String... args) throws Exception {
    CommandLine cl = Main.commandLine();
    CommandLine.ParseResult pr = cl.parseArgs(args);
    TrainCommand cmd = (TrainCommand) pr.subcommand().commandSpec().userObject();
    return cmd.effectiveConfig();
  }

  @Test
  void configFileSetsAndFlagsOverrideEveryDistributedSetting(@TempDir Path dir) throws Exception {
    Path yaml = dir.resolve("cfg.yaml");
    Files.writeString(
        yaml, "batch_size: 3\nsp_size: 4\nsp_mode: fastseq\nzero: 2\ndist_timeout: 30\n");
    TrainConfig c = parse("train", "--config", yaml.toString());
    assertEquals(3, c.batchSize());
    assertEquals(4, c.spSize());
    assertEquals(SpMode.FASTSEQ, c.spMode());
    assertEquals(2, c.zero());
    assertEquals(30.0, c.distTimeout());
    TrainConfig f =
        parse(
            "train",
            "--config",
            yaml.toString(),
            "--sp-size",
            "2",
            "--sp-mode",
            "ULYSSES",
            "--zero",
            "0",
            "--dist-timeout",
            "7.5");
    assertEquals(2, f.spSize());
    assertEquals(SpMode.ULYSSES, f.spMode());
    assertEquals(0, f.zero());
    assertEquals(7.5, f.distTimeout());
    assertEquals(3, f.batchSize());
    TrainConfig d = parse("train");
    assertEquals(1, d.spSize());
    assertEquals(SpMode.ULYSSES, d.spMode());
    assertEquals(0, d.zero());
    assertEquals(TrainConfig.DEFAULT_DIST_TIMEOUT, d.distTimeout());
  }

  @Test
  void badDistributedSettingsAreRefusedWithTheirName(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("cfg.json");
    Files.writeString(json, "{\"zero\": 1}");
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> parse("train", "--config", json.toString()));
    assertEquals("--config " + json + ": key 'zero': zero must be 0 or 2, got 1", e.getMessage());
    Files.writeString(json, "{\"sp_mode\": \"ring\"}");
    e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> parse("train", "--config", json.toString()));
    assertEquals(
        "--config " + json + ": key 'sp_mode': 'ring' is not one of ulysses, fastseq",
        e.getMessage());
    Files.writeString(json, "{\"sp_sise\": 2}");
    e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> parse("train", "--config", json.toString()));
    assertTrue(
        e.getMessage().contains("unknown key 'sp_sise'") && e.getMessage().contains("sp_size"),
        e.getMessage());
  }
}
