package io.jsora.model.dit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A preset completed from the shapes of the inputs it will be run on. */
class DiTPresetsTest {
  @Test
  void inputWidthsComeFromTheShapes() {
    DiTConfig base = DiTPresets.get("DiT-T/2", Arch.CROSS_ATTN);
    DiTConfig c =
        DiTPresets.forInputs(
            "DiT-T/2", Arch.CROSS_ATTN, new long[] {2, 3, 1, 8, 8}, new long[] {2, 5, 24});
    assertEquals(base.withInChannels(3).withTextEmbedDim(24), c);
    assertEquals(3, c.inChannels());
    assertEquals(24, c.textEmbedDim());
    DiTConfig pooled =
        DiTPresets.forInputs("DiT-T/2", Arch.ADALN, new long[] {1, 7, 2, 4, 4}, new long[] {1, 40});
    assertEquals(7, pooled.inChannels());
    assertEquals(40, pooled.textEmbedDim());
  }

  @Test
  void wrongRanksAreNamedWithTheShapeFound() {
    IllegalArgumentException x =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                DiTPresets.forInputs(
                    "DiT-T/2", Arch.ADALN, new long[] {3, 1, 8, 8}, new long[] {1, 8}));
    assertTrue(
        x.getMessage().contains("expected [B, C, T, H, W], found [3, 1, 8, 8]"), x.getMessage());
    IllegalArgumentException t =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                DiTPresets.forInputs(
                    "DiT-T/2", Arch.ADALN, new long[] {1, 3, 1, 8, 8}, new long[] {8}));
    assertTrue(
        t.getMessage().contains("text: expected states [B, L, D] or pooled [B, D], found [8]"),
        t.getMessage());
  }
}
