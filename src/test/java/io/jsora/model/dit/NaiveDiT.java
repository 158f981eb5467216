package io.jsora.model.dit;

import io.jsora.checkpoint.StateDict;
import io.jsora.nn.PatchEmbed;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * A test oracle: the DiT forward pass written out from the model's state dict in float64, with
 * attention as an explicit softmax over masked scores, LayerNorm, tanh-GELU and both position
 * tables computed by hand. Shares no layer code with {@link DiT} (only patchify, tested alone).
 */
final class NaiveDiT {
  private final DiTConfig c;
  private final StateDict w;

  NaiveDiT(DiTConfig c, StateDict weights) {
    this.c = c;
    this.w = weights;
  }

  private Tensor p(String name) {
    Tensor t = w.get(name);
    if (t == null) {
      throw new IllegalArgumentException("no parameter " + name);
    }
    return t.to(ScalarType.Double);
  }

  private Tensor linear(String prefix, Tensor x) {
    return torch.matmul(x, p(prefix + ".weight").t()).add(p(prefix + ".bias"));
  }

  static Tensor silu(Tensor x) {
    return x.mul(torch.sigmoid(x));
  }

  static Tensor gelu(Tensor x) {
    Tensor inner =
        x.add(x.pow(new Scalar(3.0)).mul(new Scalar(0.044715)))
            .mul(new Scalar(Math.sqrt(2 / Math.PI)));
    return x.mul(new Scalar(0.5)).mul(inner.tanh().add(new Scalar(1.0)));
  }

  static Tensor layerNorm(Tensor x) {
    Tensor mean = x.mean(new long[] {-1}, true, new org.bytedeco.pytorch.ScalarTypeOptional());
    Tensor var =
        x.sub(mean)
            .pow(new Scalar(2.0))
            .mean(new long[] {-1}, true, new org.bytedeco.pytorch.ScalarTypeOptional());
    return x.sub(mean).div(var.add(new Scalar(1e-6)).sqrt());
  }

  static Tensor modulate(Tensor x, Tensor shift, Tensor scale) {
    return x.mul(scale.unsqueeze(1).add(new Scalar(1.0))).add(shift.unsqueeze(1));
  }

  /** Attention with explicit softmax; {@code valid} [B, Skv] 0/1 doubles or null. */
  private Tensor attention(String prefix, Tensor x, Tensor ctx, Tensor valid) {
    long[] xs = Shapes.of(x);
    long[] cs = Shapes.of(ctx);
    long heads = c.numHeads();
    long hd = c.hiddenSize() / heads;
    Tensor q = linear(prefix + ".to_q", x).view(xs[0], xs[1], heads, hd).permute(0, 2, 1, 3);
    Tensor k = linear(prefix + ".to_k", ctx).view(cs[0], cs[1], heads, hd).permute(0, 2, 1, 3);
    Tensor v = linear(prefix + ".to_v", ctx).view(cs[0], cs[1], heads, hd).permute(0, 2, 1, 3);
    Tensor scores =
        torch.matmul(q, k.transpose(2, 3)).div(new Scalar(Math.sqrt(hd))); // (B, h, Sq, Skv)
    if (valid != null) {
      Tensor neg = valid.eq(new Scalar(0.0)).unsqueeze(1).unsqueeze(1);
      scores = scores.masked_fill(neg, new Scalar(Double.NEGATIVE_INFINITY));
    }
    Tensor e = scores.sub(scores.amax(new long[] {-1}, true)).exp();
    Tensor attn =
        e.div(e.sum(new long[] {-1}, true, new org.bytedeco.pytorch.ScalarTypeOptional()));
    Tensor o = torch.matmul(attn, v).permute(0, 2, 1, 3).reshape(xs[0], xs[1], c.hiddenSize());
    return linear(prefix + ".to_out.0", o);
  }

  /** [sin(p w_k), cos(p w_k)] rows for positions 0..n-1 mapped through {@code pos}. */
  static double[] axis(double pos, int d) {
    double[] out = new double[d];
    for (int k = 0; k < d / 2; k++) {
      double om = 1.0 / Math.pow(10000.0, k / (d / 2.0));
      out[k] = Math.sin(pos * om);
      out[d / 2 + k] = Math.cos(pos * om);
    }
    return out;
  }

  static Tensor rows(double[][] r) {
    int n = r.length;
    int d = r[0].length;
    double[] flat = new double[n * d];
    for (int i = 0; i < n; i++) {
      System.arraycopy(r[i], 0, flat, i * d, d);
    }
    return Tensors.of(flat, n, d);
  }

  static double[] concat(double[]... parts) {
    int n = 0;
    for (double[] p : parts) {
      n += p.length;
    }
    double[] out = new double[n];
    int off = 0;
    for (double[] p : parts) {
      System.arraycopy(p, 0, out, off, p.length);
      off += p.length;
    }
    return out;
  }

