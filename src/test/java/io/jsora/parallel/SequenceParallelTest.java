package io.jsora.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.SafetensorsFile;
import io.jsora.checkpoint.StateDict;
import java.nio.file.Path;
import java.time.Duration;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class SequenceParallelTest {
  /**
   * Max |SP − single process| allowed on outputs and gradients, relative to the largest magnitude
   * of the reference (at least 1): float32 round-off from different summation orders (gradients
   * summed over ranks, SDPA against written-out softmax). Measured: at most 4.5e-7.
   */
  static final double TOL = 2e-6;

  @Test
  @Timeout(120)
  void twoRanksMatchOneProcessForEveryPrimitiveAndBothAttentionModes(@TempDir Path dir)
      throws Exception {
    Workers.Result r = Workers.launch(2, SpWorker.class, Duration.ofSeconds(110), dir.toString());
    assertEquals(0, r.status(), r.all());
    int compared = 0;
    double worst = 0;
    for (int rank = 0; rank < 2; rank++) {
      try (StateDict sd = SafetensorsFile.read(dir.resolve("rank" + rank + ".safetensors"));
          PointerScope s = new PointerScope()) {
        for (String name : sd.names()) {
          if (!name.endsWith(".sp")) {
            continue;
          }
          String base = name.substring(0, name.length() - 3);
          Tensor a = sd.get(name);
          Tensor b = sd.get(base + ".ref");
          assertEquals(
              java.util.Arrays.toString(io.jsora.tensor.Shapes.of(b)),
              java.util.Arrays.toString(io.jsora.tensor.Shapes.of(a)),
              base);
          double diff = a.sub(b).abs().max().item_double();
          double scale = b.abs().max().item_double();
          assertTrue(scale > 1e-3, base + " reference is all zeros: the check would be vacuous");
          double rel = diff / Math.max(1, scale);
          assertTrue(
              rel <= TOL,
              "rank "
                  + rank
                  + " "
                  + base
                  + ": max |sp - ref| = "
                  + diff
                  + " (max |ref| "
                  + scale
                  + ") > "
                  + TOL);
          worst = Math.max(worst, rel);
          compared++;
        }
      }
    }
    // 5 primitives (7 tensors) + 2 modes × (out, x.grad, cond.grad, 5 weight grads), on 2 ranks
    assertEquals(2 * (7 + 2 * 8), compared);
    System.out.println(
        "sequence parallel: " + compared + " tensors, worst relative |sp - ref| = " + worst);
  }

  @Test
  void singleRankIsTheIdentityAndBadSizesAreExplained() {
    SequenceParallel none = SequenceParallel.none();
    try (PointerScope s = new PointerScope()) {
      Tensor x = torch.ones(2, 3, 4);
      assertSame(x, none.split(x, 1));
      assertSame(x, none.gather(x, 1));
      assertSame(x, none.allToAll(x, 2, 1));
      assertSame(x, none.replicated(x));
    }
    IllegalArgumentException h =
        assertThrows(IllegalArgumentException.class, () -> SequenceParallel.checkHeads(6, 4));
    assertTrue(
        h.getMessage().contains("6 heads, not divisible by the sequence-parallel size 4"),
        h.getMessage());
    IllegalArgumentException q =
        assertThrows(
            IllegalArgumentException.class, () -> SequenceParallel.checkSequence(1000, 3, "x"));
    assertTrue(
        q.getMessage()
            .contains(
                "sequence length 1000 is not divisible by the sequence-parallel size 3; pad it to 1002 tokens"),
        q.getMessage());
  }
}
