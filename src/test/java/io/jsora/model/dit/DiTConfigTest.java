package io.jsora.model.dit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class DiTConfigTest {
  @Test
  void jsonUsesTheReferenceArgumentNamesAndRoundTrips() throws Exception {
    DiTConfig c = DiTPresets.get("DiT-S/8", Arch.TOKEN_CONCAT).withPosEmbed(PosEmbed.INDEX);
    String json = c.toJson();
    JsonNode n = new ObjectMapper().readTree(json);
    List<String> keys = new java.util.ArrayList<>();
    n.fieldNames().forEachRemaining(keys::add);
    assertEquals(
        List.of(
            "patch_size",
            "in_channels",
            "text_embed_dim",
            "hidden_size",
            "depth",
            "num_heads",
            "mlp_ratio",
            "max_num_embeddings",
            "text_dropout_prob",
            "learn_sigma",
            "model_arch",
            "pos_embed",
            "grad_checkpoint",
            "text_to_c"),
        keys);
    assertEquals("token-concat", n.get("model_arch").asText());
    assertEquals("index", n.get("pos_embed").asText());
    assertEquals(384, n.get("hidden_size").asInt());
    assertEquals(c, DiTConfig.fromJson(json, "test"));
  }

  @Test
  void absentKeysTakeTheReferenceConstructorDefaults() {
    DiTConfig c =
        DiTConfig.fromJson("{\"hidden_size\": 64, \"num_heads\": 4, \"depth\": 2}", "c.json");
    assertEquals(2, c.patchSize());
    assertEquals(3, c.inChannels());
    assertEquals(512, c.textEmbedDim());
    assertEquals(4.0, c.mlpRatio());
    assertTrue(c.learnSigma());
    assertEquals(6, c.outChannels());
    assertEquals(Arch.CROSS_ATTN, c.modelArch());
    assertEquals(PosEmbed.THW, c.posEmbed());
    assertEquals(512, c.indexGridSide());
    assertEquals(0.1, c.textDropoutProb());
  }

  @Test
  void errorsNameTheFileAndTheFault() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> DiTConfig.fromJson("{\"hidden\": 64}", "cfg.json"));
    assertTrue(
        e.getMessage().startsWith("cfg.json: invalid DiT config:")
            && e.getMessage().contains("\"hidden\""),
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> DiTConfig.fromJson("{\"hidden_size\": 1150, \"num_heads\": 16}", "cfg.json"));
    assertTrue(
        e.getMessage().contains("hidden_size 1150 not divisible by num_heads 16"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> DiTConfig.fromJson("{\"model_arch\": \"crosattn\"}", "cfg.json"));
    assertTrue(
        e.getMessage()
            .contains("'crosattn' is not one of adaln, cross-attn, token-concat, self-cross"),
        e.getMessage());
  }

  @Test
  void presetsFollowTheDiTPaperAndAcceptBothSpellings() {
    DiTConfig xl = DiTPresets.get("DiT-XL/2", Arch.ADALN);
    assertEquals(28, xl.depth());
    assertEquals(1152, xl.hiddenSize());
    assertEquals(16, xl.numHeads());
    assertEquals(2, xl.patchSize());
    assertEquals(xl, DiTPresets.get("DiT/XL-2", Arch.ADALN));
    assertEquals("DiT-B/4", DiTPresets.canonical("dit/b-4"));
    assertEquals(
        List.of(12, 384, 6),
        List.of(
            DiTPresets.get("DiT-S/8", Arch.ADALN).depth(),
            DiTPresets.get("DiT-S/8", Arch.ADALN).hiddenSize(),
            DiTPresets.get("DiT-S/8", Arch.ADALN).numHeads()));
    assertEquals(64, DiTPresets.get("DiT-T/4", Arch.ADALN).hiddenSize());
    assertEquals(15, DiTPresets.names().size());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> DiTPresets.get("DiT-XL/3", Arch.ADALN));
    assertTrue(e.getMessage().contains("DiT-XL/2"), e.getMessage());
  }
}
