package io.jsora.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.tensor.Tensors;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/** The flat-shard AdamW against libtorch's own {@code torch::optim::AdamW}, in one process. */
class ZeroAdamWTest {
  private static final double LR = 0.01;
  private static final double WD = 0.1;

  @Test
  void matchesLibtorchAdamWStepForStepIncludingSkippedParameters() {
    Map<String, Tensor> a = TinyMlp.params(7);
    Map<String, Tensor> b = TinyMlp.params(7);
    try (LibtorchAdamW reference = new LibtorchAdamW(a, LR, WD)) {
      // tiny buckets: every parameter in its own bucket, and several segments per shard
      try (ZeroAdamW ours =
          new ZeroAdamW(
              ParallelContext.single(),
              b,
              new AdamWConfig(LR, 0.9, 0.999, 1e-8, WD),
              2,
              n -> false,
              64)) {
        for (int step = 0; step < 6; step++) {
          try (PointerScope s = new PointerScope()) {
            Tensor[] xy = TinyMlp.data(100 + step, 8);
            // steps 2 and 3 leave fc2.bias out of the loss: it gets no gradient and both skip it
            boolean skip = step == 2 || step == 3;
            reference.zeroGrad();
            lossFor(a, xy, skip).backward();
            reference.step();
            ours.zeroGrad();
            lossFor(b, xy, skip).backward();
            ours.step();
          }
        }
        for (String name : a.keySet()) {
          float[] x = Tensors.toFloats(a.get(name));
          float[] y = Tensors.toFloats(b.get(name));
          for (int i = 0; i < x.length; i++) {
            // the same float ops in the same order: equal to the last bit
            assertEquals(x[i], y[i], 0f, name + "[" + i + "]");
          }
        }
        assertEquals(6, ours.stepCount());
      }
    } finally {
      TinyMlp.close(a);
      TinyMlp.close(b);
    }
  }

  private static Tensor lossFor(Map<String, Tensor> p, Tensor[] xy, boolean withoutFc2Bias) {
    return TinyMlp.loss(
        p, xy[0], xy[1], withoutFc2Bias ? java.util.Set.of("fc2.bias") : java.util.Set.of());
  }

  @Test
  void fullStateRoundTripResumesExactly() {
    try (PointerScope outer = new PointerScope()) {
      Map<String, Tensor> a = TinyMlp.params(3);
      Map<String, Tensor> b = TinyMlp.params(3);
      AdamWConfig cfg = new AdamWConfig(LR, 0.9, 0.99, 1e-8, WD);
      try (ZeroAdamW straight = new ZeroAdamW(ParallelContext.single(), a, cfg, 2, n -> false)) {
        Map<String, Tensor> saved;
        try (ZeroAdamW first = new ZeroAdamW(ParallelContext.single(), b, cfg, 2, n -> false)) {
          for (int step = 0; step < 3; step++) {
            train(straight, a, step);
            train(first, b, step);
          }
          saved = first.fullOptimizerState();
        }
        assertEquals(3 * 5, saved.size());
        assertEquals(3, saved.get("fc1.weight.step").item_long());
        // a fresh optimizer (stage 0 now) resumes from the saved state
        try (ZeroAdamW resumed = new ZeroAdamW(ParallelContext.single(), b, cfg, 0, n -> false)) {
          resumed.loadFullOptimizerState(saved);
          for (int step = 3; step < 5; step++) {
            train(straight, a, step);
            train(resumed, b, step);
          }
        }
        for (String name : a.keySet()) {
          float[] x = Tensors.toFloats(a.get(name));
          float[] y = Tensors.toFloats(b.get(name));
          for (int i = 0; i < x.length; i++) {
            assertEquals(x[i], y[i], 0f, name + "[" + i + "]");
          }
        }
        saved.remove("fc1.bias.exp_avg");
        IllegalArgumentException e =
            assertThrows(
                IllegalArgumentException.class, () -> straight.loadFullOptimizerState(saved));
        assertTrue(e.getMessage().contains("missing fc1.bias.exp_avg"), e.getMessage());
      }
      TinyMlp.close(a);
      TinyMlp.close(b);
    }
  }

  private static void train(ZeroAdamW opt, Map<String, Tensor> p, int step) {
    try (PointerScope s = new PointerScope()) {
      Tensor[] xy = TinyMlp.data(200 + step, 8);
      opt.zeroGrad();
      TinyMlp.loss(p, xy[0], xy[1]).backward();
      opt.step(1.0);
    }
  }
}
