package io.jsora.model.stdit3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The config binds the released {@code config.json} and checks its invariants. */
class STDiT3ConfigTest {
  static Path resource(String name) throws Exception {
    return Path.of(STDiT3ConfigTest.class.getResource("/golden/stdit3/" + name).toURI());
  }

  @Test
  void releasedConfigIsTheXl2Preset() throws Exception {
    // the released file's fields (kernel flags false, as the current file is believed to have them)
    STDiT3Config c = STDiT3Config.read(resource("STDiT3-XL-2.config.json"));
    assertEquals(STDiT3Config.xl2(), c);
    assertEquals(8, c.outChannels());
    assertEquals(72, c.headDim());
    assertEquals(4608, c.mlpHidden());
    assertEquals(32, c.patchOutputs());
  }

  @Test
  void absentKeysTakeTheUpstreamDefaults() {
    STDiT3Config c = STDiT3Config.fromJson("{}", "empty.json");
    assertEquals(1152, c.hiddenSize());
    assertEquals(28, c.depth());
    assertEquals(List.of(1, 2, 2), c.patchSize());
    assertEquals(4096, c.captionChannels());
    assertEquals(300, c.modelMaxLength());
    assertTrue(c.qkNorm());
    assertEquals(false, c.freezeYEmbedder());
  }

  @Test
  void jsonRoundTrips() throws Exception {
    STDiT3Config c = STDiT3Config.read(resource("tiny_config.json"));
    assertEquals(c, STDiT3Config.fromJson(c.toJson(), "round-trip"));
    assertTrue(c.toJson().contains("\"input_size\" : [ null, null, null ]"), c.toJson());
  }

  @Test
  void unknownKeysAreRejectedAndHuggingFaceKeysIgnored() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> STDiT3Config.fromJson("{\"hiden_size\": 64}", "cfg.json"));
    assertTrue(
        e.getMessage().contains("cfg.json") && e.getMessage().contains("hiden_size"),
        e.getMessage());
    STDiT3Config c =
        STDiT3Config.fromJson(
            "{\"model_type\": \"STDiT3\", \"torch_dtype\": \"bfloat16\"}", "cfg.json");
    assertEquals(STDiT3Config.fromJson("{}", "x"), c);
  }

  @Test
  void invariantsNameTheValues() {
    assertMessage(
        "{\"hidden_size\": 100, \"num_heads\": 16}",
        "hidden_size 100 not divisible by num_heads 16");
    assertMessage(
        "{\"hidden_size\": 36, \"num_heads\": 4}",
        "head dim hidden_size/num_heads = 9 must be even");
    assertMessage("{\"patch_size\": [2, 2]}", "patch_size must be 3 positive integers");
    assertMessage("{\"drop_path\": 0.1}", "drop_path must be 0.0");
    assertMessage("{\"skip_y_embedder\": true}", "skip_y_embedder must be false");
    assertMessage("{\"hidden_size\": 18, \"num_heads\": 1}", "divisible by 4");
  }

  private static void assertMessage(String json, String part) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> STDiT3Config.fromJson(json, "c.json"));
    assertTrue(e.getMessage().contains(part) && e.getMessage().contains("c.json"), e.getMessage());
  }
}
