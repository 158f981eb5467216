package io.jsora.parallel;

import io.jsora.checkpoint.SafetensorsWriter;
import io.jsora.tensor.Tensors;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;

/**
 * Test worker (world 4 = DP 2 × SP 2): reports its mesh coordinates and groups, then trains {@link
 * MeshModel} with ZeRO-2 over all 4 ranks for three steps (Ulysses, FastSeq, Ulysses), saving the
 * full optimizer state after two and resuming with a fresh optimizer. Each DP replica trains on one
 * sample per step: sample {@code 2·step + dpRank}.
 */
public final class MeshWorker {
  /**
   * eps 1e-3, not 1e-8: the key bias's true gradient is zero (softmax ignores a shift shared by all
   * keys), so its computed gradient is round-off noise of about 1e-9, which AdamW with a tiny eps
   * would turn into full-size steps in directions that differ between any two summation orders.
   */
  static final AdamWConfig CONFIG = new AdamWConfig(0.02, 0.9, 0.999, 1e-3, 0.05);

  private MeshWorker() {}

  public static void main(String[] args) {
    Path out = Path.of(args[0]);
    WorkerMain.run(
        2,
        Duration.ofSeconds(30),
        ctx -> {
          Map<String, Tensor> r = new LinkedHashMap<>();
          try (PointerScope s = new PointerScope()) {
            r.put(
                "mesh.coords",
                Tensors.of(
                    new long[] {
                      ctx.rank(),
                      ctx.dpRank(),
                      ctx.dpSize(),
                      ctx.spRank(),
                      ctx.spSize(),
                      ctx.localRank()
                    },
                    6));
            r.put("mesh.dp", Tensors.of(toLongs(ctx.dp().globalRanks()), ctx.dp().size()));
            r.put("mesh.sp", Tensors.of(toLongs(ctx.sp().globalRanks()), ctx.sp().size()));
            Tensor dpSum = Tensors.of(new float[] {ctx.rank()}, 1);
            ctx.dp().allReduceSum(dpSum);
            Tensor spSum = Tensors.of(new float[] {ctx.rank()}, 1);
            ctx.sp().allReduceSum(spSum);
            r.put("mesh.dpsum", dpSum);
            r.put("mesh.spsum", spSum);

            Map<String, Tensor> p = MeshModel.params();
            GradientSync.broadcastFromRank0(ctx, p.values());
            AdamWConfig cfg = CONFIG;
            Map<String, Tensor> saved;
            try (ZeroAdamW opt = new ZeroAdamW(ctx, p, cfg, 2, MeshModel::complete, 256)) {
              step(ctx, opt, p, 0, SpMode.ULYSSES);
              step(ctx, opt, p, 1, SpMode.FASTSEQ);
              saved = opt.fullOptimizerState();
            }
            try (ZeroAdamW opt = new ZeroAdamW(ctx, p, cfg, 2, MeshModel::complete)) {
              opt.loadFullOptimizerState(saved);
              step(ctx, opt, p, 2, SpMode.ULYSSES);
            }
            p.forEach((k, v) -> r.put("w." + k, v.detach().clone()));
            SafetensorsWriter.write(out.resolve("rank" + ctx.rank() + ".safetensors"), r, Map.of());
          }
        });
  }

  private static void step(
      ParallelContext ctx, ZeroAdamW opt, Map<String, Tensor> p, int step, SpMode mode) {
    try (PointerScope s = new PointerScope()) {
      opt.zeroGrad();
      MeshModel.loss(
              p, new SequenceParallel(ctx.sp(), mode), MeshModel.sample(2L * step + ctx.dpRank()))
          .backward();
      opt.step(1.0);
    }
  }

  private static long[] toLongs(int[] a) {
    long[] l = new long[a.length];
    for (int i = 0; i < a.length; i++) {
      l[i] = a[i];
    }
    return l;
  }
}
