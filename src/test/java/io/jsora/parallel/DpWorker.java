package io.jsora.parallel;

import io.jsora.checkpoint.SafetensorsWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * Test worker (world 2, data parallel): trains {@link TinyMlp} for {@link #STEPS} steps on its half
 * of each global batch, three ways from the same start, and writes the final weights: {@code a.*}
 * GradientSync + libtorch AdamW, {@code b.*} ZeroAdamW stage 2 (tiny buckets), {@code c.*}
 * ZeroAdamW stage 2 saved after two steps and resumed by a fresh optimizer with another bucket
 * layout; plus {@code a.loss} (the global mean loss per step), {@code a.grad<step>.*} (the
 * gradients after synchronisation, where defined), {@code state_bytes.stage2} and {@code
 * state_bytes.stage0} (the optimizer state this rank holds under ZeRO-2 and replicated) and {@code
 * broadcast.*} (parameters seeded per rank, then broadcast from rank 0).
 */
public final class DpWorker {
  static final int STEPS = 4;
  static final int BATCH = 4; // per rank
  static final double LR = 0.01;
  static final double WD = 0.1;
  static final long TINY_BUCKETS = 64; // bytes: one parameter per bucket, padded shards

  private DpWorker() {}

  /** Parameters left out of a rank's loss: rank-specific at step 1, on every rank at step 2. */
  static Set<String> frozen(int step, int rank) {
    if (step == 1 && rank == 1) {
      return Set.of("fc2.bias");
    }
    return step == 2 ? Set.of("norm.weight") : Set.of();
  }

  static Tensor[] batch(int step, int rank) {
    Tensor[] xy = TinyMlp.data(500 + step, 2 * BATCH);
    return new Tensor[] {
      xy[0].narrow(0, rank * BATCH, BATCH), xy[1].narrow(0, rank * BATCH, BATCH)
    };
  }

  public static void main(String[] args) {
    Path out = Path.of(args[0]);
    WorkerMain.run(
        1,
        Duration.ofSeconds(30),
        ctx -> {
          int rank = ctx.rank();
          Map<String, Tensor> r = new LinkedHashMap<>();
          try (PointerScope s = new PointerScope()) {
            Map<String, Tensor> seeded = TinyMlp.params(100 + rank);
            GradientSync.broadcastFromRank0(ctx, seeded.values());
            seeded.forEach((k, v) -> r.put("broadcast." + k, v.detach().clone()));
            TinyMlp.close(seeded);

            Map<String, Tensor> a = TinyMlp.params(7);
            float[] losses = new float[STEPS];
            try (LibtorchAdamW opt = new LibtorchAdamW(a, LR, WD);
                GradientSync sync = new GradientSync(ctx, a, n -> true, TINY_BUCKETS)) {
              for (int step = 0; step < STEPS; step++) {
                try (PointerScope st = new PointerScope()) {
                  Tensor[] xy = batch(step, rank);
                  opt.zeroGrad();
                  Tensor loss = TinyMlp.loss(a, xy[0], xy[1], frozen(step, rank));
                  loss.backward();
                  sync.sync();
                  for (Map.Entry<String, Tensor> e :
                      a.entrySet()) { // the synchronised gradients, as the optimizer sees them
                    Tensor g = e.getValue().grad();
                    if (g.defined()) {
                      r.put(
                          "a.grad" + step + "." + e.getKey(),
                          io.jsora.tensor.Scopes.keep(g.detach().clone())); // past the step's scope
                    }
                  }
                  opt.step();
                  Tensor l = loss.detach().reshape(1).div(new Scalar(2.0));
                  ctx.world().allReduceSum(l);
                  losses[step] = l.item_float();
                }
              }
            }
            a.forEach((k, v) -> r.put("a." + k, v.detach().clone()));
            r.put("a.loss", io.jsora.tensor.Tensors.of(losses, STEPS));

            Map<String, Tensor> b = TinyMlp.params(7);
            try (ZeroAdamW opt =
                new ZeroAdamW(
                    ctx,
                    b,
                    new AdamWConfig(LR, 0.9, 0.999, 1e-8, WD),
                    2,
                    n -> true,
                    TINY_BUCKETS)) {
              for (int step = 0; step < STEPS; step++) {
                train(opt, b, step, rank);
              }
              r.put(
                  "state_bytes.stage2",
                  io.jsora.tensor.Tensors.of(new long[] {opt.stateBytes()}, 1));
            }
            b.forEach((k, v) -> r.put("b." + k, v.detach().clone()));
            try (ZeroAdamW replicated =
                new ZeroAdamW(
                    ctx,
                    b,
                    new AdamWConfig(LR, 0.9, 0.999, 1e-8, WD),
                    0,
                    n -> true,
                    TINY_BUCKETS)) {
              r.put(
                  "state_bytes.stage0",
                  io.jsora.tensor.Tensors.of(new long[] {replicated.stateBytes()}, 1));
            }

            Map<String, Tensor> c = TinyMlp.params(7);
            Map<String, Tensor> saved;
            try (ZeroAdamW first =
                new ZeroAdamW(ctx, c, new AdamWConfig(LR, 0.9, 0.999, 1e-8, WD), 2, n -> true)) {
              train(first, c, 0, rank);
              train(first, c, 1, rank);
              saved = first.fullOptimizerState();
            }
            try (ZeroAdamW resumed =
                new ZeroAdamW(
                    ctx,
                    c,
                    new AdamWConfig(LR, 0.9, 0.999, 1e-8, WD),
                    2,
                    n -> true,
                    TINY_BUCKETS)) {
              resumed.loadFullOptimizerState(saved);
              for (int step = 2; step < STEPS; step++) {
                train(resumed, c, step, rank);
              }
            }
            c.forEach((k, v) -> r.put("c." + k, v.detach().clone()));
            SafetensorsWriter.write(out.resolve("rank" + rank + ".safetensors"), r, Map.of());
          }
        });
  }

  private static void train(ZeroAdamW opt, Map<String, Tensor> p, int step, int rank) {
    try (PointerScope s = new PointerScope()) {
      Tensor[] xy = batch(step, rank);
      opt.zeroGrad();
      TinyMlp.loss(p, xy[0], xy[1], frozen(step, rank)).backward();
      opt.step();
    }
  }
}
