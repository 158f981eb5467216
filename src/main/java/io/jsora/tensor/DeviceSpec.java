package io.jsora.tensor;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * Where to run, as a user names it: {@code auto} (the first GPU if there is one, else the CPU),
 * {@code cpu}, {@code cuda} (GPU 0) or {@code cuda:N}. Parsed once at the edge; {@link
 * Devices#resolve(DeviceSpec)} turns it into a device.
 *
 * @param kind which kind of device
 * @param index the GPU number for {@code cuda:N}; -1 when not given
 */
public record DeviceSpec(Kind kind, int index) {
  /** The kinds of device spec. */
  public enum Kind {
    AUTO,
    CPU,
    CUDA
  }

  public static final DeviceSpec AUTO = new DeviceSpec(Kind.AUTO, -1);
  public static final DeviceSpec CPU = new DeviceSpec(Kind.CPU, -1);

  public DeviceSpec {
    if (kind == null) {
      throw new IllegalArgumentException("device kind must be set");
    }
    if (kind != Kind.CUDA && index != -1) {
      throw new IllegalArgumentException(
          "only cuda takes a device number, got " + kind + ":" + index);
    }
    if (index < -1) {
      throw new IllegalArgumentException("a CUDA device number must be >= 0, got " + index);
    }
  }

  /**
   * Parses {@code auto}, {@code cpu}, {@code cuda} or {@code cuda:N} (any case).
   *
   * @throws IllegalArgumentException naming the value and the accepted forms
   */
  @JsonCreator
  public static DeviceSpec parse(String spec) {
    String s = spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT);
    switch (s) {
      case "auto":
        return AUTO;
      case "cpu":
        return CPU;
      case "cuda":
      case "gpu":
        return new DeviceSpec(Kind.CUDA, -1);
      default:
        if (s.startsWith("cuda:")) {
          try {
            int n = Integer.parseInt(s.substring(5));
            if (n >= 0) {
              return new DeviceSpec(Kind.CUDA, n);
            }
          } catch (NumberFormatException e) {
            // reported below
          }
        }
        throw new IllegalArgumentException(
            "'" + spec + "' is not a device: expected auto, cpu, cuda or cuda:N (N a GPU number)");
    }
  }

  /** The CUDA device of local rank {@code n}. */
  public static DeviceSpec cuda(int n) {
    return new DeviceSpec(Kind.CUDA, n);
  }

  /** Whether this spec may pick a GPU ({@code auto} or {@code cuda} without a number). */
  public boolean unpinnedGpu() {
    return kind == Kind.AUTO || (kind == Kind.CUDA && index < 0);
  }

  /** The spelling {@link #parse} reads: {@code auto}, {@code cpu}, {@code cuda}, {@code cuda:1}. */
  @JsonValue
  @Override
  public String toString() {
    return kind == Kind.CUDA && index >= 0 ? "cuda:" + index : kind.name().toLowerCase(Locale.ROOT);
  }
}
