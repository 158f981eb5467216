package io.jsora.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.SafetensorsFile;
import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.Scopes;
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
 * Data parallelism with 2 processes equals one process with the doubled batch: plain DP (bucketed
 * all-reduce + libtorch AdamW, compared gradient by gradient as well as by the weights Adam makes
 * of them), ZeRO-2 (holding half the optimizer state per rank), and ZeRO-2 resumed from a gathered
 * state.
 */
class DataParallelTest {
  /**
   * Max |weight difference| after {@link DpWorker#STEPS} AdamW steps (weights of order 1): the
   * gradient of a mean over 8 samples against the average of two means over 4 differs by float32
   * round-off, which Adam's normalisation can enlarge. Measured: 1.5e-8.
   */
  static final double WEIGHT_TOL = 1e-7;

  /**
   * Max |synchronised − single-process gradient| relative to the gradient's max: float32 round-off.
   */
  static final double GRAD_TOL = 1e-6;

  @Test
  @Timeout(120)
  void twoProcessesEqualOneWithTheDoubledBatch(@TempDir Path dir) throws Exception {
    Workers.Result r = Workers.launch(2, DpWorker.class, Duration.ofSeconds(110), dir.toString());
    assertEquals(0, r.status(), r.all());

    Map<String, Tensor> ref = TinyMlp.params(7);
    float[] refLoss = new float[DpWorker.STEPS];
    Map<String, Tensor> refGrads =
        new java.util
            .LinkedHashMap<>(); // "<step>.<name>": one process's gradient of the global batch
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
            loss =
                TinyMlp.loss(ref, b0[0], b0[1], f0)
                    .add(TinyMlp.loss(ref, b1[0], b1[1], DpWorker.frozen(step, 1)))
                    .div(new Scalar(2.0));
          }
          loss.backward();
          for (Map.Entry<String, Tensor> e : ref.entrySet()) {
            Tensor g = e.getValue().grad();
            if (g.defined()) {
              refGrads.put(step + "." + e.getKey(), Scopes.keep(g.detach().clone()));
            }
          }
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
          // the synchronised gradients themselves: the replicas' average (a sum would be twice it),
          // defined exactly where one process has a gradient
          for (int step = 0; step < DpWorker.STEPS; step++) {
            for (String name : ref.keySet()) {
              Tensor want = refGrads.get(step + "." + name);
              String key = "a.grad" + step + "." + name;
              assertEquals(
                  want != null,
                  sd.names().contains(key),
                  "rank " + rank + " has a gradient for " + key);
              if (want != null) {
                double d = sd.get(key).sub(want).abs().max().item_double();
                double scale = want.abs().max().item_double();
                assertTrue(
                    d <= GRAD_TOL * scale,
                    "rank "
                        + rank
                        + " "
                        + key
                        + ": max |g - ref| = "
                        + d
                        + " for max |ref| = "
                        + scale);
              }
            }
          }
          // ZeRO-2 state: this rank's half of each (padded) bucket, one parameter per bucket here
          long shardElems = 0;
          long allElems = 0;
          for (String name : ref.keySet()) {
            long n = ref.get(name).numel();
            shardElems += (n + 1) / 2;
            allElems += n;
          }
          long stage2 = sd.get("state_bytes.stage2").item_long();
          long stage0 = sd.get("state_bytes.stage0").item_long();
          assertEquals(
              4 * 4 * allElems,
              stage0,
              "rank " + rank + ": replicated fp32 master, moments and gradient");
          assertEquals(
              4 * 4 * shardElems,
              stage2,
              "rank "
                  + rank
                  + ": ZeRO-2 holds 1/2 of the optimizer state ("
                  + stage0
                  + " bytes replicated)");
          for (String name : ref.keySet()) {
            assertEquals(
                0.0,
                sd.get("broadcast." + name).sub(seeded.get(name)).abs().max().item_double(),
                "broadcast " + name);
            for (String mode : new String[] {"a", "b", "c"}) {
              double d = sd.get(mode + "." + name).sub(ref.get(name)).abs().max().item_double();
              assertTrue(
                  d <= WEIGHT_TOL,
                  "rank " + rank + " mode " + mode + " " + name + ": max |w - ref| = " + d);
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
      Scopes.closeAll(new java.util.ArrayList<>(refGrads.values()));
    }
    System.out.println("data parallel: worst |w - ref| = " + worst);
  }
}
