package io.jsora.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.tensor.Natives;
import io.jsora.tensor.Tensors;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ScheduleAndGuardTest {
  @BeforeAll
  static void natives() {
    Natives.load();
  }

  @Test
  void cosineScheduleWarmsUpLinearlyThenFollowsHalfACosine() {
    LrSchedule s = LrSchedule.of("cosine", 1e-3, 10, 110, 1e-5);
    assertEquals(1e-4, s.lr(0), 1e-18);
    assertEquals(5e-4, s.lr(4), 1e-18);
    assertEquals(1e-3, s.lr(9), 1e-18);
    assertEquals(1e-3, s.lr(10), 1e-18, "peak right after warm-up");
    assertEquals(1e-5 + 0.5 * (1e-3 - 1e-5), s.lr(60), 1e-15, "half way");
    assertEquals(1e-5 + 0.5 * (1e-3 - 1e-5) * (1 + Math.cos(Math.PI * 0.25)), s.lr(35), 1e-15);
    assertEquals(1e-5, s.lr(110), 1e-18);
    assertEquals(1e-5, s.lr(5000), 1e-18, "stays at the floor past the end");
    // upstream: no warm-up, to 0
    LrSchedule up = LrSchedule.of("cosine", 1e-4, 0, 1000, 0);
    assertEquals(1e-4, up.lr(0), 0);
    assertEquals(0.5e-4 * (1 + Math.cos(Math.PI * 0.3)), up.lr(300), 1e-18);
    for (long k = 1; k < 1000; k++) {
      assertTrue(up.lr(k) <= up.lr(k - 1), "monotone");
    }
  }

  @Test
  void constantScheduleAndTheRoundTripThroughStateJson() throws Exception {
    LrSchedule c = LrSchedule.of("constant", 3e-3, 100, 0, 0);
    assertEquals(3e-5, c.lr(0), 1e-18);
    assertEquals(3e-3, c.lr(99), 0);
    assertEquals(3e-3, c.lr(100000), 0);
    for (LrSchedule s :
        List.of(
            c,
            LrSchedule.of("cosine", 1e-4, 5, 50, 1e-6),
            LrSchedule.of("constant", 1e-4, 0, 0, 0))) {
      String json = Checkpointer.JSON.writeValueAsString(s.toMap());
      @SuppressWarnings("unchecked")
      Map<String, Object> back = Checkpointer.JSON.readValue(json, Map.class);
      assertEquals(s, LrSchedule.fromMap(back));
    }
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> LrSchedule.of("cosine", 1e-4, 100, 50, 0));
    assertTrue(
        e.getMessage().contains("total steps (50) must exceed the warm-up steps (100)"),
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> LrSchedule.of("linear", 1e-4, 0, 10, 0));
  }

  @Test
  void nanGuardSkipsBadStepsAndStopsAfterTooManyInARow() {
    NanGuard g = new NanGuard(3);
    assertTrue(g.admit(0, 0.5, 1.0));
    assertFalse(g.admit(1, Double.NaN, 1.0));
    assertFalse(g.admit(2, 0.4, Double.POSITIVE_INFINITY));
    assertTrue(g.admit(3, 0.4, 2.0), "a good step resets the run of bad ones");
    assertEquals(2, g.skipped());
    assertEquals(0, g.consecutive());
    assertFalse(g.admit(4, Double.NaN, Double.NaN));
    assertFalse(g.admit(5, Double.NEGATIVE_INFINITY, 1));
    NanGuard.DivergedException e =
        assertThrows(NanGuard.DivergedException.class, () -> g.admit(6, Double.NaN, 3.0));
    assertTrue(e.getMessage().contains("3 steps in a row (steps 4..6"), e.getMessage());
    assertTrue(e.getMessage().contains("5 steps skipped in total"), e.getMessage());
    assertTrue(e.getMessage().contains("Lower the learning rate"), e.getMessage());
    // counters survive a resume
    NanGuard resumed = new NanGuard(3, 5, 2);
    assertThrows(NanGuard.DivergedException.class, () -> resumed.admit(7, Double.NaN, 1));
    assertThrows(IllegalArgumentException.class, () -> new NanGuard(0));
  }

  @Test
  void gradientClippingUsesTheGlobalNorm() {
    try (PointerScope s = new PointerScope()) {
      Tensor a = Tensors.of(new float[] {1, 2}, 2).requires_grad_(true);
      Tensor b = Tensors.of(new float[] {3, 4, 5}, 3).requires_grad_(true);
      Tensor unused = Tensors.of(new float[] {1}, 1).requires_grad_(true);
      // grads: a → 3·[1, 1], b → [2·3, 2·4, 2·5]
      a.sum().mul(new Scalar(3.0)).add(b.mul(b).sum()).backward();
      double norm = Math.sqrt(9 + 9 + 36 + 64 + 100);
      List<Tensor> params = List.of(a, b, unused);
      assertEquals(norm, GradClip.globalNorm(params), 1e-5);
      assertEquals(
          norm, GradClip.clip(params, 100.0), 1e-5, "below the bound: measured, unchanged");
      assertEquals(3f, Tensors.toFloats(a.grad())[0], 0f);
      assertEquals(norm, GradClip.clip(params, 1.0), 1e-5, "returns the norm before clipping");
      assertEquals(1.0, GradClip.globalNorm(params), 1e-5, "clipped to the bound");
      assertEquals(3 / norm, Tensors.toFloats(a.grad())[0], 1e-6);
      b.grad().fill_(new Scalar(Double.NaN));
      assertTrue(Double.isNaN(GradClip.clip(params, 1.0)), "NaN passes through to the guard");
    }
  }
}
