package io.jsora.model.dit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class DiTCostTest {
  @Test
  void ditXl2At256PixelsThroughTheVaeIsTheDiTPapersGflops() {
    // 32x32x4 latent, 256 tokens: the DiT paper reports 118.6 GFLOPs (multiply-adds)
    double gflops = DiTCost.forwardMacs(DiTPresets.xl2(Arch.ADALN), 1, 32, 32, 77) / 1e9;
    assertEquals(118.6, gflops, 0.05);
    assertEquals(256, DiTCost.videoTokens(DiTPresets.xl2(Arch.ADALN), 1, 32, 32));
  }

  @Test
  void attentionAndMlpTermsScaleAsCounted() {
    DiTConfig c = DiTPresets.get("DiT-S/2", Arch.ADALN);
    double d = 384;
    double a = DiTCost.forwardMacs(c, 1, 16, 16, 0);
    double b = DiTCost.forwardMacs(c, 2, 16, 16, 0);
    double n = 64;
    // doubling the tokens adds n more tokens' linear work (12 blocks x 12·D², the patch embedding
    // 4·p²·D and the final linear D·p²·8) and grows the 2·S²·D attention products
    double perToken = 12 * (12 * d * d) + 4 * 2 * 2 * d + d * 2 * 2 * 8;
    double attn = 12 * 2 * d * ((2 * n) * (2 * n) - n * n);
    assertEquals(perToken * n + attn, b - a, 1.0);
  }
}
