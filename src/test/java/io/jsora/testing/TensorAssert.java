package io.jsora.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;

/** The tests' one tensor comparison: element-wise tolerance, reporting the worst element. */
public final class TensorAssert {
  private TensorAssert() {}

  /** Asserts |a − b| ≤ atol + rtol·|b| element-wise, naming the worst element. */
  public static void assertClose(
      Tensor expected, Tensor actual, double rtol, double atol, String what) {
    assertArrayEquals(Shapes.of(expected), Shapes.of(actual), what + ": shape");
    double[] e = Tensors.toDoubles(expected);
    double[] a = Tensors.toDoubles(actual);
    int worst = -1;
    double worstExcess = 0;
    for (int i = 0; i < e.length; i++) {
      double excess = Math.abs(a[i] - e[i]) - (atol + rtol * Math.abs(e[i]));
      if (!(excess <= worstExcess)) {
        worst = i;
        worstExcess = Double.isNaN(excess) ? Double.POSITIVE_INFINITY : excess;
      }
    }
    if (worst >= 0) {
      throw new AssertionError(
          what
              + ": element "
              + worst
              + " expected "
              + e[worst]
              + " found "
              + a[worst]
              + " (rtol "
              + rtol
              + ", atol "
              + atol
              + ")");
    }
  }
}
