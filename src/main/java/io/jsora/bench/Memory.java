package io.jsora.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident-memory figures of this process, from {@code /proc/self/status}. */
public final class Memory {
  private Memory() {}

  /** Peak resident set size (VmHWM) in bytes, or -1 where unavailable. */
  public static long peakResidentBytes() {
    return field("VmHWM:");
  }

  /** Current resident set size (VmRSS) in bytes, or -1 where unavailable. */
  public static long residentBytes() {
    return field("VmRSS:");
  }

  /**
   * Resets the kernel's peak counter so the next {@link #peakResidentBytes()} covers only what
   * follows; returns false where the kernel does not allow it.
   */
  public static boolean resetPeak() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
      return true;
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return false;
    }
  }

  /** A peak measurement started by {@link #startPeak}. */
  public interface Peak {
    /** Peak bytes since the start: resident set on the CPU, allocated device memory on CUDA; -1 where unknown. */
    long bytes();
  }

  /**
   * Starts measuring peak memory on {@code device}: the process's resident set on the CPU (the
   * kernel's high-water mark, reset where the kernel allows it, else since process start), the
   * caching allocator's peak allocated bytes on CUDA.
   */
  public static Peak startPeak(org.bytedeco.pytorch.Device device) {
    if (device.is_cuda()) {
      return CudaMemory.startPeak(device);
    }
    resetPeak();
    return Memory::peakResidentBytes;
  }

  private static long field(String name) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(name)) {
          String[] parts = line.substring(name.length()).trim().split("\\s+");
          return Long.parseLong(parts[0]) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }
}
