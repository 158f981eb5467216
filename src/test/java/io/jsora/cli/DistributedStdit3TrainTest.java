package io.jsora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.SafetensorsFile;
import io.jsora.checkpoint.StateDict;
import io.jsora.parallel.Workers;
import io.jsora.run.CheckpointLayout;
import io.jsora.run.TrainConfig;
import io.jsora.train.Stdit3TrainingTest;
import io.jsora.train.TrainFixtures;
import io.jsora.train.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jsora train --model-family stdit3} on two processes through {@code jsora launch} (Gloo on
 * 127.0.0.1) against one process on the same data: data parallelism, ZeRO-2, and sequence
 * parallelism (each frame's spatial tokens split over the two ranks, Ulysses in the spatial
 * attention, the temporal attention local). The reference takes 4 rows per step; the data-parallel
 * runs 2 per replica on 2 replicas, the sequence-parallel run 4 on its one replica, so every step
 * sees the same rows, noise, timesteps, frame masks and caption dropout.
 *
 * <p>Weights are compared as {@link DistributedTrainTest} compares them, except the key half of
 * each cross-attention's {@code kv_linear.bias}: adding one vector to every key shifts all of a
 * query's logits alike, so softmax cancels it and its gradient is zero up to rounding; AdamW turns
 * that rounding (which differs between a sum over one batch and over two) into updates of the
 * learning rate's size, in a direction that changes nothing the model computes. The losses, which
 * would show any effect, are compared at every step.
 */
class DistributedStdit3TrainTest {
  /**
   * Max |weight or optimizer-state difference| after three AdamW steps, relative to the tensor's
   * largest magnitude (at least 1). Looser than the DiT's: STDiT3's weights include elements whose
   * gradients are near zero at the first steps (about 1e-8, Adam's epsilon), where AdamW's
   * normalisation turns float32 round-off of the batch sum into a visible fraction of a
   * learning-rate step (2e-3 here). Measured: 1.6e-5 (data parallel), 1.8e-6 (sequence parallel);
   * the losses and gradient norms, compared at {@link DistributedTrainTest#LOSS_TOL}, agree to 2e-6
   * every step.
   */
  static final double WEIGHT_TOL = 5e-5;

  @TempDir static Path shared;
  static Path dataset;
  static Path reference;
  static final List<String> report = new ArrayList<>();

  @BeforeAll
  static void referenceRun() throws IOException {
    dataset = TrainFixtures.dataset(shared, 8, 4, 3);
    reference = shared.resolve("reference");
    try (Trainer t = new Trainer(config(reference, 3, 4))) {
      assertEquals(3, t.run().steps());
    }
  }

  /** The tiny STDiT3 with rflow and masks, a constant learning rate, a checkpoint every step. */
  static TrainConfig config(Path run, long steps, int batch) {
    return Stdit3TrainingTest.stdit3(dataset, run, steps, batch).toBuilder()
        .lrSchedule(TrainConfig.LrScheduleKind.CONSTANT)
        .saveInterval(1)
        .keepLast(0)
        .build();
  }

  @Test
  @Timeout(300)
  void twoDataParallelProcessesAndZero2EqualOne(@TempDir Path dir) throws Exception {
    Path dp = dir.resolve("dp");
    Workers.Result r =
        DistributedTrainTest.launchLogging(
            2, "--config", DistributedTrainTest.configFile(dir, config(dp, 3, 2)).toString());
    assertEquals(0, r.status(), r.all());
    assertTrue(
        r.err().contains("over 2 data-parallel replica(s) x 1 sequence-parallel rank(s)"), r.err());
    DistributedTrainTest.compareMetrics("stdit3 dp 2x2 vs 1x4", dp, reference, 3);
    compareCheckpoints(
        "stdit3 dp 2x2 vs 1x4", dp.resolve("step-0000003"), reference.resolve("step-0000003"));

    Path zero = dir.resolve("zero");
    Workers.Result z =
        DistributedTrainTest.launchLogging(
            2,
            "--config",
            DistributedTrainTest.configFile(dir, config(zero, 3, 2)).toString(),
            "--zero",
            "2");
    assertEquals(0, z.status(), z.all());
    assertTrue(z.err().contains("ZeRO-2"), z.err());
    DistributedTrainTest.compareMetrics("stdit3 zero-2 vs 1x4", zero, reference, 3);
    compareCheckpoints(
        "stdit3 zero-2 vs plain dp", zero.resolve("step-0000003"), dp.resolve("step-0000003"));
    System.out.println(String.join("\n", report));
    report.clear();
  }

  @Test
  @Timeout(300)
  void twoSequenceParallelProcessesEqualOne(@TempDir Path dir) throws Exception {
    Path sp = dir.resolve("sp");
    Workers.Result r =
        DistributedTrainTest.launchLogging(
            2,
            "--config",
            DistributedTrainTest.configFile(dir, config(sp, 3, 4)).toString(),
            "--sp-size",
            "2");
    assertEquals(0, r.status(), r.all());
    assertTrue(
        r.err().contains("over 1 data-parallel replica(s) x 2 sequence-parallel rank(s)"), r.err());
    DistributedTrainTest.compareMetrics("stdit3 sp 2 vs 1", sp, reference, 3);
    compareCheckpoints(
        "stdit3 sp 2 vs 1", sp.resolve("step-0000003"), reference.resolve("step-0000003"));
    System.out.println(String.join("\n", report));
    report.clear();
  }

  /**
   * Model, EMA and optimizer state of two checkpoints agree within {@link #WEIGHT_TOL}, the key
   * half of the cross-attention key/value biases aside (see the class comment).
   */
  static void compareCheckpoints(String what, Path a, Path b) throws IOException {
    double worst = 0;
    String worstName = "";
    for (String f :
        new String[] {CheckpointLayout.MODEL, CheckpointLayout.EMA, CheckpointLayout.OPTIMIZER}) {
      try (StateDict x = SafetensorsFile.read(a.resolve(f));
          StateDict y = SafetensorsFile.read(b.resolve(f));
          PointerScope s = new PointerScope()) {
        assertEquals(y.names(), x.names(), what + ": entries of " + f);
        for (String n : x.names()) {
          Tensor p = x.get(n).to(ScalarType.Double);
          Tensor q = y.get(n).to(ScalarType.Double);
          if (n.contains("cross_attn.kv_linear.bias") && p.dim() == 1) {
            long half = p.size(0) / 2; // keys first, then values
            p = p.narrow(0, half, half);
            q = q.narrow(0, half, half);
          }
          double rel =
              p.numel() == 0
                  ? 0
                  : p.sub(q).abs().max().item_double() / Math.max(1, q.abs().max().item_double());
          assertTrue(
              rel <= WEIGHT_TOL, what + ": " + f + " " + n + " differs by " + rel + " (relative)");
          if (rel > worst) {
            worst = rel;
            worstName = f + " " + n;
          }
        }
      }
    }
    report.add(
        String.format(
            "%s: worst relative weight/state difference %.2e (%s)", what, worst, worstName));
  }
}
