package io.jsora.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ScopesTest {
  @BeforeAll
  static void natives() {
    Natives.load();
  }

  @Test
  void localFreesTemporariesAndHandsResultsToTheEnclosingScope() {
    Tensor[] temp = new Tensor[1];
    Tensor[] out;
    try (PointerScope outer = new PointerScope()) {
      out =
          Scopes.local(
              () -> {
                temp[0] = torch.ones(new long[] {3});
                Tensor sum = temp[0].add(temp[0]);
                return new Tensor[] {sum, sum, null};
              });
      assertTrue(temp[0].isNull(), "the temporary is freed when the local scope returns");
      assertSame(out[0], out[1]);
      assertNull(out[2]);
      assertFalse(out[0].isNull());
      assertEquals(6.0, out[0].sum().item_double(), 0.0);
    }
    assertTrue(out[0].isNull(), "the result belongs to the enclosing scope");
  }
}
