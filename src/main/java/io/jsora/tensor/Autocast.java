package io.jsora.tensor;

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

  /** Autocast for {@code precision} on {@code device}. */
  public static Autocast of(Precision precision, Device device) {
    boolean cuda = device.is_cuda();
    return new Autocast(cuda ? DeviceType.CUDA : DeviceType.CPU, precision.autocast(cuda));
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
