package io.jsora.model.dit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsora.parallel.Workers;
import java.nio.file.Path;
import java.time.Duration;
import org.bytedeco.javacpp.PointerScope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DiT whose sequence is split over 2 ranks equals the same DiT in one process: outputs, every
 * parameter's gradient (partial ones summed over the group), the input's and the text's gradient,
 * for every arch, Ulysses and FastSeq, token counts that divide and that need padding, with and
 * with gradient checkpointing.
 */
class DiTSequenceParallelTest {
  /**
   * Max |SP − one process| relative to the reference's largest magnitude (at least 1): float32
   * round-off from summing over ranks and heads in another order and from attention over padded
   * rows (gradients reach 40 here). Measured: 1.6e-6 (an attention query weight, adaln).
   */
  static final double TOL = 3e-6;

  /**
   * Key biases get no gradient at all (softmax is invariant to adding the same vector to every
   * key): what both runs hold there is round-off, checked to be below this in absolute value.
   * Measured: 8e-6.
   */
  static final double ZERO_GRAD = 3e-5;

  @Test
  @Timeout(150)
  void twoRanksEqualOneProcessForEveryArchAndBothModes(@TempDir Path dir) throws Exception {
    Workers.Result r =
        Workers.launch(2, DiTSpWorker.class, Duration.ofSeconds(140), dir.toString());
    assertEquals(0, r.status(), r.all());
    double worst = 0;
    int compared = 0;
    ObjectMapper json = new ObjectMapper();
    for (int rank = 0; rank < 2; rank++) {
      JsonNode cmps = json.readTree(dir.resolve("rank" + rank + ".json").toFile());
      int nonZero = 0;
      for (JsonNode c : cmps) {
        String name = c.path("name").asText();
        double diff = c.path("diff").asDouble();
        double scale = c.path("scale").asDouble();
        if (name.endsWith("to_k.bias")) {
          assertTrue(
              scale <= ZERO_GRAD && diff <= 2 * ZERO_GRAD,
              "rank " + rank + " " + name + ": |ref| " + scale + ", |sp - ref| " + diff);
          compared++;
          continue;
        }
        double rel = diff / Math.max(1, scale);
        assertTrue(
            rel <= TOL,
            "rank "
                + rank
                + " "
                + name
                + ": max |sp - ref| = "
                + diff
                + " (max |ref| "
                + scale
                + ") > "
                + TOL);
        worst = Math.max(worst, rel);
        nonZero += scale > 1e-4 ? 1 : 0;
        compared++;
      }
      // every comparison but the key biases' (zero by construction) has signal
      assertTrue(
          nonZero > 0.85 * cmps.size(),
          nonZero + " of " + cmps.size() + " reference tensors are non-zero");
    }
    // 4 archs × 2 modes × 2 shapes, plus 1 special case, on 2 ranks; each with outputs and
    // gradients
    assertTrue(compared >= 2 * 17 * 20, "compared " + compared);
    System.out.println(
        "DiT sequence parallel: " + compared + " tensors, worst relative |sp - ref| = " + worst);
  }

  @Test
  void oneRankIsTheDefaultAndHeadsMustDivide() {
    try (PointerScope s = new PointerScope()) {
      DiT model = new DiT(DiTFixtures.tiny(Arch.ADALN, 4));
      assertTrue(!model.sequenceParallel().enabled());
      assertThrows(IllegalArgumentException.class, () -> model.setSequenceParallel(null));
    }
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> io.jsora.parallel.SequenceParallel.checkHeads(2, 4));
    assertTrue(
        e.getMessage().contains("2 heads, not divisible by the sequence-parallel size 4"),
        e.getMessage());
    assertTrue(
        DiT.hasCompleteGradient("final_layer.linear.weight")
            && DiT.hasCompleteGradient("t_embedder.mlp.0.weight")
            && !DiT.hasCompleteGradient("blocks.0.attn.to_q.weight"));
  }
}
