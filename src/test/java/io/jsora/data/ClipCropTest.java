package io.jsora.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jsora.tensor.Natives;
import io.jsora.tensor.Shapes;
import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Temporal windows: which frames they take, and the error for a clip shorter than the window. */
class ClipCropTest {
  @BeforeAll
  static void natives() {
    Natives.load();
  }

  @Test
  void windowsTakeConsecutiveFramesOfTheClip() {
    try (PointerScope s = new PointerScope()) {
      // frame i holds the value i everywhere
      Tensor clip =
          torch
              .arange(new Scalar(6))
              .to(torch.ScalarType.Float)
              .view(1, 1, 6, 1, 1)
              .expand(new long[] {1, 3, 6, 2, 2});
      Tensor first = ClipCrop.firstWindow(clip, 4, "a.mp4");
      assertArrayEquals(new long[] {1, 3, 4, 2, 2}, Shapes.of(first));
      assertEquals(0.0, first.select(2, 0).max().item_double());
      assertEquals(3.0, first.select(2, 3).max().item_double());
      Random r = new Random(5);
      int start =
          new Random(5).nextInt(3); // the draw randomWindow makes for 6 frames and a window of 4
      Tensor w = ClipCrop.randomWindow(clip, 4, r, "a.mp4");
      for (int i = 0; i < 4; i++) {
        assertEquals(start + i, w.select(2, i).min().item_double());
      }
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> ClipCrop.firstWindow(clip, 7, "a.mp4"));
      assertEquals("a.mp4: 6 frames, fewer than the window of 7 frames", e.getMessage());
      assertThrows(
          IllegalArgumentException.class, () -> ClipCrop.randomWindow(clip, 7, r, "a.mp4"));
    }
  }
}
