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
    /**
     * Peak bytes since the start: resident set on the CPU, allocated device memory on CUDA; -1
     * where unknown.
     */
    long bytes();
  }

  /**
   * Starts measuring peak memory on {@code device}: the process's resident set on the CPU (the
   * kernel's high-water mark, reset where the kernel allows it, else since process start, after
   * returning freed heap pages to the kernel), the caching allocator's peak allocated bytes on
   * CUDA.
   */
  public static Peak startPeak(org.bytedeco.pytorch.Device device) {
    if (device.is_cuda()) {
      return CudaMemory.startPeak(device);
    }
    // hand memory freed earlier back to the kernel first: the allocator keeps freed pages resident,
    // and a peak reset to a resident set still holding them would hide what the next work needs
    org.bytedeco.javacpp.Pointer.trimMemory();
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

  /** Parses a size such as {@code 512m}, {@code 16g}, {@code 16GiB} or a plain byte count. */
  public static long parseSize(String text) {
    String t = text.trim().toLowerCase(java.util.Locale.ROOT).replace("ib", "").replace("b", "");
    long unit = 1;
    if (!t.isEmpty() && "kmgt".indexOf(t.charAt(t.length() - 1)) >= 0) {
      unit = 1L << (10 * ("kmgt".indexOf(t.charAt(t.length() - 1)) + 1));
      t = t.substring(0, t.length() - 1);
    }
    try {
      double v = Double.parseDouble(t.trim());
      if (v <= 0) {
        throw new NumberFormatException();
      }
      return (long) (v * unit);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "not a memory size: '" + text + "' (expected e.g. 512m, 16g or a byte count)");
    }
  }
}
