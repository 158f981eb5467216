package io.jsora.model.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClipTextConfigTest {
  static ClipTextConfig parse(String json) throws IOException {
    return ClipTextConfig.fromJson(new ObjectMapper().readTree(json));
  }

  @Test
  void wholeClipConfigTakesItsTextConfigAndDefaultsTheRest() throws IOException {
    ClipTextConfig c =
        parse(
            "{\"model_type\":\"clip\",\"projection_dim\":8,"
                + "\"text_config\":{\"hidden_size\":32,\"num_attention_heads\":4,\"num_hidden_layers\":2,\"eos_token_id\":2},"
                + "\"vision_config\":{\"hidden_size\":16}}");
    ClipTextConfig d = ClipTextConfig.defaults();
    assertEquals(32, c.hiddenSize());
    assertEquals(4, c.numAttentionHeads());
    assertEquals(2, c.numHiddenLayers());
    assertEquals(d.vocabSize(), c.vocabSize());
    assertEquals(77, c.maxPositionEmbeddings());
    assertEquals("quick_gelu", c.hiddenAct());
    assertEquals(49406, c.bosTokenId());
    assertTrue(c.legacyPooling());
  }

  @Test
  void legacyTextConfigDictOverridesTextConfig() throws IOException {
    ClipTextConfig c =
        parse(
            "{\"text_config\":{\"hidden_size\":32,\"num_attention_heads\":4},"
                + "\"text_config_dict\":{\"hidden_size\":64,\"hidden_act\":\"gelu\"}}");
    assertEquals(64, c.hiddenSize());
    assertEquals("gelu", c.hiddenAct());
    assertEquals(4, c.numAttentionHeads());
  }

  @Test
  void textOnlyConfigAndEmptyObjectGiveUpstreamDefaults() throws IOException {
    assertEquals(ClipTextConfig.defaults(), parse("{}"));
    assertEquals(ClipTextConfig.defaults(), parse("{\"model_type\":\"clip\"}"));
    ClipTextConfig c =
        parse("{\"model_type\":\"clip_text_model\",\"vocab_size\":40,\"layer_norm_eps\":1e-6}");
    assertEquals(40, c.vocabSize());
    assertEquals(1e-6, c.layerNormEps());
  }

  @Test
  void roundTripsThroughItsJson() throws IOException {
    ClipTextConfig c = BuiltinTextEncoder.config(123);
    assertEquals(c, ClipTextConfig.fromJson(c.toJson()));
  }

  @Test
  void badValuesAreNamedWithFoundAndExpected(@TempDir Path tmp) throws IOException {
    IllegalArgumentException heads =
        assertThrows(
            IllegalArgumentException.class,
            () -> parse("{\"hidden_size\":30,\"num_attention_heads\":4}"));
    assertEquals("hidden_size 30 is not divisible by num_attention_heads 4", heads.getMessage());
    IllegalArgumentException act =
        assertThrows(IllegalArgumentException.class, () -> parse("{\"hidden_act\":\"mish\"}"));
    assertTrue(act.getMessage().startsWith("hidden_act 'mish' is not supported"), act.getMessage());
    IllegalArgumentException type =
        assertThrows(IllegalArgumentException.class, () -> parse("{\"vocab_size\":\"big\"}"));
    assertEquals("\"vocab_size\" must be an integer, found \"big\"", type.getMessage());
    Path f = tmp.resolve("config.json");
    Files.writeString(f, "{\"num_hidden_layers\":0}");
    IllegalArgumentException file =
        assertThrows(IllegalArgumentException.class, () -> ClipTextConfig.read(f));
    assertEquals(f + ": num_hidden_layers must be > 0, got 0", file.getMessage());
    assertThrows(IOException.class, () -> ClipTextConfig.read(tmp.resolve("absent.json")));
  }
}
