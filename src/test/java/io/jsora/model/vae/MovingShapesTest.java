package io.jsora.model.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.tensor.Shapes;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class MovingShapesTest {
  @Test
  void clipsAreDeterministicInRangeAndMove() {
    MovingShapes a = new MovingShapes(10, 6, 20, 24, 3);
    try (PointerScope s = new PointerScope();
        Tensor c = a.clip(4);
        Tensor again = new MovingShapes(10, 6, 20, 24, 3).clip(4);
        Tensor other = a.clip(5)) {
      assertArrayEquals(new long[] {1, 3, 6, 20, 24}, Shapes.of(c));
      assertEquals(0.0, Golden.maxAbsDiff(c, again), "same seed and index, same clip");
      assertTrue(Golden.maxAbsDiff(c, other) > 0.1, "different clips");
      assertTrue(
          c.min().item_double() >= -0.5 && c.max().item_double() <= 0.5, "pixels in [-0.5, 0.5]");
      double motion = c.narrow(2, 1, 5).sub(c.narrow(2, 0, 5)).abs().max().item_double();
      assertTrue(motion > 0.1, "consecutive frames differ: " + motion);
    }
  }
}
