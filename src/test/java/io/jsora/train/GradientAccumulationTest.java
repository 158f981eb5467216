package io.jsora.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.run.TrainConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gradient accumulation pinned by the gradient itself: AdamW's update depends on little more than
 * each gradient's sign for one step, so the weights cannot tell a summed gradient from an averaged
 * one. The global gradient norm each step reports (measured before clipping, over the accumulated
 * {@code .grad}s) can: k micro-batches of b samples must give the norm of one batch of k·b samples,
 * not k times it.
 */
class GradientAccumulationTest {
  @TempDir static Path shared;
  static Path dataset;

  @BeforeAll
  static void data() throws IOException {
    dataset = TrainFixtures.dataset(shared, 16, 4, 3);
  }

  /** Records each step's gradient norm. */
  static final class Norms implements TrainListener {
    final List<Double> norms = new ArrayList<>();

    @Override
    public void onStep(StepMetrics m) {
      norms.add(m.gradNorm());
    }
  }

  private static List<Double> norms(TrainConfig cfg) throws IOException {
    Norms n = new Norms();
    try (Trainer t = new Trainer(cfg)) {
      t.listen(n);
      t.run();
    }
    return n.norms;
  }

  @Test
  void accumulatedMicroBatchesHaveTheGradientOfOneBigBatch(@TempDir Path dir) throws IOException {
    // no clipping: the updates follow the raw gradients, so the runs stay together over the steps
    TrainConfig whole =
        TrainFixtures.config(dataset, dir.resolve("whole"), 3, 8).toBuilder()
            .textDropout(0.5)
            .gradClip(0.0)
            .build();
    List<Double> one = norms(whole);
    List<Double> two =
        norms(
            whole.toBuilder()
                .checkpointDir(dir.resolve("halves").toString())
                .batchSize(4)
                .accumulationSteps(2)
                .build());
    List<Double> four =
        norms(
            whole.toBuilder()
                .checkpointDir(dir.resolve("quarters").toString())
                .batchSize(2)
                .accumulationSteps(4)
                .build());
    assertEquals(3, one.size());
    for (int s = 0; s < one.size(); s++) {
      double ref = one.get(s);
      assertTrue(ref > 0 && Double.isFinite(ref), "step " + (s + 1) + " norm " + ref);
      // the same samples summed in another order: float32 round-off, enlarged a little by Adam over
      // the steps
      double tol = (s == 0 ? 1e-5 : 1e-4) * ref;
      assertEquals(ref, two.get(s), tol, "step " + (s + 1) + ": 2 x 4 samples vs 1 x 8");
      assertEquals(ref, four.get(s), tol, "step " + (s + 1) + ": 4 x 2 samples vs 1 x 8");
    }
  }
}
