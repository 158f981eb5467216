package io.jsora.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsora.checkpoint.AtomicFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Prints benchmark records as a table and writes them as a JSON list. */
public final class Report {
  private Report() {}

  public static void table(List<BenchRecord> records, PrintWriter out) {
    int w = "benchmark".length();
    for (BenchRecord r : records) {
      w = Math.max(w, r.name().length());
    }
    out.printf(
        Locale.ROOT,
        "%-" + w + "s  %12s  %12s  %12s  %12s  %9s  %7s  %10s%n",
        "benchmark",
        "median",
        "min",
        "max",
        "tokens/s",
        "TFLOP/s",
        "MFU",
        "peak mem");
    for (BenchRecord r : records) {
      out.printf(
          Locale.ROOT,
          "%-" + w + "s  %12s  %12s  %12s  %12s  %9s  %7s  %10s%n",
          r.name(),
          seconds(r.medianS()),
          seconds(r.minS()),
          seconds(r.maxS()),
          r.tokensPerS() == null ? "-" : String.format(Locale.ROOT, "%.0f", r.tokensPerS()),
          r.tflops() == null ? "-" : String.format(Locale.ROOT, "%.3f", r.tflops()),
          r.mfu() == null ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * r.mfu()),
          r.peakMemBytes() == null
              ? "-"
              : String.format(Locale.ROOT, "%.0f MiB", r.peakMemBytes() / 1048576.0));
    }
    out.flush();
  }

  /** Human units: µs below a millisecond, ms below a second, else s. */
  public static String seconds(double s) {
    if (s < 1e-3) {
      return String.format(Locale.ROOT, "%.2f µs", s * 1e6);
    }
    if (s < 1) {
      return String.format(Locale.ROOT, "%.2f ms", s * 1e3);
    }
    return String.format(Locale.ROOT, "%.3f s", s);
  }

  public static void writeJson(List<BenchRecord> records, Path file) throws IOException {
    ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    AtomicFiles.writeString(file, m.writeValueAsString(records) + "\n");
  }
}
