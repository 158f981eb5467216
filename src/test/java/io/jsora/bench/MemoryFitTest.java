package io.jsora.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The memory fit of {@code bench train --fit-memory} and the sizes it takes, against closed forms.
 */
class MemoryFitTest {
  @Test
  void solvesTheLineThroughTwoPeaksForTheLimit() {
    // peak = 100 MiB + 3 KiB per token held on a rank
    long fixed = 100L << 20;
    long perToken = 3 << 10;
    long limit = fixed + perToken * 40_000L;
    Map<String, Object> f =
        TrainBench.fit(
            512, fixed + perToken * 512, 1024, fixed + perToken * 1024, limit, 2, 4, 250, 2);
    assertEquals(perToken, (double) f.get("bytes_per_token"), 1e-6);
    assertEquals(fixed, (double) f.get("fixed_bytes"), 1e-3);
    assertEquals(40_000L, f.get("max_tokens_per_rank"));
    // 2 ranks share a sample's tokens, 4 samples per step: 40000 x 2 / 4 = 20000 tokens per sample
    assertEquals(20_000L, f.get("max_sequence_per_sample"));
    // 250 tokens per latent frame, 2 frames per latent frame: floor(20000 / 250) x 2
    assertEquals(160L, f.get("max_frames"));
  }

  @Test
  void reportsOnlyTheMeasurementsWhenThePeakDoesNotGrow() {
    Map<String, Object> f = TrainBench.fit(512, 2e9, 1024, 2e9, 16L << 30, 1, 1, 64, 1);
    assertFalse(f.containsKey("max_tokens_per_rank"));
    assertEquals(2, ((java.util.List<?>) f.get("peak_bytes")).size());
  }

  @Test
  void parsesMemorySizes() {
    assertEquals(16L << 30, Memory.parseSize("16g"));
    assertEquals(16L << 30, Memory.parseSize("16GiB"));
    assertEquals(512L << 20, Memory.parseSize("512m"));
    assertEquals(1536L << 20, Memory.parseSize("1.5G"));
    assertEquals(4096, Memory.parseSize("4096"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Memory.parseSize("lots"));
    assertEquals(
        "not a memory size: 'lots' (expected e.g. 512m, 16g or a byte count)", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Memory.parseSize("-1g"));
  }
}
