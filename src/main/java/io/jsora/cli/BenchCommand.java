package io.jsora.cli;

import io.jsora.bench.BenchRecord;
import io.jsora.bench.JniBench;
import io.jsora.bench.MatmulBench;
import io.jsora.bench.Report;
import io.jsora.tensor.DType;
import io.jsora.tensor.Devices;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.bytedeco.pytorch.Device;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jsora bench ...}: measure throughput and memory; print a table, optionally write JSON. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Measure throughput and memory. Warm-up runs are excluded; figures are medians with min/max over several runs.",
    subcommands = {BenchCommand.Matmul.class, BenchCommand.Jni.class})
public final class BenchCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Options every benchmark takes. */
  static final class Common {
    @Option(names = "--json", paramLabel = "FILE", description = "Also write the records as a JSON list.")
    Path json;

    @Option(names = "--warmup", defaultValue = "2", description = "Untimed warm-up runs (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--runs", defaultValue = "5", description = "Timed runs (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--device", defaultValue = "auto", description = "cpu, cuda, cuda:N or auto (default: ${DEFAULT-VALUE}).")
    String device;

    void emit(List<BenchRecord> records, PrintWriter out) throws Exception {
      Report.table(records, out);
      if (json != null) {
        Report.writeJson(records, json);
        out.println("wrote " + json);
        out.flush();
      }
    }
  }

  @Command(name = "matmul", mixinStandardHelpOptions = true,
      description = "Achieved GEMM TFLOP/s in fp32 (and bf16) through libtorch: the practical peak MFU is measured against.")
  static final class Matmul implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin Common common;

    @Option(names = "--sizes", split = ",", defaultValue = "256,512,1024,2048", description = "Square matrix sizes (default: ${DEFAULT-VALUE}).")
    int[] sizes;

    @Option(names = "--dtypes", split = ",", defaultValue = "f32,bf16", description = "Element types (default: ${DEFAULT-VALUE}).")
    List<String> dtypes;

    @Override
    public Integer call() throws Exception {
      List<DType> ds = new ArrayList<>();
      for (String d : dtypes) {
        ds.add(DType.parse(d));
      }
      try (Device dev = Devices.resolve(common.device)) {
        common.emit(MatmulBench.run(dev, ds, sizes, common.warmup, common.runs), spec.commandLine().getOut());
      }
      return 0;
    }
  }

  @Command(name = "jni", mixinStandardHelpOptions = true,
      description = "Fixed cost per tensor op called from Java (1-element tensors): JNI crossing, dispatch and handle allocation.")
  static final class Jni implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin Common common;

    @Override
    public Integer call() throws Exception {
      common.emit(JniBench.run(common.warmup, common.runs), spec.commandLine().getOut());
      return 0;
    }
  }
}
