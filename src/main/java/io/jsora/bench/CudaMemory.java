package io.jsora.bench;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.cuda.CUDAAllocator;
import org.bytedeco.pytorch.cuda.DeviceStats;
import org.bytedeco.pytorch.global.torch_cuda;

/** Peak device memory from libtorch's CUDA caching allocator (only touched on CUDA devices). */
final class CudaMemory {
  private CudaMemory() {}

  /**
   * Resets the allocator's peak counters of {@code device}; the peak is then its allocated bytes'
   * high-water mark.
   */
  static Memory.Peak startPeak(Device device) {
    byte index = (byte) Math.max(0, device.index());
    CUDAAllocator a = torch_cuda.getAllocator();
    a.resetPeakStats(index);
    return () -> {
      try (PointerScope s = new PointerScope()) {
        DeviceStats stats = a.getDeviceStats(index);
        return stats.allocated_bytes().peak(); // element 0 of the stat array: all pools together
      }
    };
  }
}
