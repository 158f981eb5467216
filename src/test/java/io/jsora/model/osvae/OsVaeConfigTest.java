package io.jsora.model.osvae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/**
 * The pipeline config in the released field names: defaults, presets, checks and the latent length
 * formula.
 */
class OsVaeConfigTest {
  @Test
  void releasedConfigReadsAsThePreset() throws Exception {
    OsVaeConfig c = OsVaeConfig.read(Golden.dir().resolve("released.config.json"));
    assertEquals(OsVaeConfig.released(), c);
    assertEquals(TemporalVaeConfig.sd(), c.vaeTemporal());
    assertEquals(4, c.vaeTemporal().timeFactor());
    assertEquals(4, c.vae2d().microBatchSize());
    assertArrayEquals(new long[] {1, 4, 1, 1, 1}, c.scale().bufferShape());
    assertEquals(c, OsVaeConfig.fromJson(c.toJson(), "round trip"));
  }

  @Test
  void tinyConfigRoundTrips() throws Exception {
    OsVaeConfig c = OsVaeConfig.read(Golden.dir().resolve("config.json"));
    assertEquals(TemporalVaeConfig.Type.VAE_TEMPORAL, c.vaeTemporal().type());
    assertEquals(2, c.vaeTemporal().filters());
    assertEquals(c, OsVaeConfig.fromJson(c.toJson(), "round trip"));
  }

  /** Upstream's {@code get_latent_size} with 17-frame chunks and time factor 4. */
  @Test
  void latentFramesFollowTheChunkedFormula() {
    OsVaeConfig c = OsVaeConfig.released();
    long[][] pairs = {
      {1, 1},
      {4, 1},
      {5, 2},
      {16, 4},
      {17, 5},
      {18, 6},
      {20, 6},
      {34, 10},
      {35, 11},
      {51, 15},
      {102, 30},
      {204, 60},
      {408, 120}
    };
    for (long[] p : pairs) {
      assertEquals(p[1], c.latentFrames(p[0]), p[0] + " frames");
    }
    assertEquals(9, c.withMicroFrameSize(null).latentFrames(35));
  }

