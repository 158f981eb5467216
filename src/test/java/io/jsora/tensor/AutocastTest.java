package io.jsora.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.testing.GpuTest;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

class AutocastTest {
  @Test
  void bf16RegionRunsMatmulsInBf16AndRestoresFp32() {
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu()) {
      Tensor a = torch.randn(new long[] {4, 4});
      try (Autocast ac = Autocast.of(Precision.BF16, cpu)) {
        assertTrue(ac.enabled());
        assertEquals(DType.BF16, DType.of(a.matmul(a)));
      }
      assertEquals(DType.F32, DType.of(a.matmul(a)));
      assertFalse(torch.is_autocast_enabled(torch.DeviceType.CPU));
    }
  }

  @Test
  void autoIsFp32OnTheCpu() {
    try (PointerScope s = new PointerScope();
        Device cpu = Devices.cpu();
        Autocast ac = Autocast.of(Precision.AUTO, cpu)) {
      assertFalse(ac.enabled());
      Tensor a = torch.randn(new long[] {2, 2});
      assertEquals(DType.F32, DType.of(a.matmul(a)));
    }
    try (Device cpu = Devices.cpu()) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> Autocast.of(Precision.parse("fp8"), cpu));
      assertEquals("'fp8' is not one of auto, fp32, bf16", e.getMessage());
    }
  }

  @GpuTest
  void autoIsBf16OnCuda() {
    try (PointerScope s = new PointerScope();
        Device cuda = Devices.resolve("cuda");
        Autocast ac = Autocast.of(Precision.AUTO, cuda)) {
      assertTrue(ac.enabled());
      Tensor a = torch.randn(new long[] {4, 4}).to(cuda, torch.ScalarType.Float);
      assertEquals(DType.BF16, DType.of(a.matmul(a)));
    }
  }
}
