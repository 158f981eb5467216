package io.jsora.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jsora.tensor.Natives;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Position tables against the closed form, evaluated with java.lang.Math. */
class SinCosTest {
  @BeforeAll
  static void natives() {
    Natives.load();
  }

  /** [sin(p w_k) for k < d/2, cos(p w_k) for k < d/2], w_k = 10000^(-k/(d/2)). */
  static double[] axis(double p, int d) {
    double[] out = new double[d];
    for (int k = 0; k < d / 2; k++) {
      double w = 1.0 / Math.pow(10000.0, k / (d / 2.0));
      out[k] = Math.sin(p * w);
      out[d / 2 + k] = Math.cos(p * w);
    }
    return out;
  }

  static void assertRow(float[] table, int dim, int row, double[]... parts) {
    int off = 0;
    for (double[] part : parts) {
      for (double v : part) {
        assertEquals(v, table[row * dim + off], 1e-6, "row " + row + " column " + off);
        off++;
      }
    }
  }

  @Test
  void tokenIndexTableIsTheReferenceGridByTokenNumber() {
    try (PointerScope s = new PointerScope()) {
      int dim = 16;
      long side = 512;
      Tensor t = SinCos.tokenIndex(1030, dim, side);
      assertArrayEquals(new long[] {1030, dim}, Shapes.of(t));
      float[] v = Tensors.toFloats(t);
      for (int n : new int[] {0, 1, 511, 512, 1029}) {
        // token n sits at column n % side (first half), row n / side (second half)
        assertRow(v, dim, n, axis(n % side, dim / 2), axis(n / side, dim / 2));
      }
    }
  }

  @Test
  void thwTableEncodesEachTokensFrameRowAndColumn() {
    try (PointerScope s = new PointerScope()) {
      int dim = 32;
      long[] split = SinCos.thwSplit(dim);
      assertArrayEquals(new long[] {8, 12, 12}, split);
      assertArrayEquals(new long[] {288, 432, 432}, SinCos.thwSplit(1152));
      Tensor t = SinCos.thw(3, 4, 5, dim);
      assertArrayEquals(new long[] {60, dim}, Shapes.of(t));
      float[] v = Tensors.toFloats(t);
      for (int n : new int[] {0, 7, 20, 59}) {
        int f = n / 20;
        int r = (n / 5) % 4;
        int c = n % 5;
        assertRow(v, dim, n, axis(f, 8), axis(r, 12), axis(c, 12));
      }
    }
  }

  @Test
  void rejectsWidthsTheTablesCannotSplit() {
    assertThrows(IllegalArgumentException.class, () -> SinCos.thwSplit(14));
    try (PointerScope s = new PointerScope()) {
      assertThrows(IllegalArgumentException.class, () -> SinCos.tokenIndex(4, 18, 512));
    }
  }
}
