package io.jsora.tensor;

import java.util.Arrays;
import org.bytedeco.pytorch.LongArrayRef;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.Tensor;

/** Shape checks with messages that name the tensor and show found versus expected. */
public final class Shapes {
  private Shapes() {}

  /** The sizes of {@code t} as a Java array. */
  public static long[] of(Tensor t) {
    try (LongArrayRef r = t.sizes();
        LongVector v = r.vec()) {
      return v.get();
    }
  }

  /**
   * Checks that {@code t} has {@code expected.length} dimensions and matches each size; a negative
   * expected size matches anything.
   *
   * @throws IllegalArgumentException "x: expected shape [B, 4, *, *], found [2, 3, 8, 8]"
   */
  public static void check(Tensor t, String name, long... expected) {
    long[] actual = of(t);
    boolean ok = actual.length == expected.length;
    for (int i = 0; ok && i < actual.length; i++) {
      ok = expected[i] < 0 || expected[i] == actual[i];
    }
    if (!ok) {
      throw new IllegalArgumentException(
          name + ": expected shape " + format(expected) + ", found " + Arrays.toString(actual));
    }
  }

  /** Formats a shape with {@code *} for wildcards. */
  public static String format(long[] shape) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < shape.length; i++) {
      b.append(i == 0 ? "" : ", ").append(shape[i] < 0 ? "*" : Long.toString(shape[i]));
    }
    return b.append(']').toString();
  }

  /** Product of the sizes. */
  public static long numel(long[] shape) {
    long n = 1;
    for (long s : shape) {
      n = Math.multiplyExact(n, s);
    }
    return n;
  }
}
