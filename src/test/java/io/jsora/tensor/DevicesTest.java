package io.jsora.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsora.testing.GpuTest;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

class DevicesTest {
  @Test
  void cpuAndAutoResolve() {
    try (Device cpu = Devices.resolve("cpu")) {
      assertEquals("cpu", Devices.name(cpu));
    }
    try (Device auto = Devices.resolve("auto")) {
      assertEquals(Devices.cudaAvailable(), auto.is_cuda());
    }
  }

  @Test
  void badSpecsAreClearErrors() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Devices.resolve("tpu"));
    assertEquals(
        "'tpu' is not a device: expected auto, cpu, cuda or cuda:N (N a GPU number)",
        e.getMessage());
    if (!Devices.cudaAvailable()) {
      IllegalArgumentException c =
          assertThrows(IllegalArgumentException.class, () -> Devices.resolve("cuda"));
      assertTrue(
          c.getMessage().startsWith("device cuda: no CUDA device is available"), c.getMessage());
    }
  }

  @Test
  void dtypesMapByCodeNotIdentity() {
    try (PointerScope s = new PointerScope()) {
      for (DType d : DType.values()) {
        Tensor t = torch.zeros(new long[] {1}).to(d.scalarType());
        assertEquals(d, DType.of(t));
      }
    }
    assertEquals(DType.BF16, DType.parse("bfloat16"));
    assertEquals(DType.F16, DType.parse("fp16"));
    assertThrows(IllegalArgumentException.class, () -> DType.parse("f8"));
  }

  @Test
  void seededGeneratorsRepeat() {
    try (PointerScope s = new PointerScope()) {
      float[] a =
          Tensors.toFloats(
              torch.randn(
                  new long[] {5},
                  new org.bytedeco.pytorch.GeneratorOptional(Seeds.cpuGenerator(42)),
                  new org.bytedeco.pytorch.TensorOptions()));
      float[] b =
          Tensors.toFloats(
              torch.randn(
                  new long[] {5},
                  new org.bytedeco.pytorch.GeneratorOptional(Seeds.cpuGenerator(42)),
                  new org.bytedeco.pytorch.TensorOptions()));
      org.junit.jupiter.api.Assertions.assertArrayEquals(a, b);
    }
    assertTrue(Seeds.mix(1, 2) != Seeds.mix(2, 1));
    assertEquals(Seeds.mix(7, 3, 9), Seeds.mix(7, 3, 9));
  }

  @GpuTest
  void cudaTensorRoundTrip() {
    try (PointerScope s = new PointerScope();
        Device cuda = Devices.resolve("cuda")) {
      Tensor x = Tensors.of(new float[] {1, 2, 3}, 3).to(cuda, torch.ScalarType.Float);
      assertTrue(x.is_cuda());
      org.junit.jupiter.api.Assertions.assertArrayEquals(
          new float[] {2, 4, 6}, Tensors.toFloats(x.mul(new org.bytedeco.pytorch.Scalar(2.0))));
    }
  }
}
