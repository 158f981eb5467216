package io.jsora.tensor;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.DeviceType;

/**
 * Device selection: {@code cpu}, {@code cuda}, {@code cuda:N} or {@code auto} (CUDA when a GPU and
 * the GPU build are present, else CPU).
 *
 * <p>On the CPU build, touching {@code torch_cuda} throws {@link ExceptionInInitializerError}; all
 * GPU queries go through this class, which asks {@code torch.cuda_is_available()} first.
 */
public final class Devices {
  private Devices() {}

  /** Whether libtorch sees a usable CUDA device (false on the CPU build). */
  public static boolean cudaAvailable() {
    Natives.load();
    try {
      return torch.cuda_is_available();
    } catch (Throwable t) {
      return false;
    }
  }

  /** Number of CUDA devices, 0 on the CPU build or without a GPU. */
  public static int cudaDeviceCount() {
    return cudaAvailable() ? torch.cuda_device_count() : 0;
  }

  /** The CPU device; caller owns it. */
  public static Device cpu() {
    Natives.load();
    return new Device(DeviceType.CPU);
  }

  /**
   * Resolves a user device spec; caller owns the result.
   *
   * @throws IllegalArgumentException for an unknown spec, or {@code cuda} without a GPU
   */
  public static Device resolve(String spec) {
    return resolve(DeviceSpec.parse(spec == null ? "auto" : spec));
  }

  /**
   * The device {@code spec} names; caller owns the result.
   *
   * @throws IllegalArgumentException for {@code cuda} without a GPU, or a GPU number not present
   */
  public static Device resolve(DeviceSpec spec) {
    Natives.load();
    switch (spec.kind()) {
      case AUTO:
        return cudaAvailable() ? new Device(DeviceType.CUDA, (byte) 0) : cpu();
      case CPU:
        return cpu();
      default:
        break;
    }
    if (!cudaAvailable()) {
      throw new IllegalArgumentException(
          "device "
              + spec
              + ": no CUDA device is available (this build is "
              + (isGpuBuild()
                  ? "the GPU build, but no GPU was found"
                  : "the CPU build; build with ./mvnw -Pcuda package")
              + ")");
    }
    int index = Math.max(0, spec.index());
    int count = cudaDeviceCount();
    if (index >= count) {
      throw new IllegalArgumentException(
          "device " + spec + ": only " + count + " CUDA device(s) present");
    }
    return new Device(DeviceType.CUDA, (byte) index);
  }

  /** Whether the libtorch natives on the class path are the CUDA build. */
  public static boolean isGpuBuild() {
    String platform = org.bytedeco.javacpp.Loader.getPlatform();
    return torch.class.getResource("/org/bytedeco/pytorch/" + platform + "-gpu/") != null;
  }

  /** A short name for logs: {@code cpu} or {@code cuda:0}. */
  public static String name(Device d) {
    return d.is_cuda() ? "cuda:" + Math.max(0, d.index()) : "cpu";
  }

  /** Waits for the work queued on {@code device} (CUDA); returns at once on the CPU. */
  public static void synchronize(Device device) {
    if (device.is_cuda()) {
      org.bytedeco.pytorch.global.torch_cuda.device_synchronize();
    }
  }
}
