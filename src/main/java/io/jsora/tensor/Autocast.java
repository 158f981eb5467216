package io.jsora.tensor;

import java.util.Locale;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Mixed precision for a forward pass: inside {@code try (Autocast a = Autocast.of(precision,
 * device))}, libtorch runs matmuls and convolutions in bfloat16 while parameters, gradients and the
 * optimizer stay float32. Thread-local, like libtorch's autocast state; close it before backward.
 *
 * <p>{@code auto} means bf16 on CUDA and fp32 on the CPU: on CPUs without bf16 instructions (AVX2)
 * a bf16 transformer block measured 20× slower than fp32.
 */
public final class Autocast implements AutoCloseable {
  private final DeviceType deviceType;
  private final boolean enabled;
  private final boolean previous;

  private Autocast(DeviceType deviceType, boolean enabled) {
    this.deviceType = deviceType;
    this.enabled = enabled;
    this.previous = enabled && torch.is_autocast_enabled(deviceType);
    if (enabled) {
      torch.set_autocast_dtype(deviceType, ScalarType.BFloat16);
      torch.set_autocast_enabled(deviceType, true);
      torch.increment_nesting();
    }
  }

  /**
   * Autocast for {@code precision} ({@code auto}, {@code fp32} or {@code bf16}) on {@code device}.
   *
   * @throws IllegalArgumentException for an unknown precision
   */
  public static Autocast of(String precision, Device device) {
    String p = precision == null ? "auto" : precision.toLowerCase(Locale.ROOT);
    boolean cuda = device.is_cuda();
    boolean on = switch (p) {
      case "auto" -> cuda;
      case "fp32", "f32", "float32" -> false;
      case "bf16", "bfloat16" -> true;
      default -> throw new IllegalArgumentException("precision must be auto, fp32 or bf16, got '" + precision + "'");
    };
    return new Autocast(cuda ? DeviceType.CUDA : DeviceType.CPU, on);
  }

  /** Whether matmuls run in bf16 inside this region. */
  public boolean enabled() {
    return enabled;
  }

  @Override
  public void close() {
    if (enabled) {
      torch.set_autocast_enabled(deviceType, previous);
      if (torch.decrement_nesting() == 0) {
        torch.clear_cache();
      }
    }
  }
}
