package io.jsora.model.stdit3;

import io.jsora.nn.Layer;
import io.jsora.nn.Modulation;
import io.jsora.parallel.SequenceParallel;
import io.jsora.tensor.Shapes;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * One spatial or temporal block of STDiT3 (upstream {@code STDiT3Block}), PixArt-style modulation
 * from a table plus the shared {@code t_block} output:
 *
 * <pre>
 *   (shift1, scale1, gate1, shift2, scale2, gate2) = scale_shift_table + t_mlp.view(B, 6, C)
 *   x += gate1 · attn(LN(x)·(1 + scale1) + shift1)   // over the S tokens of a frame (spatial)
 *                                                     // or the T frames of a token (temporal, RoPE)
 *   x += cross_attn(x, y)
 *   x += gate2 · mlp(LN(x)·(1 + scale2) + shift2)
 * </pre>
 *
 * With a frame mask {@code x_mask} {@code [B, T]} every modulated input and every gated output is
 * also computed from {@code t0_mlp} (the timestep-0 conditioning), and frames whose mask is false
 * take that version. LN: no affine, eps 1e-6.
 *
 * <p>State-dict names: {@code scale_shift_table} {@code [6, C]}, {@code attn.*}, {@code
 * cross_attn.*}, {@code mlp.fc1/fc2.*}.
 */
public final class STDiT3Block extends Layer {
  private final Tensor scaleShiftTable;
  private final SelfAttention attn;
  private final CrossAttention crossAttn;
  private final Mlp mlp;
  private final boolean temporal;
  private final long dim;

  STDiT3Block(STDiT3Config c, boolean temporal, Device meta) {
    this.temporal = temporal;
    this.dim = c.hiddenSize();
    attn = child("attn", new SelfAttention(dim, c.numHeads(), c.qkNorm(), meta));
    crossAttn = child("cross_attn", new CrossAttention(dim, c.numHeads(), meta));
    mlp = child("mlp", new Mlp(dim, c.mlpHidden(), dim, meta));
    scaleShiftTable = own(table(this, "scale_shift_table", 6, dim, meta));
  }

  /**
   * Registers a modulation table {@code [rows, dim]} drawn from N(0, 1/dim) as upstream; returns a
   * new handle to it (the caller owns it).
   */
  static Tensor table(
      org.bytedeco.pytorch.Module m, String name, long rows, long dim, Device meta) {
    return Params.parameter(
        m,
        name,
        meta,
        () -> torch.randn(rows, dim).div(new Scalar(Math.sqrt((double) dim))),
        true,
        rows,
        dim);
  }

  /** The six modulation vectors of a block, each {@code [B, C]}. */
  record Mod(
      Tensor shiftMsa,
      Tensor scaleMsa,
      Tensor gateMsa,
      Tensor shiftMlp,
      Tensor scaleMlp,
      Tensor gateMlp) {
    static Mod of(Tensor table, Tensor tMlp, long dim) {
      long b = Shapes.of(tMlp)[0];
      Tensor m = table.unsqueeze(0).add(tMlp.view(b, 6, dim)); // (B, 6, C)
      return new Mod(
          m.select(1, 0),
          m.select(1, 1),
          m.select(1, 2),
          m.select(1, 3),
          m.select(1, 4),
          m.select(1, 5));
    }
  }

