package io.jsora.parallel;

import io.jsora.tensor.Shapes;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Multi-head self-attention over a sequence split across a sequence-parallel group, built from a
 * model's own pieces: a q/k/v projection that can produce any contiguous range of heads, an
 * attention core, and an output projection. With P = 1 it is plain attention, so a model's block
 * always calls {@link #forward}.
 *
 * <pre>{@code
 * // in a block's forward, x: (B, S/P, C) this rank's tokens
 * Tensor h = SpAttention.forward(sp, x, numHeads,
 *     SpAttention.fusedQkv(qkv.weight(), qkv.bias(), numHeads),   // nn.Linear(C, 3C) as in timm/DiT
 *     SpAttention.sdpa(),                                          // or the model's own core
 *     o -> proj.forward(o));                                       // (B, S/P, C)
 * }</pre>
 *
 * <ul>
 *   <li>{@link SpMode#ULYSSES}: project the local S/P tokens to all H heads; one all-to-all moves
 *       q, k and v together to (B, S, H/P, Dh); attention; one all-to-all back to (B, S/P, H, Dh);
 *       output projection.
 *   <li>{@link SpMode#FASTSEQ}: all-gather the block input (backward: reduce-scatter); project the
 *       whole sequence to this rank's H/P heads only; attention; one all-to-all back; output
 *       projection.
 * </ul>
 *
 * Both give the outputs of single-process attention on this rank's tokens, and exact gradients (see
 * {@link SequenceParallel}); weight gradients are partial (summed over the SP group by the gradient
 * sync).
 */
public final class SpAttention {
  private SpAttention() {}

  /** q, k, v, each (B, N, heads, Dh). */
  public record Qkv(Tensor q, Tensor k, Tensor v) {}

  /** Projects tokens to q, k, v for heads {@code [headStart, headStart + headCount)}. */
  @FunctionalInterface
  public interface QkvProjection {
    /**
     * @param x tokens (B, N, C)
     * @return q, k, v, each (B, N, headCount, Dh)
     */
    Qkv project(Tensor x, int headStart, int headCount);
  }

  /** Attention over the whole sequence for some heads. */
  @FunctionalInterface
  public interface AttentionCore {
    /**
     * @param q (B, N, h, Dh), likewise k and v
     * @return (B, N, h, Dh)
     */
    Tensor attend(Tensor q, Tensor k, Tensor v);
  }

  /** The output projection (B, N, C) → (B, N, C), applied to this rank's tokens. */
  @FunctionalInterface
  public interface OutProjection {
    Tensor project(Tensor o);
  }

  /**
   * Self-attention of this rank's tokens against the whole sequence.
   *
   * @param x this rank's tokens (B, S/P, C)
   * @param numHeads H, divisible by P
   * @return (B, S/P, C)
   * @throws IllegalArgumentException when H or S is not divisible by P
   */
  public static Tensor forward(
      SequenceParallel sp,
      Tensor x,
      int numHeads,
      QkvProjection qkv,
      AttentionCore core,
      OutProjection out) {
    long[] shape = Shapes.of(x);
    if (shape.length != 3) {
      throw new IllegalArgumentException(
          "SpAttention: expected tokens (B, N, C), found " + Shapes.format(shape));
    }
    long b = shape[0];
    long n = shape[1];
    long c = shape[2];
    if (c % numHeads != 0) {
      throw new IllegalArgumentException(
          "SpAttention: hidden size " + c + " not divisible by " + numHeads + " heads");
    }
    int p = sp.size();
    if (p == 1) {
      Qkv t = qkv.project(x, 0, numHeads); // (B, N, H, Dh)
      Tensor o = core.attend(t.q(), t.k(), t.v()); // (B, N, H, Dh)
      return out.project(o.reshape(b, n, c)); // (B, N, C)
    }
    sp.checkHeads(numHeads);
    sp.checkSequence(n * p, "SpAttention");
    int local = numHeads / p;
    Tensor o;
    switch (sp.mode()) {
      case ULYSSES -> {
        Qkv t = qkv.project(x, 0, numHeads); // (B, S/P, H, Dh) each
        Tensor stacked;
        try (TensorVector v = new TensorVector(t.q(), t.k(), t.v())) {
          stacked = torch.stack(v, 2); // (B, S/P, 3, H, Dh)
        }
        Tensor heads = sp.allToAll(stacked, 3, 1); // (B, S, 3, H/P, Dh)
        try (TensorVector u = heads.unbind(2)) {
          o =
              core.attend(
                  new Tensor(u.get(0)),
                  new Tensor(u.get(1)),
                  new Tensor(u.get(2))); // (B, S, H/P, Dh)
        }
      }
      case FASTSEQ -> {
        Tensor full = sp.gatherForSlicedUse(x, 1); // (B, S, C)
        Qkv t = qkv.project(full, sp.rank() * local, local); // (B, S, H/P, Dh) each
        o = core.attend(t.q(), t.k(), t.v()); // (B, S, H/P, Dh)
      }
      default -> throw new IllegalStateException("unknown mode " + sp.mode());
    }
    Tensor back = sp.allToAll(o, 1, 2); // (B, S/P, H, Dh)
    return out.project(back.reshape(b, n, c)); // (B, S/P, C)
  }

  /**
   * A projection by one fused linear layer {@code nn.Linear(C, 3C)} whose output is laid out as
   * {@code (3, H, Dh)} (q, then k, then v; head-major), as in timm's and DiT's attention. A head
   * range uses only the weight rows of those heads.
   *
   * @param weight (3C, C)
   * @param bias (3C) or null
   */
  public static QkvProjection fusedQkv(Tensor weight, Tensor bias, int numHeads) {
    long[] w = Shapes.of(weight);
    if (w.length != 2 || w[0] != 3 * w[1]) {
      throw new IllegalArgumentException(
          "fusedQkv: expected weight (3C, C), found " + Shapes.format(w));
    }
    long c = w[1];
    long dh = c / numHeads;
    return (x, h0, hn) -> {
      long[] s = Shapes.of(x);
      if (h0 == 0 && hn == numHeads) {
        Tensor y =
            bias == null
                ? torch.linear(x, weight)
                : torch.linear(x, weight, new TensorOptional(bias)); // (B, N, 3C)
        try (TensorVector u = y.reshape(s[0], s[1], 3, numHeads, dh).unbind(2)) {
          // get(i) refers into the vector: copy the handles before the vector is freed
          return new Qkv(
              new Tensor(u.get(0)),
              new Tensor(u.get(1)),
              new Tensor(u.get(2))); // (B, N, H, Dh) each
        }
      }
      Tensor[] out = new Tensor[3];
      for (int i = 0; i < 3; i++) {
        long row = i * c + h0 * dh;
        Tensor wi = weight.narrow(0, row, hn * dh); // (hn·Dh, C)
        Tensor y =
            bias == null
                ? torch.linear(x, wi)
                : torch.linear(x, wi, new TensorOptional(bias.narrow(0, row, hn * dh)));
        out[i] = y.reshape(s[0], s[1], hn, dh); // (B, N, hn, Dh)
      }
      return new Qkv(out[0], out[1], out[2]);
    };
  }

  /**
   * A projection by three linear layers (each {@code nn.Linear(C, C)}, output head-major).
   *
   * @param biases q, k, v biases (each (C)) or nulls
   */
  public static QkvProjection separateQkv(
      Tensor wq, Tensor bq, Tensor wk, Tensor bk, Tensor wv, Tensor bv, int numHeads) {
    Tensor[] ws = {wq, wk, wv};
    Tensor[] bs = {bq, bk, bv};
    return (x, h0, hn) -> {
      long[] s = Shapes.of(x);
      Tensor[] out = new Tensor[3];
      for (int i = 0; i < 3; i++) {
        long c = Shapes.of(ws[i])[0];
        long dh = c / numHeads;
        Tensor wi = h0 == 0 && hn == numHeads ? ws[i] : ws[i].narrow(0, h0 * dh, hn * dh);
        Tensor bi =
            bs[i] == null
                ? null
                : h0 == 0 && hn == numHeads ? bs[i] : bs[i].narrow(0, h0 * dh, hn * dh);
        Tensor y =
            bi == null
                ? torch.linear(x, wi)
                : torch.linear(x, wi, new TensorOptional(bi)); // (B, N, hn·Dh)
        out[i] = y.reshape(s[0], s[1], hn, dh); // (B, N, hn, Dh)
      }
      return new Qkv(out[0], out[1], out[2]);
    };
  }

  /** Scaled dot-product attention without mask, scale 1/√Dh. */
  public static AttentionCore sdpa() {
    return (q, k, v) -> {
      Tensor o =
          torch.scaled_dot_product_attention(
              q.transpose(1, 2),
              k.transpose(1, 2),
              v.transpose(1, 2), // (B, h, N, Dh)
              new TensorOptional(),
              0.0,
              false,
              new DoubleOptional(),
              false);
      return o.transpose(1, 2); // (B, N, h, Dh)
    };
  }
}
