package io.jsora.model.t5;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** Binding of Hugging Face T5 config.json files. */
class T5ConfigTest {
  @Test
  void theReleasedXxlConfigReadsAsThePreset() throws Exception {
    T5Config c = T5Config.read(Golden.T5.resolve("t5-v1_1-xxl.config.json"));
    assertEquals(T5Config.t5v11Xxl(), c);
    assertEquals(4096, c.innerDim());
  }

  @Test
  void unknownKeysAreErrorsNamingTheKeyWhileKnownDecoderKeysAreIgnored() throws Exception {
    String json = Files.readString(Golden.TINY.resolve("config.json"));
    T5Config c = T5Config.fromJson(json, "tiny");
    assertEquals(16, c.dModel());
    assertEquals(3, c.numHeads());
    assertEquals(6, c.relativeAttentionMaxDistance());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> T5Config.fromJson(json.replace("\"d_ff\"", "\"d_fff\""), "cfg.json"));
    assertTrue(e.getMessage().startsWith("cfg.json: unknown key 'd_fff'"), e.getMessage());
    assertTrue(T5Config.IGNORED.contains("num_decoder_layers"));
  }

  @Test
  void invariantsNameFieldAndValue() throws Exception {
    String json = Files.readString(Golden.TINY.resolve("config.json"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> T5Config.fromJson(json.replace("\"gated-gelu\"", "\"relu\""), "c"));
    assertTrue(
        e.getMessage().contains("dense_act_fn 'gelu_new' does not match feed_forward_proj 'relu'"),
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                T5Config.fromJson(
                    json.replace("\"gated-gelu\"", "\"relu\"")
                        .replace("\"dense_act_fn\": \"gelu_new\",", ""),
                    "c"));
    assertTrue(
        e.getMessage().contains("feed_forward_proj 'relu' is not supported; expected 'gated-gelu'"),
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                T5Config.fromJson(
                    json.replace(
                        "\"relative_attention_num_buckets\": 8",
                        "\"relative_attention_num_buckets\": 6"),
                    "c"));
    assertTrue(
        e.getMessage()
            .contains("relative_attention_num_buckets must be a positive multiple of 4, got 6"),
        e.getMessage());
  }
}
