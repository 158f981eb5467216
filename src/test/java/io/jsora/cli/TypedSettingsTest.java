package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.model.dit.Arch;
import io.jsora.model.dit.DiTConfig;
import io.jsora.run.TrainConfig;
import io.jsora.train.TrainingRun;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Settings are typed at the edge: bad values fail naming the flag or key before any file is opened.
 */
class TypedSettingsTest {
  @TempDir Path dir;

  @Test
  void aModelConfigFileKeepsItsArchitectureUnlessAFlagOverridesIt() throws Exception {
    Path file = dir.resolve("tiny.json");
    Files.writeString(
        file,
        "{\"patch_size\": 4, \"in_channels\": 3, \"text_embed_dim\": 32, \"hidden_size\": 16, \"depth\": 1,"
            + " \"num_heads\": 2, \"mlp_ratio\": 2.0, \"model_arch\": \"token-concat\"}");
    TrainConfig fromFile = TrainCommandConfigTest.parse("train", "--model-config", file.toString());
    DiTConfig kept = TrainingRun.modelConfigOf(fromFile);
    assertEquals(Arch.TOKEN_CONCAT, kept.modelArch(), "no -x: the file's model_arch");
    assertEquals(16, kept.hiddenSize());
    TrainConfig flagged =
        TrainCommandConfigTest.parse("train", "--model-config", file.toString(), "-x", "adaln");
    assertEquals(
        Arch.ADALN, TrainingRun.modelConfigOf(flagged).modelArch(), "-x given: the flag's");
    assertEquals(
        Arch.CROSS_ATTN,
        TrainingRun.modelConfigOf(TrainCommandConfigTest.parse("train")).modelArch(),
        "a preset: cross-attn");
  }

  @Test
  void aBadEnumFlagFailsNamingTheFlagAndTheAllowedValuesBeforeTheDatasetIsOpened() {
    Cli r =
        Cli.run("train", "-d", dir.resolve("no-such-dataset").toString(), "--prediction", "noise2");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err().contains("--prediction") && r.err().contains("'noise2' is not one of eps, v, x0"),
        r.err());
    assertFalse(r.err().contains("no-such-dataset"), "nothing was opened: " + r.err());
    r = Cli.run("train", "-d", dir.resolve("no-such-dataset").toString(), "--device", "tpu");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err().contains("--device") && r.err().contains("auto, cpu, cuda or cuda:N"), r.err());
  }

  @Test
  void rectifiedFlowAndFrameMaskFlagsBecomeTypedSettings() throws Exception {
    TrainConfig c =
        TrainCommandConfigTest.parse(
            "train",
            "--process",
            "rectified-flow",
            "--timestep-sampling",
            "uniform",
            "--mask-ratio",
            "image_head=0.5",
            "--mask-ratio",
            "intepolate=0.1");
    assertEquals(io.jsora.run.DiffusionProcess.RFLOW, c.process());
    assertEquals(io.jsora.diffusion.rflow.SampleMethod.UNIFORM, c.timestepSampling());
    assertEquals(
        java.util.List.of("image_head", "interpolate", "identity"),
        java.util.List.copyOf(c.maskRatios().byName().keySet()));
    assertEquals(0.4, c.maskRatios().byName().get("identity"), 1e-12);
    Cli r =
        Cli.run(
            "train",
            "-d",
            dir.resolve("no-such-dataset").toString(),
            "--process",
            "rflow",
            "--mask-ratio",
            "imag_head=0.5");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("--mask-ratio") && r.err().contains("'imag_head'"), r.err());
  }

  @Test
  void serveAndItsBenchmarkParseTheDeviceAndArchitectureAtTheFlag() {
    Path missing = dir.resolve("no-such-checkpoint");
    Cli r = Cli.run("serve", "--checkpoint", missing.toString(), "--device", "tpu");
    assertEquals(2, r.code(), r.err());
    assertTrue(
        r.err().contains("--device") && r.err().contains("auto, cpu, cuda or cuda:N"), r.err());
    assertFalse(r.err().contains("no-such-checkpoint"), "nothing was opened: " + r.err());
    r = Cli.run("bench", "serve", "--arch", "cross_atn");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("--arch") && r.err().contains("'cross_atn'"), r.err());
  }

  @Test
  void aBadEnumOrValueInAConfigFileFailsNamingTheKey() throws Exception {
    Path yaml = dir.resolve("bad.yaml");
    Files.writeString(yaml, "lr_schedule: constnt\n");
    Cli r =
        Cli.run(
            "train", "--config", yaml.toString(), "-d", dir.resolve("no-such-dataset").toString());
    assertEquals(1, r.code(), r.err());
    assertTrue(
        r.err()
            .contains(
                "--config "
                    + yaml
                    + ": key 'lr_schedule': 'constnt' is not one of cosine, constant"),
        r.err());
    assertFalse(r.err().contains("no-such-dataset"), r.err());
    Files.writeString(yaml, "batch_size: 8\n");
    r =
        Cli.run(
            "train",
            "--config",
            yaml.toString(),
            "--batch-size",
            "0",
            "-d",
            dir.resolve("no-such-dataset").toString());
    assertEquals(1, r.code(), r.err());
    assertTrue(
        r.err().contains("--batch-size: must be >= 1, got 0"),
        "a flag's bad value names the flag: " + r.err());
  }

  @Test
  void theReferencesUnderscoreFlagSpellingsAreAccepted() throws Exception {
    assertArrayEquals(
        new String[] {
          "preprocess", "--use-pooled-text", "--batch-size=3", "--text", "a_b", "--", "--keep_this"
        },
        Converters.dashedFlagNames(
            "preprocess",
            "--use_pooled_text",
            "--batch_size=3",
            "--text",
            "a_b",
            "--",
            "--keep_this"));
    Cli r = Cli.run("train", "--batch_size", "0", "-d", dir.toString());
    assertTrue(
        r.err().contains("--batch-size: must be >= 1, got 0"),
        "the underscore spelling reached --batch-size: " + r.err());
  }
}
