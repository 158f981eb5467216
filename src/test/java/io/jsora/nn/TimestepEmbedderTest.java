package io.jsora.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jsora.tensor.Natives;
import io.jsora.tensor.Shapes;
import io.jsora.tensor.Tensors;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TimestepEmbedderTest {
  @BeforeAll
  static void natives() {
    Natives.load();
  }

  @Test
  void sinusoidalCodeIsCosThenSinOfGeometricFrequencies() {
    try (PointerScope s = new PointerScope()) {
      int dim = 10;
      Tensor e = TimestepEmbedder.sinusoidal(Tensors.of(new long[] {0, 3, 999}, 3), dim);
      assertArrayEquals(new long[] {3, dim}, Shapes.of(e));
      float[] v = Tensors.toFloats(e);
      double[] ts = {0, 3, 999};
      for (int i = 0; i < 3; i++) {
        for (int k = 0; k < dim / 2; k++) {
          double f = Math.exp(-Math.log(10000.0) * k / (dim / 2));
          // float32 arguments: |t·f| up to 1e3, so compare at float32 resolution of the argument
          assertEquals(Math.cos(ts[i] * f), v[i * dim + k], 2e-4);
          assertEquals(Math.sin(ts[i] * f), v[i * dim + dim / 2 + k], 2e-4);
        }
      }
      Tensor odd = TimestepEmbedder.sinusoidal(Tensors.of(new float[] {2.5f}, 1), 5);
      float[] o = Tensors.toFloats(odd);
      assertEquals(5, o.length);
      assertEquals(0f, o[4]);
    }
  }
}