  /**
   * @param x {@code [B, T·S, C]} tokens, frame-major
   * @param y {@code [B, L, C]} projected captions
   * @param yMask {@code [B, 1, 1, L]} bool key mask, or null
   * @param tMlp {@code [B, 6C]}
   * @param xMask {@code [B, T]} bool (true = frame being generated), or null
   * @param t0Mlp {@code [B, 6C]} from timestep 0, with xMask
   * @param rope the temporal RoPE (used by temporal blocks only)
   * @param spatialKeys {@code [1, 1, 1, S_pad]} bool, false for padding tokens of a split sequence
   *     (spatial blocks only), or null
   * @return {@code [B, T·S, C]}
   */
  public Tensor forward(
      Tensor x,
      Tensor y,
      Tensor yMask,
      Tensor tMlp,
      Tensor xMask,
      Tensor t0Mlp,
      long t,
      long s,
      Rope rope,
      Tensor spatialKeys) {
    long b = Shapes.of(x)[0];
    Mod m = Mod.of(scaleShiftTable, tMlp, dim);
    Mod m0 = xMask == null ? null : Mod.of(scaleShiftTable, t0Mlp, dim);

    Tensor n1 = Modulation.norm(x, dim); // (B, T*S, C)
    Tensor h = Modulation.modulate(n1, m.shiftMsa(), m.scaleMsa()); // (B, T*S, C)
    if (m0 != null) {
      h =
          select(
              xMask, h, Modulation.modulate(n1, m0.shiftMsa(), m0.scaleMsa()), t, s); // (B, T*S, C)
    }
    if (temporal) {
      h = h.view(b, t, s, dim).permute(0, 2, 1, 3).reshape(b * s, t, dim); // (B*S, T, C)
      h = attn.forward(h, rope, null); // (B*S, T, C)
      h = h.view(b, s, t, dim).permute(0, 2, 1, 3).reshape(b, t * s, dim); // (B, T*S, C)
    } else {
      h = attn.forward(h.view(b * t, s, dim), null, spatialKeys).view(b, t * s, dim); // (B, T*S, C)
    }
    Tensor g = h.mul(m.gateMsa().unsqueeze(1)); // (B, T*S, C)
    if (m0 != null) {
      g = select(xMask, g, h.mul(m0.gateMsa().unsqueeze(1)), t, s); // (B, T*S, C)
    }
    x = x.add(g); // (B, T*S, C)

    x = x.add(crossAttn.forward(x, y, yMask)); // (B, T*S, C)

    Tensor n2 = Modulation.norm(x, dim); // (B, T*S, C)
    h = Modulation.modulate(n2, m.shiftMlp(), m.scaleMlp()); // (B, T*S, C)
    if (m0 != null) {
      h =
          select(
              xMask, h, Modulation.modulate(n2, m0.shiftMlp(), m0.scaleMlp()), t, s); // (B, T*S, C)
    }
    h = mlp.forward(h); // (B, T*S, C)
    g = h.mul(m.gateMlp().unsqueeze(1)); // (B, T*S, C)
    if (m0 != null) {
      g = select(xMask, g, h.mul(m0.gateMlp().unsqueeze(1)), t, s); // (B, T*S, C)
    }
    return x.add(g); // (B, T*S, C)
  }

  /**
   * Per frame: {@code a} where {@code xMask} is true, else {@code b} (upstream {@code
   * t_mask_select}).
   *
   * @param xMask {@code [B, T]} bool
   * @param a {@code [B, T·S, C]}
   * @param b {@code [B, T·S, C]}
   * @return {@code [B, T·S, C]}
   */
  static Tensor select(Tensor xMask, Tensor a, Tensor b, long t, long s) {
    long[] shape = Shapes.of(a);
    long n = shape[0], c = shape[2];
    Tensor m = xMask.view(n, t, 1, 1); // (B, T, 1, 1)
    return torch.where(m, a.view(n, t, s, c), b.view(n, t, s, c)).view(n, t * s, c); // (B, T*S, C)
  }

  /**
   * Spatial blocks split their attention's sequence over {@code sp}'s group; temporal blocks ignore
   * it.
   */
  void setSequenceParallel(SequenceParallel sp) {
    if (!temporal) {
      attn.setSequenceParallel(sp);
    }
  }

  public boolean temporal() {
    return temporal;
  }

  public SelfAttention attn() {
    return attn;
  }

  public CrossAttention crossAttn() {
    return crossAttn;
  }

  public Mlp mlp() {
    return mlp;
  }

  public Tensor scaleShiftTable() {
    return scaleShiftTable;
  }
}
