package io.jsora.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.StateDict;
import io.jsora.parallel.AdamWConfig;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Natives;
import io.jsora.testing.GpuTest;
import java.nio.file.Path;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoint round trip with parameters and optimizer state on CUDA. */
class TrainGpuTest {
  @TempDir Path root;

  @BeforeAll
  static void natives() {
    Natives.load();
  }

  @GpuTest
  void cudaOptimizerStateRoundTripsThroughACheckpoint() throws Exception {
    try (Device gpu = Devices.resolve("cuda");
        TinyNet a = new TinyNet(1);
        TinyNet b = new TinyNet(2)) {
      a.to(gpu, false);
      b.to(gpu, false);
      try (AdamWOptimizer oa = AdamWOptimizer.create(a, AdamWConfig.defaults().withLr(0.01));
          AdamWOptimizer ob = AdamWOptimizer.create(b, AdamWConfig.defaults().withLr(0.01));
          Ema ea = Ema.of(a, 0.9);
          Ema eb = Ema.of(b, 0.9)) {
        for (int step = 0; step < 3; step++) {
          try (PointerScope s = new PointerScope()) {
            Tensor[] batch = TinyNet.batch(step);
            Tensor err =
                a.forward(batch[0].to(gpu, batch[0].scalar_type()))
                    .sub(batch[1].to(gpu, batch[1].scalar_type()));
            oa.zeroGrad();
            err.mul(err).mean().backward();
            oa.step();
            ea.update();
          }
        }
        Path dir =
            new Checkpointer(root, 1)
                .save(
                    a,
                    ea,
                    oa,
                    TrainState.fresh(0, LrSchedule.of("constant", 0.01, 0, 0, 0))
                        .withStep(3, 0, 24),
                    null);
        Checkpointer.restore(dir, b, eb, ob);
        try (StateDict sa = oa.stateDict(root);
            StateDict sb = ob.stateDict(root)) {
          for (String n : sa.names()) {
            assertTrue(sa.get(n).equal(sb.get(n)), n);
          }
        }
        try (StateDict sb = StateDict.of(b)) {
          assertTrue(sb.get("proj.weight").is_cuda(), "weights stay on the GPU");
        }
      }
    }
  }
}
