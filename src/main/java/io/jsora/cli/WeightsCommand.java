package io.jsora.cli;

import io.jsora.checkpoint.SafetensorsFile;
import io.jsora.checkpoint.SafetensorsWriter;
import io.jsora.checkpoint.StateDict;
import io.jsora.checkpoint.TensorInfo;
import io.jsora.checkpoint.Weights;
import io.jsora.tensor.DType;
import io.jsora.tensor.Shapes;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jsora weights inspect|convert}. */
@Command(
    name = "weights",
    mixinStandardHelpOptions = true,
    description = "Inspect and convert weight files (.safetensors, and torch.save .pt/.pth/.bin).",
    subcommands = {WeightsCommand.Inspect.class, WeightsCommand.Convert.class})
public final class WeightsCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** One row per tensor, then totals and metadata. */
  @Command(
      name = "inspect",
      mixinStandardHelpOptions = true,
      description =
          "List each tensor's name, dtype and shape, the parameter count, bytes and metadata.")
  static final class Inspect implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(
        index = "0",
        paramLabel = "FILE",
        description = "A .safetensors, .pt, .pth or .bin file.")
    Path file;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      List<String[]> rows = new ArrayList<>();
      long params = 0;
      long bytes = 0;
      Map<String, String> metadata;
      String format;
      List<String> skipped = List.of();
      if (SafetensorsFile.looksLike(file) || !Files.isRegularFile(file) || Files.size(file) < 10) {
        // safetensors: header only, no tensor data read
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
          for (TensorInfo t : f.tensors()) {
            rows.add(
                new String[] {t.name(), t.dtype().safetensorsName(), Shapes.format(t.shape())});
            params += t.numel();
            bytes += t.byteLength();
          }
          metadata = f.metadata();
          format = "safetensors";
        }
      } else {
        try (Weights.Loaded w = Weights.read(file)) {
          for (Map.Entry<String, Tensor> e : w.tensors().asMap().entrySet()) {
            Tensor t = e.getValue();
            DType d = DType.of(t);
            rows.add(new String[] {e.getKey(), d.safetensorsName(), Shapes.format(Shapes.of(t))});
            params += t.numel();
            bytes += t.numel() * d.byteSize();
          }
          metadata = w.metadata();
          skipped = w.skipped();
          format = "torch.save";
        }
      }
      int w0 = "name".length();
      for (String[] r : rows) {
        w0 = Math.max(w0, r[0].length());
      }
      out.printf(Locale.ROOT, "%s (%s, %d tensors)%n", file, format, rows.size());
      out.printf(Locale.ROOT, "%-" + w0 + "s  %-5s  %s%n", "name", "dtype", "shape");
      for (String[] r : rows) {
        out.printf(Locale.ROOT, "%-" + w0 + "s  %-5s  %s%n", r[0], r[1], r[2]);
      }
      out.printf(Locale.ROOT, "parameters: %,d (%s)%n", params, human(bytes));
      for (Map.Entry<String, String> m : metadata.entrySet()) {
        out.printf(Locale.ROOT, "metadata: %s = %s%n", m.getKey(), m.getValue());
      }
      if (!skipped.isEmpty()) {
        out.printf(
            Locale.ROOT, "non-tensor entries (not weights): %s%n", String.join(", ", skipped));
      }
      out.flush();
      return 0;
    }
  }

  /** Re-writes weights as safetensors, optionally casting floating-point tensors. */
  @Command(
      name = "convert",
      mixinStandardHelpOptions = true,
      description =
          "Convert a .pt/.pth/.bin or .safetensors file to .safetensors, optionally casting floating-point tensors.")
  static final class Convert implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "Input weights.")
    Path in;

    @Parameters(
        index = "1",
        paramLabel = "OUT",
        description = "Output .safetensors file (written atomically).")
    Path out;

    @Option(
        names = "--dtype",
        paramLabel = "bf16|f16|f32",
        description = "Cast floating-point tensors to this type (integer tensors are kept).")
    String dtype;

    @Override
    public Integer call() throws Exception {
      DType target = dtype == null ? null : DType.parse(dtype);
      if (target != null && !target.isFloatingPoint()) {
        throw new IllegalArgumentException(
            "--dtype must be a floating-point type (bf16, f16, f32, f64), got " + dtype);
      }
      if (in.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
        throw new IllegalArgumentException("IN and OUT are the same file: " + in);
      }
      try (Weights.Loaded w = Weights.read(in);
          PointerScope scope = new PointerScope()) {
        Map<String, Tensor> cast = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : w.tensors().asMap().entrySet()) {
          Tensor t = e.getValue();
          cast.put(
              e.getKey(),
              target != null && DType.of(t).isFloatingPoint() ? t.to(target.scalarType()) : t);
        }
        Map<String, String> meta = new LinkedHashMap<>(w.metadata());
        meta.putIfAbsent("format", "pt");
        SafetensorsWriter.write(out, cast, meta);
        PrintWriter o = spec.commandLine().getOut();
        try (StateDict sd = w.tensors()) {
          o.printf(
              Locale.ROOT,
              "wrote %s: %d tensors, %,d parameters%s%n",
              out,
              sd.size(),
              sd.numel(),
              target == null ? "" : ", floating-point as " + target.safetensorsName());
        }
        if (!w.skipped().isEmpty()) {
          o.printf(Locale.ROOT, "skipped non-tensor entries: %s%n", String.join(", ", w.skipped()));
        }
        o.flush();
      }
      return 0;
    }
  }

  static String human(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