  @Test
  void absentKeysTakeUpstreamDefaultsAndUnknownKeysAreRejected() {
    String minimal =
        "{\"vae_2d\": {\"type\": \"VideoAutoencoderKL\", \"from_pretrained\": \"x\"}, \"vae_temporal\": {\"type\": \"VAE_Temporal\"}}";
    OsVaeConfig c = OsVaeConfig.fromJson(minimal, "m");
    assertEquals(PerChannel.of(0.0), c.shift());
    assertEquals(PerChannel.of(1.0), c.scale());
    assertEquals(null, c.microFrameSize());
    assertArrayEquals(new boolean[] {true, true, false}, c.vaeTemporal().temporalDownsample());
    assertArrayEquals(new long[0], c.scale().bufferShape());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                OsVaeConfig.fromJson(
                    minimal.replace("{\"vae_2d\"", "{\"micro_frames\": 3, \"vae_2d\""), "f.json"));
    assertTrue(
        e.getMessage().startsWith("f.json: invalid Open-Sora VAE config")
            && e.getMessage().contains("micro_frames"),
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                OsVaeConfig.fromJson(
                    minimal.replace(
                        "\"from_pretrained\": \"x\"", "\"from_pretrained\": \"x\", \"tile\": 1"),
                    "f.json"));
    assertTrue(e.getMessage().contains("tile"), e.getMessage());
  }

  /** A bare-number shift/scale becomes a 0-d buffer, as {@code torch.tensor(0.0)} does upstream. */
  @Test
  void scalarShiftAndScaleAreZeroDimensionalBuffers() throws Exception {
    OsVaeConfig c = OsVaeConfig.read(Golden.dir().resolve("config.json"));
    OsVaeConfig scalar =
        new OsVaeConfig(
            c.vae2d(),
            c.vaeTemporal(),
            null,
            false,
            false,
            17,
            PerChannel.of(0.5),
            PerChannel.of(2.0));
    io.jsora.tensor.Natives.load();
    try (org.bytedeco.javacpp.PointerScope s = new org.bytedeco.javacpp.PointerScope();
        org.bytedeco.pytorch.Device cpu = io.jsora.tensor.Devices.cpu();
        OpenSoraVae m =
            new OpenSoraVae(
                scalar,
                io.jsora.model.vae.SdVaeConfig.read(Golden.dir().resolve("spatial/config.json")),
                cpu);
        io.jsora.checkpoint.StateDict sd = io.jsora.checkpoint.StateDict.of(m)) {
      assertArrayEquals(new long[0], io.jsora.tensor.Shapes.of(sd.get("scale")));
      assertEquals(2.0, sd.get("scale").item_double(), 0.0);
      assertEquals(0.5, sd.get("shift").item_double(), 0.0);
    }
  }

  @Test
  void invariantsAreCheckedWithBothValues() {
    String sdWithFilters =
        "{\"vae_2d\": {\"type\": \"VideoAutoencoderKL\", \"from_pretrained\": \"x\"}, "
            + "\"vae_temporal\": {\"type\": \"VAE_Temporal_SD\", \"filters\": 64}}";
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> OsVaeConfig.fromJson(sdWithFilters, "f"));
    assertTrue(e.getMessage().contains("VAE_Temporal_SD fixes filters"), e.getMessage());
    String shift3 =
        "{\"vae_2d\": {\"type\": \"VideoAutoencoderKL\", \"from_pretrained\": \"x\"}, "
            + "\"vae_temporal\": {\"type\": \"VAE_Temporal_SD\"}, \"shift\": [1, 2, 3]}";
    e = assertThrows(IllegalArgumentException.class, () -> OsVaeConfig.fromJson(shift3, "f"));
    assertTrue(
        e.getMessage().contains("shift has 3 values, the latent has 4 channels"), e.getMessage());
    String groups =
        "{\"vae_2d\": {\"type\": \"VideoAutoencoderKL\", \"from_pretrained\": \"x\"}, "
            + "\"vae_temporal\": {\"type\": \"VAE_Temporal\", \"filters\": 6, \"num_groups\": 4}}";
    e = assertThrows(IllegalArgumentException.class, () -> OsVaeConfig.fromJson(groups, "f"));
    assertTrue(
        e.getMessage()
            .contains("filters 6 x multiplier 1 is not a positive multiple of num_groups 4"),
        e.getMessage());
    String loss =
        "{\"vae_2d\": {\"type\": \"VideoAutoencoderKL\", \"from_pretrained\": \"x\"}, "
            + "\"vae_temporal\": {\"type\": \"VAE_Temporal_SD\"}, \"cal_loss\": true}";
    e = assertThrows(IllegalArgumentException.class, () -> OsVaeConfig.fromJson(loss, "f"));
    assertTrue(e.getMessage().contains("cal_loss true"), e.getMessage());
    String type =
        "{\"model_type\": \"STDiT3\", \"vae_2d\": {\"type\": \"VideoAutoencoderKL\", \"from_pretrained\": \"x\"}, "
            + "\"vae_temporal\": {\"type\": \"VAE_Temporal_SD\"}}";
    e = assertThrows(IllegalArgumentException.class, () -> OsVaeConfig.fromJson(type, "f"));
    assertTrue(
        e.getMessage().contains("model_type is STDiT3, expected VideoAutoencoderPipeline"),
        e.getMessage());
  }

  @Test
  void spatialShapeComesFromTheNamedDiffusersConfig() throws Exception {
    io.jsora.model.vae.SdVaeConfig sdxl =
        io.jsora.model.vae.SdVaeConfig.read(Golden.dir().resolve("sdxl-vae.config.json"));
    assertEquals(OsVaeFiles.sdxlVae(), sdxl);
    io.jsora.checkpoint.HubCache nowhere =
        io.jsora.checkpoint.HubCache.at(Files.createTempDirectory("hub"));
    assertEquals(
        OsVaeFiles.sdxlVae(),
        OsVaeFiles.spatialConfig(OsVaeConfig.released().vae2d(), Golden.dir(), nowhere));
    OsVaeConfig tiny = OsVaeConfig.read(Golden.dir().resolve("config.json"));
    assertArrayEquals(
        new int[] {4, 8},
        OsVaeFiles.spatialConfig(tiny.vae2d(), Golden.dir(), nowhere).blockOutChannels());
    SpatialVaeConfig missing =
        new SpatialVaeConfig(SpatialVaeConfig.TYPE, "someone/other-vae", "vae", 4, null, null);
    java.nio.file.NoSuchFileException e =
        assertThrows(
            java.nio.file.NoSuchFileException.class,
            () -> OsVaeFiles.spatialConfig(missing, Golden.dir(), nowhere));
    assertTrue(
        e.getMessage().contains("someone/other-vae") && e.getMessage().contains("vae/config.json"),
        e.getMessage());
  }
}
