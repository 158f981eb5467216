package io.jsora.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.SafetensorsFile;
import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.Tensors;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data parallelism with 2 processes equals one process with the doubled batch: plain DP
 * (bucketed all-reduce + libtorch AdamW), ZeRO-2, and ZeRO-2 resumed from a gathered state.
 */
class DataParallelTest {
  /**
   * Max |weight difference| after {@link DpWorker#STEPS} AdamW steps (weights of order 1): the
   * gradient of a mean over 8 samples against the average of two means over 4 differs by float32
   * round-off, which Adam's normalisation can enlarge. Measured: 1.5e-8.
   */
  static final double WEIGHT_TOL = 1e-7;

  @Test
  @Timeout(120)
  void twoProcessesEqualOneWithTheDoubledBatch(@TempDir Path dir) throws Exception {
    Workers.Result r = Workers.launch(2, DpWorker.class, Duration.ofSeconds(110), dir.toString());
    assertEquals(0, r.status(), r.all());

    Map<String, Tensor> ref = TinyMlp.params(7);
    float[] refLoss = new float[DpWorker.STEPS];
    try (PointerScope outer = new PointerScope();
        LibtorchAdamW opt = new LibtorchAdamW(ref, DpWorker.LR, DpWorker.WD)) {
      for (int step = 0; step < DpWorker.STEPS; step++) {
        try (PointerScope s = new PointerScope()) {
          Tensor[] xy = TinyMlp.data(500 + step, 2 * DpWorker.BATCH);
          opt.zeroGrad();
          Tensor loss;
          Set<String> f0 = DpWorker.frozen(step, 0);
          if (f0.equals(DpWorker.frozen(step, 1))) {
            loss = TinyMlp.loss(ref, xy[0], xy[1], f0); // one batch of 2b
          } else { // the ranks' losses differ in what they leave out: their mean
            Tensor[] b0 = DpWorker.batch(step, 0);
            Tensor[] b1 = DpWorker.batch(step, 1);
            loss = TinyMlp.loss(ref, b0[0], b0[1], f0).add(TinyMlp.loss(ref, b1[0], b1[1], DpWorker.frozen(step, 1))).div(new Scalar(2.0));
          }
          loss.backward();
          opt.step();
          refLoss[step] = loss.item_float();
        }
      }
    }
    double worst = 0;
    try (PointerScope s = new PointerScope()) {
      Map<String, Tensor> seeded = TinyMlp.params(100);
      for (int rank = 0; rank < 2; rank++) {
        try (StateDict sd = SafetensorsFile.read(dir.resolve("rank" + rank + ".safetensors"))) {
          for (String name : ref.keySet()) {
            assertEquals(0.0, sd.get("broadcast." + name).sub(seeded.get(name)).abs().max().item_double(), "broadcast " + name);
            for (String mode : new String[] {"a", "b", "c"}) {
              double d = sd.get(mode + "." + name).sub(ref.get(name)).abs().max().item_double();
              assertTrue(d <= WEIGHT_TOL, "rank " + rank + " mode " + mode + " " + name + ": max |w - ref| = " + d);
              worst = Math.max(worst, d);
            }
          }
          float[] loss = Tensors.toFloats(sd.get("a.loss"));
          for (int i = 0; i < loss.length; i++) {
            assertEquals(refLoss[i], loss[i], 1e-6 * Math.abs(refLoss[i]), "loss at step " + i);
          }
        }
      }
      TinyMlp.close(seeded);
    } finally {
      TinyMlp.close(ref);
    }
    System.out.println("data parallel: worst |w - ref| = " + worst);
  }
}
