package io.jsora.nn;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Fixed sin-cos position tables (computed in float64, returned as float32 on the CPU).
 *
 * <p>One axis of dimension {@code d}: position {@code p} maps to {@code [sin(p·ω_0..ω_{d/2-1}),
 * cos(p·ω_0..ω_{d/2-1})]} with {@code ω_k = 10000^(-k/(d/2))}, as in MAE and DiT.
 */
public final class SinCos {
  private SinCos() {}

  /**
   * The 1D table for {@code positions} (float64 {@code [N]}): {@code [N, dim]} float64; caller's
   * scope owns it.
   */
  public static Tensor axis(Tensor positions, long dim) {
    if (dim % 2 != 0 || dim <= 0) {
      throw new IllegalArgumentException(
          "sin-cos axis dimension must be positive and even, got " + dim);
    }
    Tensor omega =
        torch
            .arange(new Scalar(dim / 2), new TensorOptions(ScalarType.Double))
            .div(new Scalar(dim / 2.0)); // (d/2)
    omega = torch.pow(new Scalar(10000.0), omega).reciprocal(); // (d/2)
    Tensor out = torch.outer(positions.to(ScalarType.Double), omega); // (N, d/2)
    return torch.cat(new TensorVector(out.sin(), out.cos()), 1); // (N, d)
  }

  /**
   * The reference checkpoints' table indexed by token number: token {@code n} sits at column {@code
   * n mod side} and row {@code n / side} of a {@code side × side} grid and gets {@code
   * [axis(column) | axis(row)]}, each half {@code dim/2} wide. Returns {@code [count, dim]} float32
   * for token numbers {@code 0..count-1}.
   */
  public static Tensor tokenIndex(long count, long dim, long side) {
    if (dim % 4 != 0) {
      throw new IllegalArgumentException(
          "index position embedding needs a hidden size divisible by 4, got " + dim);
    }
    Tensor n = torch.arange(new Scalar(count), new TensorOptions(ScalarType.Long)); // (N)
    Tensor col = n.remainder(new Scalar(side)); // (N)
    Tensor row = torch.floor_divide(n, new Scalar(side)); // (N)
    return torch
        .cat(new TensorVector(axis(col, dim / 2), axis(row, dim / 2)), 1)
        .to(ScalarType.Float); // (N, dim)
  }

  /**
   * Widths of the (t, h, w) parts of a {@code dim}-wide {@link #thw} embedding: h and w get {@code
   * 2·floor(3·dim/16)} each, t the rest (for 1152: 288, 432, 432).
   */
  public static long[] thwSplit(long dim) {
    if (dim % 2 != 0 || dim < 16) {
      throw new IllegalArgumentException(
          "thw position embedding needs an even hidden size >= 16, got " + dim);
    }
    long s = 2 * ((3 * dim) / 16);
    return new long[] {dim - 2 * s, s, s};
  }

  /**
   * Each token's (t, h, w) for a {@code frames × rows × cols} token grid in frame-major, row-major
   * order: {@code [axis(t) | axis(h) | axis(w)]} with the widths of {@link #thwSplit}. Returns
   * {@code [frames·rows·cols, dim]} float32.
   */
  public static Tensor thw(long frames, long rows, long cols, long dim) {
    long[] split = thwSplit(dim);
    Tensor n =
        torch.arange(new Scalar(frames * rows * cols), new TensorOptions(ScalarType.Long)); // (N)
    Tensor w = n.remainder(new Scalar(cols)); // (N)
    Tensor h = torch.floor_divide(n, new Scalar(cols)).remainder(new Scalar(rows)); // (N)
    Tensor t = torch.floor_divide(n, new Scalar(rows * cols)); // (N)
    return torch
        .cat(new TensorVector(axis(t, split[0]), axis(h, split[1]), axis(w, split[2])), 1)
        .to(ScalarType.Float); // (N, dim)
  }
}
