package io.jsora.parallel;

import io.jsora.checkpoint.SafetensorsWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Test worker (world 2, SP 2): runs each sequence-parallel primitive and a small attention block
 * (both modes) with autograd, and the same computation in a single process on the full sequence
 * (plain autograd, naive softmax attention). Writes {@code rank<r>.safetensors} with pairs {@code
 * <name>.sp} / {@code <name>.ref} for the test to compare.
 *
 * <p>Convention checked: every rank's loss term is its own; the reference loss is the sum of all
 * ranks' terms, so each rank's gradient must equal the reference gradient of the tensor it holds.
 */
public final class SpWorker {
  static final int B = 2;
  static final int S = 8;
  static final int C = 16;
  static final int H = 4;

  private SpWorker() {}

  public static void main(String[] args) {
    Path out = Path.of(args[0]);
    WorkerMain.run(
        2,
        Duration.ofSeconds(30),
        ctx -> {
          Map<String, Tensor> r = new LinkedHashMap<>();
          try (PointerScope s = new PointerScope()) {
            SequenceParallel sp = new SequenceParallel(ctx.sp(), SpMode.ULYSSES);
            primitives(sp, r);
            for (SpMode mode : SpMode.values()) {
              attentionBlock(
                  ctx, new SequenceParallel(ctx.sp(), mode), mode.name().toLowerCase(), r);
            }
            Map<String, Tensor> contiguous = new LinkedHashMap<>();
            r.forEach((k, v) -> contiguous.put(k, v.detach().contiguous()));
            SafetensorsWriter.write(
                out.resolve("rank" + ctx.rank() + ".safetensors"), contiguous, Map.of());
          }
        });
  }

  static Tensor randn(long seed, long... shape) {
    Generator g = torch.createCPUGenerator(seed);
    return torch.randn(shape, new GeneratorOptional(g), new TensorOptions(torch.ScalarType.Float));
  }

  static Tensor leaf(Tensor t) {
    Tensor l = t.detach().clone();
    l.requires_grad_(true);
    return l;
  }

  private static void primitives(SequenceParallel sp, Map<String, Tensor> r) {
    int p = sp.size();
    int me = sp.rank();
    long s = S / p;

    // split: forward keeps the slice, backward all-gathers
    Tensor x = leaf(randn(1, B, S, C));
    Tensor rr = randn(2, B, S, C);
    torch.tanh(sp.split(x, 1)).mul(rr.narrow(1, me * s, s)).sum().backward();
    Tensor xr = leaf(randn(1, B, S, C));
    torch.tanh(xr).mul(rr).sum().backward();
    r.put("split.grad.sp", x.grad());
    r.put("split.grad.ref", xr.grad());

    // gather: forward all-gathers, backward keeps the slice (the loss is the same on every rank)
    Tensor full = randn(3, B, S, C);
    Tensor mine = leaf(full.narrow(1, me * s, s));
    Tensor g = sp.gather(mine, 1);
    r.put("gather.out.sp", g);
    r.put("gather.out.ref", full);
    torch.tanh(g).mul(randn(4, B, S, C)).sum().backward();
    Tensor fr = leaf(full);
    torch.tanh(fr).mul(randn(4, B, S, C)).sum().backward();
    r.put("gather.grad.sp", mine.grad());
    r.put("gather.grad.ref", fr.grad().narrow(1, me * s, s));

    // gatherForSlicedUse: every rank uses the whole sequence with its own weights
    Tensor full2 = randn(5, B, S, C);
    Tensor mine2 = leaf(full2.narrow(1, me * s, s));
    torch
        .tanh(torch.matmul(sp.gatherForSlicedUse(mine2, 1), randn(10 + me, C, C)))
        .sum()
        .backward();
    Tensor fr2 = leaf(full2);
    Tensor total = null;
    for (int j = 0; j < p; j++) {
      Tensor term = torch.tanh(torch.matmul(fr2, randn(10 + j, C, C))).sum();
      total = total == null ? term : total.add(term);
    }
    total.backward();
    r.put("gatherForSlicedUse.grad.sp", mine2.grad());
    r.put("gatherForSlicedUse.grad.ref", fr2.grad().narrow(1, me * s, s));

    // allToAll: sequence split -> head split
    long dh = 3;
    Tensor full3 = randn(6, B, S, H, dh);
    Tensor mine3 = leaf(full3.narrow(1, me * s, s));
    Tensor y3 = sp.allToAll(mine3, 2, 1); // (B, S, H/P, Dh)
    r.put("allToAll.out.sp", y3);
    r.put("allToAll.out.ref", full3.narrow(2, me * (H / p), H / p));
    torch.tanh(y3).mul(randn(20 + me, B, S, H / p, dh)).sum().backward();
    Tensor fr3 = leaf(full3);
    Tensor total3 = null;
    for (int j = 0; j < p; j++) {
      Tensor term =
          torch.tanh(fr3.narrow(2, j * (H / p), H / p)).mul(randn(20 + j, B, S, H / p, dh)).sum();
      total3 = total3 == null ? term : total3.add(term);
    }
    total3.backward();
    r.put("allToAll.grad.sp", mine3.grad());
    r.put("allToAll.grad.ref", fr3.grad().narrow(1, me * s, s));

    // replicated: identity forward, sum of every rank's gradient backward
    Tensor c = leaf(randn(30, B, C));
    torch.tanh(sp.replicated(c).mul(randn(40 + me, B, C))).sum().backward();
    Tensor cr = leaf(randn(30, B, C));
    Tensor total4 = null;
    for (int j = 0; j < p; j++) {
      Tensor term = torch.tanh(cr.mul(randn(40 + j, B, C))).sum();
      total4 = total4 == null ? term : total4.add(term);
    }
    total4.backward();
    r.put("replicated.grad.sp", c.grad());
    r.put("replicated.grad.ref", cr.grad());
  }

