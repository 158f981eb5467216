package io.jsora.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.tensor.Natives;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/** Confirms the counter the leak check relies on sees tensor handles, and scopes release them. */
class NativeLeakCheckTest {
  @Test
  void counterSeesTensorsAndScopesReleaseThem() {
    Natives.load();
    long base = Pointer.totalCount();
    try (PointerScope s = new PointerScope()) {
      Tensor a = torch.randn(new long[] {8, 8});
      Tensor b = a.matmul(a).add(a);
      assertTrue(Pointer.totalCount() >= base + 2, "tensor handles are counted");
      b.sum();
    }
    assertEquals(base, Pointer.totalCount(), "scope released every handle");
    Tensor leaked = torch.ones(new long[] {3});
    assertEquals(base + 1, Pointer.totalCount(), "a handle outside a scope stays counted");
    leaked.close();
    assertEquals(base, Pointer.totalCount());
  }
}