  private Tensor thw(long frames, long rows, long cols) {
    int d = c.hiddenSize();
    int s = 2 * ((3 * d) / 16);
    double[][] r = new double[(int) (frames * rows * cols)][];
    int i = 0;
    for (int f = 0; f < frames; f++) {
      for (int y = 0; y < rows; y++) {
        for (int x = 0; x < cols; x++) {
          r[i++] = concat(axis(f, d - 2 * s), axis(y, s), axis(x, s));
        }
      }
    }
    return rows(r);
  }

  private Tensor index(long n) {
    int d = c.hiddenSize();
    long side = c.indexGridSide();
    double[][] r = new double[(int) n][];
    for (int i = 0; i < n; i++) {
      r[i] = concat(axis(i % side, d / 2), axis(i / side, d / 2));
    }
    return rows(r);
  }

  /**
   * @param x [B, C, T, H, W]
   * @param t timesteps
   * @param text [B, L, Dt] or [B, Dt]
   * @param textValid 0/1 per text token, or null
   * @return [B, C_out, T, H, W] float64
   */
  Tensor forward(Tensor x, long[] t, Tensor text, Tensor textValid) {
    long[] xs = Shapes.of(x);
    int pz = c.patchSize();
    long d = c.hiddenSize();
    Tensor tokens = PatchEmbed.patchify(x, pz).to(ScalarType.Double);
    Tensor h =
        torch
            .matmul(tokens, p("video_embedder.proj.weight").reshape(d, -1).t())
            .add(p("video_embedder.proj.bias"));
    long s = Shapes.of(h)[1];
    double[][] freq = new double[t.length][];
    for (int b = 0; b < t.length; b++) {
      freq[b] = new double[256];
      for (int k = 0; k < 128; k++) {
        double f = Math.exp(-Math.log(10000.0) * k / 128);
        freq[b][k] = Math.cos(t[b] * f);
        freq[b][128 + k] = Math.sin(t[b] * f);
      }
    }
    Tensor cvec = linear("t_embedder.mlp.2", silu(linear("t_embedder.mlp.0", rows(freq))));
    Tensor txt = text.to(ScalarType.Double);
    Tensor valid = textValid == null ? null : textValid.to(ScalarType.Double);
    Tensor ctx = null;
    long textLen = c.modelArch().pooledText() ? 0 : Shapes.of(text)[1];
    Arch arch = c.modelArch();
    if (arch == Arch.TOKEN_CONCAT) {
      Tensor pt = linear("text_embedder.proj", txt);
      if (c.posEmbed() == PosEmbed.THW) {
        h = torch.cat(new TensorVector(pt, h.add(thw(xs[2], xs[3] / pz, xs[4] / pz))), 1);
      } else {
        h = torch.cat(new TensorVector(pt, h), 1).add(index(textLen + s));
      }
      if (valid != null) {
        valid =
            torch.cat(
                new TensorVector(valid, torch.ones(new long[] {xs[0], s}).to(ScalarType.Double)),
                1);
      }
    } else {
      h = h.add(c.posEmbed() == PosEmbed.THW ? thw(xs[2], xs[3] / pz, xs[4] / pz) : index(s));
      if (arch == Arch.ADALN) {
        cvec = cvec.add(linear("text_embedder.proj", txt));
      } else {
        ctx = txt;
      }
    }
    for (int i = 0; i < c.depth(); i++) {
      String b = "blocks." + i + ".";
      Tensor m = linear(b + "adaLN_modulation.1", silu(cvec));
      Tensor[] ch = new Tensor[6];
      for (int k = 0; k < 6; k++) {
        ch[k] = m.narrow(1, k * d, d);
      }
      Tensor a = modulate(layerNorm(h), ch[0], ch[1]);
      Tensor att =
          arch == Arch.CROSS_ATTN
              ? attention(b + "attn", a, ctx, valid)
              : attention(b + "attn", a, a, arch == Arch.TOKEN_CONCAT ? valid : null);
      h = h.add(ch[2].unsqueeze(1).mul(att));
      if (arch == Arch.SELF_CROSS) {
        Tensor n = layerNorm(h);
        h = h.add(attention(b + "cross_attn", n, ctx, valid));
      }
      Tensor mlp =
          linear(b + "mlp.fc2", gelu(linear(b + "mlp.fc1", modulate(layerNorm(h), ch[3], ch[4]))));
      h = h.add(ch[5].unsqueeze(1).mul(mlp));
    }
    if (arch == Arch.TOKEN_CONCAT) {
      h = h.narrow(1, textLen, s);
    }
    Tensor fm = linear("final_layer.adaLN_modulation.1", silu(cvec));
    Tensor out =
        linear(
            "final_layer.linear", modulate(layerNorm(h), fm.narrow(1, 0, d), fm.narrow(1, d, d)));
    return PatchEmbed.unpatchify(out, c.outChannels(), xs[2], xs[3], xs[4], pz);
  }
}