  /** Block parameters, the same on every rank. */
  static Map<String, Tensor> blockParams() {
    Map<String, Tensor> w = new LinkedHashMap<>();
    w.put("blocks.0.qkv.weight", leaf(randn(50, 3 * C, C).mul(new Scalar(0.3))));
    w.put("blocks.0.qkv.bias", leaf(randn(51, 3 * C).mul(new Scalar(0.1))));
    w.put("blocks.0.proj.weight", leaf(randn(52, C, C).mul(new Scalar(0.3))));
    w.put("blocks.0.proj.bias", leaf(randn(53, C).mul(new Scalar(0.1))));
    w.put("final.weight", leaf(randn(54, C, C).mul(new Scalar(0.3))));
    return w;
  }

  /**
   * x (full, replicated) + conditioning → split → residual SP attention → gather → final linear (+
   * conditioning again, outside the region); loss replicated on every rank.
   */
  private static void attentionBlock(
      ParallelContext ctx, SequenceParallel sp, String tag, Map<String, Tensor> r) {
    Map<String, Tensor> w = blockParams();
    Tensor x = leaf(randn(60, B, S, C));
    Tensor cond = leaf(randn(61, B, C));
    Tensor target = randn(62, B, S, C);

    Tensor xs = sp.split(x, 1).add(sp.replicated(cond).unsqueeze(1)); // (B, S/P, C)
    Tensor att =
        SpAttention.forward(
            sp,
            xs,
            H,
            SpAttention.fusedQkv(w.get("blocks.0.qkv.weight"), w.get("blocks.0.qkv.bias"), H),
            SpAttention.sdpa(),
            o ->
                torch.linear(
                    o,
                    w.get("blocks.0.proj.weight"),
                    new TensorOptional(w.get("blocks.0.proj.bias"))));
    Tensor h = sp.gather(xs.add(att), 1); // (B, S, C)
    Tensor out = torch.linear(h, w.get("final.weight")).add(cond.unsqueeze(1));
    torch.tanh(out).mul(target).sum().backward();
    try (GradientSync sync = new GradientSync(ctx, w, name -> !name.startsWith("blocks."))) {
      sync.sync();
    }
    r.put(tag + ".out.sp", out);
    r.put(tag + ".x.grad.sp", x.grad());
    r.put(tag + ".cond.grad.sp", cond.grad());
    w.forEach((k, v) -> r.put(tag + "." + k + ".grad.sp", v.grad()));

    Map<String, Tensor> wr = blockParams();
    Tensor xr = leaf(randn(60, B, S, C));
    Tensor cr = leaf(randn(61, B, C));
    Tensor xin = xr.add(cr.unsqueeze(1));
    Tensor hr = xin.add(naiveAttention(xin, wr));
    Tensor outr = torch.linear(hr, wr.get("final.weight")).add(cr.unsqueeze(1));
    torch.tanh(outr).mul(target).sum().backward();
    r.put(tag + ".out.ref", outr);
    r.put(tag + ".x.grad.ref", xr.grad());
    r.put(tag + ".cond.grad.ref", cr.grad());
    wr.forEach((k, v) -> r.put(tag + "." + k + ".grad.ref", v.grad()));
  }

  /** Softmax attention written out: qkv linear, (q kᵀ)/√Dh, softmax, · v, output linear. */
  static Tensor naiveAttention(Tensor x, Map<String, Tensor> w) {
    long dh = C / H;
    Tensor qkv =
        torch.linear(
            x,
            w.get("blocks.0.qkv.weight"),
            new TensorOptional(w.get("blocks.0.qkv.bias"))); // (B, S, 3C)
    qkv = qkv.reshape(B, S, 3, H, dh).permute(2, 0, 3, 1, 4); // (3, B, H, S, Dh)
    Tensor q = qkv.select(0, 0);
    Tensor k = qkv.select(0, 1);
    Tensor v = qkv.select(0, 2);
    Tensor scores =
        torch.matmul(q, k.transpose(-2, -1)).div(new Scalar(Math.sqrt(dh))); // (B, H, S, S)
    Tensor o = torch.matmul(torch.softmax(scores, -1), v); // (B, H, S, Dh)
    o = o.transpose(1, 2).reshape(B, S, C); // (B, S, C)
    return torch.linear(
        o, w.get("blocks.0.proj.weight"), new TensorOptional(w.get("blocks.0.proj.bias")));
  }
}
