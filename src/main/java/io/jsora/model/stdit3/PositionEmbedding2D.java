package io.jsora.model.stdit3;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The per-frame 2D sin-cos position table of STDiT3 (upstream {@code PositionEmbedding2D}),
 * computed in float32 as upstream does, with resolution-dependent positions:
 *
 * <pre>
 *   p_col(j) = j / scale · base_size / W,  p_row(i) = i / scale · base_size / H
 *   ω_k = 1 / 10000^(2k / (dim/2)),  k < dim/4
 *   emb(i, j) = [sin(p_col·ω), cos(p_col·ω), sin(p_row·ω), cos(p_row·ω)]     (dim wide)
 * </pre>
 *
 * The first half encodes the column (upstream builds its grid width-first); tokens in row-major
 * order. Nothing is stored: no state-dict key.
 */
public final class PositionEmbedding2D {
  private PositionEmbedding2D() {}

  /**
   * @param h patch rows H
   * @param w patch columns W
   * @param scale {@code sqrt(height·width) / input_sq_size} (pixels)
   * @param baseSize {@code round(sqrt(H·W))}
   * @return {@code [1, H·W, dim]} float32 on {@code device}
   */
  public static Tensor table(long h, long w, double scale, long baseSize, long dim, Device device) {
    Tensor rows = grid(h, scale, baseSize); // (H)
    Tensor cols = grid(w, scale, baseSize); // (W)
    Tensor colAt = cols.unsqueeze(0).expand(h, w).reshape(h * w); // (H*W)
    Tensor rowAt = rows.unsqueeze(1).expand(h, w).reshape(h * w); // (H*W)
    long half = dim / 2;
    Tensor k =
        torch.arange(
            new Scalar(0),
            new Scalar(half),
            new Scalar(2),
            new TensorOptions(ScalarType.Float)); // (dim/4)
    Tensor invFreq =
        torch.pow(new Scalar(10000.0), k.div(new Scalar((double) half))).reciprocal(); // (dim/4)
    Tensor emb =
        torch.cat(
            new TensorVector(sinCos(colAt, invFreq), sinCos(rowAt, invFreq)), -1); // (H*W, dim)
    return emb.unsqueeze(0).to(device, ScalarType.Float); // (1, H*W, dim)
  }

  /** {@code arange(n) / scale · (baseSize / n)} in float32, the order upstream computes it. */
  private static Tensor grid(long n, double scale, long baseSize) {
    Tensor g =
        torch
            .arange(new Scalar(n), new TensorOptions(ScalarType.Long))
            .div(new Scalar(scale)); // (n) f32
    return g.mul(new Scalar((double) baseSize / n)); // (n)
  }

  private static Tensor sinCos(Tensor p, Tensor invFreq) {
    Tensor out = torch.outer(p, invFreq); // (N, dim/4)
    return torch.cat(new TensorVector(out.sin(), out.cos()), -1); // (N, dim/2)
  }
}
