package io.jsora.bench;

import io.jsora.tensor.DType;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Tensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * The machine's achieved GEMM throughput through libtorch: the practical peak that model and
 * training benchmarks divide by to report MFU.
 */
public final class MatmulBench {
  private MatmulBench() {}

  /** CPU flags (as {@code /proc/cpuinfo} names them) that mean bf16 matrix products in hardware. */
  public static final List<String> NATIVE_BF16_FLAGS = List.of("avx512_bf16", "amx_bf16");

  /**
   * What to time when not told: fp32, plus bf16 where it runs natively (CUDA, or a CPU with one of
   * {@link #NATIVE_BF16_FLAGS}); elsewhere bf16 is emulated, many times slower than fp32, and
   * {@code note} says it was left out.
   */
  public record Defaults(List<DType> dtypes, String note) {}

  /**
   * {@link Defaults} for a CUDA device or a CPU whose {@code /proc/cpuinfo} reads {@code cpuinfo}.
   */
  public static Defaults defaultDtypes(boolean cuda, String cpuinfo) {
    if (cuda || nativeBf16(cpuinfo)) {
      return new Defaults(List.of(DType.F32, DType.BF16), null);
    }
    String why =
        cpuinfo.isBlank()
            ? "the CPU's flags could not be read"
            : "this CPU has no native bf16 (no "
                + String.join(" or ", NATIVE_BF16_FLAGS)
                + " flag)";
    return new Defaults(
        List.of(DType.F32),
        "bf16 skipped: "
            + why
            + ", so bf16 products are emulated and slow; ask for them with --dtypes f32,bf16");
  }

  /** Whether a {@code flags} line of {@code cpuinfo} names one of {@link #NATIVE_BF16_FLAGS}. */
  public static boolean nativeBf16(String cpuinfo) {
    for (String line : cpuinfo.split("\n")) {
      int colon = line.indexOf(':');
      if (colon < 0 || !line.substring(0, colon).trim().equals("flags")) {
        continue;
      }
      for (String flag : line.substring(colon + 1).trim().split("\\s+")) {
        if (NATIVE_BF16_FLAGS.contains(flag)) {
          return true;
        }
      }
    }
    return false;
  }

  /** This machine's {@code /proc/cpuinfo}, or "" where there is none. */
  public static String cpuinfo() {
    try {
      return Files.readString(Path.of("/proc/cpuinfo"));
    } catch (IOException | UncheckedIOException e) {
      return "";
    }
  }

  /** Times square matmuls of each size and dtype; returns one record per (dtype, size). */
  public static List<BenchRecord> run(
      Device device, List<DType> dtypes, int[] sizes, int warmup, int runs) throws Exception {
    return run(device, dtypes, sizes, warmup, runs, r -> {});
  }

  /**
   * As {@link #run(Device, List, int[], int, int)}, handing each record to {@code done} as soon as
   * it is measured.
   */
  public static List<BenchRecord> run(
      Device device,
      List<DType> dtypes,
      int[] sizes,
      int warmup,
      int runs,
      Consumer<BenchRecord> done)
      throws Exception {
    Natives.load();
    List<BenchRecord> out = new ArrayList<>();
    for (DType dtype : dtypes) {
      for (int n : sizes) {
        try (PointerScope scope = new PointerScope()) {
          TensorOptions o = Tensors.options(dtype, device);
          Tensor a = torch.randn(new long[] {n, n}, o);
          Tensor b = torch.randn(new long[] {n, n}, o);
          int inner = Math.max(1, (int) (2e8 / (2.0 * n * n * n)));
          Timing t =
              Stopwatch.time(
                  warmup,
                  runs,
                  inner,
                  () -> {
                    a.matmul(b);
                    if (device.is_cuda()) {
                      synchronize();
                    }
                  });
          double flops = 2.0 * n * n * n;
          Map<String, Object> cfg = new LinkedHashMap<>();
          cfg.put("n", n);
          cfg.put("dtype", dtype.safetensorsName());
          cfg.put("device", Devices.name(device));
          cfg.put("threads", Natives.threads());
          BenchRecord r =
              BenchRecord.of("matmul_" + dtype.name().toLowerCase() + "_" + n, cfg, t)
                  .withTflops(flops / t.median() / 1e12);
          out.add(r);
          done.accept(r);
        }
      }
    }
    return out;
  }

  /** The best TFLOP/s among the records of {@code dtype} (the peak MFU divides by). */
  public static double peakTflops(List<BenchRecord> records, DType dtype) {
    return records.stream()
        .filter(r -> dtype.safetensorsName().equals(r.config().get("dtype")))
        .mapToDouble(BenchRecord::tflops)
        .max()
        .orElseThrow(() -> new IllegalArgumentException("no matmul record for " + dtype));
  }

  /** Waits for queued CUDA work (only called on CUDA devices). */
  static void synchronize() {
    org.bytedeco.pytorch.global.torch_cuda.getCurrentCUDAStream((byte) 0).synchronize();
  }
}
