package io.jsora.bench;

import io.jsora.tensor.DType;
import io.jsora.tensor.Devices;
import io.jsora.tensor.Natives;
import io.jsora.tensor.Tensors;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

  /** Times square matmuls of each size and dtype; returns one record per (dtype, size). */
  public static List<BenchRecord> run(Device device, List<DType> dtypes, int[] sizes, int warmup, int runs) throws Exception {
    Natives.load();
    List<BenchRecord> out = new ArrayList<>();
    for (DType dtype : dtypes) {
      for (int n : sizes) {
        try (PointerScope scope = new PointerScope()) {
          TensorOptions o = Tensors.options(dtype, device);
          Tensor a = torch.randn(new long[] {n, n}, o);
          Tensor b = torch.randn(new long[] {n, n}, o);
          int inner = Math.max(1, (int) (2e8 / (2.0 * n * n * n)));
          Timing t = Stopwatch.time(warmup, runs, inner, () -> {
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
          out.add(BenchRecord.of("matmul_" + dtype.name().toLowerCase() + "_" + n, cfg, t).withTflops(flops / t.median() / 1e12));
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
