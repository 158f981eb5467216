package io.jsora.model.vae;

import io.jsora.nn.Layer;
import io.jsora.tensor.Shapes;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * VideoGPT's axial attention block: three non-causal multi-head self-attentions over the time,
 * height and width axes of the latent grid, summed. Each attends only along its axis (a sequence of
 * length T, H or W per position of the other two axes). State-dict names: {@code
 * attn_w|attn_h|attn_t.{w_qs,w_ks,w_vs,fc}}.
 */
final class AxialBlock extends Layer {
  private final Attention attnW;
  private final Attention attnH;
  private final Attention attnT;

  AxialBlock(long hidden, int heads, Device device) {
    super(device);
    if (hidden % heads != 0) {
      throw new IllegalArgumentException(
          "axial attention: " + hidden + " channels not divisible by " + heads + " heads");
    }
    attnW = child("attn_w", new Attention(hidden, heads, 4, device));
    attnH = child("attn_h", new Attention(hidden, heads, 3, device));
    attnT = child("attn_t", new Attention(hidden, heads, 2, device));
  }

  /** {@code x [B, C, T, H, W]} → same shape. */
  Tensor forward(Tensor x) {
    Tensor xl = x.permute(0, 2, 3, 4, 1).contiguous(); // (B, T, H, W, C)
    Tensor y = attnW.forward(xl).add_(attnH.forward(xl)).add_(attnT.forward(xl)); // (B, T, H, W, C)
    return y.permute(0, 4, 1, 2, 3).contiguous(); // (B, C, T, H, W)
  }

  /**
   * One head group attending along one axis: {@code w_qs}, {@code w_ks}, {@code w_vs} (no bias),
   * {@code fc}.
   */
  static final class Attention extends Layer {
    private final Linear wq;
    private final Linear wk;
    private final Linear wv;
    private final Linear fc;
    private final int heads;

    /** The attended axis in {@code (B, heads, T, H, W, d)}: 2 time, 3 height, 4 width. */
    private final int axis;

    Attention(long hidden, int heads, int axis, Device device) {
      super(device);
      this.heads = heads;
      this.axis = axis;
      wq = child("w_qs", new Linear(hidden, hidden, false, device));
      wk = child("w_ks", new Linear(hidden, hidden, false, device));
      wv = child("w_vs", new Linear(hidden, hidden, false, device));
      fc = child("fc", new Linear(hidden, hidden, true, device));
      // VideoGPT's init: N(0, 1/sqrt(dim)) for the projections (one layer, so fc too)
      double std = 1.0 / Math.sqrt(hidden);
      try (NoGradGuard g = new NoGradGuard();
          GeneratorOptional none = new GeneratorOptional()) {
        for (Linear l : new Linear[] {wq, wk, wv, fc}) {
          l.weight.normal_(0.0, std, none);
        }
      }
    }

    /** {@code x [B, T, H, W, C]} → {@code [B, T, H, W, C]}. */
    Tensor forward(Tensor x) {
      long[] s = Shapes.of(x);
      long d = s[4] / heads;
      long[] split = {s[0], s[1], s[2], s[3], heads, d};
      long[] toAxis = moveToSecondLast(axis);
      Tensor q =
          wq.forward(x)
              .view(split)
              .permute(0, 4, 1, 2, 3, 5)
              .permute(toAxis); // (B, heads, .., .., L, d)
      Tensor k = wk.forward(x).view(split).permute(0, 4, 1, 2, 3, 5).permute(toAxis);
      Tensor v = wv.forward(x).view(split).permute(0, 4, 1, 2, 3, 5).permute(toAxis);
      long[] grid = Shapes.of(q); // (B, heads, a, b, L, d)
      long len = grid[4];
      Tensor o =
          torch.scaled_dot_product_attention(
              q.reshape(-1, len, d),
              k.reshape(-1, len, d),
              v.reshape(-1, len, d)); // (B·heads·a·b, L, d)
      o = o.view(grid).permute(inverse(toAxis)); // (B, heads, T, H, W, d)
      o = o.permute(0, 2, 3, 4, 1, 5).reshape(s[0], s[1], s[2], s[3], s[4]); // (B, T, H, W, C)
      return fc.forward(o); // (B, T, H, W, C)
    }

    /**
     * The permutation of 6 dims that moves {@code axis} to position 4, keeping the others in order.
     */
    static long[] moveToSecondLast(int axis) {
      long[] p = new long[6];
      int j = 0;
      for (int i = 0; i < 6; i++) {
        if (i == 4) {
          p[i] = axis;
        } else {
          if (j == axis) {
            j++;
          }
          p[i] = j++;
        }
      }
      return p;
    }

    static long[] inverse(long[] p) {
      long[] inv = new long[p.length];
      for (int i = 0; i < p.length; i++) {
        inv[(int) p[i]] = i;
      }
      return inv;
    }
  }
}
