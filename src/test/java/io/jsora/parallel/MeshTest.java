package io.jsora.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.checkpoint.SafetensorsFile;
import io.jsora.checkpoint.StateDict;
import io.jsora.tensor.Tensors;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * DP 2 × SP 2 on 4 processes, started as two "nodes" of 2 by two launchers: the mesh and its
 * groups, and a miniature DiT trained with ZeRO-2 (saved and resumed) equal to one process.
 */
class MeshTest {
  /** Max |weight difference| after three AdamW steps; measured 2e-7. */
  static final double WEIGHT_TOL = 5e-7;

  @Test
  @Timeout(150)
  void dp2xsp2TrainsAndResumesLikeOneProcess(@TempDir Path dir) throws Exception {
    int port = Launcher.freePort();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<Workers.Result>> nodes =
          List.of(0, 1).stream()
              .map(
                  node ->
                      pool.submit(
                          () ->
                              Workers.launch(
                                  new Launcher.Spec(
                                      2,
                                      2,
                                      node,
                                      "127.0.0.1",
                                      port,
                                      MeshWorker.class.getName(),
                                      List.of(dir.toString()),
                                      Duration.ofSeconds(5),
                                      Map.of()),
                                  Duration.ofSeconds(140))))
              .toList();
      for (Future<Workers.Result> f : nodes) {
        Workers.Result r = f.get();
        assertEquals(0, r.status(), r.all());
      }
    } finally {
      pool.shutdownNow();
    }

    Map<String, Tensor> ref;
    try (PointerScope outer = new PointerScope()) {
      ref = MeshModel.params();
      try (ZeroAdamW opt =
          new ZeroAdamW(ParallelContext.single(), ref, MeshWorker.CONFIG, 0, n -> true)) {
        for (int step = 0; step < 3; step++) {
          try (PointerScope s = new PointerScope()) {
            opt.zeroGrad();
            // the mean over the global batch: one sample per DP replica
            MeshModel.loss(ref, SequenceParallel.none(), MeshModel.sample(2L * step))
                .add(MeshModel.loss(ref, SequenceParallel.none(), MeshModel.sample(2L * step + 1)))
                .div(new Scalar(2.0))
                .backward();
            opt.step(1.0);
          }
        }
      }
      double worst = 0;
      for (int rank = 0; rank < 4; rank++) {
        try (StateDict sd = SafetensorsFile.read(dir.resolve("rank" + rank + ".safetensors"))) {
          int dp = rank / 2;
          int sp = rank % 2;
          assertArrayEquals(
              new long[] {rank, dp, 2, sp, 2, rank % 2},
              Tensors.toLongs(sd.get("mesh.coords")),
              "rank " + rank);
          assertArrayEquals(
              new long[] {sp, sp + 2},
              Tensors.toLongs(sd.get("mesh.dp")),
              "dp group of rank " + rank);
          assertArrayEquals(
              new long[] {2 * dp, 2 * dp + 1},
              Tensors.toLongs(sd.get("mesh.sp")),
              "sp group of rank " + rank);
          assertEquals(
              2 * sp + 2,
              Tensors.toFloats(sd.get("mesh.dpsum"))[0],
              "all-reduce over the dp group of rank " + rank);
          assertEquals(
              4 * dp + 1,
              Tensors.toFloats(sd.get("mesh.spsum"))[0],
              "all-reduce over the sp group of rank " + rank);
          for (String name : ref.keySet()) {
            double d = sd.get("w." + name).sub(ref.get(name)).abs().max().item_double();
            assertTrue(d <= WEIGHT_TOL, "rank " + rank + " " + name + ": max |w - ref| = " + d);
            worst = Math.max(worst, d);
          }
        }
      }
      System.out.println("mesh dp2 x sp2: worst |w - ref| = " + worst);
    }
  }
}
