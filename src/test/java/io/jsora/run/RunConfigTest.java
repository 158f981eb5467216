package io.jsora.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.config.Settings;
import io.jsora.config.SettingsException;
import io.jsora.diffusion.BetaSchedule;
import io.jsora.diffusion.Prediction;
import io.jsora.diffusion.VarianceType;
import io.jsora.model.dit.Arch;
import io.jsora.model.vae.CompressorKind;
import io.jsora.tensor.DeviceSpec;
import io.jsora.tensor.Precision;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The checkpoint configuration: the format written before RunConfig existed still reads, and the
 * new one round-trips.
 */
class RunConfigTest {
  /**
   * A checkpoint written by the code before typed settings (committed, with two MP4s it sampled).
   */
  static final Path LEGACY = Path.of("src/test/resources/legacy-checkpoint/step-0000003");

  @Test
  void aCheckpointWrittenBeforeTypedSettingsReadsWithEveryValue() throws Exception {
    RunConfig c = CheckpointLayout.readConfig(LEGACY);
    assertEquals(ModelFamily.DIT, c.model().family());
    assertEquals(Arch.ADALN, c.dit().modelArch());
    assertEquals(16, c.dit().hiddenSize());
    assertEquals(64, c.dit().textEmbedDim());
    assertEquals(DiffusionProcess.IDDPM, c.process().process());
    assertEquals(BetaSchedule.LINEAR, c.iddpm().schedule());
    assertEquals(Prediction.EPS, c.iddpm().prediction());
    assertEquals(VarianceType.LEARNED_RANGE, c.iddpm().variance());
    assertEquals(CompressorKind.RAW, c.compressor().kind());
    assertEquals("builtin:text_encoder", c.textEncoder());
    assertEquals(TextInput.STATES, c.textInput());
    assertEquals(new DataInfo(4, 16, 16, 8.0), c.data());
    TrainConfig t = c.train();
    assertNotNull(t);
    assertEquals(Arch.ADALN, t.arch());
    assertEquals(ResumeSpec.AUTO, t.resume());
    assertEquals(DeviceSpec.AUTO, t.device());
    assertEquals(Precision.AUTO, t.precision());
    assertEquals(TrainConfig.LrScheduleKind.COSINE, t.lrSchedule());
    assertEquals(3, t.maxSteps());
  }

  @Test
  void theNewFormatRoundTripsAndNamesFamilyAndProcess() throws Exception {
    RunConfig c = CheckpointLayout.readConfig(LEGACY);
    var json = c.toJson();
    assertEquals("dit", json.get("model_family").asText());
    assertEquals("iddpm", json.get("process").asText());
    assertEquals("learned-range", json.get("diffusion").get("variance").asText());
    assertEquals(c, RunConfig.fromJson(Settings.JSON.readTree(json.toString()), "round trip"));
  }

  @Test
  void badFieldsAreNamedWithTheirPath() throws Exception {
    var json = CheckpointLayout.readConfig(LEGACY).toJson();
    ((com.fasterxml.jackson.databind.node.ObjectNode) json.get("diffusion"))
        .put("prediction", "noisy");
    SettingsException e =
        assertThrows(SettingsException.class, () -> RunConfig.fromJson(json, "ck/config.json"));
    assertEquals(
        "ck/config.json: key 'diffusion.prediction': 'noisy' is not one of eps, v, x0",
        e.getMessage());
    json.put("model_family", "sora");
    e = assertThrows(SettingsException.class, () -> RunConfig.fromJson(json, "ck/config.json"));
    assertTrue(
        e.getMessage().startsWith("ck/config.json: key 'model_family': 'sora' is not one of dit"),
        e.getMessage());
    json.remove("model_family");
    json.put("extra", 1);
    e = assertThrows(SettingsException.class, () -> RunConfig.fromJson(json, "ck/config.json"));
    assertTrue(e.getMessage().contains("unknown key 'extra'"), e.getMessage());
  }
}
