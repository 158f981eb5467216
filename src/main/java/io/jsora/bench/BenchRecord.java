package io.jsora.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * One benchmark result, in the JSON form {@code jsora bench --json} writes.
 *
 * @param name what was measured, e.g. {@code matmul_f32_1024}
 * @param config the knobs it was measured with
 * @param medianS median seconds per iteration
 * @param minS fastest iteration
 * @param maxS slowest iteration
 * @param tokensPerS tokens per second at the median, where meaningful
 * @param tflops achieved TFLOP/s at the median (multiply-add = 2 FLOPs), where meaningful
 * @param mfu achieved FLOP/s over the machine's measured matmul peak, where meaningful
 * @param peakMemBytes peak resident (CPU) or allocated (GPU) bytes, where measured
 * @param extra further named figures (e.g. time split between phases)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BenchRecord(
    @JsonProperty("name") String name,
    @JsonProperty("config") Map<String, Object> config,
    @JsonProperty("median_s") double medianS,
    @JsonProperty("min_s") double minS,
    @JsonProperty("max_s") double maxS,
    @JsonProperty("tokens_per_s") Double tokensPerS,
    @JsonProperty("tflops") Double tflops,
    @JsonProperty("mfu") Double mfu,
    @JsonProperty("peak_mem_bytes") Long peakMemBytes,
    @JsonProperty("extra") Map<String, Object> extra) {

  /** A record with timings only. */
  public static BenchRecord of(String name, Map<String, Object> config, Timing t) {
    return new BenchRecord(
        name, config, t.median(), t.min(), t.max(), null, null, null, null, null);
  }

  public BenchRecord withTokensPerS(double v) {
    return new BenchRecord(name, config, medianS, minS, maxS, v, tflops, mfu, peakMemBytes, extra);
  }

  public BenchRecord withTflops(double v) {
    return new BenchRecord(
        name, config, medianS, minS, maxS, tokensPerS, v, mfu, peakMemBytes, extra);
  }

  public BenchRecord withMfu(double v) {
    return new BenchRecord(
        name, config, medianS, minS, maxS, tokensPerS, tflops, v, peakMemBytes, extra);
  }

  public BenchRecord withPeakMem(long v) {
    return new BenchRecord(name, config, medianS, minS, maxS, tokensPerS, tflops, mfu, v, extra);
  }

  public BenchRecord withExtra(Map<String, Object> v) {
    return new BenchRecord(
        name, config, medianS, minS, maxS, tokensPerS, tflops, mfu, peakMemBytes, v);
  }
}
